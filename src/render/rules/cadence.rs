//! Cadences: how often a database's runs succeed, when a "not completed"
//! alert may check it, and with which threshold, all derived from fire times.
//!
//! The model. A run fires at `f` and its operations finish a little later.
//! Runs of a job take about the same time each cycle, so the newest success
//! is never older than the gap between two fire times plus the time the
//! current run has been going; the alert threshold is that gap plus a grace
//! (`alerts.not_completed.grace`: 1 hour for runs a day apart, giving 25h,
//! 12 hours for runs a week apart). A run is assumed to have finished `a`
//! after it fired, where `a` is the smaller of the job's expected duration
//! (the sum of its operations' "taking a long time" thresholds) and the
//! grace: a run slower than the grace would trip the alert whatever the
//! window, which is the trade the threshold makes.
//!
//! A day of the week may be in the check window only if at every instant of
//! it the newest run that must have finished (the newest `f` with
//! `f + a <= t`) fired less than the threshold ago: then the newest success,
//! which came after that `f`, is younger than the threshold and the alert
//! cannot fire while runs are on time.
//!
//! Of the thresholds that the gaps offer (each distinct gap plus its grace),
//! the tightest whose window is not empty is used; the largest gap always
//! gives a window of every day. This gives GOV.UK's hand-written rules:
//! daily runs 25h every day, weekly runs 1 week + 12 hours every day,
//! Monday-to-Friday runs at 01:xx 25h from Tuesday to Friday, Sunday-to-
//! Thursday runs at 22:xx 25h from Monday to Thursday.

use crate::cron::{DAY_NAMES, Schedule};
use crate::model::alerts::{NotCompleted, join_words};
use jiff::Timestamp;

pub(crate) const DAY: i64 = 86_400;
pub(crate) const WEEK: i64 = 7 * DAY;

/// A Monday at 00:00 UTC three weeks after the epoch: the week whose days
/// are judged, with enough fire history before it.
const REFERENCE_MONDAY: i64 = 25 * DAY;

/// The day of the week (0 is Sunday) of a Unix time, as `day_of_week()`.
pub(crate) fn day_of_week(t: i64) -> usize {
    // 1970-01-01 was a Thursday.
    ((t.div_euclid(DAY) + 4) % 7) as usize
}

/// What a series' runs look like: their fire times and how long a run may
/// take.
pub(crate) struct Runs<'a> {
    pub schedules: Vec<&'a Schedule>,
    /// The longest expected duration of the jobs behind it, in seconds.
    pub budget: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// Several runs a day.
    SubDaily,
    Daily,
    Weekday,
    Weekly,
    /// Some days of the week.
    Days,
    /// Not a weekly pattern (day of month, month, `@every`).
    Irregular,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SubDaily => "subdaily",
            Kind::Daily => "daily",
            Kind::Weekday => "weekday",
            Kind::Weekly => "weekly",
            Kind::Days => "days",
            Kind::Irregular => "irregular",
        }
    }
}

/// A derived cadence: what the "not completed" alert of a database checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cadence {
    pub name: String,
    pub kind: Kind,
    /// Days (by `day_of_week()`) on which runs fire.
    pub fire_days: [bool; 7],
    /// The gap between runs that the threshold allows for, in seconds.
    pub gap: i64,
    /// The alert threshold in seconds.
    pub threshold: i64,
    /// Days (by `day_of_week()`) on which the alert checks.
    pub window: [bool; 7],
}

/// Why no cadence could be derived.
#[derive(Clone, Debug)]
pub(crate) struct CadenceError(pub String);

