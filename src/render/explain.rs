//! `envsync explain`: the on-call card for one job in one environment.
//!
//! Everything on it comes from the plan: the CronJob, its operations in
//! order, its schedule and next runs, the alerts that watch it, the source
//! it restores from, the kubectl commands to look at it and to run it again,
//! and the operations manual's warnings for its environment.

use crate::cron::Schedule;
use crate::model::plan::{Environment, Job, Op, Plan};
use crate::model::search::{self, Action, SearchJob};
use crate::render::rules;
use crate::render::templates::Templates;
use jiff::Timestamp;
use std::fmt::Write;

/// Why a card cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("unknown environment `{env}` (environments: {known})")]
    UnknownEnvironment { env: String, known: String },
    #[error("no job `{job}` in {env} (jobs there: {known})")]
    UnknownJob {
        job: String,
        env: String,
        known: String,
    },
}

/// The container name of the operation at `index`: `<index>-<op>`, as the
/// chart names them.
pub fn container_name(index: usize, op: &str) -> String {
    format!("{index}-{op}")
}

/// The times the schedule fires next after `now`, at most `count` of them.
pub fn next_runs(schedule: &Schedule, now: Timestamp, count: usize) -> Vec<Timestamp> {
    let mut out = Vec::new();
    let mut t = now;
    while out.len() < count {
        match schedule.next_after(t) {
            Some(next) => {
                out.push(next);
                t = next;
            }
            None => break,
        }
    }
    out
}

/// When `schedule` next runs after `now`, in words, or "never".
fn next_run(schedule: &Schedule, now: Timestamp) -> String {
    schedule
        .next_after(now)
        .map(when)
        .unwrap_or_else(|| "never".to_owned())
}

/// A time as on the card: `Mon 23 Nov 2026 22:06 UTC`.
pub fn when(t: Timestamp) -> String {
    t.strftime("%a %d %b %Y %H:%M UTC").to_string()
}

/// The card for `job` in `env`, as text.
pub fn card(
    plan: &Plan,
    templates: &Templates,
    env_name: &str,
    job_name: &str,
    now: Timestamp,
) -> Result<String, ExplainError> {
    let search = plan
        .search
        .as_ref()
        .and_then(|s| s.environments.iter().find(|e| e.name == env_name));
    let env = plan.environment(env_name);
    if env.is_none() && search.is_none() {
        let mut known: Vec<&str> = plan.environments.iter().map(|e| e.name.as_str()).collect();
        for e in plan.search.iter().flat_map(|s| &s.environments) {
            if !known.contains(&e.name.as_str()) {
                known.push(&e.name);
            }
        }
        return Err(ExplainError::UnknownEnvironment {
            env: env_name.to_owned(),
            known: names(known.into_iter()),
        });
    }
    let job = env.and_then(|env| {
        env.jobs
            .iter()
            .find(|j| j.name == job_name)
            .map(|j| (env, j))
    });
    let Some((env, job)) = job else {
        if let Some(found) = search.and_then(|e| e.jobs.iter().find(|j| j.name == job_name)) {
            return Ok(search_card(plan, templates, env_name, found, now));
        }
        let db_jobs = env
            .into_iter()
            .flat_map(|e| &e.jobs)
            .map(|j| j.name.as_str());
        let search_jobs = search
            .into_iter()
            .flat_map(|e| &e.jobs)
            .map(|j| j.name.as_str());
        return Err(ExplainError::UnknownJob {
            job: job_name.to_owned(),
            env: env_name.to_owned(),
            known: names(db_jobs.chain(search_jobs)),
        });
    };
    let mut out = String::new();
    heading(&mut out, plan, env, job);
    section(&mut out, "What it does, in order");
    for (i, op) in job.operations.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}  {}",
            container_name(i, &op.op),
            describe_op(plan, env, job, op)
        );
    }
    when_it_runs(&mut out, job, now);
    alerts_that_watch_it(&mut out, plan, templates, env, job);
    if let Some(source) = source_env(plan, env, job) {
        where_data_comes_from(&mut out, source, job, now);
    }
    looking_at_it(&mut out, env, job);
    running_it_again(&mut out, plan, env, job);
    Ok(out)
}

