//! Alert rules for the search index syncs, from kube-state-metrics: the
//! snapshot script pushes no metrics, so what Kubernetes knows of the
//! chart's Jobs and CronJobs is what the rules watch.
//!
//! - `search_index_env_sync_alerts.yaml` (every environment): "failed", a
//!   Job owned by one of the chart's CronJobs failed, and that CronJob has
//!   not succeeded since the Job started. A failed Job stays until the
//!   next one fails (the chart keeps Kubernetes' `failedJobsHistoryLimit`
//!   of 1), so the alert compares it with the CronJob's last success
//!   rather than firing as long as the Job exists.
//! - `<env>/search_index_env_sync_<env>_only_alerts.yaml`: "not
//!   completed", the CronJob's last success
//!   (`kube_cronjob_status_last_successful_time`) is older than its
//!   cadence allows, derived exactly as the database rules' (see
//!   [`super::cadence`]), each job's runs taken to last its `duration`.
//!   One alert per cadence group, naming its CronJobs: the series covers
//!   every CronJob of the cluster, so there is no catch-all.
//!
//! Each file gets promtool tests beside it, as the database rules do.

use crate::cron::Schedule;
use crate::model::plan::Plan;
use crate::model::search::{CHART, SearchEnvironment, SearchJob};
use crate::output::File;
use crate::promql::quote;
use crate::render::rules::cadence::{self, Calendar, DAY, Runs, WEEK};
use crate::render::rules::model::{Instances, StaleAlert, cadence_groups, disambiguate_names};
use crate::render::rules::render::{
    RulesFile, What, annotations_if, labels, one_line, stale_context, terms_expr,
};
use crate::render::rules::tests_gen::{
    AlertTest, Expect, Group, Labels, PromqlTest, STEP, Series, Values, duration,
    exact_stale_alerts, expanding, rerun, success_at, when, write,
};
use crate::render::rules::{RulesError, header, tests_path};
use crate::render::templates::Templates;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The rules file every environment loads.
pub const COMMON_FILE: &str = "search_index_env_sync_alerts.yaml";

/// The rules file of an environment, relative to the rules folder.
pub fn environment_file(env: &str) -> PathBuf {
    Path::new(env).join(format!("search_index_env_sync_{env}_only_alerts.yaml"))
}

/// The series the rules read, from kube-state-metrics.
const FAILED: &str = "kube_job_status_failed";
const STARTED: &str = "kube_job_status_start_time";
const OWNER: &str = "kube_job_owner";
const SUCCEEDED: &str = "kube_cronjob_status_last_successful_time";

/// The rules of one environment's search jobs.
pub(crate) struct SearchModel<'a> {
    pub env: &'a SearchEnvironment,
    /// The jobs that run, with their schedules.
    pub running: Vec<(&'a SearchJob, Schedule)>,
    /// One "not completed" alert per cadence group, of CronJob names.
    pub stale: Vec<StaleAlert>,
}

fn build<'a>(plan: &Plan, env: &'a SearchEnvironment) -> Result<SearchModel<'a>, RulesError> {
    let mut running = Vec::new();
    let mut cadences = BTreeMap::new();
    for job in env.jobs.iter().filter(|j| !j.suspended()) {
        let at = job.origin.schedule;
        let schedule = job.cron().map_err(|e| RulesError::Schedule {
            env: env.name.clone(),
            job: job.name.clone(),
            schedule: job.schedule.clone(),
            line: at.line,
            column: at.column,
            message: e.message,
        })?;
        let runs = Runs {
            schedules: vec![&schedule],
            budget: i64::try_from(job.duration).unwrap_or(i64::MAX),
        };
        let cadence = cadence::derive(&[runs], &plan.alerts.not_completed).map_err(|e| {
            RulesError::Cadence {
                env: env.name.clone(),
                job: job.name.clone(),
                schedule: job.schedule.clone(),
                line: at.line,
                column: at.column,
                reason: e.0,
            }
        })?;
        cadences.insert(job.cronjob_name(), cadence);
        running.push((job, schedule));
    }
    let mut stale: Vec<StaleAlert> = cadence_groups(&cadences)
        .into_iter()
        .map(|(cadence, members)| StaleAlert {
            name: cadence.name.clone(),
            cadence,
            instances: Instances::Only(members.into_iter().collect()),
            complement: false,
            kept: false,
        })
        .collect();
    disambiguate_names(&mut stale);
    Ok(SearchModel {
        env,
        running,
        stale,
    })
}

