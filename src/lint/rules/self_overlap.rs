use crate::lint::Context;
use crate::lint::time::{self, T0};
use crate::model::diagnostic::Diagnostic;

declare_rule! {
    /// A job's expected duration is longer than the gap to its next run, so Forbid skips runs.
    ///
    /// ## What it catches
    /// A running job whose operations' "taking a long time" thresholds add
    /// up to more than the shortest gap between two of its runs.
    ///
    /// ## Why it matters
    /// The chart's CronJobs use `concurrencyPolicy: Forbid`: while one run
    /// is still going, Kubernetes skips the next, so a job expected to
    /// take that long silently runs less often than its schedule says,
    /// and the "not completed" alerts fire.
    ///
    /// ## Example
    /// ```yaml
    ///   shared-documentdb:
    ///     staging:
    ///       schedule: 13 */6 * * *     # every 6 hours...
    ///       operations: [...]          # ...ten operations of up to 1h each
    /// ```
    ///
    /// ## How to fix
    /// Run it less often, split the job, or if it really is quicker, put
    /// its operations in a faster speed group.
    name: "self-overlap",
    severity: Warning,
    timing: true,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (r, _, job) in ctx.jobs() {
        if !ctx.runs(r) {
            continue;
        }
        let Some(schedule) = ctx.schedule(r) else {
            continue;
        };
        let expected = ctx.duration(r);
        let period = time::period(schedule);
        // Two periods, so the gap from the last run of one to the first of
        // the next counts.
        let fires = time::fires_in(schedule, T0, T0 + period + period);
        let Some((gap, at)) = fires
            .windows(2)
            .map(|w| (w[1].duration_since(w[0]), w[0]))
            .min_by_key(|(gap, _)| *gap)
        else {
            continue;
        };
        if expected <= gap {
            continue;
        }
        let message = format!(
            "may take up to {} but the run from {} is followed by the next {} later: with concurrencyPolicy Forbid, Kubernetes skips a run while the last is still going",
            time::duration(expected),
            time::when(at, time::weekly(schedule)),
            time::duration(gap)
        );
        let at = ctx.text_start(job.origin.schedule);
        out.push(ctx.at_job(&RULE, r, at, message));
    }
    // The search index syncs, each taken to last its duration.
    for (env, job) in ctx.plan.search.iter().flat_map(|s| s.jobs()) {
        let Ok(schedule) = job.cron() else {
            continue;
        };
        if job.suspended() {
            continue;
        }
        let period = time::period(&schedule);
        let fires = time::fires_in(&schedule, T0, T0 + period + period);
        let Some((gap, at)) = fires
            .windows(2)
            .map(|w| (w[1].duration_since(w[0]), w[0]))
            .min_by_key(|(gap, _)| *gap)
        else {
            continue;
        };
        let takes =
            jiff::SignedDuration::from_secs(i64::try_from(job.duration).unwrap_or(i64::MAX));
        if takes <= gap {
            continue;
        }
        let message = format!(
            "the run from {} is followed by the next {} later, before it is due to finish; {}",
            time::when(at, time::weekly(&schedule)),
            time::duration(gap),
            job.assumed()
        );
        let at = ctx.text_start(job.origin.schedule);
        out.push(
            RULE.finding(ctx.path, at, message)
                .at_job(&env.name, &job.name),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, estate};

    #[test]
    fn fires_when_runs_come_faster_than_the_job_takes() {
        let text = estate(
            "  publishing-api-postgres:\n    speed: slower\n    sanitise: publishing-api.sql\n    production: 36 21 * * *\n    staging: 36 */6 * * *\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].env.as_deref(), Some("staging"));
        assert!(found[0].message.contains("up to 8h 45m"), "{found:?}");
        assert!(found[0].message.contains("6h later"), "{found:?}");
    }

    #[test]
    fn fires_on_a_search_job_that_runs_faster_than_it_takes() {
        let text = "environments: {production: }\ndatabases: {}\nsearch:\n  clusters:\n    green-es6:\n      production: {snapshot: {schedule: '*/20 * * * *', duration: 45m}}\n";
        let found = catalogue(&RULE, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("20m later"), "{found:?}");
        assert!(
            found[0].message.contains("45m (as the catalogue says)"),
            "{found:?}"
        );
        let daily = text.replace("*/20 * * * *", "51 1 * * *");
        assert_eq!(catalogue(&RULE, &daily), vec![]);
    }

    #[test]
    fn quiet_when_there_is_room() {
        let text = estate(
            "  publishing-api-postgres:\n    speed: slower\n    sanitise: publishing-api.sql\n    production: 36 21 * * *\n    staging: 36 1 * * 1-5\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
