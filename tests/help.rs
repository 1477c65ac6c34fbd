//! Help, shell completions and manual pages: every command shows an example
//! in its help, completions load in their shells, the manual pages render.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use clap::CommandFactory;
use common::envsync;
use envsync::cli::Cli;
use std::process::{Command, Stdio};

/// The names of every subcommand, as clap knows them.
fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect()
}

fn stdout(args: &[&str]) -> String {
    common::stdout(envsync().args(args))
}

#[test]
fn every_subcommand_has_an_example_in_its_help() {
    let names = subcommands();
    assert!(names.len() >= 13, "{names:?}");
    for cmd in Cli::command().get_subcommands() {
        let name = cmd.get_name();
        let texts = [
            cmd.get_after_help(),
            cmd.get_after_long_help(),
            cmd.get_long_about(),
        ];
        let example = texts
            .iter()
            .flatten()
            .map(ToString::to_string)
            .find(|t| t.contains("Example"));
        let Some(example) = example else {
            panic!("`envsync {name}` has no Example in after_help or long_about");
        };
        assert!(
            example.contains(&format!("envsync {name}")),
            "`envsync {name}`'s example does not run it:\n{example}"
        );
        // And the help a person reads shows it, short and long.
        for flag in ["-h", "--help"] {
            let help = stdout(&[name, flag]);
            assert!(
                help.contains("Example") && help.contains(&format!("envsync {name}")),
                "`envsync {name} {flag}` shows no example:\n{help}"
            );
        }
    }
}

#[test]
fn bash_completions_parse_and_complete_every_subcommand() {
    let script = stdout(&["completions", "bash"]);
    for name in subcommands() {
        assert!(script.contains(&name), "no {name} in the bash completions");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envsync.bash");
    std::fs::write(&file, &script).unwrap();
    let Some(bash) = common::require_tool("bash") else {
        return;
    };
    let out = Command::new(&bash).arg("-n").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Loaded, the function completes `envsync sch` to `schedule`.
    let probe = format!(
        "source {}; COMP_WORDS=(envsync sch); COMP_CWORD=1; COMP_LINE='envsync sch'; COMP_POINT=11; _envsync envsync sch envsync; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = Command::new(&bash)
        .args(["--norc", "--noprofile", "-c", &probe])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let replies = String::from_utf8_lossy(&out.stdout);
    assert!(
        replies.lines().any(|l| l == "schedule"),
        "bash completed `envsync sch` to {replies:?} ({})",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn other_shells_get_completions_naming_every_subcommand() {
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        assert!(!script.trim().is_empty(), "{shell}: empty");
        for name in subcommands() {
            assert!(script.contains(&name), "{shell}: no {name}");
        }
    }
    // Where the shells themselves are installed, they parse their scripts.
    let dir = tempfile::tempdir().unwrap();
    for (shell, check) in [("zsh", &["-n"][..]), ("fish", &["--no-execute"][..])] {
        let Some(exe) = common::tool(shell) else {
            continue;
        };
        let file = dir.path().join(format!("envsync.{shell}"));
        std::fs::write(&file, stdout(&["completions", shell])).unwrap();
        let out = Command::new(exe).args(check).arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{shell} {check:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    envsync()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("possible values"));
}

/// Renders a page with groff (warnings on: any is a failure) and returns
/// the text, or `None` when groff is missing.
fn groff(page: &std::path::Path) -> Option<String> {
    let groff = common::require_tool("groff")?;
    let out = Command::new(groff)
        .args(["-man", "-Tutf8", "-ww"])
        .arg(page)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "groff {}: {stderr}",
        page.display()
    );
    // Without the overstrike bold, so words can be searched for.
    let text = String::from_utf8_lossy(&out.stdout);
    Some(strip_overstrike(&text))
}

/// `a\x08a` (bold) and `_\x08a` (underline), as nroff writes them, to `a`.
fn strip_overstrike(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{8}' {
            out.pop();
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

#[test]
fn the_manual_page_renders_and_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("envsync.1");
    std::fs::write(&page, stdout(&["man"])).unwrap();
    let Some(text) = groff(&page) else {
        return;
    };
    for expected in ["NAME", "SYNOPSIS", "envsync", "Examples:"] {
        assert!(text.contains(expected), "no {expected} in:\n{text}");
    }
    for name in subcommands() {
        assert!(
            text.contains(&format!("envsync-{name}(1)")),
            "no envsync-{name}(1) in:\n{text}"
        );
    }
    // man itself, where it is installed, reads the page too.
    if let Some(man) = common::tool("man") {
        let out = Command::new(man)
            .arg("-l")
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "man -l: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(strip_overstrike(&String::from_utf8_lossy(&out.stdout)).contains("SYNOPSIS"));
    }
}

#[test]
fn man_out_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    envsync()
        .arg("man")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mut pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = subcommands()
        .iter()
        .map(|n| format!("envsync-{n}.1"))
        .chain(["envsync.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    let Some(text) = groff(&out.join("envsync-schedule.1")) else {
        return;
    };
    for expected in ["envsync-schedule", "--svg", "Example:", "week.svg"] {
        assert!(text.contains(expected), "no {expected} in:\n{text}");
    }
}
