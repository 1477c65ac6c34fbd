//! The command line: the commands and their arguments, with one file for
//! what each command does.
//!
//! Everything a command prints on standard output goes through [`print`],
//! so that a failed write is an error (exit 2) rather than lost.

mod chart;
mod error;
mod explain;
mod import;
pub mod lint;
mod reference;
mod render;
mod schedule;
mod validate;

pub use error::Error;
pub use render::RenderArgs;

use crate::model::diagnostic::{Diagnostic, Diagnostics};
use crate::model::plan::{Origin, Plan};
use crate::output::File;
use crate::read::catalogue;
use crate::render::rules;
use crate::render::templates::Templates;
use crate::render::{RenderError, Rendered};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

const ABOUT: &str = "One catalogue for GOV.UK's environment data sync: validate it, and render the \
db-backup chart's cronjobs values, CronJob manifests and alert rules from it.";

#[derive(Parser, Debug)]
#[command(
    name = "envsync",
    version,
    about = ABOUT,
    long_about = None,
    after_help = "Examples:\n  envsync validate catalogue.yaml\n  envsync diff catalogue.yaml --chart-repo ../govuk-helm-charts\n  envsync explain content-store-postgres --env staging"
)]
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
    /// in charts/db-backup/values.yaml), DIR/manifests/<env>.yaml (the
    /// CronJobs helm renders from it, one document each, sorted by name),
    /// and DIR/rules/ (the alert rules in the layout of
    /// charts/monitoring-config/rules/, each with a promtool test file
    /// beside it). Nothing is written unless everything renders, and a file
    /// that already holds what would be written is left as it is.
    #[command(after_help = "Example:\n  envsync render fixtures/govuk/catalogue.yaml --out out/")]
    Render(RenderArgs),
    /// Write a catalogue from a db-backup values.yaml.
    ///
    /// Anchors, aliases and `<<:` merges are resolved. Each job is written as
    /// compactly as the catalogue's derivations allow while still rendering
    /// exactly the original; chart-level keys are kept under `chart:`.
    ///
    /// The catalogue starts with a `# yaml-language-server: $schema=` line,
    /// so that editors check it. With -o, it points at a
    /// catalogue.schema.json or schema/catalogue.schema.json in the
    /// catalogue's folder or a folder above it; if there is none, the schema
    /// (what `envsync schema` prints) is written beside the catalogue as
    /// catalogue.schema.json. On standard output, it points at
    /// catalogue.schema.json beside the catalogue, for you to write with
    /// `envsync schema > catalogue.schema.json`.
    #[command(
        after_help = "Examples:\n  envsync import --values charts/db-backup/values.yaml -o catalogue.yaml\n  envsync import --values charts/db-backup/values.yaml --search-values charts/search-index-env-sync/values.yaml -o catalogue.yaml\n  envsync import --chart-repo ../govuk-helm-charts -o catalogue.yaml"
    )]
    Import {
        /// The db-backup chart's values.yaml.
        #[arg(long, value_name = "FILE", required_unless_present_any = ["search_values", "chart_repo"])]
        values: Option<PathBuf>,
        /// The search-index-env-sync chart's values.yaml: its jobs go into
        /// the catalogue's `search:`.
        #[arg(long, value_name = "FILE")]
        search_values: Option<PathBuf>,
        /// A govuk-helm-charts checkout: both charts' values and the alert
        /// rules, as --values, --search-values and --rules would name them.
        #[arg(long, value_name = "REPO", conflicts_with_all = ["values", "search_values", "rules"])]
        chart_repo: Option<PathBuf>,
        /// Where to write the catalogue (default: standard output).
        #[arg(short, long, value_name = "CATALOGUE")]
        output: Option<PathBuf>,
        /// The alert rules folder (charts/monitoring-config/rules of a
        /// checkout): each database's speed groups are read from its
        /// taking-a-long-time alerts.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Keep a schedule Kubernetes rejects (such as day-of-week 7) as it
        /// is, with an `allow` of the cron-syntax rule, instead of refusing
        /// the file: for importing a revision exactly as it was shipped.
        #[arg(long)]
        keep_invalid_schedules: bool,
        /// The facts a values file cannot hold (run_before, personal_data,
        /// wider_access, allow), written into the catalogue. Default: the
        /// .envsync.yaml of the checkout whose
        /// charts/db-backup/values.yaml is --values, if there is one.
        #[arg(long, value_name = "FILE")]
        facts: Option<PathBuf>,
    },
    /// Compare what a catalogue renders with a govuk-helm-charts checkout.
    ///
    /// Compares the `cronjobs` of charts/db-backup/values.yaml (anchors and
    /// merges resolved) and the database-backup rule files under
    /// charts/monitoring-config/rules/, as data: key order, quoting,
    /// anchors, comments and the order of alternatives in a label matcher
    /// make no difference. Prints one line per changed job, then a unified
    /// diff, then a summary line. The checkout's promtool tests are not
    /// compared unless --tests says otherwise; envsync warns when they fail
    /// against the rendered rules (with promtool on the path). Exit 0 when
    /// they match, 1 on drift, 2 on error.
    #[command(
        after_help = "Example:\n  envsync diff catalogue.yaml --chart-repo ../govuk-helm-charts"
    )]
    Diff {
        /// The catalogue file.
        catalogue: PathBuf,
        /// The govuk-helm-charts checkout.
        #[arg(long, value_name = "REPO")]
        chart_repo: PathBuf,
        /// How to print the changes.
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
        /// What to do with the generated promtool tests: keep the
        /// checkout's `*_tests.yaml` and write none, replace them, or add
        /// the generated ones beside them as `*_generated_tests.yaml`.
        #[arg(long, value_enum, default_value_t = crate::chart::Tests::Keep)]
        tests: crate::chart::Tests,
        /// Templates replacing the built-in ones (as for render).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Write what a catalogue renders into a govuk-helm-charts checkout.
    ///
    /// Rewrites only the `cronjobs:` block of charts/db-backup/values.yaml,
    /// keeping every other byte (comments and anchors too), and the rule
    /// files whose alerts change, in each file's line endings and mode. The
    /// checkout's promtool tests are left alone unless --tests says
    /// otherwise; envsync warns when they fail against the rendered rules
    /// (with promtool on the path).
    /// A block that cannot be replaced exactly (conflict markers, a second
    /// `cronjobs:`, an anchor in it used after it) is refused, exit 2. All
    /// or nothing, under a lock that refuses a second apply, even when
    /// killed: the next envsync finishes or undoes the write. Afterwards
    /// `envsync diff` exits 0.
    #[command(
        after_help = "Example:\n  envsync apply catalogue.yaml --chart-repo ../govuk-helm-charts"
    )]
    Apply {
        /// The catalogue file.
        catalogue: PathBuf,
        /// The govuk-helm-charts checkout.
        #[arg(long, value_name = "REPO")]
        chart_repo: PathBuf,
        /// What to do with the generated promtool tests: keep the
        /// checkout's `*_tests.yaml` and write none, replace them, or add
        /// the generated ones beside them as `*_generated_tests.yaml`.
        #[arg(long, value_enum, default_value_t = crate::chart::Tests::Keep)]
        tests: crate::chart::Tests,
        /// Templates replacing the built-in ones (as for render).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Print the catalogue's JSON Schema (for editors and other tools).
    #[command(after_help = "Example:\n  envsync schema > schema/catalogue.schema.json")]
    Schema,
    /// Check a catalogue, or the chart as it stands, against named rules.
    ///
    /// Each finding names its rule, its file, line and column, and the
    /// environment and job. Exit 0 when nothing is at or above --fail-on,
    /// 1 when something is, 2 on usage or I/O errors. Suppress a finding
    /// with `allow: [{rule, reason}]` in the catalogue, or a comment
    /// `# envsync: allow RULE -- reason` on its line or its job's key line.
    #[command(
        after_help = "Examples:\n  envsync lint fixtures/govuk/catalogue.yaml\n  envsync lint --chart-repo ../govuk-helm-charts --format github\n  envsync rules\n  envsync rule restore-before-backup"
    )]
    Lint(lint::LintArgs),
    /// List the lint rules: name, severity, what each catches.
    #[command(after_help = "Example:\n  envsync rules")]
    Rules,
    /// Explain one lint rule: what it catches, why it matters, an example,
    /// how to fix it.
    #[command(after_help = "Example:\n  envsync rule restore-before-backup")]
    Rule {
        /// The rule's name, as `envsync rules` lists it.
        name: String,
    },
    /// Print the on-call card for one job: what it does, when, the alerts
    /// that watch it, and the kubectl commands to look at it and rerun it.
    ///
    /// Next runs are counted from now, or from ENVSYNC_NOW (RFC 3339).
    #[command(
        after_help = "Example:\n  envsync explain content-store-postgres --env staging catalogue.yaml"
    )]
    Explain {
        /// The job name (the catalogue's database key).
        job: String,
        /// The environment.
        #[arg(long, value_name = "ENV")]
        env: String,
        /// The catalogue file.
        #[arg(default_value = "catalogue.yaml")]
        catalogue: PathBuf,
    },
    /// Print the week at a glance: every run per day and environment.
    ///
    /// With --svg, also draw it: a lane per environment, a bar per run from
    /// its start to its start plus its alert thresholds, each restore linked
    /// to the backup it reads. The runs of a job that lint flags for when it
    /// runs (restore-before-backup, host-overlap, self-overlap, order) are
    /// red, each with the finding as its title. The week is the one
    /// containing now, or ENVSYNC_NOW (RFC 3339).
    #[command(
        after_help = "Example:\n  envsync schedule catalogue.yaml --env staging --svg week.svg"
    )]
    Schedule {
        /// The catalogue file.
        #[arg(default_value = "catalogue.yaml")]
        catalogue: PathBuf,
        /// Show only this environment (repeatable).
        #[arg(long = "env", value_name = "ENV")]
        envs: Vec<String>,
        /// Also write the week as an SVG picture to FILE.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// Print a shell completion script for envsync.
    ///
    /// Load it into the running shell, or save it where the shell looks for
    /// completions.
    #[command(
        after_help = "Examples:\n  source <(envsync completions bash)\n  envsync completions zsh > ~/.zfunc/_envsync\n  envsync completions fish > ~/.config/fish/completions/envsync.fish"
    )]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print envsync's manual page (roff), or write one page per command.
    ///
    /// Without --out, prints the page for envsync itself, which lists every
    /// command. With --out, writes envsync.1 and envsync-COMMAND.1 for each
    /// command into DIR.
    #[command(
        after_help = "Examples:\n  envsync man | man -l -\n  envsync man --out ~/.local/share/man/man1"
    )]
    Man {
        /// Write a page per command into this folder instead.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A summary line per changed job, then a unified diff (coloured on a terminal).
    Human,
    /// The same changes as data.
    Json,
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

pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Validate { catalogue, format } => validate::run(&catalogue, format),
        Command::Render(args) => render::run(&args),
        Command::Import {
            values,
            search_values,
            chart_repo,
            output,
            rules,
            keep_invalid_schedules,
            facts,
        } => {
            let sources = match chart_repo {
                Some(repo) => import::Sources::checkout(&repo),
                None => import::Sources {
                    values,
                    search_values,
                    rules,
                },
            };
            import::run(
                &sources,
                output.as_deref(),
                keep_invalid_schedules,
                facts.as_deref(),
            )
        }
        Command::Lint(args) => lint::lint(&args),
        Command::Rules => lint::list(),
        Command::Rule { name } => lint::show(&name),
        Command::Diff {
            catalogue,
            chart_repo,
            format,
            tests,
            templates,
        } => chart::diff(&catalogue, &chart_repo, format, tests, templates.as_deref()),
        Command::Apply {
            catalogue,
            chart_repo,
            tests,
            templates,
        } => chart::apply(&catalogue, &chart_repo, tests, templates.as_deref()),
        Command::Schema => reference::schema(),
        Command::Explain {
            job,
            env,
            catalogue,
        } => explain::run(&job, &env, &catalogue),
        Command::Schedule {
            catalogue,
            envs,
            svg,
        } => schedule::run(&catalogue, &envs, svg.as_deref()),
        Command::Completions { shell } => reference::completions(shell),
        Command::Man { out } => reference::man(out.as_deref()),
    }
}

