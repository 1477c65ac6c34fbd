use crate::lint::{Context, Mode};
use crate::model::diagnostic::Diagnostic;
use crate::read::facts;

declare_rule! {
    /// A restore that reads a bucket other than the one its environment restores from.
    ///
    /// ## What it catches
    /// A running job's restore whose bucket is not the bucket of the
    /// environment its environment restores from. In a catalogue that is
    /// the environment's `restore_from`. In chart mode it is what the
    /// checkout's `.envsync.yaml` says (`environments: {integration:
    /// {restore_from: staging}}`), and otherwise the environment whose
    /// bucket most of the environment's restores read.
    ///
    /// ## Why it matters
    /// Each environment can read only its source's bucket: integration
    /// cannot read production's, so the restore fails every run. Where it
    /// can read it, the copy skips the sanitising its source does on the
    /// way, and the environment's data no longer comes from where everyone
    /// thinks.
    ///
    /// ## Example
    /// ```yaml
    ///   integration:                  # restores from staging
    ///     content-block-manager-postgres:
    ///       operations:
    ///         - op: restore
    ///           bucket: s3://govuk-production-database-backups
    /// ```
    ///
    /// ## How to fix
    /// Read the source environment's bucket
    /// (`s3://govuk-staging-database-backups` above). If the exception is
    /// deliberate, say why with an `allow` and a reason.
    name: "restore-wrong-source",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for restore in ctx.restores() {
        let (r, env, job, bucket) = (restore.at.job(), restore.env, restore.job, restore.bucket);
        if ctx.is_origin(r.env) || !ctx.runs(r) {
            continue;
        }
        let Some(source) = env
            .restore_from
            .as_deref()
            .and_then(|s| ctx.plan.environment(s))
        else {
            continue;
        };
        if bucket == source.bucket {
            continue;
        }
        let whose = match ctx.env_of_bucket(bucket) {
            Some(e) => format!("{}'s bucket", e.name),
            None => "a bucket no environment backs up to".to_owned(),
        };
        let said = match ctx.mode {
            Mode::Chart => format!(
                " (by {}, or else by the bucket most of its restores read)",
                facts::FILE
            ),
            Mode::Catalogue => String::new(),
        };
        let message = format!(
            "`{}` restores `{}` from `{bucket}`, {whose}, but {} restores from {}{said}, whose bucket is `{}`: {} may not be able to read `{bucket}`, and the copy skips what {} does to it on the way",
            job.name, restore.db, env.name, source.name, source.bucket, env.name, source.name,
        );
        let at = ctx
            .op_place(restore.at, "bucket")
            .map(|at| ctx.text_start(at))
            .unwrap_or(job.origin.job);
        out.push(ctx.at_job(&RULE, r, at, message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    /// Integration restores from staging: three jobs read its bucket.
    fn values(bucket: &str) -> String {
        let job = |name: &str, bucket: &str| {
            format!(
                "    {name}:\n      schedule: \"43 2 * * 1\"\n      operations:\n        - op: restore\n          bucket: s3://govuk-{bucket}-database-backups\n        - op: backup\n"
            )
        };
        format!(
            "cronjobs:\n  production:\n    ckan-postgres:\n      schedule: \"43 0 * * *\"\n      operations: [{{op: backup}}]\n  staging:\n{}  integration:\n{}{}{}",
            job("ckan-postgres", "production"),
            job("ckan-postgres", "staging"),
            job("chat-postgres", "staging"),
            job("content-block-manager-postgres", bucket),
        )
    }

    #[test]
    fn fires_on_a_restore_from_another_environments_bucket() {
        let found = chart(&RULE, &values("production"), &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.env.as_deref(), Some("integration"));
        assert_eq!(d.job.as_deref(), Some("content-block-manager-postgres"));
        assert_eq!((d.line, d.column), (30, 19));
        assert!(
            d.message
                .contains("from `s3://govuk-production-database-backups`, production's bucket, but integration restores from staging"),
            "{}",
            d.message
        );
        let text = estate(
            "  chat-postgres:\n    production: 1 1 * * *\n    staging: 1 2 * * *\n    integration:\n      schedule: 1 3 * * *\n      operations: [{op: restore, from: production}]\n",
        );
        assert_eq!(catalogue(&RULE, &text).len(), 1);
    }

    #[test]
    fn quiet_when_restores_read_their_source() {
        assert_eq!(chart(&RULE, &values("staging"), &[], &[]), vec![]);
        let text = estate(
            "  chat-postgres:\n    production: 1 1 * * *\n    staging: 1 2 * * *\n    integration: 1 3 * * *\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
