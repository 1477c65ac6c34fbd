//! Kubernetes' cron dialect (robfig/cron v3's standard parser).
//!
//! The API server validates a CronJob's `schedule` with robfig/cron v3's
//! `ParseStandard`, and the controller computes fire times with the schedule
//! that parser returns. This module accepts exactly what that parser accepts
//! and computes the same fire times, in UTC (the controller's zone on GOV.UK's
//! clusters when a CronJob sets no `timeZone`).
//!
//! What the dialect is:
//!
//! - Five fields separated by whitespace: minute (0-59), hour (0-23),
//!   day-of-month (1-31), month (1-12 or `JAN`-`DEC`), day-of-week (0-6 or
//!   `SUN`-`SAT`, 0 is Sunday; 7 is an error). Names are case-insensitive and
//!   only allowed in their own field. Leading zeros are fine.
//! - Each field is a comma-separated list (empty items are skipped) of `*`,
//!   `?` (the same as `*`, in any field), `N`, `N-M`, `*/S`, `N/S` (from `N` to
//!   the field's maximum) and `N-M/S`. A reversed range such as `5-1` and a
//!   step of 0 are errors. `L`, `W` and `#` are errors.
//! - Day-of-month and day-of-week combine Vixie-style: when either field is
//!   unrestricted a day must match both, otherwise a day matching either one
//!   matches. A field counts as unrestricted when one of its items is `*` or
//!   `?` without a step greater than 1, so `*/2` restricts.
//! - Descriptors, exactly as written (lower case, nothing around them):
//!   `@yearly`/`@annually`, `@monthly`, `@weekly` (Sunday), `@daily`/
//!   `@midnight`, `@hourly` and `@every <Go duration>`. An `@every` interval
//!   of zero or less is refused, as the API server does, and so is one under
//!   a minute, which the controller cannot honour (it starts a CronJob's
//!   jobs at most once a minute); fractions of a second are dropped.
//! - A `TZ=` or `CRON_TZ=` prefix (indeed `TZ` anywhere) is rejected by the API
//!   server: a CronJob names its zone in `timeZone`.
//!
//! The controller counts `@every` intervals from when it first sees the
//! CronJob, which a catalogue cannot know; this module counts them from the
//! Unix epoch, so an `@every 1h` job fires on the hour.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, date};
use jiff::tz::Offset;

/// A schedule in Kubernetes' cron dialect.
#[derive(Clone, Debug)]
pub struct Schedule {
    text: String,
    kind: Kind,
}

/// Why Kubernetes would reject a schedule; `offset..offset+len` is the byte range in the schedule text to point at.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CronError {
    pub message: String,
    pub offset: usize,
    pub len: usize,
}

impl CronError {
    fn new(message: impl Into<String>, offset: usize, len: usize) -> CronError {
        CronError {
            message: message.into(),
            offset,
            len,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Five fields, or a descriptor that stands for five fields.
    Spec(Spec),
    /// `@every`: a constant interval in whole seconds (at least 1).
    Every(i64),
}

/// The five fields as bit sets (bit `n` set when value `n` matches), with
/// robfig's "star" flags for the two day fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Spec {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    dom_star: bool,
    dow_star: bool,
}

/// The descriptors robfig recognises, apart from `@every`.
const DESCRIPTORS: [&str; 7] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Day names by day of the week (0 is Sunday), as cron and `day_of_week()`
/// number them.
pub const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl Schedule {
    /// Parses a schedule the way the Kubernetes API server does, or says
    /// why it would be rejected.
    pub fn parse(text: &str) -> Result<Schedule, CronError> {
        if text.is_empty() {
            return Err(CronError::new(
                "the schedule is empty: expected 5 fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily",
                0,
                0,
            ));
        }
        check_time_zone(text)?;
        let kind = if text.starts_with('@') {
            parse_descriptor(text)?
        } else {
            Kind::Spec(parse_fields(text)?)
        };
        Ok(Schedule {
            text: text.to_owned(),
            kind,
        })
    }

    /// The schedule as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first fire time strictly after `t` (UTC), if any within ~5 years.
    ///
    /// Like robfig's `Next`, the search for a five-field schedule gives up
    /// after the end of the fifth year following `t`'s year, so a schedule
    /// that never fires (`0 0 30 2 *`) gives `None`.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let after = floor_second(t);
        let next = match self.kind {
            Kind::Every(interval) => after
                .div_euclid(interval)
                .checked_add(1)?
                .checked_mul(interval)?,
            Kind::Spec(spec) => spec.next_after(after)?,
        };
        Timestamp::from_second(next).ok()
    }

    /// The last fire time at or before `t`, searching back to the start of
    /// the fifth year before, as [`Schedule::next_after`] searches forward.
    pub fn last_at_or_before(&self, t: Timestamp) -> Option<Timestamp> {
        let at = floor_second(t);
        let last = match self.kind {
            Kind::Every(interval) => at.div_euclid(interval).checked_mul(interval)?,
            Kind::Spec(spec) => spec.last_at_or_before(at)?,
        };
        Timestamp::from_second(last).ok()
    }

    /// Fire times in the half-open interval (after, until], ascending.
    pub fn fires(&self, after: Timestamp, until: Timestamp) -> Vec<Timestamp> {
        let (after, until) = (floor_second(after), floor_second(until));
        if until <= after {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut push = |second: i64| {
            if let Ok(t) = Timestamp::from_second(second) {
                out.push(t);
            }
        };
        match self.kind {
            Kind::Every(interval) => {
                let mut next = after.div_euclid(interval).saturating_add(1) * interval;
                while next <= until {
                    push(next);
                    match next.checked_add(interval) {
                        Some(n) => next = n,
                        None => break,
                    }
                }
            }
            Kind::Spec(spec) => spec.each_fire(after, until, push),
        }
        out
    }

    /// The schedule in plain English, e.g. "at 01:23 UTC, Monday to Friday",
    /// "at 23:06 UTC every day", "every 15 minutes", "at 00:00 UTC on day 1 of
    /// the month".
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Every(interval) => describe_interval(interval),
            Kind::Spec(spec) => spec.describe(),
        }
    }

    /// Days of the week (0 = Sunday .. 6 = Saturday) on which it fires at
    /// least once, when the schedule is weekly-periodic (day-of-month and
    /// month unrestricted, not @every); None otherwise.
    pub fn weekdays(&self) -> Option<[bool; 7]> {
        let Kind::Spec(spec) = self.kind else {
            return None;
        };
        if spec.month != Field::Month.full() {
            return None;
        }
        if !spec.ever_fires() {
            return Some([false; 7]);
        }
        let days = spec.weekly_days()?;
        Some(std::array::from_fn(|d| days & (1 << d) != 0))
    }
}

// ---------------------------------------------------------------------------
// Parsing

/// The API server rejects any schedule containing `TZ`; robfig itself would
/// take a `TZ=`/`CRON_TZ=` prefix.
fn check_time_zone(text: &str) -> Result<(), CronError> {
    // A byte scan: `str::find` sets up a substring searcher, which costs
    // more than a schedule takes to scan.
    let Some(at) = text.as_bytes().windows(2).position(|w| w == b"TZ") else {
        return Ok(());
    };
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| at + i);
    let token = &text[start..end];
    for prefix in ["CRON_TZ=", "TZ="] {
        if token.starts_with(prefix) {
            return Err(CronError::new(
                format!(
                    "a {prefix} prefix is rejected by Kubernetes: set the CronJob's timeZone instead"
                ),
                start,
                end - start,
            ));
        }
    }
    Err(CronError::new(
        "Kubernetes rejects a schedule containing 'TZ': set the CronJob's timeZone instead",
        at,
        2,
    ))
}

fn parse_descriptor(text: &str) -> Result<Kind, CronError> {
    let every_day = Spec {
        minute: 1,
        hour: 1,
        dom: Field::Dom.full(),
        month: Field::Month.full(),
        dow: Field::Dow.full(),
        dom_star: true,
        dow_star: true,
    };
    let spec = match text {
        "@yearly" | "@annually" => Spec {
            dom: 1 << 1,
            month: 1 << 1,
            dom_star: false,
            ..every_day
        },
        "@monthly" => Spec {
            dom: 1 << 1,
            dom_star: false,
            ..every_day
        },
        "@weekly" => Spec {
            dow: 1 << 0,
            dow_star: false,
            ..every_day
        },
        "@daily" | "@midnight" => every_day,
        "@hourly" => Spec {
            hour: Field::Hour.full(),
            ..every_day
        },
        _ => {
            if let Some(duration) = text.strip_prefix("@every ") {
                return parse_every(duration, "@every ".len());
            }
            return Err(unknown_descriptor(text));
        }
    };
    Ok(Kind::Spec(spec))
}

