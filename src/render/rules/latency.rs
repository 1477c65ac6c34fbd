//! How promptly the "not completed" alerts tell a missed run, and that
//! healthy runs raise none, measured on the derived alerts: for the GOV.UK
//! catalogue and a set of schedule shapes, every run of four weeks (a year
//! for schedules that are not weekly) is dropped in turn, its neighbours
//! quick or slow, and healthy runs are timed four ways over the same span.
//! The alert's condition is evaluated exactly (at every change of the
//! newest success and of the checked hour), so the figures are what
//! Prometheus gives plus at most one evaluation interval. The generated
//! promtool tests check that the rendered PromQL does what this evaluates.
//!
//! The README's table is this test's output: the test fails when they
//! differ.

use super::cadence::{self, Cadence, DAY, HOUR, Runs, WEEK, words};
use super::model;
use crate::cron::Schedule;
use crate::model::alerts::NotCompleted;

/// 1970-02-02, a Monday five weeks after the epoch.
const START: i64 = 32 * DAY;
const YEAR: i64 = 365 * DAY;

fn first_firing(c: &Cadence, ends: &[i64], from: i64, until: i64) -> Option<i64> {
    cadence::first_firing(|t| c.threshold_at(t), ends, from, until)
}

/// Hours in [from, until) in which the alert fires.
fn alarms(c: &Cadence, ends: &[i64], from: i64, until: i64) -> usize {
    let mut count = 0;
    let mut t = from;
    while let Some(fire) = first_firing(c, ends, t, until) {
        count += 1;
        t = (fire.div_euclid(HOUR) + 1) * HOUR;
    }
    count
}

/// What was measured for one schedule.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    /// The longest time from a missed run's due finish to the alert.
    latency: i64,
    /// The most by which that exceeds the run's grace (0 or less: in time).
    over_grace: i64,
    /// Alerts before a missed run's due finish.
    early: usize,
    /// Hours with an alert while every run succeeds.
    false_alarms: usize,
    missed: usize,
}

impl Figures {
    fn worst(self, other: Figures) -> Figures {
        Figures {
            latency: self.latency.max(other.latency),
            over_grace: self.over_grace.max(other.over_grace),
            early: self.early + other.early,
            false_alarms: self.false_alarms + other.false_alarms,
            missed: self.missed + other.missed,
        }
    }
}

fn measure(c: &Cadence, schedule: &Schedule, budget: i64, settings: &NotCompleted) -> Figures {
    let span = if schedule.weekdays().is_some() {
        4 * WEEK
    } else {
        YEAR
    };
    let fires = cadence::fires(&[schedule], START - 10 * WEEK, START + span + 10 * WEEK);
    let quick = 60;
    let slow = budget - 60;
    let jitter = budget.min(c.grace);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = |d: i64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let step = (seed % (2 * jitter as u64 + 1)) as i64 - jitter;
        (d + step).clamp(quick, slow)
    };
    let mut d = slow;
    let wandering: Vec<i64> = fires
        .iter()
        .map(|_| {
            d = random(d);
            d
        })
        .collect();
    let healthy: [Vec<i64>; 4] = [
        fires.iter().map(|f| f + quick).collect(),
        fires.iter().map(|f| f + slow).collect(),
        fires
            .iter()
            .enumerate()
            .map(|(k, f)| {
                f + if k % 2 == 0 {
                    slow
                } else {
                    (slow - jitter).max(quick)
                }
            })
            .collect(),
        fires.iter().zip(&wandering).map(|(f, d)| f + d).collect(),
    ];
    let mut figures = Figures::default();
    for ends in &healthy {
        figures.false_alarms += alarms(c, ends, START, START + span);
    }
    for (k, &s) in fires.iter().enumerate() {
        if !(START..START + span).contains(&s) {
            continue;
        }
        let gap = s - fires[k - 1];
        let grace = settings.grace_for(gap as u64) as i64;
        for duration in [quick, slow] {
            let ends: Vec<i64> = fires
                .iter()
                .filter(|&&f| f != s)
                .map(|f| f + duration)
                .collect();
            let due = s + duration;
            figures.missed += 1;
            match first_firing(c, &ends, s, s + 10 * WEEK) {
                Some(fire) => {
                    if fire <= due {
                        figures.early += 1;
                    }
                    figures.latency = figures.latency.max(fire - due);
                    figures.over_grace = figures.over_grace.max(fire - due - grace);
                }
                None => figures.over_grace = i64::MAX,
            }
        }
    }
    figures
}

