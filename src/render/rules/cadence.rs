//! Cadences: when a database's runs are due, and what its "not completed"
//! alert checks at each moment, derived from the fire times in closed form
//! (per distinct set of schedules, over a reference week, or over six years
//! for schedules that are not weekly).
//!
//! The model. A run that fires at `s` succeeds within its expected duration
//! `A` (the sum of its operations' "taking a long time" thresholds), and a
//! run takes at most the grace longer than the run before it (runs of a job
//! take about the same time each cycle). The alert compares the age of the
//! newest success with a threshold that depends on the moment: it is
//! written as terms, each a threshold checked in some hours of the week (or
//! of the month), selected with `day_of_week()`, `day_of_month()` and
//! `hour()`.
//!
//! Two bounds fix the terms, hour by hour:
//!
//! - no false alarm: in an hour checked with threshold `X`, the newest
//!   success of healthy runs is never older than `X` (the supremum of that
//!   age is found at the ends of the pieces between fire times, finish
//!   times and hour boundaries);
//! - every missed run alerts by its due finish plus the grace: a run at `s`
//!   after a gap `g` that does not succeed leaves the success of the run
//!   before it, `g` older, so it is told by `s + d + grace` (`d` the run's
//!   duration, anywhere up to `A`) if every hour from `s + grace` to
//!   `s + A + grace` is checked with a threshold of at most `g + grace`.
//!
//! The thresholds are the gaps plus their graces. The tightest threshold
//! that covers whole days of the week is checked on those days (GOV.UK's
//! hand-written rules: daily runs 25h every day, weekly runs 1 week + 12h
//! every day, Monday-to-Friday runs at 01:xx 25h from Tuesday to Friday).
//! Each hour a missed run must be told in and that is not already covered
//! gets the tightest threshold that is safe in it, spread over the whole
//! day (or the hours of the day around it) where that threshold is safe.
//! An hour that no threshold can check without false alarms, while a
//! missed run must be told in it, makes the schedule an error.

use crate::cron::{DAY_NAMES, Schedule};
use crate::model::alerts::{Kept, NotCompleted, join_words};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) const HOUR: i64 = 3_600;
pub(crate) const DAY: i64 = 86_400;
pub(crate) const WEEK: i64 = 7 * DAY;

/// A Monday at 00:00 UTC three weeks after the epoch: the week whose hours
/// are judged, with enough fire history before it.
pub(crate) const REFERENCE_MONDAY: i64 = 25 * DAY;
/// Schedules that are not weekly are judged over 1971 to 1976 (two leap
/// years), with a year of history before and after.
const IRREGULAR_FROM: i64 = 365 * DAY;
const IRREGULAR_UNTIL: i64 = IRREGULAR_FROM + (6 * 365 + 2) * DAY;

/// The day of the week (0 is Sunday) of a Unix time, as `day_of_week()`.
pub(crate) fn day_of_week(t: i64) -> usize {
    // 1970-01-01 was a Thursday.
    ((t.div_euclid(DAY) + 4) % 7) as usize
}

/// The calendar fields of a Unix time (UTC), as PromQL's `day_of_month()`,
/// `day_of_week()`, `hour()` and `days_in_month()` give them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub dom: u8,
    pub dow: u8,
    pub hour: u8,
    pub minute: u8,
    pub days_in_month: u8,
}

pub(crate) fn civil(t: i64) -> Civil {
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let dom = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    Civil {
        dom: dom as u8,
        dow: day_of_week(t) as u8,
        hour: (secs / HOUR) as u8,
        minute: (secs % HOUR / 60) as u8,
        days_in_month,
    }
}

/// An hour of the calendar that a term checks: an hour of a day of the
/// week, of a day of the month, or of a day of the month that is a given
/// day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Slot {
    pub dom: Option<u8>,
    pub dow: Option<u8>,
    pub hour: u8,
}

/// A day: its day of the month and of the week, as far as the calendar
/// tells them apart.
pub(crate) type Day = (Option<u8>, Option<u8>);

impl Slot {
    /// The day the hour is in.
    pub fn day(self) -> Day {
        (self.dom, self.dow)
    }
}

