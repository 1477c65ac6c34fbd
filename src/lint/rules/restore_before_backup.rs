use crate::cron::Schedule;
use crate::lint::time::{self, T0};
use crate::lint::{Context, OpRef};
use crate::model::diagnostic::Diagnostic;
use crate::model::plan::Op;
use crate::model::search::Action as SearchAction;
use jiff::{SignedDuration, Timestamp};

declare_rule! {
    /// A restore can start before the source environment's backup of that database has finished, so it restores an older copy.
    ///
    /// ## What it catches
    /// For every run of a job that restores a database, the latest run of
    /// the source environment's job that backs that database up (from the
    /// same host into the bucket the restore reads) that started at or
    /// before it. If that backup may still be running when the restore
    /// starts, the restore reads the copy before it. A backup may run until
    /// its job's operations up to and including the backup have each
    /// taken their "taking a long time" threshold (backup quick 1h, slower
    /// 4h; restore 1h, 4h, 13h; transform 45m, 30m in integration).
    ///
    /// ## Why it matters
    /// The environment quietly gets data a day (or a week) older than
    /// intended, and the next environment down inherits it. The message
    /// says which copy the restore gets and how old it is, and the
    /// duration it assumed for each of the source job's operations, so a
    /// reader can judge it.
    ///
    /// ## Example
    /// ```yaml
    ///   content-data-api-postgres:
    ///     speed: {backup: slower, restore: slowest}
    ///     production: 35 23 * * *      # backup takes up to 4h: until 03:35
    ///     staging: 35 1 * * 6          # Saturday 01:35 gets Thursday's copy
    /// ```
    ///
    /// ## How to fix
    /// Start the restore after the source's backup is due to finish (here
    /// Saturday 03:35 or later), or start the source's backup earlier. If
    /// the older copy is fine, say so with an `allow` and a reason.
    name: "restore-before-backup",
    severity: Warning,
    timing: true,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (r, _, job) in ctx.jobs() {
        if !ctx.runs(r) {
            continue;
        }
        let Some(schedule) = ctx.schedule(r) else {
            continue;
        };
        let mut first: Option<String> = None;
        let mut also = Vec::new();
        for (i, op) in job.operations.iter().enumerate() {
            if op.kind() != Some(Op::Restore) {
                continue;
            }
            let db = job.db_of(op).unwrap_or_default();
            let here = OpRef {
                env: r.env,
                job: r.job,
                op: i,
            };
            let bucket = ctx.bucket_of(here);
            let Some(source) = ctx
                .backups_of(bucket, job.host(), db)
                .iter()
                .copied()
                .find(|b| b.job() != r && ctx.runs(b.job()))
            else {
                continue;
            };
            let Some(source_schedule) = ctx.schedule(source.job()) else {
                continue;
            };
            let ready = ctx.done_after(source);
            let Some(stale) = stale(schedule, source_schedule, ready) else {
                continue;
            };
            if first.is_some() {
                also.push(format!("`{db}`"));
                continue;
            }
            let weekly = stale.weekly;
            let got = match stale.got {
                Some(got) => format!(
                    "restores {}'s backup, {} old,",
                    time::when(got, weekly),
                    time::duration(stale.restore.duration_since(got))
                ),
                None => "restores an older backup".to_owned(),
            };
            let source_env = &ctx.env(source.job()).name;
            let gap = stale.restore.duration_since(stale.source);
            let starts = if gap.is_zero() {
                "this restore starts at the same minute".to_owned()
            } else {
                format!("this restore starts {} after it", time::duration(gap))
            };
            let mut message = format!(
                "{got} because {}'s may still be running: {source_env}'s `{}` backs `{db}` up within {} of starting ({}), and {starts}",
                time::when(stale.source, weekly),
                ctx.job(source.job()).name,
                time::duration(ready),
                assumed(ctx, source),
            );
            if stale.total > 1 {
                message.push_str(&format!(
                    " ({} of {} runs a {})",
                    stale.count,
                    stale.total,
                    if weekly { "week" } else { "year" }
                ));
            }
            first = Some(message);
        }
        if let Some(mut message) = first {
            if !also.is_empty() {
                message.push_str(&format!("; the same goes for {}", also.join(", ")));
            }
            let at = ctx.text_start(job.origin.schedule);
            out.push(ctx.at_job(&RULE, r, at, message));
        }
    }
    out.extend(search(ctx));
    out
}

