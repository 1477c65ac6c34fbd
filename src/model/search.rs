//! The search index syncs: the CronJobs of the search-index-env-sync chart,
//! which snapshot an Elasticsearch or OpenSearch cluster in one environment
//! and restore the newest snapshot of another environment into it.

use crate::cron::{CronError, Schedule};
use crate::model::plan::{JobOrigin, Origin};
use serde::Serialize;
use serde_json::{Map, Value};

/// The chart's name, the prefix of its CronJobs' names.
pub const CHART: &str = "search-index-env-sync";

/// What the snapshot script is asked to do: its `args`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// `create_and_clean_up`: take a snapshot into the environment's repository.
    Snapshot,
    /// `restore_latest`: restore the newest snapshot of `SNAPSHOT_REPO`.
    Restore,
}

impl Action {
    pub const ALL: [Action; 2] = [Action::Snapshot, Action::Restore];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Snapshot => "snapshot",
            Action::Restore => "restore",
        }
    }

    /// The script's argument for this action.
    pub fn arg(self) -> &'static str {
        match self {
            Action::Snapshot => "create_and_clean_up",
            Action::Restore => "restore_latest",
        }
    }

    pub fn from_arg(arg: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.arg() == arg)
    }
}

/// The search-index-env-sync chart: its chart-level values and every
/// environment's jobs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Search {
    /// Chart-level values (toolbox image, resources, security contexts), in
    /// the chart's own key names.
    pub chart: Map<String, Value>,
    /// Each environment's `cronjobs` is a list of jobs with a `name` (the
    /// chart's form before 2024-07) rather than a mapping by name.
    pub listed: bool,
    /// Environments in order, each with its jobs.
    pub environments: Vec<SearchEnvironment>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SearchEnvironment {
    pub name: String,
    pub jobs: Vec<SearchJob>,
}

/// One CronJob of the chart: the keys of `cronjobs.<env>.<job>`, and what
/// they mean.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchJob {
    pub name: String,
    pub schedule: String,
    pub suspend: Option<bool>,
    pub args: Vec<String>,
    /// The job's `extraEnv`, as the chart's values give it (`SNAPSHOT_REPO`,
    /// `SUBDOMAIN` and the credentials included).
    pub extra_env: Option<Value>,
    /// The cluster it snapshots or restores into.
    pub cluster: String,
    pub action: Action,
    /// For a restore, the environment whose snapshots it restores.
    pub from: Option<String>,
    /// How long it is expected to take, in seconds, and whether the
    /// catalogue says so (else it is the default).
    pub duration: u64,
    pub duration_set: bool,
    /// Lint suppressions that apply to this job: (rule, reason).
    pub allow: Vec<(String, String)>,
    pub origin: JobOrigin,
}

/// How long a snapshot or a restore is expected to take when the catalogue
/// does not say: half an hour, less than the gaps GOV.UK's own schedule
/// leaves between a restore and the snapshot after it (37 to 47 minutes).
pub const DEFAULT_DURATION: u64 = 1800;

impl SearchJob {
    /// The CronJob's name.
    pub fn cronjob_name(&self) -> String {
        format!("{CHART}-{}", self.name)
    }

    pub fn cron(&self) -> Result<Schedule, CronError> {
        Schedule::parse(&self.schedule)
    }

    pub fn suspended(&self) -> bool {
        self.suspend.unwrap_or(false)
    }

    /// The value of a plain environment variable the job sets.
    pub fn env_value(&self, name: &str) -> Option<&str> {
        self.extra_env.as_ref()?.as_array()?.iter().find_map(|e| {
            (e.get("name")?.as_str()? == name)
                .then(|| e.get("value")?.as_str())
                .flatten()
        })
    }

    /// What a finding says it assumed of this job's duration.
    pub fn assumed(&self) -> String {
        let how = if self.duration_set {
            "as the catalogue says"
        } else {
            "the default; set `duration` to change it"
        };
        let takes = crate::lint::time::duration(jiff::SignedDuration::from_secs(
            i64::try_from(self.duration).unwrap_or(i64::MAX),
        ));
        format!(
            "a search {} taken to last {takes} ({how})",
            self.action.as_str()
        )
    }
}

/// The snapshot repository of an environment: `govuk-<env>`.
pub fn repository(env: &str) -> String {
    format!("govuk-{env}")
}

/// The environment whose repository `SNAPSHOT_REPO` names.
pub fn repository_env(repo: &str) -> Option<&str> {
    repo.strip_prefix("govuk-").filter(|e| !e.is_empty())
}

/// Where a job came from, when there is no source file.
pub fn no_origin() -> JobOrigin {
    JobOrigin {
        job: Origin::default(),
        schedule: Origin::default(),
    }
}

impl Search {
    pub fn jobs(&self) -> impl Iterator<Item = (&SearchEnvironment, &SearchJob)> {
        self.environments
            .iter()
            .flat_map(|e| e.jobs.iter().map(move |j| (e, j)))
    }
}
