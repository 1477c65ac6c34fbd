//! Alert rules: rendered from the GOV.UK chart's values (speed groups
//! recovered from today's hand-written rules), they check with promtool,
//! pass their generated tests and yamllint, mean the same as the
//! hand-written rules, and follow changes to the catalogue.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use envsync::model::plan::{Plan, Speed};
use envsync::output::File;
use envsync::render::rules;
use envsync::render::templates::Templates;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const NEWEST: &str = "2026-08-14-8603dc7c41";

/// The newest case: its values imported into a plan, speeds from its rules.
fn govuk_plan(case: &str) -> Option<(Plan, PathBuf)> {
    let dir = common::conformance_dir()?.join(case);
    let values = dir.join("values.yaml");
    let text = std::fs::read_to_string(&values).unwrap();
    let mut plan = envsync::read::values::import(&values, &text).unwrap_or_else(|e| panic!("{e}"));
    let rules_dir = dir.join("rules");
    envsync::read::rules::import_speeds(&mut plan, &rules_dir).unwrap_or_else(|e| panic!("{e}"));
    Some((plan, rules_dir))
}

fn render(plan: &Plan) -> Vec<File> {
    let templates = Templates::load(None).unwrap();
    rules::render(plan, &templates).unwrap_or_else(|e| panic!("{e}"))
}

fn write(files: &[File]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &f.contents).unwrap();
    }
    dir
}

fn paths(dir: &Path, files: &[File], tests: bool) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| f.path.to_string_lossy().ends_with("_tests.yaml") == tests)
        .map(|f| dir.join(&f.path))
        .collect()
}

/// promtool check + test and yamllint on a render.
fn check_with_tools(files: &[File]) {
    let dir = write(files);
    common::promtool_check_rules(paths(dir.path(), files, false));
    common::promtool_test_rules(paths(dir.path(), files, true));
    common::yamllint(dir.path());
}

#[test]
fn govuk_rules_check_and_pass_their_generated_tests() {
    let Some((plan, _)) = govuk_plan(NEWEST) else {
        return;
    };
    let files = render(&plan);
    let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    assert_eq!(
        names,
        [
            "database_backups_and_syncs_alerts.yaml",
            "database_backups_and_syncs_alerts_tests.yaml",
            "production/database_backups_and_syncs_production_only_alerts.yaml",
            "production/database_backups_and_syncs_production_only_alerts_tests.yaml",
            "staging/database_backups_and_syncs_staging_only_alerts.yaml",
            "staging/database_backups_and_syncs_staging_only_alerts_tests.yaml",
            "integration/database_backups_and_syncs_integration_only_alerts.yaml",
            "integration/database_backups_and_syncs_integration_only_alerts_tests.yaml",
        ]
    );
    if let Ok(out) = std::env::var("ENVSYNC_RULES_OUT") {
        for f in &files {
            let path = Path::new(&out).join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, &f.contents).unwrap();
        }
    }
    check_with_tools(&files);
}

/// One alerting rule, read from a rules file.
#[derive(Debug)]
struct Alert {
    name: String,
    for_: Option<u64>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    expr: String,
}

fn read_alerts(text: &str) -> Vec<Alert> {
    let doc: serde_json::Value = serde_saphyr::from_str(text).unwrap();
    let mut out = Vec::new();
    for group in doc["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            let map = |v: &serde_json::Value| -> BTreeMap<String, String> {
                v.as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            out.push(Alert {
                name: rule["alert"].as_str().unwrap().to_owned(),
                for_: rule["for"].as_str().map(|d| {
                    envsync::model::alerts::Duration::parse(d)
                        .unwrap()
                        .as_secs()
                }),
                labels: map(&rule["labels"]),
                annotations: map(&rule["annotations"]),
                expr: rule["expr"].as_str().unwrap().to_owned(),
            });
        }
    }
    out
}

fn group_name(text: &str) -> String {
    let doc: serde_json::Value = serde_saphyr::from_str(text).unwrap();
    doc["groups"][0]["name"].as_str().unwrap().to_owned()
}

/// A PromQL label matcher: (label, operator, value).
type Matcher = (String, String, String);

/// Splits an expression into its selector's matchers and the rest, with
/// comments and all white space removed from the rest.
fn split_expr(expr: &str) -> (Vec<Matcher>, String) {
    let no_comments: String = expr
        .lines()
        .map(|l| match l.find('#') {
            // No '#' inside the strings of these expressions.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let Some(open) = no_comments.find('{') else {
        let rest = no_comments.chars().filter(|c| !c.is_whitespace()).collect();
        return (Vec::new(), rest);
    };
    let close = no_comments.find('}').unwrap();
    let inner = &no_comments[open + 1..close];
    let mut matchers = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let at = part.find(['=', '!']).unwrap();
        let label = part[..at].trim().to_owned();
        let rest = &part[at..];
        let op_len = rest.find('"').unwrap();
        let op = rest[..op_len].trim().to_owned();
        let value: String = serde_json::from_str(rest[op_len..].trim()).unwrap();
        matchers.push((label, op, value));
    }
    let rest = format!(
        "{}SELECTOR{}",
        &no_comments[..open],
        &no_comments[close + 1..]
    );
    let rest: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    (matchers, rest)
}

