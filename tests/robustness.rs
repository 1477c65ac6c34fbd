//! Hostile inputs: each must end with exit 1 (an invalid catalogue or values
//! file) or 2 (unreadable input, unusable output), a message naming the file,
//! no panic, no hang, and nothing half written.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::SMALL_VALUES;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A small valid catalogue.
const CATALOGUE: &str = "\
environments:
  production:
  staging: {restore_from: production}
databases:
  content-store-postgres:
    db: content_store_production
    sanitise: content-store.sql
    production: 06 21 * * *
    staging: 06 22 * * 1-5
chart:
  toolbox:
    image: {repository: toolbox, tag: v1}
";

struct Run {
    code: i32,
    stderr: String,
}

fn run(args: &[&std::ffi::OsStr]) -> Run {
    let out = common::envsync()
        .args(args)
        .timeout(TIMEOUT)
        .output()
        .expect("running envsync");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("envsync was killed ({}): {stderr}", out.status));
    assert!(!stderr.contains("panicked"), "envsync panicked:\n{stderr}");
    assert_ne!(code, 101, "envsync panicked:\n{stderr}");
    Run { code, stderr }
}

/// Asserts the exit code and that the message names the file.
fn expect(run: &Run, code: i32, file: &Path) {
    let short: String = run.stderr.chars().take(4000).collect();
    assert_eq!(run.code, code, "stderr:\n{short}");
    let name = file.display().to_string();
    assert!(short.contains(&name), "no mention of {name} in:\n{short}");
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

/// Every regular file below `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                found.push(path.strip_prefix(root).unwrap().to_owned());
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

/// `validate` and `render` of a hostile catalogue: the expected exit code,
/// the file named, and an output folder left empty.
fn check_catalogue(contents: impl AsRef<[u8]>, code: i32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "catalogue.yaml", contents);
    let r = run(&["validate".as_ref(), path.as_os_str()]);
    expect(&r, code, &path);
    let out = dir.path().join("out");
    let r = run(&[
        "render".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    expect(&r, code, &path);
    assert!(files(&out).is_empty(), "render wrote {:?}", files(&out));
    r.stderr
}

/// `import` of a hostile values file: the expected exit code, the file
/// named, and no catalogue written.
fn check_values(contents: impl AsRef<[u8]>, code: i32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "values.yaml", contents);
    let catalogue = dir.path().join("catalogue.yaml");
    let r = run(&[
        "import".as_ref(),
        "--values".as_ref(),
        path.as_os_str(),
        "-o".as_ref(),
        catalogue.as_os_str(),
    ]);
    expect(&r, code, &path);
    assert!(!catalogue.exists(), "import wrote a catalogue");
    assert_eq!(files(dir.path()), [PathBuf::from("values.yaml")]);
    r.stderr
}

/// Asserts that a refusal points at `values.yaml:LINE:COLUMN`.
fn at(stderr: &str, line: usize) {
    let want = format!("values.yaml:{line}:");
    assert!(stderr.contains(&want), "no {want} in:\n{stderr}");
}

fn billion_laughs() -> String {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let items = [prev.as_str(); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
    }
    text
}

const TEN_MB: usize = 10 * 1024 * 1024;

fn deep_flow() -> String {
    "[".repeat(TEN_MB)
}

fn deep_block() -> String {
    // Each level one space deeper: a little over 4,500 levels in 10 MB.
    let mut text = String::with_capacity(TEN_MB + 10_000);
    let mut depth = 0;
    while text.len() < TEN_MB {
        text.push_str(&" ".repeat(depth));
        text.push_str("a:\n");
        depth += 1;
    }
    text
}

#[test]
fn catalogue_billion_laughs() {
    let text = format!("{CATALOGUE}{}", billion_laughs().replace("a0:", "x0:"));
    check_catalogue(text, 1);
}

#[test]
fn values_billion_laughs() {
    check_values(format!("{SMALL_VALUES}{}", billion_laughs()), 1);
}

#[test]
fn catalogue_deeply_nested_flow() {
    check_catalogue(deep_flow(), 1);
}

#[test]
fn catalogue_deeply_nested_block() {
    check_catalogue(deep_block(), 1);
}

#[test]
fn values_deeply_nested() {
    check_values(deep_flow(), 1);
    check_values(deep_block(), 1);
}

#[test]
fn catalogue_ten_megabytes() {
    // A valid catalogue followed by 10 MB of a key it does not know.
    let text = format!("{CATALOGUE}junk: \"{}\"\n", "x".repeat(TEN_MB));
    let stderr = check_catalogue(text, 1);
    assert!(
        stderr.contains("junk"),
        "{}",
        &stderr[..stderr.len().min(2000)]
    );
}

#[test]
fn values_ten_megabytes() {
    let text = format!("{SMALL_VALUES}      junk: \"{}\"\n", "x".repeat(TEN_MB));
    check_values(text, 1);
}

#[test]
fn catalogue_not_utf8() {
    let mut bytes = CATALOGUE.as_bytes().to_vec();
    bytes.extend_from_slice(b"# \xff\xfe\xc3\x28\n");
    let stderr = check_catalogue(bytes, 2);
    assert!(stderr.contains("UTF-8"), "{stderr}");
}

#[test]
fn values_not_utf8() {
    let mut bytes = SMALL_VALUES.as_bytes().to_vec();
    bytes.extend_from_slice(b"# \xff\xfe\xc3\x28\n");
    check_values(bytes, 2);
}

#[test]
fn catalogue_script_outside_the_scripts_folder() {
    for script in ["../../etc/passwd.sql", "sub/dir.sql", "..sql", "/abs.sql"] {
        let text = CATALOGUE.replace("content-store.sql", script);
        let stderr = check_catalogue(text, 1);
        assert!(stderr.contains(script), "{stderr}");
    }
}

#[test]
fn catalogue_job_name_not_a_kubernetes_name() {
    let long = format!("{}-postgres", "a".repeat(60));
    for name in ["Content_Store-postgres", "content-store-postgres-", &long] {
        let text = CATALOGUE.replace("content-store-postgres", name);
        check_catalogue(text, 1);
    }
}

#[test]
fn output_folder_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = write(dir.path(), "catalogue.yaml", CATALOGUE);
    let out = write(dir.path(), "out", "not a folder\n");
    let r = run(&[
        "render".as_ref(),
        catalogue.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    expect(&r, 2, &out);
    assert_eq!(fs::read_to_string(&out).unwrap(), "not a folder\n");
    assert_eq!(
        files(dir.path()),
        [PathBuf::from("catalogue.yaml"), PathBuf::from("out")]
    );
}

/// A render that fails after its values and manifests are made (here a
/// rules template the test generator cannot expand) writes none of them.
#[test]
fn a_render_failing_part_way_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = write(dir.path(), "catalogue.yaml", CATALOGUE);
    let templates = dir.path().join("templates");
    fs::create_dir_all(templates.join("rules/failed")).unwrap();
    write(
        &templates.join("rules/failed"),
        "description.txt",
        "{% raw %}Value {{ $value | humanize }}{% endraw %}\n",
    );
    let out = dir.path().join("out");
    let r = run(&[
        "render".as_ref(),
        catalogue.as_os_str(),
        "--templates".as_ref(),
        templates.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("rules/failed/description"),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "render wrote {:?}", files(&out));
}

/// Whether permissions stop this process writing (they do not for root).
fn permissions_bind(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    fs::create_dir(&probe).unwrap();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o555)).unwrap();
    let binds = fs::write(probe.join("x"), "x").is_err();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_dir_all(&probe).unwrap();
    binds
}

