//! The db-backup chart's values: importing a values.yaml into a [`Plan`].

use crate::cron::Schedule;
use crate::model::diagnostic::{Diagnostic, Diagnostics, Kind};
use crate::model::plan::{Environment, Job, JobOrigin, Op, Operation, Origin, Plan};
use crate::read::safe::{self, Place};
use crate::read::schema::{Part, check_part};
use crate::read::template;
use crate::read::yaml::{self, Dialect, Node, Spanned, locate, origin};
use serde_json::{Map, Value};
use std::path::Path;

/// Reads a chart values file into a plan. Every problem is reported, each
/// with its line and column; a plan is returned only when there are none.
pub fn import(path: &Path, text: &str) -> Result<Plan, Diagnostics> {
    let (plan, problems) = import_with(path, text, false, false)?;
    problems.into_result(plan)
}

/// Like [`import`], but a schedule Kubernetes rejects is kept as found, with
/// an `allow` of the `cron-syntax` rule that says so. For importing
/// historical revisions; a catalogue made this way renders what was shipped.
pub fn import_keeping_invalid_schedules(path: &Path, text: &str) -> Result<Plan, Diagnostics> {
    let (plan, problems) = import_with(path, text, true, false)?;
    problems.into_result(plan)
}

/// Reads a values file as `envsync lint` does: the plan comes back beside
/// the problems rather than instead of them, and schedules and script names
/// are not checked here (lint's `cron-syntax` and `script-missing` rules do
/// that). Fails only when there is no plan to be had: the YAML does not
/// parse, or there is no `cronjobs:` mapping.
pub fn import_lenient(path: &Path, text: &str) -> Result<(Plan, Diagnostics), Diagnostics> {
    import_with(path, text, false, true)
}

fn import_with(
    path: &Path,
    text: &str,
    keep_invalid_schedules: bool,
    lenient: bool,
) -> Result<(Plan, Diagnostics), Diagnostics> {
    let root = yaml::parse(text, Dialect::HelmValues)
        .map_err(|e| Diagnostics(vec![Diagnostic::error("yaml", path, e.origin, e.message)]))?;
    let mut problems = Diagnostics::default();
    let mut plan = Plan {
        source: path.to_owned(),
        ..Plan::default()
    };
    plan.chart = chart_of(&root.value);
    let Some(cronjobs) = root.value.get("cronjobs") else {
        problems.push(Diagnostic::error(
            "values",
            path,
            origin(&root),
            "no `cronjobs:` mapping in this values file",
        ));
        return Err(problems);
    };
    // A catalogue needs at least one environment, each a mapping of jobs.
    let no_environments = match &cronjobs.value {
        Node::Map(entries) if entries.is_empty() && !lenient => Some("has no environments"),
        Node::Map(_) => None,
        _ => Some("is not a mapping of environments"),
    };
    if let Some(why) = no_environments {
        problems.push(Diagnostic::error(
            "values",
            path,
            origin(cronjobs),
            format!("`cronjobs:` {why}: there is nothing to import"),
        ));
        return Err(problems);
    }
    let mut check = Checker {
        path,
        problems: &mut problems,
        keep_invalid_schedules,
        lenient,
    };
    if !lenient {
        let chart = Value::Object(plan.chart.clone());
        check.part(None, "", &root, Part::Chart, &chart);
    }
    for (env_name, jobs) in cronjobs.value.entries() {
        let why = match &jobs.value {
            _ if lenient => None,
            Node::Map(_) | Node::Null => check_name(&env_name.value).err(),
            other => Some(format!(
                "environment `{}` is {}, not a mapping of jobs",
                env_name.value,
                other.kind()
            )),
        };
        if let Some(why) = why {
            check
                .problems
                .push(Diagnostic::error("values", path, origin(env_name), why));
            continue;
        }
        let mut env = Environment {
            name: env_name.value.clone(),
            bucket: Environment::default_bucket(&env_name.value),
            origin: origin(env_name),
            ..Environment::default()
        };
        for (job_name, spec) in jobs.value.entries() {
            if let Some(job) = check.job(&env.name, job_name, spec) {
                env.jobs.push(job);
            }
        }
        env.restore_from = None;
        plan.environments.push(env);
    }
    infer_sources(&mut plan);
    if !lenient {
        for finding in safe::check_against(&plan, &template::beside(path).0) {
            let at = locate(&root, &pointer(&finding.place));
            problems.push(Diagnostic::error("values", path, at, finding.message));
        }
    }
    Ok((plan, problems))
}

