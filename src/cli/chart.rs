//! `envsync diff` and `envsync apply`: a catalogue's render against a
//! govuk-helm-charts checkout.

use super::{DiffFormat, Error, checkout_outputs, load_catalogue, now, print, print_styled};
use crate::chart::{self, Checkout, Drift, Tests};
use crate::model::plan::{Job, Plan};
use crate::render::rules;
use crate::render::templates::Templates;
use std::fmt::Write;
use std::path::Path;

pub fn diff(
    catalogue: &Path,
    repo: &Path,
    format: DiffFormat,
    tests: Tests,
    templates: Option<&Path>,
) -> Result<(), Error> {
    let checkout = Checkout::open(repo)?;
    let plan = load_catalogue(catalogue)?;
    let templates = Templates::load(templates)?;
    let rendered = checkout_outputs(&plan, &templates)?;
    let alert_of = |plan: &Plan, env: &str, job: &Job| {
        rules::not_completed_alert(plan, &templates, env, job.host())
    };
    let drift = chart::compare(&plan, &rendered, &checkout, now()?, &alert_of, tests)?;
    warn_failing_tests(&rendered, &checkout, tests)?;
    match format {
        DiffFormat::Json => {
            let json = serde_json::to_string_pretty(&drift)
                .map_err(|e| Error::Usage(format!("cannot print the changes as JSON: {e}")))?;
            print(format!("{json}\n"))?;
        }
        DiffFormat::Human if drift.is_empty() => {
            eprintln!("no drift: the checkout matches the catalogue");
        }
        DiffFormat::Human => print_styled(human(&drift))?,
    }
    if drift.is_empty() {
        Ok(())
    } else {
        Err(Error::Drift)
    }
}

/// A summary line per changed job and per missing file, then each file's
/// unified diff, coloured.
fn human(drift: &Drift) -> String {
    let mut out = String::new();
    for change in &drift.jobs {
        let _ = writeln!(out, "{}", change.summary);
    }
    for file in drift.files.iter().filter(|f| f.missing) {
        let _ = writeln!(out, "{}: missing from the checkout", file.path.display());
    }
    for file in &drift.files {
        out.push('\n');
        for line in file.diff.lines() {
            let style = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => anstyle::AnsiColor::Green.on_default(),
                Some(b'-') if !line.starts_with("---") => anstyle::AnsiColor::Red.on_default(),
                Some(b'@') => anstyle::AnsiColor::Cyan.on_default(),
                _ => anstyle::Style::new(),
            };
            let _ = writeln!(out, "{style}{line}{style:#}");
        }
    }
    out.push('\n');
    let _ = writeln!(out, "{}", summary(drift));
    out
}

/// `2 jobs change; 1 file differs (+2 -2 lines)`.
fn summary(drift: &Drift) -> String {
    let counted = |sign: &str| {
        drift
            .files
            .iter()
            .flat_map(|f| f.diff.lines())
            .filter(|l| l.starts_with(sign) && !l.starts_with(&sign.repeat(3)))
            .count()
    };
    let (jobs, files) = (drift.jobs.len(), drift.files.len());
    format!(
        "{jobs} {}; {files} {} (+{} -{} lines)",
        if jobs == 1 {
            "job changes"
        } else {
            "jobs change"
        },
        if files == 1 {
            "file differs"
        } else {
            "files differ"
        },
        counted("+"),
        counted("-"),
    )
}

/// Says which of the checkout's promtool tests fail against the rendered
/// rules, with what promtool printed.
fn warn_failing_tests(
    rendered: &[crate::render::Rendered],
    checkout: &Checkout,
    tests: Tests,
) -> Result<(), Error> {
    for failing in chart::failing_tests(rendered, checkout, tests)? {
        eprintln!(
            "warning: {}: the checkout's promtool tests fail against the rendered rules; update them, or see --tests\n{}",
            failing.path.display(),
            failing.output.trim_end()
        );
    }
    Ok(())
}

pub fn apply(
    catalogue: &Path,
    repo: &Path,
    tests: Tests,
    templates: Option<&Path>,
) -> Result<(), Error> {
    let checkout = Checkout::open(repo)?;
    let plan = load_catalogue(catalogue)?;
    let templates = Templates::load(templates)?;
    let rendered = checkout_outputs(&plan, &templates)?;
    warn_failing_tests(&rendered, &checkout, tests)?;
    let written = chart::apply(&rendered, repo, tests)?;
    if written.is_empty() {
        eprintln!("nothing to change: the checkout matches the catalogue");
    }
    for path in written {
        eprintln!("wrote {}", repo.join(path).display());
    }
    Ok(())
}
