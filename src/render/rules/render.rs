//! Rules files: the texts come from templates, the structure and
//! expressions from the model, and the YAML from the serializer (with a
//! blank line between rules, and each expression as a literal block, as
//! GOV.UK's hand-written files lay them out).

use crate::cron::DAY_NAMES;
use crate::model::alerts::Duration;
use crate::model::plan::{Op, Plan};
use crate::promql::{quote, regex_escape};
use crate::render::rules::RulesError;
use crate::render::rules::cadence::{Cadence, Calendar, Day, Slot, day_list, day_runs};
use crate::render::rules::gotmpl;
use crate::render::rules::model::{EnvModel, Instances, StaleAlert};
use crate::render::templates::Templates;
use serde::Serialize;
use serde_json::{Value, json};
use serde_saphyr::{LitStr, LitString, SpaceAfter};
use std::collections::{BTreeMap, BTreeSet};

/// yamllint's line length in GOV.UK's charts: a longer expression is
/// written one matcher a line.
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
    /// summary, description, runbook_url, as Prometheus reads them (the
    /// description template's lines folded, as in a `>-` block).
    pub annotations: Vec<(String, String)>,
}

pub(crate) struct RulesFile {
    pub group: String,
    pub rules: Vec<Rule>,
}

/// The labels of the database syncs' series that templates name.
const LABELS: [&str; 6] = [
    "operation",
    "database_instance",
    "database_db_name",
    "database_engine",
    "instance",
    "state",
];

/// The database rules' template context: see [`label_context`].
fn go_context(environment: Option<&str>, kind: &str) -> Value {
    label_context(&LABELS, environment, kind)
}

