//! A YAML document: whenever the quick reader (`yaml::read`) takes it,
//! serde-saphyr must read the same tree, with the same places, in both
//! dialects.

#![no_main]

use envsync::yaml::{self, Dialect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for dialect in [Dialect::Catalogue, Dialect::HelmValues] {
        let (Some(quick), saphyr) = yaml::read_both_ways(text, dialect) else {
            return;
        };
        let saphyr = saphyr.unwrap_or_else(|e| panic!("read quickly, but serde-saphyr fails: {e}"));
        assert!(quick == saphyr, "{dialect:?}: read differently from serde-saphyr");
    }
});
