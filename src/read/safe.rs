//! Every value the db-backup chart prints, checked the way the chart prints
//! it, so that nothing envsync accepts can change the structure of a
//! manifest or be refused by Kubernetes or Prometheus.
//!
//! The values the chart's templates print without quotes are read from the
//! templates ([`template`]): GOV.UK's prints a job's `db`, `host`, `dbUser`
//! and an operation's `bucket`, `db` and `script` so, and the job name in
//! names and labels. Each of those must be a plain YAML scalar that reads
//! back as the same string ([`plain`]), unless it is empty and the template
//! passes an empty one over. Names must be what Kubernetes accepts where it
//! uses them: the job name in a CronJob name of at most 52 characters, the
//! host as a secret key, `extraEnv` names as C identifiers, the toolbox
//! image as an OCI reference, the service account as a DNS-1123 subdomain,
//! the deadline as an integer that helm reads exactly. The alert labels
//! hold no `{{`, which Prometheus would expand as a template. No string
//! anywhere may hold a control character ([`control`]).
//!
//! [`check`] reads a [`Plan`] (from a catalogue or a values file); each
//! finding names its [`Place`] in the catalogue's words, which the reader
//! of that file turns into a line and column.

use crate::model::diagnostic::Kind;
use crate::model::plan::{Job, Origin, Plan};
use crate::model::search::SearchJob;
use crate::read::template::{self, ANY, Empty, KEY, Unquoted};
use crate::read::yaml;
use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The longest CronJob name Kubernetes accepts: the controller adds 11
/// characters to name each Job, and a name may have at most 63.
pub const MAX_CRONJOB_NAME: usize = 52;

/// The largest deadline helm prints exactly: it reads numbers in values as
/// 64-bit floats.
pub const MAX_DEADLINE: u64 = (1 << 53) - 1;

/// Where a value sits, in the catalogue's key names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A chart-level value, by its JSON Pointer below the chart values.
    Chart(String),
    /// A setting of a job; `name` is the job's own key.
    Job {
        env: String,
        job: String,
        key: &'static str,
    },
    /// An entry of a job's `extra_env` list.
    JobEnv {
        env: String,
        job: String,
        index: usize,
    },
    /// A setting of one of a job's operations.
    Operation {
        env: String,
        job: String,
        index: usize,
        key: &'static str,
    },
    /// An entry of an operation's `extra_env` list.
    OperationEnv {
        env: String,
        job: String,
        index: usize,
        entry: usize,
    },
    /// An alert label.
    Label(String),
    /// A chart-level value of the search-index-env-sync chart, by its JSON
    /// Pointer below that chart's values.
    SearchChart(String),
    /// A search index sync's job, at the place its source gives it.
    SearchJob {
        env: String,
        job: String,
        origin: Origin,
    },
}

/// A value the chart cannot print safely, or Kubernetes would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsafe {
    pub place: Place,
    pub message: String,
    /// [`Kind::NameLength`] for a CronJob name over the limit, which lint's
    /// `name-length` rule reports; [`Kind::Unsafe`] for the rest.
    pub kind: Kind,
}

/// Every value of the plan that the chart would print unsafely, as the
/// bundled templates print it.
pub fn check(plan: &Plan) -> Vec<Unsafe> {
    check_against(plan, template::bundled())
}

/// Every value of the plan that the chart would print unsafely, where
/// `unquoted` names the values its templates print without quotes. One
/// place gets one finding, the first.
pub fn check_against(plan: &Plan, unquoted: &Unquoted) -> Vec<Unsafe> {
    let mut out = Vec::new();
    chart(&plan.chart, Place::Chart, &mut out);
    let chart_values = Value::Object(plan.chart.clone());
    for (path, empty) in unquoted
        .iter()
        .filter(|(p, _)| p.first().is_none_or(|k| k != "cronjobs"))
    {
        let mut found = Vec::new();
        strings_at(&chart_values, path, &mut Vec::new(), &mut found);
        for (at, value) in found {
            if let Err(why) = printable(value, *empty) {
                let pointer: String = at.iter().map(|k| format!("/{}", yaml::escape(k))).collect();
                out.push(Unsafe {
                    place: Place::Chart(pointer),
                    message: format!("`{}` {value:?} {why}", at.join(".")),
                    kind: Kind::Unsafe,
                });
            }
        }
    }
    for (name, value) in &plan.alerts.labels {
        if let Err(why) = label_value(value) {
            out.push(Unsafe {
                place: Place::Label(name.clone()),
                message: format!("alert label `{name}` {value:?} {why}"),
                kind: Kind::Unsafe,
            });
        }
    }
    for env in &plan.environments {
        for job in &env.jobs {
            self::job(&env.name, job, &mut out);
            self::unquoted(&env.name, job, unquoted, &mut out);
        }
    }
    if let Some(search) = &plan.search {
        chart(&search.chart, Place::SearchChart, &mut out);
        for (env, job) in search.jobs() {
            search_job(&env.name, job, &mut out);
        }
    }
    let mut seen = Vec::new();
    out.retain(|finding| {
        let first = !seen.contains(&finding.place);
        seen.push(finding.place.clone());
        first
    });
    out
}