/// The durations assumed for the source job's operations up to and
/// including the backup: "restore 4h, transform 45m, backup 4h", with runs
/// of the same operation and duration counted ("backup 1h ×2").
fn assumed(ctx: &Context, source: OpRef) -> String {
    let job = source.job();
    let mut parts: Vec<(String, SignedDuration, usize)> = Vec::new();
    for op in &ctx.job(job).operations[..=source.op] {
        let d = ctx.op_budget(job, op);
        match parts.last_mut() {
            Some((o, last, n)) if *o == op.op && *last == d => *n += 1,
            _ => parts.push((op.op.clone(), d, 1)),
        }
    }
    let parts: Vec<String> = parts
        .into_iter()
        .map(|(op, d, n)| match n {
            1 => format!("{op} {}", time::duration(d)),
            n => format!("{op} {} ×{n}", time::duration(d)),
        })
        .collect();
    format!(
        "{}, each at its taking-a-long-time threshold",
        parts.join(", ")
    )
}

/// The first run of a restore that starts before its source's backup is
/// done, with the backup it gets instead.
struct Stale {
    restore: Timestamp,
    source: Timestamp,
    got: Option<Timestamp>,
    count: usize,
    total: usize,
    weekly: bool,
}

fn stale(restore: &Schedule, source: &Schedule, ready: SignedDuration) -> Option<Stale> {
    let period = time::common_period(restore, source);
    let fires = time::fires_in(restore, T0, T0 + period);
    let mut first = None;
    let mut count = 0;
    for &r in &fires {
        let Some(s) = time::latest_at_or_before(source, r) else {
            continue;
        };
        if s + ready > r {
            count += 1;
            first.get_or_insert((r, s));
        }
    }
    let (r, s) = first?;
    // The latest earlier backup that is done by the time the restore starts.
    let mut got = None;
    let mut t = s;
    for _ in 0..1000 {
        match time::latest_at_or_before(source, t - SignedDuration::from_secs(1)) {
            Some(prev) if prev + ready <= r => {
                got = Some(prev);
                break;
            }
            Some(prev) => t = prev,
            None => break,
        }
    }
    Some(Stale {
        restore: r,
        source: s,
        got,
        count,
        total: fires.len(),
        weekly: period == SignedDuration::from_hours(24 * 7),
    })
}

