//! `alert-window` on real revisions of the chart: GOV.UK's weekday alert
//! checked Saturdays until April 2026, which fired every Saturday while
//! every run was on time; the revision that fixed it is quiet there. The
//! checkout is built from the conformance data at test time.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// A govuk-helm-charts checkout of one revision: its values, its script
/// names as empty files, and its alert rules.
fn checkout(case: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("charts/db-backup");
    std::fs::create_dir_all(chart.join("scripts")).unwrap();
    std::fs::copy(case.join("values.yaml"), chart.join("values.yaml")).unwrap();
    let scripts = std::fs::read_to_string(case.join("scripts.txt")).unwrap();
    for name in scripts.lines().filter(|l| !l.trim().is_empty()) {
        std::fs::write(chart.join("scripts").join(name.trim()), "").unwrap();
    }
    common::copy_dir(
        &case.join("rules"),
        &dir.path().join("charts/monitoring-config/rules"),
    );
    dir
}

/// The `alert-window` findings of a revision: (env, job, message).
fn findings(case: &str) -> Option<Vec<(String, String, String)>> {
    let case = common::conformance_dir()?.join(case);
    let repo = checkout(&case);
    let out = Command::cargo_bin("envsync")
        .unwrap()
        .args(["lint", "--chart-repo", repo.path().to_str().unwrap()])
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let all: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let s = |f: &Value, k: &str| f[k].as_str().unwrap_or_default().to_owned();
    Some(
        all.as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "alert-window")
            .map(|f| (s(f, "env"), s(f, "job"), s(f, "message")))
            .collect(),
    )
}

const WEEKDAY: &str = "Database backup/restore not completed - Weekday backups";

/// Staging's weekday jobs that the alert-window rule finds firing on
/// Saturday through the weekday alert.
fn saturday(found: &[(String, String, String)]) -> BTreeSet<String> {
    found
        .iter()
        .filter(|(env, _, m)| {
            env == "staging" && m.contains(WEEKDAY) && m.contains("on time, on Saturday")
        })
        .map(|(_, job, _)| job.clone())
        .collect()
}

#[test]
fn the_saturday_window_is_found_before_its_fix_and_not_after() {
    let Some(before) = findings("2026-02-17-863d2f2d1c") else {
        return;
    };
    let Some(after) = findings("2026-04-13-42c3a3b0be") else {
        return;
    };
    let jobs = saturday(&before);
    assert!(jobs.contains("chat-postgres"), "{before:#?}");
    assert!(jobs.len() >= 10, "{jobs:?}");
    assert_eq!(saturday(&after), BTreeSet::new(), "{after:#?}");
    // Nothing else about the weekday alert remains after the fix.
    assert!(
        !after.iter().any(|(_, _, m)| m.contains(WEEKDAY)),
        "{after:#?}"
    );
}

/// The newest revision: the Sunday-to-Thursday alert still never checks
/// Friday, so a missed Thursday run is told on Monday.
#[test]
fn the_newest_revision_tells_thursday_late() {
    let Some(found) = findings("2026-08-14-8603dc7c41") else {
        return;
    };
    for job in ["content-store-postgres", "draft-content-store-postgres"] {
        assert!(
            found.iter().any(|(env, j, m)| env == "staging"
                && j == job
                && m.contains("a missed Thursday 22:")
                && m.contains("is told only at Monday 00:00")),
            "{job}: {found:#?}"
        );
    }
}