/// The names of `universe` that a list of `database_instance` matchers
/// selects (a missing matcher selects all).
fn selected(matchers: &[Matcher], universe: &BTreeSet<String>) -> BTreeSet<String> {
    universe
        .iter()
        .filter(|name| {
            matchers
                .iter()
                .filter(|m| m.0 == "database_instance")
                .all(|(_, op, value)| {
                    let full = regex_full_match(value, name);
                    match op.as_str() {
                        "=~" => full,
                        "!~" => !full,
                        "=" => *name == value,
                        "!=" => *name != value,
                        other => panic!("matcher {other}"),
                    }
                })
        })
        .cloned()
        .collect()
}

/// Full-match of the simple regexes these rules use: alternatives of
/// literals, each possibly with one optional `(prefix)?` group.
fn regex_full_match(pattern: &str, name: &str) -> bool {
    pattern.split('|').any(|alt| {
        let alt = alt.replace("\\.", ".");
        if let Some(rest) = alt.strip_prefix('(') {
            let (optional, tail) = rest.split_once(")?").unwrap();
            name == tail || name == format!("{optional}{tail}")
        } else {
            name == alt
        }
    })
}

/// "Not completed" alerts whose expression differs from the hand-written
/// one by design: their threshold follows the schedule, where GOV.UK's one
/// window leaves missed runs untold for days (a Thursday run of Sunday to
/// Thursday, a Monday weekday run). Their selectors, labels and
/// annotations still compare; what they do is checked by the suites in
/// tests/rules/ (`hand_written_suites_pass_on_both_rule_sets`).
const FOLLOWS_THE_SCHEDULE: &[&str] = &[
    "Database backup/restore not completed - Weekday backups",
    "Database backup/restore not completed - Sunday to Thursday backups",
];

/// Whether two rules files mean the same: the same group name, alert names,
/// `for`, labels and annotations, and expressions that differ only in white
/// space, comments and how the `database_instance` matcher lists the same
/// instances among `universe`. The first difference is the error.
fn same_meaning(
    theirs: &str,
    ours: &str,
    universe: &BTreeSet<String>,
    what: &str,
) -> Result<(), String> {
    fn same<T: PartialEq + std::fmt::Debug>(a: T, b: T, what: &str) -> Result<(), String> {
        if a == b {
            Ok(())
        } else {
            Err(format!("{what}:\n theirs: {a:?}\n   ours: {b:?}"))
        }
    }
    same(
        group_name(theirs),
        group_name(ours),
        &format!("{what}: group name"),
    )?;
    let (theirs, ours) = (read_alerts(theirs), read_alerts(ours));
    let names = |a: &[Alert]| a.iter().map(|a| a.name.clone()).collect::<BTreeSet<_>>();
    same(
        names(&theirs),
        names(&ours),
        &format!("{what}: alert names"),
    )?;
    same(theirs.len(), ours.len(), &format!("{what}: alert count"))?;
    for t in &theirs {
        let o = ours.iter().find(|o| o.name == t.name).unwrap();
        let ctx = format!("{what}: {}", t.name);
        same(t.for_, o.for_, &format!("{ctx}: for"))?;
        same(&t.labels, &o.labels, &format!("{ctx}: labels"))?;
        same(
            &t.annotations,
            &o.annotations,
            &format!("{ctx}: annotations"),
        )?;
        let (tm, trest) = split_expr(&t.expr);
        let (om, orest) = split_expr(&o.expr);
        if !FOLLOWS_THE_SCHEDULE.contains(&t.name.as_str()) {
            same(
                trest,
                orest,
                &format!("{ctx}: expression outside the selector"),
            )?;
        }
        let others = |m: &[Matcher]| {
            m.iter()
                .filter(|m| m.0 != "database_instance")
                .cloned()
                .collect::<BTreeSet<_>>()
        };
        same(others(&tm), others(&om), &format!("{ctx}: matchers"))?;
        same(
            selected(&tm, universe),
            selected(&om, universe),
            &format!("{ctx}: instances selected"),
        )?;
    }
    Ok(())
}

fn assert_same_meaning(theirs: &str, ours: &str, universe: &BTreeSet<String>, what: &str) {
    if let Err(e) = same_meaning(theirs, ours, universe, what) {
        panic!("{e}");
    }
}

/// Every database host of a plan, and names no job uses.
fn universe(plan: &Plan) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = plan.jobs().map(|(_, j)| j.host().to_owned()).collect();
    names.insert("unlisted-postgres".to_owned());
    names.insert("draft-unlisted-postgres".to_owned());
    names
}

#[test]
fn govuk_rules_mean_what_the_hand_written_ones_do() {
    let Some((plan, rules_dir)) = govuk_plan(NEWEST) else {
        return;
    };
    let files = render(&plan);
    let universe = universe(&plan);
    let mut compared = 0;
    for f in files
        .iter()
        .filter(|f| !f.path.to_string_lossy().ends_with("_tests.yaml"))
    {
        let theirs = std::fs::read_to_string(rules_dir.join(&f.path))
            .unwrap_or_else(|e| panic!("{}: {e}", f.path.display()));
        assert_same_meaning(
            &theirs,
            &f.contents,
            &universe,
            &f.path.display().to_string(),
        );
        compared += 1;
    }
    assert_eq!(compared, 4);
}

