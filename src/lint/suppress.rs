//! Suppressions: a catalogue's `allow: [{rule, reason}]` entries and
//! `# envsync: allow RULE -- reason` comments.

use super::rules::{allow_without_reason, unused_allow};
use super::{Context, JobRef, Mode, registry, suggest};
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::{Origin, Plan};
use crate::read::facts::Facts;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};

/// One suppression, wherever it was written.
#[derive(Debug)]
struct Allow {
    rule: String,
    reason: Option<String>,
    at: Origin,
    /// The job it was written for, if any: (environment, job); an empty
    /// environment means every environment of a catalogue database.
    job: Option<(String, String)>,
    used: Cell<bool>,
}

/// Applies the suppressions to the findings, and reports the suppressions
/// that lack a reason or suppress nothing.
pub(super) fn apply(ctx: &Context, findings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let allows = collect(ctx);
    if allows.is_empty() {
        return findings;
    }
    // Index: comments by line; catalogue entries by (environment, job).
    let mut by_line: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut by_job: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, a) in allows.iter().enumerate() {
        if a.job.is_none() {
            by_line.entry(a.at.line).or_default().push(i);
        }
    }
    let entries = catalogue_entries(ctx);
    for (r, indexes) in &entries {
        let env = ctx.env(*r).name.as_str();
        let job = ctx.job(*r).name.as_str();
        for &i in indexes {
            by_job.entry((env, job)).or_default().push(i);
        }
    }
    // The job whose key is on each line, for comments on a job's key line.
    let mut key_lines: HashMap<(&str, &str), usize> = HashMap::new();
    for (_, env, job) in ctx.jobs() {
        key_lines.insert((&env.name, &job.name), job.origin.job.line);
    }
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let mut candidates: Vec<usize> = by_line.get(&f.line).cloned().unwrap_or_default();
        if let (Some(env), Some(job)) = (&f.env, &f.job) {
            if let Some(line) = key_lines.get(&(env.as_str(), job.as_str()))
                && *line != f.line
            {
                candidates.extend(by_line.get(line).into_iter().flatten());
            }
            candidates.extend(
                by_job
                    .get(&(env.as_str(), job.as_str()))
                    .into_iter()
                    .flatten(),
            );
        }
        let mut suppressed = false;
        for i in candidates {
            let a = &allows[i];
            if a.rule == f.rule && a.reason.is_some() {
                a.used.set(true);
                suppressed = true;
            }
        }
        if !suppressed {
            kept.push(f);
        }
    }
    for a in &allows {
        let finding = match (&a.reason, a.used.get()) {
            (None, _) => allow_without_reason::RULE.finding(
                ctx.path,
                a.at,
                format!(
                    "`allow {}` has no reason: say why, e.g. `# envsync: allow {} -- <why this is fine>`",
                    a.rule, a.rule
                ),
            ),
            (Some(_), false) => {
                let message = if super::rule(&a.rule).is_none() {
                    let hint = suggest(&a.rule, registry().iter().map(|r| r.name));
                    format!(
                        "`{}` is not a lint rule{hint}, so this suppresses nothing",
                        a.rule
                    )
                } else {
                    format!(
                        "nothing here breaks `{}` any more: remove this suppression",
                        a.rule
                    )
                };
                unused_allow::RULE.finding(ctx.path, a.at, message)
            }
            (Some(_), true) => continue,
        };
        let finding = match &a.job {
            Some((env, job)) if !env.is_empty() => finding.at_job(env, job),
            Some((_, job)) => Diagnostic {
                job: Some(job.clone()),
                ..finding
            },
            None => finding,
        };
        kept.push(finding);
    }
    kept
}

/// Every suppression in the file. Catalogue entries come first, in the
/// order [`catalogue_entries`] numbers them.
fn collect(ctx: &Context) -> Vec<Allow> {
    let mut allows = Vec::new();
    if ctx.mode == Mode::Catalogue && ctx.root.is_some() {
        for (pointer, job) in catalogue_pointers(ctx) {
            for (rule, reason, at) in allow_items(ctx, &pointer) {
                allows.push(Allow {
                    rule,
                    reason,
                    at,
                    job: Some(job.clone()),
                    used: Cell::new(false),
                });
            }
        }
    }
    for (n, line) in ctx.text.lines().enumerate() {
        for (rule, reason, column) in comment_allows(line) {
            allows.push(Allow {
                rule,
                reason,
                at: Origin {
                    line: n + 1,
                    column,
                },
                job: None,
                used: Cell::new(false),
            });
        }
    }
    allows
}

