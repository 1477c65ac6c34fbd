//! `envsync validate` on good and bad catalogues: exit codes, and errors that
//! name the line and column.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

const GOOD: &str = "\
environments:
  production:
  staging: {restore_from: production}
databases:
  chat-postgres:
    db: govuk_chat_production
    production: 47 23 * * *
    staging: 47 1 * * 1-5
chart:
  toolbox: {image: {repository: toolbox, tag: v1}}
";

fn validate(text: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.yaml");
    std::fs::write(&path, text).unwrap();
    Command::cargo_bin("envsync")
        .unwrap()
        .args(["validate", "--format", "concise"])
        .arg(&path)
        .assert()
}

/// The catalogue with one line replaced.
fn with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

#[test]
fn a_good_catalogue_is_valid() {
    validate(GOOD)
        .success()
        .stderr(predicate::str::contains("valid (2 jobs in 2 environments)"));
}

#[test]
fn the_govuk_catalogue_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/govuk/catalogue.yaml");
    Command::cargo_bin("envsync")
        .unwrap()
        .arg("validate")
        .arg(path)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "valid (78 jobs in 3 environments)",
        ));
}

#[test]
fn an_unknown_key() {
    validate(&with("    db: govuk", "    sanitize: x.sql\n    db: govuk"))
        .code(1)
        .stderr(predicate::str::contains(
            ":6:5: error[model] unknown key or environment `sanitize` (did you mean `sanitise`?)",
        ));
}

#[test]
fn an_unknown_key_in_an_environment_entry() {
    validate(&with(
        "staging: 47 1 * * 1-5",
        "staging: {schedule: 47 1 * * 1-5, suspended: true}",
    ))
    .code(1)
    .stderr(
        predicate::str::contains(":8:5: error[schema]").and(predicate::str::contains("suspended")),
    );
}

#[test]
fn a_wrong_type() {
    validate(&with(
        "staging: 47 1 * * 1-5",
        "staging: {schedule: 47 1 * * 1-5, suspend: maybe}",
    ))
    .code(1)
    .stderr(
        predicate::str::contains(":8:48: error[schema]").and(predicate::str::contains("boolean")),
    );
}

#[test]
fn a_duplicate_key() {
    validate(&with(
        "    staging: 47 1",
        "    production: 1 1 * * *\n    staging: 47 1",
    ))
    .code(1)
    .stderr(
        predicate::str::contains(":8:5: error[yaml]").and(predicate::str::contains("duplicate")),
    );
}

#[test]
fn a_missing_schedule() {
    validate(&with("staging: 47 1 * * 1-5", "staging: {suspend: true}"))
        .code(1)
        .stderr(predicate::str::contains(
            ":8:5: error[model] `chat-postgres` has no schedule in staging",
        ));
}

#[test]
fn a_schedule_kubernetes_rejects() {
    validate(&with("staging: 47 1 * * 1-5", "staging: 47 1 * * 7"))
        .code(1)
        .stderr(
            predicate::str::contains(":8:14: error[model] schedule `47 1 * * 7`")
                .and(predicate::str::contains("0-6")),
        );
}

#[test]
fn an_unknown_environment_in_restore_from() {
    validate(&with("{restore_from: production}", "{restore_from: prod}"))
        .code(1)
        .stderr(predicate::str::contains(
            ":3:27: error[model] unknown environment `prod` in restore_from",
        ));
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let text = with("{restore_from: production}", "{restore_from: prod}")
        .replace("staging: 47 1 * * 1-5", "staging: 47 1 * * 7");
    validate(&text)
        .code(1)
        .stderr(predicate::str::contains("restore_from").and(predicate::str::contains("0-6")));
}

#[test]
fn a_missing_file_is_a_usage_error() {
    Command::cargo_bin("envsync")
        .unwrap()
        .args(["validate", "no/such/catalogue.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read no/such/catalogue.yaml",
        ));
}

#[test]
fn human_output_shows_the_source_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.yaml");
    std::fs::write(
        &path,
        with("{restore_from: production}", "{restore_from: prod}"),
    )
    .unwrap();
    Command::cargo_bin("envsync")
        .unwrap()
        .arg("validate")
        .arg(&path)
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("staging: {restore_from: prod}")
                .and(predicate::str::contains("^^^^")),
        );
}
