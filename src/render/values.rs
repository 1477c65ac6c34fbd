//! The `cronjobs` block of the db-backup chart's values.yaml, written from a plan.

use crate::model::plan::{Job, Operation, Plan};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

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
pub fn cronjobs(plan: &Plan) -> Result<Value, serde_json::Error> {
    serde_json::to_value(CronJobs(plan))
}

/// One job's entry in the `cronjobs` block, as data.
pub fn job_values(job: &Job) -> Result<Value, serde_json::Error> {
    serde_json::to_value(JobValues(job))
}
