//! The search index syncs: a catalogue's `search:` expanded into the jobs of
//! the search-index-env-sync chart, and that chart's values.yaml read into
//! the same jobs.

use crate::model::diagnostic::{Diagnostic, Diagnostics};
use crate::model::plan::{Environment, JobOrigin, Origin};
use crate::model::search::{
    self, Action, DEFAULT_DURATION, Search, SearchEnvironment, SearchJob, repository,
};
use crate::read::yaml::{self, Dialect, Node, Spanned, locate};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::Path;

/// The chart's values file, relative to a checkout.
pub const VALUES: &str = "charts/search-index-env-sync/values.yaml";

/// A cluster's settings, without its environments.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClusterSpec {
    pub subdomain: Option<String>,
    pub credentials: Option<String>,
    pub extra_env: Option<Vec<Value>>,
}

/// One job's settings in the catalogue.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    pub schedule: String,
    pub name: Option<String>,
    pub suspend: Option<bool>,
    pub args: Option<Vec<String>>,
    pub env: Option<Vec<Value>>,
    pub extra_env: Option<Vec<Value>>,
    pub duration: Option<String>,
    pub allow: Option<Vec<crate::read::catalogue::Allow>>,
}

impl JobSpec {
    fn read(value: &Value) -> Result<JobSpec, serde_json::Error> {
        match value {
            Value::String(s) => Ok(JobSpec {
                schedule: s.clone(),
                ..JobSpec::default()
            }),
            other => JobSpec::deserialize(other),
        }
    }
}

/// Default durations, in seconds.
#[derive(Clone, Copy, Debug)]
struct Durations {
    snapshot: u64,
    restore: u64,
}

/// The job name the chart's convention gives: `<cluster>-snapshot`, or
/// `<cluster>-cp-<the source's first four letters>` (`cp-prod`, `cp-stag`).
pub fn derived_name(cluster: &str, action: Action, from: Option<&str>) -> String {
    match (action, from) {
        (Action::Snapshot, _) | (Action::Restore, None) => format!("{cluster}-snapshot"),
        (Action::Restore, Some(from)) => {
            let short: String = from.chars().take(4).collect();
            format!("{cluster}-cp-{short}")
        }
    }
}

/// The `extraEnv` a cluster's job gets: `SNAPSHOT_REPO` (restores),
/// `SUBDOMAIN`, the credentials, then the cluster's and the job's own.
pub fn derived_env(
    cluster: &ClusterSpec,
    from: Option<&str>,
    own: Option<&[Value]>,
) -> Option<Value> {
    let mut env = Vec::new();
    if let Some(from) = from {
        env.push(json!({"name": "SNAPSHOT_REPO", "value": repository(from)}));
    }
    if let Some(subdomain) = &cluster.subdomain {
        env.push(json!({"name": "SUBDOMAIN", "value": subdomain}));
    }
    if let Some(secret) = &cluster.credentials {
        for (name, key) in [
            ("SEARCH_USERNAME", "username"),
            ("SEARCH_PASSWORD", "password"),
        ] {
            env.push(
                json!({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}),
            );
        }
    }
    env.extend(cluster.extra_env.iter().flatten().cloned());
    env.extend(own.into_iter().flatten().cloned());
    (!env.is_empty()).then_some(Value::Array(env))
}

/// The job a cluster's entry gives in one environment.
pub fn job(
    cluster_name: &str,
    cluster: &ClusterSpec,
    action: Action,
    from: Option<&str>,
    spec: &JobSpec,
) -> SearchJob {
    let from = if action == Action::Restore {
        from
    } else {
        None
    };
    SearchJob {
        name: spec
            .name
            .clone()
            .unwrap_or_else(|| derived_name(cluster_name, action, from)),
        schedule: spec.schedule.clone(),
        suspend: spec.suspend,
        args: spec
            .args
            .clone()
            .unwrap_or_else(|| vec![action.arg().to_owned()]),
        extra_env: match &spec.env {
            Some(env) => (!env.is_empty()).then(|| Value::Array(env.clone())),
            None => derived_env(cluster, from, spec.extra_env.as_deref()),
        },
        cluster: cluster_name.to_owned(),
        action,
        from: from.map(str::to_owned),
        duration: DEFAULT_DURATION,
        duration_set: false,
        allow: spec
            .allow
            .iter()
            .flatten()
            .map(|a| (a.rule.clone(), a.reason.clone()))
            .collect(),
        origin: search::no_origin(),
    }
}

