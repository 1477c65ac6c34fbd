//! diff and apply against a govuk-helm-charts checkout built from a real
//! chart revision.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use predicates::prelude::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const NEWEST: &str = "2026-08-14-8603dc7c41";
const VALUES: &str = "charts/db-backup/values.yaml";
const RULES: &str = "charts/monitoring-config/rules";

/// A scratch checkout holding the case's values and rules, and the
/// catalogue imported from them.
fn checkout() -> Option<(tempfile::TempDir, PathBuf)> {
    let case = common::conformance_dir()?.join(NEWEST);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    fs::create_dir_all(repo.join("charts/db-backup")).unwrap();
    fs::copy(case.join("values.yaml"), repo.join(VALUES)).unwrap();
    common::copy_dir(&case.join("rules"), &repo.join(RULES));
    let catalogue = repo.join("catalogue.yaml");
    common::envsync()
        .args(["import", "--values"])
        .arg(repo.join(VALUES))
        .arg("--rules")
        .arg(repo.join(RULES))
        .arg("-o")
        .arg(&catalogue)
        .assert()
        .success();
    // import keeps the chart's own "not completed" windows, so the
    // checkout starts out matching the catalogue.
    diff(&catalogue, repo).success();
    Some((dir, catalogue))
}

fn diff(catalogue: &Path, repo: &Path) -> assert_cmd::assert::Assert {
    common::envsync()
        .arg("diff")
        .arg(catalogue)
        .arg("--chart-repo")
        .arg(repo)
        .env("ENVSYNC_NOW", "2026-11-23T12:00:00Z")
        .env("NO_COLOR", "1")
        .assert()
}

/// Every file below a folder with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else {
            files.push((path.clone(), fs::read(&path).unwrap()));
        }
    }
    files.sort();
    files
}

#[test]
fn import_diff_change_apply_diff() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    diff(&catalogue, repo)
        .success()
        .stderr(predicate::str::contains("no drift"));

    let text = fs::read_to_string(&catalogue).unwrap();
    let changed = text.replacen("schedule: 28 1 * * 1-5", "schedule: 28 2 * * 1-5", 1);
    assert_ne!(
        text, changed,
        "the imported catalogue spells whitehall's staging schedule differently"
    );
    fs::write(&catalogue, changed).unwrap();
    diff(&catalogue, repo).code(1).stdout(predicate::str::contains(
        "staging/whitehall-mysql: schedule 28 1 * * 1-5 → 28 2 * * 1-5 (next run Tue 02:28 UTC)",
    ));

    let before = fs::read_to_string(repo.join(VALUES)).unwrap();
    common::apply(&catalogue, repo).success();
    diff(&catalogue, repo).success();
    let after = fs::read_to_string(repo.join(VALUES)).unwrap();
    let outside = |t: &str| t[..t.find("\ncronjobs:").unwrap()].to_owned();
    assert_eq!(
        outside(&before),
        outside(&after),
        "bytes outside cronjobs: changed"
    );
    assert!(after.contains("schedule: \"28 2 * * 1-5\""));
    common::yamllint(&repo.join(RULES));
}

#[test]
fn suspending_a_job_names_the_alert_it_leaves() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let text = fs::read_to_string(&catalogue).unwrap();
    let changed = text.replacen("suspend: false", "suspend: true", 1);
    fs::write(&catalogue, changed).unwrap();
    diff(&catalogue, dir.path()).code(1).stdout(predicate::str::contains(
        "integration/publisher-postgres: suspended; leaves \"Database backup/restore not completed - Weekly backups\"",
    ));
}

