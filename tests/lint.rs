//! `envsync lint` on the GOV.UK catalogue, on the newest real chart, and on
//! real revisions with one thing broken: each mutation must raise its rule
//! at the right environment and job, and the revision as it was must not.
//! The chart tests build a scratch govuk-helm-charts checkout from the
//! conformance data at test time.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/govuk/catalogue.yaml");
const NEWEST: &str = "2026-08-14-8603dc7c41";

/// A govuk-helm-charts checkout as lint reads it: the values file, the
/// script names of the revision as empty files, and its alert rules.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new(case: &Path, values: &str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("charts/db-backup");
        std::fs::create_dir_all(chart.join("scripts")).unwrap();
        std::fs::write(chart.join("values.yaml"), values).unwrap();
        let scripts = std::fs::read_to_string(case.join("scripts.txt")).unwrap();
        for name in scripts.lines().filter(|l| !l.trim().is_empty()) {
            std::fs::write(chart.join("scripts").join(name.trim()), "").unwrap();
        }
        let rules = case.join("rules");
        if rules.is_dir() {
            common::copy_dir(&rules, &dir.path().join("charts/monitoring-config/rules"));
        }
        Repo { dir }
    }

    /// The checkout of a conformance revision, as it was.
    fn of(case: &Path) -> Repo {
        Repo::new(
            case,
            &std::fs::read_to_string(case.join("values.yaml")).unwrap(),
        )
    }

    /// Adds `backup-<dbms>.sh` at the chart's root, as the chart kept its
    /// scripts until 2023-11.
    fn with_root_scripts(self, dbmses: &[&str]) -> Repo {
        for dbms in dbmses {
            let path = self
                .dir
                .path()
                .join(format!("charts/db-backup/backup-{dbms}.sh"));
            std::fs::write(path, "").unwrap();
        }
        self
    }

    /// Adds a `.envsync.yaml` at the checkout's root.
    fn with_facts(self, facts: &str) -> Repo {
        std::fs::write(self.dir.path().join(".envsync.yaml"), facts).unwrap();
        self
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The facts about GOV.UK's sync that its values file cannot hold.
const FACTS: &str = "environments:
  staging: {restore_from: production}
  integration: {restore_from: staging, wider_access: true}
databases:
  ckan-postgres: {personal_data: true}
  content-store-postgres: {run_before: [publishing-api-postgres]}
";

fn envsync() -> Command {
    let mut cmd = Command::cargo_bin("envsync").unwrap();
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    cmd
}

/// Lints with `--format json`: the exit code and the findings.
fn lint_json(args: &[&str]) -> (i32, Vec<Value>) {
    let out = envsync()
        .arg("lint")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let findings: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (code, findings.as_array().unwrap().clone())
}

fn lint_chart(repo: &Repo) -> (i32, Vec<Value>) {
    lint_json(&["--chart-repo", repo.path().to_str().unwrap()])
}

/// (rule, env, job) of each finding.
fn places(findings: &[Value]) -> BTreeSet<(String, String, String)> {
    findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("rule"), s("env"), s("job"))
        })
        .collect()
}

fn errors(findings: &[Value]) -> Vec<&Value> {
    findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect()
}

/// The values with `from` replaced by `to` in one job's block (from its
/// key line to the next job or environment).
fn mutate(values: &str, env: &str, job: &str, from: &str, to: &str) -> String {
    let env_at = values
        .find(&format!("\n  {env}:\n"))
        .unwrap_or_else(|| panic!("no environment {env}"));
    let job_at = env_at
        + values[env_at..]
            .find(&format!("\n    {job}:\n"))
            .unwrap_or_else(|| panic!("no job {env}/{job}"))
        + 1;
    let mut block_end = values.len();
    let mut at = job_at + values[job_at..].find('\n').unwrap() + 1;
    while at < values.len() {
        let line = &values[at..];
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.starts_with('\n') || line[indent..].starts_with('\n');
        if !blank && indent <= 4 {
            block_end = at;
            break;
        }
        at += line.find('\n').map_or(line.len(), |i| i + 1);
    }
    let block = &values[job_at..block_end];
    assert!(
        block.contains(from),
        "{env}/{job} has no `{from}`:\n{block}"
    );
    format!(
        "{}{}{}",
        &values[..job_at],
        block.replacen(from, to, 1),
        &values[block_end..]
    )
}

