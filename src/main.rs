use clap::Parser;
use envsync::cli::{Cli, run};
use envsync::model::diagnostic::escape_controls;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        // Problems in a file were printed as they were found.
        // A message may quote a file or an argument: escaped for the terminal.
        Err(e) => {
            eprintln!("error: {}", escape_controls(&e.to_string()));
            e.exit_code()
        }
    }
}
