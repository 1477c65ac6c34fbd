//! A govuk-helm-charts checkout: what it holds of the sync, how that
//! differs from what a catalogue renders, and applying a render into it.

pub mod diff;
pub mod edit;
pub mod splice;
pub mod text;

use crate::model::plan::Plan;
use crate::output::{self, File};
use crate::read::yaml;
use crate::render::{self, Place, Rendered};
use diff::JobChange;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The chart's folder, relative to the checkout.
pub const CHART: &str = "charts/db-backup";
/// The chart's scripts folder, relative to the checkout.
pub const SCRIPTS: &str = "charts/db-backup/scripts";

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{}:{source}; the checkout is left as it is", .path.display())]
    Splice {
        path: PathBuf,
        source: splice::SpliceError,
    },
    #[error(
        "{} is missing: apply writes {} and makes no chart folders or files; is {} a govuk-helm-charts checkout?",
        .missing.display(), .wanted.display(), .root.display()
    )]
    Missing {
        missing: PathBuf,
        wanted: PathBuf,
        root: PathBuf,
    },
    #[error(transparent)]
    Write(#[from] output::WriteError),
    #[error("cannot write YAML: {0}")]
    Yaml(#[from] serde_saphyr::SerializeError),
    #[error("cannot make the values data: {0}")]
    Json(#[from] serde_json::Error),
}

/// A file whose meaning differs.
#[derive(Clone, Debug, Serialize)]
pub struct FileDrift {
    /// Relative to the checkout.
    pub path: PathBuf,
    /// Whether the checkout lacks the file.
    pub missing: bool,
    /// A unified diff of the checkout's file and what apply writes into
    /// it, in the file's own line numbers.
    pub diff: String,
}

/// Everything that differs between a render and a checkout.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Drift {
    pub jobs: Vec<JobChange>,
    pub files: Vec<FileDrift>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.files.is_empty()
    }
}

/// A checkout on disk.
pub struct Checkout {
    pub root: PathBuf,
}

impl Checkout {
    /// A checkout, once a write into it that was interrupted has been
    /// finished or undone (see [`output`]).
    pub fn open(root: &Path) -> Result<Checkout, CheckoutError> {
        output::recover(root)?;
        Ok(Checkout {
            root: root.to_owned(),
        })
    }

    fn read(&self, relative: &Path) -> Result<Option<String>, CheckoutError> {
        let path = self.root.join(relative);
        match crate::read::text_file(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(CheckoutError::Read { path, source }),
        }
    }

    /// A file's text, by its path relative to the checkout.
    pub fn text(&self, relative: &str) -> Result<String, CheckoutError> {
        let path = self.root.join(relative);
        crate::read::text_file(&path).map_err(|source| CheckoutError::Read { path, source })
    }

    /// The plan a values file of the checkout describes. Schedules
    /// Kubernetes would reject are kept as they are, so that a diff can show
    /// them changing. Only the file's first document counts, as for Helm.
    pub fn plan(&self, values: &str) -> Result<Plan, CheckoutError> {
        let text = self.text(values)?;
        let path = self.root.join(values);
        let text = splice::first_document(&text);
        crate::read::values::import_keeping_invalid_schedules(&path, text).map_err(|problems| {
            CheckoutError::Invalid {
                path,
                message: problems.to_string(),
            }
        })
    }

    /// The search index syncs of the search-index-env-sync values file.
    pub fn search(&self, values: &str) -> Result<crate::model::search::Search, CheckoutError> {
        let text = self.text(values)?;
        let path = self.root.join(values);
        let text = splice::first_document(&text);
        let invalid = |problems: crate::model::diagnostic::Diagnostics| CheckoutError::Invalid {
            path: path.clone(),
            message: problems.to_string(),
        };
        match crate::read::search::import(&path, text) {
            Ok((search, problems)) if problems.is_empty() => Ok(search),
            Ok((_, problems)) | Err(problems) => Err(invalid(problems)),
        }
    }