/// The comparison itself can fail.
#[test]
fn the_meaning_comparison_notices_differences() {
    let Some((plan, rules_dir)) = govuk_plan(NEWEST) else {
        return;
    };
    let universe = universe(&plan);
    let path = "staging/database_backups_and_syncs_staging_only_alerts.yaml";
    let theirs = std::fs::read_to_string(rules_dir.join(path)).unwrap();
    for (from, to) in [
        (
            "database_instance=~\"(draft-)?content-store-postgres\"",
            "database_instance=~\"content-store-postgres\"",
        ),
        ("for: 13h", "for: 12h"),
        ("time() - 648000", "time() - 640000"),
        (
            "did not succeed in the last week",
            "did not succeed in the last 7 days",
        ),
    ] {
        assert!(theirs.contains(from), "{from}");
        let changed = theirs.replacen(from, to, 1);
        let result =
            std::panic::catch_unwind(|| assert_same_meaning(&theirs, &changed, &universe, path));
        assert!(result.is_err(), "{from} -> {to} went unnoticed");
    }
}

/// The labels of a revision's rules, as settings.
fn labels_of(rules_dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(rules_dir.join(rules::COMMON_FILE)).unwrap();
    read_alerts(&text)[0].labels.clone()
}

/// Differences from the hand-written rules of older revisions, each a
/// mistake GOV.UK fixed later by hand (the first difference in the file).
const KNOWN_FIXES: &[(&str, &str, &str)] = &[
    // A test alert, removed the same day.
    (
        "2026-02-13-5cad4a38b0",
        "database_backups_and_syncs_alerts.yaml",
        "Test alert - please ignore",
    ),
    // The slower backups alert matched every operation.
    (
        "2026-02-13-678c1ebdd9",
        "production/",
        "Slower Databases: matchers",
    ),
    // The weekday window ran to Saturday until April 2026: the expression
    // of that alert is not compared (FOLLOWS_THE_SCHEDULE), and
    // `hand_written_suites_catch_the_old_weekday_window` shows the mistake.
    // Until July 2026 integration's weekly alert listed signon-mysql, the
    // one daily database, instead of excluding it.
    (
        "2026-02-17-863d2f2d1c",
        "integration/",
        "Weekly backups: instances selected",
    ),
    (
        "2026-04-13-42c3a3b0be",
        "integration/",
        "Weekly backups: instances selected",
    ),
    (
        "2026-04-13-a192eed237",
        "integration/",
        "Weekly backups: instances selected",
    ),
    (
        "2026-06-19-04cd99be31",
        "integration/",
        "Weekly backups: instances selected",
    ),
];

/// Every revision with rules, rendered with speeds and labels imported from
/// its own rules, means the same as its hand-written rules but for the
/// mistakes fixed since.
#[test]
fn older_revisions_mean_the_same_but_for_later_fixes() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let mut compared = 0;
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if !case.join("rules").is_dir() {
            continue;
        }
        let Some((mut plan, rules_dir)) = govuk_plan(&name) else {
            return;
        };
        plan.alerts.labels = labels_of(&rules_dir).into_iter().collect();
        let files = render(&plan);
        let universe = universe(&plan);
        for f in files
            .iter()
            .filter(|f| !f.path.to_string_lossy().ends_with("_tests.yaml"))
        {
            let path = f.path.display().to_string();
            let Ok(theirs) = std::fs::read_to_string(rules_dir.join(&f.path)) else {
                continue;
            };
            let known = KNOWN_FIXES
                .iter()
                .find(|(c, p, _)| *c == name && path.starts_with(p));
            match (same_meaning(&theirs, &f.contents, &universe, &path), known) {
                (Ok(()), None) => {}
                (Err(e), Some((_, _, what))) => assert!(e.contains(what), "{name}: {e}"),
                (Ok(()), Some(_)) => panic!("{name} {path}: the known difference is gone"),
                (Err(e), None) => panic!("{name}: {e}"),
            }
            compared += 1;
        }
    }
    assert!(compared >= 30, "{compared} files compared");
}

fn file<'a>(files: &'a [File], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == Path::new(path))
        .unwrap_or_else(|| panic!("no {path}"))
        .contents
}

fn alert<'a>(alerts: &'a [Alert], name: &str) -> &'a Alert {
    alerts
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no alert {name:?}"))
}

fn selects(a: &Alert, universe: &BTreeSet<String>) -> BTreeSet<String> {
    selected(&split_expr(&a.expr).0, universe)
}

fn job_mut<'a>(plan: &'a mut Plan, env: &str, job: &str) -> &'a mut envsync::model::plan::Job {
    plan.environments
        .iter_mut()
        .find(|e| e.name == env)
        .unwrap()
        .jobs
        .iter_mut()
        .find(|j| j.name == job)
        .unwrap_or_else(|| panic!("no {env}/{job}"))
}

const STAGING: &str = "staging/database_backups_and_syncs_staging_only_alerts.yaml";
const STAGING_TESTS: &str = "staging/database_backups_and_syncs_staging_only_alerts_tests.yaml";
const INTEGRATION: &str = "integration/database_backups_and_syncs_integration_only_alerts.yaml";
const INTEGRATION_TESTS: &str =
    "integration/database_backups_and_syncs_integration_only_alerts_tests.yaml";
const PRODUCTION: &str = "production/database_backups_and_syncs_production_only_alerts.yaml";

