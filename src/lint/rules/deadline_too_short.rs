use crate::lint::{Context, time};
use crate::model::diagnostic::Diagnostic;
use jiff::SignedDuration;

declare_rule! {
    /// A job's activeDeadlineSeconds is below the taking-a-long-time threshold of one of its operations.
    ///
    /// ## What it catches
    /// A job whose `maxJobRuntimeSeconds` (catalogue:
    /// `max_runtime_seconds`; default 43200, 12 hours) is shorter than the
    /// "taking a long time" threshold of one of its operations: in a chart,
    /// the `for:` of the alert that watches it; in a catalogue, its speed
    /// group's (a slowest restore waits 13 hours).
    ///
    /// ## Why it matters
    /// Kubernetes kills the job at its deadline, before the alert that
    /// should say "this is slow" can fire: the slow run shows up only as a
    /// failure, and the threshold is dead configuration.
    ///
    /// ## Example
    /// ```yaml
    ///   content-data-api-postgres:
    ///     speed: {restore: slowest}        # alert after 13h
    ///     staging: 35 1 * * 6              # killed after 12h
    /// ```
    ///
    /// ## How to fix
    /// Raise the deadline above the longest threshold (content-data-api
    /// uses `max_runtime_seconds: 86400`), or move the operation to a
    /// faster speed group if it really is faster.
    name: "deadline-too-short",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (r, _, job) in ctx.jobs() {
        let deadline = SignedDuration::from_secs(
            i64::try_from(job.active_deadline_seconds()).unwrap_or(i64::MAX),
        );
        let longest = job
            .operations
            .iter()
            .filter_map(|op| Some((op.kind()?, ctx.op_budget(r, op))))
            .max_by_key(|(_, budget)| *budget);
        let Some((op, threshold)) = longest else {
            continue;
        };
        if deadline >= threshold {
            continue;
        }
        let message = format!(
            "activeDeadlineSeconds is {} ({}), but the alert for a long {op} waits {}: Kubernetes kills the job before that alert can fire; make it at least {}",
            deadline.as_secs(),
            time::duration(deadline),
            time::duration(threshold),
            threshold.as_secs()
        );
        let at = ctx.place(r, &["maxJobRuntimeSeconds", "max_runtime_seconds"]);
        out.push(ctx.at_job(&RULE, r, at, message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    #[test]
    fn fires_when_the_deadline_is_shorter() {
        let text = estate(
            "  content-data-api-postgres:\n    speed: {restore: slowest}\n    production: 35 23 * * *\n    staging: 35 1 * * 6\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].env.as_deref(), Some("staging"));
        assert!(found[0].message.contains("waits 13h"), "{found:?}");
        // In a chart, the alert's own `for:` counts.
        let values = "cronjobs:\n  production:\n    a-postgres:\n      schedule: \"1 1 * * *\"\n      maxJobRuntimeSeconds: 3000\n      operations: [{op: backup}]\n";
        let rules = "groups:\n  - name: x\n    rules:\n      - alert: slow\n        for: 1h\n        expr: db_backup_job_state{operation=\"backup\"} == 1\n";
        let found = chart(&RULE, values, &[], &[("production/x.yaml", rules)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (5, 29));
    }

    #[test]
    fn quiet_when_the_deadline_is_longer() {
        let text = estate(
            "  content-data-api-postgres:\n    speed: {restore: slowest}\n    production: 35 23 * * *\n    staging: {schedule: 35 1 * * 6, max_runtime_seconds: 86400}\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