#[test]
fn layout_quoting_anchors_and_alternative_order_are_not_drift() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    let values = repo.join(VALUES);
    let text = fs::read_to_string(&values).unwrap();
    // Requote, reorder keys, and inline an anchor that was merged.
    let edited = text
        .replace("schedule: \"37 23 * * *\"", "schedule: '37 23 * * *'")
        .replacen(
            "    account-api-postgres:\n      schedule: '37 23 * * *'\n      db: account-api_production",
            "    account-api-postgres:\n      db: account-api_production\n      schedule: '37 23 * * *'",
            1,
        )
        .replacen(
            "    whitehall-mysql:\n      <<: *s5cmd-ram-workaround\n      schedule: \"28 0 * * *\"",
            "    whitehall-mysql:\n      resources: {limits: {memory: 2048Mi}, requests: {memory: 2048Mi}}\n      schedule: \"28 0 * * *\"",
            1,
        );
    assert_ne!(text, edited);
    fs::write(&values, edited).unwrap();
    let rules = repo
        .join(RULES)
        .join("staging/database_backups_and_syncs_staging_only_alerts.yaml");
    let text = fs::read_to_string(&rules).unwrap();
    let edited = text.replace(
        "database_instance=~\"ckan-postgres|publishing-api-postgres\"",
        "database_instance=~\"publishing-api-postgres|ckan-postgres\"",
    );
    assert_ne!(text, edited);
    fs::write(&rules, edited).unwrap();
    diff(&catalogue, repo).success();
}

#[test]
fn a_failed_apply_changes_nothing() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    let text = fs::read_to_string(&catalogue).unwrap();
    fs::write(
        &catalogue,
        text.replacen("schedule: 28 1 * * 1-5", "schedule: 28 2 * * 1-5", 1),
    )
    .unwrap();
    // A folder where the generated tests must go, and a read-only rules
    // folder: the values file is staged first, so its write must be undone
    // too.
    let blocked = repo
        .join(RULES)
        .join("staging/database_backups_and_syncs_staging_only_alerts_tests.yaml");
    fs::create_dir_all(&blocked).unwrap();
    let integration = repo.join(RULES).join("integration");
    fs::set_permissions(&integration, fs::Permissions::from_mode(0o555)).unwrap();
    let before = snapshot(repo);
    with_tests("apply", &catalogue, repo, "replace")
        .code(2)
        .stderr(predicate::str::contains("cannot write"));
    assert_eq!(
        before,
        snapshot(repo),
        "a failed apply changed the checkout"
    );
    fs::set_permissions(&integration, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn json_gives_the_changes_as_data() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let text = fs::read_to_string(&catalogue).unwrap();
    fs::write(
        &catalogue,
        text.replacen("schedule: 28 1 * * 1-5", "schedule: 28 2 * * 1-5", 1),
    )
    .unwrap();
    let out = common::envsync()
        .arg("diff")
        .arg(&catalogue)
        .arg("--chart-repo")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let data: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = &data["jobs"][0];
    assert_eq!(job["env"], "staging");
    assert_eq!(job["job"], "whitehall-mysql");
    assert_eq!(job["fields"][0]["field"], "schedule");
    assert_eq!(job["fields"][0]["new"], "28 2 * * 1-5");
}

/// The catalogue with whitehall's staging schedule changed, so that apply
/// has something to write.
fn change_schedule(catalogue: &Path) {
    let text = fs::read_to_string(catalogue).unwrap();
    let changed = text.replacen("schedule: 28 1 * * 1-5", "schedule: 28 2 * * 1-5", 1);
    assert_ne!(text, changed);
    fs::write(catalogue, changed).unwrap();
}

/// Edits the values file, then checks that apply and diff both refuse it
/// with `message` (exit 2) and that apply leaves every byte as it was.
fn refused(edit: impl Fn(&str) -> String, message: &str) {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    change_schedule(&catalogue);
    let values = repo.join(VALUES);
    let text = fs::read_to_string(&values).unwrap();
    let edited = edit(&text);
    assert_ne!(text, edited);
    fs::write(&values, edited).unwrap();
    let before = snapshot(repo);
    common::apply(&catalogue, repo)
        .code(2)
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains(VALUES));
    assert_eq!(
        before,
        snapshot(repo),
        "a refused apply changed the checkout"
    );
    diff(&catalogue, repo)
        .code(2)
        .stderr(predicate::str::contains(message));
}

