//! envsync: one catalogue for GOV.UK's environment data sync.
//!
//! The pipeline, a module each: [`read`] a catalogue (or a chart's values
//! and rules) into the [`model`]'s `Plan`; [`lint`] it; [`render`] the
//! chart's values, CronJob manifests and alert rules from it; compare them
//! with a govuk-helm-charts checkout and write them into one ([`chart`]).
//! [`cli`] is the command line; [`cron`] and [`promql`] are the two
//! languages the chart speaks besides YAML.

pub mod chart;
pub mod cli;
pub mod cron;
pub mod lint;
pub mod model;
pub mod output;
pub mod promql;
pub mod read;
pub mod render;
pub mod synthetic;
