//! `envsync lint`: named rules that catch what has broken GOV.UK's syncs.
//!
//! The design follows ruff's rule registry. Each rule is one file under
//! `rules/` with a stable name, a severity, a check, and a `///` doc comment
//! that is its user documentation: `envsync rule NAME` prints it and
//! `envsync rules` lists every rule with the first line of its doc.
//!
//! Lint reads a catalogue, or a chart's values file as it stands, into the
//! same [`Plan`], and every rule reads the plan through a [`Context`] that
//! indexes it once (jobs by host, backups by bucket, host and database), so
//! no rule compares every job with every other.
//!
//! Findings can be suppressed, each with a reason: in a catalogue, an
//! `allow: [{rule, reason}]` entry on a database or on one environment's
//! entry; in any file, a comment `# envsync: allow RULE -- reason` on the
//! line of the finding or on the job's key line. A suppression without a
//! reason, or one that suppresses nothing, is itself reported.

pub mod alerts;
pub mod format;
pub mod time;

use crate::cron::Schedule;
use crate::model::diagnostic::{Diagnostic, Kind, Severity};
use crate::model::plan::{Environment, Job, Op, Operation, Origin, Plan, Speed};
use crate::read::catalogue;
use crate::read::facts::Facts;
use crate::read::yaml::{self, Dialect, Node, Spanned};
use jiff::SignedDuration;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Declares a rule: its `///` doc comment becomes the text that
/// `envsync rule NAME` prints, and its first line the summary.
/// `timing: true` marks a rule about when jobs run, whose findings
/// `envsync schedule` draws in red.
macro_rules! declare_rule {
    (@timing) => { false };
    (@timing $timing:literal) => { $timing };
    (
        $(#[doc = $doc:literal])*
        name: $name:literal,
        severity: $severity:ident,
        $(timing: $timing:literal,)?
        check: $check:path $(,)?
    ) => {
        /// The rule, for the registry.
        pub const RULE: $crate::lint::Rule = $crate::lint::Rule {
            name: $name,
            severity: $crate::model::diagnostic::Severity::$severity,
            timing: declare_rule!(@timing $($timing)?),
            doc: concat!($($doc, "\n"),*),
            check: $check,
        };
    };
}

pub mod rules;

/// One lint rule.
pub struct Rule {
    /// The stable name, used in output and in suppressions.
    pub name: &'static str,
    pub severity: Severity,
    /// Whether the rule is about when jobs run (their schedules against
    /// each other and against how long they take): `envsync schedule`
    /// draws the runs of a job it flags in red.
    pub timing: bool,
    /// The rule's `///` doc comment, as written (each line keeps the space
    /// after `///`).
    pub doc: &'static str,
    /// Finds the rule's problems in a plan.
    pub check: fn(&Context) -> Vec<Diagnostic>,
}

impl Rule {
    /// The first line of the doc: what the rule catches.
    pub fn summary(&self) -> &'static str {
        self.doc
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default()
    }

    /// The documentation as text, without the doc comment's indent.
    pub fn documentation(&self) -> String {
        let mut out = String::new();
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// A finding of this rule.
    pub fn finding(&self, file: &Path, at: Origin, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule: self.name.to_owned(),
            severity: self.severity,
            message: crate::model::diagnostic::escape_controls(&message.into()).into_owned(),
            file: file.to_owned(),
            line: at.line,
            column: at.column,
            env: None,
            job: None,
            kind: Kind::default(),
        }
    }
}

/// Every rule, in the order `envsync rules` lists them.
pub fn registry() -> &'static [Rule] {
    rules::ALL
}

/// The rule with this name.
pub fn rule(name: &str) -> Option<&'static Rule> {
    registry().iter().find(|r| r.name == name)
}

/// What is being linted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A catalogue.
    Catalogue,
    /// A chart's values.yaml as it stands.
    Chart,
}

/// A file to lint, and what is known about the chart around it.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub mode: Mode,
    /// The file names in the chart's `scripts/`, when a chart is at hand.
    pub scripts: Option<&'a BTreeSet<String>>,
    /// The chart's hand-written alert rules (chart mode).
    pub alerts: Option<&'a alerts::AlertRules>,
    /// The checkout's `.envsync.yaml` (chart mode).
    pub facts: Option<&'a Facts>,
}

