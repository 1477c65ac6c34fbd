//! Rules files as text: the texts come from templates, the structure and
//! expressions from the model. The YAML is written by hand so that it reads
//! like GOV.UK's hand-written files (folded descriptions between yamllint
//! comments, blank lines between rules).

use crate::plan::{Op, Plan};
use crate::rules::RulesError;
use crate::rules::cadence::{DAY_NAMES, day_list};
use crate::rules::gotmpl;
use crate::rules::model::EnvModel;
use crate::rules::promql::{Instances, day_condition, operation_matcher};
use crate::rules::settings::Duration;
use crate::templates::Templates;
use serde_json::{Value, json};

/// yamllint's line length in GOV.UK's charts.
const LINE_LENGTH: usize = 180;

/// What a rule alerts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum What {
    Failed,
    /// Index into the model's `long`.
    Long(usize),
    /// Index into the model's `stale`.
    Stale(usize),
}

pub(crate) struct Rule {
    pub what: What,
    pub alert: String,
    pub for_: Option<Duration>,
    /// The expression's lines; indentation relative to the first.
    pub expr: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// summary, description, runbook_url: as the templates wrote them
    /// (the description in folded form).
    pub annotations: Vec<(String, String)>,
}

pub(crate) struct RulesFile {
    pub group: String,
    pub rules: Vec<Rule>,
}