fn unknown_descriptor(text: &str) -> CronError {
    let word_end = text.find(char::is_whitespace).unwrap_or(text.len());
    let word = &text[..word_end];
    let lower = word.to_ascii_lowercase();
    if lower == "@every" {
        return if word == "@every" {
            CronError::new(
                "@every must be followed by a single space and a duration, e.g. @every 1h30m",
                0,
                text.len(),
            )
        } else {
            CronError::new(
                format!("descriptors are case-sensitive: write @every, not {word}"),
                0,
                word_end,
            )
        };
    }
    if let Some(known) = DESCRIPTORS.iter().find(|d| **d == lower) {
        return if word == *known {
            CronError::new(
                format!("unexpected text after {known}: a descriptor must stand alone"),
                word_end,
                text.len() - word_end,
            )
        } else {
            CronError::new(
                format!("descriptors are case-sensitive: write {known}, not {word}"),
                0,
                word_end,
            )
        };
    }
    if lower == "@reboot" {
        return CronError::new("@reboot is not supported by Kubernetes", 0, word_end);
    }
    CronError::new(
        format!(
            "unrecognised descriptor '{word}': Kubernetes accepts @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly and @every <duration>"
        ),
        0,
        word_end,
    )
}

fn parse_every(duration: &str, offset: usize) -> Result<Kind, CronError> {
    let nanos = parse_go_duration(duration).map_err(|e| {
        let hint = "write a Go duration such as 1h30m, 15m or 90s";
        match e {
            DurationError::Invalid if duration.is_empty() => {
                CronError::new(format!("@every needs a duration: {hint}"), 0, offset)
            }
            DurationError::Invalid if duration.starts_with(char::is_whitespace) => CronError::new(
                format!("@every must be followed by a single space: {hint}"),
                offset,
                duration.len() - duration.trim_start().len(),
            ),
            DurationError::Invalid => CronError::new(
                format!("'{duration}' is not a valid duration: {hint}"),
                offset,
                duration.len(),
            ),
            DurationError::MissingUnit => CronError::new(
                format!("duration '{duration}' is missing a unit (ns, us, ms, s, m or h): {hint}"),
                offset,
                duration.len(),
            ),
            DurationError::UnknownUnit { at, len } => {
                let unit = &duration[at..at + len];
                let extra = if unit == "d" { " (days are not a unit: write 24h)" } else { "" };
                CronError::new(
                    format!(
                        "unknown unit '{unit}' in duration '{duration}': use ns, us, ms, s, m or h{extra}"
                    ),
                    offset + at,
                    len,
                )
            }
        }
    })?;
    if nanos <= 0 {
        return Err(CronError::new(
            format!(
                "@every needs a positive duration, not '{duration}': Kubernetes refuses zero and negative intervals"
            ),
            offset,
            duration.len(),
        ));
    }
    // The controller looks at its CronJobs once a minute (and robfig makes
    // anything under a second a second): a shorter interval is not honoured,
    // and would make every run a check counts.
    if nanos < 60 * 1_000_000_000 {
        return Err(CronError::new(
            format!(
                "@every {duration} is under one minute: the CronJob controller starts a job at most once a minute; write @every 1m or longer"
            ),
            offset,
            duration.len(),
        ));
    }
    Ok(Kind::Every(nanos / 1_000_000_000))
}

#[derive(Debug, PartialEq, Eq)]
enum DurationError {
    Invalid,
    MissingUnit,
    UnknownUnit { at: usize, len: usize },
}

/// Go's `time.ParseDuration`, in nanoseconds.
fn parse_go_duration(text: &str) -> Result<i64, DurationError> {
    const LIMIT: u64 = 1 << 63;
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut negative = false;
    if let Some(&c) = bytes.first()
        && (c == b'-' || c == b'+')
    {
        negative = c == b'-';
        i = 1;
    }
    if &text[i..] == "0" {
        return Ok(0);
    }
    if i == bytes.len() {
        return Err(DurationError::Invalid);
    }
    let mut total: u64 = 0;
    while i < bytes.len() {
        if !(bytes[i] == b'.' || bytes[i].is_ascii_digit()) {
            return Err(DurationError::Invalid);
        }
        // The integer part.
        let start = i;
        let mut whole: u64 = 0;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            if whole > LIMIT / 10 {
                return Err(DurationError::Invalid);
            }
            whole = whole * 10 + u64::from(bytes[i] - b'0');
            if whole > LIMIT {
                return Err(DurationError::Invalid);
            }
            i += 1;
        }
        let had_whole = i > start;
        // The fraction.
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut had_fraction = false;
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let start = i;
            let mut overflow = false;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                if !overflow {
                    if fraction > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let next = fraction * 10 + u64::from(bytes[i] - b'0');
                        if next > LIMIT {
                            overflow = true;
                        } else {
                            fraction = next;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            had_fraction = i > start;
        }
        if !had_whole && !had_fraction {
            return Err(DurationError::Invalid);
        }
        // The unit: everything up to the next digit or dot.
        let start = i;
        while i < bytes.len() && !(bytes[i] == b'.' || bytes[i].is_ascii_digit()) {
            i += 1;
        }
        if i == start {
            return Err(DurationError::MissingUnit);
        }
        let unit: u64 = match &text[start..i] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(DurationError::UnknownUnit {
                    at: start,
                    len: i - start,
                });
            }
        };
        if whole > LIMIT / unit {
            return Err(DurationError::Invalid);
        }
        let mut value = whole * unit;
        if fraction > 0 {
            // Go does this part in floating point too.
            value += (fraction as f64 * (unit as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(DurationError::Invalid);
            }
        }
        // Both are at most 2^63, so the sum can reach 2^64: Go's uint64 wraps
        // that to 0, and so the duration is 0 (robfig then runs every second).
        total = total.wrapping_add(value);
        if total > LIMIT {
            return Err(DurationError::Invalid);
        }
    }
    if negative {
        return Ok((total as i64).wrapping_neg());
    }
    if total > LIMIT - 1 {
        return Err(DurationError::Invalid);
    }
    Ok(total as i64)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Minute,
    Hour,
    Dom,
    Month,
    Dow,
}

impl Field {
    const ALL: [Field; 5] = [
        Field::Minute,
        Field::Hour,
        Field::Dom,
        Field::Month,
        Field::Dow,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::Dom => "day-of-month",
            Field::Month => "month",
            Field::Dow => "day-of-week",
        }
    }

    fn min(self) -> u64 {
        match self {
            Field::Dom | Field::Month => 1,
            _ => 0,
        }
    }

    fn max(self) -> u64 {
        match self {
            Field::Minute => 59,
            Field::Hour => 23,
            Field::Dom => 31,
            Field::Month => 12,
            Field::Dow => 6,
        }
    }

    /// Every value of the field.
    fn full(self) -> u64 {
        bits(self.min(), self.max(), 1)
    }

    /// The three-letter names the field accepts, with the value of the first.
    fn names(self) -> Option<(&'static [&'static str], u64)> {
        match self {
            Field::Month => Some((&MONTH_NAMES, 1)),
            Field::Dow => Some((&DAY_NAMES, 0)),
            _ => None,
        }
    }

    /// The values the field accepts, for an out-of-range number.
    fn range(self) -> String {
        match self {
            Field::Dow => "0-6 (0 is Sunday)".to_owned(),
            _ => format!("{}-{}", self.min(), self.max()),
        }
    }

    /// Everything the field accepts, names included.
    fn accepts(self) -> String {
        match self {
            Field::Month => "1-12 or JAN-DEC".to_owned(),
            Field::Dow => "0-6 or SUN-SAT (0 is Sunday)".to_owned(),
            _ => self.range(),
        }
    }
}

/// The most fields a schedule is looked at for: five, and a sixth to point
/// at when there are too many.
const MAX_FIELDS: usize = 6;

/// Splits on whitespace as Go's `strings.Fields` does, keeping byte offsets:
/// the first [`MAX_FIELDS`] fields, and how many there are in all. (A
/// schedule is parsed for every job, several times over: nothing here
/// allocates.)
fn tokens(text: &str) -> ([(usize, &str); MAX_FIELDS], usize) {
    let mut out = [(0, ""); MAX_FIELDS];
    let mut count = 0;
    let mut push = |token| {
        if let Some(slot) = out.get_mut(count) {
            *slot = token;
        }
        count += 1;
    };
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                push((s, &text[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        push((s, &text[s..]));
    }
    (out, count)
}

/// Splits on an ASCII separator as Go's `strings.Split` does, keeping byte
/// offsets.
fn pieces(text: &str, sep: u8) -> impl Iterator<Item = (usize, &str)> {
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let at = start?;
        let end = match text.as_bytes()[at..].iter().position(|&b| b == sep) {
            Some(i) => {
                start = Some(at + i + 1);
                at + i
            }
            None => {
                start = None;
                text.len()
            }
        };
        Some((at, &text[at..end]))
    })
}

