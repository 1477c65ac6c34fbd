//! The catalogue: reading it, checking it against its schema and its
//! meaning, and expanding it into a [`Plan`].

use crate::cron::Schedule;
use crate::model::diagnostic::{Diagnostic, Diagnostics, Kind};
use crate::model::plan::{Environment, Job, JobOrigin, Op, Operation, Order, Origin, Plan, Speed};
use crate::read::safe::{self, Place};
use crate::read::schema;
use crate::read::template::{self, Unquoted};
use crate::read::yaml::{self, Dialect, Node, Spanned, locate, locate_key};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::Path;

/// The keys of a settings mapping (profiles, databases, environment
/// entries): the fields of [`Settings`], as serde reads them.
pub fn settings_keys() -> &'static [&'static str] {
    static KEYS: std::sync::OnceLock<&'static [&'static str]> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: &'static [&'static str] = &[];
        let _ = Settings::deserialize(FieldNames(&mut keys));
        keys
    })
}

/// A deserializer that only notes the field names of the struct asked of it.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("only the field names were wanted"))
    }

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        enum identifier ignored_any
    }
}

/// Settings for a job, as a profile, a database or an environment gives them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub schedule: Option<String>,
    pub profile: Option<String>,
    pub db: Option<String>,
    pub host: Option<String>,
    pub dbms: Option<String>,
    pub suspend: Option<bool>,
    pub max_runtime_seconds: Option<u64>,
    pub resources: Option<Value>,
    pub extra_env: Option<Value>,
    pub db_owner: Option<String>,
    pub replica_set: Option<String>,
    pub no_auth: Option<bool>,
    pub db_user: Option<String>,
    pub sanitise: Option<String>,
    pub steps: Option<Vec<String>>,
    pub operations: Option<Vec<OperationSpec>>,
    pub speed: Option<SpeedSpec>,
    pub allow: Option<Vec<Allow>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    pub op: String,
    pub from: Option<String>,
    pub bucket: Option<String>,
    pub db: Option<String>,
    pub script: Option<String>,
    pub extra_env: Option<Value>,
    pub speed: Option<Speed>,
}

/// One speed for every operation, or one per operation.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SpeedSpec {
    All(Speed),
    PerOp {
        backup: Option<Speed>,
        restore: Option<Speed>,
        transform: Option<Speed>,
    },
}

impl<'de> Deserialize<'de> for Speed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Speed::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown speed `{s}`")))
    }
}

impl SpeedSpec {
    fn of(&self, op: Op) -> Speed {
        match self {
            SpeedSpec::All(s) => *s,
            SpeedSpec::PerOp {
                backup,
                restore,
                transform,
            } => match op {
                Op::Backup => *backup,
                Op::Restore => *restore,
                Op::Transform => *transform,
            }
            .unwrap_or_default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    pub rule: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    pub bucket: Option<String>,
    pub restore_from: Option<String>,
    #[serde(default)]
    pub wider_access: bool,
}

/// A catalogue file parsed and checked against the schema, not yet
/// expanded into a plan: the first half of [`load`].
pub struct Document<'a> {
    path: &'a Path,
    /// The parsed file, with the place of every node.
    pub root: Spanned<Node>,
    data: Value,
}

/// Reads a catalogue and expands it into a plan, reporting every problem.
pub fn load(path: &Path, text: &str) -> Result<Plan, Diagnostics> {
    read(path, text)?.plan()
}

/// [`load`], with values checked as a chart that prints `unquoted`
/// without quotes prints them.
pub fn load_against(path: &Path, text: &str, unquoted: &Unquoted) -> Result<Plan, Diagnostics> {
    read(path, text)?.plan_against(unquoted)
}

/// Reads a catalogue as [`load`] does, and checks that it has everything a
/// render needs (lint does not need a toolbox image; render does).
pub fn load_for_render(path: &Path, text: &str) -> Result<Plan, Diagnostics> {
    let document = read(path, text)?;
    let plan = document.plan()?;
    let mut problems = Diagnostics::default();
    // Each chart needs its image for the CronJobs it has.
    let search = plan.search.as_ref().filter(|s| s.jobs().next().is_some());
    let charts = [
        (plan.jobs().next().map(|_| &plan.chart), "/chart"),
        (search.map(|s| &s.chart), "/search/chart"),
    ];
    for (chart, pointer) in charts {
        if let Some(missing) = chart.and_then(safe::image_missing) {
            let at = locate(&document.root, &format!("{pointer}/toolbox/image"));
            problems.push(Diagnostic::error("model", path, at, missing.message));
        }
    }
    problems.into_result(plan)
}

/// Parses a catalogue and checks it against the schema.
pub fn read<'a>(path: &'a Path, text: &str) -> Result<Document<'a>, Diagnostics> {
    let root = yaml::parse(text, Dialect::Catalogue)
        .map_err(|e| Diagnostics(vec![Diagnostic::error("yaml", path, e.origin, e.message)]))?;
    let data = root.value.to_json();
    let mut problems = Diagnostics::default();
    for error in schema::errors(&data) {
        let pointer = error.instance_path().to_string();
        let message = schema_message(&error, &pointer);
        // A bad key is placed at the key, not at the mapping that holds it.
        let bad_key = match error.instance().as_ref() {
            Value::String(key) => data
                .pointer(&pointer)
                .and_then(Value::as_object)
                .filter(|map| map.contains_key(key))
                .map(|_| key),
            _ => None,
        };
        let at = match bad_key {
            Some(key) => locate_key(&root, &format!("{pointer}/{}", yaml::escape(key))),
            None => locate(&root, &pointer),
        };
        problems.push(Diagnostic::error("schema", path, at, message));
    }
    problems.into_result(Document { path, root, data })
}