/// A template's context for an alert of `kind`: each of `labels` as the Go
/// template text that stands for it (`label.x` is `{{ $labels.x }}`), and
/// the environment where the rule is one environment's.
pub(crate) fn label_context(labels: &[&str], environment: Option<&str>, kind: &str) -> Value {
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

pub(crate) fn merge(mut base: Value, extra: Value) -> Value {
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
pub(crate) fn one_line(
    templates: &Templates,
    name: &str,
    ctx: &Value,
) -> Result<String, RulesError> {
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
    let description = fold(&text(
        templates,
        &format!("rules/{dir}/description.txt"),
        ctx,
    )?);
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

pub(crate) fn labels(plan: &Plan) -> Vec<(String, String)> {
    plan.alerts
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The annotations of an alert, unless only its name and expression are
/// wanted (`annotate` false: lint reads no more).
pub(crate) fn annotations_if(
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

pub(crate) fn days_value(days: &[bool; 7]) -> Value {
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
        let ctx = merge(
            stale_context(go_context(Some(env), "not_completed"), stale, &model.stale),
            json!({
                "operations": ops,
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
            expr: stale_expr(&ops, &stale.instances, c),
            labels: labels(plan),
            annotations: annotations_if(annotate, templates, "not_completed", &ctx)?,
        });
    }
    Ok(RulesFile { group, rules })
}

/// A "not completed" alert's context: `base`, with the alert's cadence
/// and threshold, and whether it is the only one of `all`.
pub(crate) fn stale_context(base: Value, stale: &StaleAlert, all: &[StaleAlert]) -> Value {
    let c = &stale.cadence;
    let threshold = Duration(c.threshold as u64);
    merge(
        base,
        json!({
            "single": all.len() == 1,
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
        }),
    )
}

fn stale_expr(ops: &[&str], instances: &Instances, cadence: &Cadence) -> Vec<String> {
    let mut matchers = Vec::new();
    matchers.extend(operation_matcher(ops, Op::ALL.len()));
    matchers.push("state=\"succeeded\"".to_owned());
    matchers.extend(instances.matcher());
    let metric = "db_backup_job_status_timestamp_seconds";
    let every = matches!(instances, Instances::All);
    terms_expr(metric, &matchers, cadence, every)
}

/// A "not completed" expression: the series of `metric` with `matchers`,
/// a timestamp of the newest success, older than each term's threshold in
/// its hours. With `one_line`, a single term checked at every hour is
/// written on one line.
pub(crate) fn terms_expr(
    metric: &str,
    matchers: &[String],
    cadence: &Cadence,
    one_line: bool,
) -> Vec<String> {
    let conditions: Vec<(i64, Option<String>)> = cadence
        .terms
        .iter()
        .map(|t| (t.threshold, slots_condition(cadence.calendar, &t.slots)))
        .collect();
    if let [(threshold, None)] = conditions.as_slice() {
        if one_line {
            // As production's hand-written rule has it.
            return vec![format!(
                "{metric}{{{}}} < time() - {threshold}",
                matchers.join(", ")
            )];
        }
    }
    let comment = |threshold: i64| {
        let mut comment = Duration(threshold as u64).sum_words();
        if threshold < 604_800 {
            comment.push_str(" ago");
        }
        comment
    };
    let n = matchers.len();
    let listed = |indent: &str| -> Vec<String> {
        matchers
            .iter()
            .enumerate()
            .map(|(k, m)| format!("{indent}{m}{}", if k + 1 < n { "," } else { "" }))
            .collect()
    };
    let mut lines = Vec::new();
    for (i, (threshold, condition)) in conditions.iter().enumerate() {
        if i > 0 {
            lines.push("or".to_owned());
        }
        match condition {
            None => {
                lines.push(format!("{metric}{{"));
                lines.extend(listed("  "));
                lines.push(format!(
                    "}} < time() - {threshold}  # {}",
                    comment(*threshold)
                ));
            }
            Some(condition) => {
                lines.push(format!("({metric}{{"));
                lines.extend(listed("    "));
                lines.push("}".to_owned());
                lines.push(format!("and on() ({condition}))"));
                lines.push(format!("< time() - {threshold}  # {}", comment(*threshold)));
            }
        }
    }
    lines
}

/// The condition that selects a term's slots (`day_of_week()`,
/// `day_of_month()`, `hour()`), or None for every hour.
pub(crate) fn slots_condition(calendar: Calendar, slots: &[Slot]) -> Option<String> {
    let mut days: BTreeMap<Day, BTreeSet<u8>> = BTreeMap::new();
    for slot in slots {
        days.entry(slot.day()).or_default().insert(slot.hour);
    }
    // Days with the same hours are selected together.
    let mut by_hours: BTreeMap<Vec<(u8, u8)>, Vec<Day>> = BTreeMap::new();
    for (day, hours) in &days {
        by_hours.entry(hour_ranges(hours)).or_default().push(*day);
    }
    let all_days = match calendar {
        Calendar::Week => 7,
        Calendar::Month => 31,
        Calendar::MonthAndWeek => 31 * 7,
    };
    let mut parts = Vec::new();
    // Whole days first.
    let whole = vec![(0, 23)];
    if let Some(list) = by_hours.get(&whole) {
        if list.len() == all_days && by_hours.len() == 1 {
            return None;
        }
        parts.push(days_condition(calendar, list));
    }
    for (hours, list) in &by_hours {
        if *hours == whole {
            continue;
        }
        let hours: Vec<String> = hours.iter().map(|&(a, b)| hour_condition(a, b)).collect();
        let hours = if hours.len() == 1 {
            hours.into_iter().next().unwrap_or_default()
        } else {
            format!("({})", hours.join(" or "))
        };
        parts.push(format!("({} and {hours})", days_condition(calendar, list)));
    }
    Some(if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        parts
            .iter()
            .map(|p| {
                if p.starts_with('(') {
                    p.clone()
                } else {
                    format!("({p})")
                }
            })
            .collect::<Vec<_>>()
            .join(" or ")
    })
}

/// Consecutive hours as inclusive ranges.
fn hour_ranges(hours: &BTreeSet<u8>) -> Vec<(u8, u8)> {
    let mut ranges: Vec<(u8, u8)> = Vec::new();
    for &h in hours {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == h => *end = h,
            _ => ranges.push((h, h)),
        }
    }
    ranges
}

fn hour_condition(a: u8, b: u8) -> String {
    match (a, b) {
        _ if a == b => format!("hour() == {a}"),
        (0, b) => format!("hour() <= {b}"),
        (a, 23) => format!("hour() >= {a}"),
        (a, b) => format!("hour() >= {a} and hour() <= {b}"),
    }
}

/// The condition that selects some days.
fn days_condition(calendar: Calendar, list: &[Day]) -> String {
    match calendar {
        Calendar::Week => {
            let mut days = [false; 7];
            for &(_, dow) in list {
                if let Some(d) = dow {
                    days[d as usize] = true;
                }
            }
            day_condition(&days).unwrap_or_else(|| "day_of_week() >= 0".to_owned())
        }
        Calendar::Month => dom_condition(list.iter().filter_map(|d| d.0)),
        Calendar::MonthAndWeek => {
            let mut by_dow: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
            for &(dom, dow) in list {
                if let (Some(dom), Some(dow)) = (dom, dow) {
                    by_dow.entry(dow).or_default().push(dom);
                }
            }
            let parts: Vec<String> = by_dow
                .into_iter()
                .map(|(dow, doms)| {
                    format!(
                        "(day_of_week() == {dow} and {})",
                        dom_condition(doms.into_iter())
                    )
                })
                .collect();
            if parts.len() == 1 {
                parts.into_iter().next().unwrap_or_default()
            } else {
                format!("({})", parts.join(" or "))
            }
        }
    }
}

/// A `day_of_month()` condition for some days of the month.
fn dom_condition(doms: impl Iterator<Item = u8>) -> String {
    let set: BTreeSet<u8> = doms.collect();
    let parts: Vec<String> = hour_ranges(&set)
        .into_iter()
        .map(|(a, b)| match (a, b) {
            _ if a == b => format!("day_of_month() == {a}"),
            (1, b) => format!("day_of_month() <= {b}"),
            (a, 31) => format!("day_of_month() >= {a}"),
            (a, b) => format!("day_of_month() >= {a} and day_of_month() <= {b}"),
        })
        .collect();
    if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        format!(
            "({})",
            parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

/// Text in the form of a folded block (`>-`) as a YAML reader takes it: a
/// line break between two lines of text is a space, the empty lines
/// between paragraphs are line breaks, and lines that start with white
/// space ("more indented") keep their line breaks. Trailing empty lines
/// are dropped.
///
/// The description templates are written this way, as GOV.UK's
/// hand-written descriptions are.
fn fold(text: &str) -> String {
    let spaced = |line: &str| line.starts_with([' ', '\t']);
    let mut out = String::with_capacity(text.len());
    let mut previous: Option<&str> = None;
    let mut empty = 0;
    for line in text.split('\n') {
        if line.is_empty() {
            empty += 1;
            continue;
        }
        match previous {
            None => out.extend(std::iter::repeat_n('\n', empty)),
            Some(p) if spaced(p) || spaced(line) => {
                out.extend(std::iter::repeat_n('\n', empty + 1));
            }
            Some(_) if empty == 0 => out.push(' '),
            Some(_) => out.extend(std::iter::repeat_n('\n', empty)),
        }
        out.push_str(line);
        previous = Some(line);
        empty = 0;
    }
    out
}

/// A rules file as the serializer writes it.
#[derive(Serialize)]
struct FileOut<'a> {
    groups: [GroupOut<'a>; 1],
}

#[derive(Serialize)]
struct GroupOut<'a> {
    name: &'a str,
    rules: Vec<Spaced<RuleOut<'a>>>,
}

/// A list item followed by a blank line, or the last one.
#[derive(Serialize)]
#[serde(untagged)]
enum Spaced<T> {
    Then(SpaceAfter<T>),
    Last(T),
}

#[derive(Serialize)]
struct RuleOut<'a> {
    alert: &'a str,
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    for_: Option<String>,
    expr: LitString,
    labels: Pairs<'a>,
    annotations: Pairs<'a>,
}

/// Key-value pairs written as a mapping, in their order; a value of more
/// than one line as a literal block, where the serializer can write it so.
struct Pairs<'a>(&'a [(String, String)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, Text(v))))
    }
}

