//! The Kubernetes CronJobs of every environment, as the db-backup chart
//! renders them.
//!
//! Everything the chart computes (names, labels, the DBMS, containers and
//! their environment, merged resources) is worked out here into a context per
//! job; the `cronjob.yaml` template only lays it out. Scalars are printed by
//! the template's auto-escaping, so no value can change the structure of a
//! manifest. Nested data (resources, security contexts, extra environment
//! variables) is written as block YAML by the YAML serializer and handed to
//! the template as ready-made, safe text that the template only indents.

use crate::model::plan::{Environment, Job, Plan};
use crate::output::File;
use crate::render::sorted;
use crate::render::templates::{TemplateError, Templates};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::VecDeque;

/// The template of one CronJob.
pub const TEMPLATE: &str = "cronjob.yaml";

/// The chart's name, which names its ConfigMap, secret and service account.
const CHART: &str = "db-backup";

/// The database user when a job does not name one (or names the empty
/// string, which helm's `default` passes over too).
const DB_USER: &str = "aws_db_admin";

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "the chart settings have no toolbox image: set `toolbox.image.repository` and `toolbox.image.tag`"
    )]
    MissingImage,
    #[error("chart setting `{key}` must be {expected}")]
    Setting { key: String, expected: &'static str },
    #[error("{environment}/{job}: `{key}` must be {expected}")]
    JobSetting {
        environment: String,
        job: String,
        key: &'static str,
        expected: &'static str,
    },
    #[error("{environment}/{job}: the job has no operations")]
    NoOperations { environment: String, job: String },
    #[error(
        "chart setting `{key}` is not supported: the names the chart gives with it are not known"
    )]
    Unsupported { key: &'static str },
    #[error(
        "{environment}/{job}: {value:?} has the character U+{:04X}, which a manifest cannot hold",
        u32::from(*.character)
    )]
    Unprintable {
        environment: String,
        job: String,
        value: String,
        character: char,
    },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("cannot write YAML: {0}")]
    Yaml(#[from] serde_saphyr::SerializeError),
}

/// One file per environment, `<env>.yaml`: its CronJobs, one YAML
/// document each, sorted by job name.
pub fn render(plan: &Plan, templates: &Templates) -> Result<Vec<File>, ManifestError> {
    // A catalogue of search index syncs alone has no db-backup CronJobs.
    if plan.jobs().next().is_none() {
        return Ok(Vec::new());
    }
    let chart = Chart::read(&plan.chart)?;
    plan.environments
        .iter()
        .map(|env| {
            let contents = render_environment(&chart, env, templates)?;
            Ok(File::new(format!("{}.yaml", env.name), contents))
        })
        .collect()
}

fn render_environment(
    chart: &Chart,
    env: &Environment,
    templates: &Templates,
) -> Result<String, ManifestError> {
    let mut jobs: Vec<&Job> = env.jobs.iter().collect();
    jobs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::new();
    let mut recent = RecentBlocks::default();
    let dns_searches = [
        format!("blue.{}.govuk-internal.digital", env.name),
        format!("{}.govuk-internal.digital", env.name),
    ];
    for job in jobs {
        let context = cronjob(chart, &env.name, &dns_searches, job, &mut recent)?;
        printable(&env.name, job, &context)?;
        out.push_str(&templates.render(TEMPLATE, &context)?);
    }
    Ok(out)
}

/// The chart-level values a CronJob uses, checked.
struct Chart<'a> {
    image: String,
    arch: String,
    suspend_all: bool,
    service_account: String,
    resources: Option<&'a Map<String, Value>>,
    extra_env: &'a [Value],
    /// The blocks every CronJob shares, written once: the chart's
    /// resources and `extraEnv` (for jobs with none of their own) and its
    /// security contexts.
    resources_block: Option<minijinja::Value>,
    extra_env_block: Option<minijinja::Value>,
    pod_security_context: Option<minijinja::Value>,
    security_context: Option<minijinja::Value>,
}