/// Suspending a job, moving one from weekly to weekdays and making one
/// slower change the rules and their tests, and promtool still passes.
#[test]
fn rules_and_tests_follow_changes_to_the_catalogue() {
    let Some((before, _)) = govuk_plan(NEWEST) else {
        return;
    };
    let mut plan = before.clone();
    job_mut(&mut plan, "staging", "chat-postgres").suspend = Some(true);
    job_mut(&mut plan, "integration", "release-mysql").schedule = "11 3 * * 1-5".into();
    for op in &mut job_mut(&mut plan, "staging", "search-admin-mysql").operations {
        if op.op == "restore" {
            op.speed = Speed::Slower;
        }
    }
    let (old, new) = (render(&before), render(&plan));
    let universe = universe(&plan);

    // Staging: chat-postgres leaves the weekday alert (and every other
    // "not completed" one), search-admin-mysql's restore is slower.
    let staging = read_alerts(file(&new, STAGING));
    let old_staging = read_alerts(file(&old, STAGING));
    let weekday = "Database backup/restore not completed - Weekday backups";
    assert!(selects(alert(&old_staging, weekday), &universe).contains("chat-postgres"));
    for a in staging.iter().filter(|a| a.name.contains("not completed")) {
        assert!(
            !selects(a, &universe).contains("chat-postgres"),
            "{}",
            a.name
        );
    }
    assert!(alert(&staging, weekday).expr.contains("chat-postgres"));
    let slower = "Database restore taking a long time - Slower Databases";
    let quick = "Database restore taking a long time - Quicker Databases";
    assert_eq!(
        selects(alert(&staging, slower), &universe),
        [
            "ckan-postgres",
            "publishing-api-postgres",
            "search-admin-mysql"
        ]
        .map(String::from)
        .into()
    );
    assert!(!selects(alert(&staging, quick), &universe).contains("search-admin-mysql"));
    assert!(selects(alert(&old_staging, quick), &universe).contains("search-admin-mysql"));

    // Integration: release-mysql gets a weekday alert of its own.
    let integration = read_alerts(file(&new, INTEGRATION));
    let weekly = "Database backup/restore not completed - Weekly backups";
    assert!(!selects(alert(&integration, weekly), &universe).contains("release-mysql"));
    let weekday_alert = alert(&integration, weekday);
    assert_eq!(
        selects(weekday_alert, &universe),
        BTreeSet::from(["release-mysql".to_owned()])
    );
    let (_, rest) = split_expr(&weekday_alert.expr);
    assert!(
        rest.contains("day_of_week()>1andday_of_week()<=5") && rest.contains("<time()-90000"),
        "{rest}"
    );
    assert_eq!(
        read_alerts(file(&old, INTEGRATION)).len() + 1,
        integration.len()
    );

    // Production did not change.
    assert_eq!(file(&old, PRODUCTION), file(&new, PRODUCTION));

    // The tests follow: no simulated runs of chat-postgres in staging,
    // search-admin-mysql stuck in the slower group, release-mysql missing a
    // weekday run.
    let staging_tests = file(&new, STAGING_TESTS);
    assert!(file(&old, STAGING_TESTS).contains("db-backup-chat-postgres-"));
    assert!(!staging_tests.contains("db-backup-chat-postgres-"));
    assert!(!file(&old, STAGING_TESTS).contains("db-backup-search-admin-mysql-restore-stuck"));
    assert!(staging_tests.contains("db-backup-search-admin-mysql-restore-stuck"));
    let integration_tests = file(&new, INTEGRATION_TESTS);
    let release = integration_tests
        .lines()
        .find(|l| l.contains("# release-mysql:") && l.contains("misses the run"))
        .unwrap();
    assert!(
        release.contains("Monday to Friday") && release.contains("Fri 1970-01-02"),
        "{release}"
    );
    assert!(integration_tests.contains(&format!("{weekday} fires at")));

    check_with_tools(&new);
}

/// The hand-written suites in tests/rules/, with the rules file each runs
/// against (relative to a rules folder).
const HAND_WRITTEN: &[(&str, &str)] = &[
    ("common_tests.yaml", rules::COMMON_FILE),
    ("production_tests.yaml", PRODUCTION),
    ("staging_operations_tests.yaml", STAGING),
    ("staging_days_tests.yaml", STAGING),
    ("integration_operations_tests.yaml", INTEGRATION),
    ("integration_days_tests.yaml", INTEGRATION),
];

fn hand_written_dir() -> PathBuf {
    common::manifest_dir().join("tests/rules")
}

/// Runs a hand-written suite against a rules file; None when promtool is
/// missing.
fn run_hand_written(suite: &str, rules_text: &str) -> Option<std::process::Output> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yaml"), rules_text).unwrap();
    std::fs::copy(hand_written_dir().join(suite), dir.path().join(suite)).unwrap();
    common::run_promtool_test_rules([dir.path().join(suite)])
}

/// Assertions of the hand-written suites that the rendered rules break by
/// design, as (suite, eval_time): silence after a missed run, where
/// GOV.UK's windows did not look. On Monday 23:00 after the Friday and
/// Monday weekday runs were missed, and on Friday 00:00 after Thursday's
/// Sunday-to-Thursday run was missed, the rendered rules alert.
const BLIND_SPOT_ASSERTIONS: &[(&str, &str)] = &[
    ("staging_days_tests.yaml", "4d23h"),
    ("staging_days_tests.yaml", "8d"),
];

/// The eval times of the assertions promtool reports failed.
fn failed_times(report: &str) -> BTreeSet<String> {
    report
        .split("time: ")
        .skip(1)
        .map(|rest| rest.split(',').next().unwrap_or_default().trim().to_owned())
        .collect()
}