struct Text<'a>(&'a str);

impl Serialize for Text<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.contains('\n') {
            LitStr(self.0).serialize(serializer)
        } else {
            serializer.serialize_str(self.0)
        }
    }
}

/// The rules file as YAML, after `header` (comment lines).
pub(crate) fn to_yaml(file: &RulesFile, header: &str) -> Result<String, RulesError> {
    let last = file.rules.len().saturating_sub(1);
    let out = FileOut {
        groups: [GroupOut {
            name: &file.group,
            rules: file
                .rules
                .iter()
                .enumerate()
                .map(|(i, rule)| {
                    let rule = RuleOut {
                        alert: &rule.alert,
                        for_: rule.for_.map(|d| d.for_clause()),
                        expr: LitString(rule.expr.join("\n")),
                        labels: Pairs(&rule.labels),
                        annotations: Pairs(&rule.annotations),
                    };
                    if i < last {
                        Spaced::Then(SpaceAfter(rule))
                    } else {
                        Spaced::Last(rule)
                    }
                })
                .collect(),
        }],
    };
    let yaml = crate::read::yaml::to_string(&out).map_err(|e| RulesError::Internal {
        message: format!("cannot write the rules of {}: {e}", file.group),
    })?;
    Ok(format!(
        "{header}# yamllint disable rule:line-length\n{yaml}"
    ))
}