    /// A path in the checkout, from one relative to it.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// The chart's scripts, from wherever the chart keeps them: the files
    /// of `charts/db-backup/scripts/`, or (before 2023-11) the
    /// `backup-<dbms>.sh` files at the chart's root, named without `.sh`.
    /// `None` when the chart has neither.
    pub fn scripts(&self) -> Result<Option<BTreeSet<String>>, CheckoutError> {
        let names = |relative: &str| -> Result<BTreeSet<String>, CheckoutError> {
            let path = self.path(relative);
            let read = || -> std::io::Result<BTreeSet<String>> {
                let mut names = BTreeSet::new();
                for entry in std::fs::read_dir(&path)? {
                    let entry = entry?;
                    if entry.file_type()?.is_file() {
                        names.insert(entry.file_name().to_string_lossy().into_owned());
                    }
                }
                Ok(names)
            };
            match read() {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
                read => read.map_err(|source| CheckoutError::Read {
                    path: path.clone(),
                    source,
                }),
            }
        };
        let scripts = names(SCRIPTS)?;
        if !scripts.is_empty() {
            return Ok(Some(scripts));
        }
        let at_root: BTreeSet<String> = names(CHART)?
            .iter()
            .filter(|n| n.starts_with("backup-"))
            .filter_map(|n| n.strip_suffix(".sh"))
            .map(str::to_owned)
            .collect();
        Ok((!at_root.is_empty()).then_some(at_root))
    }

    /// The values file with its `cronjobs:` block replaced, or why it
    /// cannot be exactly.
    fn splice(&self, values: &str, block: &str) -> Result<String, CheckoutError> {
        let path = self.path(values);
        if !path.is_file() {
            return Err(self.missing(path));
        }
        let text = self.text(values)?;
        splice::edit_cronjobs(&text, block).map_err(|source| CheckoutError::Splice { path, source })
    }

    /// A folder of the checkout that must be there.
    fn folder(&self, relative: &str) -> Result<(), CheckoutError> {
        let path = self.path(relative);
        if path.is_dir() {
            Ok(())
        } else {
            Err(self.missing(path))
        }
    }

    /// The error for a file or folder that is not there, naming the first
    /// folder on its way that is missing.
    fn missing(&self, wanted: PathBuf) -> CheckoutError {
        let missing = wanted
            .ancestors()
            .take_while(|p| *p != self.root && !p.exists())
            .last()
            .unwrap_or(&wanted)
            .to_owned();
        CheckoutError::Missing {
            missing,
            wanted,
            root: self.root.clone(),
        }
    }
}

/// Whether a rules file is a promtool test file.
fn is_test_file(path: &Path) -> bool {
    path.to_string_lossy().ends_with("_tests.yaml")
}

/// What `diff` and `apply` do with the generated promtool tests. The
/// checkout's `*_tests.yaml` are the team's, so by default they are left
/// alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Tests {
    /// Leave the checkout's tests as they are, and write none.
    #[default]
    Keep,
    /// Write the generated tests over the checkout's, under the same names.
    Replace,
    /// Write the generated tests beside the checkout's, each as
    /// `<rules file>_generated_tests.yaml`.
    Add,
}

impl Tests {
    /// The rules folder's rendered files, as this choice writes them.
    fn files<'a>(self, files: &'a [File]) -> impl Iterator<Item = (PathBuf, &'a str)> + 'a {
        files.iter().filter_map(move |file| {
            if !is_test_file(&file.path) {
                return Some((file.path.clone(), file.contents.as_str()));
            }
            match self {
                Tests::Keep => None,
                Tests::Replace => Some((file.path.clone(), file.contents.as_str())),
                Tests::Add => {
                    let name = file.path.file_name()?.to_string_lossy();
                    let name = name.strip_suffix("_tests.yaml")?;
                    let path = file
                        .path
                        .with_file_name(format!("{name}_generated_tests.yaml"));
                    Some((path, file.contents.as_str()))
                }
            }
        })
    }
}

