//! `envsync lint`, `envsync rules` and `envsync rule NAME`.

use super::{Error, print, print_styled, read};
use crate::chart::Checkout;
use crate::lint::alerts::AlertRules;
use crate::lint::format::{self, Format, Sources};
use crate::lint::{Mode, Source, registry, suggest};
use crate::model::diagnostic::{Diagnostics, Severity};
use crate::read::facts::{self, Facts};
use crate::render;
use clap::{Args, ValueEnum};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct LintArgs {
    /// The catalogue to lint. Without one, `--chart-repo` lints the chart as
    /// it stands.
    pub catalogue: Option<PathBuf>,
    /// A govuk-helm-charts checkout. With a catalogue, its
    /// charts/db-backup/scripts/ tells which sanitise and backup scripts
    /// exist. Without one, lint reads charts/db-backup/values.yaml, the
    /// script names in charts/db-backup/scripts/ (or the chart's
    /// backup-<dbms>.sh), the alert rules under
    /// charts/monitoring-config/rules/, and the facts in .envsync.yaml.
    #[arg(long, value_name = "REPO")]
    pub chart_repo: Option<PathBuf>,
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 when there is a finding at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

impl FailOn {
    fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity == Severity::Error,
            FailOn::Warning => true,
            FailOn::Never => false,
        }
    }
}

/// Lints and prints the findings; `Err` for exit 1 (findings at or above
/// `--fail-on`) or 2 (usage, unreadable files).
pub fn lint(args: &LintArgs) -> Result<(), Error> {
    let mut problems = Vec::new();
    let (path, mode, scripts, alerts, facts) = match (&args.catalogue, &args.chart_repo) {
        (Some(catalogue), repo) => {
            let scripts = match repo {
                Some(repo) => scripts(&Checkout::open(repo)?)?,
                None => None,
            };
            (catalogue.clone(), Mode::Catalogue, scripts, None, None)
        }
        (None, Some(repo)) => {
            let chart = Checkout::open(repo)?;
            let rules = chart.path(render::RULES);
            let alerts = if rules.is_dir() {
                Some(AlertRules::read_dir(&rules).map_err(|source| Error::Read {
                    path: rules.clone(),
                    source,
                })?)
            } else {
                None
            };
            let values = chart.path(render::VALUES);
            let facts = match read_facts(&chart)? {
                Some(Ok(facts)) => Some(facts),
                Some(Err(found)) => {
                    problems = found.0;
                    None
                }
                None => None,
            };
            (values, Mode::Chart, scripts(&chart)?, alerts, facts)
        }
        (None, None) => {
            return Err(Error::Usage(
                "give a catalogue to lint, or --chart-repo REPO to lint the chart as it stands"
                    .into(),
            ));
        }
    };
    let text = read(&path)?;
    let mut findings = crate::lint::check(&Source {
        path: &path,
        text: &text,
        mode,
        scripts: scripts.as_ref(),
        alerts: alerts.as_ref(),
        facts: facts.as_ref(),
    });
    // Problems in .envsync.yaml: the chart is linted without its facts.
    findings.extend(problems);
    let mut sources = Sources::new();
    // What the summary names: the values file, or the checkout when both
    // charts' files were linted.
    let mut linted = path.clone();
    // In chart mode, the search-index-env-sync chart too, where there is one.
    if let (None, Some(repo)) = (&args.catalogue, &args.chart_repo) {
        let search = Checkout::open(repo)?.path(render::SEARCH_VALUES);
        if search.is_file() {
            let text = read(&search)?;
            findings.extend(crate::lint::check_search(&search, &text));
            sources.insert(search, text);
            linted.clone_from(repo);
        }
    }
    // Findings in other files (the alert rules, .envsync.yaml) show their
    // lines too.
    for d in &findings {
        if d.file != path
            && !sources.contains_key(&d.file)
            && let Ok(text) = crate::read::text_file(&d.file)
        {
            sources.insert(d.file.clone(), text);
        }
    }
    sources.insert(path.clone(), text);
    let mut out = Vec::new();
    format::write(args.format, &findings, &sources, &mut out)
        .map_err(|e| Error::Usage(format!("cannot write the findings: {e}")))?;
    match args.format {
        Format::Human => print_styled(out)?,
        _ => print(out)?,
    }
    let summary = format!("{}: {}", linted.display(), format::summary(&findings));
    if findings.iter().any(|d| args.fail_on.fails(d.severity)) {
        return Err(Error::Findings(summary));
    }
    if matches!(args.format, Format::Human | Format::Concise) {
        eprintln!("{summary}");
    }
    Ok(())
}

/// The chart's scripts, with a note when it has none.
fn scripts(chart: &Checkout) -> Result<Option<BTreeSet<String>>, Error> {
    let scripts = chart.scripts()?;
    if scripts.is_none() {
        eprintln!(
            "note: no scripts in {} nor backup-<dbms>.sh in {}: sanitise scripts are not checked, and each job's DBMS is checked against those of the chart of today (mongo, mysql, postgres)",
            chart.path(crate::chart::SCRIPTS).display(),
            chart.path(crate::chart::CHART).display()
        );
    }
    Ok(scripts)
}

/// The checkout's `.envsync.yaml`, if it has one: its facts, or its
/// problems.
fn read_facts(chart: &Checkout) -> Result<Option<Result<Facts, Diagnostics>>, Error> {
    let path = chart.path(facts::FILE);
    match crate::read::text_file(&path) {
        Ok(text) => Ok(Some(facts::read(&path, &text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Read { path, source }),
    }
}

/// `envsync rules`: every rule with its severity and what it catches.
pub fn list() -> Result<(), Error> {
    let width = registry().iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in registry() {
        let _ = writeln!(
            out,
            "{:width$}  {:7}  {}",
            r.name,
            r.severity.to_string(),
            r.summary()
        );
    }
    print(out)
}

/// `envsync rule NAME`: the rule's documentation.
pub fn show(name: &str) -> Result<(), Error> {
    let Some(rule) = crate::lint::rule(name) else {
        let hint = suggest(name, registry().iter().map(|r| r.name));
        return Err(Error::Usage(format!(
            "no rule `{name}`{hint} (`envsync rules` lists them)"
        )));
    };
    print(format!(
        "{} ({})\n\n{}",
        rule.name,
        rule.severity,
        rule.documentation()
    ))
}