/// Lints a file: every finding, suppressions applied, in source order.
pub fn check(source: &Source) -> Vec<Diagnostic> {
    let read = match source.mode {
        Mode::Catalogue => catalogue::read(source.path, source.text).and_then(|document| {
            let plan = document.plan()?;
            Ok((plan, Vec::new(), Some(document.root)))
        }),
        Mode::Chart => {
            crate::read::values::import_lenient(source.path, source.text).map(|(plan, problems)| {
                let root = yaml::parse(source.text, Dialect::HelmValues).ok();
                (plan, problems.0, root)
            })
        }
    };
    let (mut plan, problems, root) = match read {
        Ok(read) => read,
        Err(problems) => return sorted(problems.0.into_iter().map(reading_problem).collect()),
    };
    if let (Mode::Chart, Some(facts)) = (source.mode, source.facts) {
        facts.apply(&mut plan);
    }
    let problems: Vec<Diagnostic> = problems.into_iter().map(reading_problem).collect();
    let ctx = &Context::new(&plan, source, root.as_ref(), &problems);
    let findings = registry()
        .iter()
        .flat_map(|rule| (rule.check)(ctx))
        .collect();
    let mut findings = suppress::apply(ctx, findings);
    if let (Mode::Chart, Some(facts)) = (source.mode, source.facts) {
        findings = suppress::apply_facts(facts, &plan, findings);
    }
    // A problem in an alert rules file is not the linted file's to allow.
    findings.extend(source.alerts.into_iter().flat_map(|a| a.problems.clone()));
    sorted(findings)
}

/// The rules that read search index syncs, which lint the
/// search-index-env-sync chart's values file in chart mode.
const SEARCH_RULES: &[&Rule] = &[
    &rules::cron_syntax::RULE,
    &rules::name_length::RULE,
    &rules::restore_before_backup::RULE,
    &rules::self_overlap::RULE,
    &rules::snapshot_before_restore::RULE,
    &rules::unsafe_value::RULE,
];

/// Lints the search-index-env-sync chart's values file (chart mode): every
/// finding of the rules that read search index syncs, suppressions applied.
pub fn check_search(path: &Path, text: &str) -> Vec<Diagnostic> {
    let (search, problems) = match crate::read::search::import(path, text) {
        Ok(read) => read,
        Err(problems) => return sorted(problems.0.into_iter().map(reading_problem).collect()),
    };
    let plan = Plan {
        source: path.to_owned(),
        search: Some(search),
        ..Plan::default()
    };
    let source = Source {
        path,
        text,
        mode: Mode::Chart,
        scripts: None,
        alerts: None,
        facts: None,
    };
    let root = yaml::parse(text, Dialect::HelmValues).ok();
    let problems: Vec<Diagnostic> = problems.0.into_iter().map(reading_problem).collect();
    let ctx = &Context::new(&plan, &source, root.as_ref(), &problems);
    let findings = SEARCH_RULES
        .iter()
        .flat_map(|rule| (rule.check)(ctx))
        .collect();
    let mut findings = suppress::apply(ctx, findings);
    findings.extend(problems);
    sorted(findings)
}

/// A problem met while reading the file, as a finding of the rule its
/// kind breaks.
fn reading_problem(mut d: Diagnostic) -> Diagnostic {
    let rule = match d.kind {
        Kind::Schema => &rules::schema::RULE,
        Kind::Schedule => &rules::cron_syntax::RULE,
        Kind::NameLength => &rules::name_length::RULE,
        Kind::Unsafe => &rules::unsafe_value::RULE,
    };
    d.rule = rule.name.to_owned();
    d.severity = rule.severity;
    d
}

fn sorted(mut findings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule, &a.message)
            .cmp(&(&b.file, b.line, b.column, &b.rule, &b.message))
    });
    findings.dedup();
    findings
}

/// A job, by its place in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobRef {
    pub env: usize,
    pub job: usize,
}

/// An operation, by its place in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpRef {
    pub env: usize,
    pub job: usize,
    pub op: usize,
}

impl OpRef {
    pub fn job(self) -> JobRef {
        JobRef {
            env: self.env,
            job: self.job,
        }
    }
}

/// A restore operation, as [`Context::restores`] gives it.
pub struct Restore<'a> {
    pub at: OpRef,
    pub env: &'a Environment,
    pub job: &'a Job,
    /// The database it restores (empty when neither it nor its job names one).
    pub db: &'a str,
    pub bucket: &'a str,
}

