//! Find every lockfile and manifest under a directory (gitignore-aware, `exclude` globs from
//! `chainproof.yml`), read the lockfiles in parallel, and merge them into one [`Sbom`]. A lockfile
//! that cannot be read is an error in the SBOM; the others are still inventoried. Manifests that
//! no lockfile completes are listed in [`Sbom::unlocked`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chainproof_core::glob::glob_regex;
use rayon::prelude::*;

use crate::readers::{self, manifest_locks};
use crate::{InputError, Sbom};

/// What [`inventory`] looked at.
#[derive(Debug, Default)]
pub struct Found {
    /// Lockfiles some reader understands.
    pub lockfiles: Vec<PathBuf>,
    /// Manifests no lockfile completes, relative paths.
    pub unlocked: Vec<String>,
}

/// Directories never searched: VCS metadata, build output and installed packages (an installed
/// tree is not the project's lockfile; container images are read separately).
const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules", ".venv", "vendor"];

/// Inventory `path`: a directory (searched) or a single lockfile. `exclude` globs are relative to
/// `path` (a directory) and skip files during discovery.
pub fn inventory(path: &Path, exclude: &[String]) -> Result<Sbom, InputError> {
    let shown = path.display().to_string();
    let (root, found) = if path.is_file() {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let found = Found {
            lockfiles: vec![path.to_path_buf()],
            unlocked: Vec::new(),
        };
        (dir, found)
    } else if path.is_dir() {
        (path.to_path_buf(), discover(path, exclude))
    } else {
        return Err(InputError::file(&shown, "no such file or directory"));
    };
    let results: Vec<_> = found
        .lockfiles
        .par_iter()
        .map(|p| readers::read(p, &relative(&root, p)))
        .collect();
    let mut lockfiles = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(l) => lockfiles.push(l),
            Err(e) => errors.push(e),
        }
    }
    errors.sort_by(|a, b| a.file.cmp(&b.file));
    let dir_name = readers::dir_name(if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &root
    });
    let mut sbom = Sbom::build(&dir_name, lockfiles, errors);
    sbom.unlocked = found.unlocked;
    Ok(sbom)
}

/// Lockfiles and unlocked manifests under `dir`, sorted.
pub fn discover(dir: &Path, exclude: &[String]) -> Found {
    let exclude: Vec<_> = exclude.iter().map(|p| glob_regex(p)).collect();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SKIP_DIRS.contains(&n)))
        })
        .build();
    let mut lockfiles = Vec::new();
    let mut manifests = Vec::new();
    // Every file a manifest could be completed by (read or not), relative.
    let mut present: BTreeSet<String> = BTreeSet::new();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            continue;
        };
        let rel = relative(dir, entry.path());
        if exclude.iter().any(|re| re.is_match(&rel)) {
            continue;
        }
        if readers::is_lockfile(name) {
            lockfiles.push(entry.path().to_path_buf());
        }
        if let Some(locks) = manifest_locks(name) {
            manifests.push((rel.clone(), locks));
        }
        present.insert(rel);
    }
    lockfiles.sort();
    let completed = |manifest: &str, locks: &[&str]| {
        let mut dir = manifest.rsplit_once('/').map(|(d, _)| d);
        loop {
            let prefix = dir.map(|d| format!("{d}/")).unwrap_or_default();
            if locks
                .iter()
                .any(|l| present.contains(&format!("{prefix}{l}")))
            {
                return true;
            }
            match dir {
                None => return false,
                Some(d) => dir = d.rsplit_once('/').map(|(p, _)| p),
            }
        }
    };
    let mut unlocked: Vec<String> = manifests
        .into_iter()
        .filter(|(m, locks)| !completed(m, locks))
        .map(|(m, _)| m)
        .collect();
    unlocked.sort();
    Found {
        lockfiles,
        unlocked,
    }
}

/// `path` relative to `root`, `/`-separated.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_completed_by_a_lockfile_here_or_above() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let d = tmp.path();
        for (f, text) in [
            ("Cargo.toml", "[workspace]\n"),
            ("Cargo.lock", "version = 4\n"),
            ("crates/a/Cargo.toml", "[package]\nname = \"a\"\n"),
            ("web/package.json", "{}"),
            ("py/pyproject.toml", "[project]\nname = \"p\"\n"),
            ("py/uv.lock", "version = 1\n"),
            ("svc/pyproject.toml", "[project]\nname = \"s\"\n"),
            ("skip/package.json", "{}"),
            ("node_modules/x/package.json", "{}"),
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let found = discover(d, &["skip/**".to_string()]);
        assert_eq!(found.unlocked, ["svc/pyproject.toml", "web/package.json"]);
        assert_eq!(
            found.lockfiles,
            [d.join("Cargo.lock"), d.join("py/uv.lock")]
        );
    }
}