/// Which calendar fields the slots of a cadence are told apart by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Calendar {
    /// `day_of_week()` and `hour()`.
    Week,
    /// `day_of_month()` and `hour()`.
    Month,
    /// `day_of_month()`, `day_of_week()` and `hour()`.
    MonthAndWeek,
}

/// Tables by slot: a calendar's slots are numbered in slot order, day by
/// day, 24 hours to a day.
impl Calendar {
    /// How many slots the calendar tells apart.
    pub fn len(self) -> usize {
        24 * match self {
            Calendar::Week => 7,
            Calendar::Month => 31,
            Calendar::MonthAndWeek => 31 * 7,
        }
    }

    /// The number of the slot a moment is in.
    pub fn index(self, t: i64) -> usize {
        let hour = (t.rem_euclid(DAY) / HOUR) as usize;
        let day = match self {
            Calendar::Week => day_of_week(t),
            Calendar::Month => usize::from(civil(t).dom) - 1,
            Calendar::MonthAndWeek => {
                let c = civil(t);
                (usize::from(c.dom) - 1) * 7 + usize::from(c.dow)
            }
        };
        day * 24 + hour
    }

    /// The slot of a number.
    pub fn slot_at(self, index: usize) -> Slot {
        let (day, hour) = ((index / 24) as u8, (index % 24) as u8);
        let (dom, dow) = match self {
            Calendar::Week => (None, Some(day)),
            Calendar::Month => (Some(day + 1), None),
            Calendar::MonthAndWeek => (Some(day / 7 + 1), Some(day % 7)),
        };
        Slot { dom, dow, hour }
    }

    /// The slot a moment is in.
    pub fn slot(self, t: i64) -> Slot {
        self.slot_at(self.index(t))
    }
}

/// One term of a "not completed" alert: the threshold it checks in its
/// slots.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Term {
    pub threshold: i64,
    /// In order.
    pub slots: Vec<Slot>,
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
    /// Hours of the day at which runs fire.
    pub fire_hours: BTreeSet<u8>,
    pub calendar: Calendar,
    /// The terms, tightest threshold first; no slot is in two.
    pub terms: Vec<Term>,
    /// The tightest threshold, in seconds: the alert never fires on a
    /// success younger than it.
    pub threshold: i64,
    /// Days of the week the tightest term checks whole.
    pub window: [bool; 7],
    /// The grace of the shortest gap between runs.
    pub grace: i64,
    /// The threshold checked in each slot, by number ([`Calendar::index`]):
    /// the terms as a table.
    pub thresholds: Vec<Option<i64>>,
    /// Per slot, by number, the oldest the newest success of healthy runs
    /// can be.
    pub healthy_age: Vec<Option<i64>>,
}

impl Cadence {
    /// Whether the alert fires at `t` on a newest success `age` old.
    pub fn fires(&self, t: i64, age: i64) -> bool {
        self.threshold_at(t).is_some_and(|x| age > x)
    }

    /// The threshold checked at `t`, if any.
    pub fn threshold_at(&self, t: i64) -> Option<i64> {
        self.thresholds[self.calendar.index(t)]
    }

    /// What the alert checks, for grouping: the same terms are one alert.
    pub fn checks(&self) -> (&str, &[Term]) {
        (&self.name, &self.terms)
    }
}