/// Writes to standard output, and flushes: a write that fails is an error,
/// except into a pipe that was closed (`envsync rules | head`).
pub fn print(text: impl AsRef<[u8]>) -> Result<(), Error> {
    write_out(&mut std::io::stdout().lock(), text.as_ref())
}

/// [`print`] for styled text: the styles are kept on a terminal, stripped
/// elsewhere (`NO_COLOR`, a pipe, a file; `CLICOLOR_FORCE` keeps them).
pub fn print_styled(text: impl AsRef<[u8]>) -> Result<(), Error> {
    write_out(&mut anstream::stdout().lock(), text.as_ref())
}

fn write_out(out: &mut impl Write, bytes: &[u8]) -> Result<(), Error> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}

/// Every file a render writes, relative to the output folder.
pub fn render_files(plan: &Plan, templates: &Templates) -> Result<Vec<File>, Error> {
    render_some(plan, templates, |_| true)
}

/// The files of the outputs `wanted` picks, relative to the output folder.
pub fn render_some(
    plan: &Plan,
    templates: &Templates,
    wanted: impl Fn(&crate::render::Output) -> bool,
) -> Result<Vec<File>, Error> {
    crate::render::files(plan, templates, wanted).map_err(|e| render_error(plan, e))
}

/// The outputs a checkout holds, rendered.
fn checkout_outputs(plan: &Plan, templates: &Templates) -> Result<Vec<Rendered>, Error> {
    crate::render::render(plan, templates, |o| o.checkout.is_some())
        .map_err(|e| render_error(plan, e))
}

