//! `chainproof sbom`: inventory a directory (or one lockfile) with `chainproof_sbom::inventory` and
//! write one CycloneDX or SPDX document. A lockfile that cannot be read is reported on stderr and
//! recorded in the document; the others are still inventoried, and the exit code is 2. Manifests
//! without a lockfile are warnings (errors with `--strict`).

use std::io::Write;

use anyhow::{Context, Result};
use chainproof_core::config::Config;
use chainproof_sbom::writers::{self, Format, Tool};
use chainproof_sbom::{inventory, readers};

use crate::Outcome;
use crate::cli::SbomArgs;

pub fn run(args: SbomArgs) -> Result<Outcome> {
    if let Some(command) = &args.command {
        return super::sbom_diff::run(command, args.deterministic);
    }
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let sbom = match &args.image {
        // A container image (`--image`): nothing is discovered, so config excludes do not apply.
        Some(image) => chainproof_sbom::image::inventory(image)?,
        None => {
            let exclude = if args.path.is_dir() {
                Config::discover(&args.path)?.0.exclude
            } else {
                Vec::new()
            };
            inventory::inventory(&args.path, &exclude)?
        }
    };
    emit(
        format,
        &sbom,
        created(args.deterministic),
        args.output.as_deref(),
    )?;
    if let (Some(image), true) = (&args.image, sbom.files.is_empty() && sbom.errors.is_empty()) {
        eprintln!(
            "warning: no package database, installed package or lockfile found in {}",
            image.display()
        );
    } else if sbom.files.is_empty() && sbom.errors.is_empty() {
        eprintln!(
            "warning: no lockfile found under {} (looked for {})",
            args.path.display(),
            readers::formats().join(", ")
        );
    }
    for m in &sbom.unlocked {
        eprintln!("warning: {m}: manifest without a lockfile; its dependencies are not listed");
    }
    for e in &sbom.errors {
        eprintln!("error: {e}");
    }
    let outcome = if !sbom.errors.is_empty() || (args.strict && !sbom.unlocked.is_empty()) {
        Outcome::InputError
    } else {
        Outcome::Clean
    };
    // The process ends next: freeing a large graph piece by piece (tens of thousands of
    // components, each with its sets and strings) took a sixth of the run time on a 50,000
    // component monorepo, for memory the OS reclaims at exit anyway.
    std::mem::forget(sbom);
    Ok(outcome)
}

/// Write the document to `output` (a file) or standard output, streaming.
pub fn emit(
    format: Format,
    sbom: &chainproof_sbom::Sbom,
    created: u64,
    output: Option<&std::path::Path>,
) -> Result<()> {
    match output {
        Some(p) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(p).with_context(|| format!("writing {}", p.display()))?,
            );
            writers::write_to(format, sbom, &tool(), created, &mut f)
                .and_then(|()| f.flush())
                .with_context(|| format!("writing {}", p.display()))?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            writers::write_to(format, sbom, &tool(), created, &mut out)
                .and_then(|()| out.flush())
                .context("writing to standard output")?;
        }
    }
    Ok(())
}

/// This binary, as the SBOM's tool.
pub fn tool() -> Tool<'static> {
    Tool {
        name: "chainproof",
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// The document's creation time: `SOURCE_DATE_EPOCH` when set (reproducible builds); otherwise
/// now, or the Unix epoch with `--deterministic`.
pub fn created(deterministic: bool) -> u64 {
    let fixed = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok());
    match fixed {
        Some(t) => t,
        None if deterministic => 0,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    }
}
