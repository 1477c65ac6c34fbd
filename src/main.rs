use clap::Parser;
use envsync::cli::{Cli, Error, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        // Problems in a file were printed as they were found.
        Err(e @ Error::Invalid { .. }) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
