//! Adopting envsync on a chart as it stands: a catalogue imported from a
//! govuk-helm-charts checkout renders what the checkout holds, so the first
//! `diff` is clean and the first `apply` changes no byte; the alerts import
//! kept as the chart has them are the team's second, small change.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const VALUES: &str = "charts/db-backup/values.yaml";
const RULES: &str = "charts/monitoring-config/rules";

fn git(repo: &Path, args: &[&str]) -> String {
    let out = common::isolate_git(Command::new("git").args(args).current_dir(repo))
        .output()
        .expect("running git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A git checkout of a revision's values and rules, and the catalogue
/// imported from it (outside the checkout).
struct Adopted {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    catalogue: PathBuf,
    import_stderr: String,
}

fn adopt(case: &Path) -> Adopted {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    fs::create_dir_all(repo.join("charts/db-backup")).unwrap();
    fs::copy(case.join("values.yaml"), repo.join(VALUES)).unwrap();
    common::copy_dir(&case.join("rules"), &repo.join(RULES));
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "the chart as it stands"]);
    let catalogue = dir.path().join("catalogue.yaml");
    let out = common::envsync()
        .current_dir(&repo)
        .args(["import", "--values", VALUES, "--rules", RULES, "-o"])
        .arg(&catalogue)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import of {}: {out:?}",
        case.display()
    );
    Adopted {
        _dir: dir,
        repo,
        catalogue,
        import_stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn run(command: &str, a: &Adopted) -> std::process::Output {
    common::envsync()
        .arg(command)
        .arg(&a.catalogue)
        .arg("--chart-repo")
        .arg(&a.repo)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// What `envsync render` writes for the adopted catalogue, in a new folder.
fn render(a: &Adopted) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    common::envsync()
        .arg("render")
        .arg(&a.catalogue)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    out
}

/// The revisions that have alert rules (from 2026-02 on).
fn cases_with_rules() -> Option<Vec<PathBuf>> {
    let cases: Vec<PathBuf> = common::conformance_cases()?
        .into_iter()
        .filter(|c| c.join("rules").is_dir())
        .collect();
    assert!(!cases.is_empty(), "no conformance revision has rules");
    Some(cases)
}

fn newest_with_rules() -> Option<PathBuf> {
    cases_with_rules()?.pop()
}

#[test]
fn import_then_diff_is_clean_and_apply_changes_no_byte_on_every_revision_with_rules() {
    let Some(cases) = cases_with_rules() else {
        return;
    };
    let mut failures = Vec::new();
    let mut team_rules = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let a = adopt(case);
        // The rules import leaves to the team are named in its summary.
        let catalogue = fs::read_to_string(&a.catalogue).unwrap();
        if catalogue.contains("team_rules:") {
            team_rules += 1;
            assert!(
                a.import_stderr
                    .contains("rule(s) of the chart's rules files to the team"),
                "{name}: {}",
                a.import_stderr
            );
        }
        let diff = run("diff", &a);
        if diff.status.code() != Some(0) {
            failures.push(format!(
                "{name}: diff exits {:?}:\n{}",
                diff.status.code(),
                String::from_utf8_lossy(&diff.stdout)
            ));
            continue;
        }
        let apply = run("apply", &a);
        if !apply.status.success() {
            failures.push(format!("{name}: apply fails: {apply:?}"));
            continue;
        }
        let changed = git(&a.repo, &["status", "--porcelain", "--untracked-files=all"]);
        if !changed.is_empty() {
            failures.push(format!(
                "{name}: apply changes files:\n{changed}{}",
                git(&a.repo, &["diff", "--stat"])
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // GOV.UK's "Test alert - please ignore" of 2026-02-13.
    assert!(team_rules >= 1, "no revision has a rule of the team's");
}

/// The imported catalogue with its `alerts.not_completed.kept` entries
/// deleted.
fn without_kept(catalogue: &Path) {
    let text = fs::read_to_string(catalogue).unwrap();
    let mut out = Vec::new();
    let mut skipping = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        match skipping {
            Some(at) if indent > at || line.trim_start().starts_with("- ") && indent == at => {
                continue;
            }
            _ => skipping = None,
        }
        if line.trim_start() == "kept:" {
            skipping = Some(indent);
            continue;
        }
        out.push(line);
    }
    let edited = out.join("\n") + "\n";
    assert_ne!(edited, text, "the imported catalogue keeps no alert");
    assert!(!edited.contains("Sunday to Thursday"), "{edited}");
    fs::write(catalogue, edited).unwrap();
}

#[test]
fn import_says_which_alerts_it_kept_and_lint_says_what_deleting_them_fixes() {
    let Some(case) = newest_with_rules() else {
        return;
    };
    let a = adopt(&case);
    let summary = a
        .import_stderr
        .lines()
        .find(|l| l.starts_with("kept "))
        .unwrap_or_else(|| panic!("no summary of kept alerts: {}", a.import_stderr));
    assert!(
        summary.contains("staging \"Weekday\"")
            && summary.contains("staging \"Sunday to Thursday\"")
            && summary.contains("apply changes nothing"),
        "{summary}"
    );
    let lint = common::envsync()
        .arg("lint")
        .arg(&a.catalogue)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let findings =
        String::from_utf8_lossy(&lint.stderr).into_owned() + &String::from_utf8_lossy(&lint.stdout);
    let kept: Vec<&str> = findings
        .lines()
        .filter(|l| l.contains("[alert-window]"))
        .collect();
    // GOV.UK's Sunday-to-Thursday alert checks Monday at 25 hours, which
    // Sunday's run may still be making, and never checks Friday.
    assert!(
        kept.iter().any(|l| l.contains("Sunday to Thursday")
            && l.contains("fires while every run is on time, on Monday")),
        "{findings}"
    );
    assert!(
        kept.iter().any(|l| l.contains("Sunday to Thursday")
            && l.contains("a missed Thursday 22:06 run is told only at Monday 00:00")),
        "{findings}"
    );
    assert!(
        kept.iter().all(|l| l.contains("delete this entry")),
        "{findings}"
    );
    without_kept(&a.catalogue);
    let lint = common::envsync()
        .arg("lint")
        .arg(&a.catalogue)
        .output()
        .unwrap();
    let after = String::from_utf8_lossy(&lint.stderr);
    assert!(!after.contains("[alert-window]"), "{after}");
}

#[test]
fn deleting_the_kept_alerts_changes_the_rules_alone() {
    let Some(case) = newest_with_rules() else {
        return;
    };
    let a = adopt(&case);
    without_kept(&a.catalogue);
    let diff = run("diff", &a);
    assert_eq!(diff.status.code(), Some(1), "{diff:?}");
    let stdout = String::from_utf8(diff.stdout).unwrap();
    let files: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("+++ b/"))
        .collect();
    assert_eq!(
        files,
        [format!(
            "{RULES}/staging/database_backups_and_syncs_staging_only_alerts.yaml"
        )],
        "{stdout}"
    );
    assert!(stdout.contains("0 jobs change"), "{stdout}");
    let apply = run("apply", &a);
    assert!(apply.status.success(), "{apply:?}");
    let changed = git(&a.repo, &["status", "--porcelain"]);
    assert_eq!(
        changed.trim(),
        format!("M {RULES}/staging/database_backups_and_syncs_staging_only_alerts.yaml"),
    );
    assert_eq!(run("diff", &a).status.code(), Some(0));
}

#[test]
fn the_promtool_tests_of_every_render_with_kept_alerts_pass() {
    let Some(cases) = cases_with_rules() else {
        return;
    };
    let mut false_alarms_shown = 0;
    for case in &cases {
        let a = adopt(case);
        if !fs::read_to_string(&a.catalogue).unwrap().contains("kept:") {
            continue;
        }
        let out = render(&a);
        let mut files = Vec::new();
        for entry in walk(&out.path().join("rules")) {
            if entry.to_string_lossy().ends_with("_tests.yaml") {
                let text = fs::read_to_string(&entry).unwrap();
                if text.contains("the kept window fires while runs are on time") {
                    false_alarms_shown += 1;
                }
                files.push(entry);
            }
        }
        common::promtool_test_rules(&files);
    }
    // GOV.UK's Sunday-to-Thursday alert fires on Monday while Sunday's
    // run may still be going: the tests show it, from 2026-02-17 on.
    assert!(false_alarms_shown >= 6, "{false_alarms_shown}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn diff_and_apply_print_the_warnings_a_change_brings_and_not_the_charts_own() {
    let Some(case) = newest_with_rules() else {
        return;
    };
    let a = adopt(&case);
    // The chart's own findings (its Sunday-to-Thursday window among them)
    // are not the change's.
    let clean = run("diff", &a);
    assert_eq!(clean.status.code(), Some(0), "{clean:?}");
    let stderr = String::from_utf8(clean.stderr).unwrap();
    assert!(!stderr.contains("warning"), "{stderr}");
    // A kept entry that names no alert is a warning the chart does not have.
    let text = fs::read_to_string(&a.catalogue).unwrap();
    let edited = text.replacen(
        "    kept:\n",
        "    kept:\n      - environment: staging\n        alert: Fortnightly\n        instances: [chat-postgres]\n",
        1,
    );
    assert_ne!(text, edited);
    fs::write(&a.catalogue, edited).unwrap();
    for command in ["diff", "apply"] {
        let out = run(command, &a);
        assert!(out.status.success(), "{command}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("no \"not completed\" alert is named \"Fortnightly\" there")
                && stderr.contains("the chart does not have yet"),
            "{command}: {stderr}"
        );
        assert_eq!(stderr.matches("warning:").count(), 1, "{command}: {stderr}");
    }
    assert_eq!(
        git(&a.repo, &["status", "--porcelain", "--", "charts"]),
        "",
        "the entry changes no rule"
    );
}

/// The CronJobs of a file of YAML documents, by name, as data (read as
/// Helm and Kubernetes read YAML).
fn cronjobs(text: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    use envsync::read::yaml::{self, Dialect};
    text.split("\n---\n")
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && l != "---")
        })
        .map(|d| {
            let doc = yaml::parse(d, Dialect::HelmValues)
                .unwrap_or_else(|e| panic!("{e} in:\n{d}"))
                .value
                .to_json();
            assert_eq!(doc["kind"], "CronJob", "{doc}");
            (doc["metadata"]["name"].as_str().unwrap().to_owned(), doc)
        })
        .collect()
}