/// The chart-level values a CronJob prints, of the chart whose values
/// `at` places.
fn chart(chart: &Map<String, Value>, at: fn(String) -> Place, out: &mut Vec<Unsafe>) {
    let mut bad = |pointer: &str, message: String| {
        out.push(Unsafe {
            place: at(pointer.to_owned()),
            message,
            kind: Kind::Unsafe,
        })
    };
    let image = chart.get("toolbox").and_then(|t| t.get("image"));
    let part = |key: &str| match image.and_then(|i| i.get(key)) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    // Lint has no need of an image; render asks with [`image_missing`].
    if let Some(repository) = part("repository")
        && !pattern(&REPOSITORY, &repository)
    {
        bad(
            "/toolbox/image/repository",
            format!(
                "image repository {repository:?} is not an OCI repository name (lowercase path components, an optional registry host first)"
            ),
        );
    }
    if let Some(tag) = part("tag")
        && !pattern(&TAG, &tag)
    {
        bad(
            "/toolbox/image/tag",
            format!(
                "image tag {tag:?} is not an OCI tag (up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`)"
            ),
        );
    }
    if let Some(Value::String(name)) = chart.get("serviceAccount").and_then(|s| s.get("name"))
        && !name.is_empty()
        && let Err(why) = dns_subdomain(name)
    {
        bad(
            "/serviceAccount/name",
            format!("service account {name:?} {why}"),
        );
    }
    if let Some(Value::String(arch)) = chart.get("arch")
        && !matches!(arch.as_str(), "amd64" | "arm64")
    {
        bad("/arch", format!("arch {arch:?} must be amd64 or arm64"));
    }
    if let Some(Value::Array(vars)) = chart.get("extraEnv") {
        for (i, var) in vars.iter().enumerate() {
            if let Err(why) = env_var(var) {
                bad(&format!("/extraEnv/{i}"), why);
            }
        }
    }
}

/// The chart settings have no toolbox image, which every container runs.
pub fn image_missing(chart: &Map<String, Value>) -> Option<Unsafe> {
    let image = chart.get("toolbox").and_then(|t| t.get("image"));
    let given = |key: &str| match image.and_then(|i| i.get(key)) {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(_)) => true,
        _ => false,
    };
    if given("repository") && given("tag") {
        return None;
    }
    Some(Unsafe {
        place: Place::Chart("/toolbox/image".into()),
        message: "the chart settings have no toolbox image: set `toolbox.image.repository` and `toolbox.image.tag`".into(),
        kind: Kind::Unsafe,
    })
}

/// One job's printed values.
fn job(env: &str, job: &Job, out: &mut Vec<Unsafe>) {
    let at = |key| Place::Job {
        env: env.to_owned(),
        job: job.name.clone(),
        key,
    };
    let cronjob = job.cronjob_name();
    if cronjob.chars().count() > MAX_CRONJOB_NAME {
        out.push(Unsafe {
            place: at("name"),
            message: format!(
                "the CronJob name `{cronjob}` is {} characters; Kubernetes allows at most {MAX_CRONJOB_NAME}",
                cronjob.chars().count()
            ),
            kind: Kind::NameLength,
        });
    }
    let mut bad = |place: Place, message: String| {
        out.push(Unsafe {
            place,
            message,
            kind: Kind::Unsafe,
        })
    };
    if cronjob.chars().count() <= MAX_CRONJOB_NAME
        && let Err(why) = dns_label(&job.name)
    {
        bad(at("name"), format!("job name {:?} {why}", job.name));
    }
    if let Some(host) = &job.host
        && let Err(why) = secret_key(host)
    {
        bad(at("host"), format!("host {host:?} {why}"));
    }
    if let Some(dbms) = &job.dbms
        && let Err(why) = dns_label(dbms)
    {
        bad(at("dbms"), format!("dbms {dbms:?} {why}"));
    }
    if let Some(seconds) = job.max_job_runtime_seconds
        && !(1..=MAX_DEADLINE).contains(&seconds)
    {
        bad(
            at("max_runtime_seconds"),
            format!(
                "max_runtime_seconds {seconds} must be from 1 to {MAX_DEADLINE}, which helm prints exactly"
            ),
        );
    }
    for (i, var) in env_entries(&job.extra_env).enumerate() {
        if let Err(why) = env_var(var) {
            let place = Place::JobEnv {
                env: env.to_owned(),
                job: job.name.clone(),
                index: i,
            };
            bad(place, why);
        }
    }
    for (index, op) in job.operations.iter().enumerate() {
        for (entry, var) in env_entries(&op.extra_env).enumerate() {
            if let Err(why) = env_var(var) {
                let place = Place::OperationEnv {
                    env: env.to_owned(),
                    job: job.name.clone(),
                    index,
                    entry,
                };
                bad(place, why);
            }
        }
    }
}