/// The search index restores: each restore of a cluster paired with the
/// latest snapshot of that cluster in its source environment before it,
/// reported when that snapshot may not have finished.
fn search(ctx: &Context) -> Vec<Diagnostic> {
    let Some(search) = &ctx.plan.search else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (env, restore) in search.jobs() {
        let Some(from) = restore.from.as_deref() else {
            continue;
        };
        if restore.action != SearchAction::Restore || restore.suspended() {
            continue;
        }
        let snapshots = search
            .environments
            .iter()
            .filter(|e| e.name == from)
            .flat_map(|e| &e.jobs)
            .filter(|j| j.action == SearchAction::Snapshot && !j.suspended())
            .filter(|j| j.cluster == restore.cluster);
        for snapshot in snapshots {
            let (Ok(restores), Ok(taken)) = (restore.cron(), snapshot.cron()) else {
                continue;
            };
            let weekly = time::weekly(&restores) && time::weekly(&taken);
            let period = time::common_period(&restores, &taken);
            let takes =
                SignedDuration::from_secs(i64::try_from(snapshot.duration).unwrap_or(i64::MAX));
            let start = T0 + SignedDuration::from_hours(24 * 8);
            let early = time::fires_in(&restores, start, start + period)
                .into_iter()
                .find_map(|t| {
                    let s = time::latest_at_or_before(&taken, t)?;
                    (s + takes > t).then_some((t, s))
                });
            if let Some((t, s)) = early {
                let message = format!(
                    "the restore at {} starts {} after {from}'s {} at {}, before it is due to finish, so it may restore the snapshot before; {}",
                    time::when(t, weekly),
                    time::duration(t.duration_since(s)),
                    snapshot.name,
                    time::when(s, weekly),
                    snapshot.assumed()
                );
                let at = ctx.text_start(restore.origin.schedule);
                out.push(
                    RULE.finding(ctx.path, at, message)
                        .at_job(&env.name, &restore.name),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search_estate(production: &str) -> String {
        format!(
            "environments:\n  production:\n  staging: {{restore_from: production}}\ndatabases: {{}}\nsearch:\n  clusters:\n    green-es6:\n      production: {production}\n      staging: {{restore: 50 2 * * *, snapshot: 37 3 * * *}}\n"
        )
    }

    #[test]
    fn fires_on_a_search_restore_before_its_snapshot_is_done() {
        let found = crate::lint::testing::catalogue(&RULE, &search_estate("31 2 * * *"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].job.as_deref(), Some("green-es6-cp-prod"));
        assert!(
            found[0]
                .message
                .contains("19m after production's green-es6-snapshot"),
            "{found:?}"
        );
        assert!(found[0].message.contains("30m (the default"), "{found:?}");
    }

    #[test]
    fn quiet_on_a_search_restore_after_its_snapshot() {
        // GOV.UK's schedule: 59 minutes after production's snapshot.
        let found = crate::lint::testing::catalogue(&RULE, &search_estate("51 1 * * *"));
        assert_eq!(found, vec![]);
    }
    use crate::lint::testing::{catalogue, chart, estate};

    #[test]
    fn fires_when_the_backup_may_still_be_running() {
        let text = estate(
            "  content-data-api-postgres:\n    speed: {backup: slower, restore: slowest}\n    production: 35 23 * * *\n    staging: 35 1 * * 6\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!((d.env.as_deref(), d.line), (Some("staging"), 9));
        assert!(
            d.message.starts_with(
                "restores Thursday 23:35's backup, 26h old, because Friday 23:35's may still be running"
            ),
            "{}",
            d.message
        );
        // The duration it assumed, so a reader can judge it.
        assert!(
            d.message.contains(
                "within 4h of starting (backup 4h, each at its taking-a-long-time threshold)"
            ),
            "{}",
            d.message
        );
    }

    #[test]
    fn fires_on_a_restore_30_minutes_after_the_backup_starts() {
        let values = "cronjobs:\n  production:\n    chat-postgres:\n      schedule: \"47 23 * * *\"\n      operations: [{op: backup}]\n  staging:\n    chat-postgres:\n      schedule: \"17 0 * * *\"\n      operations:\n        - {op: restore, bucket: s3://govuk-production-database-backups}\n";
        let found = chart(&RULE, values, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("24h 30m old"), "{found:?}");
        assert!(
            found[0].message.contains("(7 of 7 runs a week)"),
            "{found:?}"
        );
    }

    #[test]
    fn counts_each_earlier_database_of_the_source_job() {
        let text = estate(
            "  shared-documentdb:\n    production: {schedule: 13 0 * * *, operations: [{op: backup, db: a}, {op: backup, db: b}]}\n    staging: {schedule: 13 1 * * *, operations: [{op: restore, db: b, from: production}]}\n",
        );
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("backs `b` up within 2h of starting (backup 1h ×2, each"),
            "{found:?}"
        );
        // The first database is due an hour in: a restore of it at 01:13 is in time.
        let text = text.replace("{op: restore, db: b", "{op: restore, db: a");
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }

    #[test]
    fn quiet_when_the_backup_is_done() {
        let text = estate(
            "  content-data-api-postgres:\n    speed: {backup: slower, restore: slowest}\n    production: 35 23 * * *\n    staging: 35 3 * * 6\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
        // Exactly when the budget runs out is in time.
        let text =
            estate("  chat-postgres:\n    production: 47 23 * * *\n    staging: 47 0 * * *\n");
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
