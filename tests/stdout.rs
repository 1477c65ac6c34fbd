//! Every command that prints to standard output says so, and exits 2, when
//! the write fails; a pipe closed early is not a failure.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::OpenOptions;
use std::process::{Command, Stdio};

fn envsync() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_envsync"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ENVSYNC_NOW", "2026-11-24T10:00:00Z");
    cmd
}

const FIXTURE: &str = "fixtures/govuk/catalogue.yaml";

#[test]
fn a_full_disk_is_an_error_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, common::SMALL_VALUES).unwrap();
    let invalid = dir.path().join("invalid.yaml");
    std::fs::write(&invalid, "environments: 3\n").unwrap();
    let (values, invalid) = (values.to_str().unwrap(), invalid.to_str().unwrap());
    let commands: &[&[&str]] = &[
        &["schema"],
        &["rules"],
        &["rule", "order"],
        &["lint", FIXTURE],
        &["lint", FIXTURE, "--format", "json"],
        &["validate", "--format", "json", invalid],
        &["completions", "bash"],
        &["man"],
        &[
            "explain",
            "content-store-postgres",
            "--env",
            "staging",
            FIXTURE,
        ],
        &["schedule", FIXTURE],
        &["import", "--values", values],
    ];
    for args in commands {
        let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = envsync()
            .args(*args)
            .stdout(Stdio::from(full))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            last.starts_with("error: cannot write to standard output: "),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = envsync()
        .arg("man")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
}
