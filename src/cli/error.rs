//! Why a command failed.

use crate::chart;
use crate::model::diagnostic::Diagnostics;
use crate::output;
use crate::render::templates::TemplateError;
use crate::render::{manifests, rules};
use std::path::PathBuf;
use std::process::ExitCode;

/// Why a command failed; each knows its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] output::WriteError),
    #[error("{0}")]
    Usage(String),
    /// Lint found something at or above `--fail-on` (already printed).
    #[error("{0}")]
    Findings(String),
    #[error("{} problem(s) in {}", .problems.0.len(), .path.display())]
    Invalid {
        path: PathBuf,
        text: String,
        problems: Diagnostics,
    },
    #[error("cannot write YAML: {0}")]
    Yaml(#[from] serde_saphyr::SerializeError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Manifest(#[from] manifests::ManifestError),
    #[error(transparent)]
    Checkout(#[from] chart::CheckoutError),
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    #[error("the checkout differs from the catalogue")]
    Drift,
    #[error(transparent)]
    Rules(#[from] rules::RulesError),
    #[error(transparent)]
    RulesImport(#[from] crate::read::rules::ImportError),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Invalid { .. } | Error::Drift | Error::Findings(_) => ExitCode::from(1),
            _ => ExitCode::from(2),
        }
    }
}
