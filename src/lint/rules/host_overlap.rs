use crate::cron::Schedule;
use crate::lint::time::{self, T0};
use crate::lint::{Context, JobRef};
use crate::model::diagnostic::Diagnostic;
use crate::model::search::SearchJob;
use jiff::{SignedDuration, Timestamp};

declare_rule! {
    /// Two jobs on one database host in one environment whose runs can overlap.
    ///
    /// ## What it catches
    /// Two running (not suspended) jobs in the same environment on the same
    /// host whose runs, each from its start for as long as its operations'
    /// "taking a long time" thresholds add up to, can be under way at the
    /// same time. Search index syncs count too, with the cluster in the
    /// place of the host and each job taken to last its duration (`search:
    /// duration`, or the job's own), which the finding states.
    ///
    /// ## Why it matters
    /// A restore drops and reloads a database while the other job dumps or
    /// restores beside it on the same server: the backup can capture a
    /// half-loaded database, and both compete for the host's CPU, memory
    /// and I/O. The alerts cannot tell the two apart either, since they key
    /// on the host.
    ///
    /// ## Example
    /// ```yaml
    ///   integration:
    ///     signon-mysql:
    ///       schedule: "3 3 * * *"
    ///     signon-mysql-restore:
    ///       host: signon-mysql
    ///       schedule: "3 3 * * 1"        # same minute on Mondays
    /// ```
    ///
    /// ## How to fix
    /// Move one job's schedule clear of the other's expected duration, or
    /// merge them into one job whose operations run in turn.
    name: "host-overlap",
    severity: Warning,
    timing: true,
    check: check,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut hosts: Vec<_> = ctx.shared_hosts().collect();
    hosts.sort_by_key(|(env, host, _)| (*env, *host));
    for (env, host, jobs) in hosts {
        let running: Vec<JobRef> = jobs
            .iter()
            .map(|&job| JobRef { env, job })
            .filter(|&r| ctx.runs(r))
            .collect();
        for (i, &a) in running.iter().enumerate() {
            for &b in &running[i + 1..] {
                let (Some(sa), Some(sb)) = (ctx.schedule(a), ctx.schedule(b)) else {
                    continue;
                };
                let Some((x, y, weekly)) = overlap((sa, ctx.duration(a)), (sb, ctx.duration(b)))
                else {
                    continue;
                };
                for (me, other, mine, theirs) in [(a, b, x, y), (b, a, y, x)] {
                    let message = format!(
                        "runs on host `{host}` at the same time as `{}`: its run from {} (up to {}) overlaps that job's from {} (up to {})",
                        ctx.job(other).name,
                        time::when(mine, weekly),
                        time::duration(ctx.duration(me)),
                        time::when(theirs, weekly),
                        time::duration(ctx.duration(other)),
                    );
                    let at = ctx.text_start(ctx.job(me).origin.schedule);
                    out.push(ctx.at_job(&RULE, me, at, message));
                }
            }
        }
    }
    search(ctx, &mut out);
    out
}

/// The search index syncs: two jobs of an environment on one cluster.
fn search(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(search) = &ctx.plan.search else {
        return;
    };
    for env in &search.environments {
        let running: Vec<(&SearchJob, Schedule, SignedDuration)> = env
            .jobs
            .iter()
            .filter(|job| !job.suspended())
            .filter_map(|job| {
                let takes = i64::try_from(job.duration).unwrap_or(i64::MAX);
                Some((job, job.cron().ok()?, SignedDuration::from_secs(takes)))
            })
            .collect();
        for (i, (a, sa, da)) in running.iter().enumerate() {
            for (b, sb, db) in running[i + 1..]
                .iter()
                .filter(|(b, ..)| b.cluster == a.cluster)
            {
                let Some((x, y, weekly)) = overlap((sa, *da), (sb, *db)) else {
                    continue;
                };
                for (me, other, mine, theirs) in [(a, b, x, y), (b, a, y, x)] {
                    let message = format!(
                        "runs on cluster `{}` at the same time as `{}`: its run from {} overlaps that job's from {}; {}",
                        me.cluster,
                        other.name,
                        time::when(mine, weekly),
                        time::when(theirs, weekly),
                        me.assumed(),
                    );
                    let at = ctx.text_start(me.origin.schedule);
                    out.push(
                        RULE.finding(ctx.path, at, message)
                            .at_job(&env.name, &me.name),
                    );
                }
            }
        }
    }
}