/// The Go template text a `label.x` variable stands for.
fn go_context(environment: Option<&str>, kind: &str) -> Value {
    let labels = [
        "operation",
        "database_instance",
        "database_db_name",
        "database_engine",
        "instance",
        "state",
    ];
    let label: serde_json::Map<String, Value> = labels
        .iter()
        .map(|l| {
            (
                (*l).to_owned(),
                Value::String(format!("{{{{ $labels.{l} }}}}")),
            )
        })
        .collect();
    json!({
        "environment": environment,
        "kind": kind,
        "label": label,
        "external_label": {"environment": "{{ .ExternalLabels.environment }}"},
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

fn text(templates: &Templates, name: &str, ctx: &Value) -> Result<String, RulesError> {
    let out = templates.render(name, ctx)?;
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let joined = lines.join("\n");
    Ok(joined.trim_matches('\n').to_owned())
}

/// One line of text (names, summaries): lines joined with spaces.
fn one_line(templates: &Templates, name: &str, ctx: &Value) -> Result<String, RulesError> {
    let t = text(templates, name, ctx)?;
    Ok(t.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" "))
}

fn annotations(
    templates: &Templates,
    dir: &str,
    ctx: &Value,
) -> Result<Vec<(String, String)>, RulesError> {
    let summary = one_line(templates, &format!("rules/{dir}/summary.txt"), ctx)?;
    let description = text(templates, &format!("rules/{dir}/description.txt"), ctx)?;
    let runbook = one_line(templates, "rules/runbook_url.txt", ctx)?;
    let out = vec![
        ("summary".to_owned(), summary),
        ("description".to_owned(), description),
        ("runbook_url".to_owned(), runbook),
    ];
    for (name, value) in &out {
        gotmpl::check(value).map_err(|message| RulesError::Annotation {
            template: format!("rules/{dir}/{name}"),
            message,
        })?;
    }
    Ok(out)
}

fn labels(plan: &Plan) -> Vec<(String, String)> {
    plan.alerts
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The annotations of an alert, unless only its name and expression are
/// wanted (`annotate` false: lint reads no more).
fn annotations_if(
    annotate: bool,
    templates: &Templates,
    dir: &str,
    ctx: &Value,
) -> Result<Vec<(String, String)>, RulesError> {
    if annotate {
        annotations(templates, dir, ctx)
    } else {
        Ok(Vec::new())
    }
}

/// The file every environment loads: the failed alert.
pub(crate) fn common(
    plan: &Plan,
    templates: &Templates,
    annotate: bool,
) -> Result<RulesFile, RulesError> {
    let ctx = go_context(None, "failed");
    let group = one_line(templates, "rules/group_name.txt", &ctx)?;
    let rule = Rule {
        what: What::Failed,
        alert: one_line(templates, "rules/failed/alert.txt", &ctx)?,
        for_: None,
        expr: vec!["db_backup_job_state == 0".to_owned()],
        labels: labels(plan),
        annotations: annotations_if(annotate, templates, "failed", &ctx)?,
    };
    Ok(RulesFile {
        group,
        rules: vec![rule],
    })
}

fn days_value(days: &[bool; 7]) -> Value {
    // Monday first, as a week is read.
    let names: Vec<&str> = (1..=7)
        .map(|k| k % 7)
        .filter(|&d| days[d])
        .map(|d| DAY_NAMES[d])
        .collect();
    json!(names)
}

/// The file of one environment.
pub(crate) fn environment(
    plan: &Plan,
    model: &EnvModel,
    templates: &Templates,
    annotate: bool,
) -> Result<RulesFile, RulesError> {
    let env = model.env.name.as_str();
    let group = one_line(
        templates,
        "rules/group_name.txt",
        &go_context(Some(env), "group"),
    )?;
    let mut rules = Vec::new();
    for (i, long) in model.long.iter().enumerate() {
        let ctx = merge(
            go_context(Some(env), "taking_a_long_time"),
            json!({
                "operation": long.op.as_str(),
                "speed": long.speed.as_str(),
                "speeds": long.speeds_configured,
                "threshold": {"seconds": long.threshold.0, "text": long.threshold.words()},
            }),
        );
        let mut matchers = vec![format!("operation=\"{}\"", long.op.as_str())];
        matchers.extend(long.instances.matcher());
        let one = format!("db_backup_job_state{{{}}} == 1", matchers.join(", "));
        let expr = if one.len() + 10 <= LINE_LENGTH {
            vec![one]
        } else {
            let mut lines = vec!["db_backup_job_state{".to_owned()];
            let n = matchers.len();
            for (k, m) in matchers.iter().enumerate() {
                lines.push(format!("  {m}{}", if k + 1 < n { "," } else { "" }));
            }
            lines.push("} == 1".to_owned());
            lines
        };
        rules.push(Rule {
            what: What::Long(i),
            alert: one_line(templates, "rules/taking_a_long_time/alert.txt", &ctx)?,
            for_: Some(long.threshold),
            expr,
            labels: labels(plan),
            annotations: annotations_if(annotate, templates, "taking_a_long_time", &ctx)?,
        });
    }
    let ops: Vec<&str> = model.stale_ops.iter().map(|o| o.as_str()).collect();
    for (i, stale) in model.stale.iter().enumerate() {
        let c = &stale.cadence;
        let threshold = Duration(c.threshold as u64);
        let ctx = merge(
            go_context(Some(env), "not_completed"),
            json!({
                "operations": ops,
                "single": model.stale.len() == 1,
                "cadence": {
                    "name": stale.name,
                    "kind": c.kind.as_str(),
                    "days": days_value(&c.fire_days),
                },
                "threshold": {
                    "seconds": c.threshold,
                    "text": threshold.words(),
                    "sum": threshold.sum_words(),
                },
                "window": {
                    "days": days_value(&c.window),
                    "text": day_list(&c.window),
                    "every_day": c.window.iter().all(|&d| d),
                },
            }),
        );
        rules.push(Rule {
            what: What::Stale(i),
            alert: one_line(templates, "rules/not_completed/alert.txt", &ctx)?,
            for_: None,
            expr: stale_expr(&ops, &stale.instances, c.threshold, &c.window),
            labels: labels(plan),
            annotations: annotations_if(annotate, templates, "not_completed", &ctx)?,
        });
    }
    Ok(RulesFile { group, rules })
}

fn stale_expr(
    ops: &[&str],
    instances: &Instances,
    threshold: i64,
    window: &[bool; 7],
) -> Vec<String> {
    let mut matchers = Vec::new();
    matchers.extend(operation_matcher(ops, Op::ALL.len()));
    matchers.push("state=\"succeeded\"".to_owned());
    matchers.extend(instances.matcher());
    let metric = "db_backup_job_status_timestamp_seconds";
    let days = day_condition(window);
    if days.is_none() && matches!(instances, Instances::All) {
        // As production's hand-written rule has it.
        return vec![format!(
            "{metric}{{{}}} < time() - {threshold}",
            matchers.join(", ")
        )];
    }
    let mut comment = Duration(threshold as u64).sum_words();
    if threshold < 604_800 {
        comment.push_str(" ago");
    }
    let n = matchers.len();
    let listed = |indent: &str| -> Vec<String> {
        matchers
            .iter()
            .enumerate()
            .map(|(k, m)| format!("{indent}{m}{}", if k + 1 < n { "," } else { "" }))
            .collect()
    };
    match days {
        None => {
            let mut lines = vec![format!("{metric}{{")];
            lines.extend(listed("  "));
            lines.push(format!("}} < time() - {threshold}  # {comment}"));
            lines
        }
        Some(days) => {
            let mut lines = vec![format!("({metric}{{")];
            lines.extend(listed("    "));
            lines.push("}".to_owned());
            lines.push(format!("and on() ({days}))"));
            lines.push(format!("< time() - {threshold}  # {comment}"));
            lines
        }
    }
}

/// A scalar as plain YAML when that reads back as the same string, else
/// double-quoted (JSON quoting is valid YAML).
pub(crate) fn scalar(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s.trim() == s
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.chars().any(|c| c.is_control())
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
        )
        && !s.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+');
    if plain_ok {
        s.to_owned()
    } else {
        double_quoted(s)
    }
}

pub(crate) fn double_quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn push_line(out: &mut String, line: String) {
    if line.len() > LINE_LENGTH
        && line.trim_start().contains(' ')
        && !line.trim_start().starts_with('#')
    {
        out.push_str(&line);
        out.push_str("  # yamllint disable-line rule:line-length\n");
    } else {
        out.push_str(&line);
        out.push('\n');
    }
}

/// Checks a folded block can carry the text, and writes it.
fn folded(
    out: &mut String,
    indent: &str,
    key: &str,
    body: &str,
    alert: &str,
) -> Result<(), RulesError> {
    let bad = |why: &str| RulesError::Annotation {
        template: format!("{key} of {alert}"),
        message: why.to_owned(),
    };
    if body.starts_with([' ', '\t']) {
        return Err(bad(
            "the text starts with white space, which a folded block cannot hold",
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(bad("the text holds control characters"));
    }
    out.push_str(&format!("{indent}# yamllint disable rule:line-length\n"));
    out.push_str(&format!("{indent}{key}: >-\n"));
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("{indent}  {line}\n"));
        }
    }
    out.push_str(&format!("{indent}# yamllint enable rule:line-length\n"));
    Ok(())
}

/// The rules file as YAML.
pub(crate) fn to_yaml(file: &RulesFile, header: &str) -> Result<String, RulesError> {
    let mut out = String::new();
    out.push_str(header);
    out.push_str("groups:\n");
    push_line(&mut out, format!("  - name: {}", scalar(&file.group)));
    out.push_str("    rules:\n");
    for (i, rule) in file.rules.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_line(&mut out, format!("      - alert: {}", scalar(&rule.alert)));
        if let Some(d) = rule.for_ {
            out.push_str(&format!("        for: {}\n", d.for_clause()));
        }
        out.push_str("        expr: >-\n");
        for line in &rule.expr {
            push_line(&mut out, format!("          {line}"));
        }
        out.push_str("        labels:\n");
        for (k, v) in &rule.labels {
            push_line(&mut out, format!("          {}: {}", scalar(k), scalar(v)));
        }
        out.push_str("        annotations:\n");
        for (k, v) in &rule.annotations {
            if k == "description" || v.contains('\n') {
                folded(&mut out, "          ", k, v, &rule.alert)?;
            } else if k == "summary" {
                push_line(&mut out, format!("          {k}: {}", double_quoted(v)));
            } else {
                push_line(&mut out, format!("          {k}: {}", scalar(v)));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(scalar("warning"), "warning");
        assert_eq!(
            scalar("Database Backups & Syncs - Staging Only"),
            "Database Backups & Syncs - Staging Only"
        );
        assert_eq!(
            scalar("https://docs.publishing.service.gov.uk/manual/govuk-env-sync.html#alerts"),
            "https://docs.publishing.service.gov.uk/manual/govuk-env-sync.html#alerts"
        );
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("- x"), "\"- x\"");
        assert_eq!(scalar("12h"), "\"12h\"");
    }
}
