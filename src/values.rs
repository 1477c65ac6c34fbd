//! The db-backup chart's values: importing a values.yaml into a [`Plan`],
//! and printing a plan's `cronjobs` block.

use crate::cron::Schedule;
use crate::diagnostic::{Diagnostic, Diagnostics, Kind};
use crate::plan::{Environment, Job, JobOrigin, Op, Operation, Origin, Plan};
use crate::schema::{Part, check_part};
use crate::yaml::{self, Dialect, Node, Spanned, locate, origin};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
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
    Ok((plan, problems))
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
    Ok(chart_of(&root.value))
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
        Some(job)
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

/// The `cronjobs` block of values.yaml: `cronjobs:`, then each
/// environment's jobs by name, each with the chart's keys it sets. It is
/// written straight from the plan (`yaml::to_string(&CronJobs(plan))`), or
/// made into data by [`cronjobs`].
pub struct CronJobs<'a>(pub &'a Plan);

/// One job's entry in the `cronjobs` block.
pub struct JobValues<'a>(pub &'a Job);

/// One entry of a job's `operations`.
struct OperationValues<'a>(&'a Operation);

impl Serialize for CronJobs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let environments = self.0.environments.iter().map(|env| {
            let jobs = Entries(|| env.jobs.iter().map(|j| (&j.name, JobValues(j))));
            (&env.name, jobs)
        });
        let mut block = s.serialize_map(Some(1))?;
        block.serialize_entry("cronjobs", &Entries(|| environments.clone()))?;
        block.end()
    }
}

/// A mapping of the entries a closure lists.
struct Entries<F>(F);

impl<F, I, K, V> Serialize for Entries<F>
where
    F: Fn() -> I,
    I: Iterator<Item = (K, V)>,
    K: Serialize,
    V: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map((self.0)())
    }
}

impl Serialize for JobValues<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let job = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schedule", &job.schedule)?;
        let present = [
            ("suspend", job.suspend.map(Scalar::Bool)),
            ("host", job.host.as_deref().map(Scalar::Str)),
            ("dbms", job.dbms.as_deref().map(Scalar::Str)),
            ("db", job.db.as_deref().map(Scalar::Str)),
            ("replicaSet", job.replica_set.as_deref().map(Scalar::Str)),
            ("noAuth", job.no_auth.map(Scalar::Bool)),
            ("dbUser", job.db_user.as_deref().map(Scalar::Str)),
            (
                "maxJobRuntimeSeconds",
                job.max_job_runtime_seconds.map(Scalar::Number),
            ),
            ("resources", job.resources.as_ref().map(Scalar::Data)),
        ];
        for (key, value) in present {
            if let Some(value) = value {
                m.serialize_entry(key, &value)?;
            }
        }
        let operations: Vec<OperationValues> = job.operations.iter().map(OperationValues).collect();
        m.serialize_entry("operations", &operations)?;
        if let Some(env) = &job.extra_env {
            m.serialize_entry("extraEnv", env)?;
        }
        m.end()
    }
}

impl Serialize for OperationValues<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let op = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("op", &op.op)?;
        for (key, value) in [
            ("bucket", &op.bucket),
            ("db", &op.db),
            ("script", &op.script),
        ] {
            if let Some(v) = value {
                m.serialize_entry(key, v)?;
            }
        }
        if let Some(env) = &op.extra_env {
            m.serialize_entry("extraEnv", env)?;
        }
        m.end()
    }
}

/// A job setting's value.
#[derive(Serialize)]
#[serde(untagged)]
enum Scalar<'a> {
    Bool(bool),
    Str(&'a str),
    Number(u64),
    Data(&'a Value),
}

/// The `cronjobs` block of values.yaml, as data.
pub fn cronjobs(plan: &Plan) -> Value {
    serde_json::to_value(CronJobs(plan)).expect("the cronjobs block is data with string keys")
}

/// One job's entry in the `cronjobs` block, as data.
pub fn job_values(job: &Job) -> Value {
    serde_json::to_value(JobValues(job)).expect("a job's values are data with string keys")
}

/// The `cronjobs` mapping of a values file, anchors and merges resolved.
pub fn read_cronjobs(text: &str) -> Result<Value, yaml::ParseError> {
    let root = yaml::parse(text, Dialect::HelmValues)?;
    Ok(root
        .value
        .get("cronjobs")
        .map_or(Value::Null, |c| c.value.to_json()))
}

/// The place of a JSON Pointer in a values file (for reporting).
pub fn locate_in(text: &str, pointer: &str) -> Origin {
    yaml::parse(text, Dialect::HelmValues)
        .map(|root| locate(&root, pointer))
        .unwrap_or_default()
}

/// The values file with its top-level `cronjobs:` block replaced by `block`
/// (which starts with `cronjobs:`), and every other byte as it was. The
/// block ends where the next top-level key begins; comments and blank lines
/// just before that key stay with it. `None` when there is no such block.
pub fn replace_cronjobs(text: &str, block: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| {
        l.strip_prefix("cronjobs:")
            .is_some_and(|rest| rest.trim().is_empty() || rest.trim_start().starts_with('#'))
    })?;
    let top_level = |l: &str| !l.starts_with([' ', '\t', '#', '\n', '\r']) && !l.trim().is_empty();
    let next_key =
        (start + 1..lines.len()).find(|&i| top_level(lines[i]) && !lines[i].starts_with("---"));
    let mut end = next_key.unwrap_or(lines.len());
    if next_key.is_some() {
        while end > start + 1
            && (lines[end - 1].trim().is_empty() || lines[end - 1].starts_with('#'))
        {
            end -= 1;
        }
    }
    let mut out = String::with_capacity(text.len() + block.len());
    out.extend(lines[..start].iter().copied());
    out.push_str(block);
    if !block.ends_with('\n') {
        out.push('\n');
    }
    if next_key.is_some() && end < lines.len() && !lines[end].trim().is_empty() {
        out.push('\n');
    }
    out.extend(lines[end..].iter().copied());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_cronjobs_block() {
        let text =
            "a: 1  # keep\n\ncronjobs:\n  production:\n    x: {}\n\n# about b\nb: &b\n  c: 2\n";
        let out = replace_cronjobs(text, "cronjobs:\n  staging: {}\n").unwrap();
        assert_eq!(
            out,
            "a: 1  # keep\n\ncronjobs:\n  staging: {}\n\n# about b\nb: &b\n  c: 2\n"
        );
        let last = "a: 1\ncronjobs:\n  production:\n    x: {}\n";
        assert_eq!(
            replace_cronjobs(last, "cronjobs: {}\n").unwrap(),
            "a: 1\ncronjobs: {}\n"
        );
        assert_eq!(replace_cronjobs("a: 1\n", "cronjobs: {}\n"), None);
    }
}
