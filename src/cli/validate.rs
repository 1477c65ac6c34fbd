//! `envsync validate`: a catalogue against its schema and its meaning.
//!
//! A catalogue that validates renders: after the checks, everything is
//! rendered in memory, and what fails there is a problem too.

use super::{Error, Format, invalid, read, render_files};
use crate::model::diagnostic::{Diagnostic, Diagnostics};
use crate::model::plan::{Origin, Plan};
use crate::read::catalogue;
use crate::render::manifests::ManifestError;
use crate::render::templates::Templates;
use std::path::Path;

pub fn run(path: &Path, format: Format) -> Result<(), Error> {
    let text = read(path)?;
    let plan = match catalogue::load_for_render(path, &text) {
        Ok(plan) => plan,
        Err(problems) => return Err(invalid(path, text, problems, format)),
    };
    match render_files(&plan, &Templates::load(None)?) {
        Ok(_) => {}
        Err(Error::Manifest(e)) => {
            let problem = Diagnostic::error("render", path, place(&plan, &e), e.to_string());
            return Err(invalid(path, text, Diagnostics(vec![problem]), format));
        }
        Err(e) => return Err(e),
    }
    let jobs = plan.jobs().count();
    let envs = plan.environments.len();
    eprintln!(
        "{}: valid ({jobs} jobs in {envs} environments)",
        path.display()
    );
    Ok(())
}

/// The job a manifest error names, where it has one.
fn place(plan: &Plan, e: &ManifestError) -> Origin {
    let (environment, job) = match e {
        ManifestError::JobSetting {
            environment, job, ..
        }
        | ManifestError::NoOperations { environment, job }
        | ManifestError::Unprintable {
            environment, job, ..
        } => (environment, job),
        _ => return Origin::default(),
    };
    plan.environment(environment)
        .and_then(|env| env.jobs.iter().find(|j| j.name == *job))
        .map_or_else(Origin::default, |j| j.origin.job)
}
