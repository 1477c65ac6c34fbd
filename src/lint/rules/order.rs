use crate::lint::Context;
use crate::lint::time::{self, T0};
use crate::model::diagnostic::Diagnostic;
use jiff::SignedDuration;

declare_rule! {
    /// A declared ordering between databases (content-store before publishing-api) is broken by the schedules.
    ///
    /// ## What it catches
    /// For each `run_before` in a catalogue, in every environment where
    /// both jobs run: a run of the second job without a run of the first
    /// that started earlier within the 24 hours before it.
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
    /// earlier, or narrow the second job's days.
    name: "order",
    severity: Error,
    timing: true,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let day = SignedDuration::from_hours(24);
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
            let weekly = period == day * 7;
            let runs = time::fires_in(st, T0, T0 + period);
            let mut broken = runs.iter().filter_map(|&t| {
                let before = time::latest_at_or_before(sf, t - SignedDuration::from_secs(1));
                match before {
                    Some(b) if t.duration_since(b) <= day => None,
                    _ => Some((t, before)),
                }
            });
            let Some((t, before)) = broken.next() else {
                continue;
            };
            let count = 1 + broken.count();
            let last = match before {
                Some(b) => format!(
                    "last started {}, {} earlier",
                    time::when(b, weekly),
                    time::duration(t.duration_since(b))
                ),
                None => "has not run".to_owned(),
            };
            let mut message = format!(
                "`{}` runs {} but `{}`, which must run before it (line {}), {last}",
                order.then,
                time::when(t, weekly),
                order.first,
                order.origin.line
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
    fn quiet_when_the_first_runs_before() {
        assert_eq!(
            catalogue(&RULE, &text("06 22 * * 0-4", "36 1 * * 1-5")),
            vec![]
        );
    }
}
