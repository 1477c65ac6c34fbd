//! Comparing two plans: what changes, job by job, in operational terms, and
//! a unified diff of the normalised files.

use crate::cron::Schedule;
use crate::model::plan::{Job, Plan};
use crate::model::search::{Search, SearchJob};
use crate::render::search;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

/// One job that differs between the checkout and the catalogue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobChange {
    pub env: String,
    pub job: String,
    /// `added`, `removed` or `changed`.
    pub kind: &'static str,
    /// The keys of the job's values that differ, with both sides.
    pub fields: Vec<FieldChange>,
    /// The change in one line, as the summary prints it.
    pub summary: String,
    /// The chart, for a job that is not db-backup's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Says which not-completed alert covers a job, for the summary.
pub type AlertOf<'a> = &'a dyn Fn(&Plan, &str, &Job) -> Option<String>;

/// The jobs that differ from `old` (the checkout) to `new` (the catalogue),
/// in environment order then job name.
pub fn jobs(
    old: &Plan,
    new: &Plan,
    now: Timestamp,
    alert_of: AlertOf,
) -> Result<Vec<JobChange>, serde_json::Error> {
    let mut envs: Vec<&str> = new.environments.iter().map(|e| e.name.as_str()).collect();
    for e in &old.environments {
        if !envs.contains(&e.name.as_str()) {
            envs.push(&e.name);
        }
    }
    let mut changes = Vec::new();
    for env in envs {
        let jobs_of = |plan: &'_ Plan| -> Vec<Job> {
            plan.environment(env)
                .map(|e| e.jobs.clone())
                .unwrap_or_default()
        };
        let (before, after) = (jobs_of(old), jobs_of(new));
        for (name, a, b) in by_name(&before, &after, |j| &j.name) {
            let change = match (a, b) {
                (Some(a), Some(b)) => changed(old, new, env, a, b, now, alert_of)?,
                (None, Some(b)) => Some(JobChange {
                    env: env.to_owned(),
                    job: name.to_owned(),
                    kind: "added",
                    fields: fields(None, Some(b))?,
                    summary: format!("{env}/{name}: added, {}", schedule(None, &b.schedule, now)),
                    chart: None,
                }),
                (Some(a), None) => Some(JobChange {
                    env: env.to_owned(),
                    job: name.to_owned(),
                    kind: "removed",
                    fields: fields(Some(a), None)?,
                    summary: format!("{env}/{name}: removed"),
                    chart: None,
                }),
                (None, None) => None,
            };
            changes.extend(change);
        }
    }
    Ok(changes)
}

fn changed(
    old: &Plan,
    new: &Plan,
    env: &str,
    a: &Job,
    b: &Job,
    now: Timestamp,
    alert_of: AlertOf,
) -> Result<Option<JobChange>, serde_json::Error> {
    let fields = fields(Some(a), Some(b))?;
    if fields.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for f in &fields {
        match f.field.as_str() {
            "schedule" => parts.push(schedule(Some(&a.schedule), &b.schedule, now)),
            "suspend" => {
                let (was, is) = (a.suspended(&old.chart), b.suspended(&new.chart));
                if was != is {
                    let alert = if is {
                        alert_of(old, env, a)
                    } else {
                        alert_of(new, env, b)
                    };
                    let verb = if is { "suspended" } else { "resumed" };
                    let joins = if is { "leaves" } else { "joins" };
                    match alert {
                        Some(name) => parts.push(format!("{verb}; {joins} \"{name}\"")),
                        None => parts.push(verb.to_owned()),
                    }
                }
            }
            "operations" => parts.push(format!("operations {} → {}", steps(a), steps(b))),
            field => match (&f.old, &f.new) {
                (Some(o), Some(n)) if o.is_string() && n.is_string() => {
                    parts.push(format!("{field} {} → {}", plain(o), plain(n)))
                }
                (None, Some(n)) => parts.push(format!("{field} set to {}", plain(n))),
                (Some(_), None) => parts.push(format!("{field} removed")),
                _ => parts.push(format!("{field} changed")),
            },
        }
    }
    if parts.is_empty() {
        parts.push("suspend flag written differently".to_owned());
    }
    Ok(Some(JobChange {
        env: env.to_owned(),
        job: a.name.clone(),
        kind: "changed",
        summary: format!("{env}/{}: {}", a.name, parts.join("; ")),
        fields,
        chart: None,
    }))
}

