use crate::lint::Context;
use crate::model::diagnostic::Diagnostic;

declare_rule! {
    /// The file breaks the schema: it cannot be read as a catalogue or a values file.
    ///
    /// ## What it catches
    /// In a catalogue: anything its JSON Schema or its meaning checks
    /// reject (an unknown key, a misspelt environment, a wrong type, a
    /// profile that does not exist). In a chart's values file: an unknown
    /// job or operation key, a value of the wrong type, a job without a
    /// schedule or operations, a job name Kubernetes would not accept.
    ///
    /// ## Why it matters
    /// Helm ignores keys it does not know, so a misspelt `maxJobRuntimeSecond`
    /// silently leaves the default in place; a catalogue that does not load
    /// renders nothing. Every other rule needs a file that reads cleanly.
    ///
    /// ## Example
    /// ```yaml
    /// cronjobs:
    ///   staging:
    ///     ckan-postgres:
    ///       schedule: "43 1 * * 0"
    ///       maxJobRuntimeSecond: 86400   # unknown job key
    /// ```
    ///
    /// ## How to fix
    /// Use the key or value the message suggests (`envsync schema` prints
    /// the catalogue's schema; the chart's keys are listed in the message).
    name: "schema",
    severity: Error,
    check: check,
}

/// The problems met while reading the file.
fn check(ctx: &Context) -> Vec<Diagnostic> {
    ctx.problems
        .iter()
        .filter(|d| d.rule == RULE.name)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    #[test]
    fn fires_on_an_unknown_key() {
        let text = estate("  chat-postgres:\n    sanitize: chat.sql\n    production: 1 1 * * *\n");
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].line, 7);
        let values = "cronjobs:\n  production:\n    chat-postgres:\n      schedule: \"1 1 * * *\"\n      maxJobRuntimeSecond: 5\n      operations: [{op: backup}]\n";
        let found = chart(&RULE, values, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (5, 7));
        assert_eq!(found[0].job.as_deref(), Some("chat-postgres"));
    }

    #[test]
    fn quiet_on_a_good_file() {
        let text = estate("  chat-postgres:\n    production: 1 1 * * *\n");
        assert_eq!(catalogue(&RULE, &text), vec![]);
        let values = "cronjobs:\n  production:\n    chat-postgres:\n      schedule: \"1 1 * * *\"\n      operations: [{op: backup}]\n";
        assert_eq!(chart(&RULE, values, &[], &[]), vec![]);
    }
}
