//! Where engineers meet envsync: the on-call card and the week at a glance.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{envsync, manifest_dir};

const NOW: &str = "2026-11-23T12:00:00Z"; // a Monday

fn fixture() -> std::path::PathBuf {
    manifest_dir().join("fixtures/govuk/catalogue.yaml")
}

fn stdout(args: &[&str]) -> String {
    common::stdout(envsync().args(args).env("ENVSYNC_NOW", NOW))
}

#[test]
fn explain_content_store_in_staging() {
    let fixture = fixture();
    let card = stdout(&[
        "explain",
        "content-store-postgres",
        "--env",
        "staging",
        fixture.to_str().unwrap(),
    ]);
    for expected in [
        "db-backup-content-store-postgres in staging",
        "0-restore",
        "production's bucket s3://govuk-production-database-backups",
        "1-transform",
        "content-store.sql",
        "2-backup",
        "06 22 * * 0-4",
        "Mon 23 Nov 2026 22:06 UTC",
        "Tue 24 Nov 2026 22:06 UTC",
        "Wed 25 Nov 2026 22:06 UTC",
        "Thu 26 Nov 2026 22:06 UTC",
        "Sun 29 Nov 2026 22:06 UTC",
        // Staging's transform threshold is 45 minutes; restores and backups
        // are quick (1 hour) unless the catalogue says otherwise.
        "\"taking a long time\" after 45 minutes",
        "\"taking a long time\" after 1 hour",
        "Not completed",
        "06 21 * * *",
        "kubectl get jobs --selector app.kubernetes.io/component=content-store-postgres",
        "kubectl describe job",
        "kubectl get pods --selector job-name=",
        "-c 0-restore",
        "-c 1-transform",
        "-c 2-backup",
        "kubectl create job --from=cronjob/db-backup-content-store-postgres",
        "overwrites",
    ] {
        assert!(card.contains(expected), "no {expected:?} in:\n{card}");
    }
    // The next runs are the five after the clock, in order, and no more.
    assert_eq!(card.matches("2026 22:06 UTC").count(), 5, "{card}");
    assert!(!card.contains("Fri 27 Nov"), "{card}");
    // Postgres: no MySQL warning.
    assert!(!card.contains("MySQL"), "{card}");
}

#[test]
fn explain_in_production_only_backs_up() {
    let fixture = fixture();
    let card = stdout(&[
        "explain",
        "content-store-postgres",
        "--env",
        "production",
        fixture.to_str().unwrap(),
    ]);
    assert!(card.contains("only makes a new backup"), "{card}");
    assert!(!card.contains("overwrites"), "{card}");
}

#[test]
fn explain_unknown_job_is_a_usage_error() {
    let fixture = fixture();
    envsync()
        .args(["explain", "no-such-job", "--env", "staging"])
        .arg(&fixture)
        .assert()
        .code(2);
}

/// The alerts of a rendered search rules file whose expression names
/// `cronjob` or, for the failed alert, every CronJob of the chart.
fn search_alerts_watching(rules: &std::path::Path, cronjob: &str) -> Vec<String> {
    let text = std::fs::read_to_string(rules).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    doc["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let expr = r["expr"].as_str().unwrap();
            expr.contains(cronjob) || expr.contains("search-index-env-sync-.+")
        })
        .map(|r| r["alert"].as_str().unwrap().to_owned())
        .collect()
}

