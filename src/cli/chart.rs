//! `envsync diff` and `envsync apply`: a catalogue's render against a
//! govuk-helm-charts checkout.

use super::{DiffFormat, Error, checkout_outputs, load_catalogue_for, now, print, print_styled};
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
    let plan = load_catalogue_for(catalogue, &checkout)?;
    lint_first(catalogue, &checkout)?;
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
    let plan = load_catalogue_for(catalogue, &checkout)?;
    lint_first(catalogue, &checkout)?;
    let templates = Templates::load(templates)?;
    let rendered = checkout_outputs(&plan, &templates)?;
    warn_failing_tests(&rendered, &checkout, tests)?;
    let written = chart::apply(&plan, &rendered, repo, tests)?;
    if written.is_empty() {
        eprintln!("nothing to change: the checkout matches the catalogue");
    }
    for path in written {
        eprintln!("wrote {}", repo.join(path).display());
    }
    Ok(())
}

/// Lints the catalogue, with the checkout's scripts, before anything is
/// compared or written: error findings stop the command (exit 1, the
/// findings printed); the warnings the chart as it stands does not have
/// (by rule, environment and job) are printed.
fn lint_first(catalogue: &Path, checkout: &Checkout) -> Result<(), Error> {
    use crate::lint::format::{self, Format, Sources};
    use crate::lint::{Mode, Source};
    use crate::model::diagnostic::Severity;
    let scripts = checkout.scripts()?;
    // The chart as it stands is linted with its alert rules, as by
    // `lint --chart-repo`.
    let rules = checkout.path(crate::render::RULES);
    let alerts = match rules.is_dir() {
        true => Some(
            crate::lint::alerts::AlertRules::read_dir(&rules).map_err(|source| Error::Read {
                path: rules,
                source,
            })?,
        ),
        false => None,
    };
    let lint = |path: &Path, mode| -> Result<_, Error> {
        let text = super::read(path)?;
        let findings = crate::lint::check(&Source {
            path,
            text: &text,
            mode,
            scripts: scripts.as_ref(),
            alerts: (mode == Mode::Chart).then_some(alerts.as_ref()).flatten(),
            facts: None,
        });
        Ok((text, findings))
    };
    let (text, findings) = lint(catalogue, Mode::Catalogue)?;
    let errors = findings.iter().any(|d| d.severity == Severity::Error);
    let shown: Vec<_> = if errors {
        findings
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect()
    } else {
        let values = checkout.path(crate::render::VALUES);
        let (_, before) = lint(&values, Mode::Chart)?;
        let key = |d: &crate::model::diagnostic::Diagnostic| {
            (d.rule.clone(), d.env.clone(), d.job.clone())
        };
        let known: std::collections::BTreeSet<_> = before.iter().map(key).collect();
        findings
            .into_iter()
            .filter(|d| d.severity == Severity::Warning && !known.contains(&key(d)))
            .collect()
    };
    if shown.is_empty() {
        return Ok(());
    }
    let mut sources = Sources::new();
    sources.insert(catalogue.to_owned(), text);
    let mut out = Vec::new();
    format::write(Format::Human, &shown, &sources, &mut out)
        .map_err(|e| Error::Usage(format!("cannot write the findings: {e}")))?;
    let _ = std::io::Write::write_all(&mut anstream::stderr(), &out);
    let summary = format!("{}: {}", catalogue.display(), format::summary(&shown));
    if errors {
        return Err(Error::Findings(format!(
            "{summary}; the checkout is left as it is"
        )));
    }
    eprintln!("{summary} the chart does not have yet");
    Ok(())
}
