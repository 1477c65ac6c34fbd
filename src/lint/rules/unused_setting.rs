use crate::lint::{Context, JobRef, OpRef};
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::{Job, Op};
use serde_json::Value;

declare_rule! {
    /// A setting that nothing reads where it is set: DB_OWNER on a job that never restores, a sanitise script on a job that does not restore.
    ///
    /// ## What it catches
    /// - `DB_OWNER` (in a job's or a non-restore operation's `extraEnv`,
    ///   or a catalogue's `db_owner` in an environment's entry) on a job
    ///   that never restores: only the restore script reads it, to give
    ///   the restored database's objects their owner.
    /// - a `transform` (a catalogue's `sanitise`) in a job with no restore
    ///   of that database before it: the script sanitises a copy, and
    ///   there is none; it runs on the environment's own data.
    ///
    /// The message names the setting and says where it would take effect:
    /// the environments where a job of that name restores.
    ///
    /// ## Why it matters
    /// A setting that does nothing reads as if it did. GOV.UK once set
    /// `DB_OWNER` on production's backup-only content-block-manager job,
    /// where nothing reads it, and moved it to staging and integration the
    /// next day. A sanitise step without a restore rewrites the
    /// environment's own data every run.
    ///
    /// ## Example
    /// ```yaml
    ///   production:
    ///     content-block-manager-postgres:
    ///       operations:
    ///         - op: backup
    ///       extraEnv:
    ///         - name: DB_OWNER          # read only by a restore
    ///           value: content-block-manager
    /// ```
    ///
    /// ## How to fix
    /// Move the setting to the jobs that restore (here staging's and
    /// integration's), or remove it.
    name: "unused-setting",
    severity: Warning,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (r, _, job) in ctx.jobs() {
        let restores = job
            .operations
            .iter()
            .any(|op| op.kind() == Some(Op::Restore));
        let owner_unused = if restores {
            // A restoring job's own DB_OWNER reaches its restore; one set
            // on another operation reaches nothing.
            job.operations
                .iter()
                .any(|op| op.kind() != Some(Op::Restore) && sets_owner(op.extra_env.as_ref()))
        } else {
            sets_owner(job.extra_env.as_ref())
                || job
                    .operations
                    .iter()
                    .any(|op| sets_owner(op.extra_env.as_ref()))
        };
        if owner_unused {
            let message = format!(
                "`DB_OWNER` is set where `{}` does not restore, and only a restore reads it: it would take effect {}",
                job.name,
                where_restored(ctx, r)
            );
            let at = ctx.place(r, &["extraEnv", "db_owner", "extra_env"]);
            out.push(ctx.at_job(&RULE, r, at, message));
        }
        for (i, op) in job.operations.iter().enumerate() {
            if op.kind() != Some(Op::Transform) || restored_before(job, i) {
                continue;
            }
            let here = OpRef {
                env: r.env,
                job: r.job,
                op: i,
            };
            let script = op.script.as_deref().unwrap_or("with no script");
            let message = format!(
                "the transform `{script}` sanitises a restored copy, but `{}` restores no `{}` before it: it would take effect {}",
                job.name,
                job.db_of(op).unwrap_or_default(),
                where_restored(ctx, r)
            );
            let at = ctx
                .op_place(here, "script")
                .unwrap_or_else(|| ctx.place(r, &["sanitise"]));
            out.push(ctx.at_job(&RULE, r, at, message));
        }
    }
    out
}

/// Whether an `extraEnv` list sets `DB_OWNER`.
fn sets_owner(env: Option<&Value>) -> bool {
    env.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|e| e.get("name").and_then(Value::as_str) == Some("DB_OWNER"))
}

/// Whether the job restores the database of its operation `i` before it.
fn restored_before(job: &Job, i: usize) -> bool {
    let db = job.db_of(&job.operations[i]);
    job.operations[..i]
        .iter()
        .any(|op| op.kind() == Some(Op::Restore) && job.db_of(op) == db)
}

/// Where the setting would take effect: the environments whose job of the
/// same name restores.
fn where_restored(ctx: &Context, r: JobRef) -> String {
    let name = &ctx.job(r).name;
    let envs: Vec<String> = (0..ctx.plan.environments.len())
        .filter_map(|e| ctx.job_named(e, name))
        .filter(|&other| {
            ctx.job(other)
                .operations
                .iter()
                .any(|op| op.kind() == Some(Op::Restore))
        })
        .map(|other| ctx.env(other).name.clone())
        .collect();
    if envs.is_empty() {
        "in a job that restores".to_owned()
    } else {
        format!("where `{name}` restores: in {}", envs.join(" and "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    /// GOV.UK's chart on 2025-10-14: DB_OWNER on production's backup-only job.
    const VALUES: &str = "cronjobs:
  production:
    content-block-manager-postgres:
      schedule: \"43 0 * * *\"
      operations:
        - op: backup
      extraEnv:
        - name: DB_OWNER
          value: content-block-manager
  staging:
    content-block-manager-postgres:
      schedule: \"43 2 * * 1-5\"
      operations:
        - op: restore
          bucket: s3://govuk-production-database-backups
        - op: backup
";

    #[test]
    fn fires_on_db_owner_where_nothing_restores() {
        let found = chart(&RULE, VALUES, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(
            (d.env.as_deref(), d.job.as_deref(), d.line, d.column),
            (
                Some("production"),
                Some("content-block-manager-postgres"),
                7,
                7
            )
        );
        assert!(
            d.message.contains("`DB_OWNER`") && d.message.contains("restores: in staging"),
            "{}",
            d.message
        );
    }

    #[test]
    fn fires_on_a_sanitise_without_a_restore() {
        let text = estate(
            "  ckan-postgres:\n    production: {schedule: 1 1 * * *, operations: [{op: transform, script: ckan.sql}, {op: backup}]}\n    staging: 1 2 * * *\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("`ckan.sql`"), "{found:?}");
    }

    #[test]
    fn quiet_where_the_settings_are_read() {
        let moved = VALUES.replace(
            "      extraEnv:\n        - name: DB_OWNER\n          value: content-block-manager\n",
            "",
        ) + "      extraEnv:\n        - name: DB_OWNER\n          value: content-block-manager\n";
        assert_eq!(chart(&RULE, &moved, &[], &[]), vec![]);
        let text = estate(
            "  ckan-postgres:\n    db_owner: ckan\n    sanitise: ckan.sql\n    production: 1 1 * * *\n    staging: 1 2 * * *\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
