//! The command line: arguments, and what each command does with them.

use crate::checkout::{self, Checkout, Drift};
use crate::diagnostic::Diagnostics;
use crate::output::{self, File};
use crate::plan::Plan;
use crate::templates::{TemplateError, Templates};
use crate::{catalogue, import, manifests, rules, values, yaml};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    },
    /// Compare what a catalogue renders with a govuk-helm-charts checkout.
    ///
    /// Compares the `cronjobs` of charts/db-backup/values.yaml (anchors and
    /// merges resolved) and the database-backup rule files under
    /// charts/monitoring-config/rules/, as data: key order, quoting,
    /// anchors, comments and the order of alternatives in a label matcher
    /// make no difference. Prints one line per changed job, then a unified
    /// diff. Exit 0 when they match, 1 on drift, 2 on error.
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
        /// Templates replacing the built-in ones (as for render).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Write what a catalogue renders into a govuk-helm-charts checkout.
    ///
    /// Rewrites only the `cronjobs:` block of charts/db-backup/values.yaml,
    /// keeping every other byte (comments and anchors too), and writes the
    /// rule files and their tests. Each file is replaced atomically; on any
    /// error nothing is changed. Afterwards `envsync diff` exits 0.
    #[command(
        after_help = "Example:\n  envsync apply catalogue.yaml --chart-repo ../govuk-helm-charts"
    )]
    Apply {
        /// The catalogue file.
        catalogue: PathBuf,
        /// The govuk-helm-charts checkout.
        #[arg(long, value_name = "REPO")]
        chart_repo: PathBuf,
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
    Lint(crate::lint::command::LintArgs),
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
    /// Lint found something at or above `--fail-on` (already printed).
    #[error("{0}")]
    Findings(String),
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
    #[error(transparent)]
    Checkout(#[from] checkout::CheckoutError),
    #[error("the checkout differs from the catalogue")]
    Drift,
    #[error(transparent)]
    Rules(#[from] rules::RulesError),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Invalid { .. } | Error::Drift | Error::Findings(_) => ExitCode::from(1),
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
            let mut staging = output::Staging::new(&args.out);
            render_each(&plan, &templates, |f| Ok(staging.add(&f)?))?;
            for (path, changed) in staging.commit()? {
                let verb = if changed { "wrote" } else { "unchanged" };
                eprintln!("{verb} {}", args.out.join(path).display());
            }
            Ok(())
        }
        Command::Import {
            values,
            output,
            rules: rules_dir,
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
            let mut plan = plan;
            if let Some(dir) = &rules_dir {
                rules::import_speeds(&mut plan, dir)?;
            }
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
        Command::Lint(args) => crate::lint::command::lint(&args),
        Command::Rules => crate::lint::command::list(),
        Command::Rule { name } => crate::lint::command::show(&name),
        Command::Diff {
            catalogue,
            chart_repo,
            format,
            templates,
        } => {
            let plan = load_catalogue(&catalogue)?;
            let templates = Templates::load(templates.as_deref())?;
            let rules = rule_files(&plan, &templates)?;
            let checkout = Checkout::new(&chart_repo);
            let alert_of = |plan: &Plan, env: &str, job: &crate::plan::Job| {
                rules::not_completed_alert(plan, &templates, env, job.host())
            };
            let drift = checkout::compare(&plan, &rules, &checkout, now()?, &alert_of)?;
            print_drift(&drift, format);
            if drift.is_empty() {
                Ok(())
            } else {
                Err(Error::Drift)
            }
        }
        Command::Apply {
            catalogue,
            chart_repo,
            templates,
        } => {
            let plan = load_catalogue(&catalogue)?;
            let templates = Templates::load(templates.as_deref())?;
            let rules = rule_files(&plan, &templates)?;
            let written = checkout::apply(&plan, &rules, &Checkout::new(&chart_repo))?;
            if written.is_empty() {
                eprintln!("nothing to change: the checkout matches the catalogue");
            }
            for path in written {
                eprintln!("wrote {}", chart_repo.join(path).display());
            }
            Ok(())
        }
        Command::Schema => {
            print!("{}", catalogue::SCHEMA);
            Ok(())
        }
        Command::Explain {
            job,
            env,
            catalogue,
        } => {
            let plan = load_catalogue(&catalogue)?;
            let templates = Templates::load(None)?;
            let card = crate::explain::card(&plan, &templates, &env, &job, now()?)
                .map_err(|e| Error::Usage(e.to_string()))?;
            let _ = anstream::stdout().write_all(crate::explain::styled(&card).as_bytes());
            Ok(())
        }
        Command::Schedule {
            catalogue,
            envs,
            svg,
        } => {
            let plan = load_catalogue(&catalogue)?;
            let source = read(&catalogue)?;
            let start = crate::schedule::week_start(now()?);
            // Links need the sources' runs: filter after working them out.
            let mut runs = crate::schedule::week(&plan, start);
            crate::schedule::mark(
                &mut runs,
                &crate::schedule::lint_findings(&catalogue, &source),
            );
            let shown = only_envs(plan, &envs)?;
            runs.retain(|r| shown.environment(&r.env).is_some());
            let text = crate::schedule::text(&shown, start, &runs);
            let _ = anstream::stdout().write_all(crate::schedule::styled(&text).as_bytes());
            if let Some(path) = svg {
                let picture = crate::schedule::svg(&shown, start, &runs);
                std::fs::write(&path, picture)
                    .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "envsync", &mut out);
            Ok(())
        }
        Command::Man { out } => man(out.as_deref()),
    }
}

/// `envsync man`: the page for envsync to standard output, or with a folder
/// a page for envsync and one for each command in it.
fn man(out: Option<&Path>) -> Result<(), Error> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .map_err(|e| Error::Usage(format!("cannot render the manual page: {e}")))?;
        let _ = std::io::stdout().write_all(&page);
        return Ok(());
    };
    let cannot =
        |e: std::io::Error| Error::Usage(format!("cannot write into {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let pages = std::iter::once(cmd.clone()).chain(cmd.get_subcommands().cloned());
    for page in pages {
        let path = clap_mangen::Man::new(page)
            .generate_to(dir)
            .map_err(cannot)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Every file a render writes, relative to the output folder.
pub fn render(plan: &Plan, templates: &Templates) -> Result<Vec<File>, Error> {
    let mut files = Vec::new();
    render_each(plan, templates, |f| {
        files.push(f);
        Ok(())
    })?;
    Ok(files)
}

/// Renders the files of [`render`] and hands each to `each`, in order, as
/// soon as it is made, so that a render holds little more than the file
/// being made.
pub fn render_each(
    plan: &Plan,
    templates: &Templates,
    mut each: impl FnMut(File) -> Result<(), Error>,
) -> Result<(), Error> {
    let rules_file = |f: rules::OutputFile| File::new(Path::new("rules").join(f.path), f.contents);
    let values = yaml::to_string(&values::CronJobs(plan))?;
    each(File::new("values/cronjobs.yaml", values))?;
    manifests::render_each(plan, templates, &mut each)?;
    rules::render_each(plan, templates, &mut |f| each(rules_file(f))).map_err(|e| match e {
        Error::Rules(e) => rules_error(plan, e),
        e => e,
    })
}

/// The rules files (and their tests) a render writes, under `rules/`.
fn rule_files(plan: &Plan, templates: &Templates) -> Result<Vec<File>, Error> {
    let files = rules::render(plan, templates).map_err(|e| rules_error(plan, e))?;
    Ok(files
        .into_iter()
        .map(|f| File::new(Path::new("rules").join(f.path), f.contents))
        .collect())
}

/// A rules error that points into the catalogue, as a located problem.
fn rules_error(plan: &Plan, e: rules::RulesError) -> Error {
    match e.location() {
        Some((line, column)) => {
            let at = crate::plan::Origin { line, column };
            let problem =
                crate::diagnostic::Diagnostic::error("rules", &plan.source, at, e.to_string());
            let text = std::fs::read_to_string(&plan.source).unwrap_or_default();
            let problems = Diagnostics(vec![problem]);
            report(&problems, Some(&text), Format::Human);
            Error::Invalid {
                path: plan.source.clone(),
                text,
                problems,
            }
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

fn print_drift(drift: &Drift, format: DiffFormat) {
    let mut out = anstream::stdout();
    match format {
        DiffFormat::Json => {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(drift).unwrap_or_default()
            );
        }
        DiffFormat::Human => {
            if drift.is_empty() {
                eprintln!("no drift: the checkout matches the catalogue");
                return;
            }
            for change in &drift.jobs {
                let _ = writeln!(out, "{}", change.summary);
            }
            for file in &drift.files {
                if file.missing {
                    let _ = writeln!(out, "{}: missing from the checkout", file.path.display());
                }
            }
            for file in &drift.files {
                let _ = writeln!(out);
                for line in file.diff.lines() {
                    let style = match line.as_bytes().first() {
                        Some(b'+') if !line.starts_with("+++") => {
                            anstyle::AnsiColor::Green.on_default()
                        }
                        Some(b'-') if !line.starts_with("---") => {
                            anstyle::AnsiColor::Red.on_default()
                        }
                        Some(b'@') => anstyle::AnsiColor::Cyan.on_default(),
                        _ => anstyle::Style::new(),
                    };
                    let _ = writeln!(out, "{style}{line}{style:#}");
                }
            }
        }
    }
}

/// A file's text; not UTF-8 is a read error.
pub fn read(path: &Path) -> Result<String, Error> {
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
