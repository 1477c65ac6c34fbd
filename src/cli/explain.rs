//! `envsync explain`: the on-call card for one job.

use super::{Error, load_catalogue, now, print_styled};
use crate::render::templates::Templates;
use std::path::Path;

pub fn run(job: &str, env: &str, catalogue: &Path) -> Result<(), Error> {
    let plan = load_catalogue(catalogue)?;
    let templates = Templates::load(None)?;
    let card = crate::render::explain::card(&plan, &templates, env, job, now()?)
        .map_err(|e| Error::Usage(e.to_string()))?;
    print_styled(crate::render::explain::styled(&card))
}
