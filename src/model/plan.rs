//! The `Plan`: what every environment runs, shared by every stage.
//!
//! A catalogue is expanded into a plan, and a chart's values file is imported
//! into one. Renderers print it, lint reads it, diff compares two of them.
//! Each job and operation remembers where it came from in its source file.

use crate::cron::{CronError, Schedule};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::path::PathBuf;

/// A place in a source file (1-based line and column; 0 means unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub line: usize,
    pub column: usize,
}

/// The operations a db-backup job can run, in the chart's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Backup,
    Restore,
    Transform,
}

impl Op {
    pub const ALL: [Op; 3] = [Op::Backup, Op::Restore, Op::Transform];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Backup => "backup",
            Op::Restore => "restore",
            Op::Transform => "transform",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == s)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long an operation is expected to take: it picks the
/// "taking a long time" alert that watches it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Speed {
    #[default]
    Quick,
    Slower,
    Slowest,
}

impl Speed {
    pub const ALL: [Speed; 3] = [Speed::Quick, Speed::Slower, Speed::Slowest];

    pub fn as_str(self) -> &'static str {
        match self {
            Speed::Quick => "quick",
            Speed::Slower => "slower",
            Speed::Slowest => "slowest",
        }
    }

    pub fn parse(s: &str) -> Option<Speed> {
        Speed::ALL.into_iter().find(|sp| sp.as_str() == s)
    }
}

/// The whole estate: chart-level settings and the jobs of every environment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    /// The file the plan was built from (a catalogue or a values file).
    pub source: PathBuf,
    /// Chart-level values (toolbox image, resources, contexts, extraEnv, ...),
    /// in the chart's own key names.
    pub chart: Map<String, Value>,
    /// Alert settings (thresholds, labels) for the rules renderer.
    pub alerts: crate::model::alerts::Settings,
    /// Environments in their declared order (production first).
    pub environments: Vec<Environment>,
    /// Declared orderings: in every environment where both run, the first
    /// job's runs start before the second's.
    pub orders: Vec<Order>,
    /// The search-index-env-sync chart's jobs, when the source has them.
    pub search: Option<crate::model::search::Search>,
}

/// `first` must run before `then` (e.g. content-store before publishing-api).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Order {
    pub first: String,
    pub then: String,
    pub origin: Origin,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Environment {
    pub name: String,
    /// The environment whose backups this one restores, if any.
    pub restore_from: Option<String>,
    /// Where this environment's backups go.
    pub bucket: String,
    /// Whether more people can read this environment than its source.
    pub wider_access: bool,
    /// Jobs in the order the source gives them.
    pub jobs: Vec<Job>,
    pub origin: Origin,
}

/// One CronJob: the keys of `cronjobs.<env>.<job>` in the chart's values.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Job {
    pub name: String,
    pub schedule: String,
    pub suspend: Option<bool>,
    pub host: Option<String>,
    pub dbms: Option<String>,
    pub db: Option<String>,
    pub max_job_runtime_seconds: Option<u64>,
    pub resources: Option<Value>,
    pub extra_env: Option<Value>,
    pub replica_set: Option<String>,
    pub no_auth: Option<bool>,
    /// `DB_USER` for a DBMS that logs in with a user and password
    /// (`aws_db_admin` when absent, as the chart does).
    pub db_user: Option<String>,
    pub operations: Vec<Operation>,
    /// The database holds personal data (from the catalogue; lint uses it).
    pub personal_data: bool,
    /// Lint suppressions that apply to this job: (rule, reason).
    pub allow: Vec<(String, String)>,
    pub origin: JobOrigin,
}

/// Where a job's values came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobOrigin {
    pub job: Origin,
    pub schedule: Origin,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Operation {
    pub op: String,
    pub bucket: Option<String>,
    pub db: Option<String>,
    pub script: Option<String>,
    pub extra_env: Option<Value>,
    pub speed: Speed,
    pub origin: Origin,
}

impl Operation {
    pub fn kind(&self) -> Option<Op> {
        Op::parse(&self.op)
    }
}

impl Job {
    /// The database host: `host`, or the job name, as the chart does.
    pub fn host(&self) -> &str {
        self.host.as_deref().unwrap_or(&self.name)
    }

    /// The DBMS: `dbms`, or the last `-`-separated word of the host;
    /// `documentdb` means `mongo`.
    pub fn dbms(&self) -> &str {
        let dbms = match &self.dbms {
            Some(d) => d.as_str(),
            None => self.host().rsplit('-').next().unwrap_or_default(),
        };
        if dbms == "documentdb" { "mongo" } else { dbms }
    }

    /// The database an operation works on: its own `db`, else the job's.
    pub fn db_of<'a>(&'a self, op: &'a Operation) -> Option<&'a str> {
        op.db.as_deref().or(self.db.as_deref())
    }

    /// Whether the CronJob is suspended, given the chart's `suspendAllCronJobs`.
    pub fn suspended(&self, chart: &Map<String, Value>) -> bool {
        chart
            .get("suspendAllCronJobs")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            || self.suspend.unwrap_or(false)
    }

    /// The schedule, parsed.
    pub fn cron(&self) -> Result<Schedule, CronError> {
        Schedule::parse(&self.schedule)
    }

    /// The CronJob's `activeDeadlineSeconds`.
    pub fn active_deadline_seconds(&self) -> u64 {
        self.max_job_runtime_seconds.unwrap_or(43_200)
    }

    /// The CronJob's name.
    pub fn cronjob_name(&self) -> String {
        format!("db-backup-{}", self.name)
    }
}

impl Environment {
    /// The bucket an environment backs up to when nothing else is said.
    pub fn default_bucket(name: &str) -> String {
        format!("s3://govuk-{name}-database-backups")
    }
}

impl Plan {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// Every job with its environment.
    pub fn jobs(&self) -> impl Iterator<Item = (&Environment, &Job)> {
        self.environments
            .iter()
            .flat_map(|e| e.jobs.iter().map(move |j| (e, j)))
    }
}
