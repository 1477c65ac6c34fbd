//! The search-index-env-sync chart from the catalogue, checked against every
//! revision of that chart in `../shared/conformance/search-index-cases`,
//! through the command line: import its values, render, and get its
//! `cronjobs` back; and where helm could render a revision, the same
//! CronJobs as helm, valid for Kubernetes and for yamllint.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use envsync::read::yaml::{self, Dialect};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A YAML file as data (anchors and merges resolved).
fn data(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    yaml::parse(&text, Dialect::HelmValues)
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message))
        .value
        .to_json()
}

/// The CronJobs of a multi-document file, by name.
fn cronjobs(path: &Path) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split("\n---")
        .map(|doc| doc.trim_start_matches("---"))
        .filter(|doc| !doc.trim().is_empty())
        .map(|doc| {
            let value = yaml::parse(doc, Dialect::HelmValues)
                .unwrap()
                .value
                .to_json();
            let name = value["metadata"]["name"].as_str().unwrap().to_owned();
            (name, value)
        })
        .collect()
}

/// Imports a revision's values into `dir/catalogue.yaml`.
fn import(case: &Path, dir: &Path) -> std::path::PathBuf {
    let catalogue = dir.join("catalogue.yaml");
    common::envsync()
        .arg("import")
        .arg("--search-values")
        .arg(case.join("values.yaml"))
        .arg("-o")
        .arg(&catalogue)
        .assert()
        .success();
    catalogue
}