/// Expands a catalogue's `search:` (schema-checked) for its environments.
/// Problems are reported with the JSON Pointer of their place.
pub fn expand(
    search: &Value,
    environments: &[Environment],
    at: &dyn Fn(&str) -> Origin,
    report: &mut dyn FnMut(&str, String),
) -> Search {
    let durations = Durations {
        snapshot: duration_at(search, "snapshot", report).unwrap_or(DEFAULT_DURATION),
        restore: duration_at(search, "restore", report).unwrap_or(DEFAULT_DURATION),
    };
    let mut out = Search {
        chart: search["chart"].as_object().cloned().unwrap_or_default(),
        listed: search["listed"].as_bool().unwrap_or(false),
        environments: environments
            .iter()
            .map(|e| SearchEnvironment {
                name: e.name.clone(),
                jobs: Vec::new(),
            })
            .collect(),
    };
    let no_entries = Map::new();
    let clusters = search["clusters"].as_object().unwrap_or(&no_entries);
    for (cluster_name, spec) in clusters {
        let pointer = format!("/search/clusters/{}", yaml::escape(cluster_name));
        let cluster = ClusterSpec::deserialize(spec).unwrap_or_default();
        for (key, entry) in spec.as_object().unwrap_or(&no_entries) {
            if matches!(key.as_str(), "subdomain" | "credentials" | "extra_env") {
                continue;
            }
            let env_pointer = format!("{pointer}/{}", yaml::escape(key));
            let Some(index) = environments.iter().position(|e| &e.name == key) else {
                let known = environments.iter().map(|e| e.name.as_str());
                let hint = crate::read::catalogue::suggest(key, known);
                report(&env_pointer, format!("unknown environment `{key}`{hint}"));
                continue;
            };
            let env = &environments[index];
            let (jobs, from): (Vec<(Action, &Value, String)>, Option<&str>) = match entry {
                Value::Object(m) => (
                    m.iter()
                        .filter_map(|(k, v)| {
                            let action = Action::ALL.into_iter().find(|a| a.as_str() == k)?;
                            Some((action, v, format!("{env_pointer}/{k}")))
                        })
                        .collect(),
                    m.get("from").and_then(Value::as_str),
                ),
                _ => {
                    let action = match env.restore_from {
                        Some(_) => Action::Restore,
                        None => Action::Snapshot,
                    };
                    (vec![(action, entry, env_pointer.clone())], None)
                }
            };
            let from = from.or(env.restore_from.as_deref());
            if let Some(from) = from {
                if !environments.iter().any(|e| e.name == from) {
                    report(
                        &format!("{env_pointer}/from"),
                        format!("unknown environment `{from}` in from"),
                    );
                }
            }
            for (action, value, job_pointer) in jobs {
                let spec = match JobSpec::read(value) {
                    Ok(spec) => spec,
                    Err(e) => {
                        report(&job_pointer, format!("{cluster_name}: {e}"));
                        continue;
                    }
                };
                if action == Action::Restore && from.is_none() {
                    report(
                        &job_pointer,
                        format!(
                            "{}: a restore in `{}`, which restores from nothing: say `from:` which environment's snapshots it reads",
                            cluster_name, env.name
                        ),
                    );
                    continue;
                }
                let mut job = job(cluster_name, &cluster, action, from, &spec);
                let default = match action {
                    Action::Snapshot => durations.snapshot,
                    Action::Restore => durations.restore,
                };
                job.duration = default;
                if let Some(text) = &spec.duration {
                    match crate::promql::duration(text) {
                        Ok(d) => {
                            job.duration = d.as_secs().unsigned_abs();
                            job.duration_set = true;
                        }
                        Err(e) => report(&format!("{job_pointer}/duration"), e.to_string()),
                    }
                }
                let schedule_pointer = if value.is_string() {
                    job_pointer.clone()
                } else {
                    format!("{job_pointer}/schedule")
                };
                job.origin = JobOrigin {
                    job: at(&job_pointer),
                    schedule: at(&schedule_pointer),
                };
                if let Err(e) = job.cron() {
                    report(&schedule_pointer, format!("{}: {e}", job.name));
                }
                out.environments[index].jobs.push(job);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (env, job) in out.jobs() {
        if !seen.insert((env.name.clone(), job.name.clone())) {
            let pointer = format!("/search/clusters/{}", yaml::escape(&job.cluster));
            report(
                &pointer,
                format!(
                    "{}: two jobs named `{}`: give one a `name`",
                    env.name, job.name
                ),
            );
        }
    }
    out
}

fn duration_at(search: &Value, key: &str, report: &mut dyn FnMut(&str, String)) -> Option<u64> {
    let text = search.get("duration")?.get(key)?.as_str()?;
    match crate::promql::duration(text) {
        Ok(d) => Some(d.as_secs().unsigned_abs()),
        Err(e) => {
            report(&format!("/search/duration/{key}"), e.to_string());
            None
        }
    }
}

/// Reads the chart's values.yaml. Every problem is reported with its line
/// and column; the jobs come back beside them (lint reads what it can).
pub fn import(path: &Path, text: &str) -> Result<(Search, Diagnostics), Diagnostics> {
    let root = yaml::parse(text, Dialect::HelmValues)
        .map_err(|e| Diagnostics(vec![Diagnostic::error("yaml", path, e.origin, e.message)]))?;
    let mut problems = Diagnostics::default();
    let mut out = Search {
        chart: root
            .value
            .entries()
            .iter()
            .filter(|(k, _)| k.value != "cronjobs")
            .map(|(k, v)| (k.value.clone(), v.value.to_json()))
            .collect(),
        ..Search::default()
    };
    let Some(cronjobs) = root.value.get("cronjobs") else {
        let at = yaml::origin(&root);
        problems.push(Diagnostic::error(
            "values",
            path,
            at,
            "no `cronjobs:` mapping in this values file",
        ));
        return Err(problems);
    };
    for (env_name, jobs) in cronjobs.value.entries() {
        let env_pointer = format!("/cronjobs/{}", yaml::escape(&env_name.value));
        let mut env = SearchEnvironment {
            name: env_name.value.clone(),
            jobs: Vec::new(),
        };
        let listed: Vec<(String, String, &Spanned<Node>)> = match &jobs.value {
            Node::Map(_) => jobs
                .value
                .entries()
                .iter()
                .map(|(k, v)| {
                    let pointer = format!("{env_pointer}/{}", yaml::escape(&k.value));
                    (k.value.clone(), pointer, v)
                })
                .collect(),
            Node::Seq(items) => {
                out.listed = true;
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let name = v
                            .value
                            .get("name")
                            .and_then(|n| n.value.as_str())
                            .unwrap_or_default();
                        (name.to_owned(), format!("{env_pointer}/{i}"), v)
                    })
                    .collect()
            }
            Node::Null => Vec::new(),
            other => {
                let why = format!(
                    "environment `{}` is {}, not jobs",
                    env_name.value,
                    other.kind()
                );
                problems.push(Diagnostic::error(
                    "values",
                    path,
                    yaml::origin(env_name),
                    why,
                ));
                continue;
            }
        };
        for (name, pointer, spec) in listed {
            match read_job(&name, &spec.value.to_json()) {
                Ok(mut job) => {
                    job.origin = JobOrigin {
                        job: locate(&root, &pointer),
                        schedule: locate(&root, &format!("{pointer}/schedule")),
                    };
                    env.jobs.push(job);
                }
                Err(why) => {
                    let d = Diagnostic::error("values", path, locate(&root, &pointer), why)
                        .at_job(&env.name, &name);
                    problems.push(d);
                }
            }
        }
        out.environments.push(env);
    }
    Ok((out, problems))
}

/// The environments of a values file's jobs, in order, each restoring from
/// the environment most of its restores read.
pub fn environments(search: &Search) -> Vec<Environment> {
    search
        .environments
        .iter()
        .map(|env| {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for from in env.jobs.iter().filter_map(|j| j.from.as_deref()) {
                match counts.iter_mut().find(|(f, _)| *f == from) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((from, 1)),
                }
            }
            let best = counts.iter().map(|(_, n)| *n).max();
            let restore_from = counts
                .iter()
                .find(|(f, n)| Some(*n) == best && *f != env.name)
                .map(|(f, _)| (*f).to_owned())
                .filter(|f| search.environments.iter().any(|e| &e.name == f));
            Environment {
                name: env.name.clone(),
                bucket: Environment::default_bucket(&env.name),
                restore_from,
                ..Environment::default()
            }
        })
        .collect()
}

