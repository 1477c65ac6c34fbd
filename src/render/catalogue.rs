//! Writing a catalogue from a plan: compact wherever the catalogue's
//! derivations give the job back exactly, explicit where they do not.
//!
//! Every shortening is checked by expanding the result again, so an imported
//! catalogue always renders the jobs it was imported from.

use crate::model::alerts::Settings;
use crate::model::plan::{Environment, Job, Op, Plan, Speed};
use crate::read::catalogue;
use serde_json::{Map, Value, json};

/// A named set of job settings found in the source (a values file's anchored
/// `_name: &anchor` blocks), offered to databases as a profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub name: String,
    pub settings: Map<String, Value>,
}

/// The catalogue for a plan, as data.
pub fn catalogue(plan: &Plan, profiles: &[Profile]) -> Result<Value, serde_json::Error> {
    let mut out = Map::new();
    if !plan.chart.is_empty() {
        out.insert("chart".into(), Value::Object(plan.chart.clone()));
    }
    if plan.alerts != Default::default() {
        out.insert("alerts".into(), serde_json::to_value(&plan.alerts)?);
    }
    let mut environments = Map::new();
    for env in &plan.environments {
        let mut e = Map::new();
        if env.bucket != Environment::default_bucket(&env.name) {
            e.insert("bucket".into(), json!(env.bucket));
        }
        if let Some(source) = &env.restore_from {
            e.insert("restore_from".into(), json!(source));
        }
        if env.wider_access {
            e.insert("wider_access".into(), json!(true));
        }
        let e = if e.is_empty() {
            Value::Null
        } else {
            Value::Object(e)
        };
        environments.insert(env.name.clone(), e);
    }
    let mut used = Vec::new();
    let mut databases = Map::new();
    let skeleton = json!({
        "environments": environments,
        "profiles": profiles.iter().map(|p| (p.name.clone(), Value::Object(p.settings.clone()))).collect::<Map<_, _>>(),
        "databases": {},
    });
    for name in database_names(plan) {
        let jobs: Vec<(&Environment, &Job)> = plan.jobs().filter(|(_, j)| j.name == name).collect();
        let db = Database {
            skeleton: &skeleton,
            alerts: &plan.alerts,
            name: &name,
            jobs: &jobs,
        };
        let entry = db.compact(plan, profiles)?;
        for p in profiles {
            if entry
                .to_string()
                .contains(&format!("\"profile\":\"{}\"", p.name))
                && !used.contains(&p.name)
            {
                used.push(p.name.clone());
            }
        }
        databases.insert(name, entry);
    }
    out.insert("environments".into(), Value::Object(environments));
    let profiles: Map<String, Value> = profiles
        .iter()
        .filter(|p| used.contains(&p.name))
        .map(|p| (p.name.clone(), Value::Object(p.settings.clone())))
        .collect();
    if !profiles.is_empty() {
        out.insert("profiles".into(), Value::Object(profiles));
    }
    out.insert("databases".into(), Value::Object(databases));
    if let Some(search) = &plan.search {
        let search = crate::render::search::catalogue(search, &plan.environments);
        out.insert("search".into(), search);
    }
    Ok(Value::Object(out))
}

/// Job names in the order they first appear.
pub fn database_names(plan: &Plan) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (_, job) in plan.jobs() {
        if !names.contains(&job.name) {
            names.push(job.name.clone());
        }
    }
    names
}

struct Database<'a> {
    skeleton: &'a Value,
    /// The alert thresholds the catalogue renders its rules with.
    alerts: &'a Settings,
    name: &'a str,
    jobs: &'a [(&'a Environment, &'a Job)],
}