/// The values of one job that the templates print without quotes, each
/// as a plain scalar that reads back as itself.
fn unquoted(env: &str, job: &Job, unquoted: &Unquoted, out: &mut Vec<Unsafe>) {
    let Ok(values) = crate::render::values::job_values(job) else {
        return;
    };
    for (path, empty) in unquoted {
        let [first, environment, name, rest @ ..] = path.as_slice() else {
            continue;
        };
        if first != "cronjobs" || !(environment == ANY || environment == env) {
            continue;
        }
        let mut found = Vec::new();
        if name == KEY && rest.is_empty() {
            found.push((Vec::new(), job.name.as_str()));
        } else if name == ANY || *name == job.name {
            strings_at(&values, rest, &mut Vec::new(), &mut found);
        }
        for (at, value) in found {
            if let Err(why) = printable(value, *empty) {
                let place = job_place(env, &job.name, &at);
                let message = match &place {
                    Place::Job { key: "name", .. } => format!("job name {value:?} {why}"),
                    Place::Job { key, .. } | Place::Operation { key, .. } => {
                        format!("`{key}` {value:?} {why}")
                    }
                    _ => format!("{value:?} {why}"),
                };
                out.push(Unsafe {
                    place,
                    message,
                    kind: Kind::Unsafe,
                });
            }
        }
    }
}

/// A value printed without quotes: a plain scalar, unless it is empty and
/// a `default` passes it over.
fn printable(value: &str, empty: Empty) -> Result<(), String> {
    if value.is_empty() && empty == Empty::PassedOver {
        return Ok(());
    }
    plain(value)
}

/// The strings at a value path, with the keys that lead to each; a
/// mapping or a list there is printed whole, so its strings are too.
fn strings_at<'v>(
    value: &'v Value,
    path: &[String],
    at: &mut Vec<String>,
    found: &mut Vec<(Vec<String>, &'v str)>,
) {
    let mut each = |key: String, inner: &'v Value, rest: &[String]| {
        at.push(key);
        strings_at(inner, rest, at, found);
        at.pop();
    };
    match (path, value) {
        ([], Value::String(s)) => found.push((at.clone(), s)),
        ([], Value::Array(list)) => {
            for (i, inner) in list.iter().enumerate() {
                each(i.to_string(), inner, &[]);
            }
        }
        ([], Value::Object(map)) => {
            for (key, inner) in map {
                each(key.clone(), inner, &[]);
            }
        }
        ([key, rest @ ..], Value::Object(map)) if key == KEY && rest.is_empty() => {
            for key in map.keys() {
                let mut at = at.clone();
                at.push(key.clone());
                found.push((at, key));
            }
        }
        ([key, rest @ ..], Value::Object(map)) => {
            for (k, inner) in map.iter().filter(|(k, _)| key == ANY || *k == key) {
                each(k.clone(), inner, rest);
            }
        }
        ([key, rest @ ..], Value::Array(list)) if key == ANY => {
            for (i, inner) in list.iter().enumerate() {
                each(i.to_string(), inner, rest);
            }
        }
        _ => {}
    }
}

