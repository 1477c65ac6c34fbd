//! What the rules of one environment say, derived from the plan: which
//! instances each "taking a long time" alert watches, and which cadence
//! group each instance's "not completed" alert belongs to.

use crate::cron::Schedule;
use crate::model::alerts::{Duration, LongRunning, NotCompleted, Settings, join_words};
use crate::model::plan::{Environment, Job, Op, Plan, Speed};
use crate::promql::{quote, regex_escape};
use crate::render::rules::RulesError;
use crate::render::rules::cadence::{self, Cadence, CadenceError, Runs};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Which database instances an alert covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Instances {
    /// Every instance: no matcher.
    All,
    /// These instances (`=~`).
    Only(BTreeSet<String>),
    /// Every instance but these (`!~`).
    AllBut(BTreeSet<String>),
}

impl Instances {
    /// The `database_instance` matcher, if any.
    pub fn matcher(&self) -> Option<String> {
        self.matcher_on("database_instance")
    }

    /// The matcher on `label`, if any.
    pub fn matcher_on(&self, label: &str) -> Option<String> {
        let alternation = |names: &BTreeSet<String>| {
            let mut names: Vec<String> = names.iter().map(|n| regex_escape(n)).collect();
            names.sort();
            names.dedup();
            quote(&names.join("|"))
        };
        match self {
            Instances::All => None,
            Instances::Only(names) => Some(format!("{label}=~{}", alternation(names))),
            Instances::AllBut(names) => Some(format!("{label}!~{}", alternation(names))),
        }
    }

    /// Whether an instance name is covered.
    pub fn covers(&self, name: &str) -> bool {
        match self {
            Instances::All => true,
            Instances::Only(names) => names.contains(name),
            Instances::AllBut(names) => !names.contains(name),
        }
    }
}

/// One series a job pushes: an operation on a database of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SeriesKey<'a> {
    pub host: &'a str,
    pub op: Op,
    pub db: &'a str,
}

/// A running job, as the tests simulate it.
pub(crate) struct RunningJob<'a> {
    pub job: &'a Job,
    pub schedule: Schedule,
    /// Its operations in order: kind, database, threshold in seconds.
    pub steps: Vec<(Op, &'a str, i64)>,
    /// How long a run may take: the sum of the thresholds.
    pub budget: i64,
}

/// A "taking a long time" alert.
pub(crate) struct LongAlert {
    pub op: Op,
    pub speed: Speed,
    pub threshold: Duration,
    pub instances: Instances,
    /// The instances in this group, sorted.
    pub members: Vec<String>,
    /// How many speed groups the operation has thresholds for.
    pub speeds_configured: usize,
}

/// A "not completed" alert: one cadence group.
pub(crate) struct StaleAlert {
    pub cadence: Cadence,
    /// The name used in the alert (the cadence's, made unique in the file).
    pub name: String,
    pub instances: Instances,
    /// This group also covers instances the catalogue does not know.
    pub complement: bool,
    /// Its window is kept as the chart had it (`alerts.not_completed.kept`).
    pub kept: bool,
}

/// The rules of one environment.
pub(crate) struct EnvModel<'a> {
    pub env: &'a Environment,
    pub long: Vec<LongAlert>,
    pub stale: Vec<StaleAlert>,
    /// Operations run by the environment's running jobs, in Op order.
    pub stale_ops: Vec<Op>,
    pub running: Vec<RunningJob<'a>>,
    /// Each instance's cadence.
    pub cadences: BTreeMap<String, Cadence>,
}

/// Every series of every job of `env` (running or not), with the job's
/// dbms (the last job's, where two push the same series).
pub(crate) fn series(env: &Environment) -> BTreeMap<SeriesKey<'_>, &str> {
    let mut series = BTreeMap::new();
    for job in &env.jobs {
        for op in &job.operations {
            if let Some(kind) = op.kind() {
                let key = SeriesKey {
                    host: job.host(),
                    op: kind,
                    db: job.db_of(op).unwrap_or_default(),
                };
                series.insert(key, job.dbms());
            }
        }
    }
    series
}

