use crate::lint::alerts::{AlertRules, Kind};
use crate::lint::{Context, JobRef, Mode};
use crate::model::diagnostic::Diagnostic;
use crate::render::rules::{self, RulesError};
use crate::render::templates::Templates;

declare_rule! {
    /// A suspended job still covered by a not-completed alert, or a running job covered by none.
    ///
    /// ## What it catches
    /// In chart mode, lint reads the hand-written rules under
    /// `charts/monitoring-config/rules/` (common files at the top, one
    /// folder per environment) and evaluates each "not completed" alert's
    /// selector (`database_instance=~"..."`, `operation="backup"`, ...)
    /// against each job's host and operations. It reports:
    ///
    /// - a suspended job that an alert still watches, unless a running job
    ///   on the same host keeps that alert's series fresh;
    /// - a running job that no "not completed" alert watches;
    /// - once, a chart with no "not completed" alert at all (GOV.UK's
    ///   rules exist from 2026-02).
    ///
    /// For a catalogue, lint derives the alert rules `envsync render` writes
    /// and reads their selectors the same way: every running job is watched unless its
    /// schedule is one no "not completed" alert can check.
    ///
    /// ## Why it matters
    /// Suspending a job used to mean editing values.yaml, the rules and
    /// their tests in one change. Miss the rules and the alert fires a day
    /// later and every evaluation after; miss a new job and nobody hears
    /// when it stops succeeding.
    ///
    /// ## Example
    /// ```yaml
    ///   staging:
    ///     ckan-postgres:
    ///       suspend: true          # but staging's "Weekly backups" alert
    ///                              # still matches ckan-postgres
    /// ```
    ///
    /// ## How to fix
    /// Take the host out of (or add it to) the alert's `database_instance`
    /// matcher in the environment's rules file, with the rules' tests; or
    /// move to a catalogue, which derives the rules.
    name: "alert-coverage",
    severity: Warning,
    check: check,
}

/// An alert that watches a job: its name and where it is.
struct Watch {
    name: String,
    place: Option<String>,
    /// It also watches a running job on the same host.
    shared: bool,
}

fn check(ctx: &Context) -> Vec<Diagnostic> {
    let derived;
    let alerts = match (ctx.mode, ctx.alerts) {
        (Mode::Chart, Some(alerts))
            if alerts.alerts.iter().any(|a| a.kind == Kind::NotCompleted) =>
        {
            alerts
        }
        (Mode::Chart, _) => return no_rules(ctx),
        (Mode::Catalogue, _) => match derive(ctx) {
            Ok(alerts) => {
                derived = alerts;
                &derived
            }
            Err(findings) => return findings,
        },
    };
    let mut out = Vec::new();
    for (r, env, job) in ctx.jobs() {
        if ctx.schedule(r).is_none() {
            continue;
        }
        let watches = watches(ctx, alerts, r);
        if ctx.suspended(r) {
            let Some(w) = watches.iter().find(|w| !w.shared) else {
                continue;
            };
            let place = w
                .place
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default();
            let message = format!(
                "`{}` is suspended, but `{}`{place} still watches host `{}` in {}: it fires once the last success is older than it allows, and every evaluation after",
                job.name,
                w.name,
                job.host(),
                env.name
            );
            let at = ctx.place(r, &["suspend"]);
            out.push(ctx.at_job(&RULE, r, at, message));
        } else if watches.is_empty() {
            let message = format!(
                "no \"not completed\" alert in {} watches host `{}`: nobody hears when `{}` stops succeeding",
                env.name,
                job.host(),
                job.name
            );
            out.push(ctx.at_job(&RULE, r, job.origin.job, message));
        }
    }
    out
}

/// A chart with no "not completed" alert at all: one finding, not one per
/// job.
fn no_rules(ctx: &Context) -> Vec<Diagnostic> {
    let running = ctx.jobs().filter(|(r, _, _)| ctx.runs(*r)).count();
    if running == 0 {
        return Vec::new();
    }
    let message = format!(
        "the chart has no \"not completed\" alert rules (charts/monitoring-config/rules/): nobody hears when any of its {running} running jobs stops succeeding"
    );
    let at = ctx.find("/cronjobs").unwrap_or_default();
    vec![RULE.finding(ctx.path, at, message)]
}