/// A rules file apply writes: its path relative to the checkout, what the
/// checkout holds (`None` when it lacks it) and what is rendered.
struct RulesFile {
    path: PathBuf,
    old: Option<String>,
    new: String,
    /// The operations each database host runs in the file's environment
    /// (empty for the file every environment loads).
    series: Series,
    /// The names of the team's rules in it, left as they are.
    team: Vec<String>,
}

/// The operations each database host runs in an environment.
type Series = BTreeMap<String, BTreeSet<&'static str>>;

/// The series of each environment of a plan.
fn series(plan: &Plan) -> BTreeMap<String, Series> {
    plan.environments
        .iter()
        .map(|env| {
            let mut hosts = Series::new();
            for job in env.jobs.iter().filter(|j| !j.suspended(&plan.chart)) {
                for op in job.operations.iter().filter_map(|o| o.kind()) {
                    hosts
                        .entry(job.host().to_owned())
                        .or_default()
                        .insert(op.as_str());
                }
            }
            (env.name.clone(), hosts)
        })
        .collect()
}

impl RulesFile {
    /// Whether the checkout's file means the same as the rendered one.
    fn same(&self) -> Result<bool, CheckoutError> {
        match &self.old {
            Some(old) => Ok(self.normalised(old)? == self.normalised(&self.new)?),
            None => Ok(false),
        }
    }

    /// The checkout's file with the rules whose meaning changes edited in
    /// place (see [`edit::rules`]), when that gives the rendered rules.
    fn edited(&self) -> Result<Option<String>, CheckoutError> {
        let Some(old) = &self.old else {
            return Ok(None);
        };
        let same = |a: &Value, b: &Value| {
            let (mut a, mut b) = (a.clone(), b.clone());
            normalise_exprs(&mut a, &self.series);
            normalise_exprs(&mut b, &self.series);
            a == b
        };
        let kept = |name: &str| self.team.iter().any(|t| t == name);
        let Some(edited) = edit::rules(old, &self.new, same, kept) else {
            return Ok(None);
        };
        let wanted = self.normalised(&self.new)?;
        Ok(self
            .normalised(&edited)
            .is_ok_and(|got| got == wanted)
            .then_some(edited))
    }

    /// What apply writes when the file's meaning changes: the checkout's
    /// file edited, or else the rendered one in its line endings.
    fn written(&self) -> Result<String, CheckoutError> {
        Ok(match self.edited()? {
            Some(edited) => edited,
            // The rendered file would drop the team's rules.
            None if self.old.as_deref().is_some_and(|old| {
                self.normalised(old).ok()
                    != normalised_rules(&self.path, old, &self.series, &[]).ok()
            }) =>
            {
                return Err(CheckoutError::Invalid {
                    path: self.path.clone(),
                    message: format!(
                        "cannot edit it in place, and writing the rendered file would remove the team's rules ({}); edit it by hand",
                        self.team.join(", ")
                    ),
                });
            }
            None if self.crlf() => self.new.replace('\n', "\r\n"),
            None => self.new.clone(),
        })
    }

    /// A text of the file as it is compared: without the team's rules.
    fn normalised(&self, text: &str) -> Result<String, CheckoutError> {
        normalised_rules(&self.path, text, &self.series, &self.team)
    }

    /// Whether the checkout's file has CRLF line endings.
    fn crlf(&self) -> bool {
        self.old
            .as_ref()
            .is_some_and(|old| old.split('\n').next().is_some_and(|l| l.ends_with('\r')))
    }
}

