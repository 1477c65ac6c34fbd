//! Reading sources into a plan: YAML with the place of every node, the
//! catalogue and its schema, a chart's values file, the facts beside it in
//! `.envsync.yaml`, and the speed groups a chart's alert rules give.

pub mod catalogue;
pub mod facts;
pub mod rules;
pub mod schema;
pub mod values;
pub mod yaml;