/// The job's name, what it works on, and its deadline.
fn heading(out: &mut String, plan: &Plan, env: &Environment, job: &Job) {
    let cronjob = job.cronjob_name();
    let _ = writeln!(out, "{cronjob} in {}", env.name);
    let _ = writeln!(out, "{}", "=".repeat(cronjob.len() + 4 + env.name.len()));
    let _ = writeln!(
        out,
        "CronJob {cronjob}: database host {}, {}{}.",
        job.host(),
        job.dbms(),
        job.db
            .as_deref()
            .map(|d| format!(", database {d}"))
            .unwrap_or_default()
    );
    if job.suspended(&plan.chart) {
        let _ = writeln!(
            out,
            "It is SUSPENDED: it does not run on its schedule until it is unsuspended."
        );
    }
    let _ = writeln!(
        out,
        "A run is stopped after {} (activeDeadlineSeconds {}).",
        crate::model::alerts::Duration::seconds(job.active_deadline_seconds()).words(),
        job.active_deadline_seconds()
    );
}

/// The schedule in words, and the next runs.
fn when_it_runs(out: &mut String, job: &Job, now: Timestamp) {
    section(out, "When it runs");
    match Schedule::parse(&job.schedule) {
        Ok(schedule) => {
            let _ = writeln!(out, "  {}  ({})", job.schedule, schedule.describe());
            let _ = writeln!(out, "  Next runs:");
            for t in next_runs(&schedule, now, 5) {
                let _ = writeln!(out, "    {}", when(t));
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  {}  (not a valid schedule: {e})", job.schedule);
        }
    }
}

/// The "taking a long time" thresholds of each operation, and the "not
/// completed" alert.
fn alerts_that_watch_it(
    out: &mut String,
    plan: &Plan,
    templates: &Templates,
    env: &Environment,
    job: &Job,
) {
    section(out, "Alerts that watch it");
    let long = &plan.alerts.taking_a_long_time;
    let mut budget = 0;
    for (i, op) in job.operations.iter().enumerate() {
        let Some(kind) = op.kind() else { continue };
        match long.for_op(&env.name, kind).effective(op.speed) {
            Some((speed, threshold)) => {
                budget += threshold.as_secs();
                let _ = writeln!(
                    out,
                    "  {}: speed group {}; \"taking a long time\" after {} ({})",
                    container_name(i, &op.op),
                    speed.as_str(),
                    threshold.words(),
                    threshold.for_clause()
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {}: no \"taking a long time\" threshold for {kind}",
                    container_name(i, &op.op)
                );
            }
        }
    }
    if budget > 0 {
        let _ = writeln!(
            out,
            "  A run is expected to take at most {} (the thresholds added up).",
            crate::model::alerts::Duration::seconds(budget).words()
        );
    }
    match rules::not_completed_alert(plan, templates, &env.name, job.host()) {
        Some(alert) => {
            let _ = writeln!(
                out,
                "  \"Not completed\": {alert} covers {}; it fires when no run has \
                 succeeded within the gap between runs plus the grace \
                 (alerts.not_completed.grace).",
                job.host()
            );
        }
        None => {
            let _ = writeln!(out, "  No \"not completed\" alert covers {}.", job.host());
        }
    }
}

/// The environment a restore reads from, and when its backup runs.
fn where_data_comes_from(out: &mut String, source: &Environment, job: &Job, now: Timestamp) {
    section(out, "Where its data comes from");
    let _ = writeln!(
        out,
        "  It restores {}'s backup from {}.",
        source.name, source.bucket
    );
    match source.jobs.iter().find(|j| j.name == job.name) {
        Some(src) => match Schedule::parse(&src.schedule) {
            Ok(s) => {
                let next = next_run(&s, now);
                let _ = writeln!(
                    out,
                    "  {}'s {} backs up {} ({}); next: {next}.",
                    source.name,
                    src.cronjob_name(),
                    src.schedule,
                    s.describe()
                );
            }
            Err(_) => {
                let _ = writeln!(
                    out,
                    "  {}'s {} runs {}.",
                    source.name,
                    src.cronjob_name(),
                    src.schedule
                );
            }
        },
        None => {
            let _ = writeln!(
                out,
                "  {} has no job named {}: check which job writes that backup.",
                source.name, job.name
            );
        }
    }
}

/// The kubectl commands to look at the job's runs.
fn looking_at_it(out: &mut String, env: &Environment, job: &Job) {
    finding_the_job(out, &env.name, "db-backup", &job.name);
    let _ = writeln!(out, "  # its pod");
    let _ = writeln!(out, "  kubectl get pods --selector job-name=JOB");
    let _ = writeln!(out, "  # each container's logs (POD is the name above)");
    for (i, op) in job.operations.iter().enumerate() {
        let _ = writeln!(out, "  kubectl logs POD -c {}", container_name(i, &op.op));
    }
}

/// The start of "Looking at it": where to run kubectl, and how to find
/// the newest Job of a chart's job (labelled with its name) and its status.
fn finding_the_job(out: &mut String, env: &str, chart: &str, job: &str) {
    section(out, "Looking at it");
    let _ = writeln!(
        out,
        "  With kubectl on the {env} cluster, in the namespace {chart} runs in\n  \
         (add -n NAMESPACE if that is not your context's default):"
    );
    let _ = writeln!(out, "  # the latest job (newest last)");
    let _ = writeln!(
        out,
        "  kubectl get jobs --selector app.kubernetes.io/component={job} --sort-by=.metadata.creationTimestamp"
    );
    let _ = writeln!(out, "  # its status (JOB is the newest name above)");
    let _ = writeln!(out, "  kubectl describe job JOB");
}

/// The longest Job name Kubernetes accepts: the controller labels a Job's
/// pods with it, and a label value has at most 63 characters.
const MAX_JOB_NAME: usize = 63;

/// The kubectl command that starts a Job of `cronjob` by hand, named
/// `<cronjob>-manual-<seconds>`, the CronJob's name cut short where the
/// whole would pass [`MAX_JOB_NAME`] (a CronJob name may have 52).
fn run_by_hand(cronjob: &str) -> String {
    const SUFFIX: &str = "-manual-$(date +%s)";
    // `$(date +%s)` prints 10 digits until the year 2286.
    let room = MAX_JOB_NAME - "-manual-".len() - 10;
    let prefix: String = cronjob.chars().take(room).collect();
    let prefix = prefix.trim_end_matches('-');
    format!("  kubectl create job --from=cronjob/{cronjob} {prefix}{SUFFIX}")
}

/// The kubectl command to run the job by hand, and what that does.
fn running_it_again(out: &mut String, plan: &Plan, env: &Environment, job: &Job) {
    section(out, "Running it again");
    let _ = writeln!(out, "{}", run_by_hand(&job.cronjob_name()));
    let restores = job.operations.iter().any(|o| o.kind() == Some(Op::Restore));
    if !restores {
        let _ = writeln!(
            out,
            "  In {} this only makes a new backup: it changes no data.",
            env.name
        );
    } else {
        let _ = writeln!(
            out,
            "  WARNING: in {} this overwrites {} with {}'s data: people may be \
             testing with what is there now. Tell them first.",
            env.name,
            job.db.as_deref().unwrap_or(job.host()),
            source_env(plan, env, job)
                .map(|e| e.name.as_str())
                .unwrap_or("the source")
        );
        if job.dbms() == "mysql" {
            let _ = writeln!(
                out,
                "  WARNING: MySQL is unavailable for the whole restore."
            );
        }
    }
}

/// The card for a search index sync: what it asks of which cluster, when,
/// the alerts that watch it, the snapshot it restores, and the kubectl
/// commands for the chart's Jobs and their `main` container.
fn search_card(
    plan: &Plan,
    templates: &Templates,
    env: &str,
    job: &SearchJob,
    now: Timestamp,
) -> String {
    let cronjob = job.cronjob_name();
    let mut out = String::new();
    let _ = writeln!(out, "{cronjob} in {env}");
    let _ = writeln!(out, "{}", "=".repeat(cronjob.len() + 4 + env.len()));
    let subdomain = job
        .env_value("SUBDOMAIN")
        .map(|s| format!(" (SUBDOMAIN {s})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "CronJob {cronjob} of the search-index-env-sync chart: search cluster {}{subdomain}.",
        job.cluster
    );
    if job.suspended() {
        let _ = writeln!(
            out,
            "It is SUSPENDED: it does not run on its schedule until it is unsuspended."
        );
    }
    section(&mut out, "What it does");
    let args = job.args.join(" ");
    let repo = job.env_value("SNAPSHOT_REPO");
    let what = match job.action {
        Action::Snapshot => format!(
            "snapshot {} into {env}'s repository {}",
            job.cluster,
            search::repository(env)
        ),
        Action::Restore => format!(
            "restore the newest snapshot of {} (SNAPSHOT_REPO {}) into {}",
            job.from.as_deref().unwrap_or("its source"),
            repo.unwrap_or("not set"),
            job.cluster
        ),
    };
    let _ = writeln!(out, "  main  {what}: /opt/bin/snapshot {args}");
    let _ = writeln!(out, "  Lint and the alerts assume {}.", job.assumed());
    match Schedule::parse(&job.schedule) {
        Ok(schedule) => {
            section(&mut out, "When it runs");
            let _ = writeln!(out, "  {}  ({})", job.schedule, schedule.describe());
            let _ = writeln!(out, "  Next runs:");
            for t in next_runs(&schedule, now, 5) {
                let _ = writeln!(out, "    {}", when(t));
            }
        }
        Err(e) => {
            section(&mut out, "When it runs");
            let _ = writeln!(out, "  {}  (not a valid schedule: {e})", job.schedule);
        }
    }
    section(&mut out, "Alerts that watch it");
    let _ = writeln!(
        out,
        "  From kube-state-metrics (the snapshot script pushes no metrics):"
    );
    for (alert, meaning) in rules::search::alerts_for(plan, templates, env, job) {
        let _ = writeln!(out, "  \"{alert}\": {meaning}");
    }
    if let (Action::Restore, Some(from)) = (job.action, job.from.as_deref()) {
        section(&mut out, "Where its data comes from");
        let source = plan.search.iter().flat_map(|s| s.jobs()).find(|(e, j)| {
            e.name == from && j.cluster == job.cluster && j.action == Action::Snapshot
        });
        match source.map(|(_, j)| (j, Schedule::parse(&j.schedule))) {
            Some((src, Ok(s))) => {
                let next = next_run(&s, now);
                let _ = writeln!(
                    out,
                    "  {from}'s {} snapshots {} ({}); next: {next}.",
                    src.cronjob_name(),
                    src.schedule,
                    s.describe()
                );
            }
            Some((src, Err(_))) => {
                let _ = writeln!(
                    out,
                    "  {from}'s {} runs {}.",
                    src.cronjob_name(),
                    src.schedule
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {from} has no snapshot of {}: check what writes {}.",
                    job.cluster,
                    repo.unwrap_or("its repository")
                );
            }
        }
    }
    finding_the_job(&mut out, env, "search-index-env-sync", &job.name);
    let _ = writeln!(out, "  # its logs");
    let _ = writeln!(out, "  kubectl logs job/JOB -c main");
    section(&mut out, "Running it again");
    let _ = writeln!(out, "{}", run_by_hand(&cronjob));
    match job.action {
        Action::Snapshot => {
            let _ = writeln!(
                out,
                "  In {env} this only takes a new snapshot of {}: it changes no index.",
                job.cluster
            );
        }
        Action::Restore => {
            let _ = writeln!(
                out,
                "  WARNING: in {env} this replaces {}'s indices with {}'s newest snapshot: \
                 search there changes under people's feet. Tell them first.",
                job.cluster,
                job.from.as_deref().unwrap_or("the source")
            );
        }
    }
    out
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}:");
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// The environment a job restores from: its environment's `restore_from`.
fn source_env<'a>(plan: &'a Plan, env: &Environment, job: &Job) -> Option<&'a Environment> {
    if !job.operations.iter().any(|o| o.kind() == Some(Op::Restore)) {
        return None;
    }
    plan.environment(env.restore_from.as_deref()?)
}

