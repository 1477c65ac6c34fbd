use crate::lint::Context;
use crate::model::diagnostic::Diagnostic;

declare_rule! {
    /// A restore reads from an environment that never backs that database up, or only in a suspended job.
    ///
    /// ## What it catches
    /// A restore whose bucket gets no backup of its database from its host:
    /// no job backs the database up into that bucket, or one does but from
    /// another host (a backup's place in the bucket names its host, so a
    /// renamed host breaks the restores that read it), or only a suspended
    /// job does.
    ///
    /// ## Why it matters
    /// With no backup to read the restore fails every night; with only a
    /// suspended job writing it, it restores the same old copy for ever.
    /// When `imminence-postgres` was renamed `places-manager-postgres` in
    /// production, staging's restore kept reading the old host's backups.
    ///
    /// ## Example
    /// ```yaml
    ///   production:
    ///     places-manager-postgres:
    ///       operations: [{op: backup}]
    ///   staging:
    ///     imminence-postgres:          # host imminence-postgres
    ///       operations:
    ///         - {op: restore, bucket: s3://govuk-production-database-backups}
    /// ```
    ///
    /// ## How to fix
    /// Restore from the host and bucket the source environment backs up to
    /// (set `host:` on the restoring job), back the database up in the
    /// source environment, or unsuspend the job that does.
    name: "restore-source-missing",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for restore in ctx.restores() {
        let (r, env, job, db, bucket) = (
            restore.at.job(),
            restore.env,
            restore.job,
            restore.db,
            restore.bucket,
        );
        if ctx.suspended(r) {
            continue;
        }
        let source = match ctx.env_of_bucket(bucket) {
            Some(e) if e.name == env.name => format!("{}'s own bucket", e.name),
            Some(e) => format!("{}'s bucket", e.name),
            None => format!("`{bucket}`, which no environment here backs up to"),
        };
        let backups = ctx.backups_of(bucket, job.host(), db);
        let message = if backups.is_empty() {
            let elsewhere: Vec<String> = ctx
                .backups_of_db(bucket, db)
                .iter()
                .map(|b| format!("`{}`", ctx.job(b.job()).host()))
                .collect();
            let hint = if elsewhere.is_empty() {
                String::new()
            } else {
                format!(
                    " (it is backed up there from {}: a backup's place in the bucket names its host)",
                    elsewhere.join(", ")
                )
            };
            format!(
                "restores `{db}` from host `{}` out of {source}, but nothing backs that up there{hint}",
                job.host()
            )
        } else if backups.iter().all(|b| ctx.suspended(b.job())) {
            let names: Vec<String> = backups
                .iter()
                .map(|b| format!("`{}` in {}", ctx.job(b.job()).name, ctx.env(b.job()).name))
                .collect();
            format!(
                "restores `{db}` out of {source}, but only the suspended job {} backs it up there, so every restore gets the same old copy",
                names.join(", ")
            )
        } else {
            continue;
        };
        let at = ctx.op_place(restore.at, "bucket").unwrap_or(job.origin.job);
        out.push(ctx.at_job(&RULE, r, at, message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    const VALUES: &str = "cronjobs:
  production:
    places-manager-postgres:
      schedule: \"18 23 * * *\"
      db: imminence_production
      operations: [{op: backup}]
  staging:
    places-manager-postgres:
      schedule: \"18 1 * * 1-5\"
      db: imminence_production
      operations:
        - op: restore
          bucket: s3://govuk-production-database-backups
";

    #[test]
    fn fires_when_the_host_is_not_backed_up() {
        let values = VALUES.replace(
            "  staging:\n    places-manager-postgres:",
            "  staging:\n    imminence-postgres:",
        );
        let found = chart(&RULE, &values, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].job.as_deref(), Some("imminence-postgres"));
        assert_eq!((found[0].line, found[0].column), (13, 19));
        assert!(
            found[0].message.contains("from `places-manager-postgres`"),
            "{found:?}"
        );
    }

    #[test]
    fn fires_when_only_a_suspended_job_backs_up() {
        let text = estate(
            "  chat-postgres:\n    production: {schedule: 1 1 * * *, suspend: true}\n    staging: 1 2 * * *\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].env.as_deref(), Some("staging"));
        assert!(found[0].message.contains("suspended"), "{found:?}");
    }

    #[test]
    fn quiet_when_the_source_backs_up() {
        assert_eq!(chart(&RULE, VALUES, &[], &[]), vec![]);
        let text = estate("  chat-postgres:\n    production: 1 1 * * *\n    staging: 1 2 * * *\n");
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
