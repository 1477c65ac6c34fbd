//! `envsync render`: every output of a catalogue, into a folder.

use super::{
    Error, Format, invalid, load_catalogue, load_catalogue_for, load_catalogue_for_render,
    only_envs, read, render_some,
};
use crate::chart::Checkout;
use crate::output;
use crate::render;
use crate::render::templates::Templates;
use clap::Args;
use std::path::PathBuf;

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
    /// Write only these outputs, of both charts (repeatable; default: all).
    /// Values need only the jobs; manifests need each chart's toolbox
    /// image; rules need the jobs' schedules (both charts') to be ones an alert
    /// can watch.
    #[arg(long = "only", value_enum, value_name = "OUTPUT")]
    pub only: Vec<render::Kind>,
}

pub fn run(args: &RenderArgs) -> Result<(), Error> {
    output::recover(&args.out)?;
    let checkout = args.chart_repo.as_deref().map(Checkout::open).transpose()?;
    let wanted = |kind| args.only.is_empty() || args.only.contains(&kind);
    let mut plan = match &checkout {
        None if wanted(render::Kind::Manifests) => load_catalogue_for_render(&args.catalogue)?,
        None => load_catalogue(&args.catalogue)?,
        Some(checkout) => load_catalogue_for(&args.catalogue, checkout)?,
    };
    if let Some(checkout) = checkout {
        let path = checkout.path(render::VALUES);
        let text = read(&path)?;
        // Only the first document counts, as for Helm.
        let text = crate::chart::splice::first_document(&text).to_owned();
        match crate::read::values::chart(&path, &text) {
            Ok(chart) => plan.chart = chart,
            Err(problems) => return Err(invalid(&path, text, problems, Format::Human)),
        }
    }
    let plan = only_envs(plan, &args.envs)?;
    let templates = Templates::load(args.templates.as_deref())?;
    let files = render_some(&plan, &templates, |o| wanted(o.kind))?;
    let changed = output::write_all(&args.out, &files)?;
    for (file, changed) in files.iter().zip(changed) {
        let verb = if changed { "wrote" } else { "unchanged" };
        eprintln!("{verb} {}", args.out.join(&file.path).display());
    }
    Ok(())
}
