//! `envsync render`: every output of a catalogue, into a folder.

use super::{
    Error, Format, invalid, load_catalogue, load_catalogue_for_render, only_envs, read,
    render_files,
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
}

pub fn run(args: &RenderArgs) -> Result<(), Error> {
    let mut plan = match &args.chart_repo {
        Some(_) => load_catalogue(&args.catalogue)?,
        None => load_catalogue_for_render(&args.catalogue)?,
    };
    if let Some(repo) = &args.chart_repo {
        let path = Checkout::new(repo).path(render::VALUES);
        let text = read(&path)?;
        match crate::read::values::chart(&path, &text) {
            Ok(chart) => plan.chart = chart,
            Err(problems) => return Err(invalid(&path, text, problems, Format::Human)),
        }
    }
    let plan = only_envs(plan, &args.envs)?;
    let templates = Templates::load(args.templates.as_deref())?;
    let mut staging = output::Staging::new(&args.out);
    for file in render_files(&plan, &templates)? {
        staging.add(&file)?;
    }
    for (path, changed) in staging.commit()? {
        let verb = if changed { "wrote" } else { "unchanged" };
        eprintln!("{verb} {}", args.out.join(path).display());
    }
    Ok(())
}
