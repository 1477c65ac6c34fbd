//! Templates for the rendered files: embedded defaults, overridable per file.
//!
//! Templates named `*.yaml` auto-escape every `{{ value }}` as JSON (minijinja
//! writes it with `serde_json::to_string`), which is valid YAML, so no value
//! can change the structure of what is rendered.
//! Undefined variables are errors.

use minijinja::{Environment, UndefinedBehavior};
use std::path::{Path, PathBuf};

/// The default templates, by name. A file of the same name in a
/// `--templates DIR` replaces one of these.
const EMBEDDED: &[(&str, &str)] = &[
    ("cronjob.yaml", include_str!("../../templates/cronjob.yaml")),
    (
        "rules/group_name.txt",
        include_str!("../../templates/rules/group_name.txt"),
    ),
    (
        "rules/links.txt",
        include_str!("../../templates/rules/links.txt"),
    ),
    (
        "rules/runbook_url.txt",
        include_str!("../../templates/rules/runbook_url.txt"),
    ),
    (
        "rules/failed/alert.txt",
        include_str!("../../templates/rules/failed/alert.txt"),
    ),
    (
        "rules/failed/summary.txt",
        include_str!("../../templates/rules/failed/summary.txt"),
    ),
    (
        "rules/failed/description.txt",
        include_str!("../../templates/rules/failed/description.txt"),
    ),
    (
        "rules/taking_a_long_time/alert.txt",
        include_str!("../../templates/rules/taking_a_long_time/alert.txt"),
    ),
    (
        "rules/taking_a_long_time/summary.txt",
        include_str!("../../templates/rules/taking_a_long_time/summary.txt"),
    ),
    (
        "rules/taking_a_long_time/description.txt",
        include_str!("../../templates/rules/taking_a_long_time/description.txt"),
    ),
    (
        "rules/not_completed/alert.txt",
        include_str!("../../templates/rules/not_completed/alert.txt"),
    ),
    (
        "rules/not_completed/summary.txt",
        include_str!("../../templates/rules/not_completed/summary.txt"),
    ),
    (
        "rules/not_completed/description.txt",
        include_str!("../../templates/rules/not_completed/description.txt"),
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
