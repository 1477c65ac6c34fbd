//! A catalogue: load (parse, schema, meaning, expansion to a plan) and, when
//! it loads, render everything `envsync render` writes, in memory.

#![no_main]

use envsync::render::templates::Templates;
use envsync::read::catalogue;
use envsync::render::manifests;
use envsync::render::rules;
use envsync::read::yaml;
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| Templates::load(None).expect("the embedded templates load"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(plan) = catalogue::load(Path::new("catalogue.yaml"), text) else {
        return;
    };
    // A loaded plan renders or fails with an error; it never panics.
    let _ = envsync::render::values::cronjobs(&plan).map(|block| yaml::to_string(&block));
    let _ = manifests::render(&plan, templates());
    let _ = rules::render(&plan, templates());
});
