//! The GitHub Actions recipe in docs/ci.md, run as written against a
//! scratch govuk-helm-charts checkout: the `run:` lines are read from the
//! workflow in the document and run with bash in the checkout.
//!
//! The workflow's `cargo install` step is skipped: the envsync these tests
//! built is put first on PATH instead. Steps that only `uses:` an action
//! (checkout, toolchain, SARIF upload) have nothing to run here.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{CHART_VALUES, manifest_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The fenced code blocks of a markdown file after a heading, with their
/// info strings.
fn code_blocks(markdown: &str, heading: &str) -> Vec<(String, String)> {
    let start = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in docs/ci.md"));
    let mut blocks = Vec::new();
    let mut lines = markdown[start..].lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        blocks.push((info.trim().to_owned(), body.join("\n") + "\n"));
    }
    blocks
}

fn doc() -> String {
    std::fs::read_to_string(manifest_dir().join("docs/ci.md")).unwrap()
}

/// The workflow's steps that run a command: (name, script), without the
/// `cargo install` step.
fn workflow_steps() -> Vec<(String, String)> {
    let doc = doc();
    let blocks = code_blocks(&doc, "## GitHub Actions");
    let (_, yaml) = blocks
        .iter()
        .find(|(info, _)| info == "yaml")
        .expect("a yaml block under GitHub Actions");
    let workflow: Value = serde_saphyr::from_str(yaml).expect("the workflow is YAML");
    let steps = workflow["jobs"]["envsync"]["steps"]
        .as_array()
        .expect("jobs.envsync.steps");
    let mut out = Vec::new();
    for step in steps {
        let Some(run) = step["run"].as_str() else {
            continue;
        };
        if run.trim_start().starts_with("cargo install") {
            continue; // the binary under test is on PATH instead
        }
        let name = step["name"].as_str().unwrap_or(run).to_owned();
        out.push((name, run.to_owned()));
    }
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Lint the catalogue",
            "Lint as SARIF",
            "Chart values and rules match the catalogue"
        ],
        "the workflow's steps changed: update this test"
    );
    out
}

/// PATH with the envsync under test first.
fn path() -> std::ffi::OsString {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_envsync"));
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let dirs =
        std::iter::once(bin.parent().unwrap().to_owned()).chain(std::env::split_paths(&inherited));
    std::env::join_paths(dirs).unwrap()
}

/// Runs a script as a GitHub Actions `run:` step does (`bash -e`), in `dir`.
fn bash(dir: &Path, script: &str, vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-e", "-c", script])
        .current_dir(dir)
        .env("PATH", path())
        .env("ENVSYNC_NOW", "2026-11-23T12:00:00Z")
        .env("NO_COLOR", "1");
    common::isolate_git(&mut cmd);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("running bash")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn both(out: &Output) -> String {
    format!("{}{}", stdout(out), String::from_utf8_lossy(&out.stderr))
}

/// The step's script by name.
fn step(name: &str) -> String {
    workflow_steps()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, run)| run)
        .unwrap()
}

/// A catalogue that lints with no findings at all.
const CLEAN: &str = "environments:
  production:
  staging: {restore_from: production}
databases:
  chat-postgres:
    db: govuk_chat_production
    production: 47 23 * * *
    staging: 47 1 * * 1-5
";

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let edited = text.replacen(from, to, 1);
    assert!(edited != text, "no {from:?} in {}", path.display());
    std::fs::write(path, edited).unwrap();
}

/// The SARIF the SARIF step wrote: valid JSON, SARIF 2.1.0, its results.
fn sarif_results(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("envsync.sarif")).expect("envsync.sarif");
    let sarif: Value = serde_json::from_str(&text).expect("envsync.sarif is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    sarif["runs"][0]["results"]
        .as_array()
        .expect("runs[0].results")
        .clone()
}

#[test]
fn the_workflow_steps_pass_on_a_clean_checkout() {
    if common::require_tool("bash").is_none() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    common::chart_checkout_with(dir, CLEAN);
    let steps = workflow_steps();
    for (name, run) in &steps {
        let out = bash(dir, run, &[]);
        assert!(
            out.status.success(),
            "step {name:?} failed:\n{}",
            both(&out)
        );
    }
    // Lint printed nothing: no annotations.
    let out = bash(dir, &step("Lint the catalogue"), &[]);
    assert_eq!(stdout(&out), "", "annotations on a clean catalogue");
    assert_eq!(sarif_results(dir), Vec::<Value>::new());
}

