//! apply and render --out killed with SIGKILL at random points: once the
//! next envsync has touched the folder, it is wholly as before or wholly as
//! an uninterrupted run leaves it, byte for byte, with nothing left behind.
//! And two applies of different catalogues at once give one or the other.
//!
//! A third of the kills land anywhere in the run, a third in the part that
//! holds the lock, and a third in the part that has a journal, where the
//! files are written and renamed.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NEWEST: &str = "2026-08-14-8603dc7c41";
const VALUES: &str = "charts/db-backup/values.yaml";
const RULES: &str = "charts/monitoring-config/rules";
const KILLS: usize = 200;

/// Every file and folder below a folder: a file with its bytes, a folder
/// with none.
type Snapshot = BTreeMap<PathBuf, Option<Vec<u8>>>;

fn snapshot(dir: &Path) -> Snapshot {
    fn walk(root: &Path, dir: &Path, out: &mut Snapshot) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_owned();
            if path.is_dir() {
                out.insert(relative, None);
                walk(root, &path, out);
            } else {
                out.insert(relative, Some(fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Snapshot::new();
    walk(dir, dir, &mut out);
    out
}

/// Makes a folder hold exactly a snapshot.
fn restore(dir: &Path, snapshot: &Snapshot) {
    if dir.exists() {
        fs::remove_dir_all(dir).unwrap();
    }
    fs::create_dir_all(dir).unwrap();
    for (path, bytes) in snapshot {
        match bytes {
            None => fs::create_dir_all(dir.join(path)).unwrap(),
            Some(bytes) => fs::write(dir.join(path), bytes).unwrap(),
        }
    }
}

/// A checkout laid out like govuk-helm-charts, from the newest chart
/// revision: its values file and alert rules.
fn checkout(repo: &Path) -> Option<()> {
    let case = common::conformance_dir()?.join(NEWEST);
    let mut files = Snapshot::new();
    files.insert(
        VALUES.into(),
        Some(fs::read(case.join("values.yaml")).unwrap()),
    );
    for (path, bytes) in snapshot(&case.join("rules")) {
        files.insert(Path::new(RULES).join(path), bytes);
    }
    for folder in [
        "charts",
        "charts/db-backup",
        "charts/monitoring-config",
        RULES,
    ] {
        files.insert(folder.into(), None);
    }
    restore(repo, &files);
    Some(())
}

/// A synthetic catalogue of `n` databases, written into `dir`.
fn catalogue(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("catalogue-{n}.yaml"));
    fs::write(&path, envsync::synthetic::catalogue(n).unwrap()).unwrap();
    path
}

fn spawn(args: &[&std::ffi::OsStr]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_envsync"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn os_strs(args: &[std::ffi::OsString]) -> Vec<&std::ffi::OsStr> {
    args.iter().map(|s| s.as_os_str()).collect()
}

/// xorshift64*: random enough to spread the kills, and the same each run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// Waits until `path` exists or the child has exited.
fn until_there(child: &mut Child, path: &Path) {
    while !path.exists() && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_micros(50));
    }
}

/// How long a run takes, and how long from each of `marks` appearing to
/// its end.
fn timings(args: &[&std::ffi::OsStr], marks: &[PathBuf]) -> (Duration, Vec<Duration>) {
    let start = Instant::now();
    let mut child = spawn(args);
    let mut seen = Vec::new();
    for mark in marks {
        until_there(&mut child, mark);
        seen.push(Instant::now());
    }
    assert!(child.wait().unwrap().success(), "{args:?} failed");
    (start.elapsed(), seen.iter().map(Instant::elapsed).collect())
}

