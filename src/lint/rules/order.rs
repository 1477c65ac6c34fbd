use crate::cron::Schedule;
use crate::lint::time::{self, T0};
use crate::lint::{Context, Mode};
use crate::model::diagnostic::Diagnostic;
use crate::read::facts;
use jiff::{SignedDuration, Timestamp};

declare_rule! {
    /// A declared ordering between databases (content-store before publishing-api) is broken by the schedules.
    ///
    /// ## What it catches
    /// `run_before` means that each run of the later job uses data the
    /// earlier job has already finished with, from the same cycle. For
    /// each `run_before` (in a catalogue, or in chart mode in the
    /// checkout's `.envsync.yaml`), in every environment where both jobs
    /// run, lint pairs each run of the later job with the earlier job's
    /// run nearest it, which is that cycle's, and reports a run of the
    /// later job where that run comes after it (production dumping
    /// content-store at 02:16 while publishing-api dumps at 23:37: the
    /// content store's 02:16 of the day before is 21 hours old, the
    /// previous cycle's), or where the earlier job has not run in the
    /// day before it (a staging restore on a day the earlier database's
    /// restore skips). The message says which cycle's data each side gets.
    ///
    /// ## Why it matters
    /// Some copies only make sense together. Publishing API's data refers
    /// to what the content stores hold, so the content stores are copied
    /// first; the other way round, an environment ends up with content
    /// that points at documents it does not have.
    ///
    /// ## Example
    /// ```yaml
    ///   content-store-postgres:
    ///     run_before: [publishing-api-postgres]
    ///     staging: 06 22 * * 0-4
    ///   publishing-api-postgres:
    ///     staging: 36 1 * * 1-6      # Saturday has no content store run before it
    /// ```
    ///
    /// ## How to fix
    /// Make the first job run on every day the second does, a little
    /// earlier in the same night, or narrow the second job's days.
    name: "order",
    severity: Error,
    timing: true,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for order in &ctx.plan.orders {
        for env in 0..ctx.plan.environments.len() {
            let (Some(first), Some(then)) = (
                ctx.job_named(env, &order.first),
                ctx.job_named(env, &order.then),
            ) else {
                continue;
            };
            if !ctx.runs(first) || !ctx.runs(then) {
                continue;
            }
            let (Some(sf), Some(st)) = (ctx.schedule(first), ctx.schedule(then)) else {
                continue;
            };
            let period = time::common_period(sf, st);
            let weekly = period == DAY * 7;
            let runs = time::fires_in(st, T0, T0 + period);
            let mut broken = runs.iter().filter_map(|&t| broken(sf, t));
            let Some(first_broken) = broken.next() else {
                continue;
            };
            let count = 1 + broken.count();
            let declared = match ctx.mode {
                Mode::Chart => format!("{}:{}", facts::FILE, order.origin.line),
                Mode::Catalogue => format!("line {}", order.origin.line),
            };
            let mut message = format!(
                "`{}` runs {} with this cycle's data, but `{}`, which must run before it ({declared}), {}",
                order.then,
                time::when(first_broken.then, weekly),
                order.first,
                first_broken.describe(weekly),
            );
            if runs.len() > 1 {
                message.push_str(&format!(
                    " ({count} of {} runs a {})",
                    runs.len(),
                    if weekly { "week" } else { "year" }
                ));
            }
            let at = ctx.text_start(ctx.job(then).origin.schedule);
            out.push(ctx.at_job(&RULE, then, at, message));
        }
    }
    out
}

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// A run of the later job that the earlier job's runs do not precede in
/// the same cycle: the earlier job's runs around it.
struct Broken {
    then: Timestamp,
    before: Option<Timestamp>,
    after: Option<Timestamp>,
}

/// The earlier job's run nearest a run of the later one is its cycle's: it
/// must come before, and within a day.
fn broken(first: &Schedule, then: Timestamp) -> Option<Broken> {
    let before = time::latest_at_or_before(first, then - SignedDuration::from_secs(1));
    let after = first.next_after(then - SignedDuration::from_secs(1));
    let in_cycle = |b: Timestamp| {
        let gap = then.duration_since(b);
        gap <= DAY && after.is_none_or(|a| gap <= a.duration_since(then))
    };
    match before {
        Some(b) if in_cycle(b) => None,
        _ => Some(Broken {
            then,
            before,
            after,
        }),
    }
}

impl Broken {
    /// What the earlier job does instead: which cycle's data it holds.
    fn describe(&self, weekly: bool) -> String {
        match (self.before, self.after) {
            // Within a day before, but nearer after: that run is this cycle's.
            (Some(b), Some(a)) if self.then.duration_since(b) <= DAY => format!(
                "runs {} later, {}, in this cycle: its run before, {} ({} earlier), is the previous cycle's",
                time::duration(a.duration_since(self.then)),
                time::when(a, weekly),
                time::when(b, weekly),
                time::duration(self.then.duration_since(b))
            ),
            (Some(b), _) => format!(
                "has not run this cycle: its last run, {} ({} earlier), is an earlier cycle's",
                time::when(b, weekly),
                time::duration(self.then.duration_since(b))
            ),
            (None, _) => "has not run before it".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, estate};

    fn text(content_store: &str, publishing_api: &str) -> String {
        estate(&format!(
            "  content-store-postgres:\n    run_before: [publishing-api-postgres]\n    production: 06 21 * * *\n    staging: {content_store}\n  publishing-api-postgres:\n    production: 36 21 * * *\n    staging: {publishing_api}\n"
        ))
    }

    #[test]
    fn fires_when_the_first_has_not_run() {
        let found = catalogue(&RULE, &text("06 22 * * 0-4", "36 1 * * 1-6"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].env.as_deref(), Some("staging"));
        assert_eq!(found[0].job.as_deref(), Some("publishing-api-postgres"));
        assert!(
            found[0].message.contains("runs Saturday 01:36")
                && found[0].message.contains(
                    "has not run this cycle: its last run, Thursday 22:06 (27h 30m earlier)"
                )
                && found[0].message.contains("(1 of 6 runs a week)"),
            "{found:?}"
        );
        // Only on weekdays, while the second runs daily.
        let found = catalogue(&RULE, &text("06 22 * * 1-5", "36 1 * * *"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("(2 of 7 runs a week)"),
            "{found:?}"
        );
    }

    #[test]
    fn fires_when_the_first_runs_in_the_previous_cycle() {
        // GOV.UK's production until November 2023: content-store at 02:16,
        // publishing-api at 23:37, 21 hours after it.
        let text = estate(
            "  content-store-postgres:\n    run_before: [publishing-api-postgres]\n    production: 16 2 * * *\n  publishing-api-postgres:\n    production: 37 23 * * *\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].env.as_deref(), Some("production"));
        let m = &found[0].message;
        assert!(
            m.contains("runs 2h 39m later")
                && m.contains("(21h 21m earlier), is the previous cycle's")
                && m.contains("(7 of 7 runs a week)"),
            "{m}"
        );
    }

    #[test]
    fn quiet_when_the_first_runs_before() {
        assert_eq!(
            catalogue(&RULE, &text("06 22 * * 0-4", "36 1 * * 1-5")),
            vec![]
        );
    }
}