/// Suites written the way GOV.UK tests these alerts pass on the hand-written
/// rules, and on the rendered ones but for the named assertions of the old
/// blind spots.
#[test]
fn hand_written_suites_pass_on_both_rule_sets() {
    let Some((plan, rules_dir)) = govuk_plan(NEWEST) else {
        return;
    };
    let files = render(&plan);
    for (suite, path) in HAND_WRITTEN {
        let theirs = std::fs::read_to_string(rules_dir.join(path)).unwrap();
        for (whose, text) in [
            ("hand-written", theirs.as_str()),
            ("rendered", file(&files, path)),
        ] {
            let Some(out) = run_hand_written(suite, text) else {
                return;
            };
            let report = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let excepted: BTreeSet<String> = BLIND_SPOT_ASSERTIONS
                .iter()
                .filter(|(s, _)| whose == "rendered" && s == suite)
                .map(|(_, t)| (*t).to_owned())
                .collect();
            if excepted.is_empty() {
                assert!(
                    out.status.success(),
                    "{suite} on the {whose} {path}:\n{report}"
                );
            } else {
                assert!(!out.status.success(), "{suite}: the blind spots are back");
                assert_eq!(
                    failed_times(&report),
                    excepted,
                    "{suite} on the {whose} {path}:\n{report}"
                );
            }
        }
    }
    common::yamllint(&hand_written_dir());
}

/// The suites can fail: staging's rules before the April 2026 fix checked
/// weekday databases on Saturdays.
#[test]
fn hand_written_suites_catch_the_old_weekday_window() {
    let Some(dir) = common::conformance_dir() else {
        return;
    };
    let old =
        std::fs::read_to_string(dir.join("2026-02-17-863d2f2d1c/rules").join(STAGING)).unwrap();
    let Some(out) = run_hand_written("staging_days_tests.yaml", &old) else {
        return;
    };
    assert!(!out.status.success());
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("time: 2d12h"), "{report}");
}

fn render_err(plan: &Plan) -> rules::RulesError {
    let templates = Templates::load(None).unwrap();
    match rules::render(plan, &templates) {
        Ok(_) => panic!("rendered without an error"),
        Err(e) => e,
    }
}

/// A schedule no "not completed" alert can check is an error that points
/// at the job's schedule; a suspended job's schedule does not matter.
#[test]
fn schedules_no_alert_can_check_are_errors_with_their_location() {
    let Some((plan, _)) = govuk_plan(NEWEST) else {
        return;
    };
    for (schedule, says) in [
        ("0 0 30 2 *", "it never runs"),
        ("*/30 * * * *", "runs would be skipped"),
        ("0 0 * * 7", "day-of-week"),
    ] {
        let mut plan = plan.clone();
        let job = job_mut(&mut plan, "staging", "chat-postgres");
        job.schedule = schedule.into();
        let at = job.origin.schedule;
        assert!(at.line > 0, "the importer gives schedules a location");
        let e = render_err(&plan);
        let message = e.to_string();
        assert_eq!(e.location(), Some((at.line, at.column)), "{message}");
        assert!(message.contains("staging/chat-postgres"), "{message}");
        assert!(message.contains(says), "{schedule}: {message}");
        assert!(
            message.contains(&format!("line {}, column {}", at.line, at.column)),
            "{message}"
        );

        let job = job_mut(&mut plan, "staging", "chat-postgres");
        job.suspend = Some(true);
        render(&plan);
    }
}

/// An operation in a speed group its operation has no threshold for is
/// watched by the nearest group there is; an operation without thresholds
/// at all is an error.
#[test]
fn speeds_without_a_threshold() {
    let Some((mut plan, _)) = govuk_plan(NEWEST) else {
        return;
    };
    let before = render(&plan);
    let job = job_mut(&mut plan, "staging", "whitehall-mysql");
    let op = job
        .operations
        .iter_mut()
        .find(|o| o.op == "transform")
        .unwrap();
    op.speed = Speed::Slower;
    assert_eq!(render(&plan), before);

    let thresholds = &mut plan.alerts.taking_a_long_time;
    thresholds
        .environments
        .get_mut("staging")
        .unwrap()
        .transform = Some(envsync::model::alerts::SpeedThresholds::default());
    let message = render_err(&plan).to_string();
    assert!(
        message.contains("staging/") && message.contains("no threshold for transform in staging"),
        "{message}"
    );
}

/// With every CronJob suspended there are no "not completed" alerts; the
/// rest still checks and tests.
#[test]
fn suspending_everything_drops_the_not_completed_alerts() {
    let Some((mut plan, _)) = govuk_plan(NEWEST) else {
        return;
    };
    plan.chart.insert("suspendAllCronJobs".into(), true.into());
    let files = render(&plan);
    for path in [PRODUCTION, STAGING, INTEGRATION] {
        let alerts = read_alerts(file(&files, path));
        assert!(!alerts.is_empty());
        assert!(
            alerts.iter().all(|a| !a.name.contains("not completed")),
            "{path}"
        );
    }
    check_with_tools(&files);
}

