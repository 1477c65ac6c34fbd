use crate::lint::{Context, OpRef};
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::Op;

declare_rule! {
    /// Personal data is restored into an environment with wider access than its source, with no sanitise step after the restore.
    ///
    /// ## What it catches
    /// A restore of a database marked `personal_data: true` in an
    /// environment with `wider_access: true`, when no `transform` of that
    /// database follows the restore in the job and the copy it restores was
    /// not sanitised on its way into the source environment either.
    ///
    /// ## Why it matters
    /// Everyone who can read the wider environment (integration: every
    /// developer) can read the personal data: names, email addresses,
    /// accounts. That is a data breach, not a glitch.
    ///
    /// ## Example
    /// ```yaml
    /// environments:
    ///   production:
    ///   staging: {restore_from: production}
    ///   integration: {restore_from: staging, wider_access: true}
    /// databases:
    ///   email-alert-api-postgres:
    ///     personal_data: true
    ///     production: 54 23 * * *
    ///     staging: 54 1 * * 1-5          # no sanitise here...
    ///     integration: 54 3 * * 1        # ...nor here
    /// ```
    ///
    /// ## How to fix
    /// Give the database a `sanitise:` script (in the chart's `scripts/`)
    /// in the wider environment, or in an environment on the way to it.
    name: "unsanitised-copy",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for restore in ctx.restores() {
        let (r, env, job, db) = (restore.at.job(), restore.env, restore.job, restore.db);
        if !env.wider_access || !job.personal_data {
            continue;
        }
        let sanitised_here = job.operations[restore.at.op + 1..]
            .iter()
            .any(|t| t.kind() == Some(Op::Transform) && job.db_of(t).unwrap_or_default() == db);
        if sanitised_here || copy_sanitised(ctx, restore.bucket, job.host(), db, 0) {
            continue;
        }
        let source = ctx
            .env_of_bucket(restore.bucket)
            .map_or_else(|| format!("`{}`", restore.bucket), |e| e.name.clone());
        let message = format!(
            "restores personal data (`{db}`) from {source}'s unsanitised copy into {}, which more people can read, and nothing sanitises it after the restore",
            env.name
        );
        let at = ctx.op_place(restore.at, "op").unwrap_or(job.origin.job);
        out.push(ctx.at_job(&RULE, r, at, message));
    }
    out
}

/// Whether the copies of a database in a bucket were sanitised on their
/// way there: by a transform after the restore in the job that backs them
/// up, or earlier along the chain of restores.
fn copy_sanitised(ctx: &Context, bucket: &str, host: &str, db: &str, depth: usize) -> bool {
    let backups = ctx.backups_of(bucket, host, db);
    if backups.is_empty() || depth > 8 {
        return false;
    }
    backups.iter().all(|b| {
        let job = ctx.job(b.job());
        let before = &job.operations[..b.op];
        let Some(restore) = before
            .iter()
            .rposition(|o| o.kind() == Some(Op::Restore) && job.db_of(o).unwrap_or_default() == db)
        else {
            // The environment's own data: not a sanitised copy.
            return false;
        };
        let transformed = before[restore + 1..]
            .iter()
            .any(|o| o.kind() == Some(Op::Transform) && job.db_of(o).unwrap_or_default() == db);
        transformed || {
            let from = OpRef { op: restore, ..*b };
            copy_sanitised(ctx, ctx.bucket_of(from), job.host(), db, depth + 1)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, estate};

    #[test]
    fn fires_when_nothing_sanitises_on_the_way() {
        let text = estate(
            "  email-alert-api-postgres:\n    personal_data: true\n    production: 54 23 * * *\n    staging: 54 1 * * 1-5\n    integration: 54 3 * * 1\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].env.as_deref(), Some("integration"));
        assert_eq!(found[0].line, 10);
    }

    #[test]
    fn quiet_when_sanitised_earlier_or_here() {
        // Staging sanitises, so integration restores a sanitised copy.
        let text = estate(
            "  email-alert-api-postgres:\n    personal_data: true\n    production: 54 23 * * *\n    staging: {schedule: 54 1 * * 1-5, sanitise: email-alert-api.sql}\n    integration: 54 3 * * 1\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
        let text = estate(
            "  email-alert-api-postgres:\n    personal_data: true\n    production: 54 23 * * *\n    staging: 54 1 * * 1-5\n    integration: {schedule: 54 3 * * 1, sanitise: email-alert-api.sql}\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
        // Not personal data.
        let text = estate(
            "  chat-postgres:\n    production: 54 23 * * *\n    staging: 54 1 * * 1-5\n    integration: 54 3 * * 1\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