impl Database<'_> {
    /// The database's catalogue entry, as short as it can be made.
    fn compact(&self, plan: &Plan, profiles: &[Profile]) -> Result<Value, serde_json::Error> {
        let mut shared = Map::new();
        let mut entries: Vec<(String, Map<String, Value>)> = self
            .jobs
            .iter()
            .map(|(env, job)| {
                let mut entry = self.entry(plan, env, job);
                if !self.renders(&shared, &[(env.name.clone(), entry.clone())])? {
                    entry = explicit(plan, job);
                }
                Ok((env.name.clone(), entry))
            })
            .collect::<Result<_, serde_json::Error>>()?;
        for (env_name, entry) in &mut entries {
            for p in profiles {
                let mut candidate: Map<String, Value> = entry
                    .iter()
                    .filter(|(k, v)| p.settings.get(*k) != Some(*v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                candidate.insert("profile".into(), json!(p.name));
                let covered = p.settings.iter().all(|(k, v)| entry.get(k) == Some(v));
                if covered
                    && !entry.contains_key("profile")
                    && self.renders(&Map::new(), &[(env_name.clone(), candidate.clone())])?
                {
                    *entry = candidate;
                }
            }
        }
        // Every setting but the schedule and the written-out operations may
        // move from an environment's entry to the database.
        let shared_keys = catalogue::settings_keys()
            .iter()
            .filter(|k| !matches!(**k, "schedule" | "operations"));
        for key in shared_keys {
            self.hoist(key, &mut shared, &mut entries)?;
        }
        self.leave_out_derived(&mut shared, &mut entries)?;
        if let Some(personal) = self
            .jobs
            .first()
            .map(|(_, j)| j.personal_data)
            .filter(|p| *p)
        {
            shared.insert("personal_data".into(), json!(personal));
        }
        let run_before: Vec<&str> = plan
            .orders
            .iter()
            .filter(|o| o.first == self.name)
            .map(|o| o.then.as_str())
            .collect();
        if !run_before.is_empty() {
            shared.insert("run_before".into(), json!(run_before));
        }
        for (env, entry) in entries {
            let value = match entry.get("schedule") {
                Some(s) if entry.len() == 1 => s.clone(),
                _ => Value::Object(entry),
            };
            shared.insert(env, value);
        }
        Ok(Value::Object(shared))
    }

    /// Leaves out each setting the derivations give anyway: one that, taken
    /// out, still renders every job (a `speed: slower` that the database's
    /// speed already gives, say). An environment's settings go first, then
    /// the database's; never a schedule.
    fn leave_out_derived(
        &self,
        shared: &mut Map<String, Value>,
        entries: &mut Vec<(String, Map<String, Value>)>,
    ) -> Result<(), serde_json::Error> {
        for i in 0..entries.len() {
            let keys: Vec<String> = entries[i].1.keys().cloned().collect();
            for key in keys.iter().filter(|k| *k != "schedule") {
                let mut without = entries.clone();
                without[i].1.remove(key);
                if self.renders(shared, &without)? {
                    *entries = without;
                }
            }
        }
        let keys: Vec<String> = shared.keys().cloned().collect();
        for key in keys {
            let mut without = shared.clone();
            without.remove(&key);
            if self.renders(&without, entries)? {
                *shared = without;
            }
        }
        Ok(())
    }

    /// Moves `key` to the database level where that still renders every job.
    fn hoist(
        &self,
        key: &str,
        shared: &mut Map<String, Value>,
        entries: &mut [(String, Map<String, Value>)],
    ) -> Result<(), serde_json::Error> {
        let mut counts: Vec<(&Value, usize)> = Vec::new();
        for (_, entry) in entries.iter() {
            if let Some(v) = entry.get(key) {
                match counts.iter_mut().find(|(c, _)| *c == v) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((v, 1)),
                }
            }
        }
        let Some(value) = counts
            .iter()
            .max_by_key(|(_, n)| *n)
            .map(|(v, _)| (*v).clone())
        else {
            return Ok(());
        };
        let mut trial = shared.clone();
        trial.insert(key.into(), value.clone());
        if !self.renders(&trial, entries)? {
            return Ok(());
        }
        let mut moved = false;
        for i in 0..entries.len() {
            if entries[i].1.get(key) != Some(&value) {
                continue;
            }
            let mut without = entries.to_vec();
            without[i].1.remove(key);
            if self.renders(&trial, &without)? {
                entries[i].1.remove(key);
                moved = true;
            }
        }
        if moved {
            *shared = trial;
        }
        Ok(())
    }

    /// Whether these settings expand to exactly the jobs imported.
    fn renders(
        &self,
        shared: &Map<String, Value>,
        entries: &[(String, Map<String, Value>)],
    ) -> Result<bool, serde_json::Error> {
        let mut database = shared.clone();
        for (env, entry) in entries {
            database.insert(env.clone(), Value::Object(entry.clone()));
        }
        let mut data = self.skeleton.clone();
        data["databases"] = json!({ self.name: database });
        let Ok(plan) = catalogue::expand(&data) else {
            return Ok(false);
        };
        for (env, _) in entries {
            let original = self
                .jobs
                .iter()
                .find(|(e, _)| &e.name == env)
                .map(|(_, j)| *j);
            let expanded = plan.environment(env).and_then(|e| e.jobs.first());
            let (Some(a), Some(b)) = (original, expanded) else {
                return Ok(false);
            };
            if !same(self.alerts, env, a, b)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The job's entry using the catalogue's derivations.
    fn entry(&self, plan: &Plan, env: &Environment, job: &Job) -> Map<String, Value> {
        let mut entry = basics(job);
        let source_bucket = env
            .restore_from
            .as_deref()
            .and_then(|s| plan.environment(s))
            .map(|s| s.bucket.as_str());
        let kinds: Vec<Option<Op>> = job.operations.iter().map(|o| o.kind()).collect();
        let scripts: Vec<&str> = job
            .operations
            .iter()
            .filter_map(|o| o.script.as_deref())
            .collect();
        let derivable = job.operations.iter().all(|o| {
            o.db.is_none()
                && o.extra_env.is_none()
                && match o.kind() {
                    Some(Op::Backup) => o.bucket.is_none() && o.script.is_none(),
                    Some(Op::Restore) => {
                        o.bucket.as_deref() == source_bucket
                            && source_bucket.is_some()
                            && o.script.is_none()
                    }
                    Some(Op::Transform) => {
                        o.bucket.is_none() && o.script.as_deref() == scripts.first().copied()
                    }
                    None => false,
                }
        });
        if !derivable {
            return explicit(plan, job);
        }
        if let Some(script) = scripts.first() {
            entry.insert("sanitise".into(), json!(script));
        }
        let mut default_steps = Vec::new();
        if source_bucket.is_some() {
            default_steps.push(Some(Op::Restore));
            if !scripts.is_empty() {
                default_steps.push(Some(Op::Transform));
            }
        }
        default_steps.push(Some(Op::Backup));
        if kinds != default_steps {
            let steps: Vec<&str> = job.operations.iter().map(|o| o.op.as_str()).collect();
            entry.insert("steps".into(), json!(steps));
        }
        if let Some(speed) = speed_spec(job) {
            entry.insert("speed".into(), speed);
        }
        split_db_owner(&mut entry);
        entry
    }
}

/// The job's own settings, besides its operations.
fn basics(job: &Job) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert("schedule".into(), json!(job.schedule));
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            entry.insert(key.into(), v);
        }
    };
    put("db", job.db.clone().map(Value::from));
    put("host", job.host.clone().map(Value::from));
    put("dbms", job.dbms.clone().map(Value::from));
    put("suspend", job.suspend.map(Value::from));
    put(
        "max_runtime_seconds",
        job.max_job_runtime_seconds.map(Value::from),
    );
    put("resources", job.resources.clone());
    put("extra_env", job.extra_env.clone());
    put("replica_set", job.replica_set.clone().map(Value::from));
    put("no_auth", job.no_auth.map(Value::from));
    put("db_user", job.db_user.clone().map(Value::from));
    if !job.allow.is_empty() {
        let allow: Vec<Value> = job
            .allow
            .iter()
            .map(|(rule, reason)| json!({"rule": rule, "reason": reason}))
            .collect();
        put("allow", Some(Value::Array(allow)));
    }
    entry
}