impl Cadence {
    /// The cadence with a kept window in place of the derived one: the
    /// checks as terms (a slot two checks name takes the tighter
    /// threshold), tightest first. The runs, and how old a healthy success
    /// can be, stay the schedules'. Only weekly cadences have one: the
    /// checks name days of the week.
    pub fn with_kept(&self, kept: &Kept) -> Result<Cadence, CadenceError> {
        if self.calendar != Calendar::Week {
            return Err(CadenceError(
                "a kept window names days of the week, but these runs are not weekly".into(),
            ));
        }
        let calendar = Calendar::Week;
        let mut thresholds: Vec<Option<i64>> = vec![None; calendar.len()];
        for check in &kept.checks {
            let [first, last] = check.hours.unwrap_or([0, 23]);
            for day in &check.days {
                for hour in first..=last.min(23) {
                    let i = usize::from(day.number()) * 24 + usize::from(hour);
                    let x = check.threshold.0 as i64;
                    thresholds[i] = Some(thresholds[i].map_or(x, |t| t.min(x)));
                }
            }
        }
        let mut by_threshold: BTreeMap<i64, Vec<Slot>> = BTreeMap::new();
        for (i, x) in thresholds.iter().enumerate() {
            if let Some(x) = x {
                by_threshold
                    .entry(*x)
                    .or_default()
                    .push(calendar.slot_at(i));
            }
        }
        let terms: Vec<Term> = by_threshold
            .into_iter()
            .map(|(threshold, slots)| Term { threshold, slots })
            .collect();
        let Some(tightest) = terms.first() else {
            return Err(CadenceError("a kept window checks no hour".into()));
        };
        let mut window = [false; 7];
        for (d, w) in window.iter_mut().enumerate() {
            *w = (0..24).all(|h| thresholds[d * 24 + h] == Some(tightest.threshold));
        }
        Ok(Cadence {
            threshold: tightest.threshold,
            terms,
            thresholds,
            window,
            ..self.clone()
        })
    }
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

/// One series, as the derivation reads it.
struct Series {
    fires: Vec<i64>,
    /// Its expected duration.
    budget: i64,
    /// How much longer than the run before a run may take.
    jitter: i64,
}

impl Series {
    /// The supremum, over healthy runs, of the age of the newest success
    /// at `t`: while the newest run may still be going, the success of the
    /// run before it (which took at most the jitter less); after that, the
    /// newest run's.
    fn age(&self, t: i64) -> i64 {
        let i = self.fires.partition_point(|&s| s <= t);
        let Some(newest) = i.checked_sub(1).map(|k| self.fires[k]) else {
            return 0;
        };
        if t < newest + self.budget {
            if let Some(before) = i.checked_sub(2).map(|k| self.fires[k]) {
                return (t - before).min(newest - before + self.jitter);
            }
        }
        t - newest
    }
}

/// The reference period whose hours are judged, and the fire history
/// around it.
struct Period {
    from: i64,
    reference: std::ops::Range<i64>,
    until: i64,
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
    let period = if weekly {
        Period {
            from: REFERENCE_MONDAY - 3 * WEEK,
            reference: REFERENCE_MONDAY..REFERENCE_MONDAY + WEEK,
            until: REFERENCE_MONDAY + 2 * WEEK,
        }
    } else {
        Period {
            from: 0,
            reference: IRREGULAR_FROM..IRREGULAR_UNTIL,
            until: IRREGULAR_UNTIL + 365 * DAY,
        }
    };
    let mut all = Vec::new();
    let mut shortest_gap = i64::MAX;
    for r in series {
        let f = fires(&r.schedules, period.from, period.until);
        if f.is_empty() {
            return Err(CadenceError("it never runs".into()));
        }
        if f.len() < 3 {
            return Err(CadenceError(
                "it runs too seldom for a threshold to tell a missed run".into(),
            ));
        }
        let shortest = f.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(WEEK);
        if r.budget >= shortest {
            return Err(CadenceError(format!(
                "its operations may take up to {} but it runs every {}: with concurrencyPolicy Forbid runs would be skipped",
                words(r.budget),
                words(shortest)
            )));
        }
        shortest_gap = shortest_gap.min(shortest);
        all.push(Series {
            jitter: r.budget.min(grace(shortest)),
            fires: f,
            budget: r.budget,
        });
    }
    let calendars: &[Calendar] = if weekly {
        &[Calendar::Week]
    } else {
        &[Calendar::Month, Calendar::MonthAndWeek]
    };
    let mut failure = None;
    for &calendar in calendars {
        match terms(&all, calendar, &period, &grace) {
            Ok((terms, thresholds, window, healthy_age)) => {
                let threshold = terms.iter().map(|t| t.threshold).min().unwrap_or(0);
                let (name, kind, fire_days, fire_hours) = naming(series, &all, &period, weekly);
                return Ok(Cadence {
                    name,
                    kind,
                    fire_days,
                    fire_hours,
                    calendar,
                    thresholds,
                    terms,
                    threshold,
                    window,
                    grace: grace(shortest_gap),
                    healthy_age,
                });
            }
            Err(e) => failure = Some(e),
        }
    }
    Err(failure.unwrap_or_else(|| CadenceError("no check can cover its runs".into())))
}

/// The hours of the reference period and the times at which a series'
/// newest run changes or may finish, as the pieces between them.
fn pieces(s: &Series, period: &Period) -> Vec<i64> {
    let r = &period.reference;
    let mut points: Vec<i64> = (0..)
        .map(|k| r.start + k * HOUR)
        .take_while(|&t| t <= r.end)
        .collect();
    for &f in &s.fires {
        for p in [f, f + s.budget] {
            if r.contains(&p) {
                points.push(p);
            }
        }
    }
    // Two ascending runs (a run finishes before the next fires): a merge.
    points.sort();
    points.dedup();
    points
}

type Grace<'a> = &'a dyn Fn(i64) -> i64;

/// What [`terms`] derives: the terms, as a list and as a table by slot,
/// the days of the week the tightest checks whole, and the oldest healthy
/// success per slot.
type Derived = (Vec<Term>, Vec<Option<i64>>, [bool; 7], Vec<Option<i64>>);

/// The terms of a cadence in a calendar, and the days of the week its
/// tightest term checks whole.
fn terms(
    all: &[Series],
    calendar: Calendar,
    period: &Period,
    grace: Grace,
) -> Result<Derived, CadenceError> {
    // Tables by slot number (Calendar::index), in slot order.
    let n = calendar.len();
    // The supremum of healthy ages per slot.
    let mut low: Vec<Option<i64>> = vec![None; n];
    for s in all {
        for w in pieces(s, period).windows(2) {
            let lo = &mut low[calendar.index(w[0])];
            let age = s.age(w[1] - 1);
            *lo = Some(lo.map_or(age, |lo| lo.max(age)));
        }
    }
    // The tightest threshold each slot must have for the missed runs told
    // in it, and one such run per slot for the message.
    let mut need: Vec<Option<(i64, i64)>> = vec![None; n];
    let mut candidates = BTreeSet::new();
    for s in all {
        for w in s.fires.windows(2) {
            let (before, at) = (w[0], w[1]);
            if !period.reference.contains(&at) {
                continue;
            }
            let g = grace(at - before);
            let bound = at - before + g;
            candidates.insert(bound);
            let mut t = (at + g).div_euclid(HOUR) * HOUR;
            while t <= at + s.budget + g {
                let e = &mut need[calendar.index(t)];
                if e.is_none_or(|(b, _)| bound < b) {
                    *e = Some((bound, at));
                }
                t += HOUR;
            }
        }
    }
    let need: Vec<(usize, i64, i64)> = need
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.map(|(bound, at)| (i, bound, at)))
        .collect();
    let tightest = |i: usize| -> Option<i64> { candidates.range(low[i]?..).next().copied() };
    for &(i, bound, at) in &need {
        if tightest(i).is_none_or(|x| x > bound) {
            return Err(CadenceError(format!(
                "a missed run of {} cannot be told within the grace without false alarms: a healthy success may be {} old at {}",
                when(calendar, at),
                words(low[i].unwrap_or(0)),
                slot_words(calendar.slot_at(i))
            )));
        }
    }
    // The slots of each day (24 numbers from day * 24), in order.
    let days: Vec<Vec<usize>> = low
        .chunks(24)
        .enumerate()
        .map(|(d, hours)| {
            (0..24)
                .filter(|&h| hours[h].is_some())
                .map(|h| d * 24 + h)
                .collect()
        })
        .collect();
    let safe = |i: usize, x: i64| low[i].is_some_and(|lo| lo <= x);
    let whole = |hours: &[usize], x: i64| hours.len() == 24 && hours.iter().all(|&h| safe(h, x));