/// The card of a search restore names what it restores from where, its
/// next runs, the alerts of the rendered rules that watch it, the source's
/// snapshot, and kubectl commands that select the Jobs the chart renders
/// and its `main` container.
#[test]
fn explain_a_search_restore_in_staging() {
    let fixture = fixture();
    let card = stdout(&[
        "explain",
        "green-es6-cp-prod",
        "--env",
        "staging",
        fixture.to_str().unwrap(),
    ]);
    for expected in [
        "search-index-env-sync-green-es6-cp-prod in staging",
        "search cluster green-es6 (SUBDOMAIN elasticsearch6)",
        "restore the newest snapshot of production (SNAPSHOT_REPO govuk-production) into green-es6",
        "/opt/bin/snapshot restore_latest",
        "a search restore taken to last 30m (the default",
        "50 2 * * *  (at 02:50 UTC every day)",
        "Tue 24 Nov 2026 02:50 UTC",
        "Sat 28 Nov 2026 02:50 UTC",
        "production's search-index-env-sync-green-es6-snapshot snapshots 51 1 * * *",
        "next: Tue 24 Nov 2026 01:51 UTC",
        "kubectl get jobs --selector app.kubernetes.io/component=green-es6-cp-prod",
        "kubectl logs job/JOB -c main",
        "kubectl create job --from=cronjob/search-index-env-sync-green-es6-cp-prod search-index-env-sync-green-es6-cp-prod-manual-",
        "WARNING: in staging this replaces green-es6's indices with production's newest snapshot",
    ] {
        assert!(card.contains(expected), "no {expected:?} in:\n{card}");
    }
    assert_eq!(card.matches("2026 02:50 UTC").count(), 5, "{card}");
    // What the card says watches it and selects it is what render writes.
    let dir = tempfile::tempdir().unwrap();
    envsync()
        .args(["render", "--out"])
        .arg(dir.path())
        .arg(&fixture)
        .assert()
        .success();
    let rules = dir
        .path()
        .join("rules/staging/search_index_env_sync_staging_only_alerts.yaml");
    let mut watching = search_alerts_watching(&rules, "search-index-env-sync-green-es6-cp-prod");
    let common_rules = dir.path().join("rules/search_index_env_sync_alerts.yaml");
    watching.extend(search_alerts_watching(
        &common_rules,
        "search-index-env-sync-green-es6-cp-prod",
    ));
    assert_eq!(watching.len(), 2, "{watching:?}");
    for alert in &watching {
        assert!(
            card.contains(&format!("\"{alert}\"")),
            "no {alert:?} in:\n{card}"
        );
    }
    let manifests = std::fs::read_to_string(
        dir.path()
            .join("search-index-env-sync/manifests/staging.yaml"),
    )
    .unwrap();
    let cronjob: serde_json::Value = manifests
        .split("\n---")
        .map(|d| d.trim_start_matches("---"))
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_saphyr::from_str::<serde_json::Value>(d).unwrap())
        .find(|d| d["metadata"]["name"] == "search-index-env-sync-green-es6-cp-prod")
        .unwrap();
    let template = &cronjob["spec"]["jobTemplate"];
    assert_eq!(
        template["metadata"]["labels"]["app.kubernetes.io/component"],
        "green-es6-cp-prod"
    );
    assert_eq!(
        template["spec"]["template"]["spec"]["containers"][0]["name"],
        "main"
    );
}

/// A snapshot changes no data; integration's runs weekly.
#[test]
fn explain_a_search_snapshot_in_integration() {
    let fixture = fixture();
    let card = stdout(&[
        "explain",
        "green-es6-snapshot",
        "--env",
        "integration",
        fixture.to_str().unwrap(),
    ]);
    for expected in [
        "snapshot green-es6 into integration's repository govuk-integration",
        "/opt/bin/snapshot create_and_clean_up",
        "Mon 30 Nov 2026 05:37 UTC",
        "Mon 28 Dec 2026 05:37 UTC",
        "it changes no index",
    ] {
        assert!(card.contains(expected), "no {expected:?} in:\n{card}");
    }
    assert!(!card.contains("WARNING"), "{card}");
    assert!(!card.contains("Where its data comes from"), "{card}");
}