/// The rules files of a folder output, as `tests` has them written. Unless
/// `strict`, a file of the checkout that cannot be read is taken as missing.
fn rules_files(
    checkout: &Checkout,
    folder: &str,
    files: &[File],
    tests: Tests,
    strict: bool,
    plan: &Plan,
) -> Result<Vec<RulesFile>, CheckoutError> {
    checkout.folder(folder)?;
    let series = series(plan);
    tests
        .files(files)
        .map(|(path, new)| {
            // An environment's file is in the environment's folder; the
            // one every environment loads is at the top.
            let env = path
                .parent()
                .and_then(|p| p.to_str())
                .filter(|env| !env.is_empty());
            let team = plan.alerts.team_rules_in(env);
            let series = env.and_then(|e| series.get(e)).cloned().unwrap_or_default();
            let path = Path::new(folder).join(path);
            let old = match checkout.read(&path) {
                // What cannot be read is found out when written.
                Err(_) if !strict => None,
                read => read?,
            };
            Ok(RulesFile {
                old,
                path,
                new: new.to_owned(),
                series,
                team,
            })
        })
        .collect()
}

/// How a render and a checkout differ: the jobs in operational terms, and
/// each file whose meaning differs as a diff of what apply would write
/// into it.
pub fn compare(
    new: &Plan,
    rendered: &[Rendered],
    checkout: &Checkout,
    now: Timestamp,
    alert_of: diff::AlertOf,
    tests: Tests,
) -> Result<Drift, CheckoutError> {
    let mut drift = Drift::default();
    for Rendered { output, files } in rendered {
        // A chart the catalogue does not describe is not compared.
        if files.is_empty() {
            continue;
        }
        match output.checkout {
            Some(Place::CronjobsBlock(values)) if values == render::SEARCH_VALUES => {
                for block in files {
                    checkout.splice(values, &block.contents)?;
                }
                let old = checkout.search(values)?;
                if let Some(search) = &new.search {
                    drift.jobs.extend(diff::search_jobs(&old, search, now));
                }
                let before = normalised(&render::search::cronjobs(&old))?;
                let after = new.search.as_ref().map(render::search::cronjobs);
                let after = normalised(&after.unwrap_or_default())?;
                push_drift(&mut drift, Path::new(values), false, &before, &after);
            }
            Some(Place::CronjobsBlock(values)) => {
                // What apply cannot write is no drift but an error.
                let text = checkout.text(values)?;
                let written: Vec<String> = files
                    .iter()
                    .map(|block| checkout.splice(values, &block.contents))
                    .collect::<Result<_, _>>()?;
                let old = checkout.plan(values)?;
                drift.jobs.extend(diff::jobs(&old, new, now, alert_of)?);
                let before = normalised(&crate::render::values::cronjobs(&old)?)?;
                let after = normalised(&crate::render::values::cronjobs(new)?)?;
                if before != after {
                    for written in written {
                        push_drift(&mut drift, Path::new(values), false, &text, &written);
                    }
                }
            }
            Some(Place::Folder(folder)) => {
                for file in rules_files(checkout, folder, files, tests, true, new)? {
                    if !file.same()? {
                        let old = file.old.as_deref().unwrap_or_default();
                        let written = file.written()?;
                        push_drift(&mut drift, &file.path, file.old.is_none(), old, &written);
                    }
                }
            }
            None => {}
        }
    }
    Ok(drift)
}

