//! What fuzzing `fuzz/`'s targets found: each input as minimised, and its
//! siblings of the same kind, now a clean refusal with the line and column
//! (or, for the schedule, a clean parse).
//!
//! `import` promises that a values file it accepts gives a catalogue that
//! loads. The values fuzzer broke that promise: each values input here was
//! imported, and the catalogue written for it failed the schema.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use envsync::read::catalogue;
use envsync::read::yaml;
use envsync::render::catalogue as import;
use std::path::Path;

/// Imports `text`: either it is refused, with `message` among the problems
/// at `line`, or (a failure) the catalogue written must at least load.
fn refused(text: &str, line: usize, message: &str) {
    match envsync::read::values::import(Path::new("values.yaml"), text) {
        Ok(plan) => {
            let data = import::catalogue(&plan, &import::profiles_in_values(text)).unwrap();
            let written = yaml::to_string(&data).unwrap();
            let loaded = catalogue::load(Path::new("imported.yaml"), &written);
            panic!("imported {text:?}; the catalogue loads: {}", loaded.is_ok());
        }
        Err(problems) => {
            assert!(
                problems
                    .0
                    .iter()
                    .any(|d| d.line == line && d.message.contains(message)),
                "no `{message}` at line {line} for {text:?}:\n{problems}"
            );
        }
    }
}

/// The values fuzzer's first finding, minimised: a `cronjobs:` key with
/// nothing under it imported as a catalogue with no environments.
const CRONJOBS_NULL: &str = "cronjobs:";

#[test]
fn fuzz_values_cronjobs_null_is_refused() {
    refused(
        CRONJOBS_NULL,
        1,
        "`cronjobs:` is not a mapping of environments",
    );
}

#[test]
fn fuzz_values_cronjobs_null_import_exits_1_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.yaml");
    std::fs::write(&path, CRONJOBS_NULL).unwrap();
    let catalogue = dir.path().join("catalogue.yaml");
    let out = common::envsync()
        .args(["import", "--values"])
        .arg(&path)
        .arg("-o")
        .arg(&catalogue)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:1:", path.display())),
        "{stderr}"
    );
    assert!(!catalogue.exists());
}

#[test]
fn fuzz_values_cronjobs_not_environments_is_refused() {
    refused("cronjobs: {}\n", 1, "`cronjobs:` has no environments");
    refused("cronjobs: []\n", 1, "`cronjobs:` is not a mapping");
    refused("cronjobs: 5\n", 1, "`cronjobs:` is not a mapping");
    refused(
        "cronjobs:\n  production: [a]\n",
        2,
        "environment `production` is a list, not a mapping of jobs",
    );
    refused(
        "cronjobs:\n  Prod_1: {}\n",
        2,
        "`Prod_1` is not a valid Kubernetes name",
    );
}

/// A job in one environment with `extra` added to it.
fn job(extra: &str) -> String {
    format!(
        "cronjobs:\n  production:\n    chat-postgres:\n      schedule: \"47 23 * * *\"\n      operations: [{{op: backup}}]\n{extra}"
    )
}

/// The values fuzzer's second finding, minimised by hand from a real
/// revision with one letter changed: `resources` with a key Kubernetes does
/// not know was copied into a catalogue whose schema refuses it.
#[test]
fn fuzz_values_resources_unknown_key_is_refused() {
    refused(
        &job("      resources:\n        limitk: {memory: 1Gi}\n"),
        7,
        "`resources`: Additional properties are not allowed ('limitk' was unexpected)",
    );
}

#[test]
fn fuzz_values_what_the_schema_refuses_is_refused() {
    refused(
        &job("      maxJobRuntimeSeconds: 0\n"),
        6,
        "`maxJobRuntimeSeconds` must be at least 1",
    );
    refused(
        &job("      extraEnv:\n        - {nam: VERBOSE}\n"),
        7,
        "`extraEnv.0`: Additional properties are not allowed ('nam' was unexpected)",
    );
    let op = "cronjobs:\n  production:\n    chat-postgres:\n      schedule: \"47 23 * * *\"\n      operations:\n        - op: backup\n          extraEnv: [{name: 5}]\n";
    refused(op, 7, "`extraEnv.0.name`: 5 is not of type \"string\"");
    refused(
        &format!("arch: x86\n{}", job("")),
        1,
        "`arch`: \"x86\" is not one of \"amd64\" or \"arm64\"",
    );
}

