//! A chart values file: import it into a plan and, when that succeeds, check
//! the round trip `envsync import` then `envsync render` makes: the catalogue
//! import writes loads, its `cronjobs` block is the one the file held, and
//! importing that block and rendering again changes nothing.

#![no_main]

use envsync::read::catalogue;
use envsync::render::catalogue as import;
use envsync::read::yaml;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::path::Path;

/// Import a values file, write the catalogue, load it back, render `cronjobs`.
fn import_and_render(path: &str, text: &str) -> Option<Value> {
    let plan = envsync::read::values::import(Path::new(path), text).ok()?;
    let data = import::catalogue(&plan, &import::profiles_in_values(text))
        .expect("an imported catalogue is data");
    let written = yaml::to_string(&data).expect("an imported catalogue serialises");
    let reread = catalogue::load(Path::new("imported.yaml"), &written)
        .unwrap_or_else(|e| panic!("import wrote a catalogue that does not load:\n{e}\n{written}"));
    Some(envsync::render::values::cronjobs(&reread).expect("the cronjobs block is data"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(rendered) = import_and_render("values.yaml", text) else {
        return;
    };
    let mut original = envsync::read::values::read_cronjobs(text).expect("an imported file reads");
    // An environment with nothing under it has no jobs, for the chart as for
    // import; the render writes it as `{}`.
    for jobs in original
        .as_object_mut()
        .into_iter()
        .flat_map(|m| m.values_mut())
    {
        if jobs.is_null() {
            *jobs = Value::Object(Default::default());
        }
    }
    assert_eq!(
        rendered["cronjobs"], original,
        "the render differs from the import"
    );
    let block = yaml::to_string(&rendered).expect("cronjobs serialise");
    let again = import_and_render("rendered.yaml", &block)
        .unwrap_or_else(|| panic!("the rendered cronjobs do not import:\n{block}"));
    assert_eq!(
        again, rendered,
        "importing the render and rendering again differs"
    );
});
