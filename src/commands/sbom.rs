//! `chainproof sbom`: find the lockfiles under a directory (gitignore-aware), read each, and write
//! one CycloneDX or SPDX document. A lockfile that cannot be read is reported (and recorded in the
//! document); the others are still inventoried, and the exit code is 2.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use chainproof_sbom::writers::{self, Format, Tool};
use chainproof_sbom::{Sbom, readers};

use crate::Outcome;
use crate::cli::SbomArgs;

pub fn run(args: SbomArgs) -> Result<Outcome> {
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let (root, files) = if args.path.is_file() {
        let dir = args.path.parent().unwrap_or(Path::new("")).to_path_buf();
        (dir, vec![args.path.clone()])
    } else if args.path.is_dir() {
        (args.path.clone(), discover(&args.path))
    } else {
        anyhow::bail!("{}: no such file or directory", args.path.display());
    };
    let mut lockfiles = Vec::new();
    let mut errors = Vec::new();
    for path in &files {
        let rel = relative(&root, path);
        match readers::read(path, &rel) {
            Ok(l) => lockfiles.push(l),
            Err(e) => errors.push(e),
        }
    }
    let dir_name = readers::dir_name(if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &root
    });
    let sbom = Sbom::build(&dir_name, lockfiles, errors);
    let created = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let text = writers::write(
        format,
        &sbom,
        &Tool {
            name: "chainproof",
            version: env!("CARGO_PKG_VERSION"),
        },
        created,
    );
    match &args.output {
        Some(p) => std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    if files.is_empty() {
        eprintln!(
            "warning: no lockfile found under {} (looked for {})",
            args.path.display(),
            readers::FILE_NAMES.join(", ")
        );
    }
    for e in &sbom.errors {
        eprintln!("error: {e}");
    }
    Ok(if sbom.errors.is_empty() {
        Outcome::Clean
    } else {
        Outcome::InputError
    })
}

/// Lockfiles under `dir`, honouring `.gitignore`, skipping `.git`, `target` and `node_modules`;
/// sorted.
fn discover(dir: &Path) -> Vec<std::path::PathBuf> {
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| {
            !matches!(
                e.file_name().to_str(),
                Some(".git" | "target" | "node_modules")
            )
        })
        .build();
    let mut out: Vec<_> = walker
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| e.file_name().to_str().is_some_and(readers::is_lockfile))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// `path` relative to `root`, `/`-separated.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
