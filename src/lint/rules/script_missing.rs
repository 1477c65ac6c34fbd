use crate::lint::{Context, OpRef, suggest};
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::Op;
use crate::read::values::check_script;
use std::collections::BTreeSet;

declare_rule! {
    /// A job whose DBMS has no `backup-<dbms>` script in the chart, or a sanitise script that is not in the chart's scripts/ or does not fit the DBMS.
    ///
    /// ## What it catches
    /// A job whose DBMS has no `backup-<dbms>` script in the chart: every
    /// container of the job runs `/opt/bin/backup-<dbms>`, whatever the
    /// operation. The DBMS is the job's `dbms`, or else the last
    /// `-`-separated word of its host (`documentdb` means mongo), so a job
    /// named `signon-mysql-backup` with no `host` runs `backup-backup`.
    /// The scripts are read from `charts/db-backup/scripts/` or, as the
    /// chart kept them before 2023-11, `backup-<dbms>.sh` at the chart's
    /// root; where lint sees no `backup-` scripts (a catalogue alone, or a
    /// chart without them) it takes the DBMSes the chart supports today:
    /// mongo, mysql and postgres.
    ///
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
    ///     content-tagger-postgres:
    ///       dbms: postgresql           # the chart has backup-postgres
    ///     whitehall-mysql:
    ///       operations:
    ///         - op: transform
    ///           script: whitehal.sql       # the file is whitehall.sql
    /// ```
    ///
    /// ## How to fix
    /// Write `dbms:` as one of the DBMSes the message lists (or give the
    /// job the `host` its DBMS is read from). Name a sanitise script that exists in the chart's `scripts/` (the message
    /// suggests a near one), or add the script to the chart in the same
    /// change.
    name: "script-missing",
    severity: Error,
    check: check,
}

/// The DBMSes the chart of today has a `backup-<dbms>` script for.
const TODAYS_DBMSES: &[&str] = &["mongo", "mysql", "postgres"];

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut dbmses: BTreeSet<&str> = ctx
        .scripts
        .into_iter()
        .flatten()
        .filter_map(|s| s.strip_prefix("backup-"))
        .map(|s| s.strip_suffix(".sh").unwrap_or(s))
        .collect();
    let which_chart = if dbmses.is_empty() {
        dbmses.extend(TODAYS_DBMSES);
        "the chart of today has"
    } else {
        "the chart has"
    };
    for (r, _, job) in ctx.jobs() {
        let dbms = job.dbms();
        if !dbmses.contains(dbms) {
            let why = match &job.dbms {
                Some(written) => format!("its `dbms: {written}`"),
                None => format!("the last word of its host `{}`", job.host()),
            };
            let hint = suggest(dbms, dbmses.iter().copied());
            let known: Vec<String> = dbmses.iter().map(|d| format!("`{d}`")).collect();
            let message = format!(
                "`{}` runs `backup-{dbms}` (DBMS `{dbms}`, from {why}), which the chart does not have{hint}; {which_chart} scripts for {}",
                job.name,
                known.join(", ")
            );
            let at = ctx.place(r, &["dbms", "host"]);
            out.push(ctx.at_job(&RULE, r, at, message));
        }
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
        let found = chart(&RULE, &values, SCRIPTS, &[]);
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

    const SCRIPTS: &[&str] = &["backup-mysql", "backup-postgres", "whitehall.sql"];

    #[test]
    fn fires_on_a_dbms_the_chart_has_no_script_for() {
        // Written out, as GOV.UK's chart had it until 2023-10.
        let values = VALUES.replace(
            "      db: whitehall",
            "      dbms: postgresql\n      db: whitehall",
        );
        let found = chart(&RULE, &values, SCRIPTS, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (5, 13));
        let m = &found[0].message;
        assert!(m.contains("`backup-postgresql`"), "{m}");
        assert!(m.contains("did you mean `postgres`"), "{m}");
        assert!(m.contains("`mysql`, `postgres`"), "{m}");
        // Inferred from the host: `signon-mysql-backup` is DBMS `backup`.
        let values = VALUES.replace("whitehall-mysql:", "signon-mysql-backup:");
        let found = chart(&RULE, &values, SCRIPTS, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("`backup-backup`"), "{found:?}");
        // A chart without scripts: today's DBMSes count.
        let text = estate("  chat-postgresql:\n    production: 1 1 * * *\n");
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("the chart of today has scripts for `mongo`, `mysql`, `postgres`"),
            "{found:?}"
        );
    }

    #[test]
    fn quiet_when_the_dbms_has_its_script() {
        // The chart of 2023-10 kept `backup-mysql.sh` at its root.
        let root = ["backup-mysql", "backup-postgres"];
        let values = VALUES.replace(
            "whitehall-mysql:",
            "signon-mysql-backup:\n      host: signon-mysql",
        );
        let values = values.replace(
            "        - op: transform\n          script: whitehall.sql\n",
            "",
        );
        assert_eq!(chart(&RULE, &values, &root, &[]), vec![]);
        let text = estate("  shared-documentdb:\n    production: 1 1 * * *\n");
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }

    #[test]
    fn quiet_when_the_script_is_there() {
        assert_eq!(chart(&RULE, VALUES, SCRIPTS, &[]), vec![]);
        let text = estate(
            "  whitehall-mysql:\n    sanitise: whitehall.sql\n    production: 1 1 * * *\n    staging: 1 2 * * *\n",
        );
        assert_eq!(
            catalogue_with_scripts(&RULE, &text, &["whitehall.sql"]),
            vec![]
        );
    }
}
