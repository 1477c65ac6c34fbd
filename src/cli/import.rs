//! `envsync import`: a catalogue from a db-backup values file.

use super::{Error, Format, invalid, print, read};
use crate::output::{self, File};
use crate::{import, rules, values, yaml};
use std::path::{Path, PathBuf};

pub fn run(
    values_path: &Path,
    output: Option<&Path>,
    rules_dir: Option<&Path>,
    keep_invalid_schedules: bool,
) -> Result<(), Error> {
    let text = read(values_path)?;
    let imported = if keep_invalid_schedules {
        values::import_keeping_invalid_schedules(values_path, &text)
    } else {
        values::import(values_path, &text)
    };
    let mut plan = match imported {
        Ok(plan) => plan,
        Err(problems) => return Err(invalid(values_path, text, problems, Format::Human)),
    };
    if let Some(dir) = rules_dir {
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
            let name = path
                .file_name()
                .map(PathBuf::from)
                .ok_or_else(|| Error::Usage(format!("{} is not a file name", path.display())))?;
            output::write_all(dir, &[File::new(name, contents)])?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
        None => print(contents),
    }
}