/// The `operation` matcher for a set of operations, if it is not all of them.
fn operation_matcher(ops: &[&str], all: usize) -> Option<String> {
    match ops {
        _ if ops.len() >= all => None,
        [] => None,
        [one] => Some(format!("operation={}", quote(one))),
        many => Some(format!(
            "operation=~{}",
            quote(
                &many
                    .iter()
                    .map(|o| regex_escape(o))
                    .collect::<Vec<_>>()
                    .join("|")
            )
        )),
    }
}

/// A `day_of_week()` condition for a set of days, or None for every day.
fn day_condition(days: &[bool; 7]) -> Option<String> {
    if days.iter().all(|&d| d) {
        return None;
    }
    let runs = day_runs(days);
    let part = |(start, len): (usize, usize)| {
        let end = start + len - 1;
        if end >= 7 {
            // Wraps past Saturday.
            format!(
                "(day_of_week() > {} or day_of_week() <= {})",
                start - 1,
                end - 7
            )
        } else if len == 1 {
            format!("day_of_week() == {start}")
        } else if start == 0 {
            format!("day_of_week() <= {end}")
        } else if end == 6 {
            format!("day_of_week() > {}", start - 1)
        } else {
            format!("day_of_week() > {} and day_of_week() <= {end}", start - 1)
        }
    };
    let parts: Vec<String> = runs.into_iter().map(part).collect();
    Some(if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" or ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_as_conditions() {
        let d = |list: &[usize]| {
            let mut days = [false; 7];
            for &i in list {
                days[i] = true;
            }
            days
        };
        assert_eq!(day_condition(&[true; 7]), None);
        assert_eq!(
            day_condition(&d(&[2, 3, 4, 5])).unwrap(),
            "day_of_week() > 1 and day_of_week() <= 5"
        );
        assert_eq!(
            day_condition(&d(&[1, 2, 3, 4])).unwrap(),
            "day_of_week() > 0 and day_of_week() <= 4"
        );
        assert_eq!(
            day_condition(&d(&[5, 6, 0, 1])).unwrap(),
            "(day_of_week() > 4 or day_of_week() <= 1)"
        );
        assert_eq!(
            day_condition(&d(&[1, 3])).unwrap(),
            "(day_of_week() == 1) or (day_of_week() == 3)"
        );
        assert_eq!(day_condition(&d(&[0, 1])).unwrap(), "day_of_week() <= 1");
        assert_eq!(day_condition(&d(&[5, 6])).unwrap(), "day_of_week() > 4");
    }

    #[test]
    fn instance_matchers() {
        let i = Instances::AllBut(["b".into(), "a.x".into()].into());
        assert_eq!(i.matcher().unwrap(), "database_instance!~\"a\\\\.x|b\"");
        assert_eq!(
            operation_matcher(&["backup", "restore"], 3).unwrap(),
            "operation=~\"backup|restore\""
        );
    }

    #[test]
    fn folds_as_a_yaml_reader_does() {
        assert_eq!(fold("a\nb"), "a b");
        assert_eq!(fold("a\n\nb\nc"), "a\nb c");
        assert_eq!(fold("a\n\n\nb"), "a\n\nb");
        assert_eq!(fold("a\n  b\nc"), "a\n  b\nc");
        assert_eq!(fold("a\n\n  b"), "a\n\n  b");
        assert_eq!(fold("\na\nb\n\n"), "\na b");
    }

    /// What the fold gives is what a YAML reader makes of the same lines
    /// in a `>-` block.
    #[test]
    fn folding_agrees_with_the_yaml_reader() {
        let texts = [
            "The db database failed\nits backup.\n\nSee:\nhttps://x\n\n\nEnd.",
            "a\n  indented\n  more\nb\n\n\tc\nd",
            "one line",
        ];
        for text in texts {
            let block: String = text
                .split('\n')
                .map(|l| {
                    if l.is_empty() {
                        "\n".to_owned()
                    } else {
                        format!("  {l}\n")
                    }
                })
                .collect();
            let yaml = format!("k: >-\n{block}");
            let read: std::collections::BTreeMap<String, String> =
                serde_saphyr::from_str(&yaml).unwrap();
            assert_eq!(fold(text), read["k"], "{yaml}");
        }
    }
}
