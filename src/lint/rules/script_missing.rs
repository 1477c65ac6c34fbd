use crate::lint::{Context, OpRef, suggest};
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::Op;
use crate::read::values::check_script;

declare_rule! {
    /// A sanitise script that is not in the chart's scripts/, or whose kind does not fit the DBMS.
    ///
    /// ## What it catches
    /// A `transform` whose script is not a file in the chart's
    /// `charts/db-backup/scripts/` (checked when lint sees the chart: in
    /// chart mode, or with `--chart-repo`), that has no script, whose name
    /// is a path rather than a file name, or whose kind does not fit the
    /// database: `.sql` for postgres and mysql, `.js` for mongo
    /// (DocumentDB).
    ///
    /// ## Why it matters
    /// The transform fails after the restore has already replaced the
    /// database, so the environment is left holding an unsanitised copy,
    /// and the job's backup never runs.
    ///
    /// ## Example
    /// ```yaml
    ///     whitehall-mysql:
    ///       operations:
    ///         - op: transform
    ///           script: whitehal.sql       # the file is whitehall.sql
    /// ```
    ///
    /// ## How to fix
    /// Name a script that exists in the chart's `scripts/` (the message
    /// suggests a near one), or add the script to the chart in the same
    /// change.
    name: "script-missing",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (r, _, job) in ctx.jobs() {
        for (i, op) in job.operations.iter().enumerate() {
            if op.kind() != Some(Op::Transform) {
                continue;
            }
            let here = OpRef {
                env: r.env,
                job: r.job,
                op: i,
            };
            // Found only for a finding: looking a place up is not cheap.
            let at = || {
                ctx.op_place(here, "script")
                    .unwrap_or_else(|| ctx.place(r, &["sanitise"]))
            };
            let Some(script) = op.script.as_deref() else {
                let message =
                    "a transform with no script: there is nothing for it to run".to_owned();
                out.push(ctx.at_job(&RULE, r, at(), message));
                continue;
            };
            let message = if let Err(why) = check_script(script) {
                why
            } else if let Some(scripts) = ctx.scripts.filter(|s| !s.contains(script)) {
                let hint = suggest(script, scripts.iter().map(String::as_str));
                format!("script `{script}` is not in the chart's scripts/{hint}")
            } else {
                let dbms = job.dbms();
                let want = match dbms {
                    "postgres" | "mysql" => ".sql",
                    "mongo" => ".js",
                    _ => continue,
                };
                if script.ends_with(want) {
                    continue;
                }
                format!(
                    "script `{script}` does not fit `{}`'s DBMS, {dbms}, which runs {want} scripts",
                    job.name
                )
            };
            out.push(ctx.at_job(&RULE, r, at(), message));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, catalogue_with_scripts, chart, estate};

    const VALUES: &str = "cronjobs:
  staging:
    whitehall-mysql:
      schedule: \"28 1 * * 1-5\"
      db: whitehall_production
      operations:
        - op: restore
        - op: transform
          script: whitehall.sql
        - op: backup
";

    #[test]
    fn fires_on_a_typo() {
        let values = VALUES.replace("script: whitehall.sql", "script: whitehal.sql");
        let found = chart(&RULE, &values, &["whitehall.sql"], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (9, 19));
        assert!(
            found[0].message.contains("did you mean `whitehall.sql`"),
            "{found:?}"
        );
    }

    #[test]
    fn fires_on_the_wrong_kind() {
        let text = estate(
            "  whitehall-mysql:\n    sanitise: whitehall.js\n    production: 1 1 * * *\n    staging: 1 2 * * *\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (7, 15));
        assert!(found[0].message.contains("runs .sql scripts"), "{found:?}");
    }

    #[test]
    fn quiet_when_the_script_is_there() {
        assert_eq!(chart(&RULE, VALUES, &["whitehall.sql"], &[]), vec![]);
        let text = estate(
            "  whitehall-mysql:\n    sanitise: whitehall.sql\n    production: 1 1 * * *\n    staging: 1 2 * * *\n",
        );
        assert_eq!(
            catalogue_with_scripts(&RULE, &text, &["whitehall.sql"]),
            vec![]
        );
    }
}
