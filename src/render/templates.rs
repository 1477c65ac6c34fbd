//! Templates for the rendered files: embedded defaults, overridable per file.
//!
//! Templates named `*.yaml` auto-escape every `{{ value }}` as JSON (minijinja
//! writes it with `serde_json::to_string`), which is valid YAML, so no value
//! can change the structure of what is rendered.
//! Undefined variables are errors. A render has a fuel limit and an
//! output limit, so that a template given with `--templates` cannot run or
//! write without end.

use minijinja::{Environment, UndefinedBehavior};
use std::path::{Path, PathBuf};

/// The default templates, by name. A file of the same name in a
/// `--templates DIR` replaces one of these.
const EMBEDDED: &[(&str, &str)] = &[
    ("cronjob.yaml", include_str!("../../templates/cronjob.yaml")),
    (
        "search-cronjob.yaml",
        include_str!("../../templates/search-cronjob.yaml"),
    ),
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
    (
        "rules/search/group_name.txt",
        include_str!("../../templates/rules/search/group_name.txt"),
    ),
    (
        "rules/search/failed/alert.txt",
        include_str!("../../templates/rules/search/failed/alert.txt"),
    ),
    (
        "rules/search/failed/summary.txt",
        include_str!("../../templates/rules/search/failed/summary.txt"),
    ),
    (
        "rules/search/failed/description.txt",
        include_str!("../../templates/rules/search/failed/description.txt"),
    ),
    (
        "rules/search/not_completed/alert.txt",
        include_str!("../../templates/rules/search/not_completed/alert.txt"),
    ),
    (
        "rules/search/not_completed/summary.txt",
        include_str!("../../templates/rules/search/not_completed/summary.txt"),
    ),
    (
        "rules/search/not_completed/description.txt",
        include_str!("../../templates/rules/search/not_completed/description.txt"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template {name}: {}", causes(source))]
    Render {
        name: String,
        source: minijinja::Error,
    },
}

/// The instructions one render of a template may run: many times what the
/// built-in templates need, so that a `--templates` loop cannot run for
/// ever.
const FUEL: u64 = 1_000_000;

/// The most one render of a template may write.
const MAX_OUTPUT: usize = 1 << 20;

/// A writer that refuses to grow past [`MAX_OUTPUT`], and remembers that
/// it did.
#[derive(Default)]
struct Bounded {
    bytes: Vec<u8>,
    full: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT {
            self.full = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An error with its causes (an include's error says what went wrong
/// only in its cause), then its place in the template.
fn causes(e: &minijinja::Error) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(&format!(": {c}"));
        cause = c.source();
    }
    out.push_str(&format!("\n{}", e.display_debug_info()));
    out
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
        env.set_fuel(Some(FUEL));
        for (name, source) in EMBEDDED {
            let source = match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
                Some(path) => crate::read::text_file(&path)
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
        let error = |kind, text: String| wrap(minijinja::Error::new(kind, text));
        let mut out = Bounded::default();
        let template = self.env.get_template(name).map_err(wrap)?;
        let rendered = template.render_captured_to(context, &mut out).map(|_| ());
        if out.full {
            let limit = format!("the output is larger than {} KiB", MAX_OUTPUT >> 10);
            return Err(error(minijinja::ErrorKind::InvalidOperation, limit));
        }
        rendered.map_err(wrap)?;
        String::from_utf8(out.bytes).map_err(|_| {
            let text = "the output is not UTF-8".to_owned();
            error(minijinja::ErrorKind::BadSerialization, text)
        })
    }

    /// The names of every template, for `--templates` users to copy from.
    pub fn names() -> impl Iterator<Item = &'static str> {
        EMBEDDED.iter().map(|(name, _)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str, source: &str) -> (tempfile::TempDir, Templates) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, source).unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        (dir, templates)
    }

    #[test]
    fn a_template_that_runs_without_end_runs_out_of_fuel() {
        let (_dir, t) = with(
            "rules/links.txt",
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        );
        let err = t.render("rules/links.txt", ()).unwrap_err();
        assert!(format!("{err:#}").contains("fuel"), "{err:#}");
    }

    #[test]
    fn a_template_that_writes_without_end_is_stopped() {
        let (_dir, t) = with(
            "rules/links.txt",
            "{% for a in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
        );
        let err = t.render("rules/links.txt", ()).unwrap_err();
        assert!(
            format!("{err:#}").contains("larger than 1024 KiB"),
            "{err:#}"
        );
    }
}