/// Each environment's model, in the catalogue's order.
fn models(plan: &Plan) -> Result<Vec<SearchModel<'_>>, RulesError> {
    let Some(search) = &plan.search else {
        return Ok(Vec::new());
    };
    search.environments.iter().map(|e| build(plan, e)).collect()
}

/// The template context of a search alert: the labels of the
/// kube-state-metrics series it reads.
fn context(environment: Option<&str>, kind: &str) -> Value {
    let labels = ["namespace", "cronjob", "job_name", "owner_name"];
    super::render::label_context(&labels, environment, kind)
}

/// The chart's CronJobs, by name.
fn chart_names() -> String {
    quote(&format!("{CHART}-.+"))
}

/// The failed Jobs of the chart's CronJobs, valued by their start time,
/// with the CronJob as `owner_name`.
fn failed_jobs(indent: &str) -> Vec<String> {
    let names = chart_names();
    [
        "(".to_owned(),
        format!("  {STARTED}{{job_name=~{names}}}"),
        format!("  and on(namespace, job_name) {FAILED}{{job_name=~{names}}} > 0"),
        ")".to_owned(),
        "* on(namespace, job_name) group_left(owner_name)".to_owned(),
        format!("  {OWNER}{{owner_kind=\"CronJob\", owner_name=~{names}}}"),
    ]
    .into_iter()
    .map(|l| format!("{indent}{l}"))
    .collect()
}

/// The CronJobs' last successes, with the CronJob as `owner_name`.
fn last_successes() -> String {
    format!(
        "label_replace({SUCCEEDED}{{cronjob=~{}}}, \"owner_name\", \"$1\", \"cronjob\", \"(.+)\")",
        chart_names()
    )
}

/// The failed Jobs that started after their CronJob's last success, or
/// whose CronJob never succeeded.
fn failed_expr() -> Vec<String> {
    let mut lines = vec!["(".to_owned()];
    lines.extend(failed_jobs("  "));
    lines.push(")".to_owned());
    lines.push("> on(namespace, owner_name) group_left()".to_owned());
    lines.push(format!("  {}", last_successes()));
    lines.push("or".to_owned());
    lines.push("(".to_owned());
    lines.extend(failed_jobs("  "));
    lines.push(")".to_owned());
    lines.push(format!(
        "unless on(namespace, owner_name) {}",
        last_successes()
    ));
    lines
}

fn common(plan: &Plan, templates: &Templates, annotate: bool) -> Result<RulesFile, RulesError> {
    let ctx = context(None, "failed");
    let rule = crate::render::rules::render::Rule {
        what: What::Failed,
        alert: one_line(templates, "rules/search/failed/alert.txt", &ctx)?,
        for_: None,
        expr: failed_expr(),
        labels: labels(plan),
        annotations: annotations_if(annotate, templates, "search/failed", &ctx)?,
    };
    Ok(RulesFile {
        group: one_line(templates, "rules/search/group_name.txt", &ctx)?,
        rules: vec![rule],
    })
}

fn environment(
    plan: &Plan,
    model: &SearchModel,
    templates: &Templates,
    annotate: bool,
) -> Result<RulesFile, RulesError> {
    let env = model.env.name.as_str();
    let mut rules = Vec::new();
    for (i, stale) in model.stale.iter().enumerate() {
        let c = &stale.cadence;
        let ctx = stale_context(context(Some(env), "not_completed"), stale, &model.stale);
        let matchers: Vec<String> = stale.instances.matcher_on("cronjob").into_iter().collect();
        rules.push(crate::render::rules::render::Rule {
            what: What::Stale(i),
            alert: one_line(templates, "rules/search/not_completed/alert.txt", &ctx)?,
            for_: None,
            expr: terms_expr(SUCCEEDED, &matchers, c, false),
            labels: labels(plan),
            annotations: annotations_if(annotate, templates, "search/not_completed", &ctx)?,
        });
    }
    Ok(RulesFile {
        group: one_line(
            templates,
            "rules/search/group_name.txt",
            &context(Some(env), "group"),
        )?,
        rules,
    })
}