/// The checkout's hand-written promtool tests that fail against the
/// rendered rules: each test file beside a rendered rules file, run by
/// `promtool test rules` in a copy of the rules folder holding the rendered
/// rules. Empty when promtool is not on the path or `tests` replaces them.
pub fn failing_tests(
    rendered: &[Rendered],
    checkout: &Checkout,
    tests: Tests,
) -> Result<Vec<FailingTests>, CheckoutError> {
    let Some(promtool) = on_path("promtool") else {
        return Ok(Vec::new());
    };
    if tests == Tests::Replace {
        return Ok(Vec::new());
    }
    let mut failing = Vec::new();
    for Rendered { output, files } in rendered {
        let Some(Place::Folder(folder)) = output.checkout else {
            continue;
        };
        let rules: Vec<&File> = files.iter().filter(|f| !is_test_file(&f.path)).collect();
        let hand_written: Vec<PathBuf> = files
            .iter()
            .filter(|f| is_test_file(&f.path))
            .map(|f| f.path.clone())
            .filter(|p| checkout.path(folder).join(p).is_file())
            .collect();
        if hand_written.is_empty() {
            continue;
        }
        let scratch = tempfile::tempdir().map_err(|source| CheckoutError::Read {
            path: std::env::temp_dir(),
            source,
        })?;
        copy_tree(&checkout.path(folder), scratch.path())?;
        for file in &rules {
            let target = scratch.path().join(&file.path);
            std::fs::write(&target, &file.contents).map_err(|source| CheckoutError::Read {
                path: target,
                source,
            })?;
        }
        for test in hand_written {
            let run = std::process::Command::new(&promtool)
                .args(["test", "rules"])
                .arg(scratch.path().join(&test))
                .output()
                .map_err(|source| CheckoutError::Read {
                    path: promtool.clone(),
                    source,
                })?;
            if !run.status.success() {
                let output = String::from_utf8_lossy(&run.stdout).into_owned()
                    + &String::from_utf8_lossy(&run.stderr);
                failing.push(FailingTests {
                    path: Path::new(folder).join(&test),
                    output: output.replace(&scratch.path().display().to_string(), folder),
                });
            }
        }
    }
    Ok(failing)
}

/// A hand-written test file that fails against the rendered rules.
pub struct FailingTests {
    /// Relative to the checkout.
    pub path: PathBuf,
    /// What promtool printed.
    pub output: String,
}

/// An executable of that name on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Copies the regular files below `from` into `to`, folders too.
fn copy_tree(from: &Path, to: &Path) -> Result<(), CheckoutError> {
    let failed = |path: &Path| {
        let path = path.to_owned();
        move |source| CheckoutError::Read { path, source }
    };
    for entry in std::fs::read_dir(from).map_err(failed(from))? {
        let entry = entry.map_err(failed(from))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            std::fs::create_dir_all(&target).map_err(failed(&target))?;
            copy_tree(&source, &target)?;
        } else if source.is_file() {
            std::fs::copy(&source, &target).map_err(failed(&source))?;
        }
    }
    Ok(())
}

fn push_drift(drift: &mut Drift, path: &Path, missing: bool, before: &str, after: &str) {
    if before != after {
        let name = path.display().to_string();
        drift.files.push(FileDrift {
            path: path.to_owned(),
            missing,
            diff: diff::unified(before, after, &format!("a/{name}"), &format!("b/{name}")),
        });
    }
}

/// Data as YAML with sorted keys: what two files are compared by.
fn normalised(value: &Value) -> Result<String, CheckoutError> {
    Ok(yaml::to_string(&render::sorted(value))?)
}

/// A rules file as data, with each expression's whitespace, comments and
/// the order of the alternatives in its label-matcher regexes normalised,
/// and the operation its selector selects made explicit where the series
/// of the environment give it (see [`explicit_operation`]); the rules named
/// in `team` left out.
fn normalised_rules(
    path: &Path,
    text: &str,
    series: &Series,
    team: &[String],
) -> Result<String, CheckoutError> {
    let root = yaml::parse(text, yaml::Dialect::Catalogue).map_err(|e| CheckoutError::Invalid {
        path: path.to_owned(),
        message: format!("{}:{}: {}", e.origin.line, e.origin.column, e.message),
    })?;
    let mut data = root.value.to_json();
    let groups = data.get_mut("groups").and_then(Value::as_array_mut);
    for group in groups.into_iter().flatten() {
        if let Some(rules) = group.get_mut("rules").and_then(Value::as_array_mut) {
            rules.retain(|r| {
                !r.get("alert")
                    .and_then(Value::as_str)
                    .is_some_and(|name| team.iter().any(|t| t == name))
            });
        }
    }
    normalise_exprs(&mut data, series);
    normalised(&data)
}

fn normalise_exprs(value: &mut Value, series: &Series) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(expr) if key == "expr" => {
                        *expr = normalise_expr(&explicit_operation(expr, series));
                    }
                    _ => normalise_exprs(v, series),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalise_exprs(v, series)),
        _ => {}
    }
}

