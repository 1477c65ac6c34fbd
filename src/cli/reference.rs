//! `envsync schema`, `envsync completions` and `envsync man`: reference
//! material made from envsync's own definitions.

use super::{Cli, Error, print};
use clap::CommandFactory;
use std::path::Path;

/// The catalogue's JSON Schema.
pub fn schema() -> Result<(), Error> {
    print(crate::read::schema::SCHEMA)
}

/// A completion script for a shell.
pub fn completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "envsync", &mut script);
    print(script)
}

/// The page for envsync to standard output, or with a folder a page for
/// envsync and one for each command in it.
pub fn man(out: Option<&Path>) -> Result<(), Error> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .map_err(|e| Error::Usage(format!("cannot render the manual page: {e}")))?;
        return print(page);
    };
    let cannot =
        |e: std::io::Error| Error::Usage(format!("cannot write into {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let pages = std::iter::once(cmd.clone()).chain(cmd.get_subcommands().cloned());
    for page in pages {
        let path = clap_mangen::Man::new(page)
            .generate_to(dir)
            .map_err(cannot)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