/// What a cadence is derived from, for one series: the texts of its
/// schedules and its budget.
type RunsKey<'a> = (Vec<&'a str>, i64);

/// The rules of `env`: its alerts, its running jobs and their cadences.
pub(crate) fn build<'a>(plan: &'a Plan, env: &'a Environment) -> Result<EnvModel<'a>, RulesError> {
    let settings: &Settings = &plan.alerts;
    let long_settings = &settings.taking_a_long_time;
    let speeds = slowest_speeds(env, long_settings)?;
    let long = long_alerts(env, long_settings, &speeds);
    let running = running_jobs(plan, env, long_settings)?;
    let cadences = instance_cadences(env, &settings.not_completed, &running)?;
    let excluded = hosts_without_cadence(env, &cadences);
    let mut stale = stale_alerts(&cadence_groups(&cadences), &excluded);
    disambiguate_names(&mut stale);
    for s in &mut stale {
        if let Some(kept) = settings.not_completed.kept(&env.name, &s.name) {
            if !kept.checks.is_empty() {
                s.cadence = s.cadence.with_kept(kept).map_err(|e| RulesError::Kept {
                    env: env.name.clone(),
                    alert: s.name.clone(),
                    reason: e.0,
                })?;
            }
            if !kept.instances.is_empty() {
                s.instances = Instances::Only(kept.instances.iter().cloned().collect());
                s.complement = false;
            }
            s.kept = true;
        }
    }

    let stale_ops: Vec<Op> = Op::ALL
        .into_iter()
        .filter(|&op| running.iter().any(|r| r.steps.iter().any(|s| s.0 == op)))
        .collect();

    Ok(EnvModel {
        env,
        long,
        stale,
        stale_ops,
        running,
        cadences,
    })
}

/// Every operation: the slowest speed per instance and operation.
fn slowest_speeds<'a>(
    env: &'a Environment,
    long_settings: &LongRunning,
) -> Result<HashMap<(Op, &'a str), Speed>, RulesError> {
    let mut speeds: HashMap<(Op, &str), Speed> = HashMap::new();
    for job in &env.jobs {
        for op in &job.operations {
            let kind = op.kind().ok_or_else(|| RulesError::UnknownOperation {
                env: env.name.clone(),
                job: job.name.clone(),
                op: op.op.clone(),
                line: op.origin.line,
                column: op.origin.column,
            })?;
            let Some((speed, _)) = long_settings.for_op(&env.name, kind).effective(op.speed) else {
                return Err(RulesError::NoThreshold {
                    env: env.name.clone(),
                    job: job.name.clone(),
                    op: kind.as_str().to_owned(),
                    speed: op.speed.as_str().to_owned(),
                    line: op.origin.line,
                    column: op.origin.column,
                });
            };
            let slot = speeds.entry((kind, job.host())).or_default();
            *slot = (*slot).max(speed);
        }
    }
    Ok(speeds)
}

/// "Taking a long time": per operation, one alert per speed group; the
/// quickest configured group is the complement of the others.
fn long_alerts(
    env: &Environment,
    long_settings: &LongRunning,
    speeds: &HashMap<(Op, &str), Speed>,
) -> Vec<LongAlert> {
    let mut long = Vec::new();
    for kind in Op::ALL {
        // Each host once (speeds is keyed by operation and host), in order.
        let mut in_use: Vec<(&str, Speed)> = speeds
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(&(_, host), &s)| (host, s))
            .collect();
        in_use.sort_unstable();
        if in_use.is_empty() {
            continue;
        }
        let thresholds = long_settings.for_op(&env.name, kind);
        let configured: Vec<(Speed, Duration)> = thresholds.speeds().collect();
        let members = |speed: Speed| -> Vec<String> {
            in_use
                .iter()
                .filter(|(_, s)| *s == speed)
                .map(|(h, _)| (*h).to_owned())
                .collect()
        };
        for (i, &(speed, threshold)) in configured.iter().enumerate() {
            let own = members(speed);
            let instances = if i == 0 {
                let others: BTreeSet<String> = configured[1..]
                    .iter()
                    .flat_map(|&(s, _)| members(s))
                    .collect();
                if others.is_empty() {
                    Instances::All
                } else {
                    Instances::AllBut(others)
                }
            } else if own.is_empty() {
                continue;
            } else {
                Instances::Only(own.iter().cloned().collect())
            };
            long.push(LongAlert {
                op: kind,
                speed,
                threshold,
                instances,
                members: own,
                speeds_configured: configured.len(),
            });
        }
    }
    long
}