fn newest() -> Option<(PathBuf, String)> {
    let dir = common::conformance_dir()?.join(NEWEST);
    let values = std::fs::read_to_string(dir.join("values.yaml")).unwrap();
    Some((dir, values))
}

/// Each mutation of the newest chart: (what, rule, env, job, mutated values).
fn mutations(
    values: &str,
) -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    String,
)> {
    vec![
        (
            "day-of-week 7",
            "cron-syntax",
            "staging",
            "ckan-postgres",
            mutate(
                values,
                "staging",
                "ckan-postgres",
                "\"43 1 * * 0\"",
                "\"43 1 * * 7\"",
            ),
        ),
        (
            "a restore 30 minutes after the source backup starts",
            "restore-before-backup",
            "staging",
            "chat-postgres",
            mutate(
                values,
                "staging",
                "chat-postgres",
                "\"47 1 * * 1-5\"",
                "\"17 0 * * 1-5\"",
            ),
        ),
        (
            "a restore in production",
            "restore-into-origin",
            "production",
            "whitehall-mysql",
            mutate(
                values,
                "production",
                "whitehall-mysql",
                "        - op: backup\n",
                "        - op: restore\n          bucket: s3://govuk-staging-database-backups\n        - op: backup\n",
            ),
        ),
        (
            "a typo in a script name",
            "script-missing",
            "staging",
            "whitehall-mysql",
            mutate(
                values,
                "staging",
                "whitehall-mysql",
                "script: whitehall.sql",
                "script: whitehal.sql",
            ),
        ),
        (
            "two jobs on one host at the same minute",
            "host-overlap",
            "staging",
            "chat-postgres-copy",
            mutate(
                values,
                "staging",
                "ckan-postgres",
                "    ckan-postgres:\n",
                "    chat-postgres-copy:\n      host: chat-postgres\n      schedule: \"47 1 * * 1-5\"\n      db: govuk_chat_production\n      operations:\n        - op: backup\n\n    ckan-postgres:\n",
            ),
        ),
        (
            "a suspended job that its rules still cover",
            "alert-coverage",
            "staging",
            "ckan-postgres",
            mutate(
                values,
                "staging",
                "ckan-postgres",
                "      schedule: \"43 1 * * 0\"\n",
                "      suspend: true\n      schedule: \"43 1 * * 0\"\n",
            ),
        ),
        (
            "the 24-hour deadline dropped from a slowest restore",
            "deadline-too-short",
            "staging",
            "content-data-api-postgres",
            mutate(
                values,
                "staging",
                "content-data-api-postgres",
                "      maxJobRuntimeSeconds: 86400 # 24 hours\n",
                "",
            ),
        ),
        (
            "a restoring job renamed, so its host is no longer backed up",
            "restore-source-missing",
            "staging",
            "imminence-postgres",
            mutate(
                values,
                "staging",
                "places-manager-postgres",
                "    places-manager-postgres:\n",
                "    imminence-postgres:\n",
            ),
        ),
    ]
}

#[test]
fn the_govuk_catalogue_lints_with_no_errors() {
    let (code, findings) = lint_json(&[FIXTURE]);
    assert_eq!(code, 0, "{findings:#?}");
    assert_eq!(errors(&findings), Vec::<&Value>::new());
    // The warnings: restores that can start before the source's backup is
    // due to finish (see the README), and production's publishing-api
    // backup setting a DB_OWNER that only a restore reads.
    let warned: BTreeSet<_> = places(&findings);
    let mut expected: BTreeSet<_> = [
        ("integration", "content-block-manager-postgres"),
        ("staging", "content-data-api-postgres"),
        ("integration", "content-store-postgres"),
        ("integration", "draft-content-store-postgres"),
        ("integration", "email-alert-api-postgres"),
        ("integration", "publishing-api-postgres"),
        ("integration", "publisher-postgres"),
        ("staging", "shared-documentdb"),
        ("integration", "shared-documentdb"),
        ("integration", "whitehall-mysql"),
    ]
    .into_iter()
    .map(|(e, j)| {
        (
            "restore-before-backup".to_owned(),
            e.to_owned(),
            j.to_owned(),
        )
    })
    .collect();
    expected.insert((
        "unused-setting".to_owned(),
        "production".to_owned(),
        "publishing-api-postgres".to_owned(),
    ));
    assert_eq!(warned, expected);
    let cdapi = findings
        .iter()
        .find(|f| f["env"] == "staging" && f["job"] == "content-data-api-postgres")
        .unwrap();
    assert!(
        cdapi["message"].as_str().unwrap().starts_with(
            "restores Thursday 23:35's backup, 26h old, because Friday 23:35's may still be running"
        ),
        "{cdapi}"
    );
}