impl Document<'_> {
    /// Expands the catalogue into a plan, checking what the schema cannot,
    /// with values checked as the bundled chart prints them.
    pub fn plan(&self) -> Result<Plan, Diagnostics> {
        self.plan_against(template::bundled())
    }

    /// [`Document::plan`], with values checked as a chart that prints
    /// `unquoted` without quotes prints them.
    pub fn plan_against(&self, unquoted: &Unquoted) -> Result<Plan, Diagnostics> {
        let mut problems = Diagnostics::default();
        let mut expander = Expander {
            path: self.path,
            root: &self.root,
            problems: &mut problems,
        };
        let plan = expander.plan(&self.data);
        expander.unsafe_values(&self.data, &plan, unquoted);
        problems.into_result(plan)
    }
}

/// Expands catalogue data that is already known to be valid (as import
/// writes it), without places.
pub fn expand(data: &Value) -> Result<Plan, Diagnostics> {
    let root = Spanned {
        value: Node::Null,
        at: Origin::default(),
    };
    let mut problems = Diagnostics::default();
    let plan = Expander {
        path: Path::new("<import>"),
        root: &root,
        problems: &mut problems,
    }
    .plan(data);
    problems.into_result(plan)
}

/// A schema error in words a catalogue author can act on.
fn schema_message(error: &jsonschema::ValidationError, pointer: &str) -> String {
    use jsonschema::error::ValidationErrorKind;
    let text = match error.kind() {
        ValidationErrorKind::MinLength { limit: 1 } => "is empty".to_owned(),
        _ => error.to_string(),
    };
    let place = if pointer.is_empty() {
        "the catalogue".to_owned()
    } else {
        format!("`{}`", pointer.trim_start_matches('/').replace('/', "."))
    };
    format!("{place}: {text}")
}

/// What databases expand into: their orderings, and their jobs with the
/// index of each one's environment.
#[derive(Default)]
struct Expanded {
    orders: Vec<Order>,
    jobs: Vec<(usize, Job)>,
}

/// Settings laid over one another (a profile's, a database's, an
/// environment entry's), borrowed from the catalogue: each key where it was
/// first set, with the value last set for it, as extending a JSON object
/// with another does.
#[derive(Clone, Default)]
struct Layers<'v>(Vec<(&'v str, &'v Value)>);