/// A trailing `DB_OWNER` in extraEnv becomes `db_owner`.
fn split_db_owner(entry: &mut Map<String, Value>) {
    let Some(Value::Array(list)) = entry.get_mut("extra_env") else {
        return;
    };
    let owner = match list.last() {
        Some(Value::Object(last))
            if last.len() == 2 && last.get("name") == Some(&json!("DB_OWNER")) =>
        {
            last.get("value").and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    };
    if let Some(owner) = owner {
        list.pop();
        if list.is_empty() {
            entry.remove("extra_env");
        }
        entry.insert("db_owner".into(), json!(owner));
    }
}

/// The job with every operation written out.
fn explicit(plan: &Plan, job: &Job) -> Map<String, Value> {
    let mut entry = basics(job);
    let job_speed = speed_spec(job);
    let ops: Vec<Value> =
        job.operations
            .iter()
            .map(|o| {
                let mut m = Map::new();
                m.insert("op".into(), json!(o.op));
                let from = plan.environments.iter().find(|e| {
                    Some(&e.bucket) == o.bucket.as_ref() && o.kind() == Some(Op::Restore)
                });
                match (from, &o.bucket) {
                    (Some(env), _) => {
                        m.insert("from".into(), json!(env.name));
                    }
                    (None, Some(bucket)) => {
                        m.insert("bucket".into(), json!(bucket));
                    }
                    (None, None) => {}
                }
                if let Some(db) = &o.db {
                    m.insert("db".into(), json!(db));
                }
                if let Some(script) = &o.script {
                    m.insert("script".into(), json!(script));
                }
                if let Some(env) = &o.extra_env {
                    m.insert("extra_env".into(), env.clone());
                }
                if job_speed.is_none() && o.speed != Speed::Quick {
                    m.insert("speed".into(), json!(o.speed.as_str()));
                }
                Value::Object(m)
            })
            .collect();
    entry.insert("operations".into(), Value::Array(ops));
    if let Some(speed) = job_speed {
        entry.insert("speed".into(), speed);
    }
    entry
}

/// The job's speeds as one setting, when each kind of operation has one.
fn speed_spec(job: &Job) -> Option<Value> {
    let mut per_op = Map::new();
    for kind in Op::ALL {
        let speeds: Vec<Speed> = job
            .operations
            .iter()
            .filter(|o| o.kind() == Some(kind))
            .map(|o| o.speed)
            .collect();
        match speeds.split_first() {
            Some((first, rest)) if rest.iter().all(|s| s == first) && *first != Speed::Quick => {
                per_op.insert(kind.as_str().into(), json!(first.as_str()));
            }
            Some((first, rest)) if rest.iter().all(|s| s == first) => {}
            Some(_) => return None,
            None => {}
        }
    }
    if per_op.is_empty() {
        return None;
    }
    let kinds = Op::ALL
        .into_iter()
        .filter(|k| job.operations.iter().any(|o| o.kind() == Some(*k)))
        .count();
    let first = per_op.values().next().cloned();
    if per_op.len() == kinds && per_op.values().all(|v| Some(v) == first.as_ref()) {
        return first;
    }
    Some(Value::Object(per_op))
}

/// Two jobs of `env` render the same values and alerts: the same values,
/// and each operation in the same speed group of the thresholds (a speed
/// with no threshold of its own is watched by the next quicker one's).
fn same(alerts: &Settings, env: &str, a: &Job, b: &Job) -> Result<bool, serde_json::Error> {
    let groups = |j: &Job| -> Vec<Speed> {
        j.operations
            .iter()
            .map(|o| {
                o.kind()
                    .and_then(|k| alerts.taking_a_long_time.for_op(env, k).effective(o.speed))
                    .map_or(o.speed, |(group, _)| group)
            })
            .collect()
    };
    Ok(
        crate::render::values::job_values(a)? == crate::render::values::job_values(b)?
            && groups(a) == groups(b)
            && a.allow == b.allow,
    )
}

/// Profiles from a values file: each top-level `_name: &anchor` mapping of
/// job keys, named by its anchor.
pub fn profiles_in_values(text: &str) -> Vec<Profile> {
    let Ok(root) = crate::read::yaml::parse(text, crate::read::yaml::Dialect::HelmValues) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut profiles = Vec::new();
    for (key, value) in root.value.entries() {
        if !key.value.starts_with('_') {
            continue;
        }
        let line = lines
            .get(crate::read::yaml::origin(key).line.wrapping_sub(1))
            .copied()
            .unwrap_or("");
        let anchor = line
            .split_once('&')
            .map(|(_, rest)| rest.split_whitespace().next().unwrap_or(""))
            .filter(|a| !a.is_empty());
        let name = anchor.map_or_else(
            || key.value.trim_start_matches('_').to_owned(),
            str::to_owned,
        );
        let Value::Object(map) = value.value.to_json() else {
            continue;
        };
        let settings: Option<Map<String, Value>> = map
            .into_iter()
            .map(|(k, v)| catalogue_key(&k).map(|k| (k.to_owned(), v)))
            .collect();
        if let Some(settings) = settings.filter(|s| !s.is_empty())
            && crate::read::values::check_name(&name).is_ok()
        {
            profiles.push(Profile { name, settings });
        }
    }
    profiles
}

/// The catalogue's name for a chart job key that a profile may hold.
fn catalogue_key(values_key: &str) -> Option<&'static str> {
    Some(match values_key {
        "resources" => "resources",
        "maxJobRuntimeSeconds" => "max_runtime_seconds",
        "suspend" => "suspend",
        "extraEnv" => "extra_env",
        "dbms" => "dbms",
        "db" => "db",
        "host" => "host",
        _ => return None,
    })
}