#[test]
fn conflict_markers_are_refused() {
    let text = fs::read_to_string(
        common::conformance_dir()
            .map(|d| d.join(NEWEST).join("values.yaml"))
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let at = text.find("\n  staging:\n").map_or(0, |i| i + 1);
    let line = text[..at].lines().count() + 1;
    refused(
        |t| {
            let mut t = t.to_owned();
            t.insert_str(at, "<<<<<<< HEAD\n");
            t.push_str("=======\n  staging: {}\n>>>>>>> theirs\n");
            t
        },
        &format!("values.yaml:{line}:1: a merge conflict marker"),
    );
}

#[test]
fn a_second_cronjobs_is_refused() {
    refused(
        |t| format!("{t}cronjobs:\n  staging: {{}}\n"),
        "`cronjobs:` a second time (the first is at line 81)",
    );
}

#[test]
fn an_anchor_in_the_block_used_after_it_is_refused() {
    refused(
        |t| {
            t.replacen(
                "    whitehall-mysql:\n      <<: *s5cmd-ram-workaround\n",
                "    whitehall-mysql: &whitehall\n      <<: *s5cmd-ram-workaround\n",
                1,
            ) + "copy: *whitehall\n"
        },
        "refers to `&whitehall`",
    );
    refused(
        |t| {
            t.replacen(
                "      schedule: \"28 0 * * *\"",
                "      schedule: &when \"28 0 * * *\"",
                1,
            ) + "later: *when\n"
        },
        "`*when` refers to `&when`",
    );
}

#[test]
fn a_cronjobs_line_inside_a_string_and_a_document_after_the_block_are_kept() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    change_schedule(&catalogue);
    let values = repo.join(VALUES);
    let text = fs::read_to_string(&values).unwrap();
    let note = "note: \"a multi-line string\ncronjobs:\n  production: {}\n\"\n";
    let tail = "---\n# a second document\nkept: true\n";
    let edited = text.replacen("cronjobs:\n", &format!("{note}cronjobs:\n"), 1) + tail;
    fs::write(&values, &edited).unwrap();
    common::apply(&catalogue, repo).success();
    let after = fs::read_to_string(&values).unwrap();
    let head = &edited[..edited.find(note).unwrap() + note.len()];
    assert!(
        after.starts_with(head),
        "the bytes before the block changed"
    );
    assert!(after.ends_with(tail), "the document after the block went");
    assert!(after.contains("schedule: \"28 2 * * 1-5\""));
    diff(&catalogue, repo).success();
}

#[test]
fn crlf_mode_and_symbolic_links_are_kept() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    change_schedule(&catalogue);
    // values.yaml: a link to a CRLF file elsewhere, readable by its owner only.
    let values = repo.join(VALUES);
    let real = repo.join("elsewhere/values.yaml");
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    let text = fs::read_to_string(&values).unwrap();
    fs::write(&real, text.replace('\n', "\r\n")).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
    fs::remove_file(&values).unwrap();
    std::os::unix::fs::symlink("../../elsewhere/values.yaml", &values).unwrap();
    // A rules file in CRLF, group-readable only.
    let rules = repo
        .join(RULES)
        .join("staging/database_backups_and_syncs_staging_only_alerts.yaml");
    let text = fs::read_to_string(&rules).unwrap();
    fs::write(&rules, text.replace('\n', "\r\n")).unwrap();
    fs::set_permissions(&rules, fs::Permissions::from_mode(0o640)).unwrap();

    common::apply(&catalogue, repo).success();
    assert!(
        fs::symlink_metadata(&values)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let after = fs::read_to_string(&real).unwrap();
    assert!(after.contains("schedule: \"28 2 * * 1-5\""));
    let bare_lf = |t: &str| t.match_indices('\n').any(|(i, _)| !t[..i].ends_with('\r'));
    assert!(!bare_lf(&after), "values.yaml has LF line endings now");
    assert!(!bare_lf(&fs::read_to_string(&rules).unwrap()));
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&real), 0o600);
    assert_eq!(mode(&rules), 0o640);
    diff(&catalogue, repo).success();
}

#[test]
fn apply_makes_no_chart_folders() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    change_schedule(&catalogue);
    fs::remove_dir_all(repo.join("charts/monitoring-config")).unwrap();
    let before = snapshot(repo);
    common::apply(&catalogue, repo)
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}/charts/monitoring-config is missing",
            repo.display()
        )));
    assert_eq!(before, snapshot(repo));
    assert!(!repo.join("charts/monitoring-config").exists());
}