/// Settings change thresholds and labels; templates change texts; the
/// generated tests follow both.
#[test]
fn settings_and_templates_shape_the_rules() {
    let Some((mut plan, _)) = govuk_plan(NEWEST) else {
        return;
    };
    plan.alerts = serde_saphyr::from_str(
        "labels: {severity: critical, team: platform}\n\
         taking_a_long_time:\n  backup: {quick: 2h, slower: 5h}\n\
         not_completed:\n  grace:\n    - {runs_every: 1d, grace: 3h}\n    - {runs_every: 1w, grace: 1d}\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules/not_completed")).unwrap();
    std::fs::write(
        dir.path().join("rules/group_name.txt"),
        "DB syncs{% if environment %} ({{ environment }}){% endif %}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/not_completed/summary.txt"),
        "{{ label.database_instance }} has not synced for {{ threshold.text }} ({{ cadence.name }}, checked {{ window.text }})\n",
    )
    .unwrap();
    let templates = Templates::load(Some(dir.path())).unwrap();
    let files = rules::render(&plan, &templates).unwrap();

    let staging = file(&files, STAGING);
    assert_eq!(group_name(staging), "DB syncs (staging)");
    let alerts = read_alerts(staging);
    let quick = alert(
        &alerts,
        "Database backup taking a long time - Quicker Databases",
    );
    assert_eq!(quick.for_, Some(7_200));
    assert_eq!(quick.labels["severity"], "critical");
    assert_eq!(quick.labels["team"], "platform");
    let weekday = alert(
        &alerts,
        "Database backup/restore not completed - Weekday backups",
    );
    assert!(weekday.expr.contains("time() - 97200"), "{}", weekday.expr);
    assert_eq!(
        weekday.annotations["summary"],
        "{{ $labels.database_instance }} has not synced for 27 hours (Weekday, checked Tuesday to Friday)"
    );
    let weekly = alert(
        &alerts,
        "Database backup/restore not completed - Weekly backups",
    );
    assert!(weekly.expr.contains("time() - 691200"), "{}", weekly.expr);
    check_with_tools(&files);
}

/// A description using Go template text the test generator cannot expand
/// is an error naming it.
#[test]
fn annotations_the_tests_cannot_expand_are_errors() {
    let Some((plan, _)) = govuk_plan(NEWEST) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules/failed")).unwrap();
    std::fs::write(
        dir.path().join("rules/failed/description.txt"),
        "{% raw %}Value {{ $value | humanize }}{% endraw %}\n",
    )
    .unwrap();
    let templates = Templates::load(Some(dir.path())).unwrap();
    let message = rules::render(&plan, &templates).unwrap_err().to_string();
    assert!(message.contains("rules/failed/description"), "{message}");
    assert!(message.contains("$value"), "{message}");
}

fn speeds(plan: &Plan, env: &str) -> BTreeMap<(String, String), Speed> {
    plan.environment(env)
        .unwrap()
        .jobs
        .iter()
        .flat_map(|j| {
            j.operations
                .iter()
                .map(move |o| ((j.name.clone(), o.op.clone()), o.speed))
        })
        .collect()
}

/// Speeds come back from the hand-written rules, and from rendered ones.
#[test]
fn import_recovers_speed_groups() {
    let Some((plan, _)) = govuk_plan(NEWEST) else {
        return;
    };
    let staging = speeds(&plan, "staging");
    let at = |job: &str, op: &str| staging[&(job.to_owned(), op.to_owned())];
    assert_eq!(at("ckan-postgres", "restore"), Speed::Slower);
    assert_eq!(at("ckan-postgres", "backup"), Speed::Quick);
    assert_eq!(at("content-data-api-postgres", "restore"), Speed::Slowest);
    assert_eq!(at("content-data-api-postgres", "backup"), Speed::Slower);
    assert_eq!(at("publishing-api-postgres", "restore"), Speed::Slower);
    assert_eq!(at("publishing-api-postgres", "transform"), Speed::Quick);
    assert_eq!(at("whitehall-mysql", "restore"), Speed::Quick);
    let slow = |p: &Plan| {
        p.environments
            .iter()
            .map(|e| {
                speeds(p, &e.name)
                    .values()
                    .filter(|s| **s != Speed::Quick)
                    .count()
            })
            .sum::<usize>()
    };
    assert_eq!(slow(&plan), 2 + 5 + 5);

    // Round trip through rendered rules, with everything reset first.
    let out = write(&render(&plan));
    let mut again = plan.clone();
    for env in &mut again.environments {
        for job in &mut env.jobs {
            for op in &mut job.operations {
                op.speed = Speed::Quick;
            }
        }
    }
    envsync::read::rules::import_speeds(&mut again, out.path()).unwrap();
    for env in &plan.environments {
        assert_eq!(
            speeds(&plan, &env.name),
            speeds(&again, &env.name),
            "{}",
            env.name
        );
    }
}

fn long_rule(name: &str, for_: &str, selector: &str) -> String {
    format!(
        "      - alert: {name}\n        for: {for_}\n        expr: >-\n          db_backup_job_state{{{selector}}} == 1\n"
    )
}

