//! `envsync lint`, `envsync rules` and `envsync rule NAME`.

use super::alerts::AlertRules;
use super::format::{self, Format, Sources};
use super::{ChartRepo, Mode, Source, chart_scripts, registry, suggest};
use crate::cli::{Error, read};
use crate::diagnostic::Severity;
use clap::{Args, ValueEnum};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct LintArgs {
    /// The catalogue to lint. Without one, `--chart-repo` lints the chart as
    /// it stands.
    pub catalogue: Option<PathBuf>,
    /// A govuk-helm-charts checkout. With a catalogue, its
    /// charts/db-backup/scripts/ tells which sanitise scripts exist.
    /// Without one, lint reads charts/db-backup/values.yaml, the script
    /// names in charts/db-backup/scripts/ and the alert rules under
    /// charts/monitoring-config/rules/.
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
    let (path, mode, scripts, alerts) = match (&args.catalogue, &args.chart_repo) {
        (Some(catalogue), repo) => {
            let scripts = match repo {
                Some(repo) => Some(scripts_of(repo)?),
                None => None,
            };
            (catalogue.clone(), Mode::Catalogue, scripts, None)
        }
        (None, Some(repo)) => {
            let chart = ChartRepo::new(repo);
            let alerts = if chart.rules.is_dir() {
                Some(
                    AlertRules::read_dir(&chart.rules).map_err(|source| Error::Read {
                        path: chart.rules.clone(),
                        source,
                    })?,
                )
            } else {
                eprintln!(
                    "note: no {}: alert-coverage is not checked",
                    chart.rules.display()
                );
                None
            };
            (chart.values, Mode::Chart, Some(scripts_of(repo)?), alerts)
        }
        (None, None) => {
            return Err(Error::Usage(
                "give a catalogue to lint, or --chart-repo REPO to lint the chart as it stands"
                    .into(),
            ));
        }
    };
    let text = read(&path)?;
    let findings = super::check(&Source {
        path: &path,
        text: &text,
        mode,
        scripts: scripts.as_ref(),
        alerts: alerts.as_ref(),
    });
    let mut sources = Sources::new();
    // Findings in other files (the alert rules) show their lines too.
    for d in &findings {
        if d.file != path
            && !sources.contains_key(&d.file)
            && let Ok(text) = std::fs::read_to_string(&d.file)
        {
            sources.insert(d.file.clone(), text);
        }
    }
    sources.insert(path.clone(), text);
    let result = match args.format {
        Format::Human => {
            let mut out = anstream::stdout();
            format::write(args.format, &findings, &sources, &mut out)
        }
        _ => {
            let mut out = std::io::stdout().lock();
            format::write(args.format, &findings, &sources, &mut out)
        }
    };
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Error::Usage(format!("cannot write the findings: {e}")));
    }
    let summary = format!("{}: {}", path.display(), format::summary(&findings));
    if findings.iter().any(|d| args.fail_on.fails(d.severity)) {
        return Err(Error::Findings(summary));
    }
    if matches!(args.format, Format::Human | Format::Concise) {
        eprintln!("{summary}");
    }
    Ok(())
}

/// `envsync rules`: every rule with its severity and what it catches.
pub fn list() -> Result<(), Error> {
    let width = registry().iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for r in registry() {
        let _ = writeln!(
            out,
            "{:width$}  {:7}  {}",
            r.name,
            r.severity.to_string(),
            r.summary()
        );
    }
    Ok(())
}

/// `envsync rule NAME`: the rule's documentation.
pub fn show(name: &str) -> Result<(), Error> {
    let Some(rule) = super::rule(name) else {
        let hint = suggest(name, registry().iter().map(|r| r.name));
        return Err(Error::Usage(format!(
            "no rule `{name}`{hint} (`envsync rules` lists them)"
        )));
    };
    let mut out = std::io::stdout().lock();
    let _ = write!(
        out,
        "{} ({})\n\n{}",
        rule.name,
        rule.severity,
        rule.documentation()
    );
    Ok(())
}

fn scripts_of(repo: &Path) -> Result<BTreeSet<String>, Error> {
    chart_scripts(repo).map_err(|source| Error::Read {
        path: repo.join("charts/db-backup/scripts"),
        source,
    })
}