/// A render error; one that points into the catalogue is a located problem.
fn render_error(plan: &Plan, e: RenderError) -> Error {
    match e {
        RenderError::Rules(e) => rules_error(plan, e),
        RenderError::Yaml(e) => Error::Yaml(e),
        RenderError::Manifest(e) => Error::Manifest(e),
    }
}

/// A rules error that points into the catalogue, as a located problem.
fn rules_error(plan: &Plan, e: rules::RulesError) -> Error {
    match e.location() {
        Some((line, column)) => {
            let at = Origin { line, column };
            let problem = Diagnostic::error("rules", &plan.source, at, e.to_string());
            let text = crate::read::text_file(&plan.source).unwrap_or_default();
            invalid(
                &plan.source,
                text,
                Diagnostics(vec![problem]),
                Format::Human,
            )
        }
        None => Error::Rules(e),
    }
}

/// The time next runs are counted from: now, or `ENVSYNC_NOW` (an RFC 3339
/// time) for reproducible output.
pub fn now() -> Result<jiff::Timestamp, Error> {
    match std::env::var("ENVSYNC_NOW") {
        Ok(text) => text
            .parse()
            .map_err(|e| Error::Usage(format!("ENVSYNC_NOW={text}: {e}"))),
        Err(_) => Ok(jiff::Timestamp::now()),
    }
}