/// The place of a value in a job's values, by the keys that lead to it.
fn job_place(env: &str, job: &str, at: &[String]) -> Place {
    let (env, job) = (env.to_owned(), job.to_owned());
    let index = |i: Option<&String>| i.and_then(|i| i.parse().ok()).unwrap_or_default();
    match at {
        [operations, i, key, rest @ ..] if operations == "operations" => {
            if key == "extraEnv" {
                Place::OperationEnv {
                    env,
                    job,
                    index: index(Some(i)),
                    entry: index(rest.first()),
                }
            } else {
                Place::Operation {
                    env,
                    job,
                    index: index(Some(i)),
                    key: catalogue_key(key),
                }
            }
        }
        [key, rest @ ..] if key == "extraEnv" => Place::JobEnv {
            env,
            job,
            index: index(rest.first()),
        },
        [key, ..] => Place::Job {
            env,
            job,
            key: catalogue_key(key),
        },
        [] => Place::Job {
            env,
            job,
            key: "name",
        },
    }
}

/// The keys of a job and of an operation, in the catalogue and in the
/// chart's values.
pub const KEYS: [(&str, &str); 15] = [
    ("schedule", "schedule"),
    ("suspend", "suspend"),
    ("host", "host"),
    ("dbms", "dbms"),
    ("db", "db"),
    ("replica_set", "replicaSet"),
    ("no_auth", "noAuth"),
    ("db_user", "dbUser"),
    ("max_runtime_seconds", "maxJobRuntimeSeconds"),
    ("resources", "resources"),
    ("operations", "operations"),
    ("extra_env", "extraEnv"),
    ("op", "op"),
    ("bucket", "bucket"),
    ("script", "script"),
];

/// The catalogue's key of a chart key; a key it does not know is placed
/// at the job.
fn catalogue_key(chart_key: &str) -> &'static str {
    KEYS.iter()
        .find(|(_, chart)| *chart == chart_key)
        .map_or("name", |(catalogue, _)| catalogue)
}

/// One search index sync's job: its CronJob name, and the environment
/// variables and secrets its `extraEnv` names. The chart writes the rest
/// of the job (schedule, args, variables' values) as YAML of its own.
fn search_job(env: &str, job: &SearchJob, out: &mut Vec<Unsafe>) {
    let mut bad = |message: String, kind| {
        out.push(Unsafe {
            place: Place::SearchJob {
                env: env.to_owned(),
                job: job.name.clone(),
                origin: job.origin.job,
            },
            message,
            kind,
        })
    };
    let cronjob = job.cronjob_name();
    let length = cronjob.chars().count();
    if length > MAX_CRONJOB_NAME {
        bad(
            format!(
                "the CronJob name `{cronjob}` is {length} characters; Kubernetes allows at most {MAX_CRONJOB_NAME}: give the cluster a shorter key, or the job a shorter `name`"
            ),
            Kind::NameLength,
        );
    } else if let Err(why) = dns_label(&job.name) {
        bad(format!("job name {:?} {why}", job.name), Kind::Unsafe);
    }
    for var in env_entries(&job.extra_env) {
        let secret = var.get("valueFrom").and_then(|v| v.get("secretKeyRef"));
        let checks = [
            env_var(var),
            match secret.and_then(|s| s.get("name")).and_then(Value::as_str) {
                Some(name) => dns_subdomain(name).map_err(|why| format!("secret {name:?} {why}")),
                None => Ok(()),
            },
            match secret.and_then(|s| s.get("key")).and_then(Value::as_str) {
                Some(key) => secret_key(key).map_err(|why| format!("secret key {key:?} {why}")),
                None => Ok(()),
            },
        ];
        for why in checks.into_iter().filter_map(Result::err) {
            bad(why, Kind::Unsafe);
        }
    }
}

fn env_entries(list: &Option<Value>) -> impl Iterator<Item = &Value> {
    list.as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// An `extraEnv` entry: its name a C identifier, as Kubernetes requires.
fn env_var(var: &Value) -> Result<(), String> {
    match var.get("name").and_then(Value::as_str) {
        Some(name) if pattern(&C_IDENTIFIER, name) => Ok(()),
        Some(name) => Err(format!(
            "environment variable name {name:?} is not a C identifier (letters, digits and `_`, not starting with a digit)"
        )),
        None => Err("an environment variable has no `name`".into()),
    }
}

/// Whether a value printed without quotes is a plain YAML scalar that
/// reads back as the same string, in YAML 1.2 (envsync, Helm 3) and in
/// YAML 1.1 (PyYAML, older Go readers): not empty, no control character,
/// no indicator at the start, no `: ` or ` #` inside, no space around,
/// and not a word or number that a reader takes for null, a boolean, a
/// number or a date.
pub fn plain(s: &str) -> Result<(), String> {
    control(s)?;
    let why = if s.is_empty() {
        "is empty, which reads back as null"
    } else if s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c)) {
        "starts with a character YAML reads as syntax"
    } else if s.starts_with(' ') || s.ends_with(' ') {
        "has a space at an end, which YAML drops"
    } else if s.contains(": ") || s.ends_with(':') || s.contains(" #") {
        "holds `: ` or ` #` (or ends with `:`), which YAML reads as syntax"
    } else if NOT_A_STRING.get_or_init(not_a_string).is_match(s) {
        "reads back as null, a boolean, a number or a date, not a string"
    } else if !word(s) && !reads_back(s) {
        "does not read back as the same string"
    } else {
        return Ok(());
    };
    Err(format!("{why}: the chart prints it without quotes"))
}