/// The first two of [`pieces`] and how many there are in all.
fn two_pieces(text: &str, sep: u8) -> ([(usize, &str); 2], usize) {
    let mut first = [(0, ""); 2];
    let mut count = 0;
    for piece in pieces(text, sep) {
        if let Some(slot) = first.get_mut(count) {
            *slot = piece;
        }
        count += 1;
    }
    (first, count)
}

fn parse_fields(text: &str) -> Result<Spec, CronError> {
    let (fields, count) = tokens(text);
    let fields = &fields[..count.min(MAX_FIELDS)];
    let Some(&(first_at, first)) = fields.first() else {
        return Err(CronError::new(
            "the schedule is blank: expected 5 fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily",
            0,
            text.len(),
        ));
    };
    if first.starts_with('@') && fields.len() == 1 {
        return Err(CronError::new(
            format!(
                "{first} must start the schedule: Kubernetes only recognises a descriptor with nothing before it"
            ),
            0,
            first_at,
        ));
    }
    if first.contains('=') {
        return Err(CronError::new(
            "a time-zone prefix is rejected by Kubernetes: set the CronJob's timeZone instead",
            first_at,
            first.len(),
        ));
    }
    if count != 5 {
        let end = text.trim_end().len();
        let (at, note) = match count {
            n if n < 5 => (first_at, ""),
            6 => (fields[5].0, " (Kubernetes has no seconds or year field)"),
            _ => (fields[5].0, ""),
        };
        return Err(CronError::new(
            format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {count}{note}"
            ),
            at,
            end - at,
        ));
    }
    let mut parsed = [(0u64, false); 5];
    for ((slot, field), &(at, token)) in parsed.iter_mut().zip(Field::ALL).zip(fields) {
        *slot = parse_field(field, token, at)?;
    }
    let [minute, hour, dom, month, dow] = parsed;
    Ok(Spec {
        minute: minute.0,
        hour: hour.0,
        dom: dom.0,
        month: month.0,
        dow: dow.0,
        dom_star: dom.1,
        dow_star: dow.1,
    })
}

/// One field: a comma-separated list of ranges. Returns the bit set and
/// whether robfig would mark it as a star.
fn parse_field(field: Field, text: &str, at: usize) -> Result<(u64, bool), CronError> {
    let mut set = 0;
    let mut star = false;
    for (offset, item) in pieces(text, b',') {
        if item.is_empty() {
            continue;
        }
        let (item_set, item_star) = parse_range(field, item, at + offset)?;
        set |= item_set;
        star |= item_star;
    }
    Ok((set, star))
}

