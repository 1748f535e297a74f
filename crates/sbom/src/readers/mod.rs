//! One reader per lockfile format. Each parses the file's text (never running a package manager)
//! into a [`Lockfile`](crate::Lockfile), or an [`InputError`](crate::InputError) naming the file
//! and position.

use std::path::Path;

use crate::{InputError, Lockfile};

pub mod cargo;
pub mod npm;

/// The lockfile formats chainproof reads, by file name.
pub const FILE_NAMES: &[&str] = &["Cargo.lock", "package-lock.json", "npm-shrinkwrap.json"];

/// Whether `file_name` is a lockfile some reader understands.
pub fn is_lockfile(file_name: &str) -> bool {
    FILE_NAMES.contains(&file_name)
}

/// Read the lockfile at `path`; `rel` is its relative, `/`-separated name in the output.
pub fn read(path: &Path, rel: &str) -> Result<Lockfile, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::file(rel, format!("cannot read: {e}")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    match path.file_name().and_then(|n| n.to_str()) {
        Some("Cargo.lock") => {
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok();
            cargo::parse(rel, &text, manifest.as_deref(), &dir_name(dir))
        }
        Some("package-lock.json" | "npm-shrinkwrap.json") => {
            let manifest = std::fs::read_to_string(dir.join("package.json")).ok();
            npm::parse(rel, &text, manifest.as_deref(), &dir_name(dir))
        }
        _ => Err(InputError::file(
            rel,
            format!(
                "not a lockfile chainproof reads (expected one of: {})",
                FILE_NAMES.join(", ")
            ),
        )),
    }
}

/// The last component of a directory (the fallback name of a project without one).
pub fn dir_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string())
}