impl<'v> Layers<'v> {
    /// A JSON object's entries, as one layer.
    fn of(object: &'v Map<String, Value>) -> Layers<'v> {
        Layers(object.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }

    fn get(&self, key: &str) -> Option<&'v Value> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn set(&mut self, key: &'v str, value: &'v Value) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    fn extend(&mut self, over: Layers<'v>) {
        over.0.into_iter().for_each(|(k, v)| self.set(k, v));
    }

    /// Takes a key out as removing it from a JSON object does: the last
    /// key takes its place.
    fn remove(&mut self, key: &str) {
        if let Some(i) = self.0.iter().position(|(k, _)| *k == key) {
            self.0.swap_remove(i);
        }
    }

    /// The settings these layers come to, read as a JSON object of them
    /// would be.
    fn settings(self) -> Result<Settings, serde_json::Error> {
        Settings::deserialize(serde::de::value::MapDeserializer::new(self.0.into_iter()))
    }
}

struct Expander<'a> {
    path: &'a Path,
    root: &'a Spanned<Node>,
    problems: &'a mut Diagnostics,
}

impl Expander<'_> {
    fn at(&self, pointer: &str) -> Origin {
        locate(self.root, pointer)
    }

    fn error(&mut self, pointer: &str, message: String) -> Diagnostic {
        let d = Diagnostic::error("model", self.path, self.at(pointer), message);
        self.problems.push(d.clone());
        d
    }

    fn error_at_job(&mut self, pointer: &str, env: &str, job: &str, message: String) {
        let d = Diagnostic::error("model", self.path, self.at(pointer), message).at_job(env, job);
        self.problems.push(d);
    }

    /// Reports every value the chart would print unsafely (see
    /// [`safe`]), at the place in the catalogue that gives it, and every
    /// control character anywhere. One place is reported once, however
    /// many jobs take the value from it.
    fn unsafe_values(&mut self, data: &Value, plan: &Plan, unquoted: &Unquoted) {
        let mut seen = std::collections::HashSet::new();
        for finding in safe::check_against(plan, unquoted) {
            let (at, job) = match &finding.place {
                Place::SearchJob { env, job, origin } => {
                    (*origin, Some((env.as_str(), job.as_str())))
                }
                place => {
                    let (pointer, job) = catalogue_place(data, plan, place);
                    (self.at(&pointer), job)
                }
            };
            if seen.insert((at.line, at.column)) {
                let mut d = Diagnostic::error("model", self.path, at, finding.message)
                    .of_kind(finding.kind);
                if let Some((env, job)) = job {
                    d = d.at_job(env, job);
                }
                self.problems.push(d);
            }
        }
        let mut found = Vec::new();
        controls(data, String::new(), &mut found);
        for (pointer, is_key, why) in found {
            let at = if is_key {
                locate_key(self.root, &pointer)
            } else {
                self.at(&pointer)
            };
            if seen.insert((at.line, at.column)) {
                let d = Diagnostic::error("model", self.path, at, why);
                self.problems.push(d.of_kind(Kind::Unsafe));
            }
        }
    }

    fn plan(&mut self, data: &Value) -> Plan {
        let mut plan = Plan {
            source: self.path.to_owned(),
            chart: data["chart"].as_object().cloned().unwrap_or_default(),
            ..Plan::default()
        };
        if let Some(alerts) = data.get("alerts") {
            match serde_json::from_value(alerts.clone()) {
                Ok(settings) => plan.alerts = settings,
                Err(e) => {
                    self.error("/alerts", format!("alerts: {e}"));
                }
            }
        }
        let no_entries = Map::new();
        let envs = data["environments"].as_object().unwrap_or(&no_entries);
        for (name, spec) in envs {
            let pointer = format!("/environments/{name}");
            let spec: EnvironmentSpec = if spec.is_null() {
                EnvironmentSpec::default()
            } else {
                serde_json::from_value(spec.clone()).unwrap_or_default()
            };
            if let Some(source) = &spec.restore_from {
                if !envs.contains_key(source) {
                    let known = names(envs.keys());
                    self.error(
                        &format!("{pointer}/restore_from"),
                        format!(
                            "unknown environment `{source}` in restore_from (environments: {known})"
                        ),
                    );
                } else if source == name {
                    self.error(
                        &format!("{pointer}/restore_from"),
                        format!("environment `{name}` cannot restore from itself"),
                    );
                }
            }
            plan.environments.push(Environment {
                name: name.clone(),
                bucket: spec
                    .bucket
                    .unwrap_or_else(|| Environment::default_bucket(name)),
                restore_from: spec.restore_from,
                wider_access: spec.wider_access,
                jobs: Vec::new(),
                origin: self.at(&pointer),
            });
        }
        let profiles = data["profiles"].as_object().unwrap_or(&no_entries);
        let databases = data["databases"].as_object().unwrap_or(&no_entries);
        let mut expanded = Expanded::default();
        for (name, spec) in databases {
            let spec = spec.as_object().unwrap_or(&no_entries);
            self.database(&plan, profiles, name, spec, &mut expanded);
        }
        plan.orders.extend(expanded.orders);
        for (env, job) in expanded.jobs {
            plan.environments[env].jobs.push(job);
        }
        if let Some(search) = data.get("search") {
            let mut found = Vec::new();
            let expanded = crate::read::search::expand(
                search,
                &plan.environments,
                &|pointer| self.at(pointer),
                &mut |pointer, message| found.push((pointer.to_owned(), message)),
            );
            for (pointer, message) in found {
                self.error(&pointer, message);
            }
            plan.search = Some(expanded);
        }
        plan
    }

    /// Expands one database into `out`. `plan` has the environments, and
    /// no jobs yet.
    fn database<'v>(
        &mut self,
        plan: &Plan,
        profiles: &'v Map<String, Value>,
        name: &str,
        spec: &'v Map<String, Value>,
        out: &mut Expanded,
    ) {
        let pointer = format!("/databases/{name}");
        let mut shared = Layers::default();
        let mut personal_data = false;
        let mut entries = Vec::new();
        for (key, value) in spec {
            if settings_keys().contains(&key.as_str()) {
                shared.set(key, value);
            } else if key == "personal_data" {
                personal_data = value.as_bool().unwrap_or(false);
            } else if key == "run_before" {
                for (i, then) in value.as_array().into_iter().flatten().enumerate() {
                    out.orders.push(Order {
                        first: name.to_owned(),
                        then: then.as_str().unwrap_or_default().to_owned(),
                        origin: self.at(&format!("{pointer}/run_before/{i}")),
                    });
                }
            } else if let Some(index) = plan.environments.iter().position(|e| e.name == *key) {
                entries.push((index, key, value));
            } else {
                let known = names(plan.environments.iter().map(|e| &e.name));
                let hint = suggest(
                    key,
                    settings_keys()
                        .iter()
                        .copied()
                        .chain(plan.environments.iter().map(|e| e.name.as_str())),
                );
                let at = locate_key(self.root, &format!("{pointer}/{key}"));
                self.problems.push(Diagnostic::error(
                    "model",
                    self.path,
                    at,
                    format!("unknown key or environment `{key}`{hint} (environments: {known})"),
                ));
            }
        }
        if entries.is_empty() {
            self.error(&pointer, format!("database `{name}` runs in no environment: add a key per environment with its schedule"));
        }
        let shared = self.with_profile(profiles, shared, &pointer);
        for (index, env_name, entry) in entries {
            let entry_pointer = format!("{pointer}/{env_name}");
            let own = match entry {
                Value::String(_) => Layers(vec![("schedule", entry)]),
                Value::Object(m) => Layers::of(m),
                _ => Layers::default(),
            };
            let own = self.with_profile(profiles, own, &entry_pointer);
            let own_db_owner = own.get("db_owner").is_some();
            let mut merged = shared.clone();
            merged.extend(own);
            merged.remove("profile");
            let settings = match merged.settings() {
                Ok(s) => s,
                Err(e) => {
                    self.error(&entry_pointer, e.to_string());
                    continue;
                }
            };
            let job = self.job(
                plan,
                &plan.environments[index],
                name,
                &entry_pointer,
                settings,
                own_db_owner,
                personal_data,
            );
            if let Some(job) = job {
                out.jobs.push((index, job));
            }
        }
    }

    /// The settings with the named profile's settings beneath them.
    fn with_profile<'v>(
        &mut self,
        profiles: &'v Map<String, Value>,
        settings: Layers<'v>,
        pointer: &str,
    ) -> Layers<'v> {
        let Some(name) = settings.get("profile").and_then(Value::as_str) else {
            return settings;
        };
        match profiles.get(name).and_then(Value::as_object) {
            Some(profile) => {
                let mut merged = Layers::of(profile);
                merged.extend(settings);
                merged
            }
            None => {
                let known = names(profiles.keys());
                self.error(
                    &format!("{pointer}/profile"),
                    format!("unknown profile `{name}` (profiles: {known})"),
                );
                settings
            }
        }
    }

    /// A job of `env` from its merged settings; what is wrong is reported.
    #[allow(clippy::too_many_arguments)]
    fn job(
        &mut self,
        plan: &Plan,
        env: &Environment,
        name: &str,
        pointer: &str,
        s: Settings,
        own_db_owner: bool,
        personal_data: bool,
    ) -> Option<Job> {
        let schedule_pointer = if self.root_is_string(pointer) {
            pointer.to_owned()
        } else {
            format!("{pointer}/schedule")
        };
        let Some(schedule) = s.schedule.clone() else {
            self.error_at_job(
                pointer,
                &env.name,
                name,
                format!("`{name}` has no schedule in {}", env.name),
            );
            return None;
        };
        self.check_schedule(&s, &schedule, &schedule_pointer, &env.name, name);
        let at = self.at(pointer);
        let operations = match (&s.operations, &s.steps) {
            (Some(_), Some(_)) => {
                self.error_at_job(
                    pointer,
                    &env.name,
                    name,
                    "give either `steps` or `operations`, not both".into(),
                );
                Vec::new()
            }
            (Some(ops), None) => self.listed_operations(plan, env, name, pointer, &s, ops),
            (None, steps) => self.step_operations(plan, env, name, pointer, &s, steps),
        };
        let extra_env = extra_env_with_owner(&s, &operations, own_db_owner);
        Some(Job {
            name: name.to_owned(),
            schedule,
            suspend: s.suspend,
            host: s.host,
            dbms: s.dbms,
            db: s.db,
            max_job_runtime_seconds: s.max_runtime_seconds,
            resources: s.resources,
            extra_env,
            replica_set: s.replica_set,
            no_auth: s.no_auth,
            db_user: s.db_user,
            operations,
            personal_data,
            allow: s
                .allow
                .unwrap_or_default()
                .into_iter()
                .map(|a| (a.rule, a.reason))
                .collect(),
            origin: JobOrigin {
                job: at,
                schedule: self.at(&schedule_pointer),
            },
        })
    }

    /// Reports a schedule cron cannot parse, unless the job allows it.
    fn check_schedule(
        &mut self,
        s: &Settings,
        schedule: &str,
        schedule_pointer: &str,
        env: &str,
        name: &str,
    ) {
        let allowed = |rule: &str| s.allow.iter().flatten().any(|a| a.rule == rule);
        if let Err(e) = Schedule::parse(schedule)
            && !allowed("cron-syntax")
        {
            let message = format!("schedule `{schedule}`: {}", e.message);
            let at = self.at(schedule_pointer);
            let d = Diagnostic::error("model", self.path, at, message).at_job(env, name);
            self.problems.push(d.of_kind(Kind::Schedule));
        }
    }

    /// The operations a job lists one by one (`operations`).
    fn listed_operations(
        &mut self,
        plan: &Plan,
        env: &Environment,
        name: &str,
        pointer: &str,
        s: &Settings,
        ops: &[OperationSpec],
    ) -> Vec<Operation> {
        let mut operations = Vec::new();
        for (i, spec) in ops.iter().enumerate() {
            let op_pointer = format!("{pointer}/operations/{i}");
            let bucket = match (&spec.from, &spec.bucket) {
                (Some(_), Some(_)) => {
                    self.error_at_job(
                        &op_pointer,
                        &env.name,
                        name,
                        "give either `from` or `bucket`, not both".into(),
                    );
                    None
                }
                (Some(from), None) => match plan.environment(from) {
                    Some(e) => Some(e.bucket.clone()),
                    None => {
                        let known = names(plan.environments.iter().map(|e| &e.name));
                        self.error_at_job(
                            &format!("{op_pointer}/from"),
                            &env.name,
                            name,
                            format!("unknown environment `{from}` (environments: {known})"),
                        );
                        None
                    }
                },
                (None, bucket) => bucket.clone(),
            };
            let kind = Op::parse(&spec.op).unwrap_or(Op::Backup);
            operations.push(Operation {
                op: spec.op.clone(),
                bucket,
                db: spec.db.clone(),
                script: spec.script.clone(),
                extra_env: spec.extra_env.clone(),
                speed: spec.speed.unwrap_or_else(|| default_speed(s, kind)),
                origin: self.at(&op_pointer),
            });
        }
        operations
    }

    /// The operations of a job given as `steps`, or the default steps: a
    /// restore (and a transform, with a `sanitise` script) where the
    /// environment restores, then a backup.
    fn step_operations(
        &mut self,
        plan: &Plan,
        env: &Environment,
        name: &str,
        pointer: &str,
        s: &Settings,
        steps: &Option<Vec<String>>,
    ) -> Vec<Operation> {
        let source_bucket = env
            .restore_from
            .as_deref()
            .and_then(|s| plan.environment(s))
            .map(|s| s.bucket.clone());
        let at = self.at(pointer);
        let mut operations = Vec::new();
        let steps: Vec<Op> = match steps {
            Some(steps) => steps.iter().filter_map(|s| Op::parse(s)).collect(),
            None => {
                let restores = env.restore_from.is_some();
                let mut steps = Vec::new();
                if restores {
                    steps.push(Op::Restore);
                    if s.sanitise.is_some() {
                        steps.push(Op::Transform);
                    }
                }
                steps.push(Op::Backup);
                steps
            }
        };
        for op in steps {
            let (bucket, script) = match op {
                Op::Backup => (None, None),
                Op::Restore => {
                    // An unknown source was reported with the environment.
                    if env.restore_from.is_none() {
                        self.error_at_job(
                            pointer,
                            &env.name,
                            name,
                            format!("`{name}` restores in {}, which restores from no environment: write its operations with a bucket", env.name),
                        );
                    }
                    (source_bucket.clone(), None)
                }
                Op::Transform => {
                    if s.sanitise.is_none() {
                        self.error_at_job(
                            pointer,
                            &env.name,
                            name,
                            format!(
                                "`{name}` has a transform step in {} but no `sanitise` script",
                                env.name
                            ),
                        );
                    }
                    (None, s.sanitise.clone())
                }
            };
            operations.push(Operation {
                op: op.as_str().to_owned(),
                bucket,
                db: None,
                script,
                extra_env: None,
                speed: default_speed(s, op),
                origin: at,
            });
        }
        operations
    }

    fn root_is_string(&self, pointer: &str) -> bool {
        let mut node = &self.root.value;
        for step in pointer.split('/').skip(1) {
            match node.get(step) {
                Some(n) => node = &n.value,
                None => return false,
            }
        }
        matches!(node, Node::String(_))
    }
}