/// The running jobs of `env`, with their schedules, steps and budgets.
fn running_jobs<'a>(
    plan: &Plan,
    env: &'a Environment,
    long_settings: &LongRunning,
) -> Result<Vec<RunningJob<'a>>, RulesError> {
    let mut running = Vec::new();
    for job in &env.jobs {
        if job.suspended(&plan.chart) || job.operations.is_empty() {
            continue;
        }
        let schedule = job.cron().map_err(|e| RulesError::Schedule {
            env: env.name.clone(),
            job: job.name.clone(),
            schedule: job.schedule.clone(),
            line: job.origin.schedule.line,
            column: job.origin.schedule.column,
            message: e.message,
        })?;
        let steps: Vec<(Op, &str, i64)> = job
            .operations
            .iter()
            .filter_map(|op| {
                let kind = op.kind()?;
                let (_, t) = long_settings.for_op(&env.name, kind).effective(op.speed)?;
                Some((kind, job.db_of(op).unwrap_or_default(), t.0 as i64))
            })
            .collect();
        let budget = steps.iter().map(|s| s.2).sum();
        running.push(RunningJob {
            job,
            schedule,
            steps,
            budget,
        });
    }
    Ok(running)
}

/// Each instance's cadence, from the series its running jobs push.
fn instance_cadences(
    env: &Environment,
    not_completed: &NotCompleted,
    running: &[RunningJob],
) -> Result<BTreeMap<String, Cadence>, RulesError> {
    // The running jobs by host, hosts in order.
    let mut by_host: Vec<(&str, usize)> = running
        .iter()
        .enumerate()
        .map(|(i, r)| (r.job.host(), i))
        .collect();
    by_host.sort_unstable();
    let by_host = by_host.chunk_by(|a, b| a.0 == b.0).map(|jobs| {
        let host = jobs[0].0;
        (host, jobs.iter().map(|&(_, i)| i).collect::<Vec<usize>>())
    });
    // In host order, as by_host is.
    let mut cadences = Vec::new();
    // Many instances run on the same schedules: derive each cadence once.
    let mut derived: HashMap<Vec<RunsKey>, Result<Cadence, CadenceError>> = HashMap::new();
    for (host, jobs) in by_host {
        let mut per_series: BTreeMap<(Op, &str), Vec<usize>> = BTreeMap::new();
        for &j in &jobs {
            for (kind, db, _) in &running[j].steps {
                per_series.entry((*kind, *db)).or_default().push(j);
            }
        }
        let runs: Vec<Runs> = per_series
            .values()
            .map(|js| Runs {
                schedules: js.iter().map(|&j| &running[j].schedule).collect(),
                budget: js.iter().map(|&j| running[j].budget).max().unwrap_or(0),
            })
            .collect();
        let key = runs
            .iter()
            .map(|r| (r.schedules.iter().map(|s| s.text()).collect(), r.budget))
            .collect();
        let cadence = derived
            .entry(key)
            .or_insert_with(|| cadence::derive(&runs, not_completed));
        let cadence = cadence.clone().map_err(|e| {
            let first = &running[jobs[0]].job;
            RulesError::Cadence {
                env: env.name.clone(),
                job: first.name.clone(),
                schedule: first.schedule.clone(),
                line: first.origin.schedule.line,
                column: first.origin.schedule.column,
                reason: e.0,
            }
        })?;
        cadences.push((host.to_owned(), cadence));
    }
    Ok(cadences.into_iter().collect())
}