/// What every rule reads: the plan, indexed once, and the files around it.
pub struct Context<'a> {
    pub plan: &'a Plan,
    pub mode: Mode,
    pub path: &'a Path,
    pub text: &'a str,
    pub root: Option<&'a Spanned<Node>>,
    pub scripts: Option<&'a BTreeSet<String>>,
    pub alerts: Option<&'a alerts::AlertRules>,
    /// Problems met while reading the file (findings of `schema`).
    pub problems: &'a [Diagnostic],
    schedules: Vec<Vec<Option<Schedule>>>,
    by_host: HashMap<(usize, &'a str), Vec<usize>>,
    by_name: HashMap<(usize, &'a str), usize>,
    backups: HashMap<(&'a str, &'a str, &'a str), Vec<OpRef>>,
    backups_by_db: HashMap<(&'a str, &'a str), Vec<OpRef>>,
    entries: HashMap<String, (Origin, &'a Spanned<Node>)>,
    line_starts: Vec<usize>,
}

impl<'a> Context<'a> {
    pub fn new(
        plan: &'a Plan,
        source: &Source<'a>,
        root: Option<&'a Spanned<Node>>,
        problems: &'a [Diagnostic],
    ) -> Context<'a> {
        let mut ctx = Context {
            plan,
            mode: source.mode,
            path: source.path,
            text: source.text,
            root,
            scripts: source.scripts,
            alerts: source.alerts,
            problems,
            schedules: Vec::new(),
            by_host: HashMap::new(),
            by_name: HashMap::new(),
            backups: HashMap::new(),
            backups_by_db: HashMap::new(),
            entries: root.map(index_entries).unwrap_or_default(),
            line_starts: std::iter::once(0)
                .chain(source.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        };
        for (e, env) in plan.environments.iter().enumerate() {
            ctx.schedules
                .push(env.jobs.iter().map(|j| j.cron().ok()).collect());
            for (j, job) in env.jobs.iter().enumerate() {
                ctx.by_host.entry((e, job.host())).or_default().push(j);
                ctx.by_name.entry((e, job.name.as_str())).or_insert(j);
                for (o, op) in job.operations.iter().enumerate() {
                    if op.kind() != Some(Op::Backup) {
                        continue;
                    }
                    let db = job.db_of(op).unwrap_or_default();
                    let bucket = op.bucket.as_deref().unwrap_or(&env.bucket);
                    let at = OpRef {
                        env: e,
                        job: j,
                        op: o,
                    };
                    ctx.backups
                        .entry((bucket, job.host(), db))
                        .or_default()
                        .push(at);
                    ctx.backups_by_db.entry((bucket, db)).or_default().push(at);
                }
            }
        }
        ctx
    }

    pub fn env(&self, r: JobRef) -> &'a Environment {
        &self.plan.environments[r.env]
    }

    pub fn job(&self, r: JobRef) -> &'a Job {
        &self.plan.environments[r.env].jobs[r.job]
    }

    pub fn op(&self, r: OpRef) -> &'a Operation {
        &self.job(r.job()).operations[r.op]
    }

    /// Every job, with its place.
    pub fn jobs(&self) -> impl Iterator<Item = (JobRef, &'a Environment, &'a Job)> + '_ {
        self.plan
            .environments
            .iter()
            .enumerate()
            .flat_map(|(e, env)| {
                env.jobs
                    .iter()
                    .enumerate()
                    .map(move |(j, job)| (JobRef { env: e, job: j }, env, job))
            })
    }

    /// Every restore of every job: where it is, its job and environment,
    /// and the database and bucket it reads.
    pub fn restores(&self) -> impl Iterator<Item = Restore<'a>> + '_ {
        self.jobs().flat_map(move |(r, env, job)| {
            job.operations
                .iter()
                .enumerate()
                .filter(|(_, op)| op.kind() == Some(Op::Restore))
                .map(move |(i, op)| {
                    let at = OpRef {
                        env: r.env,
                        job: r.job,
                        op: i,
                    };
                    Restore {
                        at,
                        env,
                        job,
                        db: job.db_of(op).unwrap_or_default(),
                        bucket: self.bucket_of(at),
                    }
                })
        })
    }

    /// The job's schedule, when Kubernetes would accept it.
    pub fn schedule(&self, r: JobRef) -> Option<&Schedule> {
        self.schedules[r.env][r.job].as_ref()
    }

    pub fn suspended(&self, r: JobRef) -> bool {
        self.job(r).suspended(&self.plan.chart)
    }

    /// The job runs: it is not suspended and its schedule is valid.
    pub fn runs(&self, r: JobRef) -> bool {
        !self.suspended(r) && self.schedule(r).is_some()
    }

    /// The jobs of one environment on one database host.
    pub fn jobs_on_host(&self, env: usize, host: &'a str) -> &[usize] {
        self.by_host
            .get(&(env, host))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Hosts of one environment with more than one job, with their jobs.
    pub fn shared_hosts(&self) -> impl Iterator<Item = (usize, &'a str, &[usize])> + '_ {
        self.by_host
            .iter()
            .filter(|(_, jobs)| jobs.len() > 1)
            .map(|((e, host), jobs)| (*e, *host, jobs.as_slice()))
    }

    /// The job of this name in an environment.
    pub fn job_named(&self, env: usize, name: &str) -> Option<JobRef> {
        self.by_name
            .get(&(env, name))
            .map(|&job| JobRef { env, job })
    }

    /// The environment whose backups go to this bucket.
    pub fn env_of_bucket(&self, bucket: &str) -> Option<&'a Environment> {
        self.plan.environments.iter().find(|e| e.bucket == bucket)
    }

    /// The database an operation works on (empty when neither the
    /// operation nor its job names one).
    pub fn db_of(&self, r: OpRef) -> &'a str {
        let job = self.job(r.job());
        job.db_of(&job.operations[r.op]).unwrap_or_default()
    }

    /// The bucket an operation reads or writes.
    pub fn bucket_of(&self, r: OpRef) -> &'a str {
        let op = self.op(r);
        op.bucket
            .as_deref()
            .unwrap_or(&self.plan.environments[r.env].bucket)
    }

    /// The backups of a database from a host into a bucket.
    pub fn backups_of(&self, bucket: &'a str, host: &'a str, db: &'a str) -> &[OpRef] {
        self.backups
            .get(&(bucket, host, db))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The backups of a database into a bucket, from any host.
    pub fn backups_of_db(&self, bucket: &'a str, db: &'a str) -> &[OpRef] {
        self.backups_by_db
            .get(&(bucket, db))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Whether an environment restores from nothing: the origin of the
    /// data. A chart does not say which that is, so there `production` (or,
    /// without one, the first environment) is the origin, whatever its jobs
    /// do.
    pub fn is_origin(&self, env: usize) -> bool {
        let envs = &self.plan.environments;
        let chart_origin = || {
            envs.iter()
                .position(|e| e.name == "production")
                .unwrap_or(0)
        };
        envs[env].restore_from.is_none() || (self.mode == Mode::Chart && env == chart_origin())
    }

    /// How long an operation may run before its "taking a long time" alert
    /// fires: in chart mode the `for:` of the chart's own alert that watches
    /// it, otherwise (or where no alert watches it) its speed group's.
    pub fn op_budget(&self, r: JobRef, op: &Operation) -> SignedDuration {
        let Some(kind) = op.kind() else {
            return SignedDuration::ZERO;
        };
        let env = self.env(r);
        let job = self.job(r);
        self.alerts
            .and_then(|a| a.threshold(&env.name, job.host(), kind))
            .unwrap_or_else(|| budget(self.plan, &env.name, kind, op.speed))
    }

    /// How long a job is expected to take: the budgets of its operations.
    pub fn duration(&self, r: JobRef) -> SignedDuration {
        self.job(r)
            .operations
            .iter()
            .map(|op| self.op_budget(r, op))
            .sum()
    }

    /// How long after its start a job's operation `op` is sure to be done.
    pub fn done_after(&self, r: OpRef) -> SignedDuration {
        let job = r.job();
        self.job(job).operations[..=r.op]
            .iter()
            .map(|op| self.op_budget(job, op))
            .sum()
    }

    /// The place of a job's key, as a JSON Pointer in the source file
    /// would name it: the first of `keys` that the job's entry sets (in a
    /// catalogue, its environment entry or else its database), or the
    /// job's own place.
    pub fn place(&self, r: JobRef, keys: &[&str]) -> Origin {
        let env = &self.env(r).name;
        let job = &self.job(r).name;
        let prefixes = match self.mode {
            Mode::Chart => vec![format!("/cronjobs/{}/{}", esc(env), esc(job))],
            Mode::Catalogue => vec![
                format!("/databases/{}/{}", esc(job), esc(env)),
                format!("/databases/{}", esc(job)),
            ],
        };
        for prefix in &prefixes {
            for key in keys {
                if let Some(at) = self.find(&format!("{prefix}/{key}")) {
                    return at;
                }
            }
        }
        self.job(r).origin.job
    }

    /// The place of an operation's key (`script`, `bucket`), or of the
    /// operation, when the source file writes the operation out.
    pub fn op_place(&self, r: OpRef, key: &str) -> Option<Origin> {
        let i = r.op;
        let keys = [format!("operations/{i}/{key}"), format!("operations/{i}")];
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let at = self.place(r.job(), &keys);
        (at != self.job(r.job()).origin.job).then_some(at)
    }

    /// The place of the node a JSON Pointer names, if it exists: a
    /// mapping or list at its key, a scalar at its value.
    pub fn find(&self, pointer: &str) -> Option<Origin> {
        self.walk(pointer).map(|(at, _)| at)
    }

    /// The node a JSON Pointer names, if it exists.
    pub fn node(&self, pointer: &str) -> Option<&'a Spanned<Node>> {
        self.walk(pointer).map(|(_, node)| node)
    }

    fn walk(&self, pointer: &str) -> Option<(Origin, &'a Spanned<Node>)> {
        let steps: Vec<&str> = pointer.split('/').skip(1).collect();
        // Start from the deepest indexed entry (a database, a profile, a
        // chart job), so that finding one is not a search of the file.
        let indexed = [3, 2]
            .into_iter()
            .filter(|&n| steps.len() >= n)
            .find_map(|n| {
                let prefix = format!("/{}", steps[..n].join("/"));
                self.entries.get(&prefix).map(|&(at, node)| (at, node, n))
            });
        let (mut at, mut node, skip) = match indexed {
            Some(found) => found,
            None => {
                let root = self.root?;
                (yaml::origin(root), root, 0)
            }
        };
        for step in &steps[skip..] {
            let step = yaml::unescape(step);
            node = match &node.value {
                Node::Map(_) => {
                    let (k, v) = node.value.entry(&step)?;
                    at = place_of(k, v);
                    v
                }
                Node::Seq(items) => {
                    let v = items.get(step.parse::<usize>().ok()?)?;
                    at = yaml::origin(v);
                    v
                }
                _ => return None,
            };
        }
        Some((at, node))
    }

    /// A finding of `rule` about a job.
    pub fn at_job(
        &self,
        rule: &Rule,
        r: JobRef,
        at: Origin,
        message: impl Into<String>,
    ) -> Diagnostic {
        rule.finding(self.path, at, message)
            .at_job(&self.env(r).name, &self.job(r).name)
    }

    /// The text of a 1-based line of the source file.
    pub fn line(&self, n: usize) -> Option<&'a str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(n)
            .map_or(self.text.len(), |&next| next - 1);
        Some(self.text[start..end].trim_end_matches('\r'))
    }

    /// The place of a scalar's text: past an opening quote, if any.
    pub fn text_start(&self, at: Origin) -> Origin {
        let line = self.line(at.line);
        let quoted = line
            .and_then(|l| l.chars().nth(at.column.saturating_sub(1)))
            .is_some_and(|c| c == '"' || c == '\'');
        Origin {
            line: at.line,
            column: at.column + usize::from(quoted),
        }
    }
}