/// Fire times of `schedules` in (after, until], merged and ascending.
pub(crate) fn fires(schedules: &[&Schedule], after: i64, until: i64) -> Vec<i64> {
    let (Ok(a), Ok(u)) = (Timestamp::from_second(after), Timestamp::from_second(until)) else {
        return Vec::new();
    };
    let mut out: Vec<i64> = schedules
        .iter()
        .flat_map(|s| s.fires(a, u))
        .map(|t| t.as_second())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Fire times over several years for a schedule that is not weekly, at most
/// `cap` of them.
fn long_fires(schedules: &[&Schedule], cap: usize) -> Vec<i64> {
    let mut out = Vec::new();
    let end = 6 * 366 * DAY;
    for s in schedules {
        let mut t = Timestamp::UNIX_EPOCH;
        let mut n = 0;
        while let Some(next) = s.next_after(t) {
            if next.as_second() > end || n >= cap {
                break;
            }
            out.push(next.as_second());
            t = next;
            n += 1;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn gaps(fires: &[i64]) -> Vec<i64> {
    fires.windows(2).map(|w| w[1] - w[0]).collect()
}

/// The greatest `f` with `f + a < x` (or `<=` when `inclusive`).
fn newest_finished(fires: &[i64], a: i64, x: i64, inclusive: bool) -> Option<i64> {
    let n = fires.partition_point(|&f| if inclusive { f + a <= x } else { f + a < x });
    n.checked_sub(1).map(|i| fires[i])
}

/// Whether the day [d0, d0 + DAY) can be checked with `threshold`: the
/// supremum over the day of `t - f(t)` is at most the threshold.
fn day_ok(fires: &[i64], a: i64, threshold: i64, d0: i64) -> bool {
    let d1 = d0 + DAY;
    let Some(at_end) = newest_finished(fires, a, d1, false) else {
        return false;
    };
    if d1 - at_end > threshold {
        return false;
    }
    // Just before each run becomes "must have finished" inside the day, the
    // run before it is the newest one.
    for (i, &f) in fires.iter().enumerate() {
        let b = f + a;
        if b <= d0 || b >= d1 {
            continue;
        }
        match i.checked_sub(1).map(|j| fires[j]) {
            Some(prev) if b - prev <= threshold => {}
            _ => return false,
        }
    }
    true
}

/// The days of the reference week that `threshold` can check.
fn window(fires: &[i64], a: i64, threshold: i64) -> [bool; 7] {
    let mut days = [false; 7];
    for k in 0..7 {
        let d0 = REFERENCE_MONDAY + k * DAY;
        days[day_of_week(d0)] = day_ok(fires, a, threshold, d0);
    }
    days
}

/// Derives the cadence of a database from the runs of its series.
pub(crate) fn derive(
    series: &[Runs<'_>],
    settings: &NotCompleted,
) -> Result<Cadence, CadenceError> {
    let weekly = series
        .iter()
        .all(|r| r.schedules.iter().all(|s| s.weekdays().is_some()));
    let grace = |gap: i64| settings.grace_for(gap.max(0) as u64) as i64;

    if !weekly {
        // No day-of-week pattern: check every day, against the longest gap.
        let mut longest = 0;
        let mut all = Vec::new();
        for r in series {
            let f = long_fires(&r.schedules, 200_000);
            if f.is_empty() {
                return Err(CadenceError("it never runs".into()));
            }
            if f.len() < 2 {
                return Err(CadenceError(
                    "it runs only once in six years, so no threshold can tell a missed run".into(),
                ));
            }
            longest = longest.max(gaps(&f).into_iter().max().unwrap_or(0));
            all.extend(f);
        }
        all.sort_unstable();
        all.dedup();
        let mut fire_days = [false; 7];
        for &f in &all {
            fire_days[day_of_week(f)] = true;
        }
        let kind = Kind::Irregular;
        return Ok(Cadence {
            name: irregular_name(longest),
            kind,
            fire_days,
            gap: longest,
            threshold: longest + grace(longest),
            window: [true; 7],
        });
    }

    let after = REFERENCE_MONDAY - 3 * WEEK;
    let until = REFERENCE_MONDAY + 2 * WEEK;
    let mut per_series = Vec::new();
    let mut candidates = Vec::new();
    let mut fire_days = [false; 7];
    let mut union = Vec::new();
    for r in series {
        let f = fires(&r.schedules, after, until);
        if f.is_empty() {
            return Err(CadenceError("it never runs".into()));
        }
        let g = gaps(&f);
        let shortest = g.iter().copied().min().unwrap_or(WEEK);
        if r.budget >= shortest {
            return Err(CadenceError(format!(
                "its operations may take up to {} but it runs every {}: with concurrencyPolicy Forbid runs would be skipped",
                words(r.budget),
                words(shortest)
            )));
        }
        candidates.extend(g);
        for &t in &f {
            if (REFERENCE_MONDAY..REFERENCE_MONDAY + WEEK).contains(&t) {
                fire_days[day_of_week(t)] = true;
            }
        }
        union.extend(f.iter().copied());
        per_series.push((f, r.budget));
    }
    candidates.sort_unstable();
    candidates.dedup();
    union.sort_unstable();
    union.dedup();
    for &gap in &candidates {
        let threshold = gap + grace(gap);
        let mut days = [true; 7];
        for (f, budget) in &per_series {
            let a = (*budget).min(grace(gap));
            let w = window(f, a, threshold);
            for (d, ok) in days.iter_mut().zip(w) {
                *d &= ok;
            }
        }
        if days.iter().any(|&d| d) {
            let (name, kind) = weekly_name(&union, &fire_days);
            return Ok(Cadence {
                name,
                kind,
                fire_days,
                gap,
                threshold,
                window: days,
            });
        }
    }
    Err(CadenceError(
        "no check window can cover its runs without false alarms".into(),
    ))
}

/// "25 hours", "1 week and 12 hours".
pub(crate) fn words(seconds: i64) -> String {
    crate::model::alerts::Duration(seconds.max(0) as u64).words()
}

fn irregular_name(longest: i64) -> String {
    if longest >= 365 * DAY {
        "Yearly".into()
    } else if longest >= 28 * DAY {
        "Monthly".into()
    } else {
        "Irregular".into()
    }
}

fn weekly_name(fires: &[i64], days: &[bool; 7]) -> (String, Kind) {
    let week: Vec<i64> = fires
        .iter()
        .copied()
        .filter(|t| (REFERENCE_MONDAY..REFERENCE_MONDAY + WEEK).contains(t))
        .collect();
    let count = days.iter().filter(|&&d| d).count();
    if week.len() > count {
        let g = gaps(fires);
        let regular = g.windows(2).all(|w| w[0] == w[1]);
        let name = match g.first() {
            Some(&gap) if regular && gap == 3_600 => "Hourly".to_owned(),
            Some(&gap) if regular => format!("Every {}", words(gap)),
            _ => format!("Several times a day, {}", day_list(days).to_lowercase()),
        };
        return (name, Kind::SubDaily);
    }
    match count {
        7 => ("Daily".into(), Kind::Daily),
        1 => ("Weekly".into(), Kind::Weekly),
        _ if *days == [false, true, true, true, true, true, false] => {
            ("Weekday".into(), Kind::Weekday)
        }
        _ => (day_list(days), Kind::Days),
    }
}

/// Names a set of days: "Sunday to Thursday" for a run of three or more
/// (wrapping round the week), otherwise "Monday, Wednesday and Friday".
pub(crate) fn day_list(days: &[bool; 7]) -> String {
    let runs = day_runs(days);
    let parts: Vec<String> = runs
        .iter()
        .flat_map(|&(start, len)| {
            if len >= 3 {
                vec![format!(
                    "{} to {}",
                    DAY_NAMES[start],
                    DAY_NAMES[(start + len - 1) % 7]
                )]
            } else {
                (0..len)
                    .map(|k| DAY_NAMES[(start + k) % 7].to_owned())
                    .collect()
            }
        })
        .collect();
    if parts.is_empty() {
        return "no day".into();
    }
    join_words(&parts, " and ")
}

/// Maximal runs of consecutive days as (first day, length), wrapping round
/// the week, starting from Monday where possible.
pub(crate) fn day_runs(days: &[bool; 7]) -> Vec<(usize, usize)> {
    if days.iter().all(|&d| d) {
        return vec![(1, 7)];
    }
    // Start scanning just after a day that is off, so no run is split.
    let off = (0..7).map(|k| (1 + k) % 7).find(|&d| !days[d]).unwrap_or(0);
    let mut runs = Vec::new();
    let mut k = 1;
    while k <= 7 {
        let d = (off + k) % 7;
        if days[d] {
            let start = d;
            let mut len = 0;
            while k <= 7 && days[(off + k) % 7] {
                len += 1;
                k += 1;
            }
            runs.push((start, len));
        } else {
            k += 1;
        }
    }
    // Weeks read from Monday: order the runs by their first day, Monday first.
    runs.sort_by_key(|&(start, _)| (start + 6) % 7);
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cadence(schedules: &[&str], budget: i64) -> Cadence {
        let parsed: Vec<Schedule> = schedules
            .iter()
            .map(|s| Schedule::parse(s).unwrap())
            .collect();
        let runs = Runs {
            schedules: parsed.iter().collect(),
            budget,
        };
        derive(&[runs], &NotCompleted::default()).unwrap()
    }

    fn days(list: &[usize]) -> [bool; 7] {
        let mut d = [false; 7];
        for &i in list {
            d[i] = true;
        }
        d
    }

    #[test]
    fn govuk_cadences() {
        let c = cadence(&["3 3 * * *"], 3_600);
        assert_eq!(
            (c.name.as_str(), c.threshold, c.window),
            ("Daily", 90_000, [true; 7])
        );
        let c = cadence(&["43 1 * * 0"], 5 * 3_600);
        assert_eq!(
            (c.name.as_str(), c.threshold, c.window),
            ("Weekly", 648_000, [true; 7])
        );
        let c = cadence(&["35 1 * * 6"], 17 * 3_600);
        assert_eq!(
            (c.name.as_str(), c.threshold, c.window),
            ("Weekly", 648_000, [true; 7])
        );
        let c = cadence(&["23 1 * * 1-5"], 2 * 3_600);
        assert_eq!(
            (c.name.as_str(), c.threshold, c.window),
            ("Weekday", 90_000, days(&[2, 3, 4, 5]))
        );
        let c = cadence(&["16 22 * * 0-4"], 9_900);
        assert_eq!(
            (c.name.as_str(), c.threshold, c.window),
            ("Sunday to Thursday", 90_000, days(&[1, 2, 3, 4]))
        );
        // Publishing API's backup in production may take 4 hours.
        let c = cadence(&["36 21 * * *"], 4 * 3_600);
        assert_eq!((c.threshold, c.window), (90_000, [true; 7]));
    }

    #[test]
    fn other_cadences() {
        let c = cadence(&["0 1 * * 1,3,5"], 3_600);
        assert_eq!(c.name, "Monday, Wednesday and Friday");
        assert_eq!(c.threshold, 2 * DAY + 3_600);
        assert_eq!(c.window, days(&[2, 3, 4, 5, 6]));
        // A weekday job late in the evening is checked a day later.
        let c = cadence(&["30 23 * * 1-5"], 3_600);
        assert_eq!(c.window, days(&[3, 4, 5, 6]));
        let c = cadence(&["0 */6 * * *"], 3_600);
        assert_eq!((c.name.as_str(), c.threshold), ("Every 6 hours", 7 * 3_600));
        let c = cadence(&["0 0 1 * *"], 3_600);
        assert_eq!((c.name.as_str(), c.window), ("Monthly", [true; 7]));
        assert_eq!(c.threshold, 31 * DAY + 12 * 3_600);
    }

    #[test]
    fn impossible_cadences() {
        let s = Schedule::parse("0 0 30 2 *").unwrap();
        let r = Runs {
            schedules: vec![&s],
            budget: 60,
        };
        assert!(derive(&[r], &NotCompleted::default()).is_err());
        let s = Schedule::parse("*/30 * * * *").unwrap();
        let r = Runs {
            schedules: vec![&s],
            budget: 3_600,
        };
        assert!(derive(&[r], &NotCompleted::default()).is_err());
    }

    #[test]
    fn day_lists() {
        assert_eq!(day_list(&days(&[0, 1, 2, 3, 4])), "Sunday to Thursday");
        assert_eq!(day_list(&days(&[1, 2, 3, 4, 5])), "Monday to Friday");
        assert_eq!(day_list(&days(&[5, 6, 0, 1])), "Friday to Monday");
        assert_eq!(day_list(&days(&[1, 4])), "Monday and Thursday");
        assert_eq!(day_runs(&days(&[5, 6, 0, 1])), vec![(5, 4)]);
        assert_eq!(day_runs(&days(&[0, 2, 3])), vec![(2, 2), (0, 1)]);
    }
}