/// The search index syncs that differ from `old` (the checkout) to `new`
/// (the catalogue), in environment order then job name, each summed up in
/// one line as the db-backup jobs are.
pub fn search_jobs(old: &Search, new: &Search, now: Timestamp) -> Vec<JobChange> {
    let mut envs: Vec<&str> = new.environments.iter().map(|e| e.name.as_str()).collect();
    for e in &old.environments {
        if !envs.contains(&e.name.as_str()) {
            envs.push(&e.name);
        }
    }
    let jobs_of = |search: &'_ Search, env: &str| -> Vec<SearchJob> {
        let found = search.environments.iter().find(|e| e.name == env);
        found.map(|e| e.jobs.clone()).unwrap_or_default()
    };
    let mut changes = Vec::new();
    for env in envs {
        let (before, after) = (jobs_of(old, env), jobs_of(new, env));
        for (name, a, b) in by_name(&before, &after, |j| &j.name) {
            let values = |j: Option<&SearchJob>| j.map(|j| search::job_values(j, false));
            let fields = value_fields(values(a).as_ref(), values(b).as_ref());
            let (kind, what) = match (a, b) {
                (Some(a), Some(b)) if !fields.is_empty() => {
                    ("changed", search_parts(a, b, &fields, now).join("; "))
                }
                (None, Some(b)) => (
                    "added",
                    format!("added, {}", schedule(None, &b.schedule, now)),
                ),
                (Some(_), None) => ("removed", "removed".to_owned()),
                _ => continue,
            };
            changes.push(JobChange {
                env: env.to_owned(),
                job: name.to_owned(),
                kind,
                summary: format!("{env}/{name} (search index sync): {what}"),
                fields,
                chart: Some(crate::model::search::CHART),
            });
        }
    }
    changes
}

/// What changes in a search job, in operational terms.
fn search_parts(
    a: &SearchJob,
    b: &SearchJob,
    fields: &[FieldChange],
    now: Timestamp,
) -> Vec<String> {
    let mut parts = Vec::new();
    for f in fields {
        match f.field.as_str() {
            "schedule" => parts.push(schedule(Some(&a.schedule), &b.schedule, now)),
            "suspend" if a.suspended() != b.suspended() => parts.push(
                if b.suspended() {
                    "suspended"
                } else {
                    "resumed"
                }
                .to_owned(),
            ),
            "suspend" => parts.push("suspend flag written differently".to_owned()),
            "args" => parts.push(format!("args {} → {}", a.args.join(" "), b.args.join(" "))),
            "extraEnv" => {
                let repo =
                    |j: &SearchJob| j.env_value("SNAPSHOT_REPO").unwrap_or("none").to_owned();
                if repo(a) != repo(b) {
                    parts.push(format!("SNAPSHOT_REPO {} → {}", repo(a), repo(b)));
                } else {
                    parts.push("extraEnv changed".to_owned());
                }
            }
            field => parts.push(format!("{field} changed")),
        }
    }
    parts
}

/// Every name of the jobs before and after, in order, with the job of
/// that name on each side.
fn by_name<'a, T>(
    before: &'a [T],
    after: &'a [T],
    name: impl Fn(&T) -> &String,
) -> Vec<(&'a str, Option<&'a T>, Option<&'a T>)> {
    let mut names: Vec<&str> = before
        .iter()
        .chain(after)
        .map(|j| name(j).as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let find = |jobs: &'a [T], wanted: &str| jobs.iter().find(|j| name(j) == wanted);
    names
        .into_iter()
        .map(|n| (n, find(before, n), find(after, n)))
        .collect()
}

fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The keys of the jobs' values that differ.
fn fields(a: Option<&Job>, b: Option<&Job>) -> Result<Vec<FieldChange>, serde_json::Error> {
    let values = |j: Option<&Job>| j.map(crate::render::values::job_values).transpose();
    let (va, vb) = (values(a)?, values(b)?);
    Ok(value_fields(va.as_ref(), vb.as_ref()))
}

/// The keys of two jobs' values (mappings) that differ.
fn value_fields(va: Option<&Value>, vb: Option<&Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let (ma, mb) = (
        va.and_then(Value::as_object).unwrap_or(&empty),
        vb.and_then(Value::as_object).unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = ma.keys().chain(mb.keys()).collect();
    keys.dedup();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for key in keys {
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let (old, new) = (ma.get(key), mb.get(key));
        if old != new {
            out.push(FieldChange {
                field: key.clone(),
                old: old.cloned(),
                new: new.cloned(),
            });
        }
    }
    out
}

/// `restore, transform(x.sql), backup`
fn steps(job: &Job) -> String {
    job.operations
        .iter()
        .map(|o| {
            let mut s = o.op.clone();
            if let Some(script) = &o.script {
                s.push_str(&format!("({script})"));
            }
            if let Some(db) = &o.db {
                s.push_str(&format!(" {db}"));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `schedule 1 2 * * * → 3 4 * * * (next run Tue 04:03 UTC)`, or
/// `schedule 3 4 * * * (…)` for a new job; no next run for a schedule that
/// never runs.
fn schedule(was: Option<&str>, is: &str, now: Timestamp) -> String {
    let next = Schedule::parse(is)
        .ok()
        .and_then(|s| s.next_after(now))
        .map(|t| format!(" (next run {} UTC)", t.strftime("%a %H:%M")))
        .unwrap_or_default();
    match was {
        Some(was) => format!("schedule {was} → {is}{next}"),
        None => format!("schedule {is}{next}"),
    }
}

/// A unified diff of two texts, with three lines of context; empty when
/// they are equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    TextDiff::configure()
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}
