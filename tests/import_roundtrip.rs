//! For every real revision of the chart: import its values.yaml, write the
//! catalogue, read the catalogue back through its schema, render, and get the
//! original `cronjobs` back (anchors and merges resolved, key order ignored).

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use envsync::read::catalogue;
use envsync::read::yaml;
use envsync::render::catalogue as import;
use std::path::Path;

#[test]
fn every_revision_round_trips_through_a_catalogue() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let mut failures = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for case in &cases {
        let path = case.join("values.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        // One revision shipped day-of-week 7, which Kubernetes rejects: a plain
        // import refuses it, and keeping it as found is asked for by name.
        let plan = match envsync::read::values::import(&path, &text) {
            Ok(plan) => plan,
            Err(e) if e.0.iter().all(|d| d.message.contains("day-of-week 7")) => {
                refused.push(case.file_name().unwrap().to_string_lossy().into_owned());
                envsync::read::values::import_keeping_invalid_schedules(&path, &text).unwrap()
            }
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let data = import::catalogue(&plan, &import::profiles_in_values(&text)).unwrap();
        let written = yaml::to_string(&data).unwrap();
        let reread = catalogue::load(Path::new("imported.yaml"), &written).unwrap_or_else(|e| {
            panic!(
                "{}: the imported catalogue is invalid:\n{e}\n{written}",
                path.display()
            )
        });
        let rendered = envsync::render::values::cronjobs(&reread).unwrap();
        let original = envsync::read::values::read_cronjobs(&text).unwrap();
        if rendered["cronjobs"] != original {
            failures.push(case.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} revisions differ: {failures:?}",
        failures.len(),
        cases.len()
    );
    eprintln!("{} of {} revisions round-trip", cases.len(), cases.len());
    if !cases.is_empty() {
        assert_eq!(
            refused,
            ["2023-10-26-1946034214"],
            "revisions a plain import refuses"
        );
    }
}

#[test]
fn import_and_render_write_yaml_that_passes_yamllint() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let case = cases.last().expect("a conformance case");
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("catalogue.yaml");
    common::envsync()
        .args(["import", "--values"])
        .arg(case.join("values.yaml"))
        .arg("-o")
        .arg(&catalogue)
        .assert()
        .success();
    let out = dir.path().join("out");
    common::envsync()
        .arg("render")
        .arg(&catalogue)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    common::yamllint(&catalogue);
    common::yamllint(&out);
}

#[test]
fn a_jobs_own_database_user_round_trips() {
    let text = "cronjobs:
  staging:
    signon-mysql:
      schedule: \"3 1 * * 1-5\"
      dbUser: signon_reader
      operations:
        - op: backup
";
    let path = Path::new("values.yaml");
    let plan = envsync::read::values::import(path, text).unwrap_or_else(|e| panic!("{e}"));
    let data = import::catalogue(&plan, &import::profiles_in_values(text)).unwrap();
    let written = yaml::to_string(&data).unwrap();
    assert!(written.contains("db_user: signon_reader"), "{written}");
    let reread = catalogue::load(Path::new("imported.yaml"), &written).unwrap();
    let rendered = envsync::render::values::cronjobs(&reread).unwrap();
    assert_eq!(
        rendered["cronjobs"],
        envsync::read::values::read_cronjobs(text).unwrap()
    );

    let wrong = text.replace("dbUser: signon_reader", "dbUser: [a]");
    let e = envsync::read::values::import(path, &wrong)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`dbUser` must be a string"), "{e}");
}