/// One job of the values file, with its cluster, action and source worked
/// out from its name, `args` and `SNAPSHOT_REPO`.
fn read_job(name: &str, spec: &Value) -> Result<SearchJob, String> {
    if name.is_empty() {
        return Err("a job without a name".into());
    }
    let schedule = match spec.get("schedule") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(format!("{name}: no `schedule`")),
    };
    let args: Vec<String> = match spec.get("args") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| a.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("{name}: `args` must be strings"))?,
        _ => return Err(format!("{name}: no `args`")),
    };
    let action = args
        .first()
        .and_then(|a| Action::from_arg(a))
        .ok_or_else(|| {
            format!("{name}: `args` must start with create_and_clean_up or restore_latest")
        })?;
    let extra_env = match spec.get("extraEnv") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Array(items)) if items.iter().all(Value::is_object) => Some(v.clone()),
        Some(_) => return Err(format!("{name}: `extraEnv` must be a list of variables")),
    };
    let suspend = match spec.get("suspend") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(format!("{name}: `suspend` must be true or false")),
    };
    let mut job = SearchJob {
        name: name.to_owned(),
        schedule,
        suspend,
        args,
        extra_env,
        cluster: String::new(),
        action,
        from: None,
        duration: DEFAULT_DURATION,
        duration_set: false,
        allow: Vec::new(),
        origin: search::no_origin(),
    };
    if action == Action::Restore {
        job.from = job
            .env_value("SNAPSHOT_REPO")
            .and_then(search::repository_env)
            .map(str::to_owned);
    }
    job.cluster = cluster_of(&job);
    Ok(job)
}

