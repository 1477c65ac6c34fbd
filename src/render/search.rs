//! The search-index-env-sync chart, rendered from a plan: the `cronjobs`
//! block of its values.yaml, and the CronJobs `helm template` prints from it.

use crate::model::plan::Environment;
use crate::model::search::{Action, Search, SearchJob};
use crate::output::File;
use crate::read::search::{self as read_search, ClusterSpec, JobSpec};
use crate::render::manifests::{CONTAINER_BLOCK, ManifestError, POD_BLOCK, block};
use crate::render::templates::Templates;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The template of one search-index-env-sync CronJob.
pub const TEMPLATE: &str = "search-cronjob.yaml";

/// One job's entry in the `cronjobs` block (with its `name` in the listed
/// form of the chart's first revisions).
pub fn job_values(job: &SearchJob, listed: bool) -> Value {
    let mut m = Map::new();
    if listed {
        m.insert("name".into(), json!(job.name));
    }
    if let Some(suspend) = job.suspend {
        m.insert("suspend".into(), json!(suspend));
    }
    m.insert("schedule".into(), json!(job.schedule));
    m.insert("args".into(), json!(job.args));
    if let Some(env) = &job.extra_env {
        m.insert("extraEnv".into(), env.clone());
    }
    Value::Object(m)
}

/// The `cronjobs` block of values.yaml, as data: `{cronjobs: {env: jobs}}`.
pub fn cronjobs(search: &Search) -> Value {
    let environments: Map<String, Value> = search
        .environments
        .iter()
        .filter(|e| !e.jobs.is_empty())
        .map(|env| {
            let jobs = env.jobs.iter();
            let jobs = if search.listed {
                Value::Array(jobs.map(|j| job_values(j, true)).collect())
            } else {
                Value::Object(
                    jobs.map(|j| (j.name.clone(), job_values(j, false)))
                        .collect(),
                )
            };
            (env.name.clone(), jobs)
        })
        .collect();
    json!({ "cronjobs": environments })
}

/// The values file, `cronjobs.yaml`.
pub fn values(search: &Search) -> Result<Vec<File>, serde_saphyr::SerializeError> {
    let text = crate::read::yaml::to_string(&cronjobs(search))?;
    Ok(vec![File::new("cronjobs.yaml", text)])
}

/// Everything the template needs for one CronJob.
#[derive(Serialize)]
struct CronJob<'a> {
    environment: &'a str,
    /// The CronJob's name, `search-index-env-sync-<job>`.
    name: String,
    /// The job's name, the `app.kubernetes.io/component` label.
    job: &'a str,
    schedule: &'a str,
    suspend: bool,
    image: &'a str,
    args: &'a [String],
    extra_env: Option<minijinja::Value>,
    resources: Option<minijinja::Value>,
    pod_security_context: Option<minijinja::Value>,
    security_context: Option<minijinja::Value>,
}

/// One file per environment that has jobs, `<env>.yaml`: its CronJobs,
/// sorted by job name, as helm prints them.
pub fn manifests(search: &Search, templates: &Templates) -> Result<Vec<File>, ManifestError> {
    let chart = &search.chart;
    let image = crate::render::manifests::image(chart)?;
    let context = |key: &str, indent| match chart.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(block(v, indent)?)),
        Some(_) => Err(ManifestError::Setting {
            key: key.to_owned(),
            expected: "a mapping",
        }),
    };
    let resources = context("resources", CONTAINER_BLOCK)?;
    let pod_security_context = context("podSecurityContext", POD_BLOCK)?;
    let security_context = context("securityContext", CONTAINER_BLOCK)?;
    let mut files = Vec::new();
    for env in search.environments.iter().filter(|e| !e.jobs.is_empty()) {
        let mut jobs: Vec<&SearchJob> = env.jobs.iter().collect();
        jobs.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = String::new();
        for job in jobs {
            let extra_env = match &job.extra_env {
                Some(env @ Value::Array(items)) if !items.is_empty() => {
                    Some(block(env, CONTAINER_BLOCK)?)
                }
                _ => None,
            };
            let cronjob = CronJob {
                environment: &env.name,
                name: job.cronjob_name(),
                job: &job.name,
                schedule: &job.schedule,
                suspend: job.suspended(),
                image: &image,
                args: &job.args,
                extra_env,
                resources: resources.clone(),
                pod_security_context: pod_security_context.clone(),
                security_context: security_context.clone(),
            };
            out.push_str(&templates.render(TEMPLATE, &cronjob)?);
        }
        files.push(File::new(format!("{}.yaml", env.name), out));
    }
    Ok(files)
}