#[test]
fn a_second_apply_is_refused_while_one_runs() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    change_schedule(&catalogue);
    let before = snapshot(repo);
    // The lock as a running apply holds it.
    let lock = envsync::output::Lock::take(repo).unwrap();
    for command in ["apply", "diff"] {
        common::envsync()
            .arg(command)
            .arg(&catalogue)
            .arg("--chart-repo")
            .arg(repo)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("another envsync is writing into"));
    }
    drop(lock);
    assert_eq!(before, snapshot(repo));
    common::apply(&catalogue, repo).success();
}

#[test]
fn apply_clears_temporary_files_an_earlier_envsync_left() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    change_schedule(&catalogue);
    // As an envsync that kept no journal left them when killed.
    let stale = [
        repo.join("charts/db-backup/.envsync-Xa81Qz.tmp"),
        repo.join(RULES).join("staging/.envsync-0pLk2w.tmp"),
    ];
    for path in &stale {
        fs::write(path, "half a file").unwrap();
    }
    // The generated tests go into the staging folder too.
    with_tests("apply", &catalogue, repo, "replace").success();
    for path in &stale {
        assert!(!path.exists(), "{} is still there", path.display());
    }
    let leftovers: Vec<_> = snapshot(repo)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".envsync")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Every generated promtool test file of the catalogue's render, written
/// into the checkout as if the team had written them.
fn hand_written_tests(catalogue: &Path, repo: &Path) -> Vec<PathBuf> {
    let out = tempfile::tempdir().unwrap();
    common::envsync()
        .arg("render")
        .arg(catalogue)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let mut written = Vec::new();
    for (path, bytes) in snapshot(&out.path().join("rules")) {
        let relative = path.strip_prefix(out.path().join("rules")).unwrap();
        if relative.to_string_lossy().ends_with("_tests.yaml") {
            let target = repo.join(RULES).join(relative);
            fs::write(&target, bytes).unwrap();
            written.push(target);
        }
    }
    assert_eq!(written.len(), 4, "{written:?}");
    written
}

fn with_tests(
    command: &str,
    catalogue: &Path,
    repo: &Path,
    tests: &str,
) -> assert_cmd::assert::Assert {
    common::envsync()
        .arg(command)
        .arg(catalogue)
        .arg("--chart-repo")
        .arg(repo)
        .args(["--tests", tests])
        .env("ENVSYNC_NOW", "2026-11-23T12:00:00Z")
        .env("NO_COLOR", "1")
        .assert()
}

#[test]
fn the_checkouts_promtool_tests_are_left_alone_unless_asked() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    let tests = hand_written_tests(&catalogue, repo);
    // The team's tests are theirs: edited, they are still no drift.
    let text = fs::read_to_string(&tests[0]).unwrap();
    let edited = text.replacen("evaluation_interval: 15m", "evaluation_interval: 5m", 1);
    assert_ne!(text, edited);
    fs::write(&tests[0], &edited).unwrap();
    diff(&catalogue, repo)
        .success()
        .stderr(predicate::str::contains("warning").not());
    with_tests("diff", &catalogue, repo, "replace")
        .code(1)
        .stdout(predicate::str::contains(
            "-evaluation_interval: 5m\n+evaluation_interval: 15m",
        ))
        .stdout(predicate::str::ends_with(
            "\n0 jobs change; 1 file differs (+1 -1 lines)\n",
        ));

    change_schedule(&catalogue);
    let before = snapshot(repo);
    common::apply(&catalogue, repo).success();
    let changed: Vec<PathBuf> = snapshot(repo)
        .into_iter()
        .zip(&before)
        .filter(|(after, before)| after != *before)
        .map(|(after, _)| after.0)
        .collect();
    assert_eq!(
        changed,
        [repo.join(VALUES)],
        "apply wrote the tests or the rules"
    );

    with_tests("apply", &catalogue, repo, "add").success();
    for test in &tests {
        let name = test.file_name().unwrap().to_string_lossy();
        let beside = test.with_file_name(name.replace("_tests.yaml", "_generated_tests.yaml"));
        assert!(beside.is_file(), "{} was not written", beside.display());
    }
    assert_eq!(fs::read_to_string(&tests[0]).unwrap(), edited);
    with_tests("apply", &catalogue, repo, "replace").success();
    assert_ne!(fs::read_to_string(&tests[0]).unwrap(), edited);
    with_tests("diff", &catalogue, repo, "replace").success();
}