#[test]
fn the_govuk_catalogue_with_the_charts_scripts() {
    let Some((dir, values)) = newest() else {
        return;
    };
    let repo = Repo::new(&dir, &values);
    let (code, findings) = lint_json(&[FIXTURE, "--chart-repo", repo.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(errors(&findings), Vec::<&Value>::new());
}

#[test]
fn the_newest_chart_lints_with_no_errors() {
    let Some((dir, values)) = newest() else {
        return;
    };
    let repo = Repo::new(&dir, &values);
    let (code, findings) = lint_chart(&repo);
    assert_eq!(code, 0, "{findings:#?}");
    assert_eq!(errors(&findings), Vec::<&Value>::new());
    // The same warnings as the catalogue that renders it, but for the
    // hand-written Sunday-to-Thursday alert, which tells a missed Thursday
    // run on Monday (the catalogue's rendered rules do not).
    let (_, from_catalogue) = lint_json(&[FIXTURE]);
    let (window, others): (BTreeSet<_>, BTreeSet<_>) = places(&findings)
        .into_iter()
        .partition(|(rule, _, _)| rule == "alert-window");
    assert_eq!(others, places(&from_catalogue));
    let jobs: BTreeSet<&str> = window.iter().map(|(_, _, job)| job.as_str()).collect();
    assert_eq!(
        jobs,
        BTreeSet::from(["content-store-postgres", "draft-content-store-postgres"])
    );
    for f in &findings {
        assert!(
            f["file"]
                .as_str()
                .unwrap()
                .ends_with("charts/db-backup/values.yaml"),
            "{f}"
        );
    }
}

#[test]
fn each_mutation_of_the_newest_chart_raises_its_rule_where_it_was_made() {
    let Some((dir, values)) = newest() else {
        return;
    };
    let (_, before) = lint_chart(&Repo::new(&dir, &values));
    let before = places(&before);
    for (what, rule, env, job, mutated) in mutations(&values) {
        let place = (rule.to_owned(), env.to_owned(), job.to_owned());
        assert!(!before.contains(&place), "{what}: already {place:?}");
        let (code, findings) = lint_chart(&Repo::new(&dir, &mutated));
        assert!(
            places(&findings).contains(&place),
            "{what}: no {place:?} in {findings:#?}"
        );
        let severity = findings
            .iter()
            .find(|f| f["rule"] == rule && f["env"] == env && f["job"] == job)
            .unwrap()["severity"]
            .clone();
        let _ = severity;
        let any_error = findings.iter().any(|f| f["severity"] == "error");
        assert_eq!(code, i32::from(any_error), "{what}");
    }
}

#[test]
fn findings_point_at_the_line_and_column() {
    let Some((dir, values)) = newest() else {
        return;
    };
    let mutated = mutate(
        &values,
        "staging",
        "ckan-postgres",
        "\"43 1 * * 0\"",
        "\"43 1 * * 7\"",
    );
    let (_, findings) = lint_chart(&Repo::new(&dir, &mutated));
    let f = findings
        .iter()
        .find(|f| f["rule"] == "cron-syntax")
        .unwrap();
    let line = f["line"].as_u64().unwrap() as usize;
    let column = f["column"].as_u64().unwrap() as usize;
    let text = mutated.lines().nth(line - 1).unwrap();
    assert_eq!(text, "      schedule: \"43 1 * * 7\"");
    assert_eq!(&text[column - 1..column], "7");
}

#[test]
fn a_real_renamed_host_left_restores_reading_nothing() {
    // In January 2026 imminence-postgres became places-manager-postgres in
    // production and staging, but integration still restored the old host
    // from staging's bucket; a later revision fixed it.
    let Some(cases) = common::conformance_dir() else {
        return;
    };
    let broken = cases.join("2026-01-16-b4e530eff0");
    let fixed = cases.join("2026-01-22-cbe101546e");
    let read = |dir: &Path| std::fs::read_to_string(dir.join("values.yaml")).unwrap();
    let (code, findings) = lint_chart(&Repo::new(&broken, &read(&broken)));
    assert_eq!(code, 1);
    let place = (
        "restore-source-missing".to_owned(),
        "integration".to_owned(),
        "imminence-postgres".to_owned(),
    );
    assert!(places(&findings).contains(&place), "{findings:#?}");
    let (_, findings) = lint_chart(&Repo::new(&fixed, &read(&fixed)));
    assert!(
        !findings
            .iter()
            .any(|f| f["rule"] == "restore-source-missing"),
        "{findings:#?}"
    );
}

#[test]
fn a_catalogue_that_stops_sanitising_personal_data() {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let from = "    staging: {schedule: 54 1 * * 1-5, sanitise: email-alert-api.sql}\n";
    assert!(text.contains(from));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.yaml");
    std::fs::write(&path, text.replace(from, "    staging: 54 1 * * 1-5\n")).unwrap();
    let (code, findings) = lint_json(&[path.to_str().unwrap()]);
    assert_eq!(code, 1);
    let place = (
        "unsanitised-copy".to_owned(),
        "integration".to_owned(),
        "email-alert-api-postgres".to_owned(),
    );
    assert!(places(&findings).contains(&place), "{findings:#?}");
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    // The published schema's pattern for `language` (of a run and of a
    // tool component) has a stray `]` that ECMA-262 regular expressions,
    // as JSON Schema reads them, reject; use what it means: two letters
    // and an optional region.
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(stray).count(), 2);
    let text = text.replace(stray, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let mut runs = vec![vec![FIXTURE.to_owned()]];
    let mut repos = Vec::new();
    if let Some((dir, values)) = newest() {
        // Errors and warnings of several rules at once.
        let all = mutate(
            &values,
            "staging",
            "ckan-postgres",
            "\"43 1 * * 0\"",
            "\"43 1 * * 7\"",
        );
        let all = mutate(
            &all,
            "staging",
            "whitehall-mysql",
            "script: whitehall.sql",
            "script: whitehal.sql",
        );
        let all = mutate(
            &all,
            "integration",
            "chat-postgres",
            "      schedule: \"47 3 * * 1\"\n",
            "      suspend: true\n      schedule: \"47 3 * * 1\"\n",
        );
        let repo = Repo::new(&dir, &all);
        runs.push(vec![
            "--chart-repo".to_owned(),
            repo.path().to_str().unwrap().to_owned(),
        ]);
        repos.push(repo);
    }
    for args in runs {
        let out = envsync()
            .arg("lint")
            .args(&args)
            .args(["--format", "sarif", "--fail-on", "never"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let log: Value = serde_json::from_slice(&out.stdout).expect("stdout is only the SARIF log");
        let problems: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert_eq!(problems, Vec::<String>::new());
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty());
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        for r in results {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
            let region = &r["locations"][0]["physicalLocation"]["region"];
            assert!(region["startLine"].as_u64().unwrap() > 0);
        }
    }
    drop(repos);
}

#[test]
fn exit_codes_follow_fail_on() {
    envsync().args(["lint", FIXTURE]).assert().code(0);
    envsync()
        .args(["lint", FIXTURE, "--fail-on", "warning"])
        .assert()
        .code(1);
    envsync()
        .args(["lint", FIXTURE, "--fail-on", "never"])
        .assert()
        .code(0);
    // Nothing to lint, a file that is not there, a format that is not known.
    envsync().args(["lint"]).assert().code(2);
    envsync()
        .args(["lint", "no-such-catalogue.yaml"])
        .assert()
        .code(2);
    envsync()
        .args(["lint", FIXTURE, "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn concise_and_github_formats() {
    let out = envsync()
        .args(["lint", FIXTURE, "--format", "concise"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.contains(
            "catalogue.yaml:58:18: warning[restore-before-backup] restores Friday 02:43's backup"
        ),
        "{first}"
    );
    let out = envsync()
        .args(["lint", FIXTURE, "--format", "github"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 11);
    for line in text.lines() {
        assert!(line.starts_with("::warning file="), "{line}");
        assert!(line.contains(",line=") && line.contains(",col="), "{line}");
        assert!(
            line.contains("::[restore-before-backup] ") || line.contains("::[unused-setting] "),
            "{line}"
        );
    }
}

#[test]
fn human_output_is_coloured_only_when_wanted() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = envsync();
        cmd.args(["lint", FIXTURE]);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    let plain = run(&[]);
    assert!(!plain.contains('\u{1b}'));
    assert!(plain.contains("^^"), "{plain}");
    assert!(plain.contains("catalogue.yaml:76:25"), "{plain}");
    assert!(run(&[("CLICOLOR_FORCE", "1")]).contains("\u{1b}["));
    assert!(!run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\u{1b}'));
}

#[test]
fn suppressions_in_a_values_file() {
    let Some((dir, values)) = newest() else {
        return;
    };
    let line = "      schedule: \"35 1 * * 6\"\n";
    let allow = |comment: &str| {
        mutate(
            &values,
            "staging",
            "content-data-api-postgres",
            line,
            &format!("      schedule: \"35 1 * * 6\"  {comment}\n"),
        )
    };
    let target = (
        "restore-before-backup".to_owned(),
        "staging".to_owned(),
        "content-data-api-postgres".to_owned(),
    );
    // With a reason, the finding goes.
    let (code, findings) = lint_chart(&Repo::new(
        &dir,
        &allow("# envsync: allow restore-before-backup -- a day-old copy is fine for reporting"),
    ));
    assert_eq!(code, 0);
    assert!(!places(&findings).contains(&target));
    assert!(!findings.iter().any(|f| f["rule"] == "unused-allow"));
    // Without one, it stays, and the suppression is an error.
    let (code, findings) = lint_chart(&Repo::new(
        &dir,
        &allow("# envsync: allow restore-before-backup"),
    ));
    assert_eq!(code, 1);
    assert!(places(&findings).contains(&target));
    assert!(findings.iter().any(|f| f["rule"] == "allow-without-reason"));
    // One that suppresses nothing is reported.
    let (_, findings) = lint_chart(&Repo::new(
        &dir,
        &allow("# envsync: allow host-overlap -- never shares its host"),
    ));
    assert!(findings.iter().any(|f| f["rule"] == "unused-allow"));
}

#[test]
fn rules_and_rule_explain_themselves() {
    let out = envsync().arg("rules").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "schema",
        "cron-syntax",
        "name-length",
        "restore-before-backup",
        "restore-source-missing",
        "unsanitised-copy",
        "restore-into-origin",
        "alert-coverage",
        "deadline-too-short",
        "script-missing",
        "host-overlap",
        "order",
        "self-overlap",
        "unused-allow",
        "allow-without-reason",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{name} not in:\n{text}"
        );
        let out = envsync().args(["rule", name]).output().unwrap();
        assert!(out.status.success());
        let doc = String::from_utf8(out.stdout).unwrap();
        assert!(doc.starts_with(&format!("{name} (")), "{doc}");
        assert!(doc.contains("## How to fix"), "{doc}");
    }
    envsync()
        .args(["rule", "restore-before-bakup"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "did you mean `restore-before-backup`",
        ));
}

/// A chart whose production job (deadline 3000 seconds) one alert with
/// `for: FOR` watches, in `charts/monitoring-config/rules/production/x.yaml`.
fn chart_with_for(for_: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("charts/db-backup");
    std::fs::create_dir_all(chart.join("scripts")).unwrap();
    std::fs::write(
        chart.join("values.yaml"),
        "cronjobs:\n  production:\n    a-postgres:\n      schedule: \"1 1 * * *\"\n      maxJobRuntimeSeconds: 3000\n      operations: [{op: backup}]\n",
    )
    .unwrap();
    let rules = dir.path().join("charts/monitoring-config/rules/production");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("x.yaml"),
        format!("groups:\n  - name: x\n    rules:\n      - alert: slow\n        for: {for_}\n        expr: db_backup_job_state{{operation=\"backup\"}} == 1\n"),
    )
    .unwrap();
    dir
}

#[test]
fn a_for_longer_than_prometheus_keeps_is_an_error_at_it() {
    for for_ in ["99999999999999w", "30500000000000w"] {
        let dir = chart_with_for(for_);
        let repo = dir.path().to_str().unwrap();
        let (code, findings) = lint_json(&["--chart-repo", repo]);
        assert_eq!(code, 1, "{findings:?}");
        let rules_file = dir
            .path()
            .join("charts/monitoring-config/rules/production/x.yaml");
        let at_for: Vec<&Value> = findings
            .iter()
            .filter(|f| f["file"] == rules_file.to_str().unwrap())
            .collect();
        assert_eq!(at_for.len(), 1, "{findings:?}");
        assert_eq!(at_for[0]["rule"], "schema");
        assert_eq!(at_for[0]["severity"], "error");
        assert_eq!(
            (at_for[0]["line"].as_u64(), at_for[0]["column"].as_u64()),
            (Some(5), Some(14))
        );
        let message = at_for[0]["message"].as_str().unwrap();
        assert!(
            message.contains(for_) && message.contains("out of range"),
            "{message}"
        );
        // No wait of 59488052996189 days: the job is held to its speed
        // group's threshold (1 hour) instead, which its deadline is below.
        let deadline: Vec<&str> = findings
            .iter()
            .filter(|f| f["rule"] == "deadline-too-short")
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        assert_eq!(deadline.len(), 1, "{findings:?}");
        assert!(deadline[0].contains("waits 1h"), "{deadline:?}");
        // The human format shows the line of the rules file.
        let out = envsync()
            .args(["lint", "--chart-repo", repo])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        let place = format!("{}:5:14", rules_file.display());
        assert!(text.contains(&place), "{text}");
        assert!(text.contains(&format!("for: {for_}")), "{text}");
    }
}

/// A conformance revision by its directory name.
fn case(name: &str) -> Option<PathBuf> {
    Some(common::conformance_dir()?.join(name))
}

/// Lints the revision before a fix and the fix, each with the facts: the
/// finding is at each (env, job) before and at none after.
fn fixed_between(
    parent: &str,
    fix: &str,
    rule: &str,
    at: &[(&str, &str)],
    prepare: fn(Repo) -> Repo,
) {
    let (Some(parent), Some(fix)) = (case(parent), case(fix)) else {
        return;
    };
    let expected: BTreeSet<(String, String, String)> = at
        .iter()
        .map(|(env, job)| (rule.to_owned(), (*env).to_owned(), (*job).to_owned()))
        .collect();
    let (_, before) = lint_chart(&prepare(Repo::of(&parent).with_facts(FACTS)));
    let found: BTreeSet<_> = places(&before)
        .into_iter()
        .filter(|p| p.0 == rule)
        .collect();
    assert_eq!(found, expected, "before the fix: {before:#?}");
    let (_, after) = lint_chart(&prepare(Repo::of(&fix).with_facts(FACTS)));
    let left: Vec<_> = after.iter().filter(|f| f["rule"] == rule).collect();
    assert_eq!(left, Vec::<&Value>::new(), "after the fix");
}

#[test]
fn fixed_dbms_postgresql_was_script_missing() {
    // Until 2023-10-27 two jobs in each environment said `dbms: postgresql`;
    // the chart, with backup-mysql.sh and backup-postgres.sh at its root,
    // has no backup-postgresql.
    let at = ["production", "staging", "integration"].map(|env| {
        [
            (env, "content-data-api-postgresql-primary"),
            (env, "transition-postgresql-primary"),
        ]
    });
    fixed_between(
        "2023-10-26-4f90a8df33",
        "2023-10-27-11395980f1",
        "script-missing",
        at.as_flattened(),
        |repo| repo.with_root_scripts(&["mysql", "postgres"]),
    );
    // Without any scripts, the DBMSes of today's chart count.
    fixed_between(
        "2023-10-26-4f90a8df33",
        "2023-10-27-11395980f1",
        "script-missing",
        at.as_flattened(),
        |repo| repo,
    );
}

#[test]
fn fixed_a_job_named_for_no_dbms_was_script_missing() {
    // 2025-09-08 added production's `content-block-manager`: DBMS `manager`.
    fixed_between(
        "2025-09-08-0a0ec4f284",
        "2025-09-10-1d8eec31ea",
        "script-missing",
        &[("production", "content-block-manager")],
        |repo| repo,
    );
}

#[test]
fn fixed_content_store_a_cycle_late_was_order() {
    // Production dumped content-store at 02:16 and publishing-api at 23:37
    // until 2023-11-08.
    fixed_between(
        "2023-11-06-71f7f6c526",
        "2023-11-08-028fcd5fdc",
        "order",
        &[("production", "publishing-api-postgres")],
        |repo| repo,
    );
    // Staging restored content-store Monday to Friday but publishing-api
    // on Monday morning too, before any content-store restore that cycle.
    fixed_between(
        "2024-10-08-9be2c5d491",
        "2024-10-29-a926199e6a",
        "order",
        &[
            ("staging", "publishing-api-postgres"),
            ("integration", "publishing-api-postgres"),
        ],
        |repo| repo,
    );
}

#[test]
fn fixed_db_owner_on_a_backup_was_unused_setting() {
    // DB_OWNER went on production's backup-only job on 2025-10-14 and
    // moved to staging's and integration's restores the next day.
    fixed_between(
        "2025-10-14-1894d62dd2",
        "2025-10-15-5afdf7ba78",
        "unused-setting",
        &[("production", "content-block-manager-postgres")],
        |repo| repo,
    );
}

#[test]
fn fixed_integration_reading_production_was_restore_wrong_source() {
    fixed_between(
        "2025-10-15-5afdf7ba78",
        "2025-10-16-0abc2f3fb3",
        "restore-wrong-source",
        &[("integration", "content-block-manager-postgres")],
        |repo| repo,
    );
}

#[test]
fn fixed_ckan_unsanitised_was_unsanitised_copy() {
    // .envsync.yaml says ckan holds personal data and integration is
    // wider; staging began sanitising it on 2026-07-17.
    fixed_between(
        "2026-06-19-04cd99be31",
        "2026-07-17-4da2d98e0e",
        "unsanitised-copy",
        &[("integration", "ckan-postgres")],
        |repo| repo,
    );
}

#[test]
fn a_chart_without_alert_rules_is_one_alert_coverage_finding() {
    // Before 2026-02 the chart's rules folder had no db-backup alerts.
    let (Some(without), Some(with)) =
        (case("2026-02-13-5cad4a38b0"), case("2026-02-13-678c1ebdd9"))
    else {
        return;
    };
    let (_, findings) = lint_chart(&Repo::of(&without));
    let coverage: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "alert-coverage")
        .collect();
    assert_eq!(coverage.len(), 1, "{coverage:#?}");
    assert!(coverage[0]["job"].is_null(), "{coverage:#?}");
    let (_, findings) = lint_chart(&Repo::of(&with));
    assert!(
        findings
            .iter()
            .filter(|f| f["rule"] == "alert-coverage")
            .count()
            > 1
    );
}

#[test]
fn every_revision_lints_in_chart_mode() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let mut last = None;
    for dir in &cases {
        for facts in ["", FACTS] {
            let repo = Repo::of(dir).with_facts(facts);
            let out = envsync()
                .args(["lint", "--format", "json", "--chart-repo"])
                .arg(repo.path())
                .output()
                .unwrap();
            let code = out.status.code();
            assert!(
                matches!(code, Some(0 | 1)),
                "{}: exit {code:?}: {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let findings: Value = serde_json::from_slice(&out.stdout).unwrap();
            last = Some((dir.clone(), findings));
        }
    }
    // The newest revision, with the facts: no errors.
    let (dir, findings) = last.unwrap();
    assert!(dir.ends_with(NEWEST));
    let findings = findings.as_array().unwrap();
    assert_eq!(errors(findings), Vec::<&Value>::new());
}

#[test]
fn envsync_yaml_problems_are_located_in_it() {
    let Some(dir) = case(NEWEST) else {
        return;
    };
    let repo = Repo::of(&dir).with_facts("databases:\n  ckan-postgres: {personal_data: yes}\n");
    let (code, findings) = lint_chart(&repo);
    assert_eq!(code, 1);
    let problem = findings.iter().find(|f| f["rule"] == "schema").unwrap();
    assert!(
        problem["file"].as_str().unwrap().ends_with(".envsync.yaml"),
        "{problem}"
    );
    assert_eq!(
        (problem["line"].as_u64(), problem["column"].as_u64()),
        (Some(2), Some(34))
    );
}

#[test]
fn import_writes_the_envsync_yaml_facts_into_the_catalogue() {
    // 2024-10-08: publishing-api's staging restore on Monday morning has no
    // content-store restore before it that cycle, which only the facts say
    // matters.
    let Some(dir) = case("2024-10-08-9be2c5d491") else {
        return;
    };
    let repo = Repo::of(&dir).with_facts(FACTS);
    let values = repo.path().join("charts/db-backup/values.yaml");
    let catalogue = repo.path().join("catalogue.yaml");
    let out = envsync()
        .args(["import", "--values"])
        .arg(&values)
        .arg("-o")
        .arg(&catalogue)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&catalogue).unwrap();
    for fact in [
        "run_before:\n      - publishing-api-postgres",
        "personal_data: true",
        "wider_access: true",
    ] {
        assert!(text.contains(fact), "no `{fact}` in:\n{text}");
    }
    // The catalogue lints as the chart with its facts does.
    let (_, from_chart) = lint_chart(&repo);
    let (_, from_catalogue) = lint_json(&[catalogue.to_str().unwrap()]);
    let without_coverage = |f: &[Value]| {
        let mut p = places(f);
        p.retain(|(rule, _, _)| rule != "alert-coverage");
        p
    };
    let from_chart = without_coverage(&from_chart);
    assert!(from_chart.contains(&(
        "order".to_owned(),
        "staging".to_owned(),
        "publishing-api-postgres".to_owned()
    )));
    assert_eq!(without_coverage(&from_catalogue), from_chart);
}

#[test]
fn envsync_yaml_allow_suppresses_in_every_environment() {
    let Some(dir) = case(NEWEST) else {
        return;
    };
    let unused = (
        "unused-setting".to_owned(),
        "production".to_owned(),
        "publishing-api-postgres".to_owned(),
    );
    let (_, findings) = lint_chart(&Repo::of(&dir).with_facts(FACTS));
    assert!(places(&findings).contains(&unused), "{findings:#?}");
    let facts = format!(
        "{FACTS}  publishing-api-postgres: {{allow: [{{rule: unused-setting, reason: kept for the next restore}}]}}\n  whitehall-mysql: {{allow: [{{rule: host-overlap, reason: one job}}]}}\n  imminence-postgres: {{allow: [{{rule: order, reason: renamed since}}]}}\n"
    );
    let (_, findings) = lint_chart(&Repo::of(&dir).with_facts(&facts));
    assert!(!places(&findings).contains(&unused), "{findings:#?}");
    // whitehall-mysql has nothing to suppress; imminence-postgres is not in
    // this revision, so its entry is not this revision's to report.
    let unused_allows: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "unused-allow")
        .collect();
    assert_eq!(unused_allows.len(), 1, "{unused_allows:#?}");
    let f = unused_allows[0];
    assert!(
        f["file"].as_str().unwrap().ends_with(".envsync.yaml"),
        "{f}"
    );
    assert_eq!(
        (f["job"].as_str(), f["line"].as_u64()),
        (Some("whitehall-mysql"), Some(8))
    );
}
