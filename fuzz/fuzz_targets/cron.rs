//! A schedule: parse it; when it parses, find the next runs from fixed
//! instants and describe it. Where the text is in the syntax robfig and croner
//! read alike, croner must find the same runs.

#![no_main]

use envsync::cron::Schedule;
use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;

/// Instants the next runs are counted from: the epoch, a leap day, the
/// newest real revision's month, and near the end of jiff's range.
const STARTS: [i64; 4] = [0, 1_709_164_800, 1_786_000_000, 253_370_000_000];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schedule) = Schedule::parse(text) else {
        return;
    };
    let _ = schedule.describe();
    let _ = schedule.weekdays();
    for start in STARTS {
        let start = Timestamp::from_second(start).unwrap();
        let mut t = start;
        for _ in 0..5 {
            match schedule.next_after(t) {
                Some(next) => {
                    assert!(next > t, "{text}: next_after({t}) = {next}");
                    t = next;
                }
                None => break,
            }
        }
        let day = start + jiff::SignedDuration::from_hours(24);
        let _ = schedule.fires(start, day);
    }
    if common_syntax(text) {
        compare_with_croner(text, &schedule);
    }
});

/// Five fields separated by single spaces, each `*` or a list of `N`, `N-M`,
/// `*/S` and `N-M/S` with `N <= M` and `S >= 1` (`*/S` with `S >= 2`): the
/// syntax in which robfig and croner mean the same thing. No names, `?`,
/// empty list items, `N/S` or day-of-week 7.
fn common_syntax(text: &str) -> bool {
    let fields: Vec<&str> = text.split(' ').collect();
    let limits = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)];
    fields.len() == 5
        && fields
            .iter()
            .zip(limits)
            .all(|(field, (min, max))| common_field(field, min, max))
}

fn common_field(field: &str, min: u32, max: u32) -> bool {
    if field == "*" {
        return true;
    }
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
            .filter(|n| (min..=max).contains(n))
    };
    field.split(',').all(|item| {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => match step.parse::<u32>() {
                Ok(s) if (1..=99).contains(&s) && step.len() <= 2 => (range, Some(s)),
                _ => return false,
            },
            None => (item, None),
        };
        if range == "*" {
            return step.is_some_and(|s| s >= 2);
        }
        match range.split_once('-') {
            Some((a, b)) => matches!((number(a), number(b)), (Some(a), Some(b)) if a <= b),
            None => step.is_none() && number(range).is_some(),
        }
    })
}

fn compare_with_croner(text: &str, ours: &Schedule) {
    let Ok(theirs) = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(text)
    else {
        // The dialects differ in what they refuse (a step wider than the
        // field, say); only the runs of a schedule both read are compared.
        return;
    };
    // 2000-01-01 and 2060-01-01: three runs of a leap-day schedule stay
    // within both searches' limits.
    for start in [946_684_800, 2_840_140_800] {
        let mut t = Timestamp::from_second(start).unwrap();
        for _ in 0..3 {
            let zoned = t.to_zoned(jiff::tz::TimeZone::UTC);
            let expected = theirs
                .find_next_occurrence(&zoned, false)
                .ok()
                .map(|z| z.timestamp());
            let got = ours.next_after(t);
            assert_eq!(got, expected, "{text} after {t}");
            match got {
                Some(next) => t = next,
                None => break,
            }
        }
    }
}