#[test]
fn fuzz_values_the_same_job_without_the_problem_imports() {
    let text = job("      resources:\n        limits: {memory: 1Gi}\n");
    let plan = envsync::read::values::import(Path::new("values.yaml"), &text).unwrap();
    let data = import::catalogue(&plan, &[]).unwrap();
    let written = yaml::to_string(&data).unwrap();
    catalogue::load(Path::new("imported.yaml"), &written).unwrap();
    // An environment with no jobs yet is still an environment.
    envsync::read::values::import(Path::new("values.yaml"), "cronjobs:\n  production: {}\n")
        .unwrap();
}

/// Found while writing the cron fuzzer's dictionary, which the fuzzer then
/// did not reach: two parts of an `@every` duration of 2^63 ns each overflowed
/// the sum (a panic where overflow is checked). Go's `time.ParseDuration`
/// wraps the sum to 0, which is refused as the API server refuses a zero
/// interval.
const EVERY_OVERFLOW: &str = "@every 9223372036854775808ns9223372036854775808ns";

#[test]
fn fuzz_cron_every_duration_sum_wraps_like_go() {
    let e = envsync::cron::Schedule::parse(EVERY_OVERFLOW).unwrap_err();
    assert!(e.message.contains("positive duration"), "{}", e.message);
    // One part of 2^63 ns is still out of range, as in Go.
    assert!(envsync::cron::Schedule::parse("@every 9223372036854775808ns").is_err());
}

#[test]
fn fuzz_cron_every_duration_sum_validates_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.yaml");
    let text = format!(
        "environments:\n  production:\ndatabases:\n  chat-postgres:\n    production: \"{EVERY_OVERFLOW}\"\n"
    );
    std::fs::write(&path, text).unwrap();
    let out = common::envsync()
        .args(["validate", "--format", "concise"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("catalogue.yaml:5:17: error[model] schedule"),
        "{stderr}"
    );
}

/// The yaml fuzzer's first finding, in a line-by-line reader since
/// removed: a null sequence item must be placed where the parser places it,
/// at the end of its line, after any spaces and comment.
#[test]
fn fuzz_yaml_a_null_item_is_placed_at_the_end_of_its_line() {
    let at = |line, column| envsync::model::plan::Origin { line, column };
    for (text, pointer, place) in [
        ("# a comment\n        - \n", "/0", at(2, 11)),
        ("- \n-   # a comment\n-\n", "/0", at(1, 3)),
        ("- \n-   # a comment\n-\n", "/1", at(2, 16)),
        ("- \n-   # a comment\n-\n", "/2", at(3, 2)),
        ("a:\n  -    \n  - b\n", "/a/0", at(2, 8)),
    ] {
        for dialect in [yaml::Dialect::Catalogue, yaml::Dialect::HelmValues] {
            let root = yaml::parse(text, dialect).unwrap();
            let item = yaml::locate(&root, pointer);
            assert_eq!(item, place, "{text:?} {pointer}");
        }
    }
}

/// The yaml fuzzer's second finding, in a reader since removed: lines
/// broken by a carriage return alone, with comments between, which
/// serde-saphyr refuses ("too many buffered comments while looking ahead").
/// The refusal is reported with its place; lines broken by CR LF read.
const CARRIAGE_RETURNS: &str = "aBmert%a:\r#-r s!esaBlert%a:\r#-r s!%a:postgres\r## rt%a:\r#-r s!%a:post\r#res\r## rt%a:\r#-r\r#-r s!esaBlert%a:\r#-r s!%a:postgres\r## rt%a:\r#-r s!%a:post\r#res\r## rt%a:\r#-r s!%a:post\r#- rrt%a:\r#-r s!%a:postgres\r## rt%a:\r#-r s!%a:post\r#res\r## rt%a:\r#-r\r#-r s!esaBlert%a:\r#-r s!%a:postgres\r## rt%a:\r#-r s!%a:post\r#res\r## rt%a:\r#-r s!%a:post\r#- rt%a:\r#-r s!%a:P:\r#-r s!%a:post\r#- rt%t%a:\r#-r s!%a:P:\r#-r s!%a:post\r#- rt%a:\r#-r s!%a:Pstgres stgres 0\n";

#[test]
fn fuzz_yaml_lines_broken_by_a_carriage_return_alone_are_refused_with_a_place() {
    for dialect in [yaml::Dialect::Catalogue, yaml::Dialect::HelmValues] {
        let err = yaml::parse(CARRIAGE_RETURNS, dialect).unwrap_err();
        assert!(err.origin.line > 0, "{err:?}");
        let root = yaml::parse("a: 1\r\nb: 2\r\n", dialect).unwrap();
        assert_eq!(root.value.to_json(), serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(yaml::locate(&root, "/b").line, 2);
    }
}