/// The cluster a job works on. A job without `SUBDOMAIN` works on the
/// environment's one default cluster, `search` here (the chart's first
/// revisions had no other). Else its name says, as the chart names jobs
/// (`<cluster>-snapshot`, `<cluster>-cp-<source>`), or else the subdomain.
pub fn cluster_of(job: &SearchJob) -> String {
    let Some(subdomain) = job.env_value("SUBDOMAIN") else {
        return DEFAULT_CLUSTER.to_owned();
    };
    if let Some(cluster) = job.name.strip_suffix("-snapshot") {
        return cluster.to_owned();
    }
    if let Some((cluster, _)) = job.name.rsplit_once("-cp-") {
        return cluster.to_owned();
    }
    subdomain.to_owned()
}

/// The cluster of the jobs that set no `SUBDOMAIN`.
pub const DEFAULT_CLUSTER: &str = "search";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_chart() {
        assert_eq!(
            derived_name("green-es6", Action::Restore, Some("production")),
            "green-es6-cp-prod"
        );
        assert_eq!(
            derived_name("green-es6", Action::Restore, Some("staging")),
            "green-es6-cp-stag"
        );
        assert_eq!(
            derived_name("chat-engine", Action::Snapshot, None),
            "chat-engine-snapshot"
        );
    }

    #[test]
    fn a_restore_reads_its_source_and_cluster_from_the_values() {
        let spec = json!({"schedule": "50 2 * * *", "args": ["restore_latest"],
            "extraEnv": [{"name": "SNAPSHOT_REPO", "value": "govuk-production"},
                {"name": "SUBDOMAIN", "value": "elasticsearch6"}]});
        let job = read_job("green-es6-cp-prod", &spec).unwrap();
        assert_eq!(job.action, Action::Restore);
        assert_eq!(job.from.as_deref(), Some("production"));
        assert_eq!(job.cluster, "green-es6");
    }
}