#[test]
fn what_apply_writes_after_an_edit_renders_with_helm_to_the_rendered_cronjobs() {
    let Some(case) = newest_with_rules() else {
        return;
    };
    let Some(helm) = common::helm() else {
        return;
    };
    let a = adopt(&case);
    let text = fs::read_to_string(&a.catalogue).unwrap();
    // chat-postgres in staging, an hour later.
    let edited = text.replacen(
        "    staging: 47 1 * * 1-5\n",
        "    staging: 47 2 * * 1-5\n",
        1,
    );
    assert!(text != edited, "no staging schedule 47 1 * * 1-5 to edit");
    fs::write(&a.catalogue, edited).unwrap();
    assert!(run("apply", &a).status.success());
    let changed = git(&a.repo, &["diff", "--numstat"]);
    assert_eq!(changed, format!("1\t1\t{VALUES}\n"));

    let out = render(&a);
    // The chart's templates are GOV.UK's as bench/chart holds them
    // (tests/manifests.rs checks them against every revision).
    let chart = common::manifest_dir().join("bench/chart");
    let mut compared = 0;
    for env in ["production", "staging", "integration"] {
        let printed = Command::new(&helm)
            .args(["template", "db-backup"])
            .arg(&chart)
            .arg("--values")
            .arg(a.repo.join(VALUES))
            .args(["--set", &format!("govukEnvironment={env}")])
            .output()
            .unwrap();
        assert!(printed.status.success(), "{printed:?}");
        let helm = cronjobs(&String::from_utf8(printed.stdout).unwrap());
        let ours = cronjobs(
            &fs::read_to_string(out.path().join(format!("manifests/{env}.yaml"))).unwrap(),
        );
        assert_eq!(
            helm.keys().collect::<Vec<_>>(),
            ours.keys().collect::<Vec<_>>(),
            "{env}"
        );
        for (name, object) in &helm {
            assert_eq!(object, &ours[name], "{env}: {name}");
        }
        compared += helm.len();
    }
    // As many as GOV.UK's chart renders from the revision's own values.
    let govuk: usize = ["production", "staging", "integration"]
        .iter()
        .map(|env| {
            cronjobs(&fs::read_to_string(case.join(format!("rendered/{env}.yaml"))).unwrap()).len()
        })
        .sum();
    assert_eq!(compared, govuk);
    let staging = fs::read_to_string(out.path().join("manifests/staging.yaml")).unwrap();
    assert!(
        staging.contains("schedule: \"47 2 * * 1-5\""),
        "the edit is not rendered"
    );
}
