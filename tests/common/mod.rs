//! Helpers shared by the integration tests: `mod common;` in a test file.
//!
//! Outputs are checked with the real tools that `scripts/test` installs
//! (yamllint, promtool, kubernetes-validate, helm, pre-commit, rsvg-convert,
//! groff), with bash and git, and against the conformance data beside the
//! clone (`../shared/conformance`). Every test that needs one finds it
//! through these helpers: without it, the test is skipped with a message,
//! except under CI (the `CI` variable set), where it fails.

// Each test file uses only some of these helpers.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The Kubernetes version whose bundled schemas kubernetes-validate checks
/// against. Named explicitly so that a newer kubernetes-validate (whose
/// default is its newest release) cannot change what passes.
pub const KUBERNETES_VERSION: &str = "1.30.0";

/// The root of the clone.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether this is a CI run: missing tools and data are failures there.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Finds an executable in `.ci/venv/bin` (where `scripts/test` installs the
/// Python tools, so they are found without activating the venv) or on PATH.
pub fn tool(name: &str) -> Option<PathBuf> {
    let venv = manifest_dir().join(".ci/venv/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(venv)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Like [`tool`], but a missing tool fails the test under CI, and elsewhere
/// prints why the test is skipped and returns `None`.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let found = tool(name);
    if found.is_none() {
        skip_or_fail(&format!(
            "{name} not found in .ci/venv/bin or on PATH (scripts/test installs the checking tools)"
        ));
    }
    found
}

/// helm, as `scripts/install-helm` (which `scripts/test` runs) installs it
/// into `.ci/cache/helm`, or else on PATH. Missing: a failure under CI, else
/// a skip message and `None`.
pub fn helm() -> Option<PathBuf> {
    let installed = manifest_dir().join(".ci/cache/helm/helm");
    let found = Some(installed)
        .filter(|path| is_executable(path))
        .or_else(|| tool("helm"));
    if found.is_none() {
        skip_or_fail("helm not installed; run scripts/test or scripts/install-helm");
    }
    found
}

fn skip_or_fail(why: &str) {
    if in_ci() {
        panic!("{why} (CI is set, so this is a failure)");
    }
    // Written past the test harness's capture, so that a skip shows in
    // `cargo test` output even when the test passes; the harness names each
    // test's thread after it.
    let thread = std::thread::current();
    let test = thread.name().map(|n| format!(" {n}")).unwrap_or_default();
    let line = format!("skipping{test}: {why}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// The conformance cases shipped beside the clone (`../shared/conformance/cases`).
/// Missing: a failure under CI, else a skip message and `None`.
pub fn conformance_dir() -> Option<PathBuf> {
    conformance_folder("cases")
}

/// A folder of `../shared/conformance`. Missing: as [`conformance_dir`].
fn conformance_folder(name: &str) -> Option<PathBuf> {
    let dir = manifest_dir().join("../shared/conformance").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        skip_or_fail(&format!("no conformance cases at {}", dir.display()));
        None
    }
}

/// Every conformance case directory, sorted. Missing: as [`conformance_dir`].
pub fn conformance_cases() -> Option<Vec<PathBuf>> {
    cases_in(conformance_dir()?)
}

/// Every revision of the search-index-env-sync chart
/// (`../shared/conformance/search-index-cases`), sorted. Missing: as
/// [`conformance_dir`].
pub fn search_index_cases() -> Option<Vec<PathBuf>> {
    cases_in(conformance_folder("search-index-cases")?)
}

fn cases_in(dir: PathBuf) -> Option<Vec<PathBuf>> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("reading a directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    Some(cases)
}

/// The envsync binary built for these tests.
pub fn envsync() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_envsync"))
}

/// What a command prints on stdout; the test fails if it fails.
pub fn stdout(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().expect("running the command");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs a tool if it is installed (see [`require_tool`]) and returns its
/// output whatever its exit status.
pub fn run_tool<I, S>(name: &str, args: I) -> Option<Output>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let exe = require_tool(name)?;
    let output = Command::new(&exe)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
    Some(output)
}

/// Panics with the tool's output unless it exited 0.
fn assert_passed(what: &str, output: Option<Output>) -> bool {
    let Some(output) = output else {
        return false;
    };
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    true
}

/// `flags` followed by `paths`, of which there must be at least one.
fn args<P: AsRef<Path>>(flags: &[&str], paths: impl IntoIterator<Item = P>) -> Vec<OsString> {
    let mut args: Vec<OsString> = flags.iter().map(OsString::from).collect();
    let before = args.len();
    args.extend(paths.into_iter().map(|p| p.as_ref().as_os_str().to_owned()));
    assert!(args.len() > before, "no files given to check");
    args
}

/// `yamllint --strict` with GOV.UK's settings (`.ci/yamllint.yaml`) on a file
/// or a directory; `None` when yamllint is missing (see [`require_tool`]).
pub fn run_yamllint(path: &Path) -> Option<Output> {
    let config = manifest_dir().join(".ci/yamllint.yaml");
    let flags = ["--strict", "--format", "parsable", "--config-file"];
    run_tool("yamllint", args(&flags, [config.as_path(), path]))
}

/// Panics with yamllint's output on any error or warning. Returns whether it
/// ran (false: skipped, yamllint missing).
pub fn yamllint(path: &Path) -> bool {
    assert_passed(&format!("yamllint {}", path.display()), run_yamllint(path))
}

/// `promtool check rules` on rule files.
pub fn run_promtool_check_rules<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
) -> Option<Output> {
    run_tool("promtool", args(&["check", "rules"], paths))
}

/// Panics with promtool's output unless every rule file is valid.
pub fn promtool_check_rules<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> bool {
    assert_passed("promtool check rules", run_promtool_check_rules(paths))
}

