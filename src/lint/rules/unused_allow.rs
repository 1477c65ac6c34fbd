use crate::lint::Context;
use crate::model::diagnostic::Diagnostic;

declare_rule! {
    /// A suppression that suppresses nothing.
    ///
    /// ## What it catches
    /// An `allow` entry in a catalogue, or a `# envsync: allow RULE --
    /// reason` comment, that no finding of its rule matches, including one
    /// that names a rule that does not exist.
    ///
    /// ## Why it matters
    /// A stale suppression hides the next real problem of its kind at that
    /// place, and its reason no longer explains anything. A misspelt rule
    /// name suppresses nothing while looking as if it did.
    ///
    /// ## Example
    /// ```yaml
    ///   content-data-api-postgres:
    ///     allow:
    ///       - {rule: restore-before-bakup, reason: "last week's copy is fine"}
    /// ```
    ///
    /// ## How to fix
    /// Remove the suppression, or correct the rule's name (`envsync rules`
    /// lists them).
    name: "unused-allow",
    severity: Warning,
    check: check,
}

/// Reported while suppressions are applied, not by a check of its own.
fn check(_: &Context) -> Vec<Diagnostic> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    const DATABASE: &str = "  content-data-api-postgres:\n    speed: {backup: slower, restore: slowest}\n    ALLOW\n    production: 35 23 * * *\n    staging: {schedule: 35 1 * * 6, max_runtime_seconds: 86400}\n    integration: {schedule: 37 1 * * 0, max_runtime_seconds: 86400}\n";

    fn with_allow(allow: &str) -> String {
        estate(&DATABASE.replace("ALLOW", allow))
    }

    #[test]
    fn fires_on_a_misspelt_or_stale_suppression() {
        let text =
            with_allow("allow: [{rule: restore-before-bakup, reason: last week's copy is fine}]");
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (8, 20));
        assert!(
            found[0]
                .message
                .contains("did you mean `restore-before-backup`")
        );
        let text = with_allow("allow: [{rule: host-overlap, reason: shared host}]");
        assert_eq!(catalogue(&RULE, &text).len(), 1);
        let values = "cronjobs:\n  production:\n    a-postgres:  # envsync: allow order -- kept for later\n      schedule: \"1 1 * * *\"\n      operations: [{op: backup}]\n";
        let found = chart(&RULE, values, &[], &[]);
        assert_eq!((found.len(), found[0].line, found[0].column), (1, 3, 18));
    }

    #[test]
    fn quiet_when_it_suppresses_something() {
        let text =
            with_allow("allow: [{rule: restore-before-backup, reason: last week's copy is fine}]");
        let found = crate::lint::testing::check_catalogue(&text, None);
        assert!(
            found
                .iter()
                .all(|d| d.rule != RULE.name && d.rule != "restore-before-backup"),
            "{found:?}"
        );
    }
}