    let mut assigned: Vec<Option<i64>> = vec![None; n];
    let assign = |i: usize, x: i64, assigned: &mut [Option<i64>]| {
        assigned[i] = Some(assigned[i].map_or(x, |a| a.min(x)));
    };
    // The tightest threshold that checks whole days.
    let mut window = [false; 7];
    if let Some(&x) = candidates
        .iter()
        .find(|&&x| days.iter().any(|hours| whole(hours, x)))
    {
        for (d, hours) in days.iter().enumerate().filter(|(_, h)| whole(h, x)) {
            for &i in hours {
                assign(i, x, &mut assigned);
            }
            if calendar == Calendar::Week {
                window[d] = true;
            }
        }
    }
    // Then each day a missed run must be told in, whole, at the tightest
    // threshold safe all day that tells it in time.
    for &(i, bound, _) in &need {
        if assigned[i].is_some_and(|a| a <= bound) {
            continue;
        }
        let hours = &days[i / 24];
        if let Some(&x) = candidates.range(..=bound).find(|&&x| whole(hours, x)) {
            for &h in hours {
                assign(h, x, &mut assigned);
            }
        }
    }
    // Then each hour still not told in time, at its tightest threshold,
    // with the hours around it in that day that nothing checks yet.
    let mut needed: Vec<(i64, usize, i64)> = need
        .iter()
        .filter_map(|&(i, bound, _)| Some((tightest(i)?, i, bound)))
        .collect();
    needed.sort_unstable();
    for (x, i, bound) in needed {
        if assigned[i].is_some_and(|a| a <= bound) {
            continue;
        }
        assigned[i] = Some(x);
        let hours = &days[i / 24];
        let free = |h: usize, assigned: &[Option<i64>]| safe(h, x) && assigned[h].is_none();
        let at = hours.iter().position(|&h| h == i).unwrap_or(0);
        let mut k = at;
        while k > 0 && hours[k - 1] + 1 == hours[k] && free(hours[k - 1], &assigned) {
            k -= 1;
            assigned[hours[k]] = Some(x);
        }
        let mut k = at;
        while k + 1 < hours.len() && hours[k + 1] == hours[k] + 1 && free(hours[k + 1], &assigned) {
            k += 1;
            assigned[hours[k]] = Some(x);
        }
    }
    let mut by_threshold: BTreeMap<i64, Vec<Slot>> = BTreeMap::new();
    for (i, x) in assigned.iter().enumerate() {
        if let Some(x) = x {
            by_threshold
                .entry(*x)
                .or_default()
                .push(calendar.slot_at(i));
        }
    }
    let terms = by_threshold
        .into_iter()
        .map(|(threshold, slots)| Term { threshold, slots })
        .collect();
    Ok((terms, assigned, window, low))
}

