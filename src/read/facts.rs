//! `.envsync.yaml`: the facts about a chart's sync that its values file
//! cannot hold, at the root of a govuk-helm-charts checkout. It uses the
//! catalogue's keys and schema: `environments` with `restore_from`,
//! `wider_access` and `bucket`; `databases` (by job name) with
//! `run_before`, `personal_data` and `allow`.
//!
//! ```yaml
//! environments: {integration: {wider_access: true}}
//! databases:
//!   ckan-postgres: {personal_data: true}
//!   content-store-postgres: {run_before: [publishing-api-postgres]}
//! ```

use crate::model::diagnostic::{Diagnostic, Diagnostics};
use crate::model::plan::{Order, Origin, Plan};
use crate::read::catalogue::{Allow, EnvironmentSpec};
use crate::read::yaml::{self, Dialect, locate, locate_key};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The file's name, at the checkout's root.
pub const FILE: &str = ".envsync.yaml";

/// The database keys a values file cannot hold: all `.envsync.yaml` may
/// say of a database.
pub const DATABASE_KEYS: &[&str] = &["run_before", "personal_data", "allow"];

/// What `.envsync.yaml` says.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub path: PathBuf,
    pub environments: Vec<(String, EnvironmentSpec)>,
    pub databases: Vec<Database>,
}