#[test]
fn the_workflow_annotates_problems_and_fails_on_errors_and_drift() {
    if common::require_tool("bash").is_none() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    common::chart_checkout(dir);
    let lint = step("Lint the catalogue");
    let sarif = step("Lint as SARIF");
    let diff = step("Chart values and rules match the catalogue");

    // GOV.UK's catalogue as it is: eleven warnings (see the README),
    // annotated, and no failure.
    let out = bash(dir, &lint, &[]);
    assert!(out.status.success(), "{}", both(&out));
    let annotations = stdout(&out);
    let warnings: Vec<&str> = annotations
        .lines()
        .filter(|l| l.starts_with("::warning file=catalogue.yaml,line="))
        .collect();
    assert_eq!(warnings.len(), 11, "{annotations}");
    assert!(!annotations.contains("::error"), "{annotations}");
    assert!(bash(dir, &sarif, &[]).status.success());
    assert_eq!(sarif_results(dir).len(), 11);
    assert!(bash(dir, &diff, &[]).status.success());

    // A schedule Kubernetes rejects: an error annotation on its line, and
    // the step fails; the SARIF step still writes its file and passes.
    let catalogue = dir.join("catalogue.yaml");
    let good = std::fs::read_to_string(&catalogue).unwrap();
    edit(
        &catalogue,
        "production: 47 23 * * *",
        "production: 47 23 * * 7",
    );
    let out = bash(dir, &lint, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let annotations = stdout(&out);
    let line = good
        .lines()
        .position(|l| l.contains("production: 47 23 * * *"))
        .unwrap()
        + 1;
    assert!(
        annotations
            .lines()
            .any(|l| l.starts_with("::error file=catalogue.yaml,line=")
                && l.contains(&format!("line={line},"))),
        "no error annotation on line {line}:\n{annotations}"
    );
    let out = bash(dir, &sarif, &[]);
    assert!(out.status.success(), "{}", both(&out));
    let results = sarif_results(dir);
    assert!(results.iter().any(|r| r["level"] == "error"), "{results:?}");
    std::fs::write(&catalogue, &good).unwrap();

    // A hand edit of values.yaml: diff fails with the job's summary line.
    edit(
        &dir.join(CHART_VALUES),
        "schedule: 28 1 * * 1-5",
        "schedule: 28 2 * * 1-5",
    );
    let out = bash(dir, &diff, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        stdout(&out).contains(
            "staging/whitehall-mysql: schedule 28 2 * * 1-5 → 28 1 * * 1-5 (next run Tue 01:28 UTC)"
        ),
        "{}",
        both(&out)
    );
}

fn git(dir: &Path, args: &str) {
    let out = bash(dir, &format!("git {args}"), &[]);
    assert!(out.status.success(), "git {args}:\n{}", both(&out));
}

#[test]
fn only_on_changed_files_skips_unless_a_relevant_file_changed() {
    if common::require_tool("bash").is_none() || common::require_tool("git").is_none() {
        return;
    }
    let doc = doc();
    let blocks = code_blocks(&doc, "### Only on changed files");
    let (_, snippet) = blocks
        .iter()
        .find(|(info, _)| info == "sh")
        .expect("a sh block under Only on changed files");
    // The snippet starts a step's script; the diff step follows it.
    let script = format!(
        "{snippet}echo checking\n{}",
        step("Chart values and rules match the catalogue")
    );

    // The base branch, pushed to a remote, and a pull request's clone.
    let scratch = tempfile::tempdir().unwrap();
    let upstream = scratch.path().join("upstream");
    std::fs::create_dir_all(&upstream).unwrap();
    git(&upstream, "init -q -b main");
    common::chart_checkout(&upstream);
    git(&upstream, "add -A");
    git(&upstream, "commit -q -m base");
    let clone = scratch.path().join("clone");
    git(
        scratch.path(),
        &format!("clone -q {} {}", upstream.display(), clone.display()),
    );
    git(&clone, "checkout -q -b change");
    let pull_request = [("GITHUB_BASE_REF", "main")];

    // Nothing relevant changed: the script stops before the checks.
    std::fs::write(clone.join("README.md"), "# charts\n").unwrap();
    git(&clone, "add README.md");
    git(&clone, "commit -q -m readme");
    let out = bash(&clone, &script, &pull_request);
    assert!(out.status.success(), "{}", both(&out));
    let said = stdout(&out);
    assert!(
        said.contains("no catalogue, values or backup rules changed") && !said.contains("checking"),
        "{said}"
    );

    // values.yaml changed (by hand, so it drifts): the checks run and fail.
    edit(
        &clone.join(CHART_VALUES),
        "schedule: 28 1 * * 1-5",
        "schedule: 28 2 * * 1-5",
    );
    git(&clone, "commit -q -a -m values");
    let out = bash(&clone, &script, &pull_request);
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        said.contains(CHART_VALUES) && said.contains("checking"),
        "{said}"
    );
    assert!(said.contains("staging/whitehall-mysql: schedule"), "{said}");

    // Without the base branch to compare with, the step fails rather than
    // skipping the checks.
    let out = bash(&clone, &script, &[("GITHUB_BASE_REF", "no-such-branch")]);
    assert!(!out.status.success(), "{}", both(&out));
    assert!(!stdout(&out).contains("no catalogue"), "{}", both(&out));
}