/// The rules files of the search index syncs (the common one, then one
/// per environment with a running job), each with its promtool tests
/// beside it; none without `search:`.
pub fn render(plan: &Plan, templates: &Templates) -> Result<Vec<File>, RulesError> {
    if plan.search.is_none() {
        return Ok(Vec::new());
    }
    let header = &header(plan);
    let models = models(plan)?;
    let mut files = Vec::new();
    // A rules file, then its tests beside it.
    let mut pair = |path: PathBuf, file: &RulesFile, tests: String| -> Result<(), RulesError> {
        let beside = tests_path(&path);
        let text = crate::render::rules::render::to_yaml(file, header)?;
        files.push(File::new(path, text));
        files.push(File::new(beside, tests));
        Ok(())
    };
    let common_file = common(plan, templates, true)?;
    let tests = common_tests(&models, &common_file)?;
    pair(PathBuf::from(COMMON_FILE), &common_file, tests)?;
    for model in models.iter().filter(|m| !m.running.is_empty()) {
        let file = environment(plan, model, templates, true)?;
        let path = environment_file(&model.env.name);
        let tests = environment_tests(model, &file, &path)?;
        pair(path, &file, tests)?;
    }
    Ok(files)
}

/// The alerts that watch a search job of an environment, each with what
/// it fires on: the failed one, and the "not completed" one of its cadence
/// (none for a suspended job).
pub fn alerts_for(
    plan: &Plan,
    templates: &Templates,
    env: &str,
    job: &SearchJob,
) -> Vec<(String, &'static str)> {
    let mut alerts = Vec::new();
    if let Ok(file) = common(plan, templates, false) {
        let meaning = "a Job of it failed, and it has not succeeded since";
        alerts.extend(file.rules.into_iter().map(|r| (r.alert, meaning)));
    }
    let model = plan
        .search
        .as_ref()
        .and_then(|s| s.environments.iter().find(|e| e.name == env))
        .and_then(|e| build(plan, e).ok());
    if let Some(model) = model {
        if let Ok(file) = environment(plan, &model, templates, false) {
            let name = job.cronjob_name();
            let meaning = "no run has succeeded within the gap between runs plus the grace \
                           (alerts.not_completed.grace)";
            alerts.extend(file.rules.into_iter().filter_map(|r| match r.what {
                What::Stale(i) if model.stale[i].instances.covers(&name) => {
                    Some((r.alert, meaning))
                }
                _ => None,
            }));
        }
    }
    alerts
}

// The tests.

/// The namespace GOV.UK runs the chart in; the tests tell scenarios apart
/// by namespace, which the alerts carry.
const NAMESPACE: &str = "apps";
/// Runs are simulated from this long before the epoch.
const HISTORY: i64 = 35 * DAY;
/// Missed runs are the first after this.
const MISS_AFTER: i64 = DAY;
/// At most this many kinds of run are dropped per alert.
const KINDS_PER_ALERT: usize = 7;

/// The name of a Job the CronJob controller makes for a run at `t`.
fn job_name(cronjob: &str, t: i64) -> String {
    format!("{cronjob}-{}", t.div_euclid(60).max(0))
}

