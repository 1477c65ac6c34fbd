//! envsync writes most YAML with its own serializer (`yaml::write`), which
//! lays data out as serde-saphyr does. Everything render and import write,
//! for the GOV.UK fixture, synthetic catalogues and every conformance
//! revision, must be the same byte for byte when serde-saphyr writes it all.
//!
//! One test in a binary of its own: it switches a process-wide setting.

mod common;

use envsync::output::File;
use envsync::templates::Templates;
use envsync::{catalogue, cli, import, values, yaml};
use std::path::Path;

/// What render writes for a catalogue, and the catalogue import writes for
/// each set of values render wrote.
fn written(plans: &[envsync::plan::Plan]) -> Vec<File> {
    let templates = Templates::load(None).expect("the built-in templates load");
    let mut files = Vec::new();
    for plan in plans {
        files.extend(cli::render(plan, &templates).expect("the plan renders"));
        let catalogue = import::catalogue(plan, &[]);
        let text = yaml::to_string(&catalogue).expect("the catalogue is written");
        files.push(File::new("imported.yaml", text));
    }
    files
}

#[test]
fn writes_what_serde_saphyr_writes() {
    let Some(cases) = common::conformance_cases() else {
        return;
    };
    let root = common::manifest_dir();
    let fixture = root.join("fixtures/govuk/catalogue.yaml");
    let text = std::fs::read_to_string(&fixture).expect("the fixture is readable");
    let mut plans = vec![catalogue::load(&fixture, &text).expect("the fixture loads")];
    for n in [30, 300] {
        let text = envsync::synthetic::catalogue(n);
        plans.push(catalogue::load(Path::new("synthetic.yaml"), &text).expect("it loads"));
    }
    for case in cases {
        let path = case.join("values.yaml");
        let text = std::fs::read_to_string(&path).expect("the values are readable");
        // Rendered with the fixture's chart-level settings: not every
        // revision's values.yaml holds the image.
        if let Ok(mut plan) = values::import(&path, &text) {
            plan.chart = plans[0].chart.clone();
            plans.push(plan);
        }
    }
    assert!(plans.len() > 3, "no conformance revisions imported");

    let quick = written(&plans);
    yaml::write_with_saphyr_only(true);
    let saphyr = written(&plans);
    yaml::write_with_saphyr_only(false);

    assert_eq!(quick.len(), saphyr.len());
    for (a, b) in quick.iter().zip(&saphyr) {
        assert_eq!(a.path, b.path);
        assert!(
            a.contents == b.contents,
            "{} is written differently",
            a.path.display()
        );
    }
}
