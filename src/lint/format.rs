//! Printing findings: human, concise, json, github and sarif.

use super::registry;
use crate::model::diagnostic::{Diagnostic, Severity};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How `envsync lint` prints its findings.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Coloured on a terminal, with the source line and a caret, like rustc.
    Human,
    /// One line per finding: file:line:col: severity[rule] message.
    Concise,
    /// A JSON array of objects with keys rule, severity, message, file,
    /// line, column, env, job.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`).
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// The text of each file findings point into, for snippets.
pub type Sources = BTreeMap<PathBuf, String>;

/// Writes the findings in a format. `human` output is styled: write it
/// through an `anstream` stream, which strips the styles where colour is
/// not wanted (not a terminal, `NO_COLOR`; `CLICOLOR_FORCE` keeps them).
pub fn write(
    format: Format,
    findings: &[Diagnostic],
    sources: &Sources,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => {
            // Where each line starts, once per file.
            let starts: BTreeMap<&PathBuf, Vec<usize>> = sources
                .iter()
                .map(|(path, text)| {
                    let starts = std::iter::once(0)
                        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                        .collect();
                    (path, starts)
                })
                .collect();
            for d in findings {
                let line =
                    sources
                        .get(&d.file)
                        .zip(starts.get(&d.file))
                        .and_then(|(text, starts)| {
                            let start = *starts.get(d.line.checked_sub(1)?)?;
                            let end = starts.get(d.line).copied().unwrap_or(text.len());
                            Some(&text[start..end])
                        });
                writeln!(out, "{}\n", d.human_from(line, d.line.max(1), true))?;
            }
        }
        Format::Concise => {
            for d in findings {
                writeln!(out, "{}", d.concise())?;
            }
        }
        Format::Json => {
            let list: Vec<Value> = findings.iter().map(json_object).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Format::Github => {
            for d in findings {
                writeln!(out, "{}", github(d))?;
            }
        }
        Format::Sarif => {
            writeln!(out, "{}", serde_json::to_string_pretty(&sarif(findings))?)?;
        }
    }
    Ok(())
}

/// "2 errors, 1 warning", or "no problems".
pub fn summary(findings: &[Diagnostic]) -> String {
    let errors = findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "no problems".to_owned(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

fn json_object(d: &Diagnostic) -> Value {
    json!({
        "rule": d.rule,
        "severity": d.severity,
        "message": d.message,
        "file": d.file.display().to_string(),
        "line": d.line,
        "column": d.column,
        "env": d.env,
        "job": d.job,
    })
}

/// A GitHub Actions workflow command that annotates the file.
fn github(d: &Diagnostic) -> String {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = vec![format!(
        "file={}",
        github_property(&d.file.display().to_string())
    )];
    if d.line > 0 {
        props.push(format!("line={}", d.line));
        if d.column > 0 {
            props.push(format!("col={}", d.column));
        }
    }
    props.push(format!("title={}", github_property(&d.rule)));
    format!(
        "::{level} {}::{}",
        props.join(","),
        github_data(&format!("[{}] {}", d.rule, d.message))
    )
}

fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A SARIF 2.1.0 log with every rule and every finding.
pub fn sarif(findings: &[Diagnostic]) -> Value {
    let rules: Vec<Value> = registry()
        .iter()
        .map(|r| {
            let doc = r.documentation();
            json!({
                "id": r.name,
                "shortDescription": {"text": r.summary()},
                "fullDescription": {"text": doc},
                "help": {"text": doc, "markdown": doc},
                "defaultConfiguration": {"level": level(r.severity)},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|d| {
            let mut location = json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&d.file)},
                }
            });
            if d.line > 0 {
                let mut region = json!({"startLine": d.line});
                if d.column > 0 {
                    region["startColumn"] = json!(d.column);
                }
                location["physicalLocation"]["region"] = region;
            }
            let mut result = json!({
                "ruleId": d.rule,
                "level": level(d.severity),
                "message": {"text": d.message},
                "locations": [location],
            });
            if let Some(i) = registry().iter().position(|r| r.name == d.rule) {
                result["ruleIndex"] = json!(i);
            }
            let mut properties = serde_json::Map::new();
            if let Some(env) = &d.env {
                properties.insert("env".into(), json!(env));
            }
            if let Some(job) = &d.job {
                properties.insert("job".into(), json!(job));
            }
            if !properties.is_empty() {
                result["properties"] = Value::Object(properties);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "envsync",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A file path as a URI reference: relative paths stay relative (to the
/// directory lint ran in), absolute ones become `file://` URIs.
fn uri(path: &Path) -> String {
    let text = path.display().to_string().replace('\\', "/");
    let mut out = String::new();
    if path.is_absolute() {
        out.push_str("file://");
        if !text.starts_with('/') {
            out.push('/');
        }
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::Origin;

    fn finding() -> Diagnostic {
        super::super::rules::host_overlap::RULE
            .finding(
                Path::new("charts/db-backup/values.yaml"),
                Origin { line: 3, column: 5 },
                "runs on host `a`, at 50%,\nsay",
            )
            .at_job("integration", "a-postgres")
    }

    #[test]
    fn github_commands_escape_what_they_must() {
        assert_eq!(
            github(&finding()),
            "::warning file=charts/db-backup/values.yaml,line=3,col=5,title=host-overlap::[host-overlap] runs on host `a`, at 50%25,%0Asay"
        );
    }

    #[test]
    fn json_has_every_key() {
        let mut d = finding();
        d.env = None;
        let v = json_object(&d);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "rule", "severity", "message", "file", "line", "column", "env", "job"
            ]
        );
        assert_eq!(v["env"], Value::Null);
        assert_eq!(v["severity"], "warning");
    }

    #[test]
    fn sarif_points_at_the_place() {
        let log = sarif(&[finding()]);
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "host-overlap");
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(3), Some(5))
        );
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        let i = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], "host-overlap");
        assert_eq!(uri(Path::new("a b/c.yaml")), "a%20b/c.yaml");
        assert_eq!(uri(Path::new("/x/y.yaml")), "file:///x/y.yaml");
    }

    #[test]
    fn summaries() {
        assert_eq!(summary(&[]), "no problems");
        assert_eq!(summary(&[finding()]), "1 warning");
    }
}