fn labels_of(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// No alert in a namespace in (from, to].
fn quiet(g: &mut Group, comment: String, namespace: &str, from: i64, to: i64) {
    g.quiet_where(
        comment,
        &format!("namespace={}", quote(namespace)),
        from,
        to,
    );
}

/// A Job of a CronJob: its start time from `start`, failed from `failed`
/// (if it fails), and its owner.
fn job_series(
    g: &mut Group,
    what: &str,
    namespace: &str,
    cronjob: &str,
    start: i64,
    failed: Option<i64>,
) -> Labels {
    let job = job_name(cronjob, start);
    let id = labels_of(&[("namespace", namespace), ("job_name", &job)]);
    let mut reason = id.clone();
    reason.insert("reason".into(), "BackoffLimitExceeded".into());
    let mut owner = id.clone();
    for (k, v) in [
        ("owner_kind", "CronJob"),
        ("owner_name", cronjob),
        ("owner_is_controller", "true"),
    ] {
        owner.insert(k.into(), v.into());
    }
    let exists = |t: i64| t >= start;
    let series = [
        (STARTED, id, g.values(|t| exists(t).then_some(start))),
        (
            FAILED,
            reason,
            g.values(|t| exists(t).then_some(i64::from(failed.is_some_and(|f| t >= f)))),
        ),
        (OWNER, owner, g.values(|t| exists(t).then_some(1))),
    ];
    for (metric, labels, values) in series {
        g.series.push(Series {
            comment: what.to_owned(),
            metric,
            labels,
            values: expanding(&values),
        });
    }
    let mut alert = labels_of(&[("namespace", namespace), ("job_name", &job)]);
    alert.insert("owner_name".into(), cronjob.into());
    alert
}

fn success_series(g: &mut Group, what: &str, namespace: &str, cronjob: &str, values: &Values) {
    g.series.push(Series {
        comment: what.to_owned(),
        metric: SUCCEEDED,
        labels: labels_of(&[("namespace", namespace), ("cronjob", cronjob)]),
        values: expanding(values),
    });
}

/// Per environment: a run that succeeds, a failed run (told at once, then
/// cleared by the next success), a failure before the last success, a
/// failure of a CronJob that never succeeded, and one of another chart.
fn common_tests(models: &[SearchModel], file: &RulesFile) -> Result<String, RulesError> {
    let mut groups = Vec::new();
    for model in models {
        let env = model.env.name.as_str();
        let expect = Expect::new(file, env);
        let cronjob = model
            .env
            .jobs
            .first()
            .map(SearchJob::cronjob_name)
            .unwrap_or_else(|| format!("{CHART}-test-snapshot"));
        let mut g = Group::new(format!("{env}: failed jobs"), env, DAY);
        let span = g.span;
        let (run, next) = (3_600, 9 * 3_600);

        let ns = format!("{NAMESPACE}-ok");
        job_series(&mut g, "a run that succeeds", &ns, &cronjob, run, None);
        let ok = g.values(|t| Some(if t >= run + 60 { run + 60 } else { run - DAY }));
        success_series(&mut g, "its last success", &ns, &cronjob, &ok);
        quiet(&mut g, "a run that succeeds: no alert".into(), &ns, 0, span);

        let ns = format!("{NAMESPACE}-failed");
        let what = format!("a run at {} that fails a step later", when(run));
        let failed = job_series(&mut g, &what, &ns, &cronjob, run, Some(run + STEP));
        job_series(&mut g, "the next run succeeds", &ns, &cronjob, next, None);
        let success = g.values(|t| Some(if t >= next + 60 { next + 60 } else { run - DAY }));
        success_series(
            &mut g,
            "the day before, then the next run",
            &ns,
            &cronjob,
            &success,
        );
        let at = run + STEP;
        quiet(
            &mut g,
            format!("{what}: no alert before"),
            &ns,
            0,
            at - STEP,
        );
        let cleared = (next + 60).div_euclid(STEP) * STEP + STEP;
        quiet(
            &mut g,
            format!("{what}: cleared by the next success"),
            &ns,
            cleared,
            span,
        );

        let ns = format!("{NAMESPACE}-old-failure");
        let what = "a Job that failed the day before, kept by the history limit";
        job_series(&mut g, what, &ns, &cronjob, -DAY, Some(-DAY));
        let later = g.values(|_| Some(-DAY + 3_600));
        success_series(&mut g, "a success after it", &ns, &cronjob, &later);
        quiet(&mut g, format!("{what}: no alert"), &ns, 0, span);

        let ns = format!("{NAMESPACE}-never-succeeded");
        let what = "a CronJob that never succeeded fails its first run";
        let never = job_series(&mut g, what, &ns, &cronjob, run, Some(run + STEP));
        g.alert_tests.push(AlertTest {
            comment: format!(
                "the runs that failed since their last success, at {}",
                when(at)
            ),
            eval: at,
            alertname: file.rules[0].alert.clone(),
            alerts: vec![expect.alert(0, &failed)?, expect.alert(0, &never)?],
        });

        let ns = format!("{NAMESPACE}-other-chart");
        let other = "db-backup-some-database";
        job_series(
            &mut g,
            "another chart's job fails",
            &ns,
            other,
            run,
            Some(run),
        );
        quiet(&mut g, "another chart's job: no alert".into(), &ns, 0, span);
        groups.push(g);
    }
    write(COMMON_FILE, &groups)
}

/// A "not completed" scenario: its namespace, what it shows, its last
/// success at each step, and the run it misses (with how long the others
/// take), if any.
struct Scenario {
    namespace: String,
    what: String,
    cronjob: String,
    values: Values,
    missed: Option<(i64, i64)>,
}

/// Per "not completed" alert, its first CronJob: runs that succeed
/// quickly, or slowly (a minute short of their duration), raise nothing;
/// each kind of run (by day and the gap before it) missed in turn, the
/// others slow, is told when the model says and cleared by a rerun.
fn environment_tests(
    model: &SearchModel,
    file: &RulesFile,
    path: &Path,
) -> Result<String, RulesError> {
    let env = model.env.name.as_str();
    let expect = Expect::new(file, env);
    let weekly = model
        .stale
        .iter()
        .all(|s| s.cadence.calendar == Calendar::Week);
    let span = if weekly { 14 * DAY } else { 10 * WEEK };
    let mut g = Group::new(format!("{env}: runs"), env, span);
    let span = g.span;
    let mut scenarios = Vec::new();
    for (si, stale) in model.stale.iter().enumerate() {
        let Some((job, schedule)) = model
            .running
            .iter()
            .find(|(j, _)| stale.instances.covers(&j.cronjob_name()))
        else {
            continue;
        };
        let cronjob = job.cronjob_name();
        let budget = i64::try_from(job.duration).unwrap_or(i64::MAX);
        let fires = cadence::fires(&[schedule], -HISTORY, g.span);
        let ends = |took: i64, skip: Option<i64>| -> Vec<i64> {
            fires
                .iter()
                .filter(|&&f| Some(f) != skip)
                .map(|f| f + took)
                .collect()
        };
        let slow = (budget - 60).max(60);
        for (how, took) in [("quick", 60), ("slow", slow)] {
            scenarios.push(Scenario {
                namespace: format!("{NAMESPACE}-{si}-{how}"),
                what: format!("{cronjob}: every run succeeds, {how}"),
                cronjob: cronjob.clone(),
                values: success_at(&g, &ends(took, None)),
                missed: None,
            });
        }
        let mut kinds = Vec::new();
        for w in fires.windows(2) {
            let (before, at) = (w[0], w[1]);
            let kind = (cadence::civil(at).dow, at - before);
            if at < MISS_AFTER || at + budget + stale.cadence.grace + 2 * STEP >= g.span {
                continue;
            }
            if kinds.contains(&kind) || kinds.len() >= KINDS_PER_ALERT {
                continue;
            }
            kinds.push(kind);
            scenarios.push(Scenario {
                namespace: format!("{NAMESPACE}-{si}-missed-{}", kinds.len()),
                what: format!(
                    "{cronjob}: the run at {} is missed, the others slow",
                    when(at)
                ),
                cronjob: cronjob.clone(),
                values: success_at(&g, &ends(slow, Some(at))),
                missed: Some((at, slow)),
            });
        }
    }
    let mut first_fire: BTreeMap<usize, i64> = BTreeMap::new();
    let mut played: Vec<(Labels, Values)> = Vec::new();
    for mut s in scenarios {
        let watching: Vec<usize> = (0..file.rules.len())
            .filter(|&ri| {
                matches!(file.rules[ri].what, What::Stale(si) if model.stale[si].instances.covers(&s.cronjob))
            })
            .collect();
        let stale_at = |values: &Values, t: i64, ri: usize| match file.rules[ri].what {
            What::Stale(si) => {
                values[(t / STEP) as usize].is_some_and(|v| model.stale[si].cadence.fires(t, t - v))
            }
            _ => false,
        };
        let fired = g.grid().find_map(|t| {
            watching
                .iter()
                .find(|&&ri| stale_at(&s.values, t, ri))
                .map(|&ri| (ri, t))
        });
        let labels = labels_of(&[("namespace", &s.namespace), ("cronjob", &s.cronjob)]);
        match (fired, s.missed) {
            (Some((ri, at)), Some((fire, took))) => {
                s.what.push_str(&format!(
                    "; the alert fires {} after its due finish; rerun at {}",
                    duration(at - fire - took),
                    when(at + STEP)
                ));
                quiet(
                    &mut g,
                    format!("{}: no alert before", s.what),
                    &s.namespace,
                    0,
                    at - STEP,
                );
                g.promql_tests.push(PromqlTest {
                    comment: format!("{}: {} fires at {}", s.what, file.rules[ri].alert, when(at)),
                    expr: format!(
                        "ALERTS{{alertstate=\"firing\", namespace={}}}",
                        quote(&s.namespace)
                    ),
                    eval: at,
                    samples: vec![alerts_series(file, ri, &labels)],
                });
                rerun(&g, &mut s.values, at + STEP);
                quiet(
                    &mut g,
                    format!("{}: no alert after the rerun", s.what),
                    &s.namespace,
                    at + STEP,
                    span,
                );
                first_fire.entry(ri).or_insert(at);
            }
            // Healthy runs raise nothing, whatever the model says: promtool
            // is the judge.
            _ => quiet(
                &mut g,
                format!("{}: no alert", s.what),
                &s.namespace,
                0,
                span,
            ),
        }
        success_series(&mut g, &s.what, &s.namespace, &s.cronjob, &s.values);
        played.push((labels, s.values));
    }
    exact_stale_alerts(
        &model.stale,
        "cronjob",
        file,
        &expect,
        &mut g,
        &played,
        &first_fire,
    )?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    write(&name, &[g])
}

/// The `ALERTS` series of a firing alert.
fn alerts_series(file: &RulesFile, rule: usize, series: &Labels) -> Labels {
    let r = &file.rules[rule];
    let mut labels = series.clone();
    labels.extend(r.labels.iter().cloned());
    labels.retain(|_, v| !v.is_empty());
    labels.insert("__name__".to_owned(), "ALERTS".to_owned());
    labels.insert("alertname".to_owned(), r.alert.clone());
    labels.insert("alertstate".to_owned(), "firing".to_owned());
    labels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::catalogue;

    fn fixture() -> Plan {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/govuk/catalogue.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        catalogue::load(&path, &text).unwrap()
    }

    /// Every missed run of the fixture's search jobs is told within the
    /// grace of its due finish (and a step), and never before it: the
    /// database rules' model, on the search jobs' schedules.
    #[test]
    fn missed_runs_are_told_within_the_grace() {
        let plan = fixture();
        let models = models(&plan).unwrap();
        assert!(models.iter().any(|m| !m.stale.is_empty()));
        for model in &models {
            for (job, schedule) in &model.running {
                let stale = model
                    .stale
                    .iter()
                    .find(|s| s.instances.covers(&job.cronjob_name()))
                    .unwrap();
                let c = &stale.cadence;
                let budget = job.duration as i64;
                let fires = cadence::fires(&[schedule], -HISTORY, 4 * WEEK);
                for w in fires.windows(2).filter(|w| w[1] > 0 && w[1] < 2 * WEEK) {
                    let (before, at) = (w[0], w[1]);
                    let ends: Vec<i64> = fires
                        .iter()
                        .filter(|&&f| f != at)
                        .map(|f| f + budget)
                        .collect();
                    let first =
                        cadence::first_firing(|t| c.threshold_at(t), &ends, before, 4 * WEEK)
                            .unwrap();
                    assert!(first > at + budget, "{}: {}", job.name, when(at));
                    assert!(
                        first <= at + budget + c.grace + 1,
                        "{}: run at {} told at {}",
                        job.name,
                        when(at),
                        when(first)
                    );
                }
            }
        }
    }

    /// A suspended job is watched by no "not completed" alert, and the
    /// failed alert matches the chart's CronJobs by name.
    #[test]
    fn suspended_jobs_have_no_cadence() {
        let mut plan = fixture();
        let search = plan.search.as_mut().unwrap();
        let staging = search
            .environments
            .iter_mut()
            .find(|e| e.name == "staging")
            .unwrap();
        for job in &mut staging.jobs {
            job.suspend = Some(true);
        }
        let models = models(&plan).unwrap();
        let staging = models.iter().find(|m| m.env.name == "staging").unwrap();
        assert!(staging.running.is_empty() && staging.stale.is_empty());
        let expr = failed_expr().join("\n");
        assert!(expr.contains("owner_name=~\"search-index-env-sync-.+\""));
    }
}
