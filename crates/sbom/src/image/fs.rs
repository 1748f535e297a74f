//! The image's file system, reduced to the files chainproof reads: layers are streamed in order
//! and applied with their whiteouts (`.wh.<name>` deletes `<name>` from the layers below,
//! `.wh..wh..opq` empties a directory of what the layers below put there); only the paths that
//! matter are kept, with their contents (or, for executables, what searching them found).
//!
//! A hard link shares its target's contents (no copy). A hard link at a kept path whose target
//! was not kept (uv and pnpm install through hard links into their caches, which are not kept)
//! waits for a second pass over the same layer ([`Fs::resolve_links`]: tar requires the target
//! to be in the same archive); one that still cannot be read is a [`Node::Unread`] error.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::Arc;

use super::archive::normalise;
use super::gobuild::{self, Scan};
use crate::readers;

/// A kept file's contents are capped at this size (the largest dpkg status files are a few MiB).
pub const MAX_KEPT_FILE: u64 = 64 * 1024 * 1024;
/// All kept contents together.
pub const MAX_KEPT_TOTAL: u64 = 1024 * 1024 * 1024;
/// Entries in all layers together.
pub const MAX_ENTRIES: u64 = 5_000_000;
/// Symbolic links followed when resolving one path (the kernel's limit is 40).
pub const MAX_LINK_HOPS: usize = 40;

/// Which reader a kept file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    OsRelease,
    DpkgStatus,
    Apk,
    /// An rpm database: found, but chainproof has no reader for it.
    RpmDb,
    PyMetadata,
    NpmPackage,
    Lockfile,
    Executable,
}

/// What is kept of one path.
#[derive(Debug, Clone)]
pub enum Node {
    /// The contents of a file to parse (shared by the hard links to it).
    File(Kind, Arc<[u8]>),
    /// A file over [`MAX_KEPT_FILE`] (its size): reported, not read.
    TooLarge(Kind, u64),
    /// A file whose contents are not needed (an rpm database).
    Present(Kind),
    /// What searching an executable found (never `NotGo`: those are not kept).
    Go(Scan),
    /// A symbolic link at a kept path: its target, normalised from the image root.
    Symlink(String),
    /// A kept path that could not be read (why): reported, never skipped.
    Unread(Kind, String),
}

/// A hard link at a kept path whose target was not kept: the target's contents are fetched by a
/// second pass over the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLink {
    pub target: String,
    pub kind: Kind,
}

/// The kept paths (relative to the image root, no leading `/`).
#[derive(Debug, Default)]
pub struct Fs {
    pub nodes: BTreeMap<String, Node>,
    /// Hard links of the last layer applied waiting for [`Fs::resolve_links`] (link path ->
    /// target).
    pub pending: BTreeMap<String, PendingLink>,
    entries: u64,
    kept: u64,
}

/// Which kept kind `path` is, for a regular file with `mode`.
pub fn classify(path: &str, mode: u32) -> Option<Kind> {
    let segments: Vec<&str> = path.split('/').collect();
    let name = *segments.last()?;
    let parent = segments
        .len()
        .checked_sub(2)
        .and_then(|i| segments.get(i))
        .copied();
    let grandparent = segments
        .len()
        .checked_sub(3)
        .and_then(|i| segments.get(i))
        .copied();
    match path {
        "etc/os-release" | "usr/lib/os-release" => return Some(Kind::OsRelease),
        "var/lib/dpkg/status" => return Some(Kind::DpkgStatus),
        "lib/apk/db/installed" | "usr/lib/apk/db/installed" => return Some(Kind::Apk),
        "var/lib/rpm/Packages"
        | "var/lib/rpm/rpmdb.sqlite"
        | "usr/lib/sysimage/rpm/Packages"
        | "usr/lib/sysimage/rpm/Packages.db"
        | "usr/lib/sysimage/rpm/rpmdb.sqlite"
        | "usr/share/rpm/Packages"
        | "usr/share/rpm/rpmdb.sqlite" => return Some(Kind::RpmDb),
        _ => {}
    }
    if path.starts_with("var/lib/dpkg/status.d/")
        && segments.len() == 5
        && !name.ends_with(".md5sums")
    {
        return Some(Kind::DpkgStatus);
    }
    let in_site = grandparent.is_some_and(|g| g == "site-packages" || g == "dist-packages");
    if in_site
        && ((name == "METADATA" && parent.is_some_and(|p| p.ends_with(".dist-info")))
            || (name == "PKG-INFO" && parent.is_some_and(|p| p.ends_with(".egg-info"))))
    {
        return Some(Kind::PyMetadata);
    }
    if name == "package.json" {
        let n = segments.len();
        let plain = n >= 3 && segments.get(n - 3) == Some(&"node_modules");
        let scoped = n >= 4
            && segments.get(n - 4) == Some(&"node_modules")
            && segments.get(n - 3).is_some_and(|s| s.starts_with('@'));
        let inner = parent.is_some_and(|p| p.starts_with('@') || p == "node_modules");
        return (!inner && (plain || scoped)).then_some(Kind::NpmPackage);
    }
    // Lockfiles of the image's applications; not those shipped inside installed packages or
    // package-manager caches (a module cache holds thousands of other projects' files).
    let cached = segments
        .iter()
        .any(|s| *s == "node_modules" || *s == ".git")
        || path.contains("/registry/src/")
        || path.contains("pkg/mod/")
        || path.contains("site-packages/")
        || path.contains("dist-packages/");
    if !cached && readers::is_lockfile(name) {
        return Some(Kind::Lockfile);
    }
    (mode & 0o111 != 0).then_some(Kind::Executable)
}