/// "1h", "12h", "0".
fn short(seconds: i64) -> String {
    if seconds == i64::MAX {
        return "never".into();
    }
    let (h, m) = (seconds / HOUR, seconds % HOUR / 60);
    match (h, m) {
        (0, 0) => format!("{seconds}s"),
        (h, 0) => format!("{h}h"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m}m"),
    }
}

fn row(what: &str, alert: &str, f: Figures) -> String {
    format!(
        "| {what} | {alert} | {} | {} | {} |",
        short(f.latency),
        f.missed,
        f.false_alarms
    )
}

/// The shapes the README's table lists, each a restore then a backup (2
/// hours at most).
const SHAPES: &[(&str, &str)] = &[
    ("every 6 hours", "0 */6 * * *"),
    ("daily", "0 3 * * *"),
    ("weekdays", "0 1 * * 1-5"),
    ("Sunday to Thursday", "6 22 * * 0-4"),
    ("Monday, Wednesday, Friday", "0 1 * * 1,3,5"),
    ("weekly", "0 3 * * 1"),
    ("monthly", "0 3 1 * *"),
    ("1st and 15th", "0 3 1,15 * *"),
    ("the 1st or Mondays", "0 3 1 * 1"),
];

fn table() -> Vec<String> {
    let settings = NotCompleted::default();
    let mut rows = vec![
        "| schedule | alert | longest from due finish to alert | missed runs tried | false alarms |".to_owned(),
        "|---|---|---|---|---|".to_owned(),
    ];
    // The GOV.UK catalogue: every running job of every alert.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/govuk/catalogue.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let plan = crate::read::catalogue::load(&path, &text).unwrap();
    for env in &plan.environments {
        let m = model::build(&plan, env).unwrap();
        for stale in &m.stale {
            let mut f = Figures::default();
            for r in m
                .running
                .iter()
                .filter(|r| stale.instances.covers(r.job.host()))
            {
                let c = &m.cadences[r.job.host()];
                f = f.worst(measure(
                    c,
                    &r.schedule,
                    r.budget,
                    &plan.alerts.not_completed,
                ));
            }
            check(&stale.name, f);
            rows.push(row(&format!("GOV.UK {}", env.name), &stale.name, f));
        }
    }
    for (name, text) in SHAPES {
        let schedule = Schedule::parse(text).unwrap();
        let runs = Runs {
            schedules: vec![&schedule],
            budget: 2 * HOUR,
        };
        let c = cadence::derive(&[runs], &settings).unwrap();
        let f = measure(&c, &schedule, 2 * HOUR, &settings);
        check(name, f);
        rows.push(row(&format!("{name} (`{text}`)"), &c.name, f));
    }
    rows
}

/// Every missed run is told within its grace of its due finish (the
/// alert's `<` makes that the second after) and not before it; healthy runs
/// raise nothing.
fn check(what: &str, f: Figures) {
    assert!(f.missed > 0, "{what}: no missed run tried");
    assert!(
        f.over_grace <= 1,
        "{what}: a missed run is told {} after its grace",
        words(f.over_grace)
    );
    assert_eq!(f.early, 0, "{what}: alerts before a missed run was due");
    assert_eq!(f.false_alarms, 0, "{what}: false alarms");
}

#[test]
fn missed_runs_alert_within_the_grace_and_healthy_runs_never() {
    let rows = table();
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let table = rows.join("\n");
    assert!(
        readme.contains(&table),
        "the README's latency table should read:\n{table}"
    );
}

/// The measurement can fail: GOV.UK's Sunday-to-Thursday alert before
/// this change (Monday to Thursday, 25 hours) misses Thursday's run.
#[test]
fn the_measurement_sees_the_old_blind_spot() {
    let schedule = Schedule::parse("6 22 * * 0-4").unwrap();
    let runs = Runs {
        schedules: vec![&schedule],
        budget: 2 * HOUR,
    };
    let settings = NotCompleted::default();
    let mut c = cadence::derive(&[runs], &settings).unwrap();
    let slots = (0..7 * 24)
        .map(|h| c.calendar.slot(START + h * HOUR))
        .filter(|s| (1..=4).contains(&s.dow.unwrap()))
        .collect();
    c.terms = vec![cadence::Term {
        threshold: 25 * HOUR,
        slots,
    }];
    c.thresholds = (0..c.calendar.len())
        .map(|i| (1..=4).contains(&(i / 24)).then_some(25 * HOUR))
        .collect();
    let f = measure(&c, &schedule, 2 * HOUR, &settings);
    assert!(f.over_grace > DAY, "{f:?}");
}
