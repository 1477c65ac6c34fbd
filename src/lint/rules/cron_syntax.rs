use crate::cron::CronError;
use crate::lint::Context;
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::Origin;

declare_rule! {
    /// A schedule the Kubernetes API server rejects.
    ///
    /// ## What it catches
    /// A `schedule` outside Kubernetes' cron dialect (robfig/cron v3's
    /// standard parser): day-of-week `7`, six fields (seconds), `L`, `W` or
    /// `#`, a `TZ=` or `CRON_TZ=` prefix, an unknown `@descriptor`, a value
    /// out of range.
    ///
    /// ## Why it matters
    /// The API server refuses the CronJob, so Argo CD cannot sync the chart
    /// and the job does not run at all. GOV.UK once shipped `* * 7` for
    /// Sunday and had to fix it.
    ///
    /// ## Example
    /// ```yaml
    ///     content-store-postgres:
    ///       schedule: "06 23 * * 7"   # Sunday is 0
    /// ```
    ///
    /// ## How to fix
    /// Write day-of-week as 0-6 (0 is Sunday) or `SUN`-`SAT`, use five
    /// fields, and set the CronJob's `timeZone` rather than a prefix
    /// (GOV.UK's schedules are in UTC).
    name: "cron-syntax",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (r, _, job) in ctx.jobs() {
        if ctx.schedule(r).is_some() {
            continue;
        }
        let Err(e) = job.cron() else {
            continue;
        };
        let (at, message) = problem(ctx, &job.schedule, job.origin.schedule, &e);
        out.push(ctx.at_job(&RULE, r, at, message));
    }
    // The search-index-env-sync chart's jobs (a catalogue refuses them
    // while it is read).
    for (env, job) in ctx.plan.search.iter().flat_map(|s| s.jobs()) {
        let Err(e) = job.cron() else {
            continue;
        };
        let (at, message) = problem(ctx, &job.schedule, job.origin.schedule, &e);
        out.push(
            RULE.finding(ctx.path, at, message)
                .at_job(&env.name, &job.name),
        );
    }
    out
}

/// Where in the source a schedule's error is (the schedule written at
/// `origin`), and what to say of it.
fn problem(ctx: &Context, schedule: &str, origin: Origin, e: &CronError) -> (Origin, String) {
    let start = ctx.text_start(origin);
    let offset = schedule.get(..e.offset).map_or(0, |s| s.chars().count());
    let at = Origin {
        line: start.line,
        column: start.column + offset,
    };
    let message = format!(
        "schedule `{schedule}`: {}; the Kubernetes API server rejects it",
        e.message
    );
    (at, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    const VALUES: &str = "cronjobs:\n  production:\n    chat-postgres:\n      schedule: \"47 23 * * 7\"\n      operations: [{op: backup}]\n";

    #[test]
    fn fires_on_day_of_week_7() {
        let found = chart(&RULE, VALUES, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        // At the 7, inside the quotes.
        assert_eq!((found[0].line, found[0].column), (4, 28));
        assert_eq!(found[0].env.as_deref(), Some("production"));
        let text = estate("  chat-postgres:\n    production: 47 23 * * 7\n");
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].line, 7);
    }

    #[test]
    fn fires_on_a_search_job() {
        let values = "cronjobs:\n  production:\n    green-es6-snapshot:\n      schedule: \"51 1 * * 7\"\n      args: [create_and_clean_up]\n";
        let found = crate::lint::check_search(std::path::Path::new("values.yaml"), values);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "cron-syntax");
        // At the 7, inside the quotes.
        assert_eq!((found[0].line, found[0].column), (4, 27));
        let sunday = values.replace("* * 7", "* * 0");
        assert_eq!(
            crate::lint::check_search(std::path::Path::new("values.yaml"), &sunday),
            vec![]
        );
    }

    #[test]
    fn quiet_on_sunday_as_0() {
        let values = VALUES.replace("* * 7", "* * 0");
        assert_eq!(chart(&RULE, &values, &[], &[]), vec![]);
        let text = estate("  chat-postgres:\n    production: 47 23 * * SUN\n");
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