/// Where a reader looks for a mapping entry: a mapping or list at its key,
/// a scalar at its value.
fn place_of(key: &Spanned<String>, value: &Spanned<Node>) -> Origin {
    match value.value {
        Node::Map(_) | Node::Seq(_) => yaml::origin(key),
        _ => yaml::origin(value),
    }
}

/// The databases and profiles of a catalogue, and the jobs of a values
/// file, by JSON Pointer.
fn index_entries(root: &Spanned<Node>) -> HashMap<String, (Origin, &Spanned<Node>)> {
    let mut entries = HashMap::new();
    for top in ["databases", "profiles"] {
        for (k, v) in root.value.get(top).map_or(&[][..], |m| m.value.entries()) {
            entries.insert(format!("/{top}/{}", esc(&k.value)), (place_of(k, v), v));
        }
    }
    for (env, jobs) in root
        .value
        .get("cronjobs")
        .map_or(&[][..], |m| m.value.entries())
    {
        for (k, v) in jobs.value.entries() {
            let pointer = format!("/cronjobs/{}/{}", esc(&env.value), esc(&k.value));
            entries.insert(pointer, (place_of(k, v), v));
        }
    }
    entries
}

use yaml::escape as esc;

/// How long an operation may take before its "taking a long time" alert
/// fires, by the catalogue's `alerts.taking_a_long_time` settings (GOV.UK's
/// by default: backup quick 1h, slower 4h; restore quick 1h, slower 4h,
/// slowest 13h; transform 45m in staging, 30m in integration). A speed group
/// without a threshold is watched by the nearest quicker one, as the rules
/// module renders it; with no thresholds at all, an hour.
pub fn budget(plan: &Plan, env: &str, op: Op, speed: Speed) -> SignedDuration {
    plan.alerts
        .taking_a_long_time
        .for_op(env, op)
        .effective(speed)
        .map_or(SignedDuration::from_hours(1), |(_, d)| {
            SignedDuration::from_secs(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
}

pub use crate::read::catalogue::suggest;

mod suppress;

#[cfg(test)]
pub(crate) mod testing {
    //! Linting small inputs in rule tests.

    use super::*;

    /// The findings of one rule on a catalogue.
    pub fn catalogue(rule: &Rule, text: &str) -> Vec<Diagnostic> {
        only(rule, check_catalogue(text, None))
    }

    /// The findings of one rule on a catalogue, with a chart's scripts.
    pub fn catalogue_with_scripts(rule: &Rule, text: &str, scripts: &[&str]) -> Vec<Diagnostic> {
        let scripts: BTreeSet<String> = scripts.iter().map(|s| (*s).to_owned()).collect();
        only(rule, check_catalogue(text, Some(&scripts)))
    }

    /// Every finding on a catalogue.
    pub fn check_catalogue(text: &str, scripts: Option<&BTreeSet<String>>) -> Vec<Diagnostic> {
        check(&Source {
            path: Path::new("catalogue.yaml"),
            text,
            mode: Mode::Catalogue,
            scripts,
            alerts: None,
            facts: None,
        })
    }

    /// The findings of one rule on a values file, with a chart's scripts
    /// and alert rules (`(path under rules/, text)`).
    pub fn chart(
        rule: &Rule,
        values: &str,
        scripts: &[&str],
        rules: &[(&str, &str)],
    ) -> Vec<Diagnostic> {
        let scripts: BTreeSet<String> = scripts.iter().map(|s| (*s).to_owned()).collect();
        let alerts = alerts::AlertRules::from_files(
            rules
                .iter()
                .map(|(p, t)| (std::path::PathBuf::from(p), (*t).to_owned())),
        );
        only(
            rule,
            check(&Source {
                path: Path::new("values.yaml"),
                text: values,
                mode: Mode::Chart,
                // A chart without scripts, as a checkout reads it.
                scripts: (!scripts.is_empty()).then_some(&scripts),
                alerts: Some(&alerts),
                facts: None,
            }),
        )
    }

    fn only(rule: &Rule, findings: Vec<Diagnostic>) -> Vec<Diagnostic> {
        findings
            .into_iter()
            .filter(|d| d.rule == rule.name)
            .collect()
    }

    /// A catalogue with production, staging (from production) and
    /// integration (from staging, wider access), and these databases.
    pub fn estate(databases: &str) -> String {
        format!(
            "environments:\n  production:\n  staging: {{restore_from: production}}\n  integration: {{restore_from: staging, wider_access: true}}\ndatabases:\n{databases}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_unique_name_and_documentation() {
        let mut names = BTreeSet::new();
        for rule in registry() {
            assert!(names.insert(rule.name), "{} twice", rule.name);
            let doc = rule.documentation();
            assert!(!rule.summary().is_empty(), "{}", rule.name);
            for section in ["## Why", "## Example", "## How to fix"] {
                assert!(doc.contains(section), "{}: no `{section}`", rule.name);
            }
        }
    }

    #[test]
    fn budgets_are_the_manuals() {
        let plan = Plan::default();
        assert_eq!(
            budget(&plan, "staging", Op::Restore, Speed::Slowest),
            SignedDuration::from_hours(13)
        );
        assert_eq!(
            budget(&plan, "integration", Op::Transform, Speed::Quick),
            SignedDuration::from_mins(30)
        );
        assert_eq!(
            budget(&plan, "staging", Op::Transform, Speed::Quick),
            SignedDuration::from_mins(45)
        );
        assert_eq!(
            budget(&plan, "production", Op::Backup, Speed::Slower),
            SignedDuration::from_hours(4)
        );
    }
}
