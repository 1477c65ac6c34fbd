use crate::cron::{DAY_NAMES, Schedule};
use crate::lint::alerts::Kind;
use crate::lint::{Context, JobRef, Mode};
use crate::model::diagnostic::Diagnostic;
use crate::render::rules::cadence::{
    self, Cadence, Calendar, HOUR, REFERENCE_MONDAY, Runs, Slot, WEEK, words,
};
use std::collections::{BTreeMap, BTreeSet};

declare_rule! {
    /// A hand-written "not completed" alert whose day-of-week window or threshold does not fit the schedules it watches.
    ///
    /// ## What it catches
    /// In chart mode, each hand-written "not completed" alert (one on
    /// `db_backup_job_status_timestamp_seconds`) is read as terms: a
    /// threshold (`< time() - N`) and the hours its `day_of_week()` and
    /// `hour()` condition selects. For each running job it watches, lint
    /// derives what `envsync render` would check, from the job's schedule
    /// and its expected duration (the `for:` of the chart's "taking a long
    /// time" alerts), over a reference week, and reports:
    ///
    /// - the hours in which the alert fires while every run is on time: the
    ///   newest success of healthy runs can be older there than the
    ///   alert's threshold;
    /// - the runs whose miss the alert tells later than its own threshold
    ///   after the run was due to finish (or never), and when it fires.
    ///
    /// Schedules that are not weekly are not judged.
    ///
    /// In a catalogue, each alert kept as a chart had it
    /// (`alerts.not_completed.kept`, which `envsync import` writes so that
    /// adopting changes nothing) is judged the same way, for each database
    /// instance it watches; and an entry that names no alert is reported.
    ///
    /// ## Why it matters
    /// A window one day too wide pages on-call every week for nothing; one
    /// day too narrow keeps a missed run quiet until the weekend is over.
    /// GOV.UK's weekday alert checked Saturdays until April 2026, and the
    /// Sunday-to-Thursday alert never checks Friday, so a missed Thursday
    /// run is told on Monday.
    ///
    /// ## Example
    /// ```yaml
    ///   - alert: Database backup/restore not completed - Weekday backups
    ///     expr: >-
    ///       (db_backup_job_status_timestamp_seconds{...}
    ///       and on() (day_of_week() > 1 and day_of_week() <= 6))  # Saturday too
    ///       < time() - 90000
    /// ```
    ///
    /// ## How to fix
    /// Change the window or threshold to the hours the finding names, or
    /// move to a catalogue: `envsync render` derives the terms. In a
    /// catalogue, delete the kept entry.
    name: "alert-window",
    severity: Warning,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    if ctx.mode == Mode::Catalogue {
        return kept(ctx);
    }
    let (Mode::Chart, Some(alerts)) = (ctx.mode, ctx.alerts) else {
        return Vec::new();
    };
    // The running jobs of each host, per environment.
    let mut hosts: BTreeMap<(usize, &str), Vec<JobRef>> = BTreeMap::new();
    for (r, _, job) in ctx.jobs() {
        if ctx.runs(r) && ctx.schedule(r).is_some() && !job.operations.is_empty() {
            hosts.entry((r.env, job.host())).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for ((env, host), jobs) in hosts {
        let schedules: Vec<&Schedule> = jobs.iter().filter_map(|&r| ctx.schedule(r)).collect();
        let budget = jobs
            .iter()
            .map(|&r| ctx.duration(r).as_secs())
            .max()
            .unwrap_or(0);
        let runs = Runs {
            schedules: schedules.clone(),
            budget,
        };
        let Ok(c) = cadence::derive(&[runs], &ctx.plan.alerts.not_completed) else {
            continue;
        };
        if c.calendar != Calendar::Week {
            continue;
        }
        let r = jobs[0];
        let env_name = &ctx.plan.environments[env].name;
        let watching = alerts.alerts.iter().filter(|a| {
            a.kind == Kind::NotCompleted
                && a.in_env(env_name)
                && jobs.iter().any(|&j| a.watches_job(ctx.job(j)))
        });
        for alert in watching {
            let Some(terms) = hand_terms(&alert.expr) else {
                continue;
            };
            let threshold_at = |t: i64| {
                let c = cadence::civil(t);
                terms
                    .iter()
                    .filter(|(_, cond)| cond.as_ref().is_none_or(|cond| cond.holds(c.dow, c.hour)))
                    .map(|(x, _)| *x)
                    .min()
            };
            let tightest = terms.iter().map(|t| t.0).min().unwrap_or(0);
            let what = format!(
                "`{}` ({}) watches `{}` ({}, runs taking up to {})",
                alert.name,
                alert.place(),
                host,
                schedules
                    .iter()
                    .map(|s| s.describe())
                    .collect::<Vec<_>>()
                    .join("; "),
                words(budget)
            );
            if let Some(message) = false_alarms(&c, &threshold_at) {
                out.push(ctx.at_job(
                    &RULE,
                    r,
                    ctx.job(r).origin.job,
                    format!("{what}: it fires while every run is on time, {message}"),
                ));
            }
            if let Some(message) = late(&schedules, budget, tightest, &threshold_at) {
                out.push(ctx.at_job(
                    &RULE,
                    r,
                    ctx.job(r).origin.job,
                    format!("{what}: {message}"),
                ));
            }
        }
    }
    out
}

/// A catalogue's kept windows (`alerts.not_completed.kept`), judged as a
/// chart's alerts are.
fn kept(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (k, kept) in ctx.plan.alerts.not_completed.kept.iter().enumerate() {
        let at = ctx
            .find(&format!("/alerts/not_completed/kept/{k}"))
            .unwrap_or_default();
        for (host, problem) in crate::render::rules::kept_problems(ctx.plan, kept) {
            let message = format!(
                "the kept {} {:?} alert, {problem}; delete this entry to render the window derived from the schedules",
                kept.environment, kept.alert
            );
            // Told at the host's first running job, as a chart's alert is,
            // so that diff and apply know the chart has it already.
            let job = ctx.jobs().find(|(r, env, job)| {
                env.name == kept.environment && Some(job.host()) == host.as_deref() && ctx.runs(*r)
            });
            out.push(match job {
                Some((r, _, _)) => ctx.at_job(&RULE, r, at, message),
                None => RULE.finding(ctx.path, at, message),
            });
        }
    }
    out
}

/// The hours the alert checks with a threshold a healthy success can
/// exceed, in words.
pub(crate) fn false_alarms(
    c: &Cadence,
    threshold_at: &dyn Fn(i64) -> Option<i64>,
) -> Option<String> {
    let mut wrong = BTreeSet::new();
    let mut oldest = 0;
    for h in 0..7 * 24 {
        let t = REFERENCE_MONDAY + h * HOUR;
        let (Some(x), Some(age)) = (threshold_at(t), c.healthy_age[c.calendar.index(t)]) else {
            continue;
        };
        if age > x {
            wrong.insert(c.calendar.slot(t));
            oldest = oldest.max(age);
        }
    }
    (!wrong.is_empty()).then(|| {
        format!(
            "on {}: the newest success can be {} old there",
            slots_words(&wrong),
            words((oldest + 59) / 60 * 60)
        )
    })
}

/// The runs of the reference week whose miss the alert tells later than
/// its threshold after their due finish, in words.
pub(crate) fn late(
    schedules: &[&Schedule],
    budget: i64,
    threshold: i64,
    threshold_at: &dyn Fn(i64) -> Option<i64>,
) -> Option<String> {
    let fires = cadence::fires(
        schedules,
        REFERENCE_MONDAY - 3 * WEEK,
        REFERENCE_MONDAY + 4 * WEEK,
    );
    let mut told = Vec::new();
    let mut seen = BTreeSet::new();
    for &s in fires
        .iter()
        .filter(|&&s| (REFERENCE_MONDAY..REFERENCE_MONDAY + WEEK).contains(&s))
    {
        let mut worst: Option<(i64, Option<i64>)> = None;
        for duration in [60, (budget - 60).max(60)] {
            let ends: Vec<i64> = fires
                .iter()
                .filter(|&&f| f != s)
                .map(|f| f + duration)
                .collect();
            let due = s + duration;
            let fire = cadence::first_firing(threshold_at, &ends, s, s + 2 * WEEK);
            let delay = fire.map_or(i64::MAX, |f| f - due);
            if worst.is_none_or(|(d, _)| delay > d) {
                worst = Some((delay, fire));
            }
        }
        let Some((delay, fire)) = worst else { continue };
        if delay > threshold && seen.insert(cadence::civil(s).dow) {
            told.push(match fire {
                Some(f) => format!(
                    "a missed {} run is told only at {}, {} after it was due to finish",
                    when(s),
                    when(f),
                    words(delay / 60 * 60)
                ),
                None => format!("a missed {} run is never told", when(s)),
            });
        }
    }
    (!told.is_empty()).then(|| format!("{}: longer than its {}", told.join("; "), words(threshold)))
}

fn when(t: i64) -> String {
    let c = cadence::civil(t);
    format!(
        "{} {:02}:{:02}",
        DAY_NAMES[c.dow as usize], c.hour, c.minute
    )
}

/// "Saturday, Monday 00:00 to 00:59".
fn slots_words(slots: &BTreeSet<Slot>) -> String {
    let mut by_day: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    for s in slots {
        by_day.entry(s.dow.unwrap_or(0)).or_default().push(s.hour);
    }
    // Weeks read from Monday.
    let mut days: Vec<(u8, Vec<u8>)> = by_day.into_iter().collect();
    days.sort_by_key(|(d, _)| (d + 6) % 7);
    days.into_iter()
        .map(|(d, hours)| {
            let name = DAY_NAMES[d as usize];
            if hours.len() == 24 {
                return name.to_owned();
            }
            let mut ranges: Vec<(u8, u8)> = Vec::new();
            for h in hours {
                match ranges.last_mut() {
                    Some((_, end)) if *end + 1 == h => *end = h,
                    _ => ranges.push((h, h)),
                }
            }
            let ranges: Vec<String> = ranges
                .into_iter()
                .map(|(a, b)| format!("{a:02}:00 to {b:02}:59"))
                .collect();
            format!("{name} {}", ranges.join(" and "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A condition on the calendar, as the alert's `and on() (...)` writes it.
#[derive(Debug)]
enum Cond {
    Any(Vec<Cond>),
    All(Vec<Cond>),
    Compare(Field, String, i64),
}

#[derive(Debug, Clone, Copy)]
enum Field {
    DayOfWeek,
    Hour,
}

impl Cond {
    fn holds(&self, dow: u8, hour: u8) -> bool {
        match self {
            Cond::Any(cs) => cs.iter().any(|c| c.holds(dow, hour)),
            Cond::All(cs) => cs.iter().all(|c| c.holds(dow, hour)),
            Cond::Compare(field, op, n) => {
                let v = i64::from(match field {
                    Field::DayOfWeek => dow,
                    Field::Hour => hour,
                });
                match op.as_str() {
                    ">" => v > *n,
                    ">=" => v >= *n,
                    "<" => v < *n,
                    "<=" => v <= *n,
                    "==" => v == *n,
                    "!=" => v != *n,
                    _ => false,
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Word(String),
    Num(i64),
    Op(String),
    /// A selector's `{...}`, or anything else.
    Other,
}

fn tokens(expr: &str) -> Vec<Tok> {
    let text: String = expr
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::Open);
            i += 1;
        } else if c == ')' {
            out.push(Tok::Close);
            i += 1;
        } else if c == '{' {
            // Skip the selector, strings and all.
            let mut quote = None;
            while i < chars.len() {
                match (quote, chars[i]) {
                    (None, '}') => break,
                    (None, q @ ('"' | '\'' | '`')) => quote = Some(q),
                    (Some(q), ch) if ch == q => quote = None,
                    (Some(_), '\\') => i += 1,
                    _ => {}
                }
                i += 1;
            }
            out.push(Tok::Other);
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(
                text.parse::<f64>()
                    .map_or(Tok::Other, |n| Tok::Num(n as i64)),
            );
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if [">=", "<=", "==", "!="].contains(&two.as_str()) {
                out.push(Tok::Op(two));
                i += 2;
            } else {
                out.push(Tok::Op(c.to_string()));
                i += 1;
            }
        }
    }
    out
}

/// The threshold a hand-written "not completed" alert checks in each hour
/// of the week, by `day_of_week() * 24 + hour()`; None when its expression
/// is not made of terms lint can read.
pub(crate) fn weekly_thresholds(expr: &str) -> Option<Vec<Option<i64>>> {
    let terms = hand_terms(expr)?;
    Some(
        (0..7 * 24)
            .map(|i| {
                let (dow, hour) = ((i / 24) as u8, (i % 24) as u8);
                terms
                    .iter()
                    .filter(|(_, cond)| cond.as_ref().is_none_or(|c| c.holds(dow, hour)))
                    .map(|(x, _)| *x)
                    .min()
            })
            .collect(),
    )
}

/// A hand-written alert's terms: each a threshold in seconds and the
/// condition that selects its hours (None: every hour). None when the
/// expression is not of that form.
fn hand_terms(expr: &str) -> Option<Vec<(i64, Option<Cond>)>> {
    let toks = tokens(expr);
    // Split at `or` outside parentheses.
    let mut terms: Vec<&[Tok]> = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => depth -= 1,
            Tok::Word(w) if w == "or" && depth == 0 => {
                terms.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&toks[start..]);
    terms.into_iter().map(term).collect()
}

fn term(toks: &[Tok]) -> Option<(i64, Option<Cond>)> {
    let word = |w: &str| Tok::Word(w.to_owned());
    let time = [word("time"), Tok::Open, Tok::Close, Tok::Op("-".into())];
    let at = toks
        .windows(5)
        .position(|w| w[..4] == time && matches!(w[4], Tok::Num(_)))?;
    let Tok::Num(threshold) = toks[at + 4] else {
        return None;
    };
    let on = [word("and"), word("on"), Tok::Open, Tok::Close, Tok::Open];
    let Some(c) = toks.windows(5).position(|w| w == on) else {
        return Some((threshold, None));
    };
    let mut p = Parser {
        toks: &toks[c + 4..],
        at: 0,
    };
    let cond = p.atom()?;
    Some((threshold, Some(cond)))
}

struct Parser<'a> {
    toks: &'a [Tok],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn any(&mut self) -> Option<Cond> {
        let mut parts = vec![self.all()?];
        while self.peek() == Some(&Tok::Word("or".into())) {
            self.at += 1;
            parts.push(self.all()?);
        }
        Some(Cond::Any(parts))
    }

    fn all(&mut self) -> Option<Cond> {
        let mut parts = vec![self.atom()?];
        while self.peek() == Some(&Tok::Word("and".into())) {
            self.at += 1;
            parts.push(self.atom()?);
        }
        Some(Cond::All(parts))
    }

    fn atom(&mut self) -> Option<Cond> {
        match self.next()? {
            Tok::Open => {
                let c = self.any()?;
                (self.next()? == Tok::Close).then_some(c)
            }
            Tok::Word(w) => {
                let field = match w.as_str() {
                    "day_of_week" => Field::DayOfWeek,
                    "hour" => Field::Hour,
                    _ => return None,
                };
                (self.next()? == Tok::Open && self.next()? == Tok::Close).then_some(())?;
                let Tok::Op(op) = self.next()? else {
                    return None;
                };
                let Tok::Num(n) = self.next()? else {
                    return None;
                };
                Some(Cond::Compare(field, op, n))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::chart;

    const VALUES: &str = "cronjobs:
  staging:
    content-store-postgres:
      schedule: \"6 22 * * 0-4\"
      operations: [{op: restore}, {op: backup}]
    chat-postgres:
      schedule: \"47 1 * * 1-5\"
      operations: [{op: restore}, {op: backup}]
";

    fn rules(weekday: &str, sunday: &str) -> String {
        format!(
            "groups:
  - name: Staging
    rules:
      - alert: Database backup/restore not completed - Weekday backups
        expr: >-
          (db_backup_job_status_timestamp_seconds{{state=\"succeeded\", database_instance=~\"chat-postgres\"}}
          and on() ({weekday}))
          < time() - 90000 # 25 hours ago
      - alert: Database backup/restore not completed - Sunday to Thursday backups
        expr: >-
          (db_backup_job_status_timestamp_seconds{{state=\"succeeded\", database_instance=~\"content-store-postgres\"}}
          and on() ({sunday}))
          < time() - 90000
          or
          (db_backup_job_status_timestamp_seconds{{state=\"succeeded\", database_instance=~\"content-store-postgres\"}}
          and on() (day_of_week() == 0 or (day_of_week() == 1 and hour() <= 1)))
          < time() - 262800
"
        )
    }

    /// A catalogue whose staging alert keeps GOV.UK's Sunday-to-Thursday
    /// window (Monday to Thursday at 25 hours), with these kept entries.
    fn kept_catalogue(kept: &str) -> String {
        let databases =
            "  content-store-postgres:\n    production: 6 1 * * *\n    staging: 6 22 * * 0-4\n";
        format!(
            "alerts:\n  not_completed:\n    kept:\n{kept}{}",
            crate::lint::testing::estate(databases)
        )
    }

    #[test]
    fn a_kept_window_is_judged_as_a_charts_alert() {
        use crate::lint::testing::catalogue;
        let found = catalogue(
            &RULE,
            &kept_catalogue(
                "      - environment: staging\n        alert: Sunday to Thursday\n        checks:\n          - {threshold: 25h, days: [monday, tuesday, wednesday, thursday]}\n",
            ),
        );
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(found.len(), 2, "{messages:#?}");
        let says = |what: &str| messages.iter().any(|m| m.contains(what));
        assert!(
            says("it fires while every run is on time, on Monday 00:00"),
            "{messages:#?}"
        );
        assert!(
            says("a missed Thursday 22:06 run is told only at Monday 00:00"),
            "{messages:#?}"
        );
        assert!(messages.iter().all(|m| m.contains("delete this entry")));
        assert!(
            found
                .iter()
                .all(|d| d.job.as_deref() == Some("content-store-postgres"))
        );
        // The derived window has nothing to tell.
        let derived = kept_catalogue("").replace(
            "    kept:\n",
            "    grace: [{runs_every: 1d, grace: 1h}, {runs_every: 1w, grace: 12h}]\n",
        );
        assert_eq!(catalogue(&RULE, &derived), vec![]);
    }

    #[test]
    fn a_kept_entry_that_names_no_alert_is_told() {
        let found = crate::lint::testing::catalogue(
            &RULE,
            &kept_catalogue(
                "      - environment: staging\n        alert: Weekday\n        instances: [content-store-postgres]\n",
            ),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("no \"not completed\" alert is named \"Weekday\"")
        );
    }

    #[test]
    fn reads_terms_as_prometheus_would() {
        let terms = hand_terms(
            "(x{a=\"b\"} and on() (day_of_week() > 1 and day_of_week() <=5)) < time() - 90000 # c",
        )
        .unwrap();
        assert_eq!(terms.len(), 1);
        assert_eq!(terms[0].0, 90_000);
        let cond = terms[0].1.as_ref().unwrap();
        let days: Vec<u8> = (0..7).filter(|&d| cond.holds(d, 3)).collect();
        assert_eq!(days, [2, 3, 4, 5]);
        assert!(hand_terms("x{} < time() - 60").unwrap()[0].1.is_none());
        assert!(hand_terms("x{} and on() (minute() > 3) < time() - 60").is_none());
    }

    /// GOV.UK's weekday window to Saturday (until April 2026) fires every
    /// Saturday; the Sunday-to-Thursday window without Friday tells a
    /// missed Thursday run on Sunday, and checking Monday from 00:00 fires
    /// while a slow Sunday run is still going.
    #[test]
    fn fires_on_windows_that_do_not_fit() {
        let text = rules(
            "day_of_week() > 1 and day_of_week() <= 6",
            "day_of_week() > 0 and day_of_week() <= 4",
        );
        let found = chart(&RULE, VALUES, &[], &[("staging/x.yaml", &text)]);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(found.len(), 3, "{messages:#?}");
        let chat = found
            .iter()
            .find(|d| d.job.as_deref() == Some("chat-postgres"))
            .unwrap();
        assert!(
            chat.message
                .contains("fires while every run is on time, on Saturday 02:00 to 23:59"),
            "{}",
            chat.message
        );
        let store: Vec<&str> = found
            .iter()
            .filter(|d| d.job.as_deref() == Some("content-store-postgres"))
            .map(|d| d.message.as_str())
            .collect();
        assert!(
            store[0].contains(
                "a missed Thursday 22:06 run is told only at Sunday 01:05, 49 hours after"
            ),
            "{store:#?}"
        );
        assert!(store[1].contains("on Monday 00:00 to 00:59"), "{store:#?}");
    }

    #[test]
    fn quiet_when_the_windows_fit() {
        let text = rules(
            "day_of_week() > 1 and day_of_week() <= 5",
            "(day_of_week() > 1 and day_of_week() <= 4) or (day_of_week() == 5 and hour() <= 22) or (day_of_week() == 1 and hour() >= 2)",
        );
        let found = chart(&RULE, VALUES, &[], &[("staging/x.yaml", &text)]);
        assert_eq!(found, vec![]);
    }
}