/// The catalogue's `search:` for a plan's search jobs: one entry per
/// cluster, compact wherever the chart's conventions give a job back
/// exactly, explicit where they do not.
pub fn catalogue(search: &Search, environments: &[Environment]) -> Value {
    // A second job of one kind for a cluster in one environment is a
    // cluster of its own, by the job's name.
    let mut all: Vec<(&str, SearchJob)> = Vec::new();
    for (env, job) in search.jobs() {
        let mut job = job.clone();
        let taken = |job: &SearchJob| {
            all.iter()
                .any(|(e, j)| *e == env.name && j.cluster == job.cluster && j.action == job.action)
        };
        if taken(&job) {
            job.cluster = job.name.clone();
        }
        all.push((&env.name, job));
    }
    let mut clusters: Map<String, Value> = Map::new();
    let mut order: Vec<String> = Vec::new();
    for (_, job) in &all {
        if !order.contains(&job.cluster) {
            order.push(job.cluster.clone());
        }
    }
    for cluster_name in &order {
        let jobs: Vec<(&str, &SearchJob)> = all
            .iter()
            .filter(|(_, j)| &j.cluster == cluster_name)
            .map(|(e, j)| (*e, j))
            .collect();
        let spec = ClusterSpec {
            subdomain: most_common(jobs.iter().filter_map(|(_, j)| j.env_value("SUBDOMAIN"))),
            credentials: most_common(jobs.iter().filter_map(|(_, j)| credentials(j))),
            extra_env: None,
        };
        let mut entry = Map::new();
        if let Some(subdomain) = &spec.subdomain {
            entry.insert("subdomain".into(), json!(subdomain));
        }
        if let Some(secret) = &spec.credentials {
            entry.insert("credentials".into(), json!(secret));
        }
        for env in environments {
            let here: Vec<&SearchJob> = jobs
                .iter()
                .filter(|(e, _)| *e == env.name)
                .map(|(_, j)| *j)
                .collect();
            if here.is_empty() {
                continue;
            }
            let from = here
                .iter()
                .find(|j| j.action == Action::Restore)
                .and_then(|j| j.from.clone())
                .or_else(|| env.restore_from.clone());
            let mut specs: Map<String, Value> = Map::new();
            for job in &here {
                let spec = job_spec(cluster_name, &spec, job, from.as_deref());
                specs.insert(job.action.as_str().into(), spec);
            }
            let default = match env.restore_from {
                Some(_) => Action::Restore,
                None => Action::Snapshot,
            };
            let one_line = here.len() == 1
                && here[0].action == default
                && (default == Action::Snapshot || from == env.restore_from)
                && specs.values().all(Value::is_string);
            let value = if one_line {
                specs.into_iter().map(|(_, v)| v).next().unwrap_or_default()
            } else {
                if here.iter().any(|j| j.action == Action::Restore) && from != env.restore_from {
                    specs.insert("from".into(), json!(from));
                }
                Value::Object(specs)
            };
            entry.insert(env.name.clone(), value);
        }
        clusters.insert(cluster_name.clone(), Value::Object(entry));
    }
    let mut out = Map::new();
    if !search.chart.is_empty() {
        out.insert("chart".into(), Value::Object(search.chart.clone()));
    }
    if search.listed {
        out.insert("listed".into(), json!(true));
    }
    out.insert("clusters".into(), Value::Object(clusters));
    Value::Object(out)
}

/// A job's settings in the catalogue: its schedule alone where the
/// conventions give the rest, else what they do not give.
fn job_spec(
    cluster_name: &str,
    cluster: &ClusterSpec,
    job: &SearchJob,
    from: Option<&str>,
) -> Value {
    let mut spec = JobSpec {
        schedule: job.schedule.clone(),
        suspend: job.suspend,
        ..JobSpec::default()
    };
    let made = |spec: &JobSpec| read_search::job(cluster_name, cluster, job.action, from, spec);
    if made(&spec).name != job.name {
        spec.name = Some(job.name.clone());
    }
    if made(&spec).args != job.args {
        spec.args = Some(job.args.clone());
    }
    if made(&spec).extra_env != job.extra_env {
        let env = match &job.extra_env {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        spec.env = Some(env);
    }
    let mut m = Map::new();
    m.insert("schedule".into(), json!(spec.schedule));
    for (key, value) in [
        ("name", spec.name.map(Value::from)),
        ("suspend", spec.suspend.map(Value::from)),
        ("args", spec.args.map(|a| json!(a))),
        ("env", spec.env.map(Value::Array)),
    ] {
        if let Some(value) = value {
            m.insert(key.into(), value);
        }
    }
    if m.len() == 1 {
        json!(job.schedule)
    } else {
        Value::Object(m)
    }
}

/// The secret a job reads SEARCH_USERNAME and SEARCH_PASSWORD from, when
/// it reads both from one as the chart's jobs do.
fn credentials(job: &SearchJob) -> Option<&str> {
    let secret = |var: &str, key: &str| {
        job.extra_env.as_ref()?.as_array()?.iter().find_map(|e| {
            let from = e.get("valueFrom")?.get("secretKeyRef")?;
            (e.get("name")?.as_str()? == var && from.get("key")?.as_str()? == key)
                .then(|| from.get("name")?.as_str())
                .flatten()
        })
    };
    let user = secret("SEARCH_USERNAME", "username")?;
    (secret("SEARCH_PASSWORD", "password")? == user).then_some(user)
}

/// The value most often given, the first of those given equally often.
fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|(c, _)| *c == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts
        .into_iter()
        .find(|(_, n)| *n == best)
        .map(|(v, _)| v.to_owned())
}