/// The first moment in [from, until) at which an alert that checks
/// `threshold_at(t)` fires, for successes at `ends` (ascending): exactly,
/// at every change of the newest success and of the hour.
pub(crate) fn first_firing(
    threshold_at: impl Fn(i64) -> Option<i64>,
    ends: &[i64],
    from: i64,
    until: i64,
) -> Option<i64> {
    let mut a = from;
    while a < until {
        let seen = ends.partition_point(|&e| e <= a);
        let next_hour = (a.div_euclid(HOUR) + 1) * HOUR;
        let next_end = ends.get(seen).copied().unwrap_or(i64::MAX);
        let b = next_hour.min(next_end).min(until);
        let newest = seen.checked_sub(1).map(|k| ends[k]);
        if let (Some(x), Some(ts)) = (threshold_at(a), newest) {
            let fire = a.max(ts + x + 1);
            if fire < b {
                return Some(fire);
            }
        }
        a = b;
    }
    None
}

/// "Thursday 22:06", "day 1 of the month at 03:00 (Monday)".
fn when(calendar: Calendar, t: i64) -> String {
    let c = civil(t);
    match calendar {
        Calendar::Week => format!(
            "{} {:02}:{:02}",
            DAY_NAMES[c.dow as usize], c.hour, c.minute
        ),
        Calendar::Month => format!(
            "day {} of the month at {:02}:{:02}",
            c.dom, c.hour, c.minute
        ),
        Calendar::MonthAndWeek => format!(
            "day {} of the month at {:02}:{:02} ({})",
            c.dom, c.hour, c.minute, DAY_NAMES[c.dow as usize]
        ),
    }
}

