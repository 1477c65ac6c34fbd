//! The lint rules, one per file. Each file declares its rule with
//! `declare_rule!`: a stable name, a severity, a check, and a doc comment
//! that `envsync rule NAME` prints.

use super::Rule;

pub mod alert_coverage;
pub mod alert_window;
pub mod allow_without_reason;
pub mod cron_syntax;
pub mod deadline_too_short;
pub mod host_overlap;
pub mod name_length;
pub mod order;
pub mod restore_before_backup;
pub mod restore_into_origin;
pub mod restore_source_missing;
pub mod restore_wrong_source;
pub mod schema;
pub mod script_missing;
pub mod self_overlap;
pub mod snapshot_before_restore;
pub mod unsafe_value;
pub mod unsanitised_copy;
pub mod unused_allow;
pub mod unused_setting;

/// Every rule, in the order `envsync rules` lists them.
pub const ALL: &[Rule] = &[
    schema::RULE,
    cron_syntax::RULE,
    name_length::RULE,
    unsafe_value::RULE,
    restore_before_backup::RULE,
    snapshot_before_restore::RULE,
    restore_source_missing::RULE,
    restore_wrong_source::RULE,
    unsanitised_copy::RULE,
    restore_into_origin::RULE,
    alert_coverage::RULE,
    alert_window::RULE,
    deadline_too_short::RULE,
    script_missing::RULE,
    host_overlap::RULE,
    order::RULE,
    self_overlap::RULE,
    unused_setting::RULE,
    unused_allow::RULE,
    allow_without_reason::RULE,
];
