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
        return super::sbom_diff::run(command);
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
    let text = writers::write(format, &sbom, &tool(), source_date_epoch());
    match &args.output {
        Some(p) => std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
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
    Ok(
        if !sbom.errors.is_empty() || (args.strict && !sbom.unlocked.is_empty()) {
            Outcome::InputError
        } else {
            Outcome::Clean
        },
    )
}

/// This binary, as the SBOM's tool.
pub fn tool() -> Tool<'static> {
    Tool {
        name: "chainproof",
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// The creation time for reproducible builds: `SOURCE_DATE_EPOCH`, else the Unix epoch.
pub fn source_date_epoch() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}
