//! `envsync validate`: a catalogue against its schema and its meaning.

use super::{Error, Format, invalid, read};
use crate::read::catalogue;
use std::path::Path;

pub fn run(path: &Path, format: Format) -> Result<(), Error> {
    let text = read(path)?;
    match catalogue::load(path, &text) {
        Ok(plan) => {
            let jobs = plan.jobs().count();
            let envs = plan.environments.len();
            eprintln!(
                "{}: valid ({jobs} jobs in {envs} environments)",
                path.display()
            );
            Ok(())
        }
        Err(problems) => Err(invalid(path, text, problems, format)),
    }
}