/// The instances of `env` with no cadence (none of their jobs run), sorted.
fn hosts_without_cadence(env: &Environment, cadences: &BTreeMap<String, Cadence>) -> Vec<String> {
    let mut all_hosts: Vec<&str> = env.jobs.iter().map(Job::host).collect();
    all_hosts.sort_unstable();
    all_hosts.dedup();
    all_hosts
        .into_iter()
        .filter(|h| !cadences.contains_key(*h))
        .map(str::to_owned)
        .collect()
}

/// The instances grouped by what their alert checks, in alert order.
pub(crate) fn cadence_groups(cadences: &BTreeMap<String, Cadence>) -> Vec<(Cadence, Vec<String>)> {
    // Runs on different days share a group when the alert checks the same:
    // the key is the name and the terms, not the days runs fire on.
    let mut groups: Vec<(Cadence, Vec<String>)> = Vec::new();
    for (host, c) in cadences {
        match groups.iter_mut().find(|(g, _)| g.checks() == c.checks()) {
            Some((g, members)) => {
                members.push(host.clone());
                for (d, f) in g.fire_days.iter_mut().zip(c.fire_days) {
                    *d |= f;
                }
                g.fire_hours.extend(c.fire_hours.iter().copied());
            }
            None => groups.push((c.clone(), vec![host.clone()])),
        }
    }
    groups.sort_by(|(a, am), (b, bm)| {
        b.threshold
            .cmp(&a.threshold)
            .then(bm.len().cmp(&am.len()))
            .then(a.name.cmp(&b.name))
    });
    groups
}

/// One "not completed" alert per group; the largest is the complement of
/// the others and of the `excluded` instances.
fn stale_alerts(groups: &[(Cadence, Vec<String>)], excluded: &[String]) -> Vec<StaleAlert> {
    // The largest group (the tighter threshold on a tie) is written as the
    // complement of the others, so it also covers unknown instances.
    let complement = (0..groups.len()).max_by(|&i, &j| {
        groups[i]
            .1
            .len()
            .cmp(&groups[j].1.len())
            .then(groups[j].0.threshold.cmp(&groups[i].0.threshold))
            .then(j.cmp(&i))
    });
    let mut stale = Vec::new();
    for (i, (cadence, members)) in groups.iter().enumerate() {
        let is_complement = Some(i) == complement;
        let instances = if is_complement {
            let others: BTreeSet<String> = groups
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, (_, m))| m.iter().cloned())
                .chain(excluded.iter().cloned())
                .collect();
            if others.is_empty() {
                Instances::All
            } else {
                Instances::AllBut(others)
            }
        } else {
            Instances::Only(members.iter().cloned().collect())
        };
        stale.push(StaleAlert {
            name: cadence.name.clone(),
            cadence: cadence.clone(),
            instances,
            complement: is_complement,
            kept: false,
        });
    }
    stale
}

/// Two groups of one name (say, weekday runs at 01:00 and at 23:30) get
/// the hours their runs start in ("Weekday 23:00"), and then, if that is
/// not enough, their tightest threshold.
pub(crate) fn disambiguate_names(stale: &mut [StaleAlert]) {
    let clashing = |stale: &[StaleAlert], i: usize| {
        stale.iter().filter(|s| s.name == stale[i].name).count() > 1 && !stale[i].complement
    };
    let first: Vec<bool> = (0..stale.len()).map(|i| clashing(stale, i)).collect();
    for (s, clash) in stale.iter_mut().zip(&first) {
        if *clash {
            let hours: Vec<String> = s
                .cadence
                .fire_hours
                .iter()
                .map(|h| format!("{h:02}:00"))
                .collect();
            s.name = format!("{} {}", s.cadence.name, join_words(&hours, " and "));
        }
    }
    let second: Vec<bool> = (0..stale.len()).map(|i| clashing(stale, i)).collect();
    for (s, clash) in stale.iter_mut().zip(&second) {
        if *clash {
            s.name = format!(
                "{}, from {} late",
                s.name,
                cadence::words(s.cadence.threshold)
            );
        }
    }
}
