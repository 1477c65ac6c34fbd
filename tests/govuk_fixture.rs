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
