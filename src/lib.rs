//! envsync: one catalogue for GOV.UK's environment data sync.
//!
//! The pipeline: catalogue (YAML) → validated model → [`plan::Plan`] →
//! rendered values, CronJob manifests and alert rules.

pub mod catalogue;
pub mod checkout;
pub mod cli;
pub mod cron;
pub mod diagnostic;
pub mod diff;
pub mod explain;
pub mod import;
pub mod lint;
pub mod manifests;
pub mod model;
pub mod output;
pub mod outputs;
pub mod plan;
pub mod promql;
pub mod rules;
pub mod schedule;
pub mod schema;
pub mod synthetic;
pub mod templates;
pub mod values;
pub mod yaml;