/// `promtool test rules` on rule test files (promtool 2.42: series start at
/// the epoch; test files name their rule files relative to themselves).
///
/// A run that fails is run once more, and the second run's output is the
/// result. Now and then, on a very busy machine, promtool reports an
/// expected alert of a test several days long as missing (`got: nil`):
/// once in 17 runs of `tests/rules.rs`, each running promtool dozens of
/// times, at a load of 8 to 14 on two cores; the same files then passed 54
/// times in a row, 12 at once. So a failure counts only when it repeats:
/// the files are the same both times, and a fault in them fails both.
pub fn run_promtool_test_rules<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
) -> Option<Output> {
    let args = args(&["test", "rules"], paths);
    let first = run_tool("promtool", &args)?;
    if first.status.success() {
        return Some(first);
    }
    let second = run_tool("promtool", &args)?;
    if second.status.success() {
        eprintln!(
            "promtool test rules failed once and then passed; the first run said:\n{}",
            String::from_utf8_lossy(&first.stdout)
        );
    }
    Some(second)
}

/// Panics with promtool's output unless every rule test passes.
pub fn promtool_test_rules<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> bool {
    assert_passed("promtool test rules", run_promtool_test_rules(paths))
}

/// `kubernetes-validate --strict` (unknown fields are errors) against the
/// schemas of [`KUBERNETES_VERSION`], which it bundles: no network needed.
/// Files may hold several documents.
pub fn run_kubernetes_validate<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
) -> Option<Output> {
    let flags = [
        "--strict",
        "--quiet",
        "--kubernetes-version",
        KUBERNETES_VERSION,
    ];
    run_tool("kubernetes-validate", args(&flags, paths))
}

/// Panics with kubernetes-validate's output unless every resource is valid.
pub fn kubernetes_validate<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> bool {
    assert_passed(
        "kubernetes-validate --strict",
        run_kubernetes_validate(paths),
    )
}

/// Renders an SVG file to PNG with rsvg-convert, panicking on failure.
/// Returns whether it ran (false: skipped, rsvg-convert missing).
pub fn svg_to_png(svg: &Path, png: &Path) -> bool {
    let args = [OsStr::new("--output"), png.as_os_str(), svg.as_os_str()];
    assert_passed(
        &format!("rsvg-convert {}", svg.display()),
        run_tool("rsvg-convert", args),
    )
}

/// The values file and rules folder of a govuk-helm-charts checkout.
/// A small valid db-backup values file: one production job that backs up.
pub const SMALL_VALUES: &str = "\
cronjobs:
  production:
    content-store-postgres:
      schedule: \"06 21 * * *\"
      db: content_store_production
      operations:
        - op: backup
";

pub const CHART_VALUES: &str = "charts/db-backup/values.yaml";
pub const CHART_RULES: &str = "charts/monitoring-config/rules";

/// Lays out a govuk-helm-charts checkout in `dir` as envsync's recipes
/// expect it: the GOV.UK catalogue at its root (`catalogue.yaml`), and the
/// `cronjobs:` of `charts/db-backup/values.yaml` and of
/// `charts/search-index-env-sync/values.yaml` and the database-backup alert
/// rules as `envsync apply` writes them. The values file starts as a
/// skeleton with a chart-level key and a comment, which apply keeps.
pub fn chart_checkout(dir: &Path) {
    let catalogue = std::fs::read_to_string(manifest_dir().join("fixtures/govuk/catalogue.yaml"))
        .expect("reading the GOV.UK catalogue");
    chart_checkout_with(dir, &catalogue);
}

/// Like [`chart_checkout`], with this catalogue.
pub fn chart_checkout_with(dir: &Path, catalogue: &str) {
    std::fs::write(dir.join("catalogue.yaml"), catalogue).expect("writing the catalogue");
    let values = dir.join(CHART_VALUES);
    std::fs::create_dir_all(values.parent().unwrap()).unwrap();
    // apply makes no chart folders: the rules folder is there in a checkout.
    std::fs::create_dir_all(dir.join("charts/monitoring-config/rules")).unwrap();
    std::fs::write(
        &values,
        "# Values for the db-backup chart.\nsuspendAllCronJobs: false\n\n# Written by envsync apply.\ncronjobs:\n",
    )
    .unwrap();
    // The search-index-env-sync chart, for a catalogue with `search:`.
    let search = dir.join("charts/search-index-env-sync/values.yaml");
    std::fs::create_dir_all(search.parent().unwrap()).unwrap();
    std::fs::write(&search, "# Written by envsync apply.\ncronjobs:\n").unwrap();
    envsync()
        .arg("apply")
        .arg("catalogue.yaml")
        .args(["--chart-repo", "."])
        .current_dir(dir)
        .assert()
        .success();
}

/// Keeps git away from the user's settings and from any repository the
/// tests run inside, with a fixed author.
pub fn isolate_git(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "envsync tests")
        .env("GIT_AUTHOR_EMAIL", "tests@example.invalid")
        .env("GIT_COMMITTER_NAME", "envsync tests")
        .env("GIT_COMMITTER_EMAIL", "tests@example.invalid")
}

/// Copies the folder `from` to `to`, each file a new writable file (the
/// conformance data is read-only, and tests edit what they copy).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::write(&target, std::fs::read(entry.path()).unwrap()).unwrap();
        }
    }
}

/// `envsync apply CATALOGUE --chart-repo REPO`, run.
pub fn apply(catalogue: &Path, repo: &Path) -> assert_cmd::assert::Assert {
    envsync()
        .arg("apply")
        .arg(catalogue)
        .arg("--chart-repo")
        .arg(repo)
        .assert()
}