/// One item: `*`, `?`, `N`, `N-M`, each optionally followed by `/S`.
fn parse_range(field: Field, item: &str, at: usize) -> Result<(u64, bool), CronError> {
    let (slashes, slash_count) = two_pieces(item, b'/');
    let range = slashes[0].1;
    let (ends, end_count) = two_pieces(range, b'-');
    let (min, max) = (field.min(), field.max());
    let wildcard = ends[0].1 == "*" || ends[0].1 == "?";
    let (mut start, mut end) = (min, max);
    if !wildcard {
        start = parse_value(field, ends[0].1, (item, at), at + ends[0].0)?;
        end = match end_count {
            1 => start,
            2 => parse_value(field, ends[1].1, (item, at), at + ends[1].0)?,
            _ => {
                return Err(CronError::new(
                    format!("too many '-' in '{range}' in the {} field", field.name()),
                    at,
                    range.len(),
                ));
            }
        };
    }
    let mut star = wildcard;
    let step = match slash_count {
        1 => 1,
        2 => {
            let (offset, text) = slashes[1];
            let step = parse_step(text, (item, at), at + offset)?;
            if end_count == 1 {
                // "N/S" means "N-max/S".
                end = max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => {
            return Err(CronError::new(
                format!("too many '/' in '{item}' in the {} field", field.name()),
                at,
                item.len(),
            ));
        }
    };
    if !wildcard {
        let out_of_range = |value: &str, offset: usize| {
            CronError::new(
                format!(
                    "{} {value} is out of range: Kubernetes accepts {}",
                    field.name(),
                    field.range()
                ),
                at + offset,
                value.len(),
            )
        };
        if start < min || start > max {
            return Err(out_of_range(ends[0].1, ends[0].0));
        }
        if end_count == 2 && (end < min || end > max) {
            return Err(out_of_range(ends[1].1, ends[1].0));
        }
        if start > end {
            let hint = match (field, start) {
                (Field::Dow, 6) if end == 0 => " (write 6,0 for Saturday and Sunday)".to_owned(),
                (Field::Dow, _) if end == 0 => {
                    format!(" (write {start}-6,0 for a range through Sunday)")
                }
                _ => String::new(),
            };
            return Err(CronError::new(
                format!(
                    "{} range {range} is reversed: Kubernetes does not wrap ranges around{hint}",
                    field.name()
                ),
                at,
                range.len(),
            ));
        }
    }
    if step == 0 {
        let offset = slashes[1].0;
        return Err(CronError::new(
            format!("a step of 0 in '{item}' is not allowed: use 1 or more"),
            at + offset,
            item.len() - offset,
        ));
    }
    Ok((bits(start, end, step), star))
}

/// A number or (in the month and day-of-week fields) a three-letter name.
fn parse_value(field: Field, text: &str, item: (&str, usize), at: usize) -> Result<u64, CronError> {
    if let Some((names, first)) = field.names()
        && let Some(i) = names.iter().position(|n| go_lower_eq(text, &n[..3]))
    {
        return Ok(first + i as u64);
    }
    match parse_go_int(text) {
        Ok(n) if n >= 0 => Ok(n as u64),
        // Too large for robfig, but the clearest thing to say is the range.
        Err(IntError::Range) if !text.starts_with('-') => Err(CronError::new(
            format!(
                "{} {text} is out of range: Kubernetes accepts {}",
                field.name(),
                field.range()
            ),
            at,
            text.len(),
        )),
        _ => Err(bad_value(field, text, item, at)),
    }
}

/// Explains why `text` is neither a number nor a name the field accepts.
fn bad_value(field: Field, text: &str, (item, item_at): (&str, usize), at: usize) -> CronError {
    let fname = field.name();
    if text.is_empty() {
        let message = if let Some(step) = item.strip_prefix('/') {
            format!("'{item}' needs something before the '/', e.g. */{step}")
        } else {
            format!("missing number in '{item}' in the {fname} field")
        };
        return CronError::new(message, item_at, item.len());
    }
    if let Some(i) = text.find('#') {
        return CronError::new("'#' is not supported by Kubernetes", at + i, 1);
    }
    // A name that belongs to the other named field, or a name written in full.
    for (other, names, what) in [
        (Field::Month, &MONTH_NAMES[..], "a month"),
        (Field::Dow, &DAY_NAMES[..], "a day"),
    ] {
        let found = names
            .iter()
            .find(|n| text.eq_ignore_ascii_case(&n[..3]) || text.eq_ignore_ascii_case(n));
        if let Some(name) = found {
            let short = name[..3].to_ascii_uppercase();
            let message = if field != other {
                let allowed = if field.names().is_some() {
                    format!("the {fname} field takes {}", field.accepts())
                } else {
                    format!("the {fname} field takes numbers only")
                };
                format!("'{text}' is {what} name: {allowed}")
            } else {
                format!("'{text}' is not recognised: use the three-letter name {short}")
            };
            return CronError::new(message, at, text.len());
        }
    }
    // 'L' and 'W' from Quartz-style crons, alone or after a number.
    let letters = text.trim_start_matches(|c: char| c.is_ascii_digit());
    if ["L", "W", "LW"]
        .iter()
        .any(|l| letters.eq_ignore_ascii_case(l))
    {
        let i = text.len() - letters.len();
        let letter = letters[..1].to_ascii_uppercase();
        return CronError::new(
            format!("'{letter}' is not supported by Kubernetes"),
            at + i,
            1,
        );
    }
    CronError::new(
        format!(
            "'{text}' is not a valid {fname}: Kubernetes accepts {}",
            field.accepts()
        ),
        at,
        text.len(),
    )
}

fn parse_step(text: &str, (item, item_at): (&str, usize), at: usize) -> Result<u64, CronError> {
    match parse_go_int(text) {
        Ok(n) if n >= 0 => Ok(n as u64),
        Ok(_) | Err(IntError::Range) if text.starts_with('-') => Err(CronError::new(
            format!("a step must be a positive number, found {text} in '{item}'"),
            at,
            text.len(),
        )),
        Err(IntError::Range) => Err(CronError::new(
            format!("step {text} in '{item}' is too large"),
            at,
            text.len(),
        )),
        _ if text.is_empty() => Err(CronError::new(
            format!("missing step after '/' in '{item}'"),
            item_at,
            item.len(),
        )),
        _ => Err(CronError::new(
            format!("step '{text}' in '{item}' is not a number"),
            at,
            text.len(),
        )),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum IntError {
    Syntax,
    Range,
}

/// Go's `strconv.Atoi` on a 64-bit platform: an optional sign, then ASCII
/// digits, within `i64`.
fn parse_go_int(text: &str) -> Result<i64, IntError> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IntError::Syntax);
    }
    let mut value: i128 = 0;
    for b in digits.bytes() {
        value = value * 10 + i128::from(b - b'0');
        if value > 1 << 63 {
            return Err(IntError::Range);
        }
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).map_err(|_| IntError::Range)
}

/// Whether `text` lower-cased as Go's `strings.ToLower` does equals `name`
/// (which is lower-case ASCII).
fn go_lower_eq(text: &str, name: &str) -> bool {
    let mut chars = text.chars();
    for expected in name.chars() {
        let lowered = match chars.next() {
            // Go's simple case mapping takes these two to ASCII letters.
            Some('\u{130}') => 'i',
            Some('\u{212a}') => 'k',
            Some(c) => c.to_ascii_lowercase(),
            None => return false,
        };
        if lowered != expected.to_ascii_lowercase() {
            return false;
        }
    }
    chars.next().is_none()
}

/// robfig's `getBits`: every `step`th value from `start` to `end`.
fn bits(start: u64, end: u64, step: u64) -> u64 {
    let mut set = 0;
    let mut v = start;
    while v <= end {
        set |= 1 << v;
        v = v.saturating_add(step);
    }
    set
}

// ---------------------------------------------------------------------------
// Fire times

/// The whole seconds of `t`, rounded down.
fn floor_second(t: Timestamp) -> i64 {
    let s = t.as_second();
    if t.subsec_nanosecond() < 0 { s - 1 } else { s }
}

/// The UTC date and time of a time in whole seconds since the Unix epoch.
fn utc(second: i64) -> Option<DateTime> {
    Some(Offset::UTC.to_datetime(Timestamp::from_second(second).ok()?))
}

/// The start of `day` (UTC), in seconds since the Unix epoch.
fn midnight(day: Date) -> Option<i64> {
    Some(Offset::UTC.to_timestamp(day.into()).ok()?.as_second())
}

/// The lowest set bit at or above `from`.
fn next_bit(set: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let rest = set & (u64::MAX << from);
    (rest != 0).then(|| rest.trailing_zeros())
}

/// The highest set bit at or below `to`.
fn prev_bit(set: u64, to: u32) -> Option<u32> {
    let rest = set & (u64::MAX >> 63u32.saturating_sub(to));
    (rest != 0).then(|| 63 - rest.leading_zeros())
}

impl Spec {
    fn day_matches(&self, day: Date) -> bool {
        let dom = self.dom & (1 << day.day()) != 0;
        let dow = self.dow & (1 << day.weekday().to_sunday_zero_offset()) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first minute of the day (0..1440) at or after `from` that matches.
    fn first_minute_from(&self, from: u32) -> Option<u32> {
        let (hour, minute) = (from / 60, from % 60);
        if self.hour & (1 << hour) != 0
            && let Some(m) = next_bit(self.minute, minute)
        {
            return Some(hour * 60 + m);
        }
        let h = next_bit(self.hour, hour + 1)?;
        Some(h * 60 + self.minute.trailing_zeros())
    }

    /// The last minute of the day (0..1440) at or before `to` that matches.
    fn last_minute_to(&self, to: u32) -> Option<u32> {
        let (hour, minute) = (to / 60, to % 60);
        if self.hour & (1 << hour) != 0
            && let Some(m) = prev_bit(self.minute, minute)
        {
            return Some(hour * 60 + m);
        }
        let h = prev_bit(self.hour, hour.checked_sub(1)?)?;
        Some(h * 60 + prev_bit(self.minute, 59)?)
    }

    /// The last fire time (in seconds) at or before `at`, searching back to
    /// the start of the fifth year before.
    fn last_at_or_before(&self, at: i64) -> Option<i64> {
        if self.minute == 0 || self.hour == 0 || self.month == 0 {
            return None;
        }
        let start = utc(at.div_euclid(60) * 60)?;
        let year_limit = start.year() - 5;
        let mut day = start.date();
        let mut to = start.hour() as u32 * 60 + start.minute() as u32;
        while day.year() >= year_limit {
            if self.month & (1 << day.month()) == 0 {
                day = day.first_of_month().yesterday().ok()?;
                to = 24 * 60 - 1;
                continue;
            }
            if self.day_matches(day)
                && let Some(minute) = self.last_minute_to(to)
            {
                return Some(midnight(day)? + i64::from(minute) * 60);
            }
            day = day.yesterday().ok()?;
            to = 24 * 60 - 1;
        }
        None
    }

    /// The first fire time (in seconds) strictly after `after`, searching to
    /// the end of the fifth year after, as robfig does.
    fn next_after(&self, after: i64) -> Option<i64> {
        if self.minute == 0 || self.hour == 0 || self.month == 0 {
            return None;
        }
        let year_limit = utc(after.checked_add(1)?)?.year() + 5;
        let start = utc(after.div_euclid(60).checked_add(1)? * 60)?;
        let mut day = start.date();
        let mut from = start.hour() as u32 * 60 + start.minute() as u32;
        while day.year() <= year_limit {
            if self.month & (1 << day.month()) == 0 {
                day = day.last_of_month().tomorrow().ok()?;
                from = 0;
                continue;
            }
            if self.day_matches(day)
                && let Some(minute) = self.first_minute_from(from)
            {
                return Some(midnight(day)? + i64::from(minute) * 60);
            }
            day = day.tomorrow().ok()?;
            from = 0;
        }
        None
    }

    /// Calls `emit` with every fire time (in seconds) in (after, until].
    fn each_fire(&self, after: i64, until: i64, mut emit: impl FnMut(i64)) {
        if self.month == 0 {
            return;
        }
        let mut times = Vec::new();
        let mut hours = self.hour;
        while hours != 0 {
            let h = i64::from(hours.trailing_zeros());
            hours &= hours - 1;
            let mut minutes = self.minute;
            while minutes != 0 {
                let m = i64::from(minutes.trailing_zeros());
                minutes &= minutes - 1;
                times.push(h * 3600 + m * 60);
            }
        }
        if times.is_empty() {
            return;
        }
        let (Some(first), Some(last)) = (utc(after + 1), utc(until)) else {
            return;
        };
        let (mut day, last) = (first.date(), last.date());
        while day <= last {
            let next = if self.month & (1 << day.month()) == 0 {
                day.last_of_month().tomorrow()
            } else {
                if self.day_matches(day)
                    && let Some(base) = midnight(day)
                {
                    for &time in &times {
                        let t = base + time;
                        if t > until {
                            break;
                        }
                        if t > after {
                            emit(t);
                        }
                    }
                }
                day.tomorrow()
            };
            let Ok(next) = next else { return };
            day = next;
        }
    }

    /// The days of the week on which it can fire, when which days match
    /// depends on the weekday alone.
    fn weekly_days(&self) -> Option<u64> {
        let all_dom = self.dom == Field::Dom.full();
        if self.dom_star {
            Some(self.dow)
        } else if self.dow_star {
            all_dom.then_some(Field::Dow.full())
        } else if all_dom {
            Some(Field::Dow.full())
        } else if self.dom == 0 {
            Some(self.dow)
        } else {
            None
        }
    }

    /// Whether any moment at all matches.
    fn ever_fires(&self) -> bool {
        if self.minute == 0 || self.hour == 0 || self.month == 0 {
            return false;
        }
        let some_dom = (1..=12u32).any(|m| {
            self.month & (1 << m) != 0
                && next_bit(self.dom, 1)
                    .is_some_and(|d| d <= date(2000, m as i8, 1).days_in_month() as u32)
        });
        if self.dom_star || self.dow_star {
            some_dom && self.dow != 0
        } else {
            some_dom || self.dow != 0
        }
    }
}

// ---------------------------------------------------------------------------
// Descriptions

/// "a", "a and b", "a, b and c".
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn values(set: u64) -> Vec<u32> {
    (0..64).filter(|v| set & (1 << v) != 0).collect()
}

/// Consecutive runs of values as (first, last).
fn runs(values: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &v in values {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == v => *last = v,
            _ => out.push((v, v)),
        }
    }
    out
}

/// Values as words, with runs of three or more written "a to b".
fn list_words(values: &[u32], word: impl Fn(u32) -> String) -> String {
    let mut items = Vec::new();
    for (first, last) in runs(values) {
        if last >= first + 2 {
            items.push(format!("{} to {}", word(first), word(last)));
        } else {
            items.extend((first..=last).map(&word));
        }
    }
    join_words(&items)
}

/// Numbers as words; a long evenly spaced list is shortened to
/// "1, 3, 5, ... and 31".
fn list_numbers(values: &[u32]) -> String {
    if let [first, second, .., last] = values[..]
        && values.len() >= 5
        && second - first > 1
        && values.windows(2).all(|w| w[1] - w[0] == second - first)
    {
        let third = second + (second - first);
        return format!("{first}, {second}, {third}, ... and {last}");
    }
    list_words(values, |v| v.to_string())
}

/// The step `k` when the values are exactly 0, k, 2k, ... and `k` divides
/// the field's span, so the schedule is evenly spaced.
fn even_step(values: &[u32], span: u32) -> Option<u32> {
    let (&first, &second) = (values.first()?, values.get(1)?);
    let step = second - first;
    (first == 0
        && step > 1
        && span % step == 0
        && values.len() as u32 == span / step
        && values.windows(2).all(|w| w[1] - w[0] == step))
    .then_some(step)
}

fn plural(n: u32, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// "every hour", "every 15 minutes", "every 1 hour and 30 minutes".
fn describe_interval(seconds: i64) -> String {
    let parts: Vec<(u32, &str)> = [
        (seconds / 3600, "hour"),
        (seconds / 60 % 60, "minute"),
        (seconds % 60, "second"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, unit)| (u32::try_from(n).unwrap_or(u32::MAX), unit))
    .collect();
    match parts[..] {
        [(1, unit)] => format!("every {unit}"),
        _ => {
            let words: Vec<String> = parts.iter().map(|&(n, unit)| plural(n, unit)).collect();
            format!("every {}", join_words(&words))
        }
    }
}

impl Spec {
    fn describe(&self) -> String {
        if !self.ever_fires() {
            return "never".to_owned();
        }
        let (mut out, fixed_times) = self.describe_times();
        let months = values(self.month);
        let mut months_said = months.len() == 12;
        match self.describe_days(&months) {
            Days::Every if fixed_times => out.push_str(" every day"),
            Days::Every => {}
            Days::OnDate(text) => {
                out.push_str(&text);
                months_said = true;
            }
            Days::Text(text) => out.push_str(&text),
        }
        if !months_said {
            out.push_str(" in ");
            out.push_str(&list_words(&months, |m| {
                MONTH_NAMES[m as usize - 1].to_owned()
            }));
        }
        out
    }

    /// The times of day; true when it is a fixed list of times ("at ..."),
    /// false for a frequency ("every 15 minutes").
    fn describe_times(&self) -> (String, bool) {
        let minutes = values(self.minute);
        let hours = values(self.hour);
        let all_minutes = minutes.len() == 60;
        let all_hours = hours.len() == 24;
        let hhmm = |h: u32, m: u32| format!("{h:02}:{m:02}");
        if all_minutes && all_hours {
            return ("every minute".to_owned(), false);
        }
        if minutes.len() * hours.len() <= 4 {
            let times: Vec<String> = hours
                .iter()
                .flat_map(|&h| minutes.iter().map(move |&m| hhmm(h, m)))
                .collect();
            return (format!("at {} UTC", join_words(&times)), true);
        }
        let minute_step = even_step(&minutes, 60);
        let past = |m: u32| {
            if m == 0 {
                "on the hour".to_owned()
            } else {
                format!("at {} past", plural(m, "minute"))
            }
        };
        if all_hours {
            let text = if let Some(step) = minute_step {
                format!("every {step} minutes")
            } else if let [m] = minutes[..] {
                format!("every hour {}", past(m))
            } else {
                format!("at minutes {} past every hour", list_numbers(&minutes))
            };
            return (text, false);
        }
        // Restricted hours.
        let hour_span = match runs(&hours)[..] {
            [(first, last)] => format!("from {} to {} UTC", hhmm(first, 0), hhmm(last, 59)),
            _ => format!("during hours {} UTC", list_numbers(&hours)),
        };
        if all_minutes {
            return (format!("every minute {hour_span}"), false);
        }
        if let Some(step) = minute_step {
            return (format!("every {step} minutes {hour_span}"), false);
        }
        if let [m] = minutes[..] {
            if let Some(step) = even_step(&hours, 24) {
                return (
                    format!("every {step} hours {}, from {} UTC", past(m), hhmm(0, m)),
                    false,
                );
            }
            if let [(first, last)] = runs(&hours)[..] {
                return (
                    format!(
                        "every hour from {} to {} UTC",
                        hhmm(first, m),
                        hhmm(last, m)
                    ),
                    false,
                );
            }
            return (
                format!("at minute {m} of hours {} UTC", list_numbers(&hours)),
                false,
            );
        }
        (
            format!(
                "at minutes {} of hours {} UTC",
                list_numbers(&minutes),
                list_numbers(&hours)
            ),
            false,
        )
    }

    fn describe_days(&self, months: &[u32]) -> Days {
        let all_dom = self.dom == Field::Dom.full();
        let all_dow = self.dow == Field::Dow.full();
        let dom_text = || match &values(self.dom)[..] {
            [d] => format!(" on day {d} of the month"),
            days => format!(" on days {} of the month", list_numbers(days)),
        };
        if self.dom_star || (!self.dow_star && self.dom == 0) {
            if all_dow {
                return Days::Every;
            }
            return Days::Text(describe_weekdays(self.dow, true));
        }
        if self.dow_star || self.dow == 0 {
            if all_dom {
                return Days::Every;
            }
            if let ([d], [m]) = (&values(self.dom)[..], months) {
                return Days::OnDate(format!(" on {d} {}", MONTH_NAMES[*m as usize - 1]));
            }
            return Days::Text(dom_text());
        }
        // Both restricted: either one matching is enough.
        if all_dom || all_dow {
            return Days::Every;
        }
        Days::Text(format!(
            "{} or{}",
            dom_text(),
            describe_weekdays(self.dow, false)
        ))
    }
}

enum Days {
    /// No restriction.
    Every,
    /// A single date, which says the month too.
    OnDate(String),
    /// Text to append, with its leading separator.
    Text(String),
}

/// Days of the week, read round the week so that FRI-SUN reads "Friday to
/// Sunday": ", Monday to Friday" for a single long run (when `comma`),
/// otherwise " on Monday, Wednesday and Friday".
fn describe_weekdays(set: u64, comma: bool) -> String {
    // Start after a day that does not match, so runs do not break at Sunday.
    let gap = (0..7).find(|d| set & (1 << d) == 0).unwrap_or(6);
    let order: Vec<u32> = (1..=7).map(|i| (gap + i) % 7).collect();
    let mut items: Vec<(u32, u32)> = Vec::new();
    let mut in_run = false;
    for d in order {
        if set & (1 << d) != 0 {
            match items.last_mut() {
                Some((_, last)) if in_run => *last = d,
                _ => items.push((d, d)),
            }
            in_run = true;
        } else {
            in_run = false;
        }
    }
    let len = |(first, last): (u32, u32)| (last + 7 - first) % 7 + 1;
    let name = |d: u32| DAY_NAMES[d as usize].to_owned();
    if comma
        && let [run] = items[..]
        && len(run) >= 3
    {
        return format!(", {} to {}", name(run.0), name(run.1));
    }
    let mut words = Vec::new();
    for run in items {
        if len(run) >= 3 {
            words.push(format!("{} to {}", name(run.0), name(run.1)));
        } else {
            let mut d = run.0;
            loop {
                words.push(name(d));
                if d == run.1 {
                    break;
                }
                d = (d + 1) % 7;
            }
        }
    }
    format!(" on {}", join_words(&words))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn parse(text: &str) -> Schedule {
        Schedule::parse(text).unwrap_or_else(|e| panic!("{text:?} rejected: {e}"))
    }

    /// Rejects `text`, pointing at `span` (which must occur once in it), with
    /// a message containing `words`.
    fn assert_rejected(text: &str, span: &str, words: &str) {
        let e = Schedule::parse(text).expect_err(text);
        assert_eq!(
            &text[e.offset..e.offset + e.len],
            span,
            "{text:?}: pointed at the wrong place ({e})"
        );
        assert!(e.message.contains(words), "{text:?}: {:?}", e.message);
    }

    /// The next `n` fire times after `start`, as text.
    fn next_n(schedule: &str, start: &str, n: usize) -> Vec<String> {
        let s = parse(schedule);
        let mut t = at(start);
        (0..n)
            .map(|_| {
                t = s.next_after(t).unwrap();
                t.to_string()
            })
            .collect()
    }

    fn fires_text(schedule: &str, after: &str, until: &str) -> Vec<String> {
        parse(schedule)
            .fires(at(after), at(until))
            .iter()
            .map(|t| t.to_string())
            .collect()
    }

    /// Days of a month on which a daily-at-midnight schedule fires.
    fn days_fired(schedule: &str, month: &str) -> Vec<u32> {
        let start = at(&format!("{month}-01T00:00:00Z")) - jiff::SignedDuration::from_secs(1);
        let end = at(&format!("{month}-28T00:00:00Z")) + jiff::SignedDuration::from_hours(96);
        parse(schedule)
            .fires(start, end)
            .iter()
            .map(|t| t.to_string())
            .filter(|t| t.starts_with(month))
            .map(|t| t[8..10].parse().unwrap())
            .collect()
    }

    #[test]
    fn accepts_what_kubernetes_accepts() {
        for text in [
            "06 21 * * *",
            "23 1 * * 1-5",
            "06 22 * * 0-4",
            "*/15 * * * *",
            "0 0 1 * *",
            "0 0 * * MON-FRI",
            "0 0 * * mon-fri",
            "0 0 * jan,Jul *",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
            "@every 1h30m",
            "@every 90s",
            "0 0 ? * *",
            "? ? ? ? ?",
            "0   0\t* *  *",
            " 0 0 * * * ",
            "5/15 * * * *",
            "0-30/10 1,,3 * * *",
            "*/1 * * * 6",
            "+5 * * * *",
        ] {
            parse(text);
        }
    }

    #[test]
    fn keeps_the_text() {
        assert_eq!(parse(" 06 21 * * *").text(), " 06 21 * * *");
        assert_eq!(parse("@every 1h30m").text(), "@every 1h30m");
    }

    #[test]
    fn rejects_day_of_week_seven() {
        let e = Schedule::parse("* * * * 7").unwrap_err();
        assert_eq!(
            e,
            CronError {
                message: "day-of-week 7 is out of range: Kubernetes accepts 0-6 (0 is Sunday)"
                    .to_owned(),
                offset: 8,
                len: 1,
            }
        );
        assert_rejected("0 0 * * 1-7", "7", "day-of-week 7 is out of range");
        assert_rejected("0 0 * * 0,7", "7", "day-of-week 7 is out of range");
    }

    #[test]
    fn rejects_the_wrong_number_of_fields() {
        let e = Schedule::parse("0 0 * * * *").unwrap_err();
        assert!(
            e.message.starts_with(
                "expected 5 fields (minute hour day-of-month month day-of-week), found 6"
            ),
            "{}",
            e.message
        );
        assert_eq!((e.offset, e.len), (10, 1));
        assert_rejected("0 0 * *", "0 0 * *", "found 4");
        assert_rejected("0 0 * * * 2024 x", "2024 x", "found 7");
        assert_rejected(" @daily", " ", "must start the schedule");
    }

    #[test]
    fn rejects_quartz_extensions() {
        assert_rejected("0 0 L * *", "L", "'L' is not supported by Kubernetes");
        assert_rejected("0 0 * * 5L", "L", "'L' is not supported by Kubernetes");
        assert_rejected("0 0 LW * *", "L", "'L' is not supported by Kubernetes");
        assert_rejected("0 0 15W * *", "W", "'W' is not supported by Kubernetes");
        assert_rejected("0 0 * * 1#2", "#", "'#' is not supported by Kubernetes");
        assert_rejected("0 0 * * MON#1", "#", "'#' is not supported by Kubernetes");
    }

    #[test]
    fn rejects_time_zones() {
        let e = Schedule::parse("TZ=UTC 0 0 * * *").unwrap_err();
        assert_eq!(
            e.message,
            "a TZ= prefix is rejected by Kubernetes: set the CronJob's timeZone instead"
        );
        assert_eq!((e.offset, e.len), (0, 6));
        assert_rejected(
            "CRON_TZ=Europe/London 0 0 * * *",
            "CRON_TZ=Europe/London",
            "a CRON_TZ= prefix is rejected by Kubernetes",
        );
        assert_rejected("  TZ=UTC 0 0 * * *", "TZ=UTC", "a TZ= prefix");
        assert_rejected("0 0 * * * TZ", "TZ", "timeZone");
        assert_rejected("tz=utc 0 0 * * *", "tz=utc", "timeZone");
    }

    #[test]
    fn rejects_values_out_of_range() {
        assert_rejected(
            "60 * * * *",
            "60",
            "minute 60 is out of range: Kubernetes accepts 0-59",
        );
        assert_rejected(
            "0 24 * * *",
            "24",
            "hour 24 is out of range: Kubernetes accepts 0-23",
        );
        assert_rejected("0 0 32 * *", "32", "day-of-month 32 is out of range");
        assert_rejected("0 0 * 13 *", "13", "month 13 is out of range");
        assert_rejected("0 0 * 1-13 *", "13", "month 13 is out of range");
        assert_rejected("0 0 * * 9/2", "9", "day-of-week 9 is out of range");
        assert_rejected(
            "99999999999999999999 * * * *",
            "99999999999999999999",
            "out of range",
        );
        let e = Schedule::parse("1 2 0 * *").unwrap_err();
        assert_eq!(
            (e.offset, e.len, e.message.as_str()),
            (
                4,
                1,
                "day-of-month 0 is out of range: Kubernetes accepts 1-31"
            )
        );
        let e = Schedule::parse("1 2 3 0 *").unwrap_err();
        assert_eq!((e.offset, e.len), (6, 1));
        assert!(e.message.starts_with("month 0 is out of range"));
    }

    #[test]
    fn rejects_malformed_ranges_and_steps() {
        assert_rejected("5-1 * * * *", "5-1", "minute range 5-1 is reversed");
        assert_rejected("0 0 * * FRI-SUN", "FRI-SUN", "write 5-6,0");
        assert_rejected("0 0 * * 6-0", "6-0", "write 6,0");
        assert_rejected("*/0 * * * *", "0", "a step of 0");
        assert_rejected("0 0 1-10/0 * *", "0", "a step of 0");
        assert_rejected("*/-1 * * * *", "-1", "positive");
        assert_rejected("*/x * * * *", "x", "not a number");
        assert_rejected("*/ * * * *", "*/", "missing step");
        assert_rejected("1-2-3 * * * *", "1-2-3", "too many '-'");
        assert_rejected("*/2/3 * * * *", "*/2/3", "too many '/'");
        assert_rejected("5- * * * *", "5-", "missing number");
        assert_rejected("0,-5 * * * *", "-5", "missing number");
        assert_rejected("/5 * * * *", "/5", "*/5");
        assert_rejected("0 0 1,x * *", "x", "'x' is not a valid day-of-month");
        assert_rejected("1.5 * * * *", "1.5", "not a valid minute");
    }

    #[test]
    fn rejects_names_in_the_wrong_field() {
        assert_rejected("0 0 * * JAN", "JAN", "month name");
        assert_rejected("0 0 * MON *", "MON", "day name");
        assert_rejected("0 MON * * *", "MON", "numbers only");
        assert_rejected("0 0 * * MONDAY", "MONDAY", "MON");
        assert_rejected("0 0 * January *", "January", "JAN");
    }

    #[test]
    fn rejects_bad_descriptors() {
        assert_rejected("@DAILY", "@DAILY", "write @daily");
        assert_rejected("@daily ", " ", "@daily");
        assert_rejected("@reboot", "@reboot", "not supported");
        assert_rejected("@fortnightly", "@fortnightly", "unrecognised descriptor");
        assert_rejected("@every", "@every", "duration");
        assert_rejected("@every ", "@every ", "duration");
        assert_rejected("@every  1h", " ", "single space");
        assert_rejected("@every 1d", "d", "write 24h");
        assert_rejected("@every 5", "5", "missing a unit");
        assert_rejected("@every soon", "soon", "not a valid duration");
        assert_rejected("@every 2562048h", "2562048h", "not a valid duration");
    }

    #[test]
    fn rejects_empty_and_blank_schedules() {
        let e = Schedule::parse("").unwrap_err();
        assert_eq!((e.offset, e.len), (0, 0));
        assert!(e.message.contains("empty"), "{}", e.message);
        assert_rejected("   ", "   ", "blank");
    }

    #[test]
    fn go_durations() {
        let ns = |s| parse_go_duration(s);
        assert_eq!(ns("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(ns("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(ns(".5m"), Ok(30_000_000_000));
        assert_eq!(ns("1.m"), Ok(60_000_000_000));
        assert_eq!(ns("3m.5s"), Ok(180_500_000_000));
        assert_eq!(ns("300ms"), Ok(300_000_000));
        assert_eq!(ns("1\u{b5}s"), Ok(1_000));
        assert_eq!(ns("-1h"), Ok(-3_600_000_000_000));
        assert_eq!(ns("+0"), Ok(0));
        assert_eq!(ns("0"), Ok(0));
        assert_eq!(ns("2562047h"), Ok(2_562_047 * 3_600_000_000_000));
        assert_eq!(ns("9223372036854775807ns"), Ok(i64::MAX));
        assert_eq!(ns("9223372036854775808ns"), Err(DurationError::Invalid));
        assert_eq!(ns(""), Err(DurationError::Invalid));
        assert_eq!(ns("-"), Err(DurationError::Invalid));
        assert_eq!(ns("."), Err(DurationError::Invalid));
        assert_eq!(ns(".s"), Err(DurationError::Invalid));
        assert_eq!(ns("1"), Err(DurationError::MissingUnit));
        assert_eq!(
            ns("1h 30m"),
            Err(DurationError::UnknownUnit { at: 1, len: 2 })
        );
        assert_eq!(ns("1H"), Err(DurationError::UnknownUnit { at: 1, len: 1 }));
    }

    #[test]
    fn every_rounds_to_whole_seconds_of_at_least_a_minute() {
        let interval = |text: &str| match parse(text).kind {
            Kind::Every(seconds) => seconds,
            Kind::Spec(_) => panic!("{text} is not @every"),
        };
        assert_eq!(interval("@every 1h30m"), 5400);
        assert_eq!(interval("@every 1m"), 60);
        assert_eq!(interval("@every 60.9s"), 60);
        assert_eq!(interval("@every 90.5s"), 90);
        assert_rejected("@every 59.9s", "59.9s", "under one minute");
        assert_rejected("@every 1s", "1s", "under one minute");
        assert_rejected("@every 500ms", "500ms", "under one minute");
        assert_rejected("@every 0s", "0s", "positive");
        assert_rejected("@every 0", "0", "positive");
        assert_rejected("@every -5m", "-5m", "positive");
    }

    #[test]
    fn weekday_schedule_fires_on_weekdays() {
        // 1970-01-01 was a Thursday.
        assert_eq!(
            next_n("23 1 * * 1-5", "1970-01-01T00:00:00Z", 5),
            [
                "1970-01-01T01:23:00Z",
                "1970-01-02T01:23:00Z",
                "1970-01-05T01:23:00Z",
                "1970-01-06T01:23:00Z",
                "1970-01-07T01:23:00Z",
            ]
        );
        assert_eq!(
            next_n("06 22 * * 0-4", "2024-10-03T22:06:00Z", 3),
            [
                "2024-10-06T22:06:00Z",
                "2024-10-07T22:06:00Z",
                "2024-10-08T22:06:00Z",
            ]
        );
    }

    #[test]
    fn next_after_is_strictly_after() {
        let s = parse("*/15 * * * *");
        let t = at("2024-01-01T10:15:00Z");
        assert_eq!(s.next_after(t), Some(at("2024-01-01T10:30:00Z")));
        let just_before = at("2024-01-01T10:14:59.999999999Z");
        assert_eq!(s.next_after(just_before), Some(t));
        assert_eq!(
            parse("* * * * *").next_after(at("1969-12-31T23:59:59.5Z")),
            Some(at("1970-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn descriptors_fire_at_their_times() {
        let start = "2024-02-28T12:00:00Z";
        assert_eq!(next_n("@hourly", start, 1), ["2024-02-28T13:00:00Z"]);
        assert_eq!(next_n("@daily", start, 1), ["2024-02-29T00:00:00Z"]);
        assert_eq!(next_n("@midnight", start, 1), ["2024-02-29T00:00:00Z"]);
        assert_eq!(next_n("@weekly", start, 1), ["2024-03-03T00:00:00Z"]);
        assert_eq!(next_n("@monthly", start, 1), ["2024-03-01T00:00:00Z"]);
        assert_eq!(next_n("@yearly", start, 1), ["2025-01-01T00:00:00Z"]);
        assert_eq!(next_n("@annually", start, 1), ["2025-01-01T00:00:00Z"]);
    }

    #[test]
    fn every_counts_from_the_epoch() {
        assert_eq!(
            next_n("@every 1h30m", "1970-01-01T00:00:00Z", 3),
            [
                "1970-01-01T01:30:00Z",
                "1970-01-01T03:00:00Z",
                "1970-01-01T04:30:00Z",
            ]
        );
        assert_eq!(
            fires_text("@every 1h", "2024-05-01T10:30:00Z", "2024-05-01T13:00:00Z"),
            [
                "2024-05-01T11:00:00Z",
                "2024-05-01T12:00:00Z",
                "2024-05-01T13:00:00Z",
            ]
        );
    }

    #[test]
    fn either_day_field_matches_when_both_are_restricted() {
        // October 2024: Fridays are the 4th, 11th, 18th and 25th; the 13th is a Sunday.
        assert_eq!(days_fired("0 0 13 * 5", "2024-10"), [4, 11, 13, 18, 25]);
        assert_eq!(days_fired("0 0 13 * FRI", "2024-10"), [4, 11, 13, 18, 25]);
        // September 2024: the 13th is a Friday.
        assert_eq!(days_fired("0 0 13 * 5", "2024-09"), [6, 13, 20, 27]);
        // A step above 1 restricts, so */2 still combines with "either".
        assert_eq!(
            days_fired("0 0 */2 * 1", "2024-10"),
            [
                1, 3, 5, 7, 9, 11, 13, 14, 15, 17, 19, 21, 23, 25, 27, 28, 29, 31
            ]
        );
        // */3 is Sunday, Wednesday and Saturday.
        assert_eq!(
            days_fired("0 0 13 * */3", "2024-10"),
            [2, 5, 6, 9, 12, 13, 16, 19, 20, 23, 26, 27, 30]
        );
    }

    #[test]
    fn an_unrestricted_day_field_leaves_the_other_in_charge() {
        // Mondays in October 2024: 7, 14, 21, 28.
        for text in [
            "0 0 * * 1",
            "0 0 ? * 1",
            "0 0 */1 * 1",
            "0 0 *,5 * 1",
            "0 0 *-5 * 1",
        ] {
            assert_eq!(days_fired(text, "2024-10"), [7, 14, 21, 28], "{text}");
        }
        for text in ["0 0 13 * *", "0 0 13 * ?", "0 0 13 * */1", "0 0 13 * 1,*"] {
            assert_eq!(days_fired(text, "2024-10"), [13], "{text}");
        }
        // A restricted field that happens to cover every day still makes it "either".
        assert_eq!(days_fired("0 0 1-31 * 1", "2024-02").len(), 29);
    }

    #[test]
    fn leading_zeros_names_and_question_marks_mean_the_usual() {
        let window = ("2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z");
        let same = |a: &str, b: &str| {
            assert_eq!(
                fires_text(a, window.0, window.1),
                fires_text(b, window.0, window.1),
                "{a} vs {b}"
            );
        };
        same("06 21 * * *", "6 21 * * *");
        same("0 0 * * MON-FRI", "0 0 * * 1-5");
        same("0 0 * feb *", "0 0 * 2 *");
        same("0 0 ? * ?", "0 0 * * *");
        same("5/20 * * * *", "5,25,45 * * * *");
        same("0 0 1,,15, * *", "0 0 1,15 * *");
    }

    #[test]
    fn schedules_that_never_fire() {
        let s = parse("0 0 30 2 *");
        assert_eq!(s.next_after(at("2024-01-01T00:00:00Z")), None);
        assert!(
            s.fires(at("2024-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z"))
                .is_empty()
        );
        let empty = parse("0 0 , * *");
        assert_eq!(empty.next_after(at("2024-01-01T00:00:00Z")), None);
        assert_eq!(empty.describe(), "never");
    }

    #[test]
    fn the_search_stops_after_five_years_like_robfig() {
        let leap_day = parse("0 0 29 2 *");
        // 2100 is not a leap year: the next 29 February after 2096 is in 2104.
        assert_eq!(leap_day.next_after(at("2097-01-01T00:00:00Z")), None);
        assert_eq!(
            leap_day.next_after(at("2099-01-01T00:00:00Z")),
            Some(at("2104-02-29T00:00:00Z"))
        );
        assert_eq!(
            leap_day.fires(at("2097-01-01T00:00:00Z"), at("2105-01-01T00:00:00Z")),
            [at("2104-02-29T00:00:00Z")]
        );
    }

    #[test]
    fn fires_is_half_open() {
        assert_eq!(
            fires_text("0 * * * *", "2024-01-01T01:00:00Z", "2024-01-01T03:00:00Z"),
            ["2024-01-01T02:00:00Z", "2024-01-01T03:00:00Z"]
        );
        assert!(fires_text("0 * * * *", "2024-01-01T03:00:00Z", "2024-01-01T03:00:00Z").is_empty());
        assert!(fires_text("0 * * * *", "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z").is_empty());
        assert_eq!(
            fires_text(
                "0 * * * *",
                "2024-01-01T00:59:59.5Z",
                "2024-01-01T01:00:00.5Z"
            ),
            ["2024-01-01T01:00:00Z"]
        );
    }

    #[test]
    fn fires_every_minute_for_four_weeks() {
        let start = at("2024-02-01T00:00:00Z");
        let end = start + jiff::SignedDuration::from_hours(24 * 28);
        let fires = parse("* * * * *").fires(start, end);
        assert_eq!(fires.len(), 28 * 24 * 60);
        assert_eq!(fires[0], at("2024-02-01T00:01:00Z"));
        assert_eq!(fires.last(), Some(&end));
        assert!(
            fires
                .windows(2)
                .all(|w| w[1].as_second() - w[0].as_second() == 60)
        );
    }

    #[test]
    fn fires_crosses_months_and_years() {
        assert_eq!(
            fires_text(
                "0 12 31 * *",
                "2023-10-01T00:00:00Z",
                "2024-04-01T00:00:00Z"
            ),
            [
                "2023-10-31T12:00:00Z",
                "2023-12-31T12:00:00Z",
                "2024-01-31T12:00:00Z",
                "2024-03-31T12:00:00Z",
            ]
        );
        assert_eq!(
            fires_text(
                "30 6 * DEC,JAN MON",
                "2023-12-20T00:00:00Z",
                "2024-01-10T00:00:00Z"
            ),
            [
                "2023-12-25T06:30:00Z",
                "2024-01-01T06:30:00Z",
                "2024-01-08T06:30:00Z",
            ]
        );
    }

    #[test]
    fn weekdays_of_weekly_schedules() {
        let days = |text: &str| parse(text).weekdays();
        assert_eq!(
            days("23 1 * * 1-5"),
            Some([false, true, true, true, true, true, false])
        );
        assert_eq!(
            days("06 22 * * 0-4"),
            Some([true, true, true, true, true, false, false])
        );
        assert_eq!(days("06 21 * * *"), Some([true; 7]));
        assert_eq!(days("*/15 * * * *"), Some([true; 7]));
        assert_eq!(days("@daily"), Some([true; 7]));
        assert_eq!(
            days("@weekly"),
            Some([true, false, false, false, false, false, false])
        );
        assert_eq!(
            days("0 0 * * SAT,SUN"),
            Some([true, false, false, false, false, false, true])
        );
        assert_eq!(days("0 0 1-31 * 3"), Some([true; 7]));
        assert_eq!(
            days("0 0 , * 3"),
            Some([false, false, false, true, false, false, false])
        );
        assert_eq!(days("0 0 1 * *"), None);
        assert_eq!(days("0 0 13 * 5"), None);
        assert_eq!(days("0 0 */2 * *"), None);
        assert_eq!(days("0 0 * 1-6 *"), None);
        assert_eq!(days("@monthly"), None);
        assert_eq!(days("@yearly"), None);
        assert_eq!(days("@every 1h"), None);
    }

    #[test]
    fn descriptions() {
        for (text, description) in [
            ("23 1 * * 1-5", "at 01:23 UTC, Monday to Friday"),
            ("06 21 * * *", "at 21:06 UTC every day"),
            ("06 22 * * 0-4", "at 22:06 UTC, Sunday to Thursday"),
            ("37 3 * * 1", "at 03:37 UTC on Monday"),
            (
                "0 0 * * 1,3,5",
                "at 00:00 UTC on Monday, Wednesday and Friday",
            ),
            ("0 0 * * 6,0", "at 00:00 UTC on Saturday and Sunday"),
            ("0 0 * * 5-6,0", "at 00:00 UTC, Friday to Sunday"),
            (
                "0 0 * * 1-3,5",
                "at 00:00 UTC on Monday to Wednesday and Friday",
            ),
            ("*/15 * * * *", "every 15 minutes"),
            ("0,30 * * * *", "every 30 minutes"),
            ("* * * * *", "every minute"),
            ("0 * * * *", "every hour on the hour"),
            ("5 * * * *", "every hour at 5 minutes past"),
            ("0 */2 * * *", "every 2 hours on the hour, from 00:00 UTC"),
            (
                "0 */6 * * *",
                "at 00:00, 06:00, 12:00 and 18:00 UTC every day",
            ),
            ("0 1,13 * * *", "at 01:00 and 13:00 UTC every day"),
            ("5 1-10 * * *", "every hour from 01:05 to 10:05 UTC"),
            ("* 3 * * *", "every minute from 03:00 to 03:59 UTC"),
            (
                "*/5 9-17 * * 1-5",
                "every 5 minutes from 09:00 to 17:59 UTC, Monday to Friday",
            ),
            ("0 0 1 * *", "at 00:00 UTC on day 1 of the month"),
            ("0 0 1,15 * *", "at 00:00 UTC on days 1 and 15 of the month"),
            (
                "0 0 13 * 5",
                "at 00:00 UTC on day 13 of the month or on Friday",
            ),
            (
                "0 0 */2 * 1",
                "at 00:00 UTC on days 1, 3, 5, ... and 31 of the month or on Monday",
            ),
            ("15 2 * 1-3 *", "at 02:15 UTC every day in January to March"),
            (
                "0 0 1 1,4,7,10 *",
                "at 00:00 UTC on day 1 of the month in January, April, July and October",
            ),
            (
                "10,20,40 1,3,5 * * *",
                "at minutes 10, 20 and 40 of hours 1, 3 and 5 UTC",
            ),
            ("0 0 30 2 *", "never"),
            ("@daily", "at 00:00 UTC every day"),
            ("@midnight", "at 00:00 UTC every day"),
            ("@hourly", "every hour on the hour"),
            ("@weekly", "at 00:00 UTC on Sunday"),
            ("@monthly", "at 00:00 UTC on day 1 of the month"),
            ("@yearly", "at 00:00 UTC on 1 January"),
            ("@every 1h30m", "every 1 hour and 30 minutes"),
            ("@every 15m", "every 15 minutes"),
            ("@every 1h", "every hour"),
            ("@every 90s", "every 1 minute and 30 seconds"),
        ] {
            assert_eq!(parse(text).describe(), description, "{text}");
        }
    }

    /// A field in the syntax croner and robfig read alike: `*` alone, or a
    /// list of numbers, ranges and steps (no `?`, names, `*/1` or `N/S`).
    fn common_field(min: u32, max: u32) -> impl Strategy<Value = String> {
        let item = prop_oneof![
            (min..=max).prop_map(|n| n.to_string()),
            (min..=max, min..=max).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
            (2..=max - min + 2).prop_map(|k| format!("*/{k}")),
            (min..=max, min..=max, 1..=10u32).prop_map(|(a, b, k)| format!(
                "{}-{}/{k}",
                a.min(b),
                a.max(b)
            )),
        ];
        prop_oneof![
            1 => Just("*".to_owned()),
            2 => prop::collection::vec(item, 1..=3).prop_map(|items| items.join(",")),
        ]
    }

    fn common_schedule() -> impl Strategy<Value = String> {
        (
            common_field(0, 59),
            common_field(0, 23),
            common_field(1, 31),
            common_field(1, 12),
            common_field(0, 6),
        )
            .prop_map(|(a, b, c, d, e)| format!("{a} {b} {c} {d} {e}"))
    }

    /// 2000-01-01 to 2090-01-01, so no leap-day gap reaches past the search limit.
    fn start_time() -> impl Strategy<Value = Timestamp> {
        (946_684_800i64..3_786_912_000).prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    proptest! {
        #[test]
        fn agrees_with_croner_where_the_dialects_meet(text in common_schedule(), start in start_time()) {
            let ours = parse(&text);
            let theirs = croner::parser::CronParser::builder()
                .seconds(croner::parser::Seconds::Disallowed)
                .year(croner::parser::Year::Disallowed)
                .build()
                .parse(&text)
                .unwrap();
            let mut t = start;
            for _ in 0..5 {
                let zoned = t.to_zoned(jiff::tz::TimeZone::UTC);
                let expected = theirs.find_next_occurrence(&zoned, false).ok().map(|z| z.timestamp());
                let got = ours.next_after(t);
                prop_assert_eq!(got, expected, "{} after {}", text, t);
                match got {
                    Some(next) => t = next,
                    None => break,
                }
            }
        }

        #[test]
        fn fires_lists_what_next_after_finds(text in common_schedule(), start in start_time(), hours in 1i64..2000) {
            let s = parse(&text);
            let end = start + jiff::SignedDuration::from_hours(hours);
            let fires = s.fires(start, end);
            let mut expected = Vec::new();
            let mut t = start;
            while let Some(next) = s.next_after(t) {
                if next > end {
                    break;
                }
                expected.push(next);
                t = next;
            }
            prop_assert_eq!(fires, expected, "{}", text);
        }

        #[test]
        fn last_at_or_before_is_the_last_of_fires(text in common_schedule(), end in start_time(), seconds in 0i64..60) {
            let s = parse(&text);
            let end = end + jiff::SignedDuration::from_secs(seconds);
            let year = jiff::SignedDuration::from_hours(24 * 367);
            let expected = s.fires(end - year, end).last().copied();
            let got = s.last_at_or_before(end).filter(|&t| t > end - year);
            prop_assert_eq!(got, expected, "{} at or before {}", text, end);
        }
    }

    #[test]
    fn last_at_or_before_counts_every_from_the_epoch() {
        let s = parse("@every 1h30m");
        let t = at("1970-01-01T04:29:59Z");
        assert_eq!(s.last_at_or_before(t), Some(at("1970-01-01T03:00:00Z")));
        let t = at("1970-01-01T04:30:00Z");
        assert_eq!(s.last_at_or_before(t), Some(t));
        assert_eq!(parse("0 0 30 2 *").last_at_or_before(t), None);
    }
}