/// The facts about one database (a job name in every environment).
#[derive(Clone, Debug, Default)]
pub struct Database {
    pub name: String,
    pub personal_data: bool,
    /// The jobs it must run before, each with its place in the file.
    pub run_before: Vec<(String, Origin)>,
    /// Its suppressions: (rule, reason, place of the rule).
    pub allow: Vec<(String, String, Origin)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseSpec {
    #[serde(default)]
    personal_data: bool,
    #[serde(default)]
    run_before: Vec<String>,
    #[serde(default)]
    allow: Vec<Allow>,
}

/// Parses `.envsync.yaml` and checks it against the catalogue's schema for
/// its keys; every problem is located in it.
pub fn read(path: &Path, text: &str) -> Result<Facts, Diagnostics> {
    let root = yaml::parse(text, Dialect::Catalogue)
        .map_err(|e| Diagnostics(vec![Diagnostic::error("yaml", path, e.origin, e.message)]))?;
    let data = match root.value.to_json() {
        Value::Null => Value::Object(Map::new()),
        data => data,
    };
    let mut problems = Diagnostics::default();
    for error in FactsSchema::iter_errors(&data) {
        let pointer = error.instance_path().to_string();
        let place = if pointer.is_empty() {
            FILE.to_owned()
        } else {
            format!("`{}`", pointer.trim_start_matches('/').replace('/', "."))
        };
        problems.push(Diagnostic::error(
            "schema",
            path,
            locate(&root, &pointer),
            format!("{place}: {error}"),
        ));
    }
    let no_entries = Map::new();
    let databases = data["databases"].as_object().unwrap_or(&no_entries);
    for (name, spec) in databases {
        for key in spec.as_object().into_iter().flat_map(Map::keys) {
            if !DATABASE_KEYS.contains(&key.as_str()) {
                let pointer = format!("/databases/{}/{}", yaml::escape(name), yaml::escape(key));
                problems.push(Diagnostic::error(
                    "schema",
                    path,
                    locate_key(&root, &pointer),
                    format!(
                        "`{key}`: the values file holds this; {FILE} holds only what it cannot ({})",
                        DATABASE_KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    problems.into_result(())?;
    let mut facts = Facts {
        path: path.to_owned(),
        ..Facts::default()
    };
    let environments = data["environments"].as_object().unwrap_or(&no_entries);
    for (name, spec) in environments {
        let spec = serde_json::from_value(spec.clone()).unwrap_or_default();
        facts.environments.push((name.clone(), spec));
    }
    for (name, spec) in databases {
        let Ok(spec) = serde_json::from_value::<DatabaseSpec>(spec.clone()) else {
            continue;
        };
        let pointer = format!("/databases/{}", yaml::escape(name));
        let run_before = spec.run_before.into_iter().enumerate();
        let allow = spec.allow.into_iter().enumerate();
        facts.databases.push(Database {
            name: name.clone(),
            personal_data: spec.personal_data,
            run_before: run_before
                .map(|(i, then)| (then, locate(&root, &format!("{pointer}/run_before/{i}"))))
                .collect(),
            allow: allow
                .map(|(i, a)| {
                    let at = locate(&root, &format!("{pointer}/allow/{i}/rule"));
                    (a.rule, a.reason, at)
                })
                .collect(),
        });
    }
    Ok(facts)
}

impl Facts {
    /// Lays the facts over a plan imported from a values file: each
    /// environment's source, bucket and access, and each database's
    /// orderings, personal data and suppressions in every environment.
    pub fn apply(&self, plan: &mut Plan) {
        for (name, spec) in &self.environments {
            let Some(env) = plan.environments.iter_mut().find(|e| e.name == *name) else {
                continue;
            };
            if let Some(source) = &spec.restore_from {
                env.restore_from = Some(source.clone());
            }
            if let Some(bucket) = &spec.bucket {
                env.bucket = bucket.clone();
            }
            env.wider_access = spec.wider_access;
        }
        for db in &self.databases {
            for (then, origin) in &db.run_before {
                plan.orders.push(Order {
                    first: db.name.clone(),
                    then: then.clone(),
                    origin: *origin,
                });
            }
            let jobs = plan.environments.iter_mut().flat_map(|e| &mut e.jobs);
            for job in jobs.filter(|j| j.name == db.name) {
                job.personal_data |= db.personal_data;
                let allow = db.allow.iter().map(|(r, why, _)| (r.clone(), why.clone()));
                job.allow.extend(allow);
            }
        }
    }
}

/// `.envsync.yaml`: the catalogue's `environments` and `databases`.
#[jsonschema::validator(
    schema = r#"{
        "type": ["object"],
        "additionalProperties": false,
        "properties": {
            "environments": {"$ref": "json-schema:///catalogue.json#/properties/environments"},
            "databases": {"$ref": "json-schema:///catalogue.json#/properties/databases"}
        }
    }"#,
    resources = {"json-schema:///catalogue.json" => {path = "schema/catalogue.schema.json"}},
    draft = Draft202012,
    pattern_options = { engine = regex }
)]
struct FactsSchema;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{Environment, Job};

    const EXAMPLE: &str = "environments: {integration: {wider_access: true}}
databases:
  ckan-postgres: {personal_data: true}
  content-store-postgres: {run_before: [publishing-api-postgres]}
";

    #[test]
    fn reads_the_facts_and_lays_them_over_a_plan() {
        let facts = read(Path::new(FILE), EXAMPLE).unwrap();
        let job = |name: &str| Job {
            name: name.to_owned(),
            ..Job::default()
        };
        let mut plan = Plan {
            environments: vec![Environment {
                name: "integration".to_owned(),
                jobs: vec![job("ckan-postgres"), job("chat-postgres")],
                ..Environment::default()
            }],
            ..Plan::default()
        };
        facts.apply(&mut plan);
        let env = &plan.environments[0];
        assert!(env.wider_access);
        assert!(env.jobs[0].personal_data && !env.jobs[1].personal_data);
        assert_eq!(plan.orders.len(), 1);
        let order = &plan.orders[0];
        assert_eq!(
            (order.first.as_str(), order.then.as_str()),
            ("content-store-postgres", "publishing-api-postgres")
        );
        assert_eq!((order.origin.line, order.origin.column), (4, 41));
    }

    #[test]
    fn problems_are_located_in_the_file() {
        let text = "environments: {integration: {wider_acess: true}}\ndatabases:\n  ckan-postgres:\n    personal_data: yes please\n    schedule: 1 1 * * *\n";
        let problems = read(Path::new(FILE), text).unwrap_err().0;
        let places: Vec<(usize, usize)> = problems.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(places, vec![(1, 16), (4, 20), (5, 5)], "{problems:#?}");
        assert!(
            problems[2].message.contains("the values file holds this"),
            "{problems:#?}"
        );
        // Nothing to say is fine.
        assert!(read(Path::new(FILE), "").is_ok());
    }
}
