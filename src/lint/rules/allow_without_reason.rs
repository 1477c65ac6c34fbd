use crate::lint::Context;
use crate::model::diagnostic::Diagnostic;

declare_rule! {
    /// A suppression without a reason.
    ///
    /// ## What it catches
    /// A `# envsync: allow RULE` comment with no `-- reason` after the rule
    /// (or with an empty one), or a catalogue `allow` entry whose `reason`
    /// is blank. Such a suppression does not suppress anything.
    ///
    /// ## Why it matters
    /// A suppression is a decision that a finding is fine here. Without the
    /// why, the next person cannot tell a considered exception from a
    /// silenced alarm, nor when it stops being true.
    ///
    /// ## Example
    /// ```yaml
    ///     signon-mysql-restore:   # envsync: allow host-overlap
    /// ```
    ///
    /// ## How to fix
    /// Say why after ` -- `:
    /// `# envsync: allow host-overlap -- only run by hand, never with the backup`.
    name: "allow-without-reason",
    severity: Error,
    check: check,
}

/// Reported while suppressions are applied, not by a check of its own.
fn check(_: &Context) -> Vec<Diagnostic> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::chart;

    const VALUES: &str = "cronjobs:
  integration:
    signon-mysql:
      schedule: \"3 3 * * *\"
      operations: [{op: backup}]
    signon-mysql-restore:  # envsync: allow host-overlap REASON
      host: signon-mysql
      schedule: \"3 3 * * 1\"
      operations: [{op: restore}]
";

    #[test]
    fn fires_without_a_reason_and_suppresses_nothing() {
        let values = VALUES.replace(" REASON", "");
        let found = chart(&RULE, &values, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (6, 28));
        let all = chart(&crate::lint::rules::host_overlap::RULE, &values, &[], &[]);
        assert_eq!(all.len(), 2, "{all:?}");
    }

    #[test]
    fn quiet_with_a_reason() {
        let values = VALUES.replace(" REASON", " -- run by hand only");
        assert_eq!(chart(&RULE, &values, &[], &[]), vec![]);
        // It suppresses the finding on its job only.
        let left = chart(&crate::lint::rules::host_overlap::RULE, &values, &[], &[]);
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0].job.as_deref(), Some("signon-mysql"));
    }
}
