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

use crate::plan::{Job, Op};
use crate::yaml::{self, Dialect, Node};
use foldhash::HashSet;
use jiff::SignedDuration;
use regex::Regex;
use std::path::{Path, PathBuf};

/// The metric a "not completed" alert reads.
const SUCCEEDED: &str = "db_backup_job_status_timestamp_seconds";
/// The metric a "taking a long time" alert reads.
const STATE: &str = "db_backup_job_state";

#[derive(Debug, Default)]
pub struct AlertRules {
    pub alerts: Vec<Alert>,
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
}

#[derive(Debug, PartialEq)]
pub enum Kind {
    /// Fires when a series' last success is too old.
    NotCompleted,
    /// Fires when an operation has been running for `for`.
    LongRunning(SignedDuration),
    Other,
}

#[derive(Debug)]
pub struct Matcher {
    pub label: String,
    pub op: MatchOp,
    pub value: String,
    pattern: Option<Pattern>,
}

/// A matcher's regular expression. An alternation of plain names (the usual
/// `database_instance=~"a|b|c"`) is kept as the set of names: it matches
/// the same, and a chart of thousands of databases needs no huge regex.
#[derive(Debug)]
enum Pattern {
    Names(HashSet<String>),
    Regex(Regex),
}

impl Pattern {
    fn new(value: &str) -> Option<Pattern> {
        match value.split('|').map(literal).collect() {
            Some(names) => Some(Pattern::Names(names)),
            None => Regex::new(&format!("^(?:{value})$"))
                .ok()
                .map(Pattern::Regex),
        }
    }

    fn is_match(&self, value: &str) -> bool {
        match self {
            Pattern::Names(names) => names.contains(value),
            Pattern::Regex(regex) => regex.is_match(value),
        }
    }
}

/// The text a regular expression of letters, digits, `_`, `-` and escaped
/// punctuation matches; `None` for anything else.
fn literal(part: &str) -> Option<String> {
    let mut out = String::with_capacity(part.len());
    let mut chars = part.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().filter(char::is_ascii_punctuation)?),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    Eq,
    Ne,
    Re,
    NotRe,
}

impl Matcher {
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            MatchOp::Eq => self.value == value,
            MatchOp::Ne => self.value != value,
            MatchOp::Re => self.pattern.as_ref().is_some_and(|p| p.is_match(value)),
            MatchOp::NotRe => !self.pattern.as_ref().is_some_and(|p| p.is_match(value)),
        }
    }
}

impl Alert {
    /// Whether the alert applies in an environment.
    pub fn in_env(&self, env: &str) -> bool {
        self.env.as_deref().is_none_or(|e| e == env)
    }

    /// Whether the alert watches a series with these labels.
    fn watches(&self, host: &str, op: Option<Op>, db: Option<&str>) -> bool {
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
            let text = std::fs::read_to_string(dir.join(&rel))?;
            texts.push((rel, text));
        }
        Ok(AlertRules::from_files(texts))
    }

    /// Reads rules files given as (path relative to the rules folder, text).
    pub fn from_files(files: impl IntoIterator<Item = (PathBuf, String)>) -> AlertRules {
        let mut alerts = Vec::new();
        for (rel, text) in files {
            let env = folder_env(&rel);
            alerts.extend(parse_file(&rel, env, &text));
        }
        AlertRules { alerts }
    }

    /// The alerts of rules a catalogue renders, read as their files would
    /// be (their place is in no file yet: line 0).
    pub fn from_rendered(rendered: Vec<crate::rules::Alert>) -> AlertRules {
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
                })
            })
            .collect();
        AlertRules { alerts }
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

/// The db-backup alerts of one rules file (others, and files that do not
/// parse, are skipped).
fn parse_file(rel: &Path, env: Option<String>, text: &str) -> Vec<Alert> {
    let Ok(root) = yaml::parse(text, Dialect::Catalogue) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let groups = match root.value.get("groups") {
        Some(g) => g,
        None => return out,
    };
    let Node::Seq(groups) = &groups.value else {
        return out;
    };
    for group in groups {
        let Some(rules) = group.value.get("rules") else {
            continue;
        };
        let Node::Seq(rules) = &rules.value else {
            continue;
        };
        for rule in rules {
            let (Some(name), Some(expr)) = (rule.value.get("alert"), rule.value.get("expr")) else {
                continue;
            };
            let (Some(name_text), Some(expr)) = (name.value.as_str(), expr.value.as_str()) else {
                continue;
            };
            let for_ = rule
                .value
                .get("for")
                .and_then(|f| f.value.as_str())
                .and_then(prometheus_duration);
            let Some((kind, matchers)) = classify(expr, for_) else {
                continue;
            };
            out.push(Alert {
                name: name_text.to_owned(),
                file: rel.to_owned(),
                line: yaml::origin(name).line,
                env: env.clone(),
                kind,
                matchers,
            });
        }
    }
    out
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
    if let Some(m) = selector(expr, SUCCEEDED) {
        return Some((Kind::NotCompleted, m));
    }
    let m = selector(expr, STATE)?;
    let kind = match for_ {
        Some(d) if expr.contains("== 1") => Kind::LongRunning(d),
        _ => Kind::Other,
    };
    Some((kind, m))
}