fn watches(ctx: &Context, alerts: &AlertRules, r: JobRef) -> Vec<Watch> {
    let env = ctx.env(r);
    let job = ctx.job(r);
    alerts
        .not_completed(&env.name, job)
        .map(|a| {
            let shared = ctx.jobs_on_host(r.env, job.host()).iter().any(|&j| {
                let other = JobRef { env: r.env, job: j };
                other != r && ctx.runs(other) && a.watches_job(ctx.job(other))
            });
            Watch {
                name: a.name.clone(),
                // The place of a rendered rule is in no file yet.
                place: (ctx.mode == Mode::Chart).then(|| a.place()),
                shared,
            }
        })
        .collect()
}

/// The alerts a catalogue renders, their selectors read as a chart's are. A
/// schedule the rules cannot check is this rule's finding; other problems
/// rendering them are `envsync render`'s to report.
fn derive(ctx: &Context) -> Result<AlertRules, Vec<Diagnostic>> {
    let templates = Templates::load(None).map_err(|_| Vec::new())?;
    match rules::alerts(ctx.plan, &templates) {
        Ok(alerts) => Ok(AlertRules::from_rendered(alerts)),
        Err(RulesError::Cadence {
            env,
            job,
            schedule,
            reason,
            ..
        }) => {
            let found = ctx
                .plan
                .environments
                .iter()
                .position(|e| e.name == env)
                .and_then(|e| ctx.job_named(e, &job));
            let Some(r) = found else {
                return Err(Vec::new());
            };
            let message = format!(
                "no \"not completed\" alert can check `{schedule}`: {reason}; nobody hears when `{job}` stops succeeding in {env}"
            );
            let at = ctx.text_start(ctx.job(r).origin.schedule);
            Err(vec![ctx.at_job(&RULE, r, at, message)])
        }
        Err(_) => Err(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testing::{catalogue, chart, estate};

    const VALUES: &str = "cronjobs:
  staging:
    ckan-postgres:
      schedule: \"43 1 * * 0\"
      operations: [{op: restore}, {op: backup}]
    signon-mysql:
      schedule: \"3 1 * * 1-5\"
      operations: [{op: restore}]
    signon-mysql-restore:
      suspend: true
      host: signon-mysql
      schedule: \"0 0 * * 1\"
      operations: [{op: restore}]
";

    const RULES: &str = "groups:
  - name: Staging
    rules:
      - alert: Database backup/restore not completed - Weekly backups
        expr: >-
          db_backup_job_status_timestamp_seconds{
            state=\"succeeded\",
            database_instance=~\"ckan-postgres|signon-mysql\"
          } < time() - 648000
";

    #[test]
    fn fires_on_a_suspended_job_its_rules_still_cover() {
        let values = VALUES.replace(
            "    ckan-postgres:\n",
            "    ckan-postgres:\n      suspend: true\n",
        );
        let found = chart(&RULE, &values, &[], &[("staging/x.yaml", RULES)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].job.as_deref(), Some("ckan-postgres"));
        assert_eq!((found[0].line, found[0].column), (4, 16));
        assert!(found[0].message.contains("staging/x.yaml:4"), "{found:?}");
    }

    #[test]
    fn fires_on_a_running_job_no_alert_covers() {
        let values = VALUES.replace("ckan-postgres:", "chat-postgres:");
        let found = chart(&RULE, &values, &[], &[("staging/x.yaml", RULES)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].job.as_deref(), Some("chat-postgres"));
        let text = estate("  chat-postgres:\n    production: 0 0 30 2 *\n");
        assert_eq!(catalogue(&RULE, &text).len(), 1);
    }

    #[test]
    fn fires_once_on_a_chart_without_rules() {
        let found = chart(&RULE, VALUES, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].job, None);
        assert!(found[0].message.contains("2 running jobs"), "{found:?}");
    }

    #[test]
    fn quiet_when_coverage_fits() {
        // signon-mysql-restore is suspended, but the alert is there for
        // signon-mysql, which shares its host.
        let found = chart(&RULE, VALUES, &[], &[("staging/x.yaml", RULES)]);
        assert_eq!(found, vec![]);
        let text = estate(
            "  chat-postgres:\n    production: 1 1 * * *\n    staging: {schedule: 1 2 * * *, suspend: true}\n",
        );
        assert_eq!(catalogue(&RULE, &text), vec![]);
    }
}