fn slot_words(slot: Slot) -> String {
    let day = match slot.day() {
        (Some(dom), Some(dow)) => format!("day {dom} of the month, a {}", DAY_NAMES[dow as usize]),
        (Some(dom), None) => format!("day {dom} of the month"),
        (None, Some(dow)) => DAY_NAMES[dow as usize].to_owned(),
        (None, None) => "every day".to_owned(),
    };
    format!("{day}, {:02}:00 to {:02}:59", slot.hour, slot.hour)
}

/// The name, kind, fire days and fire hours of a cadence.
fn naming(
    series: &[Runs],
    all: &[Series],
    period: &Period,
    weekly: bool,
) -> (String, Kind, [bool; 7], BTreeSet<u8>) {
    let mut union: Vec<i64> = all
        .iter()
        .flat_map(|s| s.fires.iter().copied())
        .filter(|t| period.reference.contains(t))
        .collect();
    union.sort_unstable();
    union.dedup();
    let mut fire_days = [false; 7];
    let mut fire_hours = BTreeSet::new();
    for &t in &union {
        let c = civil(t);
        fire_days[c.dow as usize] = true;
        fire_hours.insert(c.hour);
    }
    if !weekly {
        return (
            irregular_name(series),
            Kind::Irregular,
            fire_days,
            fire_hours,
        );
    }
    let (name, kind) = weekly_name(&union, &fire_days);
    (name, kind, fire_days, fire_hours)
}

/// "25 hours", "1 week and 12 hours".
pub(crate) fn words(seconds: i64) -> String {
    crate::model::alerts::Duration(seconds.max(0) as u64).words()
}

/// Names a schedule that is not weekly from its fields: "Monthly" (one day
/// of the month), "1st and 15th of the month", "1st of the month or
/// Monday", "Yearly"; "Irregular" for anything else (or several schedules).
fn irregular_name(series: &[Runs]) -> String {
    let mut texts: Vec<&str> = series
        .iter()
        .flat_map(|r| r.schedules.iter().map(|s| s.text()))
        .collect();
    texts.sort_unstable();
    texts.dedup();
    let name = match texts.as_slice() {
        [text] => field_name(text),
        _ => None,
    };
    name.unwrap_or_else(|| "Irregular".into())
}

