//! A govuk-helm-charts checkout: what it holds of the sync, how that
//! differs from what a catalogue renders, and applying a render into it.

use crate::diff::{self, JobChange};
use crate::output::{self, File};
use crate::plan::Plan;
use crate::values;
use crate::yaml;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The db-backup chart's values, relative to the checkout.
pub const VALUES: &str = "charts/db-backup/values.yaml";
/// The chart's scripts folder, relative to the checkout.
pub const SCRIPTS: &str = "charts/db-backup/scripts";
/// The alert rules folder, relative to the checkout.
pub const RULES: &str = "charts/monitoring-config/rules";

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path} has no top-level `cronjobs:` block to replace")]
    NoCronjobs { path: PathBuf },
    #[error(transparent)]
    Write(#[from] output::WriteError),
    #[error("cannot write YAML: {0}")]
    Yaml(#[from] serde_saphyr::SerializeError),
}

/// A file whose normalised content differs.
#[derive(Clone, Debug, Serialize)]
pub struct FileDrift {
    /// Relative to the checkout.
    pub path: PathBuf,
    /// Whether the checkout lacks the file.
    pub missing: bool,
    /// A unified diff of the normalised YAML, checkout first.
    pub diff: String,
}

/// Everything that differs between a render and a checkout.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Drift {
    pub jobs: Vec<JobChange>,
    pub files: Vec<FileDrift>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.files.is_empty()
    }
}

/// A checkout on disk.
pub struct Checkout {
    pub root: PathBuf,
}

impl Checkout {
    pub fn new(root: &Path) -> Checkout {
        Checkout {
            root: root.to_owned(),
        }
    }

    fn read(&self, relative: &Path) -> Result<Option<String>, CheckoutError> {
        let path = self.root.join(relative);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(CheckoutError::Read { path, source }),
        }
    }

    /// The values file's text.
    pub fn values_text(&self) -> Result<String, CheckoutError> {
        let path = self.root.join(VALUES);
        std::fs::read_to_string(&path).map_err(|source| CheckoutError::Read { path, source })
    }

    /// The plan the checkout's values describe. Schedules Kubernetes would
    /// reject are kept as they are, so that a diff can show them changing.
    pub fn plan(&self) -> Result<Plan, CheckoutError> {
        let text = self.values_text()?;
        let path = self.root.join(VALUES);
        values::import_keeping_invalid_schedules(&path, &text).map_err(|problems| {
            CheckoutError::Invalid {
                path,
                message: problems.to_string(),
            }
        })
    }

    /// The names of the chart's scripts, if the folder is there.
    pub fn scripts(&self) -> Option<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join(SCRIPTS))
            .ok()?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        Some(names)
    }
}

/// Where a rendered rules file (`rules/...`) lives in a checkout.
pub fn rules_path(rendered: &Path) -> PathBuf {
    Path::new(RULES).join(rendered.strip_prefix("rules").unwrap_or(rendered))
}

/// How a render and a checkout differ: the jobs in operational terms, and
/// each file as a diff of its normalised YAML.
pub fn compare(
    new: &Plan,
    rules: &[File],
    checkout: &Checkout,
    now: Timestamp,
    alert_of: diff::AlertOf,
) -> Result<Drift, CheckoutError> {
    let old = checkout.plan()?;
    let mut drift = Drift {
        jobs: diff::jobs(&old, new, now, alert_of),
        files: Vec::new(),
    };
    let before = normalised(&values::cronjobs(&old))?;
    let after = normalised(&values::cronjobs(new))?;
    push_drift(&mut drift, Path::new(VALUES), false, &before, &after);
    for file in rules {
        let path = rules_path(&file.path);
        let (missing, before) = match checkout.read(&path)? {
            Some(text) => (false, normalised_rules(&path, &text)?),
            None => (true, String::new()),
        };
        let after = normalised_rules(&path, &file.contents)?;
        push_drift(&mut drift, &path, missing, &before, &after);
    }
    Ok(drift)
}

fn push_drift(drift: &mut Drift, path: &Path, missing: bool, before: &str, after: &str) {
    if before != after {
        let name = path.display().to_string();
        drift.files.push(FileDrift {
            path: path.to_owned(),
            missing,
            diff: diff::unified(before, after, &format!("a/{name}"), &format!("b/{name}")),
        });
    }
}

