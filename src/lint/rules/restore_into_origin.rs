use crate::lint::{Context, OpRef};
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::Op;

declare_rule! {
    /// A restore in an environment that restores from nothing (production).
    ///
    /// ## What it catches
    /// A restore operation in the origin environment: one with no
    /// `restore_from` in a catalogue; in a chart, the first environment
    /// (production), whatever its jobs do.
    ///
    /// ## Why it matters
    /// A restore drops the database and loads a backup over it. In
    /// production that throws away everything written since the backup,
    /// or loads another environment's data into the live service.
    ///
    /// ## Example
    /// ```yaml
    ///   production:
    ///     whitehall-mysql:
    ///       schedule: "28 0 * * *"
    ///       operations:
    ///         - op: restore              # copied from staging's block
    ///           bucket: s3://govuk-staging-database-backups
    ///         - op: backup
    /// ```
    ///
    /// ## How to fix
    /// Remove the restore: production only backs up. A deliberate test
    /// restore belongs in a database of its own on another host, with an
    /// `allow` that says so.
    name: "restore-into-origin",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (r, env, job) in ctx.jobs() {
        if !ctx.is_origin(r.env) {
            continue;
        }
        let Some(i) = job
            .operations
            .iter()
            .position(|o| o.kind() == Some(Op::Restore))
        else {
            continue;
        };
        let op = &job.operations[i];
        let db = job.db_of(op).unwrap_or("its database");
        let here = OpRef {
            env: r.env,
            job: r.job,
            op: i,
        };
        let message = format!(
            "restores `{db}` on `{}` in {}, which restores from nothing: the restore replaces the origin's own data",
            job.host(),
            env.name
        );
        let at = ctx.op_place(here, "op").unwrap_or(job.origin.job);
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
    whitehall-mysql:
      schedule: \"28 0 * * *\"
      db: whitehall_production
      operations:
        - op: backup
  staging:
    whitehall-mysql:
      schedule: \"28 1 * * 1-5\"
      db: whitehall_production
      operations:
        - op: restore
          bucket: s3://govuk-production-database-backups
        - op: backup
";

    #[test]
    fn fires_on_a_restore_in_production() {
        let values = VALUES.replacen(
            "      operations:\n        - op: backup\n",
            "      operations:\n        - op: restore\n          bucket: s3://govuk-staging-database-backups\n        - op: backup\n",
            1,
        );
        let found = chart(&RULE, &values, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].env.as_deref(), Some("production"));
        assert_eq!((found[0].line, found[0].column), (7, 15));
        let text = estate(
            "  chat-postgres:\n    production: {schedule: 1 1 * * *, operations: [{op: restore, from: staging}]}\n",
        );
        assert_eq!(catalogue(&RULE, &text).len(), 1);
    }

    #[test]
    fn quiet_on_restores_elsewhere() {
        assert_eq!(chart(&RULE, VALUES, &[], &[]), vec![]);
    }
}