/// The JSON Pointer in a values file of a value [`safe::check`] names.
pub fn pointer(place: &Place) -> String {
    let chart_key = |key: &str| {
        safe::KEYS
            .iter()
            .find(|(catalogue, _)| *catalogue == key)
            .map_or(key, |(_, chart)| chart)
            .to_owned()
    };
    let job =
        |env: &str, job: &str| format!("/cronjobs/{}/{}", yaml::escape(env), yaml::escape(job));
    match place {
        Place::Chart(pointer) | Place::SearchChart(pointer) => pointer.clone(),
        // A label is not in a values file; a search job is placed by its origin.
        Place::Label(_) | Place::SearchJob { .. } => String::new(),
        Place::Job {
            env,
            job: name,
            key: "name",
        } => job(env, name),
        Place::Job {
            env,
            job: name,
            key,
        } => format!("{}/{}", job(env, name), chart_key(key)),
        Place::JobEnv {
            env,
            job: name,
            index,
        } => format!("{}/extraEnv/{index}", job(env, name)),
        Place::Operation {
            env,
            job: name,
            index,
            key,
        } => {
            format!("{}/operations/{index}/{}", job(env, name), chart_key(key))
        }
        Place::OperationEnv {
            env,
            job: name,
            index,
            entry,
        } => {
            format!("{}/operations/{index}/extraEnv/{entry}", job(env, name))
        }
    }
}

/// The chart-level values of a values file: everything but `cronjobs` and
/// the `_name:` keys that only hold anchors for jobs to merge.
fn chart_of(root: &Node) -> Map<String, Value> {
    root.entries()
        .iter()
        .filter(|(k, _)| k.value != "cronjobs" && !k.value.starts_with('_'))
        .map(|(k, v)| (k.value.clone(), v.value.to_json()))
        .collect()
}

/// The chart-level values of a values file, for rendering a catalogue with
/// the settings a chart checkout holds.
pub fn chart(path: &Path, text: &str) -> Result<Map<String, Value>, Diagnostics> {
    let root = yaml::parse(text, Dialect::HelmValues)
        .map_err(|e| Diagnostics(vec![Diagnostic::error("yaml", path, e.origin, e.message)]))?;
    let chart = Plan {
        chart: chart_of(&root.value),
        ..Plan::default()
    };
    let mut problems = Diagnostics::default();
    for finding in safe::check(&chart)
        .into_iter()
        .chain(safe::image_missing(&chart.chart))
    {
        let at = locate(&root, &pointer(&finding.place));
        problems.push(Diagnostic::error("values", path, at, finding.message));
    }
    problems.into_result(chart.chart)
}

/// Each environment restores from the environment whose bucket most of its
/// restores read.
fn infer_sources(plan: &mut Plan) {
    let buckets: Vec<(String, String)> = plan
        .environments
        .iter()
        .map(|e| (e.bucket.clone(), e.name.clone()))
        .collect();
    for env in &mut plan.environments {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for op in env.jobs.iter().flat_map(|j| &j.operations) {
            if op.kind() != Some(Op::Restore) {
                continue;
            }
            let source = op
                .bucket
                .as_deref()
                .and_then(|b| buckets.iter().find(|(bucket, _)| bucket == b))
                .map(|(_, name)| name.as_str());
            if let Some(source) = source.filter(|s| *s != env.name) {
                match counts.iter_mut().find(|(s, _)| *s == source) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((source, 1)),
                }
            }
        }
        env.restore_from = counts
            .iter()
            .max_by_key(|(_, n)| *n)
            .map(|(s, _)| (*s).to_owned());
    }
}

/// Reads jobs and reports what is wrong with them.
struct Checker<'a> {
    path: &'a Path,
    problems: &'a mut Diagnostics,
    keep_invalid_schedules: bool,
    /// Leave schedules and script names to lint's rules.
    lenient: bool,
}

const JOB_KEYS: &[&str] = &[
    "schedule",
    "suspend",
    "host",
    "dbms",
    "db",
    "maxJobRuntimeSeconds",
    "resources",
    "extraEnv",
    "replicaSet",
    "noAuth",
    "dbUser",
    "operations",
];
const OPERATION_KEYS: &[&str] = &["op", "bucket", "db", "script", "extraEnv"];

