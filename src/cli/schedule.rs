//! `envsync schedule`: the week at a glance, as text and as a picture.

use super::{Error, load_catalogue, now, only_envs, print_styled, read};
use crate::lint::{self, Mode, Source};
use crate::model::diagnostic::Diagnostic;
use crate::render::schedule;
use std::path::Path;

pub fn run(catalogue: &Path, envs: &[String], svg: Option<&Path>) -> Result<(), Error> {
    let plan = load_catalogue(catalogue)?;
    let source = read(catalogue)?;
    let start = schedule::week_start(now()?);
    // Links need the sources' runs: filter after working them out.
    let mut runs = schedule::week(&plan, start);
    schedule::mark(&mut runs, &lint_findings(catalogue, &source));
    let shown = only_envs(plan, envs)?;
    runs.retain(|r| shown.environment(&r.env).is_some());
    let text = schedule::text(&shown, start, &runs);
    print_styled(schedule::styled(&text))?;
    if let Some(path) = svg {
        let picture = schedule::svg(&shown, start, &runs);
        std::fs::write(path, picture)
            .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Lints a catalogue and keeps the findings of the rules about when jobs
/// run (restore-before-backup, host-overlap, self-overlap, order: those
/// whose [`lint::Rule::timing`] is set), suppressions applied.
fn lint_findings(path: &Path, text: &str) -> Vec<Diagnostic> {
    let findings = lint::check(&Source {
        path,
        text,
        mode: Mode::Catalogue,
        scripts: None,
        alerts: None,
        facts: None,
    });
    findings
        .into_iter()
        .filter(|d| lint::rule(&d.rule).is_some_and(|r| r.timing))
        .collect()
}
