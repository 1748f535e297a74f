//! `chainproof sbom merge` and `chainproof sbom diff`: SBOM documents (CycloneDX JSON, SPDX JSON)
//! read back with `chainproof_sbom::document`, then merged into one document or compared. A
//! document that cannot be read is an error naming the file (and line and column for malformed
//! JSON): exit code 2. `diff` exits 1 when the documents differ, like `diff(1)`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use chainproof_sbom::document;
use chainproof_sbom::writers::{self, Format};

use super::sbom::{source_date_epoch, tool};
use crate::Outcome;
use crate::cli::{SbomCommand, SbomDiffArgs, SbomMergeArgs};

pub fn run(command: &SbomCommand) -> Result<Outcome> {
    match command {
        SbomCommand::Merge(args) => merge(args),
        SbomCommand::Diff(args) => diff(args),
    }
}

fn read(path: &Path) -> Result<chainproof_sbom::Sbom> {
    Ok(document::read_path(path, &path.display().to_string())?)
}

fn merge(args: &SbomMergeArgs) -> Result<Outcome> {
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let docs = args
        .inputs
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>>>()?;
    let sbom = document::merge(&args.name, docs);
    let text = writers::write(format, &sbom, &tool(), source_date_epoch());
    match &args.output {
        Some(p) => std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(Outcome::Clean)
}

fn diff(args: &SbomDiffArgs) -> Result<Outcome> {
    let old = read(&args.old)?;
    let new = read(&args.new)?;
    let d = document::diff(&old, &new);
    let text = if args.format == "json" {
        d.to_json()
    } else {
        d.to_text()
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if d.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}
