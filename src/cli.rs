//! The command line: arguments, and what each command does with them.

use crate::diagnostic::Diagnostics;
use crate::output::{self, File};
use crate::plan::Plan;
use crate::templates::{TemplateError, Templates};
use crate::{catalogue, import, manifests, values, yaml};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const ABOUT: &str = "One catalogue for GOV.UK's environment data sync: validate it, and render the \
db-backup chart's cronjobs values, CronJob manifests and alert rules from it.";

#[derive(Parser, Debug)]
#[command(name = "envsync", version, about = ABOUT, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a catalogue against its schema and its meaning.
    ///
    /// Every problem is reported in one run, each with file:line:column and
    /// the source line. Exit 0 when valid, 1 when not, 2 when the file cannot
    /// be read.
    #[command(after_help = "Example:\n  envsync validate fixtures/govuk/catalogue.yaml")]
    Validate {
        /// The catalogue file.
        catalogue: PathBuf,
        /// How to print problems.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Render the chart values (and manifests and rules) from a catalogue.
    ///
    /// Writes DIR/values/cronjobs.yaml (the `cronjobs:` block that belongs
    /// in charts/db-backup/values.yaml) and DIR/manifests/<env>.yaml (the
    /// CronJobs helm renders from it, one document each, sorted by name).
    /// Nothing is written unless everything renders.
    #[command(after_help = "Example:\n  envsync render fixtures/govuk/catalogue.yaml --out out/")]
    Render(RenderArgs),
    /// Write a catalogue from a db-backup values.yaml.
    ///
    /// Anchors, aliases and `<<:` merges are resolved. Each job is written as
    /// compactly as the catalogue's derivations allow while still rendering
    /// exactly the original; chart-level keys are kept under `chart:`.
    #[command(
        after_help = "Example:\n  envsync import --values charts/db-backup/values.yaml -o catalogue.yaml"
    )]
    Import {
        /// The chart's values.yaml.
        #[arg(long, value_name = "FILE")]
        values: PathBuf,
        /// Where to write the catalogue (default: standard output).
        #[arg(short, long, value_name = "CATALOGUE")]
        output: Option<PathBuf>,
        /// Keep a schedule Kubernetes rejects (such as day-of-week 7) as it
        /// is, with an `allow` of the cron-syntax rule, instead of refusing
        /// the file: for importing a revision exactly as it was shipped.
        #[arg(long)]
        keep_invalid_schedules: bool,
    },
    /// Print the catalogue's JSON Schema (for editors and other tools).
    Schema,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The catalogue file.
    pub catalogue: PathBuf,
    /// The folder to write into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Render only this environment (repeatable).
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// Take the chart-level settings (toolbox image, resources, contexts,
    /// extraEnv, arch, ...) from REPO/charts/db-backup/values.yaml of a
    /// govuk-helm-charts checkout instead of the catalogue's `chart:`.
    #[arg(long, value_name = "REPO")]
    pub chart_repo: Option<PathBuf>,
    /// A folder of templates, each replacing the built-in template of the
    /// same file name (see `envsync templates`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// The values file of the db-backup chart in a govuk-helm-charts checkout.
pub fn chart_values(repo: &Path) -> PathBuf {
    repo.join("charts/db-backup/values.yaml")
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Coloured on a terminal, with the source line and a caret.
    Human,
    /// One line per problem: file:line:col: severity[rule] message.
    Concise,
    /// A JSON array of objects.
    Json,
}

/// Why a command failed; each knows its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] output::WriteError),
    #[error("{0}")]
    Usage(String),
    #[error("{} problem(s) in {}", .problems.0.len(), .path.display())]
    Invalid {
        path: PathBuf,
        text: String,
        problems: Diagnostics,
    },
    #[error("cannot write YAML: {0}")]
    Yaml(#[from] serde_saphyr::SerializeError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Manifest(#[from] manifests::ManifestError),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Invalid { .. } => ExitCode::from(1),
            _ => ExitCode::from(2),
        }
    }
}

pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Validate { catalogue, format } => {
            let text = read(&catalogue)?;
            match catalogue::load(&catalogue, &text) {
                Ok(plan) => {
                    let jobs = plan.jobs().count();
                    let envs = plan.environments.len();
                    eprintln!(
                        "{}: valid ({jobs} jobs in {envs} environments)",
                        catalogue.display()
                    );
                    Ok(())
                }
                Err(problems) => {
                    report(&problems, Some(&text), format);
                    Err(Error::Invalid {
                        path: catalogue,
                        text,
                        problems,
                    })
                }
            }
        }
        Command::Render(args) => {
            let mut plan = load_catalogue(&args.catalogue)?;
            if let Some(repo) = &args.chart_repo {
                let path = chart_values(repo);
                let text = read(&path)?;
                plan.chart = values::chart(&path, &text).map_err(|problems| {
                    report(&problems, Some(&text), Format::Human);
                    Error::Invalid {
                        path: path.clone(),
                        text: text.clone(),
                        problems,
                    }
                })?;
            }
            let plan = only_envs(plan, &args.envs)?;
            let templates = Templates::load(args.templates.as_deref())?;
            let files = render(&plan, &templates)?;
            output::write_all(&args.out, &files)?;
            for f in &files {
                eprintln!("wrote {}", args.out.join(&f.path).display());
            }
            Ok(())
        }
        Command::Import {
            values,
            output,
            keep_invalid_schedules,
        } => {
            let text = read(&values)?;
            let imported = if keep_invalid_schedules {
                values::import_keeping_invalid_schedules(&values, &text)
            } else {
                values::import(&values, &text)
            };
            let plan = imported.map_err(|problems| {
                report(&problems, Some(&text), Format::Human);
                Error::Invalid {
                    path: values.clone(),
                    text: text.clone(),
                    problems,
                }
            })?;
            let profiles = import::profiles_in_values(&text);
            let data = import::catalogue(&plan, &profiles);
            let body = yaml::to_string(&data)?;
            let header = "# yaml-language-server: $schema=https://raw.githubusercontent.com/alphagov/envsync/main/schema/catalogue.schema.json\n";
            let contents = format!("{header}{body}");
            match output {
                Some(path) => {
                    let dir = path
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(Path::new("."));
                    let name = path.file_name().map(PathBuf::from).ok_or_else(|| {
                        Error::Usage(format!("{} is not a file name", path.display()))
                    })?;
                    output::write_all(dir, &[File::new(name, contents)])?;
                    eprintln!("wrote {}", path.display());
                }
                None => {
                    let _ = std::io::stdout().write_all(contents.as_bytes());
                }
            }
            Ok(())
        }
        Command::Schema => {
            print!("{}", catalogue::SCHEMA);
            Ok(())
        }
    }
}

/// Every file a render writes, relative to the output folder.
pub fn render(plan: &Plan, templates: &Templates) -> Result<Vec<File>, Error> {
    let cronjobs = yaml::to_string(&values::cronjobs(plan))?;
    let mut files = vec![File::new("values/cronjobs.yaml", cronjobs)];
    files.extend(manifests::render(plan, templates)?);
    Ok(files)
}

fn read(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| Error::Read {
        path: path.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is not UTF-8 text",
        ),
    })
}

/// Reads and checks a catalogue; problems are printed before the error returns.
pub fn load_catalogue(path: &Path) -> Result<Plan, Error> {
    let text = read(path)?;
    catalogue::load(path, &text).map_err(|problems| {
        report(&problems, Some(&text), Format::Human);
        Error::Invalid {
            path: path.to_owned(),
            text,
            problems,
        }
    })
}

/// The plan limited to the named environments (all when none are named).
fn only_envs(mut plan: Plan, envs: &[String]) -> Result<Plan, Error> {
    if envs.is_empty() {
        return Ok(plan);
    }
    for e in envs {
        if plan.environment(e).is_none() {
            let known: Vec<_> = plan.environments.iter().map(|e| e.name.as_str()).collect();
            return Err(Error::Usage(format!(
                "unknown environment `{e}` (environments: {})",
                known.join(", ")
            )));
        }
    }
    plan.environments.retain(|e| envs.contains(&e.name));
    Ok(plan)
}

/// Prints problems to standard error in the chosen format.
pub fn report(problems: &Diagnostics, source: Option<&str>, format: Format) {
    let mut err = anstream::stderr();
    match format {
        Format::Human => {
            for d in &problems.0 {
                let _ = writeln!(err, "{}\n", d.human(source, true));
            }
        }
        Format::Concise => {
            for d in &problems.0 {
                let _ = writeln!(err, "{}", d.concise());
            }
        }
        Format::Json => {
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                serde_json::to_string_pretty(&problems.0).unwrap_or_default()
            );
        }
    }
}