/// The speed a job's settings give an operation.
fn default_speed(s: &Settings, op: Op) -> Speed {
    s.speed.as_ref().map(|sp| sp.of(op)).unwrap_or_default()
}

/// The job's `extra_env`, with `DB_OWNER` added where the job restores or
/// sets `db_owner` itself.
fn extra_env_with_owner(
    s: &Settings,
    operations: &[Operation],
    own_db_owner: bool,
) -> Option<Value> {
    let restores = operations.iter().any(|o| o.kind() == Some(Op::Restore));
    let mut extra_env = s.extra_env.clone();
    if let Some(owner) = s.db_owner.as_ref().filter(|_| restores || own_db_owner) {
        let entry = json!({"name": "DB_OWNER", "value": owner});
        match &mut extra_env {
            Some(Value::Array(list)) => list.push(entry),
            _ => extra_env = Some(Value::Array(vec![entry])),
        }
    }
    extra_env
}

/// Every key and string of the catalogue that holds a control character:
/// its JSON Pointer, whether the key is at fault, and why. An allow's
/// `reason` may run over several lines.
fn controls(value: &Value, pointer: String, out: &mut Vec<(String, bool, String)>) {
    match value {
        Value::String(s) => {
            let text = if pointer.ends_with("/reason") {
                s.replace('\n', "")
            } else {
                s.clone()
            };
            if let Err(why) = safe::control(&text) {
                out.push((pointer, false, format!("{s:?} {why}")));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                controls(item, format!("{pointer}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let pointer = format!("{pointer}/{}", yaml::escape(key));
                if let Err(why) = safe::control(key) {
                    out.push((pointer.clone(), true, format!("key {key:?} {why}")));
                }
                controls(item, pointer, out);
            }
        }
        _ => {}
    }
}

/// Where in the catalogue a value the chart prints comes from: the JSON
/// Pointer of the setting that gives it (an environment's entry first,
/// then its profile, the database, the database's profile), and the job.
fn catalogue_place<'p>(
    data: &Value,
    plan: &'p Plan,
    place: &'p Place,
) -> (String, Option<(&'p str, &'p str)>) {
    let entry =
        |env: &str, job: &str| format!("/databases/{}/{}", yaml::escape(job), yaml::escape(env));
    let given = |env: &str, job: &str, key: &str| -> Option<String> {
        let db = &data["databases"][job];
        let entry = &db[env];
        let profile = |settings: &Value| {
            settings["profile"]
                .as_str()
                .map(|p| (format!("/profiles/{p}"), &data["profiles"][p]))
        };
        let (job, env) = (yaml::escape(job), yaml::escape(env));
        [
            Some((format!("/databases/{job}/{env}"), entry)),
            profile(entry),
            Some((format!("/databases/{job}"), db)),
            profile(db),
        ]
        .into_iter()
        .flatten()
        .find(|(_, settings)| settings.get(key).is_some())
        .map(|(pointer, _)| format!("{pointer}/{key}"))
    };
    let setting =
        |env: &str, job: &str, key: &str| given(env, job, key).unwrap_or_else(|| entry(env, job));
    match place {
        Place::Chart(pointer) => (format!("/chart{pointer}"), None),
        Place::Label(name) => (format!("/alerts/labels/{}", yaml::escape(name)), None),
        Place::SearchChart(pointer) => (format!("/search/chart{pointer}"), None),
        // Placed by the job's own origin instead.
        Place::SearchJob { .. } => (String::new(), None),
        Place::Job { env, job, key } => {
            let pointer = match *key {
                "name" => format!("/databases/{}", yaml::escape(job)),
                key => setting(env, job, key),
            };
            (pointer, Some((env, job)))
        }
        Place::JobEnv { env, job, index } => {
            let listed = given(env, job, "extra_env");
            let count = listed
                .as_deref()
                .and_then(|p| data.pointer(p))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let pointer = match listed {
                Some(listed) if *index < count => format!("{listed}/{index}"),
                _ => setting(env, job, "db_owner"),
            };
            (pointer, Some((env, job)))
        }
        Place::Operation {
            env,
            job,
            index,
            key,
        } => {
            let pointer = if let Some(listed) = given(env, job, "operations") {
                format!("{listed}/{index}/{key}")
            } else if *key == "script" {
                setting(env, job, "sanitise")
            } else {
                // A step's bucket is its source environment's.
                let bucket = plan
                    .environment(env)
                    .and_then(|e| e.jobs.iter().find(|j| j.name == *job))
                    .and_then(|j| j.operations.get(*index))
                    .and_then(|o| o.bucket.as_deref());
                plan.environments
                    .iter()
                    .find(|e| Some(e.bucket.as_str()) == bucket)
                    .map_or_else(
                        || entry(env, job),
                        |e| format!("/environments/{}/bucket", yaml::escape(&e.name)),
                    )
            };
            (pointer, Some((env, job)))
        }
        Place::OperationEnv {
            env,
            job,
            index,
            entry: item,
        } => {
            let listed = setting(env, job, "operations");
            (
                format!("{listed}/{index}/extra_env/{item}"),
                Some((env, job)),
            )
        }
    }
}

fn names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// ` (did you mean `x`?)` when a known word is one or two edits away.
pub fn suggest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    known
        .into_iter()
        .map(|k| (strsim::levenshtein(word, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_keys_are_the_schemas() {
        let schema: Value = serde_json::from_str(crate::read::schema::SCHEMA).unwrap();
        let in_schema: Vec<&str> = schema["$defs"]["settingsKeys"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(settings_keys(), in_schema);
    }

    fn load_str(text: &str) -> Result<Plan, Diagnostics> {
        load(Path::new("c.yaml"), text)
    }

    const BASE: &str =
        "environments:\n  production:\n  staging:\n    restore_from: production\ndatabases:\n";

    #[test]
    fn derives_restore_sanitise_backup() {
        let text = format!(
            "{BASE}  content-store-postgres:\n    db: cs\n    sanitise: content-store.sql\n    production: 6 21 * * *\n    staging: 6 22 * * 0-4\n"
        );
        let plan = load_str(&text).unwrap();
        let staging = &plan.environments[1].jobs[0];
        let ops: Vec<_> = staging.operations.iter().map(|o| o.op.as_str()).collect();
        assert_eq!(ops, ["restore", "transform", "backup"]);
        assert_eq!(
            staging.operations[0].bucket.as_deref(),
            Some("s3://govuk-production-database-backups")
        );
        assert_eq!(
            staging.operations[1].script.as_deref(),
            Some("content-store.sql")
        );
        let production = &plan.environments[0].jobs[0];
        assert_eq!(production.operations.len(), 1);
        assert_eq!(
            production.origin.schedule,
            Origin {
                line: 9,
                column: 17
            }
        );
    }

    #[test]
    fn db_owner_applies_where_the_job_restores() {
        let text = format!(
            "{BASE}  a-postgres:\n    db_owner: a\n    production: 1 1 * * *\n    staging: 1 2 * * *\n"
        );
        let plan = load_str(&text).unwrap();
        assert_eq!(plan.environments[0].jobs[0].extra_env, None);
        assert_eq!(
            plan.environments[1].jobs[0].extra_env,
            Some(json!([{"name": "DB_OWNER", "value": "a"}]))
        );
    }

    /// An environment entry's settings lie over its own profile's, which lie
    /// over the database's, which lie over the database's profile's.
    #[test]
    fn settings_are_laid_over_one_another() {
        let text = "environments:\n  production:\n  staging:\n    restore_from: production\n\
            profiles:\n  slow:\n    max_runtime_seconds: 100\n    db_user: slow\n    suspend: true\n  \
            quiet:\n    suspend: false\n    db_user: quiet\n\
            databases:\n  a-postgres:\n    profile: slow\n    db_user: own\n    \
            production: 1 1 * * *\n    \
            staging: {schedule: 1 2 * * *, profile: quiet, max_runtime_seconds: 300}\n";
        let plan = load_str(text).unwrap();
        let settings = |env: usize| {
            let job = &plan.environments[env].jobs[0];
            (
                job.max_job_runtime_seconds,
                job.db_user.as_deref(),
                job.suspend,
            )
        };
        assert_eq!(settings(0), (Some(100), Some("own"), Some(true)));
        assert_eq!(settings(1), (Some(300), Some("quiet"), Some(false)));
    }

    #[test]
    fn reports_unknown_environment_with_a_suggestion() {
        let text =
            format!("{BASE}  a-postgres:\n    production: 1 1 * * *\n    stagin: 1 2 * * *\n");
        let err = load_str(&text).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!((err.0[0].line, err.0[0].column), (8, 5));
        assert!(err.0[0].message.contains("did you mean `staging`"), "{err}");
    }

    #[test]
    fn reports_every_schema_error_in_one_run() {
        let text = format!(
            "{BASE}  a-postgres:\n    production: {{schedule: 1 1 * * *, suspend: maybe}}\n    staging: {{scheduel: x}}\n"
        );
        let err = load_str(&text).unwrap_err();
        assert!(err.0.len() >= 2, "{err}");
        assert!(err.0.iter().all(|d| d.rule == "schema"), "{err}");
        assert_eq!(err.0[0].line, 7);
        assert_eq!(err.0.last().unwrap().line, 8);
    }
}
