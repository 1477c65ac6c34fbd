//! The hand-written GOV.UK catalogue renders today's chart exactly.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use envsync::read::catalogue;
use std::path::Path;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/govuk/catalogue.yaml");
const NEWEST: &str = "2026-08-14-8603dc7c41";

fn newest_values() -> Option<String> {
    let path = common::conformance_dir()?.join(NEWEST).join("values.yaml");
    Some(std::fs::read_to_string(path).unwrap())
}

#[test]
fn renders_the_newest_chart_values_exactly() {
    let Some(original) = newest_values() else {
        return;
    };
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let plan = catalogue::load(Path::new(FIXTURE), &text).unwrap_or_else(|e| panic!("{e}"));
    let rendered = envsync::render::values::cronjobs(&plan).unwrap();
    let expected = envsync::read::values::read_cronjobs(&original).unwrap();
    for (env, jobs) in expected.as_object().unwrap() {
        for (job, spec) in jobs.as_object().unwrap() {
            assert_eq!(&rendered["cronjobs"][env][job], spec, "{env}/{job}");
        }
        let count = rendered["cronjobs"][env].as_object().unwrap().len();
        assert_eq!(count, jobs.as_object().unwrap().len(), "{env}: job count");
    }
    assert_eq!(rendered["cronjobs"], expected);
}

/// Lines that carry content: not blank, not only a comment.
fn content_lines(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count()
}

#[test]
fn takes_at_most_a_third_of_the_lines_of_the_values_it_replaces() {
    let Some(original) = newest_values() else {
        return;
    };
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    // Everything but the chart-level settings: environments, profiles, databases.
    let catalogue_part = text.split("\nchart:").next().unwrap();
    let cronjobs_part = &original[original.find("\ncronjobs:").unwrap()..];
    let (ours, theirs) = (content_lines(catalogue_part), content_lines(cronjobs_part));
    eprintln!("catalogue: {ours} lines; cronjobs block: {theirs} lines");
    assert!(
        theirs >= 600,
        "the cronjobs block was counted wrongly: {theirs}"
    );
    assert!(
        ours * 3 <= theirs,
        "{ours} lines is more than a third of {theirs}"
    );
}

#[test]
fn the_catalogue_and_its_render_pass_yamllint() {
    let out = tempfile::tempdir().unwrap();
    common::envsync()
        .arg("render")
        .arg(FIXTURE)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    common::yamllint(Path::new(FIXTURE));
    common::yamllint(out.path());
}

#[test]
fn render_limits_environments_and_takes_templates_and_chart_settings() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let cronjob = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/templates/cronjob.yaml"
    ))
    .unwrap();
    let marked = cronjob.replacen(
        "kind: CronJob",
        "kind: CronJob\n# rendered with a local template",
        1,
    );
    assert_ne!(cronjob, marked);
    std::fs::write(templates.join("cronjob.yaml"), marked).unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("charts/db-backup")).unwrap();
    let fixture = std::fs::read_to_string(FIXTURE).unwrap();
    let chart = &fixture[fixture.find("\nchart:\n").unwrap() + 8..];
    let values: String = chart
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    std::fs::write(
        repo.join("charts/db-backup/values.yaml"),
        values.replace("tag: v26", "tag: v27"),
    )
    .unwrap();
    let out = dir.path().join("out");
    common::envsync()
        .arg("render")
        .arg(FIXTURE)
        .args(["--env", "staging", "--templates"])
        .arg(&templates)
        .arg("--chart-repo")
        .arg(&repo)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let staging = std::fs::read_to_string(out.join("manifests/staging.yaml")).unwrap();
    assert_eq!(
        staging.matches("# rendered with a local template").count(),
        25
    );
    assert!(
        staging.contains("govuk-toolbox-image:v27"),
        "the image tag comes from the checkout"
    );
    assert!(!out.join("manifests/production.yaml").exists());
    let values = std::fs::read_to_string(out.join("values/cronjobs.yaml")).unwrap();
    assert!(values.contains("  staging:") && !values.contains("  production:"));
}

const NEWEST_SEARCH: &str = "2026-08-10-e02d7b8b1e";

/// The CronJobs of a multi-document file, by name, as data.
fn cronjobs_in(path: &Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split("\n---")
        .map(|doc| doc.trim_start_matches("---"))
        .filter(|doc| !doc.trim().is_empty())
        .map(|doc| {
            let data = envsync::read::yaml::parse(doc, envsync::read::yaml::Dialect::HelmValues)
                .unwrap()
                .value
                .to_json();
            (data["metadata"]["name"].as_str().unwrap().to_owned(), data)
        })
        .collect()
}

#[test]
fn renders_the_newest_search_index_chart_exactly() {
    let Some(cases) = common::search_index_cases() else {
        return;
    };
    let case = cases.iter().find(|c| c.ends_with(NEWEST_SEARCH)).unwrap();
    let out = tempfile::tempdir().unwrap();
    common::envsync()
        .arg("render")
        .arg(FIXTURE)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let data = |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        envsync::read::yaml::parse(&text, envsync::read::yaml::Dialect::HelmValues)
            .unwrap()
            .value
            .to_json()
    };
    let search = out.path().join("search-index-env-sync");
    assert_eq!(
        data(&search.join("values/cronjobs.yaml"))["cronjobs"],
        data(&case.join("values.yaml"))["cronjobs"]
    );
    for env in ["production", "staging", "integration"] {
        let file = format!("{env}.yaml");
        assert_eq!(
            cronjobs_in(&search.join("manifests").join(&file)),
            cronjobs_in(&case.join("rendered").join(&file)),
            "{env}"
        );
    }
    // The catalogue's clusters against the chart's `cronjobs:` block.
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let clusters = &text[text.find("\n  clusters:").unwrap()..];
    let original = std::fs::read_to_string(case.join("values.yaml")).unwrap();
    let start = original.find("\ncronjobs:").unwrap();
    let end = original.find("\npodSecurityContext:").unwrap();
    let (ours, theirs) = (
        content_lines(clusters),
        content_lines(&original[start..end]),
    );
    eprintln!("search clusters: {ours} lines; cronjobs block: {theirs} lines");
    assert!(
        theirs >= 100,
        "the cronjobs block was counted wrongly: {theirs}"
    );
    assert!(
        ours * 6 <= theirs,
        "{ours} lines is more than a sixth of {theirs}"
    );
}