/// Data as YAML with sorted keys: what two files are compared by.
fn normalised(value: &Value) -> Result<String, CheckoutError> {
    Ok(yaml::to_string(&diff::sorted(value))?)
}

/// A rules file as data, with each expression's whitespace, comments and
/// the order of the alternatives in its label-matcher regexes normalised.
fn normalised_rules(path: &Path, text: &str) -> Result<String, CheckoutError> {
    let root = yaml::parse(text, yaml::Dialect::Catalogue).map_err(|e| CheckoutError::Invalid {
        path: path.to_owned(),
        message: format!("{}:{}: {}", e.origin.line, e.origin.column, e.message),
    })?;
    let mut data = root.value.to_json();
    normalise_exprs(&mut data);
    normalised(&data)
}

fn normalise_exprs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(expr) if key == "expr" => *expr = normalise_expr(expr),
                    _ => normalise_exprs(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise_exprs),
        _ => {}
    }
}

/// PromQL with comments dropped, whitespace folded, and the alternatives
/// of every `=~"..."` / `!~"..."` matcher sorted.
pub fn normalise_expr(expr: &str) -> String {
    let without_comments: Vec<&str> = expr.lines().map(strip_comment).collect();
    let folded = without_comments.join(" ");
    let mut out = String::new();
    let mut rest = folded.as_str();
    while let Some(i) = rest.find(['=', '!']) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        if let Some(body) = tail
            .strip_prefix("=~\"")
            .or_else(|| tail.strip_prefix("!~\""))
        {
            let Some(end) = body.find('"') else {
                out.push_str(tail);
                rest = "";
                break;
            };
            out.push_str(&tail[..3]);
            out.push_str(&sort_alternatives(&body[..end]));
            out.push('"');
            rest = &body[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    let tokens = tokenise(&out);
    tokens.join(" ")
}

/// Drops a `# comment` that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Whitespace-separated pieces, with spaces around operators and
/// punctuation made consistent.
fn tokenise(expr: &str) -> Vec<String> {
    let mut spaced = String::new();
    let mut quoted = false;
    for c in expr.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && "(){},".contains(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    spaced.split_whitespace().map(str::to_owned).collect()
}

/// `b|a|(c)?d` → `(c)?d|a|b`: the top-level alternatives of a regex, sorted.
fn sort_alternatives(regex: &str) -> String {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in regex.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '|' if depth == 0 => {
                parts.push(&regex[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&regex[start..]);
    parts.sort_unstable();
    parts.join("|")
}

/// Writes a render into the checkout: the `cronjobs:` block of the values
/// file (every other byte kept) and the rules files. Each file is replaced
/// atomically, and nothing is changed unless every file can be written.
pub fn apply(
    plan: &Plan,
    rules: &[File],
    checkout: &Checkout,
) -> Result<Vec<PathBuf>, CheckoutError> {
    let text = checkout.values_text()?;
    let block = yaml::to_string(&values::cronjobs(plan))?;
    let values_path = checkout.root.join(VALUES);
    let updated = values::replace_cronjobs(&text, &block)
        .ok_or(CheckoutError::NoCronjobs { path: values_path })?;
    let mut files = vec![File::new(VALUES, updated)];
    files.extend(
        rules
            .iter()
            .map(|f| File::new(rules_path(&f.path), f.contents.clone())),
    );
    output::write_all(&checkout.root, &files)?;
    Ok(files.into_iter().map(|f| f.path).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_compare_by_meaning() {
        let a = "db_backup_job_state{operation=\"backup\", database_instance!~\"b|a|(draft-)?c\"} == 1 # note";
        let b = "db_backup_job_state{operation=\"backup\",\n  database_instance!~\"(draft-)?c|a|b\"}\n== 1";
        assert_eq!(normalise_expr(a), normalise_expr(b));
        let c = "db_backup_job_state{operation=\"backup\", database_instance!~\"a|b\"} == 1";
        assert_ne!(normalise_expr(a), normalise_expr(c));
    }

    #[test]
    fn rendered_rules_land_under_monitoring_config() {
        assert_eq!(
            rules_path(Path::new("rules/staging/x.yaml")),
            Path::new("charts/monitoring-config/rules/staging/x.yaml")
        );
    }
}