/// The first runs of two jobs, each a schedule and how long a run takes,
/// that overlap: (a's start, b's start, weekly).
fn overlap(
    (sa, da): (&Schedule, SignedDuration),
    (sb, db): (&Schedule, SignedDuration),
) -> Option<(Timestamp, Timestamp, bool)> {
    let period = time::common_period(sa, sb);
    let weekly = period == SignedDuration::from_hours(24 * 7);
    let runs_a = time::fires_in(sa, T0, T0 + period);
    // b's runs that can reach into the period, and past its end.
    let runs_b = time::fires_in(sb, T0 - db - SignedDuration::from_secs(1), T0 + period + da);
    for x in runs_a {
        // The first of b's runs still going at x or later...
        let i = runs_b.partition_point(|&y| y + db <= x);
        // ...overlaps if it starts before a's run ends.
        if let Some(&y) = runs_b.get(i)
            && y < x + da.max(SignedDuration::from_secs(1))
        {
            return Some((x, y, weekly));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    const VALUES: &str = "cronjobs:
  integration:
    signon-mysql:
      schedule: \"3 3 * * *\"
      operations: [{op: backup}]
    signon-mysql-restore:
      host: signon-mysql
      schedule: \"0 0 * * 1\"
      operations: [{op: restore}]
";

    #[test]
    fn fires_on_two_jobs_at_the_same_minute() {
        let values = VALUES.replace("\"0 0 * * 1\"", "\"3 3 * * 1\"");
        let found = chart(&RULE, &values, &[], &[]);
        assert_eq!(found.len(), 2, "{found:?}");
        let jobs: Vec<_> = found.iter().map(|d| d.job.as_deref().unwrap()).collect();
        assert_eq!(jobs, ["signon-mysql", "signon-mysql-restore"]);
        assert!(found[1].message.contains("Monday 03:03"), "{found:?}");
        // Within the other's hour counts too.
        let values = VALUES.replace("\"0 0 * * 1\"", "\"50 3 * * 1\"");
        assert_eq!(chart(&RULE, &values, &[], &[]).len(), 2);
    }

    #[test]
    fn fires_on_two_search_jobs_of_one_cluster_at_once() {
        let text = "environments: {production: , staging: {restore_from: production}}\ndatabases: {}\nsearch:\n  clusters:\n    green-es6:\n      production: 51 1 * * *\n      staging: {restore: 50 2 * * *, snapshot: 10 3 * * *}\n";
        let found = catalogue(&RULE, text);
        assert_eq!(found.len(), 2, "{found:?}");
        let jobs: Vec<_> = found.iter().map(|d| d.job.as_deref().unwrap()).collect();
        assert_eq!(jobs, ["green-es6-cp-prod", "green-es6-snapshot"]);
        assert!(
            found[0].message.contains("cluster `green-es6`"),
            "{found:?}"
        );
        assert!(found[0].message.contains("taken to last 30m"), "{found:?}");
        // 47 minutes apart is clear of a 30-minute restore.
        let apart = text.replace("10 3 * * *", "37 3 * * *");
        assert_eq!(catalogue(&RULE, &apart), vec![]);
    }

    #[test]
    fn quiet_when_apart_or_suspended() {
        assert_eq!(chart(&RULE, VALUES, &[], &[]), vec![]);
        let values = VALUES.replace("\"0 0 * * 1\"", "\"3 3 * * 1\"").replace(
            "    signon-mysql-restore:\n",
            "    signon-mysql-restore:\n      suspend: true\n",
        );
        assert_eq!(chart(&RULE, &values, &[], &[]), vec![]);
        // An hour apart is clear of a quick backup.
        let text = estate(
            "  signon-mysql:\n    production: 3 3 * * *\n  signon-mysql-copy:\n    host: signon-mysql\n    production: 3 4 * * *\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
