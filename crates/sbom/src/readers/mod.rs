//! One reader per lockfile format, registered in [`READERS`]. Each parses a file's text (never
//! running a package manager) into a [`Lockfile`](crate::Lockfile), or an
//! [`InputError`](crate::InputError) naming the file and position.
//!
//! Adding a format: a new `readers/<format>.rs` exporting `pub const READER: Reader`, one line
//! below, a fixture directory under `tests/fixtures/sbom/`, and, when the format has a manifest
//! that a lockfile completes, an entry in [`MANIFESTS`].

use std::path::{Path, PathBuf};

use crate::{InputError, Lockfile};

pub mod cargo;
pub mod composer_lock;
pub mod gemfile_lock;
pub mod gomod;
pub mod gradle;
pub mod maven;
pub mod mix_lock;
pub mod npm;
pub mod nuget;
pub mod pipfile;
pub mod pnpm;
pub mod poetry;
pub mod pubspec_lock;
pub mod python;
pub mod requirements;
pub mod swift;
pub mod uv;
pub mod yarn;

/// Every reader, tried in order; the first whose `matches` accepts a file name reads it.
pub const READERS: &[Reader] = &[
    cargo::READER,
    npm::READER,
    yarn::READER,
    pnpm::READER,
    gomod::READER,
    gemfile_lock::READER,
    composer_lock::READER,
    pubspec_lock::READER,
    mix_lock::READER,
    nuget::READER,
    gradle::READER,
    maven::READER,
    swift::READER,
    requirements::READER,
    poetry::READER,
    uv::READER,
    pipfile::READER,
];

/// Manifests and the lockfiles that complete them. A manifest with none of its lockfiles in its
/// own directory or any directory above it (up to the inventoried root: workspaces keep one
/// lockfile at the top) is reported: its dependencies are not in the SBOM.
pub const MANIFESTS: &[(&str, &[&str])] = &[
    ("Cargo.toml", &["Cargo.lock"]),
    (
        "package.json",
        &[
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
        ],
    ),
    ("pyproject.toml", &["poetry.lock", "uv.lock", "pdm.lock"]),
    ("Pipfile", &["Pipfile.lock"]),
    ("requirements.in", &["requirements.txt"]),
    ("Gemfile", &["Gemfile.lock"]),
    ("composer.json", &["composer.lock"]),
    ("pubspec.yaml", &["pubspec.lock"]),
    ("mix.exs", &["mix.lock"]),
    ("Package.swift", &["Package.resolved"]),
    ("build.gradle", &["gradle.lockfile"]),
    ("build.gradle.kts", &["gradle.lockfile"]),
    ("*.csproj", &["packages.lock.json"]),
    ("*.fsproj", &["packages.lock.json"]),
];

/// The lockfile names that complete a manifest of this file name (`*.csproj` patterns match by
/// suffix), or `None` when it is not a manifest.
pub fn manifest_locks(file_name: &str) -> Option<&'static [&'static str]> {
    MANIFESTS.iter().find_map(|(m, locks)| {
        let hit = match m.strip_prefix('*') {
            Some(suffix) => file_name.ends_with(suffix),
            None => file_name == *m,
        };
        hit.then_some(*locks)
    })
}

/// The largest file a reader accepts (the largest real lockfiles are tens of MiB).
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// A lockfile format.
#[derive(Clone, Copy)]
pub struct Reader {
    /// The format's name in messages (`yarn.lock`).
    pub format: &'static str,
    /// Whether a file of this name is in this format.
    pub matches: fn(file_name: &str) -> bool,
    /// Read one file.
    pub parse: fn(&Input<'_>) -> Result<Lockfile, InputError>,
}

/// One file to read, with access to the files beside it (manifests, `go.sum`, `-r` includes).
pub struct Input<'a> {
    /// Relative, `/`-separated path: the name in messages and the evidence in the SBOM.
    pub rel: &'a str,
    pub text: &'a str,
    /// The directory holding the file, on disk.
    pub dir: &'a Path,
    /// That directory's name: the fallback name of a project without one.
    pub dir_name: &'a str,
}

impl Input<'_> {
    /// The text of `name`, relative to this file's directory, when it exists and is readable
    /// (and within [`MAX_FILE_SIZE`]).
    pub fn sibling(&self, name: &str) -> Option<String> {
        read_capped(&self.dir.join(name)).ok()
    }

    /// The relative (output) path of `name` beside this file, `/`-separated.
    pub fn sibling_rel(&self, name: &str) -> String {
        match self.rel.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{name}"),
            None => name.to_string(),
        }
    }

    /// The on-disk path of `name` beside this file.
    pub fn sibling_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// An error at byte `offset` of this file.
    pub fn error_at(&self, offset: usize, message: impl std::fmt::Display) -> InputError {
        InputError::at(self.rel, self.text, offset, message)
    }

    /// An error about this whole file.
    pub fn error(&self, message: impl std::fmt::Display) -> InputError {
        InputError::file(self.rel, message)
    }
}

/// The reader for a file name, if any.
pub fn reader_for(file_name: &str) -> Option<&'static Reader> {
    READERS.iter().find(|r| (r.matches)(file_name))
}

/// Whether `file_name` is a lockfile some reader understands.
pub fn is_lockfile(file_name: &str) -> bool {
    reader_for(file_name).is_some()
}

/// The formats read, for messages.
pub fn formats() -> Vec<&'static str> {
    READERS.iter().map(|r| r.format).collect()
}

/// Read the lockfile at `path`; `rel` is its relative, `/`-separated name in the output.
pub fn read(path: &Path, rel: &str) -> Result<Lockfile, InputError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let reader = reader_for(name).ok_or_else(|| {
        InputError::file(
            rel,
            format!(
                "not a lockfile chainproof reads (expected one of: {})",
                formats().join(", ")
            ),
        )
    })?;
    let text = read_capped(path).map_err(|e| InputError::file(rel, e))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir_name = dir_name(dir);
    (reader.parse)(&Input {
        rel,
        text: &text,
        dir,
        dir_name: &dir_name,
    })
}

/// A file's text, refusing files over [`MAX_FILE_SIZE`] and text that is not UTF-8.
pub fn read_capped(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!(
            "{} bytes is over the {} MiB limit for a lockfile",
            meta.len(),
            MAX_FILE_SIZE / (1024 * 1024)
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// The last component of a directory (the fallback name of a project without one).
pub fn dir_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string())
}