#[test]
fn schedule_text_lists_every_day() {
    let fixture = fixture();
    let text = stdout(&["schedule", fixture.to_str().unwrap(), "--env", "staging"]);
    for day in [
        "Monday 23 November 2026",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday 29 November 2026",
    ] {
        assert!(text.contains(day), "no {day} in:\n{text}");
    }
    assert!(text.contains("22:06  content-store-postgres"), "{text}");
    assert!(!text.contains("  production\n"), "{text}");
}

#[test]
fn schedule_svg_is_well_formed_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("week.svg");
    let fixture = fixture();
    stdout(&[
        "schedule",
        fixture.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let bars = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.children().any(|c| c.has_tag_name("title")))
        .count();
    assert!(bars > 50, "only {bars} bars");
    assert!(text.contains("content-store-postgres"));
    let png = dir.path().join("week.png");
    if common::svg_to_png(&svg, &png) {
        assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    }
}

/// The findings of `envsync lint --format json` about when jobs run (the
/// rules the schedule draws in red), as (environment, job, message).
fn timing_findings(catalogue: &std::path::Path) -> Vec<(String, String, String)> {
    let out = envsync()
        .arg("lint")
        .arg(catalogue)
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let timing = [
        "restore-before-backup",
        "host-overlap",
        "self-overlap",
        "order",
        "snapshot-before-restore",
    ];
    let mut found: Vec<_> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| timing.contains(&d["rule"].as_str().unwrap()))
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap().to_owned();
            (s("env"), s("job"), s("message"))
        })
        .collect();
    found.sort();
    found
}

/// Each bar of the week's SVG: (environment, job, fill, title).
fn bars(
    svg: &std::path::Path,
    catalogue: &std::path::Path,
) -> Vec<(String, String, String, String)> {
    stdout(&[
        "schedule",
        catalogue.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter_map(|n| {
            let title = n.children().find(|c| c.has_tag_name("title"))?;
            let title = title.text().unwrap_or_default().to_owned();
            let mut words = title.split(' ');
            let env = words.next()?.to_owned();
            let job = words.next()?.to_owned();
            Some((env, job, n.attribute("fill")?.to_owned(), title))
        })
        .collect()
}

const RED: &str = "#d4351c";

/// The jobs drawn in red, each with the titles of its bars.
fn red_jobs(bars: &[(String, String, String, String)]) -> Vec<(String, String)> {
    let mut red: Vec<_> = bars
        .iter()
        .filter(|b| b.2 == RED)
        .map(|b| (b.0.clone(), b.1.clone()))
        .collect();
    red.sort();
    red.dedup();
    red
}

#[test]
fn the_svg_draws_in_red_what_lint_flags() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture();
    let bars = bars(&dir.path().join("week.svg"), &fixture);
    let flagged: Vec<(String, String)> = timing_findings(&fixture)
        .into_iter()
        .map(|(e, j, _)| (e, j))
        .collect();
    assert_eq!(flagged.len(), 10, "{flagged:?}");
    assert_eq!(red_jobs(&bars), flagged);
    // Every bar of a flagged job is red, and says why.
    for (env, job, message) in timing_findings(&fixture) {
        for bar in bars.iter().filter(|b| b.0 == env && b.1 == job) {
            assert_eq!(bar.2, RED, "{bar:?}");
            assert!(bar.3.contains(&message), "{bar:?} lacks {message}");
        }
    }
}

#[test]
fn a_restore_moved_before_its_backup_turns_red() {
    let dir = tempfile::tempdir().unwrap();
    // Production backs whitehall up at 00:28 (within 1h); staging restores
    // at 01:28, just in time. Half an hour earlier, it restores the day
    // before's copy.
    let text = std::fs::read_to_string(fixture()).unwrap();
    let moved = text.replacen(
        "staging: {schedule: 28 1 * * 1-5,",
        "staging: {schedule: 58 0 * * 1-5,",
        1,
    );
    assert!(
        text != moved,
        "the fixture spells whitehall's staging schedule differently"
    );
    let catalogue = dir.path().join("catalogue.yaml");
    std::fs::write(&catalogue, moved).unwrap();

    let findings = timing_findings(&catalogue);
    let whitehall: Vec<_> = findings
        .iter()
        .filter(|(e, j, _)| e == "staging" && j == "whitehall-mysql")
        .collect();
    assert_eq!(whitehall.len(), 1, "{findings:?}");
    let message = &whitehall[0].2;
    assert!(
        message.contains("production's `whitehall-mysql`"),
        "{message}"
    );

    let bars = bars(&dir.path().join("week.svg"), &catalogue);
    let staging: Vec<_> = bars
        .iter()
        .filter(|b| b.0 == "staging" && b.1 == "whitehall-mysql")
        .collect();
    assert_eq!(staging.len(), 5, "a run each weekday: {staging:?}");
    for bar in staging {
        assert_eq!(bar.2, RED, "{bar:?}");
        assert!(bar.3.contains("restore-before-backup"), "{bar:?}");
        assert!(bar.3.contains(message.as_str()), "{bar:?}");
    }
    let flagged: Vec<_> = findings
        .iter()
        .map(|(e, j, _)| (e.clone(), j.clone()))
        .collect();
    assert_eq!(red_jobs(&bars), flagged);
    // The text says so too.
    let week = stdout(&["schedule", catalogue.to_str().unwrap(), "--env", "staging"]);
    assert!(
        week.contains("00:58  whitehall-mysql") && week.contains("!! restore-before-backup"),
        "{week}"
    );
    assert!(
        week.contains(&format!(
            "!! staging/whitehall-mysql: warning[restore-before-backup] {message}"
        )),
        "{week}"
    );
}

const PURPLE: &str = "#4c2c92";

/// The y of each row labelled `label` in the SVG, in order (each row's
/// label is written 8 below its top).
fn rows_labelled(svg: &str, label: &str) -> Vec<f64> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text") && n.text() == Some(label))
        .map(|n| n.attribute("y").unwrap().parse::<f64>().unwrap() - 8.0)
        .collect()
}