/// Alternations such as `(draft-)?x` are evaluated as regexes; an instance
/// in two groups of one operation is an error.
#[test]
fn import_evaluates_the_regexes() {
    let Some((plan, _)) = govuk_plan(NEWEST) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("staging")).unwrap();
    let path = dir.path().join(STAGING);
    let header = "groups:\n  - name: g\n    rules:\n";
    std::fs::write(
        &path,
        format!(
            "{header}{}{}",
            long_rule(
                "Restores - Quick",
                "1h",
                "operation=\"restore\", database_instance!~\"(draft-)?content-store-postgres|whitehall-.*\""
            ),
            long_rule(
                "Restores - Slowest",
                "13h",
                "operation=\"restore\", database_instance=~\"(draft-)?content-store-postgres|whitehall-.*\""
            ),
        ),
    )
    .unwrap();
    let mut imported = plan.clone();
    envsync::read::rules::import_speeds(&mut imported, dir.path()).unwrap();
    let staging = speeds(&imported, "staging");
    for job in [
        "content-store-postgres",
        "draft-content-store-postgres",
        "whitehall-mysql",
    ] {
        assert_eq!(
            staging[&(job.to_owned(), "restore".to_owned())],
            Speed::Slowest,
            "{job}"
        );
    }
    assert_eq!(
        staging[&("ckan-postgres".to_owned(), "restore".to_owned())],
        Speed::Quick
    );
    // Backups were in no alert here: they keep their speeds.
    assert_eq!(
        staging[&("content-data-api-postgres".to_owned(), "backup".to_owned())],
        Speed::Slower
    );

    std::fs::write(
        &path,
        format!(
            "{header}{}{}",
            long_rule("Restores - Quick", "1h", "operation=\"restore\""),
            long_rule(
                "Restores - Slower",
                "4h",
                "database_instance=~\"ckan-postgres\""
            ),
        ),
    )
    .unwrap();
    let message = envsync::read::rules::import_speeds(&mut plan.clone(), dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("ckan-postgres") && message.contains("several"),
        "{message}"
    );
}

