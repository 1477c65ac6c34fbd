//! The chart's hand-written alert rules, read for lint: which
//! "not completed" alerts watch which jobs, and after how long each
//! "taking a long time" alert fires.
//!
//! A rules folder (`charts/monitoring-config/rules/`) has common files at
//! its top and one folder per environment below. Only alerts on the
//! db-backup metrics are read. Each alert's selector is evaluated as
//! Prometheus would: `=`, `!=`, and fully anchored `=~` / `!~` regular
//! expressions on the labels a job's series carry (`database_instance` is
//! the job's host, `operation` its operation, `database_db_name` its
//! database); other labels are taken to match.

use super::rules::schema;
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::{Job, Op};
use crate::promql::{self, Matcher};
use crate::read::yaml::{self, Dialect, Node};
use jiff::SignedDuration;
use std::path::{Path, PathBuf};

/// The metric a "not completed" alert reads.
const SUCCEEDED: &str = "db_backup_job_status_timestamp_seconds";
/// The metric a "taking a long time" alert reads.
const STATE: &str = "db_backup_job_state";

#[derive(Debug, Default)]
pub struct AlertRules {
    pub alerts: Vec<Alert>,
    /// What keeps a db-backup alert from loading: a `for:` that is no
    /// Prometheus duration, found as `schema` errors at the value.
    pub problems: Vec<Diagnostic>,
}

#[derive(Debug)]
pub struct Alert {
    pub name: String,
    /// The rules file, relative to the rules folder.
    pub file: PathBuf,
    pub line: usize,
    /// The environment whose folder holds it; `None` for a common file.
    pub env: Option<String>,
    pub kind: Kind,
    pub matchers: Vec<Matcher>,
    /// The expression, as written.
    pub expr: String,
}

#[derive(Debug, PartialEq)]
pub enum Kind {
    /// Fires when a series' last success is too old.
    NotCompleted,
    /// Fires when an operation has been running for `for`.
    LongRunning(SignedDuration),
    Other,
}

impl Alert {
    /// Whether the alert applies in an environment.
    pub fn in_env(&self, env: &str) -> bool {
        self.env.as_deref().is_none_or(|e| e == env)
    }

    /// Whether the alert watches a series with these labels.
    pub(crate) fn watches(&self, host: &str, op: Option<Op>, db: Option<&str>) -> bool {
        self.matchers.iter().all(|m| match m.label.as_str() {
            "database_instance" => m.matches(host),
            "operation" => op.is_none_or(|op| m.matches(op.as_str())),
            "database_db_name" => db.is_none_or(|db| m.matches(db)),
            _ => true,
        })
    }

    /// Whether the alert watches one of a job's series.
    pub fn watches_job(&self, job: &Job) -> bool {
        if job.operations.is_empty() {
            return self.watches(job.host(), None, job.db.as_deref());
        }
        job.operations
            .iter()
            .any(|op| self.watches(job.host(), op.kind(), job.db_of(op)))
    }

    /// `file:line`, for messages.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

impl AlertRules {
    /// Reads every `*.yaml`/`*.yml` file under a rules folder.
    pub fn read_dir(dir: &Path) -> std::io::Result<AlertRules> {
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        files.sort();
        let mut texts = Vec::new();
        for rel in files {
            let text = crate::read::text_file(&dir.join(&rel))?;
            texts.push((rel, text));
        }
        let mut rules = AlertRules::from_files(texts);
        for problem in &mut rules.problems {
            problem.file = dir.join(&problem.file);
        }
        Ok(rules)
    }

    /// Reads rules files given as (path relative to the rules folder, text).
    pub fn from_files(files: impl IntoIterator<Item = (PathBuf, String)>) -> AlertRules {
        let mut rules = AlertRules::default();
        for (rel, text) in files {
            read_file(&mut rules, &rel, &text);
        }
        rules
    }

    /// The alerts of rules a catalogue renders, read as their files would
    /// be (their place is in no file yet: line 0).
    pub fn from_rendered(rendered: Vec<crate::render::rules::Alert>) -> AlertRules {
        let alerts = rendered
            .into_iter()
            .filter_map(|a| {
                let (kind, matchers) = classify(&a.expr, a.for_)?;
                Some(Alert {
                    env: folder_env(&a.file),
                    name: a.name,
                    file: a.file,
                    line: 0,
                    kind,
                    matchers,
                    expr: a.expr,
                })
            })
            .collect();
        AlertRules {
            alerts,
            problems: Vec::new(),
        }
    }

    /// The "not completed" alerts that watch a job.
    pub fn not_completed<'a>(
        &'a self,
        env: &'a str,
        job: &'a Job,
    ) -> impl Iterator<Item = &'a Alert> + 'a {
        self.alerts
            .iter()
            .filter(move |a| a.kind == Kind::NotCompleted && a.in_env(env) && a.watches_job(job))
    }

    /// After how long the first "taking a long time" alert for an operation
    /// on a host fires, if one watches it.
    pub fn threshold(&self, env: &str, host: &str, op: Op) -> Option<SignedDuration> {
        self.alerts
            .iter()
            .filter(|a| a.in_env(env) && a.watches(host, Some(op), None))
            .filter_map(|a| match a.kind {
                Kind::LongRunning(d) => Some(d),
                _ => None,
            })
            .min()
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path.strip_prefix(root).unwrap_or(&path).to_owned());
        }
    }
    Ok(())
}