/// What one layer does to the layers below it, collected before it is applied.
#[derive(Default)]
struct Changes {
    /// Paths whiteouts delete (with everything under them).
    deleted: Vec<String>,
    /// Directories made opaque (everything the layers below put under them is hidden).
    opaque: Vec<String>,
    /// Every path the layer puts something at, and whether it is a directory (a file there
    /// hides a directory below, a directory hides a file, two directories merge).
    replaced: Vec<(String, bool)>,
    /// Kept nodes, later entries of the same path winning.
    added: BTreeMap<String, Node>,
    /// Hard links whose target was not kept (link path -> target).
    links: BTreeMap<String, PendingLink>,
    /// Executables of this layer searched and found not to be Go programs: a hard link to one
    /// needs no second look.
    not_go: BTreeSet<String>,
}

impl Fs {
    /// Apply one layer (an uncompressed tar stream). Errors describe the problem; the caller
    /// names the layer. When [`Fs::pending`] is not empty afterwards, the caller streams the same
    /// layer again through [`Fs::resolve_links`].
    pub fn apply(&mut self, layer: impl Read) -> Result<(), String> {
        // Links of an earlier layer nobody resolved are not read (fail closed).
        self.unresolved("the image was not read a second time");
        let mut archive = tar::Archive::new(layer);
        let mut ch = Changes::default();
        let entries = archive
            .entries()
            .map_err(|e| format!("not a tar stream: {e}"))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| format!("corrupt tar stream: {e}"))?;
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return Err(format!(
                    "more than {MAX_ENTRIES} files in the image's layers"
                ));
            }
            let raw = entry
                .path()
                .map_err(|e| format!("corrupt tar stream: {e}"))?
                .to_string_lossy()
                .into_owned();
            // `..` in a layer is hostile; nothing is written, so it is just not a path we keep.
            let Some(path) = normalise(&raw) else {
                continue;
            };
            if path.is_empty() {
                continue;
            }
            let (dir, name) = match path.rsplit_once('/') {
                Some((d, n)) => (d, n),
                None => ("", path.as_str()),
            };
            if name == ".wh..wh..opq" {
                ch.opaque.push(dir.to_string());
                continue;
            }
            if let Some(hidden) = name.strip_prefix(".wh.") {
                ch.deleted.push(join(dir, hidden));
                continue;
            }
            let kind = entry.header().entry_type();
            ch.replaced.push((path.clone(), kind.is_dir()));
            // A later entry at the same path replaces an earlier one of this layer.
            ch.added.remove(&path);
            ch.links.remove(&path);
            let mode = entry.header().mode().unwrap_or(0);
            if kind.is_symlink() {
                if classify(&path, 0).is_some_and(|k| k != Kind::Executable) {
                    let target = entry
                        .link_name()
                        .ok()
                        .flatten()
                        .map(|t| t.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let base = if target.starts_with('/') { "" } else { dir };
                    if let Some(t) = normalise(&format!("{base}/{target}")) {
                        ch.added.insert(path, Node::Symlink(t));
                    }
                }
                continue;
            }
            if kind.is_hard_link() {
                let Some(link_kind) = classify(&path, mode) else {
                    continue;
                };
                let Some(target) = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .and_then(|t| normalise(&t.to_string_lossy()))
                else {
                    ch.added.insert(
                        path,
                        Node::Unread(link_kind, "a hard link without a target".into()),
                    );
                    continue;
                };
                let kept = ch.added.get(&target).or_else(|| self.nodes.get(&target));
                match kept {
                    // The same contents, shared; read as what the link's path is.
                    Some(Node::File(_, bytes)) => {
                        let node = Node::File(link_kind, Arc::clone(bytes));
                        ch.added.insert(path, node);
                    }
                    Some(n @ (Node::TooLarge(..) | Node::Present(_) | Node::Go(_))) => {
                        let node = retag(n.clone(), link_kind);
                        ch.added.insert(path, node);
                    }
                    _ if link_kind == Kind::Executable && ch.not_go.contains(&target) => {}
                    _ => {
                        ch.links.insert(
                            path,
                            PendingLink {
                                target,
                                kind: link_kind,
                            },
                        );
                    }
                }
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let Some(k) = classify(&path, mode) else {
                continue;
            };
            let size = entry.size();
            match self.read_entry(k, &path, size, &mut entry)? {
                Some(node) => {
                    ch.added.insert(path, node);
                }
                None => {
                    ch.not_go.insert(path);
                }
            }
        }
        self.pending = std::mem::take(&mut ch.links);
        self.commit(ch);
        Ok(())
    }

    /// What is kept of a regular file of kind `k`: `None` for an executable that is no Go program.
    fn read_entry(
        &mut self,
        k: Kind,
        path: &str,
        size: u64,
        entry: &mut impl Read,
    ) -> Result<Option<Node>, String> {
        let corrupt = |e: std::io::Error| format!("corrupt tar stream reading /{path}: {e}");
        Ok(Some(match k {
            Kind::RpmDb => Node::Present(k),
            Kind::Executable => {
                let mut magic = [0u8; 4];
                let mut got = 0;
                while got < magic.len() {
                    let n = entry
                        .read(magic.get_mut(got..).unwrap_or_default())
                        .map_err(corrupt)?;
                    if n == 0 {
                        return Ok(None);
                    }
                    got += n;
                }
                if magic != *b"\x7fELF" {
                    return Ok(None);
                }
                match gobuild::scan(magic.chain(entry)).map_err(corrupt)? {
                    Scan::NotGo => return Ok(None),
                    scan => Node::Go(scan),
                }
            }
            _ if size > MAX_KEPT_FILE => Node::TooLarge(k, size),
            _ => {
                let mut bytes = Vec::new();
                entry
                    .take(MAX_KEPT_FILE)
                    .read_to_end(&mut bytes)
                    .map_err(corrupt)?;
                self.kept += bytes.len() as u64;
                if self.kept > MAX_KEPT_TOTAL {
                    return Err(format!(
                        "the files to read add up to more than {} MiB",
                        MAX_KEPT_TOTAL >> 20
                    ));
                }
                Node::File(k, bytes.into())
            }
        }))
    }

    /// The second pass over the layer [`Fs::apply`] just applied (the same uncompressed tar
    /// stream): read the targets of [`Fs::pending`] hard links and keep them at the links' paths.
    /// Links whose target is not in the layer become [`Node::Unread`].
    pub fn resolve_links(&mut self, layer: impl Read) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // Target -> the links to it.
        let mut wanted: BTreeMap<String, Vec<(String, Kind)>> = BTreeMap::new();
        for (path, l) in &self.pending {
            wanted
                .entry(l.target.clone())
                .or_default()
                .push((path.clone(), l.kind));
        }
        let mut archive = tar::Archive::new(layer);
        let entries = archive
            .entries()
            .map_err(|e| format!("not a tar stream: {e}"))?;
        for entry in entries {
            if wanted.is_empty() {
                break;
            }
            let mut entry = entry.map_err(|e| format!("corrupt tar stream: {e}"))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let raw = entry
                .path()
                .map_err(|e| format!("corrupt tar stream: {e}"))?
                .to_string_lossy()
                .into_owned();
            let Some(links) = normalise(&raw).and_then(|p| wanted.remove(&p)) else {
                continue;
            };
            // Read once, preferably as contents (an executable's kind sorts last); the other links
            // share them.
            let Some(&(ref first_path, first_kind)) = links.iter().min_by_key(|l| l.1) else {
                continue;
            };
            let size = entry.size();
            let node = self.read_entry(first_kind, first_path, size, &mut entry)?;
            for (path, kind) in links {
                self.pending.remove(&path);
                match &node {
                    Some(n) => {
                        self.nodes.insert(path, retag(n.clone(), kind));
                    }
                    // No Go program (a link of kind Executable read as one): nothing to keep.
                    None if kind == Kind::Executable => {}
                    None => {
                        self.nodes.insert(
                            path,
                            Node::Unread(kind, "a hard link to an executable read as one".into()),
                        );
                    }
                }
            }
        }
        self.unresolved("its target is not a file in the same layer");
        Ok(())
    }

    /// Pending hard links that were not resolved become errors.
    fn unresolved(&mut self, why: &str) {
        for (path, l) in std::mem::take(&mut self.pending) {
            let msg = format!(
                "a hard link to /{}, which could not be read: {why}",
                l.target
            );
            self.nodes.insert(path, Node::Unread(l.kind, msg));
        }
    }

    /// Bytes of contents kept (hard links share their target's, so count nothing).
    pub fn kept_bytes(&self) -> u64 {
        self.kept
    }

    fn commit(&mut self, ch: Changes) {
        for d in ch.deleted {
            self.remove_tree(&d, true);
        }
        for d in ch.opaque {
            self.remove_tree(&d, false);
        }
        for (p, is_dir) in ch.replaced {
            self.nodes.remove(&p);
            if !is_dir {
                self.remove_tree(&p, false);
            }
        }
        self.nodes.extend(ch.added);
    }

    /// Remove everything under `dir` (and `dir` itself when `itself`).
    fn remove_tree(&mut self, dir: &str, itself: bool) {
        if itself {
            self.nodes.remove(dir);
        }
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }

    /// The contents of `path`, following kept symbolic links (bounded: a loop is no file).
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        let mut p = path.to_string();
        for _ in 0..MAX_LINK_HOPS {
            match self.nodes.get(&p)? {
                Node::File(_, bytes) => return Some(&bytes[..]),
                Node::Symlink(t) => p = t.clone(),
                _ => return None,
            }
        }
        None
    }

    /// Kept files of `kind` in path order: regular contents and the other node states.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = (&String, &Node)> {
        self.nodes.iter().filter(move |(_, n)| match n {
            Node::File(k, _) | Node::TooLarge(k, _) | Node::Present(k) | Node::Unread(k, _) => {
                *k == kind
            }
            Node::Go(_) => kind == Kind::Executable,
            Node::Symlink(_) => false,
        })
    }
}

