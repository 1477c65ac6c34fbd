//! For every real revision of the chart: import its values.yaml, write the
//! catalogue, read the catalogue back through its schema, render, and get the
//! original `cronjobs` back (anchors and merges resolved, key order ignored).

use envsync::{catalogue, import, values, yaml};
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "conformance data missing at {}",
            dir.display()
        );
        eprintln!("skipping: no conformance data at {}", dir.display());
        return Vec::new();
    }
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_revision_round_trips_through_a_catalogue() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let path = case.join("values.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let plan =
            values::import(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let data = import::catalogue(&plan, &import::profiles_in_values(&text));
        let written = yaml::to_string(&data).unwrap();
        let reread = catalogue::load(Path::new("imported.yaml"), &written).unwrap_or_else(|e| {
            panic!(
                "{}: the imported catalogue is invalid:\n{e}\n{written}",
                path.display()
            )
        });
        let rendered = values::cronjobs(&reread);
        let original = values::read_cronjobs(&text).unwrap();
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
}