fn field_name(text: &str) -> Option<String> {
    let text = match text {
        "@monthly" => "0 0 1 * *",
        "@yearly" | "@annually" => "0 0 1 1 *",
        t => t,
    };
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [_, _, dom, month, dow] = fields.as_slice() else {
        return None;
    };
    let doms: Vec<u32> = dom
        .split(',')
        .map(|d| d.parse().ok())
        .collect::<Option<_>>()?;
    if *month != "*" {
        let one_month = month.parse::<u32>().is_ok();
        return (one_month && doms.len() == 1 && matches!(*dow, "*" | "?"))
            .then(|| "Yearly".into());
    }
    let days = join_words(
        &doms.iter().map(|&d| ordinal(d)).collect::<Vec<_>>(),
        " and ",
    );
    if matches!(*dow, "*" | "?") {
        return Some(if doms.len() == 1 {
            "Monthly".into()
        } else {
            format!("{days} of the month")
        });
    }
    let weekdays = Schedule::parse(&format!("0 0 * * {dow}"))
        .ok()?
        .weekdays()?;
    Some(format!("{days} of the month or {}", day_list(&weekdays)))
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn weekly_name(week: &[i64], days: &[bool; 7]) -> (String, Kind) {
    let count = days.iter().filter(|&&d| d).count();
    if week.len() > count {
        let g: Vec<i64> = week.windows(2).map(|w| w[1] - w[0]).collect();
        let regular = g.windows(2).all(|w| w[0] == w[1]);
        let name = match g.first() {
            Some(&gap) if regular && gap == HOUR => "Hourly".to_owned(),
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

    /// A term as (threshold, whole days, partial days as (day, hours)).
    type WeeklyTerm = (i64, Vec<u8>, Vec<(u8, Vec<u8>)>);

    fn weekly_terms(c: &Cadence) -> Vec<WeeklyTerm> {
        c.terms
            .iter()
            .map(|t| {
                let mut by_day: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
                for s in &t.slots {
                    by_day.entry(s.dow.unwrap()).or_default().push(s.hour);
                }
                let whole = by_day
                    .iter()
                    .filter(|(_, h)| h.len() == 24)
                    .map(|(d, _)| *d)
                    .collect();
                let partial = by_day.into_iter().filter(|(_, h)| h.len() < 24).collect();
                (t.threshold, whole, partial)
            })
            .collect()
    }

    #[test]
    fn govuk_cadences() {
        let all = vec![0, 1, 2, 3, 4, 5, 6];
        for (schedule, budget) in [("3 3 * * *", 3_600), ("36 21 * * *", 4 * 3_600)] {
            let c = cadence(&[schedule], budget);
            assert_eq!(c.name, "Daily");
            assert_eq!(
                weekly_terms(&c),
                [(90_000, all.clone(), vec![])],
                "{schedule}"
            );
        }
        for (schedule, budget) in [("43 1 * * 0", 5 * 3_600), ("35 1 * * 6", 17 * 3_600)] {
            let c = cadence(&[schedule], budget);
            assert_eq!(c.name, "Weekly");
            assert_eq!(
                weekly_terms(&c),
                [(648_000, all.clone(), vec![])],
                "{schedule}"
            );
        }
        // Weekdays: GOV.UK's Tuesday to Friday, and Monday with the
        // weekend's gap, wherever in the night the runs are.
        for (schedule, budget) in [("23 1 * * 1-5", 2 * 3_600), ("54 1 * * 1-5", 9_900)] {
            let c = cadence(&[schedule], budget);
            assert_eq!(c.name, "Weekday");
            assert_eq!(c.window, days(&[2, 3, 4, 5]));
            assert_eq!(
                weekly_terms(&c),
                [
                    (90_000, vec![2, 3, 4, 5], vec![]),
                    (262_800, vec![1], vec![])
                ],
                "{schedule}"
            );
        }
        // Sunday to Thursday: Friday until Thursday's run is told, Sunday
        // and the start of Monday with the weekend's gap; not Monday 00:00,
        // when a slow Sunday run may not have finished.
        for schedule in ["6 22 * * 0-4", "16 22 * * 0-4"] {
            let c = cadence(&[schedule], 9_900);
            assert_eq!(c.name, "Sunday to Thursday");
            let hours = |r: std::ops::RangeInclusive<u8>| r.collect::<Vec<u8>>();
            assert_eq!(
                weekly_terms(&c),
                [
                    (
                        90_000,
                        vec![2, 3, 4],
                        vec![(1, vec![23]), (5, hours(0..=22))]
                    ),
                    (262_800, vec![0], vec![(1, hours(0..=22))]),
                ],
                "{schedule}"
            );
        }
    }

    #[test]
    fn other_cadences() {
        let c = cadence(&["0 1 * * 1,3,5"], 3_600);
        assert_eq!(c.name, "Monday, Wednesday and Friday");
        assert_eq!(c.threshold, 2 * DAY + 3_600);
        let c = cadence(&["0 */6 * * *"], 3_600);
        assert_eq!((c.name.as_str(), c.threshold), ("Every 6 hours", 7 * 3_600));
        let c = cadence(&["0 0 1 * *"], 3_600);
        assert_eq!((c.name.as_str(), c.calendar), ("Monthly", Calendar::Month));
        assert_eq!(c.threshold, 28 * DAY + 12 * 3_600);
        let c = cadence(&["0 3 1,15 * *"], 7_200);
        assert_eq!(c.name, "1st and 15th of the month");
        let c = cadence(&["0 3 1 * 1"], 7_200);
        assert_eq!(c.name, "1st of the month or Monday");
        assert_eq!(c.calendar, Calendar::MonthAndWeek);
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
    fn calendar_fields() {
        // 1972-02-29 13:05 UTC, a Tuesday in a leap year.
        let t = 68_216_700;
        assert_eq!(
            civil(t),
            Civil {
                dom: 29,
                dow: 2,
                hour: 13,
                minute: 5,
                days_in_month: 29
            }
        );
        let ts = Timestamp::from_second(t).unwrap();
        assert_eq!(
            ts.strftime("%Y-%m-%d %H:%M").to_string(),
            "1972-02-29 13:05"
        );
        assert_eq!(civil(0).dow, 4);
        assert_eq!(civil(-1).dom, 31);
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
