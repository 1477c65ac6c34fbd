//! Small inputs, bounded work: what a catalogue or file can make envsync
//! do is bounded by its size. Each finding of the issue that asked for
//! this is a test here, through the command line.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::envsync;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CATALOGUE: &str = "\
environments:
  production:
chart:
  toolbox: {image: {repository: toolbox, tag: v1}}
databases:
  chat-postgres:
    production: \"SCHEDULE\"
";

/// validate's standard error and exit code for a schedule.
fn validate_schedule(schedule: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.yaml");
    std::fs::write(&path, CATALOGUE.replace("SCHEDULE", schedule)).unwrap();
    let out = envsync()
        .args(["validate", "--format", "concise"])
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_under_a_minute_is_refused_where_it_is_written() {
    for (schedule, why) in [
        ("@every 1s", "under one minute"),
        ("@every 59s", "under one minute"),
        ("@every 0s", "positive duration"),
        ("@every -5m", "positive duration"),
    ] {
        let (code, stderr) = validate_schedule(schedule);
        assert_eq!(code, Some(1), "{schedule}: {stderr}");
        assert!(
            stderr.contains("catalogue.yaml:7:17: error[model] schedule") && stderr.contains(why),
            "{schedule}: {stderr}"
        );
    }
    // One minute is a schedule the controller can honour; what refuses it
    // here is the alert rules (an hour-long backup every minute cannot be
    // watched), not the cron dialect.
    let (_, stderr) = validate_schedule("@every 1m");
    assert!(
        !stderr.contains("under one minute") && !stderr.contains("positive duration"),
        "{stderr}"
    );
    let (code, stderr) = validate_schedule("@every 2h");
    assert_eq!(code, Some(0), "{stderr}");
}

/// `schedule` on `@every 1s` never ended; now the schedule is refused.
#[test]
fn schedule_of_every_second_ends_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.yaml");
    std::fs::write(&path, CATALOGUE.replace("SCHEDULE", "@every 1s")).unwrap();
    let started = Instant::now();
    let out = envsync().arg("schedule").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_device_is_not_read() {
    for command in [
        vec!["validate", "/dev/zero"],
        vec!["import", "--values", "/dev/zero"],
        vec!["lint", "/dev/zero"],
    ] {
        let out = envsync().args(&command).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains("cannot read /dev/zero: not a regular file"),
            "{command:?}: {stderr}"
        );
    }
}

/// A FIFO blocked for ever: it is refused without being opened.
#[test]
fn a_fifo_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("values.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_envsync"))
        .arg("import")
        .arg("--values")
        .arg(&fifo)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("envsync import blocked on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
}

#[test]
fn a_file_over_16_mib_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.yaml");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len((16 << 20) + 1).unwrap();
    let out = envsync().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 16 MiB"));
}

/// `--templates` had no execution limit.
#[test]
fn a_template_that_never_ends_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.yaml");
    std::fs::write(&path, CATALOGUE.replace("SCHEDULE", "1 1 * * *")).unwrap();
    let templates = dir.path().join("templates/rules");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("links.txt"),
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let started = Instant::now();
    let out = envsync()
        .arg("render")
        .arg(&path)
        .arg("--templates")
        .arg(dir.path().join("templates"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("fuel") || stderr.contains("larger than"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!dir.path().join("out").exists());
}
