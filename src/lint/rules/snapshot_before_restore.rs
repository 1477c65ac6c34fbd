use crate::lint::Context;
use crate::lint::time::{self, T0};
use crate::model::diagnostic::Diagnostic;
use crate::model::search::{Action, SearchJob};
use jiff::{SignedDuration, Timestamp};

declare_rule! {
    /// A search index snapshot starts before the restore it should follow has finished.
    ///
    /// ## What it catches
    /// In an environment that restores a cluster from the environment
    /// above and also snapshots it for an environment below, each
    /// snapshot is paired with the
    /// cluster's restore nearest it, which is that cycle's. Lint reports a
    /// snapshot that starts before that restore is due to have finished:
    /// one that starts earlier in the night (staging's `green-es6-snapshot`
    /// at 02:37 with its restore from production at 03:00), or one that
    /// starts while the restore may still be running. A restore is taken
    /// to last `search.duration.restore` (default 30m) or the job's own
    /// `duration`; the message says which.
    ///
    /// ## Why it matters
    /// The snapshot is what the environment below restores. Taken before
    /// the restore, it holds the previous cycle's data, so the environment
    /// below copies data a day older than intended, and nothing fails to
    /// say so.
    ///
    /// ## Example
    /// ```yaml
    ///   green-es6:
    ///     staging: {restore: 00 3 * * *, snapshot: 37 2 * * *}
    /// ```
    ///
    /// ## How to fix
    /// Move the snapshot after the restore, leaving it time to finish
    /// (`{restore: 50 2 * * *, snapshot: 37 3 * * *}`), or if the restore
    /// is quicker than assumed, say so with its `duration`.
    name: "snapshot-before-restore",
    severity: Warning,
    timing: true,
    check: check,
}

const DAY: SignedDuration = SignedDuration::from_hours(24);

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let Some(search) = &ctx.plan.search else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for env in &search.environments {
        let running = |action| {
            env.jobs
                .iter()
                .filter(move |j| j.action == action && !j.suspended())
        };
        for snapshot in running(Action::Snapshot) {
            // Whose copy is late: the restores of this snapshot elsewhere.
            let readers: Vec<String> = search
                .jobs()
                .filter(|(_, j)| j.action == Action::Restore && !j.suspended())
                .filter(|(_, j)| {
                    j.cluster == snapshot.cluster && j.from.as_ref() == Some(&env.name)
                })
                .map(|(e, j)| format!("{}'s {}", e.name, j.name))
                .collect();
            if readers.is_empty() {
                continue;
            }
            for restore in running(Action::Restore).filter(|r| r.cluster == snapshot.cluster) {
                if let Some(message) = early(snapshot, restore, &readers.join(" and ")) {
                    let finding = RULE
                        .finding(ctx.path, ctx.text_start(snapshot.origin.schedule), message)
                        .at_job(&env.name, &snapshot.name);
                    out.push(finding);
                }
            }
        }
    }
    out
}

/// Why the snapshot's first run that starts before its cycle's restore
/// has finished does, if one does.
fn early(snapshot: &SearchJob, restore: &SearchJob, readers: &str) -> Option<String> {
    let (Ok(snapshots), Ok(restores)) = (snapshot.cron(), restore.cron()) else {
        return None;
    };
    let weekly = time::weekly(&snapshots) && time::weekly(&restores);
    let period = time::common_period(&snapshots, &restores);
    let takes = SignedDuration::from_secs(i64::try_from(restore.duration).unwrap_or(i64::MAX));
    // From the second day, so that a restore the day before is there.
    let start = T0 + DAY;
    for t in time::fires_in(&snapshots, start, start + period) {
        let before = time::latest_at_or_before(&restores, t);
        let after = restores.next_after(t).filter(|a| a.duration_since(t) < DAY);
        let nearest = match (before, after) {
            (Some(b), Some(a)) if a.duration_since(t) < t.duration_since(b) => a,
            (Some(b), _) => b,
            (None, Some(a)) => a,
            (None, None) => continue,
        };
        if nearest + takes <= t {
            continue;
        }
        let how = if nearest > t {
            format!("{} later", time::duration(nearest.duration_since(t)))
        } else {
            format!("{} earlier", time::duration(t.duration_since(nearest)))
        };
        return Some(format!(
            "the snapshot at {} starts before {}'s restore at {} ({how}) has finished, so it holds the cycle before's data and {readers} copies data a day older than intended; {}",
            when(t, weekly),
            restore.name,
            when(nearest, weekly),
            restore.assumed()
        ));
    }
    None
}

fn when(t: Timestamp, weekly: bool) -> String {
    time::when(t, weekly)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::catalogue;

    fn estate(staging: &str) -> String {
        format!(
            "environments:\n  production:\n  staging: {{restore_from: production}}\n  integration: {{restore_from: staging}}\ndatabases: {{}}\nsearch:\n  clusters:\n    green-es6:\n      subdomain: elasticsearch6\n      production: 51 1 * * *\n      staging: {staging}\n      integration: 35 4 * * 1\n"
        )
    }

    #[test]
    fn fires_on_a_snapshot_before_the_restore() {
        // The chart before 2026-07-30.
        let found = catalogue(
            &RULE,
            &estate("{restore: 00 3 * * *, snapshot: 37 2 * * *}"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].env.as_deref(), Some("staging"));
        assert_eq!(found[0].job.as_deref(), Some("green-es6-snapshot"));
        assert!(found[0].message.contains("23m later"), "{found:?}");
        assert!(
            found[0].message.contains("integration's green-es6-cp-stag"),
            "{found:?}"
        );
        assert!(found[0].message.contains("30m (the default"), "{found:?}");
    }

    #[test]
    fn fires_on_a_snapshot_during_the_restore() {
        let text = estate("{restore: {schedule: 50 2 * * *, duration: 1h}, snapshot: 37 3 * * *}");
        let found = catalogue(&RULE, &text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("47m earlier"), "{found:?}");
        assert!(
            found[0].message.contains("1h (as the catalogue says)"),
            "{found:?}"
        );
    }

    #[test]
    fn quiet_when_the_snapshot_follows_the_restore() {
        // The chart of today.
        let text = estate("{restore: 50 2 * * *, snapshot: 37 3 * * *}");
        assert_eq!(catalogue(&RULE, &text), vec![]);
        // Nor a snapshot that no environment below restores.
        let text = estate("{restore: 50 2 * * *, snapshot: 37 3 * * *}").replace(
            "integration: 35 4 * * 1",
            "integration: {restore: 06 17 * * *, snapshot: 37 5 * * 1}",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
        // Nor does a suspended restore count.
        let text = estate("{restore: {schedule: 00 3 * * *, suspend: true}, snapshot: 37 2 * * *}");
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
