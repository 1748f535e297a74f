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
    // `pdm.lock` has no reader yet: a PDM project is reported as a manifest without a lockfile.
    ("pyproject.toml", &["poetry.lock", "uv.lock"]),
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

/// A file's text, refusing anything but a regular file (a `package.json -> /dev/zero` symlink or
/// a FIFO beside a lockfile must not hang or exhaust memory), files over [`MAX_FILE_SIZE`], and text
/// that is not UTF-8. A leading byte-order mark (Visual Studio, PowerShell) is dropped.
pub fn read_capped(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large(bytes.len() as u64));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

fn too_large(len: u64) -> String {
    format!(
        "{len} bytes is over the {} MiB limit for a lockfile",
        MAX_FILE_SIZE / (1024 * 1024)
    )
}

/// The last component of a directory (the fallback name of a project without one).
pub fn dir_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every lockfile under `tests/fixtures/sbom/`, cut at many points and with bytes flipped,
    /// is read by its reader without a panic: a truncated or corrupt lockfile is an error (or a
    /// smaller inventory), never a crash.
    #[test]
    fn only_regular_files_are_read_and_a_bom_is_dropped() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            read_capped(tmp.path()).expect_err("a directory"),
            "not a regular file"
        );
        #[cfg(unix)]
        {
            let link = tmp.path().join("package.json");
            std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
            assert_eq!(
                read_capped(&link).expect_err("a device"),
                "not a regular file"
            );
        }
        let bom = tmp.path().join("packages.lock.json");
        std::fs::write(&bom, "\u{feff}{}").expect("write");
        assert_eq!(read_capped(&bom).expect("reads"), "{}");
    }

    #[test]
    fn damaged_fixture_lockfiles_never_panic() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sbom");
        let mut files = Vec::new();
        let mut stack = vec![fixtures];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("fixture dir").flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_lockfile)
                {
                    files.push(p);
                }
            }
        }
        files.sort();
        assert!(
            files.len() >= 25,
            "found only {} fixture lockfiles",
            files.len()
        );
        let mut readers_seen = std::collections::BTreeSet::new();
        for path in &files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let reader = reader_for(name).expect("a reader");
            readers_seen.insert(reader.format);
            let text = std::fs::read_to_string(path).expect("utf-8 fixture");
            let dir = path.parent().expect("parent");
            let parse = |t: &str| {
                let input = Input {
                    rel: name,
                    text: t,
                    dir,
                    dir_name: "d",
                };
                let outcome = std::panic::catch_unwind(|| (reader.parse)(&input).is_ok());
                assert!(
                    outcome.is_ok(),
                    "{}: panicked on {} bytes",
                    path.display(),
                    t.len()
                );
            };
            parse(&text);
            let step = (text.len() / 97).max(1);
            let mut cut = 0;
            while cut < text.len() {
                if text.is_char_boundary(cut) {
                    parse(&text[..cut]);
                    // Flip one ASCII byte into a structural character.
                    let mut damaged = text.clone().into_bytes();
                    if damaged[cut].is_ascii() {
                        damaged[cut] = b"{[\":,\n "[cut % 7];
                        if let Ok(d) = String::from_utf8(damaged) {
                            parse(&d);
                        }
                    }
                }
                cut += step;
            }
        }
        assert_eq!(
            readers_seen.len(),
            READERS.len(),
            "a reader has no fixture: read {readers_seen:?}"
        );
    }
}