/// Whether a value is made of ASCII letters, digits and `_-./:` only. Such
/// a value that passed the checks before it in [`plain`] reads back as
/// itself, so it need not be read: most values are names, buckets and
/// scripts of that kind.
fn word(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-./:".contains(&b))
}

/// Whether `key: <s>` reads back, with envsync's own YAML reader, as a
/// mapping of `key` to the string `s`.
fn reads_back(s: &str) -> bool {
    use crate::read::yaml::{Dialect, Node, parse};
    let Ok(root) = parse(&format!("key: {s}\n"), Dialect::HelmValues) else {
        return false;
    };
    matches!(root.value.get("key").map(|n| &n.value), Some(Node::String(read)) if read == s)
}

static NOT_A_STRING: OnceLock<Regex> = OnceLock::new();

/// The plain scalars that YAML 1.1 or 1.2 resolves to something other than
/// a string: nulls, booleans (1.1's `yes`, `on`, `y` too), integers (with
/// `_`, binary, octal, hex, base 60), floats, `.inf`, `.nan`, dates, `<<`
/// and `=`.
fn not_a_string() -> Regex {
    let patterns = [
        r"~|null|Null|NULL",
        r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
        r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+",
        r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?",
        r"[-+]?([0-9][0-9_]*)?\.[0-9_.]*([eE][-+]?[0-9]+)?",
        r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?[eE][-+]?[0-9]+",
        r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?",
        r"<<|=",
    ];
    let all = patterns.map(|p| format!("(?:{p})")).join("|");
    Regex::new(&format!("^(?:{all})$")).unwrap_or_else(|e| unreachable!("a constant pattern: {e}"))
}

/// Refuses the characters a terminal, YAML or promtool would not take as
/// text: the C0 and C1 controls and DEL, the line and paragraph
/// separators, the byte order mark and non-characters, and the bidirectional
/// overrides that make text read other than it is.
pub fn control(s: &str) -> Result<(), String> {
    match s.chars().find(|&c| is_control(c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "holds the control character U+{:04X}, which is not allowed",
            u32::from(c)
        )),
    }
}

/// Whether a character is one [`control`] refuses.
pub use crate::model::diagnostic::is_control;

/// A label value Prometheus does not expand: no `{{`, not empty.
fn label_value(s: &str) -> Result<(), String> {
    control(s)?;
    if s.is_empty() {
        Err("is empty, which Prometheus reads as no label".into())
    } else if s.contains("{{") {
        Err("holds `{{`, which Prometheus expands as a template".into())
    } else {
        Ok(())
    }
}

/// A DNS-1123 label: what Kubernetes names objects and label values with.
fn dns_label(s: &str) -> Result<(), String> {
    if s.len() <= 63 && pattern(&DNS_LABEL, s) {
        Ok(())
    } else {
        Err("is not a DNS-1123 label (at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit)".into())
    }
}

/// A DNS-1123 subdomain: DNS-1123 labels joined by `.`, at most 253.
fn dns_subdomain(s: &str) -> Result<(), String> {
    if s.len() <= 253 && pattern(&DNS_SUBDOMAIN, s) {
        Ok(())
    } else {
        Err(
            "is not a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`, at most 253)"
                .into(),
        )
    }
}

/// A key of a Kubernetes secret (the host names the password's key).
fn secret_key(s: &str) -> Result<(), String> {
    if s.len() <= 253 && pattern(&SECRET_KEY, s) && s != "." && s != ".." {
        Ok(())
    } else {
        Err("is not a valid secret key, which the chart uses it as (letters, digits, `-`, `_` and `.`, at most 253)".into())
    }
}