impl<'a> Chart<'a> {
    fn read(values: &'a Map<String, Value>) -> Result<Chart<'a>, ManifestError> {
        for key in ["nameOverride", "fullnameOverride"] {
            match values.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.is_empty() => {}
                Some(_) => return Err(ManifestError::Unsupported { key }),
            }
        }
        let setting = |key: &str, expected| ManifestError::Setting {
            key: key.to_owned(),
            expected,
        };
        let image = image(values)?;
        let arch = match values.get("arch") {
            None | Some(Value::Null) => "amd64".to_owned(),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => return Err(setting("arch", "amd64 or arm64")),
        };
        let suspend_all = match values.get("suspendAllCronJobs") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(setting("suspendAllCronJobs", "true or false")),
        };
        let resources = match values.get("resources") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => return Err(setting("resources", "a mapping")),
        };
        let extra_env = match values.get("extraEnv") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(items)) if items.iter().all(Value::is_object) => items,
            Some(_) => return Err(setting("extraEnv", "a list of environment variables")),
        };
        let context = |key: &str, indent| match values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(block(v, indent)?)),
            Some(_) => Err(setting(key, "a mapping")),
        };
        Ok(Chart {
            image,
            arch,
            suspend_all,
            service_account: service_account(values.get("serviceAccount"))?,
            resources,
            extra_env,
            resources_block: resources
                .map(|m| block(&Value::Object(m.clone()), CONTAINER_BLOCK))
                .transpose()?,
            extra_env_block: env_block(extra_env, &[], &[])?,
            pod_security_context: context("podSecurityContext", POD_BLOCK)?,
            security_context: context("securityContext", CONTAINER_BLOCK)?,
        })
    }
}

/// The toolbox image, `toolbox.image.repository:tag`.
pub fn image(values: &Map<String, Value>) -> Result<String, ManifestError> {
    let image = values.get("toolbox").and_then(|t| t.get("image"));
    let part = |name: &str| match image.and_then(|i| i.get(name)) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    match (part("repository"), part("tag")) {
        (Some(repository), Some(tag)) => Ok(format!("{repository}:{tag}")),
        _ => Err(ManifestError::MissingImage),
    }
}

/// The pod's service account: `serviceAccount.name`, or else the chart's
/// own account when it creates one and `default` when it does not.
fn service_account(settings: Option<&Value>) -> Result<String, ManifestError> {
    let setting = |key: &str, expected| ManifestError::Setting {
        key: format!("serviceAccount.{key}"),
        expected,
    };
    let settings = match settings {
        None | Some(Value::Null) => return Ok(CHART.to_owned()),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(ManifestError::Setting {
                key: "serviceAccount".into(),
                expected: "a mapping",
            });
        }
    };
    let create = match settings.get("create") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(setting("create", "true or false")),
    };
    match settings.get("name") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            Ok(if create { CHART } else { "default" }.to_owned())
        }
        Some(_) => Err(setting("name", "a string")),
    }
}

/// Everything the template needs for one CronJob.
#[derive(Debug, Serialize)]
struct CronJob<'a> {
    environment: &'a str,
    /// The CronJob's name, `db-backup-<job>`.
    name: String,
    /// The job's name, the `app.kubernetes.io/component` label.
    job: &'a str,
    arch: &'a str,
    /// Whether the pod must run on arm64 nodes.
    arm64: bool,
    schedule: &'a str,
    suspend: bool,
    active_deadline_seconds: u64,
    dns_searches: &'a [String],
    service_account: &'a str,
    /// The pod's `securityContext`, as block YAML.
    pod_security_context: Option<minijinja::Value>,
    /// One per operation: every operation but the last is an init
    /// container, the last is the pod's container.
    containers: Vec<Container<'a>>,
}

#[derive(Debug, Serialize)]
struct Container<'a> {
    /// The first of the init containers: the template opens their list.
    first_init: bool,
    /// The last operation, the pod's container: the template opens the
    /// list of containers.
    main: bool,
    name: String,
    image: &'a str,
    command: String,
    args: Vec<&'a str>,
    db_host: &'a str,
    db_database: Option<&'a str>,
    bucket: Option<&'a str>,
    /// Mongo reads a connection string; the others a user and password.
    mongo: bool,
    db_user: &'a str,
    /// The secret key of the password or connection string.
    secret_key: &'a str,
    /// Chart, job and operation `extraEnv`, in that order, as block YAML.
    extra_env: Option<minijinja::Value>,
    /// The job's resources merged over the chart's, as block YAML.
    resources: Option<minijinja::Value>,
    /// The container's `securityContext`, as block YAML.
    security_context: Option<minijinja::Value>,
}

/// The resources blocks of the jobs rendered last, by each job's own
/// resources: jobs given the same ones (by a profile, say) share a block,
/// written once. Only a few are kept, so that finding one stays cheap.
#[derive(Default)]
struct RecentBlocks<'a>(VecDeque<(&'a Map<String, Value>, minijinja::Value)>);