/// A file's text: a regular file of at most 16 MiB, in UTF-8.
pub fn read(path: &Path) -> Result<String, Error> {
    crate::read::text_file(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}

/// Reads and checks a catalogue; problems are printed before the error returns.
pub fn load_catalogue(path: &Path) -> Result<Plan, Error> {
    let text = read(path)?;
    match catalogue::load(path, &text) {
        Ok(plan) => Ok(plan),
        Err(problems) => Err(invalid(path, text, problems, Format::Human)),
    }
}

/// [`load_catalogue`] for a chart checkout: values are checked as both
/// envsync's bundled chart and the checkout's own templates print them.
pub fn load_catalogue_for(path: &Path, checkout: &crate::chart::Checkout) -> Result<Plan, Error> {
    use crate::read::template;
    let text = read(path)?;
    let (theirs, _) = template::beside(&checkout.path(crate::render::VALUES));
    let unquoted = template::either(template::bundled(), &theirs);
    match catalogue::load_against(path, &text, &unquoted) {
        Ok(plan) => Ok(plan),
        Err(problems) => Err(invalid(path, text, problems, Format::Human)),
    }
}

/// [`load_catalogue`], checking too that the catalogue has everything a
/// render of its manifests needs.
pub fn load_catalogue_for_render(path: &Path) -> Result<Plan, Error> {
    let text = read(path)?;
    match catalogue::load_for_render(path, &text) {
        Ok(plan) => Ok(plan),
        Err(problems) => Err(invalid(path, text, problems, Format::Human)),
    }
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

/// Prints the problems in a file, and gives the error they make.
fn invalid(path: &Path, text: String, problems: Diagnostics, format: Format) -> Error {
    if let Err(e) = report(&problems, Some(&text), format) {
        return e;
    }
    Error::Invalid {
        path: path.to_owned(),
        text,
        problems,
    }
}

/// Prints problems in the chosen format: to standard error, or as JSON to
/// standard output.
pub fn report(problems: &Diagnostics, source: Option<&str>, format: Format) -> Result<(), Error> {
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
            let json = serde_json::to_string_pretty(&problems.0)
                .map_err(|e| Error::Usage(format!("cannot print the problems as JSON: {e}")))?;
            print(format!("{json}\n"))?;
        }
    }
    Ok(())
}