/// The label matchers of the first selector of `metric` in an expression.
fn selector(expr: &str, metric: &str) -> Option<Vec<Matcher>> {
    let mut from = 0;
    let start = loop {
        let i = expr[from..].find(metric)? + from;
        let before = expr[..i].chars().next_back();
        let after = expr[i + metric.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !ident(before) && !ident(after) {
            break i + metric.len();
        }
        from = i + metric.len();
    };
    let rest = expr[start..].trim_start();
    let Some(body) = rest.strip_prefix('{') else {
        return Some(Vec::new());
    };
    let mut matchers = Vec::new();
    let mut chars = body.char_indices().peekable();
    loop {
        loop {
            if chars
                .next_if(|(_, c)| c.is_whitespace() || *c == ',')
                .is_some()
            {
                continue;
            }
            // A comment runs to the end of its line.
            if chars.next_if(|(_, c)| *c == '#').is_some() {
                while chars.next_if(|(_, c)| *c != '\n').is_some() {}
                continue;
            }
            break;
        }
        match chars.peek() {
            None => return None,
            Some((_, '}')) => return Some(matchers),
            _ => {}
        }
        let mut label = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| c.is_alphanumeric() || *c == '_') {
            label.push(c);
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let mut op = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| matches!(c, '=' | '!' | '~')) {
            op.push(c);
        }
        let op = match op.as_str() {
            "=" => MatchOp::Eq,
            "!=" => MatchOp::Ne,
            "=~" => MatchOp::Re,
            "!~" => MatchOp::NotRe,
            _ => return None,
        };
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let quote = match chars.next() {
            Some((_, q @ ('"' | '\'' | '`'))) => q,
            _ => return None,
        };
        let mut value = String::new();
        loop {
            match chars.next()? {
                (_, '\\') if quote != '`' => {
                    let (_, c) = chars.next()?;
                    value.push(match c {
                        'n' => '\n',
                        't' => '\t',
                        c => c,
                    });
                }
                (_, c) if c == quote => break,
                (_, c) => value.push(c),
            }
        }
        let pattern = match op {
            MatchOp::Re | MatchOp::NotRe => Pattern::new(&value),
            _ => None,
        };
        matchers.push(Matcher {
            label,
            op,
            value,
            pattern,
        });
    }
}

/// A Prometheus duration such as `1h`, `45m`, `1h30m`, `2d`.
fn prometheus_duration(text: &str) -> Option<SignedDuration> {
    let mut total = 0i64;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        let unit = if c == 'm' && chars.peek() == Some(&'s') {
            chars.next();
            0
        } else {
            match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                'y' => 31_536_000,
                _ => return None,
            }
        };
        total += n * unit;
        any = true;
    }
    (any && number.is_empty()).then(|| SignedDuration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_names_matches_as_the_regex_does() {
        let patterns = [
            r"a-postgres|b\.c-mysql|d_e",
            "(draft-)?x|y",
            "a.b|c",
            r"a\|b",
            "x|",
        ];
        let values = [
            "a-postgres",
            "b.c-mysql",
            "bxc-mysql",
            "d_e",
            "x",
            "draft-x",
            "y",
            "a.b",
            "axb",
            "c",
            "a|b",
            "a",
            "b",
            "",
            "z",
        ];
        for p in patterns {
            let regex = Regex::new(&format!("^(?:{p})$")).unwrap();
            let pattern = Pattern::new(p).unwrap();
            for v in values {
                assert_eq!(pattern.is_match(v), regex.is_match(v), "{p} on {v:?}");
            }
        }
        assert!(matches!(
            Pattern::new("a-postgres|b-mysql"),
            Some(Pattern::Names(_))
        ));
        assert!(matches!(Pattern::new("a.b"), Some(Pattern::Regex(_))));
    }

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
                .map(|op| crate::plan::Operation {
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
    fn negative_matchers_and_durations() {
        let expr = format!(r#"{STATE}{{database_instance!~"a|b", operation!="backup"}} == 1"#);
        let m = selector(&expr, STATE).unwrap();
        assert!(m[0].matches("c") && !m[0].matches("a"));
        assert!(m[1].matches("restore") && !m[1].matches("backup"));
        assert_eq!(
            prometheus_duration("1h30m"),
            Some(SignedDuration::from_mins(90))
        );
        assert_eq!(
            prometheus_duration("45m"),
            Some(SignedDuration::from_mins(45))
        );
        assert_eq!(prometheus_duration("x"), None);
        // Comments inside a selector, as PromQL allows.
        let expr = format!(
            "{SUCCEEDED}{{\n  state=\"succeeded\",\n  database_instance!~\"a|b\" # b is paused\n}} < time() - 90000"
        );
        let m = selector(&expr, SUCCEEDED).unwrap();
        assert_eq!(m.len(), 2);
        assert!(!m[1].matches("b"));
    }
}