/// The search index syncs are in the week beside the database jobs, marked
/// as search jobs, each restore linked to the snapshot it reads.
#[test]
fn schedule_shows_the_search_index_syncs() {
    let fixture = fixture();
    let staging = stdout(&["schedule", fixture.to_str().unwrap(), "--env", "staging"]);
    for expected in [
        "02:50  green-es6-cp-prod  (search restore into green-es6; up to 30m) from production's Mon 01:51",
        "03:37  green-es6-snapshot  (search snapshot of green-es6; up to 30m)",
        "02:12  chat-engine-cp-prod  (search restore into chat-engine; up to 30m) from production's Mon 01:12",
    ] {
        assert!(staging.contains(expected), "no {expected:?} in:\n{staging}");
    }
    assert_eq!(
        staging.matches("  green-es6-snapshot  (").count(),
        7,
        "{staging}"
    );
    // Integration snapshots on Mondays only.
    let integration = stdout(&[
        "schedule",
        fixture.to_str().unwrap(),
        "--env",
        "integration",
    ]);
    assert_eq!(
        integration.matches("  green-es6-snapshot  (").count(),
        1,
        "{integration}"
    );

    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("week.svg");
    let bars = bars(&svg, &fixture);
    let restores: Vec<_> = bars
        .iter()
        .filter(|b| b.0 == "staging" && b.1 == "green-es6-cp-prod")
        .collect();
    assert_eq!(restores.len(), 7, "{restores:?}");
    for bar in &restores {
        assert_eq!(bar.2, PURPLE, "{bar:?}");
        assert!(bar.3.contains("search restore into green-es6"), "{bar:?}");
    }
    // Database jobs stay green.
    assert!(
        bars.iter()
            .any(|b| b.1 == "content-store-postgres" && b.2 == "#00703c")
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    // Rows in environment order: production, staging, integration.
    let snapshot_rows = rows_labelled(&text, "search: green-es6-snapshot");
    let restore_rows = rows_labelled(&text, "search: green-es6-cp-prod");
    assert_eq!(snapshot_rows.len(), 3, "{snapshot_rows:?}");
    let (production, staging_restore) = (snapshot_rows[0], restore_rows[0]);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let y = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
    let links = doc
        .descendants()
        .filter(|n| n.has_tag_name("line"))
        .filter(|n| y(n, "y1") == production + 4.0 && y(n, "y2") == staging_restore + 4.0)
        .count();
    assert_eq!(
        links, 7,
        "a link from production's snapshot to each staging restore"
    );
}

/// Staging's snapshot moved before its restore has finished (the mistake
/// of the chart before 2026-07-30) is drawn in red and listed.
#[test]
fn a_snapshot_moved_before_its_restore_turns_red() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture()).unwrap();
    let moved = text.replacen(
        "staging: {restore: 50 2 * * *, snapshot: 37 3 * * *}",
        "staging: {restore: 50 2 * * *, snapshot: 37 2 * * *}",
        1,
    );
    assert!(
        text != moved,
        "the fixture spells green-es6's staging jobs differently"
    );
    let catalogue = dir.path().join("catalogue.yaml");
    std::fs::write(&catalogue, moved).unwrap();
    let findings = timing_findings(&catalogue);
    assert!(
        findings
            .iter()
            .any(|(e, j, _)| e == "staging" && j == "green-es6-snapshot"),
        "{findings:?}"
    );
    let bars = bars(&dir.path().join("week.svg"), &catalogue);
    let flagged: Vec<_> = findings
        .iter()
        .map(|(e, j, _)| (e.clone(), j.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(red_jobs(&bars), flagged);
    let week = stdout(&["schedule", catalogue.to_str().unwrap(), "--env", "staging"]);
    // It also overlaps the restore on the same cluster: host-overlap.
    let line = week
        .lines()
        .find(|l| {
            l.contains("02:37  green-es6-snapshot  (search snapshot of green-es6; up to 30m)  !! ")
        })
        .unwrap_or_else(|| panic!("no flagged snapshot at 02:37 in:\n{week}"));
    assert!(line.contains("snapshot-before-restore"), "{line}");
    assert!(week.contains("!! staging/green-es6-snapshot: "), "{week}");
}

/// Runs envsync with only these colour variables set, and returns what it
/// printed on both streams.
fn coloured(args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut cmd = envsync();
    cmd.args(args)
        .env("ENVSYNC_NOW", NOW)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn colour_follows_no_color_clicolor_force_and_the_terminal() {
    let fixture = fixture();
    let fixture = fixture.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "environments:\n  production:\ndatabases:\n  chat-postgres:\n    production: 61 1 * * *\n",
    )
    .unwrap();
    let broken = broken.to_str().unwrap();
    let commands: [&[&str]; 5] = [
        &[
            "explain",
            "content-store-postgres",
            "--env",
            "staging",
            fixture,
        ],
        &["schedule", fixture, "--env", "integration"],
        &["lint", fixture],
        &["validate", broken],
        &["lint", broken],
    ];
    for args in commands {
        let forced = coloured(args, &[("CLICOLOR_FORCE", "1")]);
        assert!(
            forced.contains("\u{1b}["),
            "no colour with CLICOLOR_FORCE: envsync {args:?}:\n{forced}"
        );
        for vars in [&[("NO_COLOR", "1")][..], &[][..]] {
            let plain = coloured(args, vars);
            assert!(
                !plain.contains('\u{1b}'),
                "colour with {vars:?} (not a terminal): envsync {args:?}:\n{plain}"
            );
            assert!(plain.len() > 100, "envsync {args:?} printed {plain}");
        }
        // NO_COLOR wins over CLICOLOR_FORCE.
        let both = coloured(args, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
        assert!(!both.contains('\u{1b}'), "envsync {args:?}:\n{both}");
    }
}
