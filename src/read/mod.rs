//! Reading sources into a plan: YAML with the place of every node, the
//! catalogue and its schema, a chart's values file, and the speed groups
//! a chart's alert rules give.

pub mod catalogue;
pub mod rules;
pub mod safe;
pub mod schema;
pub mod values;
pub mod yaml;