#[test]
fn read_only_output_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let catalogue = write(dir.path(), "catalogue.yaml", CATALOGUE);
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    write(&out, "kept.txt", "kept\n");
    if permissions_bind(dir.path()) {
        fs::set_permissions(&out, fs::Permissions::from_mode(0o555)).unwrap();
        let r = run(&[
            "render".as_ref(),
            catalogue.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).unwrap();
        expect(&r, 2, &out);
        assert_eq!(files(&out), [PathBuf::from("kept.txt")]);
    } else {
        // Running as root, where permissions do not stop writes: a file
        // where the render must make a folder fails the same way, late.
        write(&out, "manifests", "in the way\n");
        let r = run(&[
            "render".as_ref(),
            catalogue.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        expect(&r, 2, &out);
        assert_eq!(
            files(&out),
            [PathBuf::from("kept.txt"), PathBuf::from("manifests")]
        );
        assert_eq!(
            fs::read_to_string(out.join("manifests")).unwrap(),
            "in the way\n"
        );
        // Nor is a folder left behind for the files that were not written.
        let mut left: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["kept.txt", "manifests"]);
    }
}

#[test]
fn import_output_is_a_folder_or_under_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let values = write(dir.path(), "values.yaml", SMALL_VALUES);
    let blocker = write(dir.path(), "file", "x\n");
    for target in [dir.path().to_owned(), blocker.join("catalogue.yaml")] {
        let r = run(&[
            "import".as_ref(),
            "--values".as_ref(),
            values.as_os_str(),
            "-o".as_ref(),
            target.as_os_str(),
        ]);
        assert_eq!(r.code, 2, "{}", r.stderr);
    }
    assert_eq!(
        files(dir.path()),
        [PathBuf::from("file"), PathBuf::from("values.yaml")]
    );
}