impl<'a> RecentBlocks<'a> {
    const KEPT: usize = 4;

    /// The block of the chart's resources with `own` merged over them.
    fn resources(
        &mut self,
        chart: &Chart,
        own: &'a Map<String, Value>,
    ) -> Result<minijinja::Value, ManifestError> {
        if let Some((_, block)) = self.0.iter().find(|(kept, _)| *kept == own) {
            return Ok(block.clone());
        }
        let mut merged = chart.resources.cloned().unwrap_or_default();
        deep_merge(&mut merged, own);
        let made = block(&Value::Object(merged), CONTAINER_BLOCK)?;
        if self.0.len() == Self::KEPT {
            self.0.pop_back();
        }
        self.0.push_front((own, made.clone()));
        Ok(made)
    }
}

fn cronjob<'a>(
    chart: &'a Chart,
    env: &'a str,
    dns_searches: &'a [String],
    job: &'a Job,
    recent: &mut RecentBlocks<'a>,
) -> Result<CronJob<'a>, ManifestError> {
    let bad = |key, expected| ManifestError::JobSetting {
        environment: env.to_owned(),
        job: job.name.clone(),
        key,
        expected,
    };
    let resources = match &job.resources {
        None | Some(Value::Null) => chart.resources_block.clone(),
        Some(Value::Object(own)) => Some(recent.resources(chart, own)?),
        Some(_) => return Err(bad("resources", "a mapping")),
    };
    let job_env = env_list(&job.extra_env)
        .ok_or_else(|| bad("extraEnv", "a list of environment variables"))?;

    let mut containers = Vec::with_capacity(job.operations.len());
    for (index, op) in job.operations.iter().enumerate() {
        let op_env = env_list(&op.extra_env)
            .ok_or_else(|| bad("operations.extraEnv", "a list of environment variables"))?;
        let extra_env = if job_env.is_empty() && op_env.is_empty() {
            chart.extra_env_block.clone()
        } else {
            env_block(chart.extra_env, job_env, op_env)?
        };
        let dbms = job.dbms();
        let mut args = vec![op.op.as_str()];
        args.extend(op.script.as_deref());
        containers.push(Container {
            first_init: index == 0 && index + 1 < job.operations.len(),
            main: index + 1 == job.operations.len(),
            name: format!("{index}-{}", op.op),
            image: &chart.image,
            command: format!("/opt/bin/backup-{dbms}"),
            args,
            db_host: job.host(),
            db_database: job.db_of(op),
            bucket: op.bucket.as_deref(),
            mongo: dbms == "mongo",
            db_user: job
                .db_user
                .as_deref()
                .filter(|u| !u.is_empty())
                .unwrap_or(DB_USER),
            secret_key: job.host(),
            extra_env,
            resources: resources.clone(),
            security_context: chart.security_context.clone(),
        });
    }
    if containers.is_empty() {
        return Err(ManifestError::NoOperations {
            environment: env.to_owned(),
            job: job.name.clone(),
        });
    }
    Ok(CronJob {
        environment: env,
        name: job.cronjob_name(),
        job: &job.name,
        arch: &chart.arch,
        arm64: chart.arch == "arm64",
        schedule: &job.schedule,
        suspend: chart.suspend_all || job.suspend.unwrap_or(false),
        active_deadline_seconds: job.active_deadline_seconds(),
        dns_searches,
        service_account: &chart.service_account,
        pod_security_context: chart.pod_security_context.clone(),
        containers,
    })
}

/// Checks that every value the template prints can be written as it is.
///
/// The template escapes values as JSON strings, which are YAML strings, but
/// JSON leaves some characters raw that YAML does not allow there (DEL, the
/// C1 controls) or that YAML 1.1 readers such as Kubernetes' take for line
/// breaks (U+0085, U+2028, U+2029). Nested blocks are written by the YAML
/// serializer, which escapes them.
fn printable(environment: &str, job: &Job, context: &CronJob) -> Result<(), ManifestError> {
    let containers = context.containers.iter();
    let mut values = [
        context.environment,
        &context.name,
        context.job,
        context.arch,
        context.schedule,
        context.service_account,
    ]
    .into_iter()
    .chain(context.dns_searches.iter().map(String::as_str))
    .chain(containers.flat_map(|c| {
        [
            &c.name,
            c.image,
            &c.command,
            c.db_host,
            c.db_user,
            c.secret_key,
        ]
        .into_iter()
        .chain(c.args.iter().copied())
        .chain(c.db_database)
        .chain(c.bucket)
    }));
    match values.find_map(|s| unprintable(s).map(|c| (s, c))) {
        None => Ok(()),
        Some((value, character)) => Err(ManifestError::Unprintable {
            environment: environment.to_owned(),
            job: job.name.clone(),
            value: value.to_owned(),
            character,
        }),
    }
}