impl Checker<'_> {
    fn error(&mut self, env: &str, job: &str, at: Origin, message: String) {
        self.problems
            .push(Diagnostic::error("values", self.path, at, message).at_job(env, job));
    }

    /// Checks a value that the catalogue will hold as it is against the
    /// catalogue's schema, so that import never writes one that cannot load.
    /// `data` is `node` as JSON, `key` its key; `job` is the environment and
    /// job it is in.
    fn part(
        &mut self,
        job: Option<(&str, &str)>,
        key: &str,
        node: &Spanned<Node>,
        part: Part,
        data: &Value,
    ) {
        if self.lenient {
            return;
        }
        if let Some((pointer, message)) = check_part(part, data) {
            let place = format!("{key}{}", pointer.replace('/', "."));
            let message = format!("`{}`: {message}", place.trim_start_matches('.'));
            let d = Diagnostic::error("values", self.path, locate(node, &pointer), message);
            self.problems.push(match job {
                Some((env, job)) => d.at_job(env, job),
                None => d,
            });
        }
    }

    /// A job of `env` from its values; what is wrong is reported.
    fn job(&mut self, env: &str, name: &Spanned<String>, spec: &Spanned<Node>) -> Option<Job> {
        let job_name = name.value.as_str();
        let mut job = Job {
            name: job_name.to_owned(),
            origin: JobOrigin {
                job: origin(name),
                schedule: origin(spec),
            },
            ..Job::default()
        };
        if let Err(why) = check_name(job_name) {
            self.error(env, job_name, origin(name), why);
        }
        let Node::Map(entries) = &spec.value else {
            let kind = spec.value.kind();
            self.error(
                env,
                job_name,
                origin(spec),
                format!("job `{job_name}` is {kind}, not a mapping"),
            );
            return None;
        };
        self.read_job_keys(env, job_name, entries, &mut job);
        self.check_job_parts(env, job_name, spec);
        self.check_job_schedule(env, name, spec, &mut job);
        self.read_job_operations(env, name, spec, &mut job);
        Some(job)
    }

    /// Each key of a job into `job`; wrong types and unknown keys reported.
    fn read_job_keys(&mut self, env: &str, job_name: &str, entries: &[yaml::Entry], job: &mut Job) {
        for (key, value) in entries {
            let at = origin(value);
            let mut want = |kind: &str| {
                let found = value.value.kind();
                self.error(
                    env,
                    job_name,
                    at,
                    format!("`{}` must be {kind}, not {found}", key.value),
                );
            };
            match (key.value.as_str(), &value.value) {
                ("schedule", Node::String(s)) => {
                    job.schedule = s.clone();
                    job.origin.schedule = at;
                }
                ("suspend", Node::Bool(b)) => job.suspend = Some(*b),
                ("noAuth", Node::Bool(b)) => job.no_auth = Some(*b),
                ("host", Node::String(s)) => job.host = Some(s.clone()),
                ("dbms", Node::String(s)) => job.dbms = Some(s.clone()),
                ("db", Node::String(s)) => job.db = Some(s.clone()),
                ("replicaSet", Node::String(s)) => job.replica_set = Some(s.clone()),
                ("dbUser", Node::String(s)) => job.db_user = Some(s.clone()),
                ("maxJobRuntimeSeconds", Node::Number(n)) if n.as_u64() == Some(0) => self.error(
                    env,
                    job_name,
                    at,
                    "`maxJobRuntimeSeconds` must be at least 1".into(),
                ),
                ("maxJobRuntimeSeconds", Node::Number(n)) if n.as_u64().is_some() => {
                    job.max_job_runtime_seconds = n.as_u64()
                }
                ("resources", Node::Map(_)) => job.resources = Some(value.value.to_json()),
                ("extraEnv", Node::Seq(_)) => job.extra_env = Some(value.value.to_json()),
                ("operations", Node::Seq(_)) => {}
                ("schedule" | "host" | "dbms" | "db" | "replicaSet" | "dbUser", _) => {
                    want("a string")
                }
                ("suspend" | "noAuth", _) => want("true or false"),
                ("maxJobRuntimeSeconds", _) => want("a whole number of seconds"),
                ("resources", _) => want("a mapping"),
                ("extraEnv" | "operations", _) => want("a list"),
                (other, _) => {
                    let known = JOB_KEYS.join(", ");
                    self.error(
                        env,
                        job_name,
                        origin(key),
                        format!("unknown job key `{other}` (known: {known})"),
                    )
                }
            }
        }
    }

    /// The job's `resources` and `extraEnv`, checked against the chart.
    fn check_job_parts(&mut self, env: &str, job_name: &str, spec: &Spanned<Node>) {
        for (key, part) in [("resources", Part::Resources), ("extraEnv", Part::EnvVars)] {
            if let Some(value) = spec.value.get(key)
                && matches!(value.value, Node::Map(_) | Node::Seq(_))
            {
                self.part(
                    Some((env, job_name)),
                    key,
                    value,
                    part,
                    &value.value.to_json(),
                );
            }
        }
    }

    /// A job's schedule: reported when missing or invalid, or, when invalid
    /// schedules are kept, allowed with why.
    fn check_job_schedule(
        &mut self,
        env: &str,
        name: &Spanned<String>,
        spec: &Spanned<Node>,
        job: &mut Job,
    ) {
        let job_name = name.value.as_str();
        match spec.value.get("schedule") {
            None => self.error(
                env,
                job_name,
                origin(name),
                format!("job `{job_name}` has no schedule"),
            ),
            Some(s) => {
                let parsed = s.value.as_str().map(Schedule::parse);
                if let Some((text, Err(e))) = s.value.as_str().zip(parsed)
                    && !self.lenient
                {
                    if self.keep_invalid_schedules {
                        let why =
                            format!("imported as found; Kubernetes rejects it: {}", e.message);
                        job.allow.push(("cron-syntax".to_owned(), why));
                    } else {
                        let message = format!("schedule `{text}`: {}", e.message);
                        let d = Diagnostic::error("values", self.path, origin(s), message);
                        let d = d.at_job(env, job_name).of_kind(Kind::Schedule);
                        self.problems.push(d);
                    }
                }
            }
        }
    }

    /// A job's operations; reported when there are none.
    fn read_job_operations(
        &mut self,
        env: &str,
        name: &Spanned<String>,
        spec: &Spanned<Node>,
        job: &mut Job,
    ) {
        let job_name = name.value.as_str();
        match spec.value.get("operations") {
            Some(Spanned {
                value: Node::Seq(ops),
                ..
            }) if !ops.is_empty() => {
                for op in ops {
                    if let Some(op) = self.operation(env, job_name, op) {
                        job.operations.push(op);
                    }
                }
            }
            Some(Spanned {
                value: Node::Seq(_),
                at,
            }) => self.error(
                env,
                job_name,
                *at,
                format!("job `{job_name}` has no operations"),
            ),
            Some(_) => {}
            None => self.error(
                env,
                job_name,
                origin(name),
                format!("job `{job_name}` has no operations"),
            ),
        }
    }

    fn operation(&mut self, env: &str, job: &str, spec: &Spanned<Node>) -> Option<Operation> {
        let at = origin(spec);
        let Node::Map(entries) = &spec.value else {
            self.error(
                env,
                job,
                at,
                "an operation must be a mapping with `op:`".into(),
            );
            return None;
        };
        let mut op = Operation {
            origin: at,
            ..Operation::default()
        };
        for (key, value) in entries {
            let here = origin(value);
            match (key.value.as_str(), &value.value) {
                ("op", Node::String(s)) => {
                    if Op::parse(s).is_none() {
                        self.error(
                            env,
                            job,
                            here,
                            format!("unknown operation `{s}` (known: backup, restore, transform)"),
                        );
                    }
                    op.op = s.clone();
                }
                ("bucket", Node::String(s)) => op.bucket = Some(s.clone()),
                ("db", Node::String(s)) => op.db = Some(s.clone()),
                ("script", Node::String(s)) => {
                    if !self.lenient
                        && let Err(why) = check_script(s)
                    {
                        self.error(env, job, here, why);
                    }
                    op.script = Some(s.clone());
                }
                ("extraEnv", Node::Seq(_)) => {
                    let data = value.value.to_json();
                    self.part(Some((env, job)), "extraEnv", value, Part::EnvVars, &data);
                    op.extra_env = Some(data);
                }
                ("op" | "bucket" | "db" | "script", _) => {
                    let found = value.value.kind();
                    self.error(
                        env,
                        job,
                        here,
                        format!("`{}` must be a string, not {found}", key.value),
                    )
                }
                ("extraEnv", _) => self.error(env, job, here, "`extraEnv` must be a list".into()),
                (other, _) => {
                    let known = OPERATION_KEYS.join(", ");
                    self.error(
                        env,
                        job,
                        origin(key),
                        format!("unknown operation key `{other}` (known: {known})"),
                    )
                }
            }
        }
        if op.op.is_empty() {
            self.error(env, job, at, "operation has no `op:`".into());
        }
        Some(op)
    }
}

/// A job name must make a valid Kubernetes name (an RFC 1123 label).
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid Kubernetes name: use at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit"
        ))
    }
}

/// A sanitise script is a file name in the chart's scripts/ folder.
pub fn check_script(script: &str) -> Result<(), String> {
    if script.is_empty() || script.contains('/') || script.contains('\\') || script.contains("..") {
        Err(format!(
            "script `{script}` must be a file name in the chart's scripts/ folder, without `/` or `..`"
        ))
    } else {
        Ok(())
    }
}

/// The `cronjobs` mapping of a values file, anchors and merges resolved.
pub fn read_cronjobs(text: &str) -> Result<Value, yaml::ParseError> {
    let root = yaml::parse(text, Dialect::HelmValues)?;
    Ok(root
        .value
        .get("cronjobs")
        .map_or(Value::Null, |c| c.value.to_json()))
}