#[test]
fn the_checkouts_promtool_tests_that_fail_against_the_render_are_named() {
    if common::require_tool("promtool").is_none() {
        return;
    }
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    hand_written_tests(&catalogue, repo);
    diff(&catalogue, repo)
        .success()
        .stderr(predicate::str::contains("warning").not());
    // Suspended, integration's publisher-postgres leaves its alert, which
    // the tests written for the old rules expect to fire.
    let text = fs::read_to_string(&catalogue).unwrap();
    fs::write(
        &catalogue,
        text.replacen("suspend: false", "suspend: true", 1),
    )
    .unwrap();
    let failing = format!(
        "warning: {RULES}/integration/database_backups_and_syncs_integration_only_alerts_tests.yaml: the checkout's promtool tests fail against the rendered rules"
    );
    diff(&catalogue, repo)
        .code(1)
        .stderr(predicate::str::contains(failing.as_str()))
        .stderr(predicate::str::contains("FAILED"))
        .stderr(predicate::str::contains("warning: ").count(1));
    common::apply(&catalogue, repo)
        .success()
        .stderr(predicate::str::contains(failing.as_str()));
}

/// The lines of two texts that differ, as (old, new) pairs, when they
/// have as many lines.
fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    assert_eq!(before.lines().count(), after.lines().count());
    before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

#[test]
fn apply_changes_only_the_bytes_whose_meaning_changes() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    // Imported and applied unchanged: not a byte changes.
    let before = snapshot(repo);
    common::apply(&catalogue, repo)
        .success()
        .stderr(predicate::str::contains("nothing to change"));
    assert_eq!(before, snapshot(repo));

    // A schedule edit is that one line, in the file's quoting.
    let values = repo.join(VALUES);
    let text = fs::read_to_string(&values).unwrap();
    change_schedule(&catalogue);
    common::apply(&catalogue, repo).success();
    let after = fs::read_to_string(&values).unwrap();
    assert_eq!(
        changed_lines(&text, &after),
        [(
            "      schedule: \"28 1 * * 1-5\"".to_owned(),
            "      schedule: \"28 2 * * 1-5\"".to_owned()
        )]
    );
}

#[test]
fn a_job_the_catalogue_lacks_goes_with_its_comments_and_one_it_adds_is_written_as_its_neighbours() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    let values = repo.join(VALUES);
    let text = fs::read_to_string(&values).unwrap();
    let chat = "    chat-postgres:\n      schedule: \"47 23 * * *\"\n      db: govuk_chat_production\n      operations:\n        - op: backup\n\n";
    let extra = "    # Not in the catalogue.\n    extra-postgres:\n      schedule: \"1 2 * * *\"  # note\n      operations:\n        - op: backup\n\n";
    let edited = text.replacen(chat, extra, 1);
    assert_ne!(text, edited);
    fs::write(&values, &edited).unwrap();
    common::apply(&catalogue, repo).success();
    assert_eq!(fs::read_to_string(&values).unwrap(), text);
    diff(&catalogue, repo).success();
}

#[test]
fn a_merge_that_no_longer_fits_is_expanded_for_that_job_alone() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    let values = repo.join(VALUES);
    let text = fs::read_to_string(&values).unwrap();
    let edited = text.replacen(
        "    chat-postgres:\n      schedule: \"47 23 * * *\"\n",
        "    chat-postgres:\n      <<: *mongo-resources\n      schedule: \"47 23 * * *\"\n",
        1,
    );
    assert_ne!(text, edited);
    fs::write(&values, &edited).unwrap();
    common::apply(&catalogue, repo).success();
    let after = fs::read_to_string(&values).unwrap();
    // The job loses its merge, and keeps its quoting; no other line changes.
    let changed_job: Vec<_> = similar::TextDiff::from_lines(&edited, &after)
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| c.value().to_owned())
        .collect();
    assert_eq!(changed_job, ["      <<: *mongo-resources\n"]);
    assert_eq!(
        after.matches("<<: *").count(),
        text.matches("<<: *").count()
    );
    assert_eq!(after.matches('#').count(), text.matches('#').count());
    diff(&catalogue, repo).success();
}

