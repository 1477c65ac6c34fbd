//! The pre-commit hooks in `.pre-commit-hooks.yaml`, run by the real
//! pre-commit (pinned in scripts/test) on a scratch checkout laid out like
//! govuk-helm-charts. pre-commit builds envsync itself (`language: rust`,
//! `cargo install`) from a git repository holding this clone's tracked
//! files.
//!
//! To keep the cost bounded, pre-commit's store (`PRE_COMMIT_HOME`) and the
//! build (`CARGO_TARGET_DIR`) are under this clone's `target/precommit/`:
//! the first run compiles envsync and its dependencies in release mode; a
//! later run with the same sources reuses the hook environment, and one with
//! changed sources recompiles only envsync. Nothing is cached outside the
//! clone. The build is unoptimised (`CARGO_PROFILE_RELEASE_OPT_LEVEL=0`,
//! no link-time optimisation, parallel codegen): the hooks only need to run,
//! and an optimised build of every dependency would cost CI many minutes.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{CHART_VALUES, manifest_dir};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

/// Where pre-commit keeps its store and cargo its build.
fn cache() -> PathBuf {
    manifest_dir().join("target/precommit")
}

/// A command with git and pre-commit kept away from the user's settings
/// and from any repository the tests run inside, and envsync's clock fixed.
fn command(program: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    common::isolate_git(&mut cmd);
    cmd.current_dir(dir)
        .env("PRE_COMMIT_HOME", cache().join("home"))
        .env("CARGO_TARGET_DIR", cache().join("cargo"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
        .env("ENVSYNC_NOW", "2026-11-23T12:00:00Z");
    cmd
}

fn run(program: &Path, dir: &Path, args: &[&str]) -> Output {
    command(program, dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {} {args:?}: {e}", program.display()))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(program: &Path, dir: &Path, args: &[&str]) -> String {
    let out = run(program, dir, args);
    assert!(
        out.status.success(),
        "{} {args:?} failed ({}):\n{}",
        program.display(),
        out.status,
        text(&out)
    );
    text(&out)
}

/// A git repository holding this clone's tracked files as they are in the
/// working tree, committed with a fixed author and date and tagged as
/// docs/ci.md's "Releasing" says. The same sources give the same commit,
/// and the repository's folder is named after it, so pre-commit, which
/// keeps one build per repository and `rev:`, reuses its build for the same
/// sources and builds anew for others. Made once for all the tests here.
fn hooks_repo(git: &Path) -> PathBuf {
    static REPO: OnceLock<PathBuf> = OnceLock::new();
    REPO.get_or_init(|| {
        let repo = cache().join("hooks-repo");
        if repo.exists() {
            std::fs::remove_dir_all(&repo).unwrap();
        }
        std::fs::create_dir_all(&repo).unwrap();
        let listed = ok(git, &manifest_dir(), &["ls-files", "-z"]);
        for name in listed.split('\0').filter(|n| !n.is_empty()) {
            let from = manifest_dir().join(name);
            if !from.is_file() {
                continue; // deleted in the working tree
            }
            let to = repo.join(name);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&from, &to).unwrap();
        }
        assert!(repo.join(".pre-commit-hooks.yaml").is_file());
        ok(git, &repo, &["init", "-q", "-b", "main"]);
        ok(git, &repo, &["add", "-A"]);
        let mut commit = command(git, &repo);
        commit
            .args(["commit", "-q", "-m", "envsync"])
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
        let out = commit.output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        // The release step as documented: its `git tag` line, and the tag
        // it makes names the version in Cargo.toml.
        let release = docs_block("## Releasing", "sh");
        let tag_line = release
            .lines()
            .find(|l| l.starts_with("git tag "))
            .expect("a `git tag` line under Releasing");
        ok(Path::new("bash"), &repo, &["-c", tag_line]);
        let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
        ok(
            git,
            &repo,
            &["rev-parse", "--verify", &format!("{tag}^{{commit}}")],
        );
        let rev = ok(git, &repo, &["rev-parse", "HEAD"]).trim().to_owned();
        let named = cache().join(format!("hooks-{rev}"));
        if !named.exists() {
            std::fs::rename(&repo, &named).unwrap();
        }
        named
    })
    .clone()
}

/// The first fenced block of this kind after a heading of docs/ci.md.
fn docs_block(heading: &str, info: &str) -> String {
    let doc = std::fs::read_to_string(manifest_dir().join("docs/ci.md")).unwrap();
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in docs/ci.md"));
    let fence = format!("```{info}\n");
    let body = &doc[start..];
    let open = body
        .find(&fence)
        .unwrap_or_else(|| panic!("no {info} block after {heading:?}"))
        + fence.len();
    let close = body[open..].find("```").unwrap() + open;
    body[open..close].to_owned()
}

/// A `.pre-commit-config.yaml` from docs/ci.md as written, with the hooks
/// repository in place of `<envsync-repository-url>`.
fn documented_config(heading: &str, hooks: &Path) -> String {
    let config = docs_block(heading, "yaml");
    let rev = format!("rev: v{}", env!("CARGO_PKG_VERSION"));
    assert!(config.contains(&rev), "{heading}: not {rev}:\n{config}");
    assert!(config.contains("<envsync-repository-url>"), "{config}");
    config.replace("<envsync-repository-url>", &hooks.display().to_string())
}

/// Writes a line past the test harness's capture, so that it shows in
/// `cargo test` output.
fn note(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// A git repository in `dir` holding the chart checkout of the tests, with
/// the pre-commit config the docs give under `heading` and pre-commit's git
/// hook installed.
fn hooked_checkout(pre_commit: &Path, git: &Path, dir: &Path, heading: &str, hooks: &Path) {
    ok(git, dir, &["init", "-q", "-b", "main"]);
    common::chart_checkout(dir);
    std::fs::write(
        dir.join(".pre-commit-config.yaml"),
        documented_config(heading, hooks),
    )
    .unwrap();
    ok(pre_commit, dir, &["install"]);
}

/// Edits staging whitehall's schedule in the values file from `from` to
/// `to`, stages it and tries to commit it; the commit's output.
fn commit_schedule_edit(git: &Path, dir: &Path, from: &str, to: &str) -> Output {
    let values = dir.join(CHART_VALUES);
    let before = std::fs::read_to_string(&values).unwrap();
    let edited = before.replacen(&format!("schedule: {from}"), &format!("schedule: {to}"), 1);
    assert!(
        edited != before,
        "no staging whitehall schedule in values.yaml"
    );
    std::fs::write(&values, edited).unwrap();
    ok(git, dir, &["add", CHART_VALUES]);
    run(
        git,
        dir,
        &["commit", "-m", "Edit whitehall's staging schedule"],
    )
}

/// Commits a README alone, and checks that the hook whose line starts with
/// `hook` skipped it: it reads nothing the commit touches.
fn readme_commit_skips(git: &Path, dir: &Path, hook: &str) {
    std::fs::write(dir.join("README.md"), "# charts\n").unwrap();
    ok(git, dir, &["add", "README.md"]);
    let said = ok(git, dir, &["commit", "-m", "README"]);
    assert!(
        said.lines()
            .any(|l| l.starts_with(hook) && l.ends_with("Skipped")),
        "{said}"
    );
}

#[test]
fn hooks_pass_a_clean_commit_and_reject_a_hand_edited_values_file() {
    let (Some(pre_commit), Some(git)) = (
        common::require_tool("pre-commit"),
        common::require_tool("git"),
    ) else {
        return;
    };
    let hooks = hooks_repo(&git);

    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    hooked_checkout(&pre_commit, &git, dir, "## pre-commit", &hooks);

    // pre-commit clones the hooks repository and builds envsync with cargo.
    let start = Instant::now();
    ok(&pre_commit, dir, &["install-hooks"]);
    let installed = start.elapsed();

    // (a) A clean commit: both hooks run and pass.
    ok(&git, dir, &["add", "-A"]);
    let start = Instant::now();
    let out = run(&git, dir, &["commit", "-m", "Catalogue, values and rules"]);
    let committed = start.elapsed();
    let said = text(&out);
    assert!(out.status.success(), "the clean commit failed:\n{said}");
    for hook in ["envsync lint", "envsync diff"] {
        let line = said
            .lines()
            .find(|l| l.starts_with(hook))
            .unwrap_or_else(|| panic!("{hook} did not run:\n{said}"));
        assert!(line.ends_with("Passed"), "{line}\n{said}");
    }
    note(&format!(
        "pre-commit: install-hooks {:.1}s, clean commit {:.1}s",
        installed.as_secs_f64(),
        committed.as_secs_f64()
    ));

    // Whatever files pre-commit is given, the hooks read the whole checkout.
    let said = ok(&pre_commit, dir, &["run", "--all-files"]);
    assert!(!said.contains("Failed"), "{said}");
    let said = ok(
        &pre_commit,
        dir,
        &[
            "run",
            "--files",
            "catalogue.yaml",
            CHART_VALUES,
            ".pre-commit-config.yaml",
        ],
    );
    assert!(!said.contains("Failed"), "{said}");

    // A commit of nothing the hooks read skips them.
    readme_commit_skips(&git, dir, "envsync diff");

    // (b) A hand edit of one job's schedule in values.yaml: rejected, with
    // the job's summary line, and nothing committed.
    let head = ok(&git, dir, &["rev-parse", "HEAD"]);
    let out = commit_schedule_edit(&git, dir, "28 1 * * 1-5", "28 2 * * 1-5");
    let said = text(&out);
    assert!(
        !out.status.success(),
        "the hand edit was committed:\n{said}"
    );
    assert!(
        said.lines()
            .any(|l| l.starts_with("envsync diff") && l.ends_with("Failed")),
        "{said}"
    );
    assert!(
        said.contains(
            "staging/whitehall-mysql: schedule 28 2 * * 1-5 → 28 1 * * 1-5 (next run Tue 01:28 UTC)"
        ),
        "no summary line for the job:\n{said}"
    );
    assert!(
        said.contains("+++ b/charts/db-backup/values.yaml"),
        "{said}"
    );
    assert_eq!(ok(&git, dir, &["rev-parse", "HEAD"]), head);
}

#[test]
fn the_chart_hook_lints_a_checkout_without_a_catalogue() {
    let (Some(pre_commit), Some(git), Some(cases)) = (
        common::require_tool("pre-commit"),
        common::require_tool("git"),
        common::conformance_cases(),
    ) else {
        return;
    };
    let hooks = hooks_repo(&git);

    // A checkout as a team not yet on a catalogue has it: the chart's values
    // and rules (rendered from the GOV.UK fixture), its scripts (named as in
    // the newest chart revision), and no catalogue.
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    hooked_checkout(&pre_commit, &git, dir, "### Without a catalogue", &hooks);
    std::fs::remove_file(dir.join("catalogue.yaml")).unwrap();
    let newest = cases.last().unwrap();
    let scripts = dir.join("charts/db-backup/scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    let listed = std::fs::read_to_string(newest.join("scripts.txt")).unwrap();
    for name in listed.lines().filter(|l| !l.is_empty()) {
        std::fs::write(scripts.join(name), "#!/bin/sh\n").unwrap();
    }
    ok(&pre_commit, dir, &["install-hooks"]);

    // The chart as rendered from the fixture has no error findings.
    ok(&git, dir, &["add", "-A"]);
    let said = ok(&git, dir, &["commit", "-m", "The chart"]);
    assert!(
        said.lines()
            .any(|l| l.starts_with("envsync lint --chart-repo") && l.ends_with("Passed")),
        "{said}"
    );

    // A hand edit that ships an invalid cron day, as GOV.UK once did: the
    // commit is refused with the finding, located in values.yaml.
    let out = commit_schedule_edit(&git, dir, "28 1 * * 1-5", "28 1 * * 1-8");
    let said = text(&out);
    assert!(!out.status.success(), "the bad day was committed:\n{said}");
    assert!(said.contains("cron-syntax"), "{said}");
    assert!(said.contains("charts/db-backup/values.yaml:"), "{said}");

    // A commit that touches nothing the hook reads skips it.
    ok(&git, dir, &["checkout", "HEAD", "--", CHART_VALUES]);
    readme_commit_skips(&git, dir, "envsync lint --chart-repo");
}
