//! Templates for the rendered files: embedded defaults, overridable per file.
//!
//! Templates named `*.yaml` auto-escape every `{{ value }}` as JSON, which is
//! valid YAML, so no value can change the structure of what is rendered.
//! Undefined variables are errors.

use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior, Value};
use std::path::{Path, PathBuf};

/// The default templates, by name. A file of the same name in a
/// `--templates DIR` replaces one of these.
const EMBEDDED: &[(&str, &str)] = &[
    ("cronjob.yaml", include_str!("../templates/cronjob.yaml")),
    (
        "rules/group_name.txt",
        include_str!("../templates/rules/group_name.txt"),
    ),
    (
        "rules/links.txt",
        include_str!("../templates/rules/links.txt"),
    ),
    (
        "rules/runbook_url.txt",
        include_str!("../templates/rules/runbook_url.txt"),
    ),
    (
        "rules/failed/alert.txt",
        include_str!("../templates/rules/failed/alert.txt"),
    ),
    (
        "rules/failed/summary.txt",
        include_str!("../templates/rules/failed/summary.txt"),
    ),
    (
        "rules/failed/description.txt",
        include_str!("../templates/rules/failed/description.txt"),
    ),
    (
        "rules/taking_a_long_time/alert.txt",
        include_str!("../templates/rules/taking_a_long_time/alert.txt"),
    ),
    (
        "rules/taking_a_long_time/summary.txt",
        include_str!("../templates/rules/taking_a_long_time/summary.txt"),
    ),
    (
        "rules/taking_a_long_time/description.txt",
        include_str!("../templates/rules/taking_a_long_time/description.txt"),
    ),
    (
        "rules/not_completed/alert.txt",
        include_str!("../templates/rules/not_completed/alert.txt"),
    ),
    (
        "rules/not_completed/summary.txt",
        include_str!("../templates/rules/not_completed/summary.txt"),
    ),
    (
        "rules/not_completed/description.txt",
        include_str!("../templates/rules/not_completed/description.txt"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template {name}: {source:#}")]
    Render {
        name: String,
        source: minijinja::Error,
    },
}

/// Writes a value into a template's output as minijinja's own formatter
/// does (for a `.yaml` template, as a JSON scalar: see
/// `templates/cronjob.yaml`), but a string straight from its text, not
/// through a serialization of the template value that holds it.
fn format_value(out: &mut Output, state: &State, value: &Value) -> Result<(), minijinja::Error> {
    if state.auto_escape() == AutoEscape::Json
        && !value.is_safe()
        && let Some(text) = value.as_str()
    {
        // What JSON escapes: control characters, quotes and backslashes.
        // (Folded rather than searched, so that it is checked many bytes at a
        // time.)
        let plain = !text.bytes().fold(false, |found, b| {
            found | (b < 0x20) | (b == b'"') | (b == b'\\')
        });
        let written = if plain {
            ["\"", text, "\""]
                .into_iter()
                .try_for_each(|s| out.write_str(s))
        } else {
            let quoted = serde_json::to_string(text).map_err(|e| {
                minijinja::Error::new(ErrorKind::BadSerialization, "cannot write as JSON")
                    .with_source(e)
            })?;
            out.write_str(&quoted)
        };
        return written.map_err(minijinja::Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

/// The set of templates a render uses.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The embedded templates, each replaced by a file of the same name in
    /// `dir` when there is one.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_formatter(format_value);
        for (name, source) in EMBEDDED {
            let source = match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|source| TemplateError::Read { path, source })?,
                None => (*source).to_owned(),
            };
            env.add_template_owned(*name, source)
                .map_err(|source| TemplateError::Render {
                    name: (*name).to_owned(),
                    source,
                })?;
        }
        Ok(Templates { env })
    }

    /// Renders template `name` with `context`.
    pub fn render<S: serde::Serialize>(
        &self,
        name: &str,
        context: S,
    ) -> Result<String, TemplateError> {
        let wrap = |source| TemplateError::Render {
            name: name.to_owned(),
            source,
        };
        self.env
            .get_template(name)
            .map_err(wrap)?
            .render(context)
            .map_err(wrap)
    }

    /// The names of every template, for `--templates` users to copy from.
    pub fn names() -> impl Iterator<Item = &'static str> {
        EMBEDDED.iter().map(|(name, _)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{{ value }}` in a `.yaml` template, with envsync's formatter and
    /// with minijinja's own.
    fn both_ways(value: serde_json::Value) -> (String, String) {
        let render = |formatter: bool| {
            let mut env = Environment::new();
            if formatter {
                env.set_formatter(format_value);
            }
            env.add_template("t.yaml", "{{ value }} {{ safe | safe }}")
                .unwrap();
            let context = serde_json::json!({"value": value, "safe": "a\"b"});
            env.get_template("t.yaml").unwrap().render(context).unwrap()
        };
        (render(true), render(false))
    }

    #[test]
    fn formats_values_as_minijinja_does() {
        for value in [
            serde_json::json!("54 3 * * *"),
            serde_json::json!("quote \" backslash \\ tab \t newline \n bell \u{7} del \u{7f} é"),
            serde_json::json!(""),
            serde_json::json!(42),
            serde_json::json!(-1.5),
            serde_json::json!(true),
            serde_json::json!(null),
            serde_json::json!(["a", 1]),
            serde_json::json!({"k": "v"}),
        ] {
            let (ours, theirs) = both_ways(value.clone());
            assert_eq!(ours, theirs, "{value}");
        }
    }
}