// `import` refuses a values file that would give an invalid catalogue.

#[test]
fn import_refuses_a_schedule_kubernetes_rejects() {
    for schedule in ["61 21 * * *", "0 0 * * 8", "0 0 31 2 *x", "every day"] {
        let text = SMALL_VALUES.replace("06 21 * * *", schedule);
        let stderr = check_values(text, 1);
        at(&stderr, 4);
    }
}

#[test]
fn import_refuses_an_unknown_operation() {
    let stderr = check_values(SMALL_VALUES.replace("op: backup", "op: drop-database"), 1);
    at(&stderr, 7);
    assert!(stderr.contains("drop-database"), "{stderr}");
}

#[test]
fn import_refuses_a_job_with_no_operations() {
    let text = SMALL_VALUES.replace(
        "      operations:\n        - op: backup\n",
        "      operations: []\n",
    );
    let stderr = check_values(text, 1);
    at(&stderr, 6);
    let text = SMALL_VALUES.replace("      operations:\n        - op: backup\n", "");
    check_values(text, 1);
}

#[test]
fn import_refuses_a_duplicate_key() {
    let text = SMALL_VALUES.replace(
        "      db: content_store_production\n",
        "      db: content_store_production\n      db: other\n",
    );
    let stderr = check_values(text, 1);
    at(&stderr, 6);
}

#[test]
fn import_refuses_an_invalid_job_name() {
    for name in ["Content_Store-postgres", "-content-store", "content.store"] {
        let stderr = check_values(SMALL_VALUES.replace("content-store-postgres", name), 1);
        at(&stderr, 3);
    }
}

#[test]
fn import_refuses_a_script_path() {
    for script in ["../x.sql", "scripts/x.sql", "/x.sql", "..x.sql"] {
        let text =
            format!("{SMALL_VALUES}        - op: transform\n          script: \"{script}\"\n");
        let stderr = check_values(text, 1);
        at(&stderr, 9);
    }
}

#[test]
fn valid_inputs_still_pass() {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = write(dir.path(), "catalogue.yaml", CATALOGUE);
    let out = dir.path().join("out");
    let r = run(&[
        "render".as_ref(),
        catalogue.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(out.join("values/cronjobs.yaml").is_file());
    let values = write(dir.path(), "values.yaml", SMALL_VALUES);
    let r = run(&["import".as_ref(), "--values".as_ref(), values.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
