//! The catalogue's JSON Schema: shipped in `schema/`, compiled into the
//! binary, so nothing is compiled at run time.

use serde_json::Value;

/// The catalogue's JSON Schema, as `envsync schema` prints it.
pub const SCHEMA: &str = include_str!("../../schema/catalogue.schema.json");

/// Every way catalogue data breaks the schema.
pub fn errors(data: &Value) -> impl Iterator<Item = jsonschema::ValidationError<'_>> {
    Catalogue::iter_errors(data)
}

/// The whole catalogue.
#[jsonschema::validator(
    path = "schema/catalogue.schema.json",
    draft = Draft202012,
    pattern_options = { engine = regex }
)]
struct Catalogue;

/// The parts of a catalogue that `import` copies as they are from a values
/// file: a job's `resources`, an `extraEnv` list, the chart-level values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Resources,
    EnvVars,
    Chart,
}

/// The first way `value` breaks the schema's rules for `part`, if it does:
/// the JSON Pointer below `value` where, and the message.
pub fn check_part(part: Part, value: &Value) -> Option<(String, String)> {
    let error = match part {
        Part::Resources => Resources::iter_errors(value).next(),
        Part::EnvVars => EnvVars::iter_errors(value).next(),
        Part::Chart => Chart::iter_errors(value).next(),
    }?;
    Some((error.instance_path().to_string(), error.to_string()))
}

#[jsonschema::validator(
    schema = r#"{"$ref": "json-schema:///catalogue.json#/$defs/resources"}"#,
    resources = {"json-schema:///catalogue.json" => {path = "schema/catalogue.schema.json"}},
    draft = Draft202012,
    pattern_options = { engine = regex }
)]
struct Resources;

#[jsonschema::validator(
    schema = r#"{"$ref": "json-schema:///catalogue.json#/$defs/envVars"}"#,
    resources = {"json-schema:///catalogue.json" => {path = "schema/catalogue.schema.json"}},
    draft = Draft202012,
    pattern_options = { engine = regex }
)]
struct EnvVars;

#[jsonschema::validator(
    schema = r#"{"$ref": "json-schema:///catalogue.json#/properties/chart"}"#,
    resources = {"json-schema:///catalogue.json" => {path = "schema/catalogue.schema.json"}},
    draft = Draft202012,
    pattern_options = { engine = regex }
)]
struct Chart;

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema file spells out the `alerts:` settings the rules module reads.
    #[test]
    fn the_alerts_schema_is_the_rules_settings_schema() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let expected = crate::model::alerts::json_schema();
        assert_eq!(
            schema["properties"]["alerts"],
            expected,
            "schema/catalogue.schema.json properties.alerts should be:\n{}",
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }
}