/// Kills `command` (writing into `dir`) at random points, each time runs
/// `next` (a command that touches `dir` and then fails on a missing
/// catalogue), and checks that `dir` is then `old` or `new`.
fn kill_at_random(dir: &Path, command: &[&std::ffi::OsStr], next: &[&std::ffi::OsStr]) {
    let old = snapshot(dir);
    // The lock appears as the run starts to write, the journal as it
    // writes its temporary files.
    let marks = [envsync::output::LOCK, envsync::output::JOURNAL].map(|m| dir.join(m));
    let (whole, windows) = timings(command, &marks);
    let new = snapshot(dir);
    assert_ne!(old, new, "the command changes nothing");
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let (mut olds, mut news, mut incomplete, mut complete) = (0, 0, 0, 0);
    for i in 0..KILLS {
        restore(dir, &old);
        let mut child = spawn(command);
        // From the start, from the lock, or from the journal.
        let window = match i % 3 {
            0 => whole,
            mark => {
                until_there(&mut child, &marks[mark - 1]);
                // One run's measure of a short window may miss it.
                windows[mark - 1].max(Duration::from_millis(3))
            }
        };
        let delay = Duration::from_micros(rng.below(window.as_micros() as u64 * 11 / 10));
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        match fs::read_to_string(dir.join(envsync::output::JOURNAL)) {
            Ok(journal) if journal.contains("\"complete\":true") => complete += 1,
            Ok(_) => incomplete += 1,
            Err(_) => {}
        }
        let out = spawn(next).wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(2) && stderr.contains("missing.yaml"),
            "kill {i}: the next run did not get as far as the catalogue: {stderr}"
        );
        let after = snapshot(dir);
        if after == old {
            olds += 1;
        } else if after == new {
            news += 1;
        } else {
            let mut paths: Vec<_> = after.keys().chain(old.keys()).chain(new.keys()).collect();
            paths.sort();
            paths.dedup();
            let (changed, unlike): (Vec<_>, Vec<_>) = paths
                .into_iter()
                .filter(|p| after.get(*p) != old.get(*p))
                .partition(|p| after.get(*p) == new.get(*p));
            panic!(
                "kill {i} after {delay:?}: neither old nor new: as new {changed:?}, \
                 like neither {unlike:?}"
            );
        }
    }
    eprintln!(
        "{KILLS} kills of {command:?} (a run takes {whole:?}, {:?} of it locked, {:?} with a journal): \
         {olds} left it old, {news} new; {incomplete} left a journal to undo, {complete} one to finish",
        windows[0], windows[1]
    );
    assert!(olds > 0 && news > 0, "the kills did not span the run");
}

#[test]
fn apply_killed_at_random_leaves_the_checkout_old_or_new() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    if checkout(&repo).is_none() {
        return;
    }
    let catalogue = catalogue(dir.path(), 150);
    let (catalogue, repo_arg) = (catalogue.as_os_str(), repo.as_os_str());
    let apply = [
        "apply".as_ref(),
        catalogue,
        "--chart-repo".as_ref(),
        repo_arg,
    ];
    let next = [
        "diff".as_ref(),
        "missing.yaml".as_ref(),
        "--chart-repo".as_ref(),
        repo_arg,
    ];
    kill_at_random(&repo, &apply, &next);
}

#[test]
fn render_killed_at_random_leaves_the_folder_old_or_new() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let old = catalogue(dir.path(), 120);
    let new = catalogue(dir.path(), 150);
    let render = |catalogue: &Path| -> Vec<std::ffi::OsString> {
        vec![
            "render".into(),
            catalogue.into(),
            "--out".into(),
            out.clone().into(),
        ]
    };
    let status = Command::new(env!("CARGO_BIN_EXE_envsync"))
        .args(render(&old))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let command = render(&new);
    let next = render(Path::new("missing.yaml"));
    kill_at_random(&out, &os_strs(&command), &os_strs(&next));
}

#[test]
fn two_applies_at_once_give_one_catalogue_or_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    if checkout(&repo).is_none() {
        return;
    }
    let base = snapshot(&repo);
    let catalogues = [catalogue(dir.path(), 150), catalogue(dir.path(), 100)];
    let apply = |catalogue: &Path| {
        spawn(&[
            "apply".as_ref(),
            catalogue.as_os_str(),
            "--chart-repo".as_ref(),
            repo.as_os_str(),
        ])
    };
    // apply edits the file it finds, so one after the other gives the
    // second catalogue in what is left of the first's edits.
    let mut applied: Vec<Snapshot> = Vec::new();
    for order in [[0, 1], [1, 0]] {
        restore(&repo, &base);
        for (i, &c) in order.iter().enumerate() {
            assert!(apply(&catalogues[c]).wait().unwrap().success());
            if i == 0 && !applied.contains(&snapshot(&repo)) {
                applied.push(snapshot(&repo));
            }
        }
        applied.push(snapshot(&repo));
    }
    assert_ne!(applied[0], applied[2]);
    let mut rng = Rng(0x0dd_ba11);
    let mut refused = 0;
    for round in 0..40 {
        restore(&repo, &base);
        let (first, second) = (&catalogues[round % 2], &catalogues[1 - round % 2]);
        let a = apply(first);
        std::thread::sleep(Duration::from_millis(rng.below(60)));
        let b = apply(second);
        let mut succeeded = 0;
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => succeeded += 1,
                Some(2) if stderr.contains("another envsync is writing into") => refused += 1,
                code => panic!("round {round}: exit {code:?}: {stderr}"),
            }
        }
        assert!(succeeded > 0, "round {round}: both refused");
        let after = snapshot(&repo);
        assert!(
            applied.contains(&after),
            "round {round}: the checkout is neither catalogue's"
        );
    }
    eprintln!("40 rounds of two applies at once: {refused} refused as the other ran");
    assert!(refused > 0, "the applies never overlapped");
}