/// The comment lines a values file's `cronjobs:` holds, each with the job it
/// is on: written inside the job, or above it (a comment after an
/// environment's last job goes with that job). Each line is the text after
/// `#`, less one space.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comments(pub Vec<JobComments>);

/// The comment lines of the job `job` of environment `env`.
#[derive(Clone, Debug, PartialEq)]
pub struct JobComments {
    pub env: String,
    pub job: String,
    pub lines: Vec<String>,
}

impl Comments {
    /// The comments of a values text's `cronjobs:`; none where it cannot be
    /// read.
    pub fn in_values(text: &str) -> Comments {
        use crate::chart::text;
        let (Ok(root), Ok(comments)) = (text::parse(text), text::comments(text)) else {
            return Comments::default();
        };
        let entries = root.entries();
        let Some(i) = entries
            .iter()
            .position(|(k, _)| k.scalar() == Some("cronjobs"))
        else {
            return Comments::default();
        };
        let (key, block) = &entries[i];
        // Comments right above the next top-level key are that key's.
        let end = entries.get(i + 1).map_or(text.len(), |(next, _)| {
            text::comments_above(text, text::line_start(text, next.range.start))
        });
        let mut found: Vec<JobComments> = Vec::new();
        for comment in comments
            .iter()
            .filter(|c| (key.range.end..end).contains(&c.at))
        {
            // Its environment: the last that starts before it.
            let envs = block.entries();
            let Some((env, jobs)) = envs
                .iter()
                .rev()
                .find(|(env, _)| env.range.start <= comment.at)
                .or(envs.first())
            else {
                continue;
            };
            // Its job: the one it is in or above, else the environment's last.
            let Some((job, _)) = jobs
                .entries()
                .iter()
                .find(|(_, value)| comment.at < value.range.end)
                .or(jobs.entries().last())
            else {
                continue;
            };
            let (Some(env), Some(job)) = (env.scalar(), job.scalar()) else {
                continue;
            };
            let line = comment.text.strip_prefix(' ').unwrap_or(&comment.text);
            let line = line.trim_end().to_owned();
            match found.iter_mut().find(|c| c.env == env && c.job == job) {
                Some(c) => c.lines.push(line),
                None => found.push(JobComments {
                    env: env.to_owned(),
                    job: job.to_owned(),
                    lines: vec![line],
                }),
            }
        }
        Comments(found)
    }