/// A `db_backup_job_state` selector without an `operation` matcher, given
/// the `operation="…"` matcher that selects the same series: when it names
/// its database instances (`=` or a `=~` list) and every one of them runs
/// one and the same operation in the environment (production only backs
/// up). Any other expression is given back as it is.
fn explicit_operation(expr: &str, series: &Series) -> String {
    const METRIC: &str = "db_backup_job_state{";
    let Ok(Some(matchers)) = crate::promql::selector(expr, "db_backup_job_state") else {
        return expr.to_owned();
    };
    if expr.matches(METRIC).count() != 1 || matchers.iter().any(|m| m.label == "operation") {
        return expr.to_owned();
    }
    let instances: Vec<&crate::promql::Matcher> = matchers
        .iter()
        .filter(|m| m.label == "database_instance")
        .collect();
    let hosts = match instances.as_slice() {
        [m] if m.op == crate::promql::MatchOp::Equal => Some(vec![m.value.clone()]),
        [m] if m.op == crate::promql::MatchOp::Regex => expand(&m.value),
        _ => None,
    };
    let ops: Option<BTreeSet<&BTreeSet<&str>>> = hosts
        .into_iter()
        .flatten()
        .map(|host| series.get(&host))
        .collect();
    match ops
        .as_ref()
        .and_then(|o| o.first().filter(|_| o.len() == 1))
    {
        Some(ops) if ops.len() == 1 => {
            let op = ops.first().copied().unwrap_or_default();
            expr.replacen(METRIC, &format!("{METRIC}operation=\"{op}\", "), 1)
        }
        _ => expr.to_owned(),
    }
}

/// PromQL compared by meaning: comments and whitespace dropped, every
/// `=~"..."` / `!~"..."` matcher replaced by the sorted set of names it
/// matches when that set is finite (`(draft-)?a|b` → `a|b|draft-a`), or by
/// its sorted top-level alternatives, and the bound `day_of_week() <= 6`
/// that every day meets dropped from a range (`day_of_week() > 1 and
/// day_of_week() <= 6` is `day_of_week() > 1`).
pub fn normalise_expr(expr: &str) -> String {
    tokens(expr).replace("andday_of_week()<=6", "")
}