/// The first character of `s` that is not [`yaml_printable`].
fn unprintable(s: &str) -> Option<char> {
    // Every character below DEL is (JSON escapes the control characters).
    if s.bytes().all(|b| b < 0x7f) {
        return None;
    }
    s.chars().find(|&c| !yaml_printable(c))
}

/// Whether a character can stand unescaped in a JSON string read as YAML.
/// (JSON escapes the C0 controls itself.)
fn yaml_printable(c: char) -> bool {
    !matches!(
        c,
        '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    )
}

/// A job's or operation's `extraEnv` as a list (none when absent).
fn env_list(value: &Option<Value>) -> Option<&[Value]> {
    match value {
        None | Some(Value::Null) => Some(&[]),
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => Some(items),
        Some(_) => None,
    }
}

/// `own` merged into `base`: mappings merge key by key, anything else in
/// `own` replaces what `base` has.
fn deep_merge(base: &mut Map<String, Value>, own: &Map<String, Value>) {
    for (key, value) in own {
        match (base.get_mut(key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => deep_merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The chart's, the job's and the operation's `extraEnv`, in that order,
/// as one block (none when all three are empty).
fn env_block(
    chart: &[Value],
    job: &[Value],
    op: &[Value],
) -> Result<Option<minijinja::Value>, ManifestError> {
    let all: Vec<Value> = chart.iter().chain(job).chain(op).cloned().collect();
    if all.is_empty() {
        return Ok(None);
    }
    block(&Value::Array(all), CONTAINER_BLOCK).map(Some)
}

/// How far the template indents the blocks of a pod's spec and of a
/// container in it.
pub const POD_BLOCK: usize = 12;
pub const CONTAINER_BLOCK: usize = 16;

/// Data as block YAML, keys sorted as Helm's `toYaml` prints them, every
/// line but empty ones indented by `indent` spaces, ready for the template
/// to print in place: written by the YAML serializer, which quotes and
/// escapes every scalar as it needs, so it is marked safe. (Indented here,
/// once per block, rather than by the template's `indent` filter for every
/// CronJob that prints it.)
pub fn block(value: &Value, indent: usize) -> Result<minijinja::Value, ManifestError> {
    let text = crate::read::yaml::to_string(&sorted(value))?;
    let mut indented = String::with_capacity(text.len() + text.len() / 4);
    for (i, line) in text.trim_end_matches('\n').split('\n').enumerate() {
        if i > 0 {
            indented.push('\n');
        }
        if !line.is_empty() {
            indented.extend(std::iter::repeat_n(' ', indent));
            indented.push_str(line);
        }
    }
    Ok(minijinja::Value::from_safe_string(indented))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_resources_deeply() {
        let mut base = json!({"limits": {"cpu": "1", "memory": "1Mi"}, "requests": {"cpu": "1"}});
        let own = json!({"limits": {"memory": "2Mi"}, "requests": "none"});
        deep_merge(base.as_object_mut().unwrap(), own.as_object().unwrap());
        assert_eq!(
            base,
            json!({"limits": {"cpu": "1", "memory": "2Mi"}, "requests": "none"})
        );
    }

    #[test]
    fn service_account_follows_the_chart() {
        assert_eq!(service_account(None).unwrap(), "db-backup");
        let named = json!({"create": true, "name": "backups"});
        assert_eq!(service_account(Some(&named)).unwrap(), "backups");
        let unnamed = json!({"create": true});
        assert_eq!(service_account(Some(&unnamed)).unwrap(), "db-backup");
        let none = json!({"create": false, "name": ""});
        assert_eq!(service_account(Some(&none)).unwrap(), "default");
    }

    #[test]
    fn a_chart_without_an_image_is_an_error() {
        let chart = json!({"toolbox": "toolbox:latest"});
        let err = Chart::read(chart.as_object().unwrap()).err().unwrap();
        assert!(matches!(err, ManifestError::MissingImage), "{err}");
    }
}