/// Reads the db-backup alerts of one rules file (others, and files that
/// do not parse, are skipped).
fn read_file(rules: &mut AlertRules, rel: &Path, text: &str) {
    let Ok(root) = yaml::parse(text, Dialect::Catalogue) else {
        return;
    };
    let Some(Node::Seq(groups)) = root.value.get("groups").map(|g| &g.value) else {
        return;
    };
    let env = folder_env(rel);
    for group in groups {
        let Some(Node::Seq(group_rules)) = group.value.get("rules").map(|r| &r.value) else {
            continue;
        };
        for rule in group_rules {
            let (Some(name), Some(expr)) = (rule.value.get("alert"), rule.value.get("expr")) else {
                continue;
            };
            let (Some(name_text), Some(expr)) = (name.value.as_str(), expr.value.as_str()) else {
                continue;
            };
            let for_ = rule
                .value
                .get("for")
                .and_then(|f| Some((f, f.value.as_str()?)))
                .map(|(f, text)| (f, promql::duration(text)));
            let Some((kind, matchers)) = classify(
                expr,
                for_.as_ref().and_then(|(_, d)| d.as_ref().ok().copied()),
            ) else {
                continue;
            };
            if let Some((node, Err(e))) = &for_ {
                rules.problems.push(schema::RULE.finding(
                    rel,
                    yaml::origin(node),
                    format!("for: {e}"),
                ));
            }
            rules.alerts.push(Alert {
                name: name_text.to_owned(),
                file: rel.to_owned(),
                line: yaml::origin(name).line,
                env: env.clone(),
                kind,
                matchers,
                expr: expr.to_owned(),
            });
        }
    }
}

/// The environment whose folder holds a rules file; `None` for a common
/// file at the top.
fn folder_env(rel: &Path) -> Option<String> {
    (rel.components().count() > 1)
        .then(|| rel.components().next())
        .flatten()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
}

/// What an alert's expression watches, and how; `None` for an alert on
/// other metrics.
fn classify(expr: &str, for_: Option<SignedDuration>) -> Option<(Kind, Vec<Matcher>)> {
    // A selector that does not parse: Prometheus would not load the alert.
    let selector = |metric| promql::selector(expr, metric).ok().flatten();
    if let Some(m) = selector(SUCCEEDED) {
        return Some((Kind::NotCompleted, m));
    }
    let m = selector(STATE)?;
    let kind = match for_ {
        Some(d) if expr.contains("== 1") => Kind::LongRunning(d),
        _ => Kind::Other,
    };
    Some((kind, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAGING: &str = r#"groups:
  - name: Database Backups & Syncs - Staging Only
    rules:
      - alert: Database restore taking a long time - Slowest Databases
        for: 13h
        expr: >-
          db_backup_job_state{operation="restore", database_instance=~"content-data-api-postgres"} == 1
      - alert: Database backup/restore not completed - Sunday to Thursday backups
        expr: >-
          (db_backup_job_status_timestamp_seconds{
              state="succeeded",
              database_instance=~"(draft-)?content-store-postgres"
          }
          and on() (day_of_week() > 0 and day_of_week() <=4))
          < time() - 90000 # 25 hours ago
"#;

    fn job(name: &str, ops: &[&str]) -> Job {
        Job {
            name: name.to_owned(),
            operations: ops
                .iter()
                .map(|op| crate::model::plan::Operation {
                    op: (*op).to_owned(),
                    ..Default::default()
                })
                .collect(),
            ..Job::default()
        }
    }

    #[test]
    fn reads_alerts_and_their_matchers() {
        let rules = AlertRules::from_files([(PathBuf::from("staging/x.yaml"), STAGING.to_owned())]);
        assert_eq!(rules.alerts.len(), 2);
        assert_eq!(rules.alerts[0].env.as_deref(), Some("staging"));
        assert_eq!(rules.alerts[0].line, 4);
        assert_eq!(
            rules.threshold("staging", "content-data-api-postgres", Op::Restore),
            Some(SignedDuration::from_hours(13))
        );
        assert_eq!(
            rules.threshold("staging", "ckan-postgres", Op::Restore),
            None
        );
        assert_eq!(
            rules.threshold("integration", "content-data-api-postgres", Op::Restore),
            None
        );
        let draft = job("draft-content-store-postgres", &["restore", "backup"]);
        assert_eq!(rules.not_completed("staging", &draft).count(), 1);
        // Anchored: a host that merely contains the pattern is not matched.
        let other = job("old-content-store-postgres-2", &["backup"]);
        assert_eq!(rules.not_completed("staging", &other).count(), 0);
    }

    #[test]
    fn a_for_prometheus_cannot_read_is_a_problem_at_it() {
        let text = format!(
            "groups:\n  - name: x\n    rules:\n      - alert: slow\n        for: 99999999999999w\n        expr: {STATE}{{operation=\"backup\"}} == 1\n      - alert: slower\n        for: 30500000000000w\n        expr: {STATE} == 1\n      - alert: other\n        for: 99999999999999w\n        expr: up == 0\n"
        );
        let rules = AlertRules::from_files([(PathBuf::from("production/x.yaml"), text)]);
        // Neither alert has a threshold: no wait of 59488052996189 days, and
        // none wrapped round to below zero.
        assert_eq!(rules.threshold("production", "a", Op::Backup), None);
        assert_eq!(rules.alerts.len(), 2);
        let places: Vec<_> = rules.problems.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(places, [(5, 14), (8, 14)]);
        assert_eq!(rules.problems[0].rule, "schema");
        assert_eq!(
            rules.problems[0].message,
            "for: \"99999999999999w\" is out of range: Prometheus keeps a duration in nanoseconds as a signed 64-bit number, so at most about 292 years"
        );
    }
}
