//! Time for the scheduling rules: a fixed reference week, fire times in a
//! window, and words for times and durations.
//!
//! Schedules are compared over one period from a fixed Monday, [`T0`]: a
//! week when every schedule involved repeats weekly (day-of-month and month
//! unrestricted), a year otherwise. Fire times are counted with a cap per
//! day, so a schedule that fires every minute costs no more than one that
//! fires every half hour.

use crate::cron::Schedule;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Monday 2027-01-04 00:00 UTC: where every comparison starts.
pub const T0: Timestamp = Timestamp::constant(1_799_020_800, 0);

/// The most fire times looked at for one schedule in one day: every run
/// of a schedule that runs every half hour, the first day's worth of one
/// that runs more often. So a schedule that fires every minute costs no
/// more than one that fires every half hour, and lint's time is bounded by
/// the size of the catalogue, not by how often its jobs run.
pub const CAP_PER_DAY: usize = 48;

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// The period after which a schedule's fire times repeat, or a year.
pub fn period(schedule: &Schedule) -> SignedDuration {
    if weekly(schedule) { DAY * 7 } else { DAY * 366 }
}

/// The period over which two schedules are compared.
pub fn common_period(a: &Schedule, b: &Schedule) -> SignedDuration {
    period(a).max(period(b))
}

/// Whether a schedule's fire times repeat every week.
pub fn weekly(schedule: &Schedule) -> bool {
    schedule.weekdays().is_some()
}

/// Fire times in `[from, until)`: in each day from `from` on, at most
/// [`CAP_PER_DAY`].
pub fn fires_in(schedule: &Schedule, from: Timestamp, until: Timestamp) -> Vec<Timestamp> {
    let mut out = Vec::new();
    let mut t = from - SignedDuration::from_secs(1);
    let mut day_end = from + DAY;
    let mut today = 0;
    while let Some(next) = schedule.next_after(t).filter(|next| *next < until) {
        while next >= day_end {
            day_end += DAY;
            today = 0;
        }
        if today < CAP_PER_DAY {
            out.push(next);
            today += 1;
            t = next;
        } else {
            // The rest of this day's runs are not looked at.
            t = day_end - SignedDuration::from_secs(1);
        }
    }
    out
}

/// The last fire time at or before `t`, looking back up to a year.
pub fn latest_at_or_before(schedule: &Schedule, t: Timestamp) -> Option<Timestamp> {
    schedule
        .last_at_or_before(t)
        .filter(|&last| last > t - DAY * 367)
}

/// A time in words: "Friday 23:35", with the date when the schedules
/// involved do not repeat weekly.
pub fn when(t: Timestamp, weekly: bool) -> String {
    let zoned = t.to_zoned(TimeZone::UTC);
    if weekly {
        zoned.strftime("%A %H:%M").to_string()
    } else {
        zoned.strftime("%A %Y-%m-%d %H:%M").to_string()
    }
}

/// A duration in words: "45m", "1h 45m", "26h", "3d 2h".
pub fn duration(d: SignedDuration) -> String {
    let total = d.as_secs().max(0) / 60;
    let (hours, mins) = (total / 60, total % 60);
    if hours == 0 {
        return format!("{mins}m");
    }
    if hours < 48 {
        return match mins {
            0 => format!("{hours}h"),
            m => format!("{hours}h {m}m"),
        };
    }
    let mut out = format!("{}d", hours / 24);
    if hours % 24 > 0 {
        out.push_str(&format!(" {}h", hours % 24));
    }
    if mins > 0 {
        out.push_str(&format!(" {mins}m"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_for_durations() {
        let m = SignedDuration::from_mins;
        assert_eq!(duration(m(45)), "45m");
        assert_eq!(duration(m(60)), "1h");
        assert_eq!(duration(m(105)), "1h 45m");
        assert_eq!(duration(m(26 * 60)), "26h");
        assert_eq!(duration(m(74 * 60)), "3d 2h");
        assert_eq!(duration(m(7 * 24 * 60)), "7d");
    }

    #[test]
    fn fire_times_are_capped_per_day() {
        let every_minute = Schedule::parse("* * * * *").unwrap();
        let fires = fires_in(&every_minute, T0, T0 + DAY * 7);
        assert_eq!(fires.len(), 7 * CAP_PER_DAY);
        assert_eq!(when(fires[CAP_PER_DAY], true), "Tuesday 00:00");
        let half_hourly = Schedule::parse("*/30 * * * *").unwrap();
        assert_eq!(fires_in(&half_hourly, T0, T0 + DAY * 7).len(), 7 * 48);
        let last = latest_at_or_before(&every_minute, T0 + DAY).unwrap();
        assert_eq!(last, T0 + DAY);
    }

    #[test]
    fn words_for_times() {
        assert_eq!(when(T0, true), "Monday 00:00");
        assert_eq!(when(T0, false), "Monday 2027-01-04 00:00");
    }

    #[test]
    fn fire_times_in_a_window() {
        let s = Schedule::parse("35 23 * * *").unwrap();
        let fires = fires_in(&s, T0, T0 + DAY * 7);
        assert_eq!(fires.len(), 7);
        assert_eq!(when(fires[0], true), "Monday 23:35");
        let last = latest_at_or_before(&s, T0 + DAY * 5 + SignedDuration::from_hours(1)).unwrap();
        assert_eq!(when(last, true), "Friday 23:35");
        assert_eq!(period(&s), DAY * 7);
        let monthly = Schedule::parse("0 0 1 * *").unwrap();
        assert_eq!(period(&monthly), DAY * 366);
    }
}