type Pattern = (&'static str, OnceLock<Regex>);

static DNS_LABEL: Pattern = (r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", OnceLock::new());
static DNS_SUBDOMAIN: Pattern = (
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    OnceLock::new(),
);
static SECRET_KEY: Pattern = (r"^[-._a-zA-Z0-9]+$", OnceLock::new());
static C_IDENTIFIER: Pattern = (r"^[A-Za-z_][A-Za-z0-9_]*$", OnceLock::new());
/// The distribution reference grammar: `[host[:port]/]path`, each path
/// component lowercase alphanumerics joined by `.`, `_`, `__` or `-`s.
static REPOSITORY: Pattern = (
    r"^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$",
    OnceLock::new(),
);
static TAG: Pattern = (r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", OnceLock::new());

fn pattern(p: &Pattern, s: &str) -> bool {
    p.1.get_or_init(|| Regex::new(p.0).unwrap_or_else(|e| unreachable!("a constant pattern: {e}")))
        .is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_that_read_back() {
        for ok in [
            "content_store_production",
            "s3://govuk-production-database-backups",
            "a-b.c",
            "sanitise.sql",
            "a:b",
            "a#b",
            "x{{y",
            "1a",
            "O'Brien",
            "Ünïcode",
        ] {
            assert_eq!(plain(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a: b",
            "a #b",
            "alpha\n  envFrom:",
            "a\u{2028}b",
            "-a",
            "'a'",
            "\"a\"",
            "*a",
            "&a",
            "!a",
            "@a",
            "{a}",
            "[a]",
            "true",
            "yes",
            "on",
            "y",
            "No",
            "null",
            "~",
            "12",
            "0x1f",
            "0o17",
            "017",
            "1_000",
            "1e3",
            "1.5",
            ".5",
            ".inf",
            "-.inf",
            ".nan",
            "1:20",
            "2024-01-01",
            "<<",
            "=",
            "a:",
            " a",
            "a ",
            "a\tb",
            "a\u{7f}",
            "a\u{202e}b",
        ] {
            assert!(plain(bad).is_err(), "{bad:?} passed");
        }
    }

    /// Every value of up to four characters of a [`word`] that passes the
    /// other checks of [`plain`] reads back as itself.
    #[test]
    fn words_read_back() {
        let alphabet: Vec<char> = "aAeExyn0178._-/:".chars().collect();
        let mut values = vec![String::new()];
        let mut checked = 0;
        for _ in 0..4 {
            values = values
                .iter()
                .flat_map(|v| alphabet.iter().map(move |c| format!("{v}{c}")))
                .collect();
            for v in &values {
                assert!(word(v));
                let passes_the_rest = !v.starts_with(|c: char| "-:".contains(c))
                    && !v.ends_with(':')
                    && !NOT_A_STRING.get_or_init(not_a_string).is_match(v);
                if passes_the_rest {
                    assert!(reads_back(v), "{v:?} does not read back");
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
        assert!(!word("a b") && !word("a#b") && !word("Ünïcode"));
    }

    #[test]
    fn names_as_kubernetes_takes_them() {
        assert!(dns_label("content-store-postgres").is_ok());
        assert!(dns_label("Content").is_err());
        assert!(dns_subdomain("db-backup.sa").is_ok());
        assert!(dns_subdomain("db_backup").is_err());
        assert!(secret_key("content-store.postgres_1").is_ok());
        assert!(secret_key("a b").is_err());
        assert!(secret_key("..").is_err());
        assert!(pattern(&C_IDENTIFIER, "DB_OWNER"));
        assert!(!pattern(&C_IDENTIFIER, "1DB"));
        assert!(!pattern(&C_IDENTIFIER, "DB-OWNER"));
        assert!(pattern(
            &REPOSITORY,
            "172025368201.dkr.ecr.eu-west-1.amazonaws.com/github/alphagov/govuk/govuk-toolbox-image"
        ));
        assert!(pattern(&REPOSITORY, "localhost:5000/toolbox"));
        assert!(!pattern(&REPOSITORY, "toolbox image"));
        assert!(!pattern(&REPOSITORY, "Toolbox"));
        assert!(pattern(&TAG, "v26"));
        assert!(!pattern(&TAG, "v 26"));
        assert!(!pattern(&TAG, "-v26"));
    }

    #[test]
    fn labels_hold_no_templates() {
        assert!(label_value("warning").is_ok());
        assert!(label_value("{{ .ExternalLabels }}").is_err());
        assert!(label_value("").is_err());
    }

    #[test]
    fn the_pattern_of_what_is_not_a_string_compiles() {
        assert!(not_a_string().is_match("true"));
        assert!(!not_a_string().is_match("truth"));
    }
}
