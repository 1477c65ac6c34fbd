//! The `$schema` line `envsync import` starts a catalogue with points at a
//! schema that is there: one found in the catalogue's folder or above it, or
//! one written beside it.

// A test may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;

/// Imports common::SMALL_VALUES into `catalogue`; returns what import said on stderr.
fn import_to(dir: &Path, catalogue: &Path) -> String {
    let values = dir.join("values.yaml");
    fs::write(&values, common::SMALL_VALUES).unwrap();
    let out = common::envsync()
        .arg("import")
        .arg("--values")
        .arg(&values)
        .arg("-o")
        .arg(catalogue)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

fn first_line(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    text.lines().next().unwrap().to_owned()
}

fn envsync_schema() -> String {
    common::stdout(common::envsync().arg("schema"))
}

#[test]
fn without_a_schema_near_it_writes_one_beside_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("catalogue.yaml");
    let stderr = import_to(dir.path(), &catalogue);
    let beside = dir.path().join("catalogue.schema.json");
    if first_line(&catalogue) != "# yaml-language-server: $schema=catalogue.schema.json" {
        // A folder above the temporary folder holds a schema of its own.
        assert!(!beside.exists());
        return;
    }
    assert_eq!(fs::read_to_string(&beside).unwrap(), envsync_schema());
    assert!(stderr.contains(&beside.display().to_string()), "{stderr}");
}

#[test]
fn a_schema_above_the_catalogue_is_pointed_at() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("schema")).unwrap();
    fs::write(dir.path().join("schema/catalogue.schema.json"), "{}").unwrap();
    // The catalogue's folder is made by import.
    let catalogue = dir.path().join("a/b/catalogue.yaml");
    import_to(dir.path(), &catalogue);
    assert_eq!(
        first_line(&catalogue),
        "# yaml-language-server: $schema=../../schema/catalogue.schema.json"
    );
    assert!(!dir.path().join("a/b/catalogue.schema.json").exists());
}

#[test]
fn a_schema_beside_the_catalogue_is_pointed_at_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("catalogue.schema.json"), "{}").unwrap();
    let catalogue = dir.path().join("catalogue.yaml");
    import_to(dir.path(), &catalogue);
    assert_eq!(
        first_line(&catalogue),
        "# yaml-language-server: $schema=catalogue.schema.json"
    );
    let kept = fs::read_to_string(dir.path().join("catalogue.schema.json")).unwrap();
    assert_eq!(kept, "{}");
}

#[test]
fn the_catalogue_in_this_repository_points_at_its_schema() {
    assert_eq!(
        first_line(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/govuk/catalogue.yaml")),
        "# yaml-language-server: $schema=../../schema/catalogue.schema.json"
    );
}

#[test]
fn on_standard_output_it_says_how_to_write_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    fs::write(&values, common::SMALL_VALUES).unwrap();
    let out = common::stdout(common::envsync().arg("import").arg("--values").arg(&values));
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("# yaml-language-server: $schema=catalogue.schema.json")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .contains("envsync schema > catalogue.schema.json")
    );
}