fn tokens(expr: &str) -> String {
    let text: String = expr
        .lines()
        .map(strip_comment)
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if quoted {
            out.push(c);
            if c == '\\' {
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                }
            } else if c == '"' {
                quoted = false;
            }
            continue;
        }
        if (c == '=' || c == '!') && text[i..].starts_with(&format!("{c}~\"")) {
            let body_start = i + 3;
            if let Some(len) = text[body_start..].find('"') {
                let regex = &text[body_start..body_start + len];
                out.push_str(&text[i..body_start]);
                out.push_str(&canonical_regex(regex));
                out.push('"');
                while chars.peek().is_some_and(|(j, _)| *j <= body_start + len) {
                    chars.next();
                }
                continue;
            }
        }
        match c {
            '"' => {
                quoted = true;
                out.push(c);
            }
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Drops a `# comment` that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The names a regex matches, sorted and joined by `|`, when it is made of
/// plain characters, alternatives and optional groups; otherwise its
/// top-level alternatives, sorted.
fn canonical_regex(regex: &str) -> String {
    match expand(regex) {
        Some(mut names) => {
            names.sort();
            names.dedup();
            names.join("|")
        }
        None => {
            let mut parts = split_top(regex);
            parts.sort_unstable();
            parts.join("|")
        }
    }
}

/// The top-level alternatives of a regex.
fn split_top(regex: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start, mut escaped) = (0i32, 0, false);
    for (i, c) in regex.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '|' if depth == 0 => {
                parts.push(&regex[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&regex[start..]);
    parts
}

/// Every string a small regex matches, if it is finite and small: literal
/// characters (`\-`-style escapes too), `|`, `( )` and `( )?`.
fn expand(regex: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for alternative in split_top(regex) {
        let mut strings = vec![String::new()];
        let mut rest = alternative;
        while let Some(c) = rest.chars().next() {
            let (pieces, used): (Vec<String>, usize) = match c {
                '(' => {
                    let close = matching_paren(rest)?;
                    let inner = expand(&rest[1..close])?;
                    if rest[close + 1..].starts_with('?') {
                        (
                            std::iter::once(String::new()).chain(inner).collect(),
                            close + 2,
                        )
                    } else {
                        (inner, close + 1)
                    }
                }
                '\\' => {
                    let next = rest[1..].chars().next()?;
                    if next.is_alphanumeric() {
                        return None;
                    }
                    (vec![next.to_string()], 1 + next.len_utf8())
                }
                c if "[]{}*+?.^$|)".contains(c) => return None,
                c => (vec![c.to_string()], c.len_utf8()),
            };
            if rest[used..].starts_with(['*', '+', '?', '{']) {
                return None;
            }
            strings = strings
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
                .collect();
            if strings.len() > 10_000 {
                return None;
            }
            rest = &rest[used..];
        }
        out.extend(strings);
    }
    Some(out)
}

/// The index of the `)` that closes the `(` at the start of `text`.
fn matching_paren(text: &str) -> Option<usize> {
    let (mut depth, mut escaped) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Writes a render into the checkout: the `cronjobs:` block of the values
/// file (every other byte kept) and the rules files whose meaning changes
/// (with the tests as `tests` says), in the line endings of the files they
/// replace. Under the checkout's lock, all or nothing (see [`output`]), and
/// only into chart folders that are there. Gives the paths whose contents
/// changed.
pub fn apply(
    plan: &Plan,
    rendered: &[Rendered],
    root: &Path,
    tests: Tests,
) -> Result<Vec<PathBuf>, CheckoutError> {
    let lock = output::Lock::take(root)?;
    let checkout = Checkout {
        root: root.to_owned(),
    };
    let mut files = Vec::new();
    for Rendered {
        output,
        files: rendered,
    } in rendered
    {
        match output.checkout {
            Some(Place::CronjobsBlock(values)) => {
                for block in rendered {
                    files.push(File::new(values, checkout.splice(values, &block.contents)?));
                }
            }
            Some(Place::Folder(folder)) => {
                for file in rules_files(&checkout, folder, rendered, tests, false, plan)? {
                    if file.same()? {
                        continue;
                    }
                    let contents = file.written()?;
                    files.push(File::new(file.path, contents));
                }
            }
            None => {}
        }
    }
    let changed = lock.write(&files)?;
    Ok(files
        .into_iter()
        .zip(changed)
        .filter_map(|(f, changed)| changed.then_some(f.path))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_teams_rules_are_neither_compared_nor_removed() {
        let rule = |name: &str, expr: &str| {
            format!("      - alert: {name}\n        expr: >-\n          {expr}\n")
        };
        let file =
            |rules: &[String]| format!("groups:\n  - name: G\n    rules:\n{}", rules.concat());
        let ours = rule("Ours", "db_backup_job_state{operation=\"backup\"} != 0");
        let team = rule(
            "Test alert",
            "db_backup_job_state{database_instance=\"a\"} != 0",
        );
        let gone = rule("Gone", "db_backup_job_state{operation=\"restore\"} != 0");
        let rules_file = |old: &[String], team: &[&str]| RulesFile {
            path: PathBuf::from("rules.yaml"),
            old: Some(file(old)),
            new: file(std::slice::from_ref(&ours)),
            series: Series::new(),
            team: team.iter().map(|t| (*t).to_owned()).collect(),
        };
        let listed = rules_file(&[ours.clone(), team.clone()], &["Test alert"]);
        assert!(listed.same().unwrap());
        let unlisted = rules_file(&[ours.clone(), team.clone()], &[]);
        assert!(!unlisted.same().unwrap());
        assert_eq!(
            unlisted.written().unwrap(),
            file(std::slice::from_ref(&ours))
        );
        // A rule of envsync's that is no longer rendered still goes; the
        // team's stays, byte for byte.
        let both = rules_file(&[ours.clone(), team.clone(), gone], &["Test alert"]);
        assert!(!both.same().unwrap());
        assert_eq!(both.written().unwrap(), file(&[ours.clone(), team.clone()]));
        // Where the file cannot be edited in place (its groups differ),
        // writing the rendered one would drop the team's rule: refused.
        let regrouped = RulesFile {
            new: format!(
                "{}  - name: H\n    rules:\n{ours}",
                file(std::slice::from_ref(&ours))
            ),
            ..rules_file(&[ours.clone(), team.clone()], &["Test alert"])
        };
        let refused = regrouped.written().unwrap_err().to_string();
        assert!(
            refused.contains("the team's rules (Test alert)"),
            "{refused}"
        );
        let without_team = RulesFile {
            new: regrouped.new.clone(),
            ..rules_file(std::slice::from_ref(&ours), &["Test alert"])
        };
        assert_eq!(without_team.written().unwrap(), regrouped.new);
    }

    #[test]
    fn a_selector_without_an_operation_means_the_one_its_hosts_run() {
        let series = |hosts: &[(&str, &[&'static str])]| -> Series {
            hosts
                .iter()
                .map(|(h, ops)| ((*h).to_owned(), ops.iter().copied().collect()))
                .collect()
        };
        let backups = series(&[("a-postgres", &["backup"]), ("b-mysql", &["backup"])]);
        let without = "db_backup_job_state{database_instance=~\"b-mysql|a-postgres\"} == 1";
        let with = "db_backup_job_state{operation=\"backup\", database_instance=~\"a-postgres|b-mysql\"} == 1";
        let compared = |expr: &str, s: &Series| normalise_expr(&explicit_operation(expr, s));
        assert_eq!(compared(without, &backups), compared(with, &backups));
        // A host that also restores, or that the environment does not run,
        // makes the selector wider than the rendered one.
        let restores = series(&[
            ("a-postgres", &["backup", "restore"]),
            ("b-mysql", &["backup"]),
        ]);
        assert_ne!(compared(without, &restores), compared(with, &restores));
        let one = series(&[("a-postgres", &["backup"])]);
        assert_ne!(compared(without, &one), compared(with, &one));
        // Hosts that run different operations, one each.
        let mixed = series(&[("a-postgres", &["backup"]), ("b-mysql", &["restore"])]);
        assert_eq!(explicit_operation(without, &mixed), without);
        // A complement may select hosts the catalogue does not know.
        let complement = "db_backup_job_state{database_instance!~\"a-postgres\"} == 1";
        assert_eq!(explicit_operation(complement, &backups), complement);
    }

    #[test]
    fn expressions_compare_by_meaning() {
        let a = "db_backup_job_state{operation=\"backup\", database_instance!~\"b|a|(draft-)?c\"} == 1 # note";
        let b = "db_backup_job_state{operation=\"backup\",\n  database_instance!~\"c|draft-c|a|b\"}\n==1";
        assert_eq!(normalise_expr(a), normalise_expr(b));
        let c = "db_backup_job_state{operation=\"backup\", database_instance!~\"a|b\"} == 1";
        assert_ne!(normalise_expr(a), normalise_expr(c));
        // A regex that matches unboundedly many names keeps its form.
        let d = "x{a=~\"b.*|a\"}";
        assert_eq!(normalise_expr(d), "x{a=~\"a|b.*\"}");
        let saturday = "x and on() (day_of_week() > 1 and day_of_week() <=6)";
        assert_eq!(
            normalise_expr(saturday),
            normalise_expr("x and on() (day_of_week() > 1)")
        );
        assert_ne!(
            normalise_expr(saturday),
            normalise_expr("x and on() (day_of_week() > 1 and day_of_week() <= 5)")
        );
    }
}