    /// The comment lines of a job.
    pub fn of(&self, env: &str, job: &str) -> &[String] {
        self.0
            .iter()
            .find(|c| c.env == env && c.job == job)
            .map_or(&[], |c| &c.lines)
    }
}

/// A catalogue's data with the comments of the jobs it was imported from,
/// for [`crate::read::yaml::to_string`]: each job's lines are written above
/// the database's entry for that environment (its schedule, or the mapping
/// of its settings).
pub struct WithComments<'a> {
    pub data: &'a Value,
    pub comments: &'a Comments,
}

impl serde::Serialize for WithComments<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Value::Object(top) = self.data else {
            return self.data.serialize(s);
        };
        let mut map = s.serialize_map(Some(top.len()))?;
        for (key, value) in top {
            match value {
                Value::Object(databases) if key == "databases" => {
                    let databases: Vec<(&String, CommentedDatabase)> = databases
                        .iter()
                        .map(|(name, entry)| {
                            let comments = self.comments;
                            (
                                name,
                                CommentedDatabase {
                                    name,
                                    entry,
                                    comments,
                                },
                            )
                        })
                        .collect();
                    map.serialize_entry(key, &Entries(databases))?;
                }
                _ => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

/// A database's entry, each environment's with the job's comments.
struct CommentedDatabase<'a> {
    name: &'a str,
    entry: &'a Value,
    comments: &'a Comments,
}

impl serde::Serialize for CommentedDatabase<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Value::Object(entry) = self.entry else {
            return self.entry.serialize(s);
        };
        let entries: Vec<(&String, Lines)> = entry
            .iter()
            .map(|(key, value)| {
                let lines = self.comments.of(key, self.name);
                (key, Lines { value, lines })
            })
            .collect();
        Entries(entries).serialize(s)
    }
}

/// A mapping, in its order.
struct Entries<'a, T>(Vec<(&'a String, T)>);

impl<T: serde::Serialize> serde::Serialize for Entries<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A value with comment lines above it.
struct Lines<'a> {
    value: &'a Value,
    lines: &'a [String],
}

impl serde::Serialize for Lines<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.lines.split_first() {
            None => self.value.serialize(s),
            Some((first, rest)) => {
                let below = Lines {
                    value: self.value,
                    lines: rest,
                };
                serde_saphyr::Commented(below, first.clone()).serialize(s)
            }
        }
    }
}
