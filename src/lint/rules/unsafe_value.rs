use crate::lint::{Context, Mode};
use crate::model::diagnostic::{Diagnostic, Kind, Severity};
use crate::model::plan::Origin;
use crate::read::{safe, template, values};

declare_rule! {
    /// A value the chart prints unsafely, or that Kubernetes or Prometheus
    /// would refuse.
    ///
    /// ## What it catches
    /// In a values file as it stands (`--chart-repo`): a value that the
    /// chart's templates print without quotes (GOV.UK's: `db`, `host`,
    /// `dbUser`, `bucket`, `script`) but that is not a plain YAML scalar
    /// reading back as itself (`a: b`, a line break, `true`, `123`, an
    /// empty string the template does not pass over); a host that is not a
    /// valid secret key; an `extraEnv` name that is not a C identifier; a
    /// deadline helm cannot print exactly; a toolbox image that is not an
    /// OCI reference; a control character anywhere. In a catalogue these
    /// are errors of `envsync validate`, reported under this rule by lint.
    ///
    /// Which values the chart prints without quotes is read from the
    /// checkout's `charts/db-backup/templates/`; where envsync cannot
    /// follow them, it warns and checks as its bundled chart prints.
    ///
    /// ## Why it matters
    /// helm prints such a value into the CronJob as it is: a line break
    /// with the right indent adds keys to the container (an `envFrom` that
    /// mounts a secret), `a: b` stops helm, `true` becomes a boolean the API
    /// server refuses, and every envsync command would have said all is
    /// well.
    ///
    /// ## Example
    /// ```yaml
    /// cronjobs:
    ///   production:
    ///     content-store-postgres:
    ///       db: "content_store: production"   # helm fails on this
    /// ```
    ///
    /// ## How to fix
    /// Use the name the database, host or bucket really has: these are
    /// identifiers, and the real ones are plain words.
    name: "unsafe-value",
    severity: Error,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    // A catalogue with such a value does not load: it is reported as it is read.
    if ctx.mode != Mode::Chart {
        return Vec::new();
    }
    let (unquoted, unfollowed) = template::beside(ctx.path);
    let unfollowed = unfollowed.map(|e| {
        let mut d = RULE.finding(
            ctx.path,
            Origin { line: 1, column: 1 },
            format!(
                "the chart's templates could not be followed ({e}); its values are checked as envsync's bundled template prints them"
            ),
        );
        d.severity = Severity::Warning;
        d
    });
    safe::check_against(ctx.plan, &unquoted)
        .into_iter()
        .filter(|finding| finding.kind == Kind::Unsafe)
        .map(|finding| {
            let at = match &finding.place {
                safe::Place::SearchJob { origin, .. } => *origin,
                place => ctx.find(&values::pointer(place)).unwrap_or_default(),
            };
            let d = RULE.finding(ctx.path, at, finding.message);
            match &finding.place {
                safe::Place::Job { env, job, .. }
                | safe::Place::JobEnv { env, job, .. }
                | safe::Place::Operation { env, job, .. }
                | safe::Place::OperationEnv { env, job, .. }
                | safe::Place::SearchJob { env, job, .. } => d.at_job(env, job),
                _ => d,
            }
        })
        .chain(unfollowed)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    const JOB: &str = "cronjobs:\n  production:\n    a-postgres:\n      schedule: \"1 1 * * *\"\n";

    #[test]
    fn fires_on_a_value_that_rewrites_the_manifest() {
        let values = format!(
            "{JOB}      db: \"alpha\\n              envFrom:\\n                - secretRef: {{name: x}}\"\n      operations: [{{op: backup}}]\n"
        );
        let found = chart(&RULE, &values, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (5, 11));
        assert!(found[0].message.contains("U+000A"), "{found:?}");
    }

    #[test]
    fn fires_on_each_unsafe_operation_value() {
        let values = format!(
            "{JOB}      host: \"a b\"\n      operations: [{{op: backup, bucket: \"true\", script: \"a: b\"}}]\n"
        );
        let found = chart(&RULE, &values, &[], &[]);
        let places: Vec<_> = found.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(places, [(5, 13), (6, 41), (6, 57)], "{found:?}");
    }

    #[test]
    fn quiet_on_plain_values() {
        let values = format!(
            "{JOB}      db: content_store_production\n      operations: [{{op: backup, bucket: \"s3://b\"}}]\n"
        );
        assert_eq!(chart(&RULE, &values, &[], &[]), vec![]);
    }

    #[test]
    fn a_catalogue_reports_it_as_it_is_read() {
        let text = estate("  a-postgres:\n    db: \"a: b\"\n    production: 1 1 * * *\n");
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (7, 9));
    }
}