/// The GOV.UK catalogue in the fixtures gives today's rules too: its speed
/// groups are the ones the hand-written rules list.
#[test]
fn the_govuk_catalogue_renders_todays_rules() {
    let Some((values_plan, rules_dir)) = govuk_plan(NEWEST) else {
        return;
    };
    let path = common::manifest_dir().join("fixtures/govuk/catalogue.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let plan = envsync::read::catalogue::load(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    let files = render(&plan);
    let universe = universe(&values_plan);
    for f in files
        .iter()
        .filter(|f| !f.path.to_string_lossy().ends_with("_tests.yaml"))
    {
        let theirs = std::fs::read_to_string(rules_dir.join(&f.path)).unwrap();
        let ours = f.contents.replace("catalogue.yaml", "values.yaml");
        assert_same_meaning(&theirs, &ours, &universe, &f.path.display().to_string());
    }
}

/// A catalogue larger than GOV.UK's: its tests simulate a sample of each
/// alert's databases, and the rules and tests still check and pass.
#[test]
fn a_large_synthetic_catalogue_renders_rules_that_pass_their_tests() {
    let text = envsync::synthetic::catalogue(120).unwrap();
    let plan = envsync::read::catalogue::load(Path::new("synthetic.yaml"), &text)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let files = render(&plan);
    let tests = file(
        &files,
        "production/database_backups_and_syncs_production_only_alerts_tests.yaml",
    );
    let simulated = (0..120)
        .filter(|i| tests.contains(&format!("db-backup-app-{i}-")))
        .count();
    assert!(
        (40..120).contains(&simulated),
        "production's daily group of 120 is sampled, not simulated whole: {simulated}"
    );
    check_with_tools(&files);
}

/// A catalogue whose production backs up one database per schedule shape.
fn shapes_plan() -> Plan {
    let shapes = [
        ("every-six-hours", "0 */6 * * *"),
        ("daily", "0 3 * * *"),
        ("weekdays", "0 1 * * 1-5"),
        ("sunday-to-thursday", "6 22 * * 0-4"),
        ("mon-wed-fri", "0 1 * * 1,3,5"),
        ("weekly", "0 3 * * 1"),
        ("monthly", "0 3 1 * *"),
        ("first-and-fifteenth", "0 3 1,15 * *"),
        ("first-or-mondays", "0 3 1 * 1"),
    ];
    let mut text = String::from(
        "environments:\n  production:\nchart: {toolbox: {image: {repository: example.com/toolbox, tag: v1}}}\ndatabases:\n",
    );
    for (name, schedule) in shapes {
        text.push_str(&format!(
            "  {name}-postgres: {{db: {}, production: \"{schedule}\"}}\n",
            name.replace('-', "_")
        ));
    }
    envsync::read::catalogue::load(Path::new("shapes.yaml"), &text)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// promtool's durations in the tests' comments ("1h1m", "55m").
fn seconds(text: &str) -> i64 {
    let mut total = 0;
    let mut number = 0;
    for c in text.chars() {
        match c {
            '0'..='9' => number = number * 10 + i64::from(c.to_digit(10).unwrap()),
            'h' => (total, number) = (total + number * 3_600, 0),
            'm' => (total, number) = (total + number * 60, 0),
            's' => (total, number) = (total + number, 0),
            _ => panic!("{text}"),
        }
    }
    total
}

/// Every shape's rules check and pass their generated tests, which drop
/// each kind of run in turn: each alert fires after the run's due finish
/// and by the grace (1 hour for runs less than a week apart, 12 hours
/// otherwise) and one 15-minute evaluation after it.
#[test]
fn schedule_shapes_alert_every_missed_run_within_the_grace() {
    let files = render(&shapes_plan());
    let tests = file(
        &files,
        "production/database_backups_and_syncs_production_only_alerts_tests.yaml",
    );
    let mut told = BTreeMap::new();
    for line in tests.lines().filter(|l| l.contains("after its due finish")) {
        let (job, rest) = line
            .trim()
            .trim_start_matches("# ")
            .split_once(':')
            .unwrap();
        let after = rest
            .split("the alert fires ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let latency = seconds(after);
        let weekly = [
            "weekly",
            "monthly",
            "first-and-fifteenth",
            "first-or-mondays",
        ]
        .iter()
        .any(|w| job.starts_with(w));
        let bound = if weekly { 12 * 3_600 } else { 3_600 } + 900;
        assert!(latency > 0 && latency <= bound, "{line}");
        told.entry(job.to_owned())
            .or_insert_with(Vec::new)
            .push(latency);
    }
    // The bound that is checked is the right one: the first or Mondays has
    // runs a day apart, told within the hour.
    assert!(
        told["first-or-mondays-postgres"]
            .iter()
            .any(|&l| l <= 3_600 + 900)
    );
    assert_eq!(told.len(), 9, "{told:?}");
    check_with_tools(&files);
}

/// The derivation works per distinct schedule, not per run: 5,000 jobs
/// that back up every minute render their rules (how quickly is measured
/// by bench/bounded.sh, not here).
#[test]
fn five_thousand_jobs_every_minute_render() {
    let mut text = String::from(
        "environments:\n  production:\nchart: {toolbox: {image: {repository: example.com/toolbox, tag: v1}}}\nalerts:\n  taking_a_long_time:\n    backup: {quick: 30s}\ndatabases:\n",
    );
    for i in 0..5_000 {
        text.push_str(&format!(
            "  app-{i}-postgres: {{db: app_{i}, production: \"* * * * *\"}}\n"
        ));
    }
    let plan = envsync::read::catalogue::load(Path::new("minute.yaml"), &text)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let templates = Templates::load(None).unwrap();
    let files = rules::render(&plan, &templates).unwrap();
    // A minute's gap and the hour's grace.
    assert!(file(&files, PRODUCTION).contains("< time() - 3660"));
}

// ---------------------------------------------------------------------------
// For any value validate accepts, the rules and their tests pass promtool.

/// A value for a database, host or label: awkward for YAML, PromQL or Go
/// templates, or plain.
fn value() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        "[a-z_][a-z0-9_.-]{0,10}",
        "[ -~]{1,12}",
        prop::sample::select(vec![
            "a\"b",
            "a\\b",
            "a'b",
            "a}b",
            "a{b",
            "a$b",
            "a|b",
            "a.*b",
            "a=~b",
            "a,b",
            "x{{y",
            "{{ .ExternalLabels }}",
            "Ünïcode",
            "💾",
            "",
            "a\nb",
            "a\u{85}b",
            "  ",
            "`",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn rules_of_any_accepted_catalogue_pass_promtool(
        field in 0..4usize,
        awkward in value(),
    ) {
        promtool_passes_with(field, awkward).map_err(proptest::test_runner::TestCaseError::fail)?;
    }
}

/// Cases the property test found.
#[test]
fn rules_of_catalogues_it_found_pass_promtool() {
    // A host with no engine suffix: the series have no `database_engine`.
    // An empty restored database, which the chart passes over for the
    // job's but envsync's labels would not.
    for (field, awkward) in [(1, "_-"), (1, "a"), (2, "")] {
        promtool_passes_with(field, awkward.to_owned()).unwrap();
    }
}

/// Renders a small catalogue with `awkward` as its database (field 0), host
/// (1), restored database (2) or alert label (3); unless validate refuses
/// it, its rules must pass `promtool check rules` and their generated tests.
fn promtool_passes_with(field: usize, awkward: String) -> Result<(), String> {
    let mut fields = ["chat_production", "chat-postgres", "other_db", "warning"].map(str::to_owned);
    fields[field] = awkward;
    let [db, host, op_db, label] = fields;
    let catalogue = serde_json::json!({
        "environments": {"production": null, "staging": {"restore_from": "production"}},
        "chart": {"toolbox": {"image": {"repository": "toolbox", "tag": "v1"}}},
        "alerts": {"labels": {"severity": label}},
        "databases": {
            "chat-postgres": {
                "db": db,
                "host": host,
                "production": "0 1 * * *",
                "staging": {
                    "schedule": "0 2 * * 1-5",
                    "operations": [
                        {"op": "restore", "bucket": "s3://b", "db": op_db},
                        {"op": "backup"},
                    ],
                },
            },
        },
    });
    let text = envsync::read::yaml::to_string(&catalogue).unwrap();
    let path = Path::new("catalogue.yaml");
    let Ok(plan) = envsync::read::catalogue::load_for_render(path, &text) else {
        return Ok(());
    };
    let files = render(&plan);
    let dir = write(&files);
    let Some(check) = common::run_promtool_check_rules(paths(dir.path(), &files, false)) else {
        return Ok(());
    };
    if !check.status.success() {
        return Err(format!(
            "{}\n{text}",
            String::from_utf8_lossy(&check.stdout)
        ));
    }
    let test = common::run_promtool_test_rules(paths(dir.path(), &files, true)).unwrap();
    if !test.status.success() {
        return Err(format!(
            "{}{}\n{text}",
            String::from_utf8_lossy(&test.stdout),
            String::from_utf8_lossy(&test.stderr)
        ));
    }
    Ok(())
}
