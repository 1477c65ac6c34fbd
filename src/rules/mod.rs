//! Prometheus alert rules for database backups and syncs, and their promtool
//! tests, derived from the plan's schedules and speed groups.

use serde::{Deserialize, Serialize};

/// The catalogue's `alerts:` settings (thresholds, labels), with GOV.UK's
/// values as defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {}