/// `node` as read at a path of kind `kind` (a hard link shares its target's contents, but its
/// own path says what they are).
fn retag(node: Node, kind: Kind) -> Node {
    match node {
        Node::File(_, b) => Node::File(kind, b),
        Node::TooLarge(_, n) => Node::TooLarge(kind, n),
        Node::Present(_) => Node::Present(kind),
        Node::Unread(_, why) => Node::Unread(kind, why),
        n @ (Node::Go(_) | Node::Symlink(_)) => n,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(
            classify("var/lib/dpkg/status", 0o644),
            Some(Kind::DpkgStatus)
        );
        assert_eq!(
            classify("var/lib/dpkg/status.d/base", 0o644),
            Some(Kind::DpkgStatus)
        );
        assert_eq!(classify("var/lib/dpkg/status.d/base.md5sums", 0o644), None);
        assert_eq!(
            classify(
                "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                0o644
            ),
            Some(Kind::PyMetadata)
        );
        assert_eq!(
            classify("app/node_modules/@s/x/package.json", 0o644),
            Some(Kind::NpmPackage)
        );
        assert_eq!(
            classify("app/node_modules/x/package.json", 0o644),
            Some(Kind::NpmPackage)
        );
        assert_eq!(classify("app/node_modules/x/lib/package.json", 0o644), None);
        assert_eq!(classify("app/package.json", 0o644), None);
        assert_eq!(
            classify("app/package-lock.json", 0o644),
            Some(Kind::Lockfile)
        );
        assert_eq!(
            classify("app/node_modules/x/package-lock.json", 0o644),
            None
        );
        assert_eq!(
            classify("usr/local/bin/tool", 0o755),
            Some(Kind::Executable)
        );
        assert_eq!(classify("usr/share/doc/x/README", 0o644), None);
    }
}