#[test]
fn every_revision_round_trips_through_a_catalogue() {
    let Some(cases) = common::search_index_cases() else {
        return;
    };
    assert_eq!(cases.len(), 19, "the search-index revisions");
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        let catalogue = import(case, dir.path());
        let out = dir.path().join("out");
        // Old revisions have no toolbox image in today's form: their
        // values still render.
        common::envsync()
            .args(["render", "--only", "values", "--out"])
            .arg(&out)
            .arg(&catalogue)
            .assert()
            .success();
        let rendered = data(&out.join("search-index-env-sync/values/cronjobs.yaml"));
        assert_eq!(
            rendered.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["cronjobs"]
        );
        assert!(!out.join("values").exists(), "no db-backup values");
        assert!(!out.join("search-index-env-sync/manifests").exists());
        if rendered["cronjobs"] != data(&case.join("values.yaml"))["cronjobs"] {
            failures.push(case.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(failures.is_empty(), "revisions that differ: {failures:?}");
}

#[test]
fn manifests_equal_helms_for_every_revision_it_renders() {
    let Some(cases) = common::search_index_cases() else {
        return;
    };
    let mut compared = 0;
    for case in &cases {
        let rendered = case.join("rendered");
        let helm: Vec<_> = std::fs::read_dir(&rendered)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let catalogue = import(case, dir.path());
        let out = dir.path().join("out");
        let mut render = common::envsync();
        render.arg("render").arg(&catalogue).arg("--out").arg(&out);
        if helm.is_empty() {
            // Helm cannot render it, and nor does envsync: no image.
            let refused = render.assert().failure().code(1);
            let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
            assert!(stderr.contains("no toolbox image"), "{stderr}");
            continue;
        }
        render.assert().success();
        let manifests = out.join("search-index-env-sync/manifests");
        for expected in &helm {
            let name = expected.file_name().unwrap();
            assert_eq!(
                cronjobs(&manifests.join(name)),
                cronjobs(expected),
                "{}",
                expected.display()
            );
            compared += 1;
        }
        common::kubernetes_validate(
            std::fs::read_dir(&manifests)
                .unwrap()
                .map(|e| e.unwrap().path()),
        );
        common::yamllint(&manifests);
    }
    if !cases.is_empty() {
        assert_eq!(compared, 15, "five revisions, three environments each");
    }
}

#[test]
fn both_charts_import_into_one_catalogue() {
    let (Some(db), Some(search)) = (common::conformance_cases(), common::search_index_cases())
    else {
        return;
    };
    let (db, search) = (db.last().unwrap(), search.last().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("catalogue.yaml");
    common::envsync()
        .arg("import")
        .arg("--values")
        .arg(db.join("values.yaml"))
        .arg("--search-values")
        .arg(search.join("values.yaml"))
        .arg("-o")
        .arg(&catalogue)
        .assert()
        .success();
    let out = dir.path().join("out");
    common::envsync()
        .args(["render", "--only", "values", "--out"])
        .arg(&out)
        .arg(&catalogue)
        .assert()
        .success();
    assert_eq!(
        data(&out.join("values/cronjobs.yaml"))["cronjobs"],
        data(&db.join("values.yaml"))["cronjobs"]
    );
    assert_eq!(
        data(&out.join("search-index-env-sync/values/cronjobs.yaml"))["cronjobs"],
        data(&search.join("values.yaml"))["cronjobs"]
    );
    assert!(!out.join("manifests").exists() && !out.join("rules").exists());
}

/// The `snapshot-before-restore` findings of `lint --chart-repo` on a
/// checkout of today's db-backup chart and this search-index values file.
fn snapshot_findings(search_values: &str) -> Vec<(String, String)> {
    let db = common::conformance_cases().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let charts = repo.path().join("charts");
    std::fs::create_dir_all(charts.join("db-backup")).unwrap();
    std::fs::create_dir_all(charts.join("search-index-env-sync")).unwrap();
    std::fs::copy(
        db.last().unwrap().join("values.yaml"),
        charts.join("db-backup/values.yaml"),
    )
    .unwrap();
    let search = charts.join("search-index-env-sync/values.yaml");
    std::fs::write(&search, search_values).unwrap();
    let out = common::envsync()
        .args([
            "lint",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--chart-repo",
        ])
        .arg(repo.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    findings
        .iter()
        .filter(|f| f["rule"] == "snapshot-before-restore")
        .map(|f| {
            assert_eq!(f["file"].as_str().unwrap(), search.to_str().unwrap());
            (
                f["env"].as_str().unwrap().to_owned(),
                f["job"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn lint_finds_the_snapshot_that_the_2026_07_30_fix_moved() {
    let (Some(_), Some(cases)) = (common::conformance_cases(), common::search_index_cases()) else {
        return;
    };
    let before = cases
        .iter()
        .find(|c| c.ends_with("2026-07-28-75d04e65f3"))
        .unwrap();
    let text = std::fs::read_to_string(before.join("values.yaml")).unwrap();
    assert_eq!(
        snapshot_findings(&text),
        [("staging".to_owned(), "green-es6-snapshot".to_owned())]
    );
    // 2026-07-30: staging's snapshot moved after its restore from
    // production (today's times), nothing else changed.
    let staging = text.find("\n  staging:").unwrap();
    let (head, tail) = text.split_at(staging);
    let fixed = tail
        .replacen("schedule: \"00 3 * * *\"", "schedule: \"50 2 * * *\"", 1)
        .replacen("schedule: \"37 2 * * *\"", "schedule: \"37 3 * * *\"", 1);
    assert_ne!(fixed, tail);
    assert_eq!(snapshot_findings(&format!("{head}{fixed}")), []);
}

#[test]
fn import_chart_repo_then_apply_writes_only_the_search_cronjobs_block() {
    let (Some(db), Some(search)) = (common::conformance_cases(), common::search_index_cases())
    else {
        return;
    };
    let (db, search) = (db.last().unwrap(), &search[search.len() - 2]);
    let repo = tempfile::tempdir().unwrap();
    let charts = repo.path().join("charts");
    std::fs::create_dir_all(charts.join("db-backup")).unwrap();
    std::fs::create_dir_all(charts.join("search-index-env-sync")).unwrap();
    std::fs::copy(db.join("values.yaml"), charts.join("db-backup/values.yaml")).unwrap();
    let values = charts.join("search-index-env-sync/values.yaml");
    std::fs::copy(search.join("values.yaml"), &values).unwrap();
    let rules = charts.join("monitoring-config/rules");
    std::fs::create_dir_all(&rules).unwrap();
    for entry in walk(&db.join("rules")) {
        let to = rules.join(entry.strip_prefix(db.join("rules")).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, to).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("catalogue.yaml");
    common::envsync()
        .args(["import", "--chart-repo"])
        .arg(repo.path())
        .arg("-o")
        .arg(&catalogue)
        .assert()
        .success();
    // Move staging's snapshot after its restore, as 2026-07-30 did.
    let text = std::fs::read_to_string(&catalogue).unwrap();
    let moved = text.replace(
        "restore: 00 3 * * *\n        snapshot: 37 2 * * *",
        "restore: 50 2 * * *\n        snapshot: 37 3 * * *",
    );
    assert_ne!(moved, text, "{text}");
    std::fs::write(&catalogue, moved).unwrap();
    let before = std::fs::read_to_string(&values).unwrap();
    let diff = common::envsync()
        .arg("diff")
        .arg(&catalogue)
        .arg("--chart-repo")
        .arg(repo.path())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&diff.stdout);
    assert!(
        printed.contains("+++ b/charts/search-index-env-sync/values.yaml"),
        "{printed}"
    );
    assert!(printed.contains("-      schedule: 37 2 * * *"), "{printed}");
    // A line per changed search job, as for db-backup's, counted in the
    // summary; no db-backup job changes.
    let lines: Vec<&str> = printed
        .lines()
        .filter(|l| l.contains("(search index sync)"))
        .collect();
    assert_eq!(lines.len(), 2, "{printed}");
    assert!(
        lines[0].starts_with(
            "staging/green-es6-cp-prod (search index sync): schedule 00 3 * * * → 50 2 * * * (next run "
        ),
        "{printed}"
    );
    assert!(
        lines[1].starts_with(
            "staging/green-es6-snapshot (search index sync): schedule 37 2 * * * → 37 3 * * * (next run "
        ),
        "{printed}"
    );
    assert!(printed.contains("\n2 jobs change; "), "{printed}");
    let json = common::envsync()
        .args(["diff", "--format", "json"])
        .arg(&catalogue)
        .arg("--chart-repo")
        .arg(repo.path())
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    let jobs = json["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{json}");
    for job in jobs {
        assert_eq!(job["chart"], "search-index-env-sync", "{job}");
        assert_eq!(job["kind"], "changed", "{job}");
        assert_eq!(job["fields"][0]["field"], "schedule", "{job}");
    }
    common::apply(&catalogue, repo.path()).success();
    let after = std::fs::read_to_string(&values).unwrap();
    let block = |t: &str| t.find("\ncronjobs:").unwrap()..t.find("\npodSecurityContext:").unwrap();
    let (b, a) = (block(&before), block(&after));
    assert_eq!(before[..b.start], after[..a.start]);
    assert_eq!(before[b.end..], after[a.end..]);
    let staging = &data(&values)["cronjobs"]["staging"];
    assert_eq!(staging["green-es6-cp-prod"]["schedule"], "50 2 * * *");
    assert_eq!(staging["green-es6-snapshot"]["schedule"], "37 3 * * *");
    assert_eq!(snapshot_findings(&after), []);
}

/// Every file below a folder.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The fixture's search index syncs get kube-state-metrics rules: a file
/// every environment loads (failed jobs) and one per environment (runs
/// not completed), each valid for promtool and yamllint and passing the
/// promtool tests generated beside it, which fail when a rule changes.
#[test]
fn search_rules_check_and_pass_their_generated_tests() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    common::envsync()
        .args([
            "render",
            "fixtures/govuk/catalogue.yaml",
            "--only",
            "rules",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let rules = out.join("rules");
    let mut files: Vec<String> = walk(&rules)
        .iter()
        .map(|p| p.strip_prefix(&rules).unwrap().display().to_string())
        .filter(|p| p.contains("search_index_env_sync"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "integration/search_index_env_sync_integration_only_alerts.yaml",
            "integration/search_index_env_sync_integration_only_alerts_tests.yaml",
            "production/search_index_env_sync_production_only_alerts.yaml",
            "production/search_index_env_sync_production_only_alerts_tests.yaml",
            "search_index_env_sync_alerts.yaml",
            "search_index_env_sync_alerts_tests.yaml",
            "staging/search_index_env_sync_staging_only_alerts.yaml",
            "staging/search_index_env_sync_staging_only_alerts_tests.yaml",
        ]
    );
    let (tests, rules_files): (Vec<_>, Vec<_>) = files
        .iter()
        .map(|f| rules.join(f))
        .partition(|p| p.to_string_lossy().ends_with("_tests.yaml"));
    common::promtool_check_rules(&rules_files);
    if !common::promtool_test_rules(&tests) {
        return;
    }
    for file in rules_files.iter().chain(&tests) {
        common::yamllint(file);
    }
    // The generated tests notice a rule that checks less than the model
    // says: a day's grace more on staging's, a comparison turned round in
    // the failed one.
    let staging = rules.join("staging/search_index_env_sync_staging_only_alerts.yaml");
    let text = std::fs::read_to_string(&staging).unwrap();
    assert!(text.contains("< time() - 90000"), "{text}");
    std::fs::write(&staging, text.replace("time() - 90000", "time() - 176400")).unwrap();
    let failed = common::run_promtool_test_rules([
        staging.with_file_name("search_index_env_sync_staging_only_alerts_tests.yaml")
    ])
    .unwrap();
    assert!(
        !failed.status.success(),
        "a looser staging rule passes its tests"
    );
    let common_file = rules.join("search_index_env_sync_alerts.yaml");
    let text = std::fs::read_to_string(&common_file).unwrap();
    std::fs::write(
        &common_file,
        text.replace("> on(namespace, owner_name)", "< on(namespace, owner_name)"),
    )
    .unwrap();
    let failed =
        common::run_promtool_test_rules([rules.join("search_index_env_sync_alerts_tests.yaml")])
            .unwrap();
    assert!(
        !failed.status.success(),
        "a failed alert turned round passes its tests"
    );
}
