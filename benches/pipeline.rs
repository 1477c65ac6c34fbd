//! The pipeline on synthetic catalogues of 100, 1,000 and 10,000 databases
//! (`envsync::synthetic`): reading and checking against the schema, expanding
//! into a plan, lint, and rendering what `envsync render` writes (values,
//! manifests, alert rules and their promtool tests). `all` is the lot, as
//! one run of `envsync lint` and `envsync render` does it.
//!
//!     cargo bench --bench pipeline
//!
//! Targets (issue 8): `all` at 10,000 under 1 s, and no stage more than 12
//! times slower at 10,000 than at 1,000.

// A benchmark may panic: unwrap and expect fail it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use envsync::cli;
use envsync::lint::{self, Mode, Source};
use envsync::read::catalogue;
use envsync::render::templates::Templates;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const SIZES: [usize; 3] = [100, 1_000, 10_000];

fn pipeline(c: &mut Criterion) {
    let path = Path::new("synthetic.yaml");
    let templates = Templates::load(None).expect("the built-in templates load");
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for n in SIZES {
        let text = envsync::synthetic::catalogue(n).expect("a synthetic catalogue writes");
        let document = catalogue::read(path, &text).expect("a synthetic catalogue is valid");
        let plan = document.plan().expect("a synthetic catalogue expands");
        let source = Source {
            path,
            text: &text,
            mode: Mode::Catalogue,
            scripts: None,
            alerts: None,
            facts: None,
        };
        group.bench_with_input(BenchmarkId::new("load+validate", n), &text, |b, text| {
            b.iter(|| catalogue::read(path, black_box(text)).map(|d| d.root))
        });
        group.bench_with_input(BenchmarkId::new("plan", n), &document, |b, document| {
            b.iter(|| black_box(document).plan())
        });
        group.bench_with_input(BenchmarkId::new("lint", n), &source, |b, source| {
            b.iter(|| lint::check(black_box(source)))
        });
        group.bench_with_input(BenchmarkId::new("render", n), &plan, |b, plan| {
            b.iter(|| cli::render_files(black_box(plan), &templates).map(|files| files.len()))
        });
        group.bench_with_input(BenchmarkId::new("all", n), &text, |b, text| {
            b.iter(|| {
                let findings = lint::check(&Source {
                    text: black_box(text),
                    ..source
                });
                let plan = catalogue::load(path, text).expect("valid");
                (
                    findings.len(),
                    cli::render_files(&plan, &templates).map(|f| f.len()),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