fn describe_op(
    plan: &Plan,
    env: &Environment,
    job: &Job,
    op: &crate::model::plan::Operation,
) -> String {
    let db = job.db_of(op).map(|d| format!(" {d}")).unwrap_or_default();
    match op.kind() {
        Some(Op::Restore) => {
            let bucket = op.bucket.clone().or_else(|| {
                env.restore_from
                    .as_deref()
                    .and_then(|s| plan.environment(s))
                    .map(|e| e.bucket.clone())
            });
            let from = match bucket {
                Some(bucket) => match plan.environments.iter().find(|e| e.bucket == bucket) {
                    Some(owner) => format!("{}'s bucket {bucket}", owner.name),
                    None => bucket,
                },
                None => "its source".to_owned(),
            };
            format!("restore{db} from {from}")
        }
        Some(Op::Transform) => match &op.script {
            Some(script) => format!("transform{db} with {script}"),
            None => format!("transform{db}"),
        },
        Some(Op::Backup) => {
            let bucket = op.bucket.as_deref().unwrap_or(&env.bucket);
            format!("back up{db} to {bucket}")
        }
        None => op.op.clone(),
    }
}

/// The card with its title and headings bold and its warnings in red, as
/// ANSI styles: print it through an `anstream` stream, which drops them
/// where colour is not wanted (not a terminal, `NO_COLOR`; `CLICOLOR_FORCE`
/// keeps them).
pub fn styled(card: &str) -> String {
    let bold = anstyle::Style::new().bold();
    let warning = anstyle::AnsiColor::Red.on_default().bold();
    let mut out = String::with_capacity(card.len() + 256);
    for (i, line) in card.lines().enumerate() {
        let heading = i == 0 || (!line.starts_with(' ') && line.ends_with(':'));
        let style = if heading {
            bold
        } else if line.trim_start().starts_with("WARNING:") {
            warning
        } else {
            anstyle::Style::new()
        };
        let _ = writeln!(out, "{style}{line}{style:#}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Job name `kubectl create job` is given in a command line.
    fn job_name(command: &str) -> &str {
        let from = command.find("--from=").unwrap_or_default();
        command[from..].split_once(' ').map_or("", |(_, name)| name)
    }

    #[test]
    fn a_job_run_by_hand_has_a_name_kubernetes_accepts() {
        let short = run_by_hand("db-backup-ckan-postgres");
        assert_eq!(
            short,
            "  kubectl create job --from=cronjob/db-backup-ckan-postgres db-backup-ckan-postgres-manual-$(date +%s)"
        );
        // The longest CronJob name: 52 characters, cut to 45.
        let longest = format!("db-backup-{}", "a".repeat(42));
        let name = job_name(&run_by_hand(&longest)).replace("$(date +%s)", "1764806400");
        assert_eq!(name.len(), MAX_JOB_NAME, "{name}");
        assert!(name.starts_with(&longest[..45]), "{name}");
        // A cut that ends at a dash drops it: names do not hold `--`.
        let dashed = format!("db-backup-{}-b", "a".repeat(34));
        let command = run_by_hand(&dashed);
        let name = job_name(&command);
        assert!(!name.contains("--"), "{name}");
    }
}
