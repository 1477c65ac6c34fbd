//! Rendering a plan: the chart's values, the CronJob manifests, the alert
//! rules and their tests, a catalogue (for import), the on-call card and the
//! week at a glance.
//!
//! What a catalogue renders is one list of outputs, which `render`, `diff`
//! and `apply` all read. Each output is a folder of files below render's
//! `--out`, and says where it belongs in a govuk-helm-charts checkout.

pub mod catalogue;
pub mod explain;
pub mod manifests;
pub mod rules;
pub mod schedule;
pub mod search;
pub mod templates;
pub mod values;

use crate::model::plan::Plan;
use crate::output::File;
use crate::read::yaml;
use crate::render::templates::Templates;
use manifests::ManifestError;
use rules::RulesError;

use serde_json::Value;
use std::path::Path;

/// The db-backup chart's values file, relative to a checkout.
pub const VALUES: &str = "charts/db-backup/values.yaml";
/// The search-index-env-sync chart's values file, relative to a checkout.
pub const SEARCH_VALUES: &str = crate::read::search::VALUES;
/// The alert rules folder, relative to a checkout.
pub const RULES: &str = "charts/monitoring-config/rules";

/// What an output is, for `render --only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// The `cronjobs:` block of a chart's values.yaml.
    Values,
    /// The CronJobs helm renders.
    Manifests,
    /// The alert rules and their promtool tests.
    Rules,
}

/// One kind of output.
pub struct Output {
    pub kind: Kind,
    /// The folder below `--out` its files are written to.
    pub dir: &'static str,
    /// Where it belongs in a checkout; `None` for what a checkout does not
    /// hold (the manifests, which helm renders there).
    pub checkout: Option<Place>,
    /// Its files, with paths relative to `dir`.
    files: fn(&Plan, &Templates) -> Result<Vec<File>, RenderError>,
}

/// Where an output belongs in a checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Its one file is the `cronjobs:` block of this values file (relative
    /// to the checkout), which `apply` replaces and nothing else.
    CronjobsBlock(&'static str),
    /// Its files go below this folder (relative to the checkout).
    Folder(&'static str),
}

/// Every output, in the order render writes them.
pub const OUTPUTS: &[Output] = &[
    Output {
        kind: Kind::Values,
        dir: "values",
        checkout: Some(Place::CronjobsBlock(VALUES)),
        files: |plan, _| {
            if search_only(plan) {
                return Ok(Vec::new());
            }
            let text = yaml::to_string(&values::CronJobs(plan))?;
            Ok(vec![File::new("cronjobs.yaml", text)])
        },
    },
    Output {
        kind: Kind::Manifests,
        dir: "manifests",
        checkout: None,
        files: |plan, templates| Ok(manifests::render(plan, templates)?),
    },
    Output {
        kind: Kind::Rules,
        dir: "rules",
        checkout: Some(Place::Folder(RULES)),
        files: |plan, templates| match search_only(plan) {
            true => Ok(Vec::new()),
            false => Ok(rules::render(plan, templates)?),
        },
    },
    Output {
        kind: Kind::Rules,
        dir: "rules",
        checkout: Some(Place::Folder(RULES)),
        files: |plan, templates| Ok(rules::search::render(plan, templates)?),
    },
    Output {
        kind: Kind::Values,
        dir: "search-index-env-sync/values",
        checkout: Some(Place::CronjobsBlock(SEARCH_VALUES)),
        files: |plan, _| match &plan.search {
            Some(s) => Ok(search::values(s)?),
            None => Ok(Vec::new()),
        },
    },
    Output {
        kind: Kind::Manifests,
        dir: "search-index-env-sync/manifests",
        checkout: None,
        files: |plan, templates| match &plan.search {
            Some(s) => Ok(search::manifests(s, templates)?),
            None => Ok(Vec::new()),
        },
    },
];

/// Whether a plan holds search index syncs and no databases: then it has
/// no db-backup outputs.
fn search_only(plan: &Plan) -> bool {
    plan.search.is_some() && plan.jobs().next().is_none()
}

/// Why an output could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot write YAML: {0}")]
    Yaml(#[from] serde_saphyr::SerializeError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Rules(#[from] RulesError),
}

impl Output {
    /// The output's files, with paths relative to its `dir`.
    pub fn files(&self, plan: &Plan, templates: &Templates) -> Result<Vec<File>, RenderError> {
        (self.files)(plan, templates)
    }
}

/// An output's files, with paths relative to the output folder.
pub struct Rendered {
    pub output: &'static Output,
    pub files: Vec<File>,
}

/// Renders the outputs `wanted` picks, in order.
pub fn render(
    plan: &Plan,
    templates: &Templates,
    wanted: impl Fn(&Output) -> bool,
) -> Result<Vec<Rendered>, RenderError> {
    OUTPUTS
        .iter()
        .filter(|output| wanted(output))
        .map(|output| {
            let files = output.files(plan, templates)?;
            Ok(Rendered { output, files })
        })
        .collect()
}

/// Every file of every output, with paths relative to render's `--out`.
pub fn all_files(plan: &Plan, templates: &Templates) -> Result<Vec<File>, RenderError> {
    files(plan, templates, |_| true)
}

/// The files of the outputs `wanted` picks, with paths relative to
/// render's `--out`.
pub fn files(
    plan: &Plan,
    templates: &Templates,
    wanted: impl Fn(&Output) -> bool,
) -> Result<Vec<File>, RenderError> {
    Ok(render(plan, templates, wanted)?
        .into_iter()
        .flat_map(|r| {
            let dir = Path::new(r.output.dir);
            r.files
                .into_iter()
                .map(move |f| File::new(dir.join(f.path), f.contents))
        })
        .collect())
}

/// Data with every mapping's keys sorted, for comparing files as data.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}