/// The `allow` lists of a catalogue, each once: (pointer, job it names).
fn catalogue_pointers(ctx: &Context) -> Vec<(String, (String, String))> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (r, _, _) in ctx.jobs() {
        if let Some((pointer, job)) = allow_source(ctx, r)
            && seen.insert(pointer.clone())
        {
            out.push((pointer, job));
        }
    }
    out
}

/// For each job, the indexes (into [`collect`]'s list) of the catalogue
/// suppressions that apply to it.
fn catalogue_entries(ctx: &Context) -> Vec<(JobRef, Vec<usize>)> {
    if ctx.mode != Mode::Catalogue || ctx.root.is_none() {
        return Vec::new();
    }
    let pointers = catalogue_pointers(ctx);
    let mut first = HashMap::new();
    let mut n = 0;
    for (pointer, _) in &pointers {
        let count = allow_items(ctx, pointer).len();
        first.insert(pointer.clone(), (n, count));
        n += count;
    }
    ctx.jobs()
        .filter_map(|(r, _, _)| {
            let (pointer, _) = allow_source(ctx, r)?;
            let (start, count) = first[&pointer];
            Some((r, (start..start + count).collect()))
        })
        .collect()
}

/// Where a catalogue job's `allow` list was written. An environment's
/// entry replaces the database's list, and a profile's list is beneath
/// the settings that name it, as the catalogue merges them.
fn allow_source(ctx: &Context, r: JobRef) -> Option<(String, (String, String))> {
    ctx.root?;
    let env = &ctx.env(r).name;
    let job = &ctx.job(r).name;
    if ctx.job(r).allow.is_empty() {
        return None;
    }
    let entry = format!("/databases/{}/{}", super::esc(job), super::esc(env));
    let database = format!("/databases/{}", super::esc(job));
    let profile_of = |pointer: &str| {
        ctx.node(&format!("{pointer}/profile"))
            .and_then(|p| p.value.as_str())
            .map(|p| format!("/profiles/{}", super::esc(p)))
    };
    let candidates = [
        (Some(entry.clone()), (env.clone(), job.clone())),
        (profile_of(&entry), (env.clone(), job.clone())),
        (Some(database.clone()), (String::new(), job.clone())),
        (profile_of(&database), (String::new(), job.clone())),
    ];
    candidates.into_iter().find_map(|(base, owner)| {
        let pointer = format!("{}/allow", base?);
        ctx.node(&pointer).map(|_| (pointer, owner))
    })
}

/// The items of a catalogue `allow` list: (rule, reason, place).
fn allow_items(ctx: &Context, pointer: &str) -> Vec<(String, Option<String>, Origin)> {
    let Some(list) = ctx.node(pointer) else {
        return Vec::new();
    };
    let crate::read::yaml::Node::Seq(items) = &list.value else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            let rule = item
                .value
                .get("rule")
                .and_then(|r| r.value.as_str())
                .unwrap_or_default()
                .to_owned();
            let reason = item
                .value
                .get("reason")
                .and_then(|r| r.value.as_str())
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned);
            let at = item.value.get("rule").map_or_else(
                || crate::read::yaml::origin(item),
                crate::read::yaml::origin,
            );
            (rule, reason, at)
        })
        .collect()
}

/// The suppressions in one line's `# envsync: allow RULE[, RULE] -- reason`
/// comment: (rule, reason, column of the `#`).
pub(crate) fn comment_allows(line: &str) -> Vec<(String, Option<String>, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = line[from..].find('#') {
        let hash = from + i;
        from = hash + 1;
        let rest = line[hash + 1..].trim_start();
        let Some(rest) = rest.strip_prefix("envsync:") else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("allow") else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let (rules, reason) = match rest.split_once("--") {
            Some((rules, reason)) => (rules, Some(reason.trim())),
            None => (rest, None),
        };
        let reason = reason.filter(|r| !r.is_empty()).map(str::to_owned);
        let column = line[..hash].chars().count() + 1;
        for rule in rules
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|r| !r.is_empty())
        {
            out.push((rule.to_owned(), reason.clone(), column));
        }
        break;
    }
    out
}

