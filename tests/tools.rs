//! The test harness itself: each real tool accepts a good file and rejects a
//! bad one, so a check that passes elsewhere in the suite means something.
//! Each test is skipped when its tool is missing, and fails under CI.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// Asserts that a check rejected its input, and returns what it printed.
fn assert_rejected(what: &str, output: Option<Output>) -> String {
    let output = output.expect("the tool is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "{what} was accepted:\n{text}");
    text
}

#[test]
fn yamllint_uses_govuk_settings() {
    if common::require_tool("yamllint").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // No `---` (document-start is off), a comment indented unlike its
    // content (comments-indentation is off), a long unbreakable word.
    let long = format!("https://example.org/{}", "a".repeat(200));
    let good = write(
        dir.path(),
        "good.yaml",
        &format!("cronjobs:\n  - name: x\n# a comment\n    urls:\n      - {long}\n"),
    );
    common::yamllint(&good);

    for (name, text) in [
        ("truthy.yaml", "enabled: yes\n"),
        ("indent.yaml", "a:\n  b:\n     c: 1\n"),
        ("duplicate.yaml", "a: 1\na: 2\n"),
        ("no-newline.yaml", "a: 1"),
        (
            "too-long.yaml",
            &format!("a: {}\n", "word ".repeat(40).trim_end()),
        ),
    ] {
        let bad = write(dir.path(), name, text);
        assert_rejected(name, common::run_yamllint(&bad));
    }
}

#[test]
fn promtool_checks_rules() {
    if common::require_tool("promtool").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.yaml",
        "groups:
  - name: example
    rules:
      - alert: Down
        expr: up == 0
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: Target is down
",
    );
    common::promtool_check_rules([&good]);

    let bad = write(
        dir.path(),
        "bad.yaml",
        "groups:\n  - name: example\n    rules:\n      - alert: Down\n        expr: up ==\n",
    );
    assert_rejected("a bad expression", common::run_promtool_check_rules([&bad]));
}

#[test]
fn promtool_tests_rules() {
    if common::require_tool("promtool").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rules.yaml",
        "groups:\n  - name: example\n    rules:\n      - alert: Down\n        expr: up == 0\n",
    );
    let test = |fires: &str| {
        format!(
            "rule_files:
  - rules.yaml
tests:
  - input_series:
      - series: 'up{{job=\"x\"}}'
        values: '0x10'
    alert_rule_test:
      - eval_time: 5m
        alertname: Down
        exp_alerts:{fires}
"
        )
    };
    let good = write(
        dir.path(),
        "good_test.yaml",
        &test("\n          - exp_labels: {job: x}"),
    );
    common::promtool_test_rules([&good]);

    let bad = write(dir.path(), "bad_test.yaml", &test(" []"));
    assert_rejected(
        "a wrong expectation",
        common::run_promtool_test_rules([&bad]),
    );
}

const CRONJOB: &str = "apiVersion: batch/v1
kind: CronJob
metadata:
  name: db-backup-example
spec:
  schedule: '0 1 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: backup
              image: example/backup:latest
";

#[test]
fn kubernetes_validate_is_strict() {
    if common::require_tool("kubernetes-validate").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.yaml", &format!("{CRONJOB}---\n{CRONJOB}"));
    common::kubernetes_validate([&good]);

    let unknown_field = CRONJOB.replace("  schedule:", "  scheduel: x\n  schedule:");
    let bad = write(dir.path(), "bad.yaml", &unknown_field);
    let text = assert_rejected("an unknown field", common::run_kubernetes_validate([&bad]));
    assert!(
        text.is_empty() || text.contains("'scheduel' was unexpected"),
        "{text}"
    );
}

#[test]
fn rsvg_convert_renders_png() {
    if common::require_tool("rsvg-convert").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let svg = write(
        dir.path(),
        "box.svg",
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="teal"/></svg>"#,
    );
    let png = dir.path().join("box.png");
    common::svg_to_png(&svg, &png);
    assert!(fs::read(&png).unwrap().starts_with(b"\x89PNG"), "not a PNG");
}