#[test]
fn a_rule_whose_meaning_changes_is_edited_in_place_in_the_files_style() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    // The hand-written staging rules, as GOV.UK has them: the two alerts
    // that tell every missed run differ from the render (see checkout()).
    let staging = "staging/database_backups_and_syncs_staging_only_alerts.yaml";
    let case = common::conformance_dir().unwrap().join(NEWEST);
    let text = fs::read_to_string(case.join("rules").join(staging)).unwrap();
    let path = repo.join(RULES).join(staging);
    fs::write(&path, &text).unwrap();
    common::apply(&catalogue, repo).success();
    let after = fs::read_to_string(&path).unwrap();
    diff(&catalogue, repo).success();
    let count = |t: &str, what: &str| t.matches(what).count();
    for kept in [
        "expr: >-",
        "description: >-",
        "# yamllint disable rule:line-length",
    ] {
        assert_eq!(count(&text, kept), count(&after, kept), "{kept:?}");
    }
    assert!(!after.contains("Generated by envsync"));
    // Only lines of the two alerts' expressions differ.
    let changed: Vec<_> = similar::TextDiff::from_lines(&text, &after)
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| c.value().trim().to_owned())
        .collect();
    assert!(changed.len() < 40, "{changed:#?}");
    for line in &changed {
        assert!(
            line.is_empty()
                || [
                    "(db_backup",
                    "state=",
                    "database_instance",
                    "}",
                    "and on()",
                    "< time()",
                    "or"
                ]
                .iter()
                .any(|s| line.starts_with(s)),
            "{line:?} changed"
        );
    }
    common::yamllint(&repo.join(RULES));
}

#[test]
fn diff_shows_what_apply_writes_in_the_files_own_line_numbers() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    let text = fs::read_to_string(repo.join(VALUES)).unwrap();
    let old = "      schedule: \"28 1 * * 1-5\"\n";
    let line = text[..text.find(old).unwrap()].lines().count() + 1;
    change_schedule(&catalogue);
    let hunk = format!(
        "@@ -{0},7 +{0},7 @@\n \n     whitehall-mysql:\n       <<: *s5cmd-ram-workaround\n-      schedule: \"28 1 * * 1-5\"\n+      schedule: \"28 2 * * 1-5\"\n",
        line - 3
    );
    diff(&catalogue, repo)
        .code(1)
        .stdout(predicate::str::contains(hunk))
        .stdout(predicate::str::ends_with(
            "\n1 job changes; 1 file differs (+1 -1 lines)\n",
        ));
}

#[test]
fn an_error_finding_stops_apply_before_anything_is_written() {
    let Some((dir, catalogue)) = checkout() else {
        return;
    };
    let repo = dir.path();
    change_schedule(&catalogue);
    let text = fs::read_to_string(&catalogue).unwrap();
    let at = text.find("schedule: 28 2 * * 1-5\n").unwrap();
    let line_start = text[..at].rfind('\n').unwrap() + 1;
    let indent = &text[line_start..at];
    let end = at + "schedule: 28 2 * * 1-5\n".len();
    let edited = format!(
        "{}{indent}max_runtime_seconds: 60\n{}",
        &text[..end],
        &text[end..]
    );
    fs::write(&catalogue, edited).unwrap();
    let before = snapshot(repo);
    common::apply(&catalogue, repo)
        .code(1)
        .stderr(predicate::str::contains("[deadline-too-short]"))
        .stderr(predicate::str::contains("the checkout is left as it is"));
    assert_eq!(before, snapshot(repo));
    diff(&catalogue, repo)
        .code(1)
        .stderr(predicate::str::contains("[deadline-too-short]"));
}