/// Applies the `allow` entries of a checkout's `.envsync.yaml` to the
/// findings about their database's jobs, in every environment; an entry
/// of a database the chart has that suppresses nothing is reported where
/// it is written.
pub(super) fn apply_facts(
    facts: &Facts,
    plan: &Plan,
    findings: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    // A database this revision of the chart does not have is not its to
    // report: one .envsync.yaml serves every revision.
    let allows: Vec<(&str, &str, Origin, Cell<bool>)> = facts
        .databases
        .iter()
        .filter(|db| plan.jobs().any(|(_, j)| j.name == db.name))
        .flat_map(|db| {
            db.allow
                .iter()
                .map(|(rule, _, at)| (db.name.as_str(), rule.as_str(), *at, Cell::new(false)))
        })
        .collect();
    let mut kept: Vec<Diagnostic> = findings
        .into_iter()
        .filter(|f| {
            let allowed = allows
                .iter()
                .filter(|(job, rule, _, _)| f.job.as_deref() == Some(*job) && f.rule == *rule);
            let mut suppressed = false;
            for (_, _, _, used) in allowed {
                used.set(true);
                suppressed = true;
            }
            !suppressed
        })
        .collect();
    for (job, rule, at, used) in &allows {
        if !used.get() {
            let message = if super::rule(rule).is_none() {
                let hint = suggest(rule, registry().iter().map(|r| r.name));
                format!("`{rule}` is not a lint rule{hint}, so this suppresses nothing")
            } else {
                format!("nothing breaks `{rule}` in `{job}` any more: remove this suppression")
            };
            let finding = unused_allow::RULE.finding(&facts.path, *at, message);
            kept.push(Diagnostic {
                job: Some((*job).to_owned()),
                ..finding
            });
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{check_catalogue, estate};

    fn rules_of(text: &str) -> Vec<(String, Option<String>)> {
        check_catalogue(text, None)
            .into_iter()
            .map(|d| (d.rule, d.env))
            .collect()
    }

    const SLOW: &str = "  content-data-api-postgres:\n    speed: {backup: slower, restore: slowest}\n    DATABASE\n    production: 35 23 * * *\n    staging: {schedule: 35 1 * * 6, max_runtime_seconds: 86400ENTRY}\n    integration: {schedule: 37 1 * * 0, max_runtime_seconds: 86400}\n";

    fn slow(database: &str, entry: &str) -> String {
        estate(&SLOW.replace("DATABASE", database).replace("ENTRY", entry))
    }

    #[test]
    fn catalogue_entries_suppress_their_jobs() {
        let finding = (
            "restore-before-backup".to_owned(),
            Some("staging".to_owned()),
        );
        assert_eq!(rules_of(&slow("db: cpm", "")), vec![finding.clone()]);
        // On the environment's entry.
        let text = slow(
            "db: cpm",
            ", allow: [{rule: restore-before-backup, reason: a day old is fine}]",
        );
        assert_eq!(rules_of(&text), vec![]);
        // On the database: used in staging, so not reported as unused for
        // the environments where nothing breaks the rule.
        let text = slow(
            "allow: [{rule: restore-before-backup, reason: a day old is fine}]",
            "",
        );
        assert_eq!(rules_of(&text), vec![]);
        // A comment on the finding's line works in a catalogue too.
        let text = slow("db: cpm", "").replace(
            "max_runtime_seconds: 86400}\n    integration",
            "max_runtime_seconds: 86400}  # envsync: allow restore-before-backup -- fine\n    integration",
        );
        assert_eq!(rules_of(&text), vec![]);
    }

    #[test]
    fn reads_comments() {
        assert_eq!(
            comment_allows(
                r#"    schedule: "1 1 * * *"  # envsync: allow host-overlap -- shares a quiet host"#
            ),
            vec![(
                "host-overlap".to_owned(),
                Some("shares a quiet host".to_owned()),
                28
            )]
        );
        assert_eq!(
            comment_allows("  # envsync: allow order, self-overlap"),
            vec![
                ("order".to_owned(), None, 3),
                ("self-overlap".to_owned(), None, 3)
            ]
        );
        assert!(comment_allows("# envsync: allowed x -- y").is_empty());
        assert!(comment_allows("# a comment").is_empty());
    }
}
