use crate::lint::{Context, Mode};
use crate::model::diagnostic::Diagnostic;
use std::collections::HashSet;

/// The longest CronJob name Kubernetes accepts.
pub const MAX: usize = 52;

declare_rule! {
    /// The CronJob name `db-backup-<job>` is over 52 characters.
    ///
    /// ## What it catches
    /// A job name longer than 42 characters, which makes the chart's
    /// CronJob name, `db-backup-` and the job name, longer than 52.
    ///
    /// ## Why it matters
    /// The CronJob controller names each Job it starts after the CronJob
    /// with 11 more characters, and a name may have at most 63, so the API
    /// server rejects a CronJob name over 52 characters and the job never
    /// runs.
    ///
    /// ## Example
    /// ```yaml
    /// databases:
    ///   content-performance-manager-reporting-replica-postgres:   # 53 with db-backup-
    ///     host: ...
    /// ```
    ///
    /// ## How to fix
    /// Choose a shorter job name and give the database host with `host:`
    /// (and the DBMS with `dbms:`) where the name no longer carries them.
    name: "name-length",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (r, _, job) in ctx.jobs() {
        let name = job.cronjob_name();
        if name.chars().count() <= MAX {
            continue;
        }
        // A catalogue names a database once, for all its environments.
        let at = match ctx.mode {
            Mode::Catalogue => {
                if !seen.insert(job.name.as_str()) {
                    continue;
                }
                ctx.find(&format!("/databases/{}", job.name))
                    .unwrap_or(job.origin.job)
            }
            Mode::Chart => job.origin.job,
        };
        let message = format!(
            "the CronJob name `{name}` is {} characters; Kubernetes allows at most {MAX}",
            name.chars().count()
        );
        out.push(ctx.at_job(&RULE, r, at, message));
    }
    // The search-index-env-sync chart's CronJobs, search-index-env-sync-<job>.
    for (env, job) in ctx.plan.search.iter().flat_map(|s| s.jobs()) {
        let name = job.cronjob_name();
        if name.chars().count() <= MAX || !seen.insert(job.name.as_str()) {
            continue;
        }
        let message = format!(
            "the CronJob name `{name}` is {} characters; Kubernetes allows at most {MAX}: give the cluster a shorter key, or the job a shorter `name`",
            name.chars().count()
        );
        out.push(
            RULE.finding(ctx.path, job.origin.job, message)
                .at_job(&env.name, &job.name),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    #[test]
    fn fires_on_a_long_name() {
        let name = "a".repeat(34) + "-postgres"; // 43 characters, 53 with db-backup-
        let text = estate(&format!(
            "  {name}:\n    production: 1 1 * * *\n    staging: 1 2 * * *\n"
        ));
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (6, 3));
        assert!(found[0].message.contains("53 characters"), "{found:?}");
        let values = format!(
            "cronjobs:\n  production:\n    {name}:\n      schedule: \"1 1 * * *\"\n      operations: [{{op: backup}}]\n"
        );
        assert_eq!(chart(&RULE, &values, &[], &[]).len(), 1);
    }

    #[test]
    fn fires_on_a_long_search_job_name() {
        // The chart's own comment: too long as green-elasticsearch6-domain-snapshot.
        let values = "cronjobs:\n  production:\n    green-elasticsearch6-domain-snapshot:\n      schedule: \"51 1 * * *\"\n      args: [create_and_clean_up]\n      extraEnv: [{name: SUBDOMAIN, value: elasticsearch6}]\n";
        let found = crate::lint::check_search(std::path::Path::new("values.yaml"), values);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "name-length");
        assert!(found[0].message.contains("58 characters"), "{found:?}");
        let short = values.replace("green-elasticsearch6-domain", "green-es6");
        assert_eq!(
            crate::lint::check_search(std::path::Path::new("values.yaml"), &short),
            vec![]
        );
        let text = "environments: {production: }\ndatabases: {}\nsearch:\n  clusters:\n    green-elasticsearch6-domain: {production: 51 1 * * *}\n";
        assert_eq!(catalogue(&RULE, text).len(), 1);
    }

    #[test]
    fn quiet_at_52() {
        let name = "a".repeat(33) + "-postgres"; // 52 with db-backup-
        let text = estate(&format!("  {name}:\n    production: 1 1 * * *\n"));
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
