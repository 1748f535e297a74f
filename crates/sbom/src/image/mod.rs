//! Container images: `docker save` tarballs and OCI image layouts (directories or tarballs).
//!
//! [`archive`] finds the image's layers (manifests, indexes, platforms; digests verified), [`fs`]
//! streams the layers in order, applying whiteouts, and keeps only the files chainproof reads
//! (nothing is extracted to disk). Those are then read: OS packages ([`os`]: dpkg, apk), installed
//! language packages ([`lang`]: Python distributions, `node_modules`), the lockfiles the
//! [`readers`](crate::readers) understand, and Go build information in executables
//! ([`gobuild`]). What is found but cannot be read (an rpm database, a file over a limit, Go build
//! information in an old format) is an error in the SBOM, never silently skipped.
//!
//! The root component is the image: `pkg:oci/<name>@<manifest digest>` with `repository_url`,
//! `tag` and `arch` qualifiers when the image records them. OS and installed packages are its
//! direct dependencies; a lockfile's project and a Go program's main module are too, with their
//! own dependencies below them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::purl::build;
use crate::readers::{self, Input};
use crate::{Component, Ecosystem, InputError, Lockfile, Sbom, Scope};

pub mod archive;
pub mod fs;
pub mod gobuild;
pub mod lang;
pub mod os;

use archive::{Compression, Image, Layer, Store, Verify};
use fs::{Fs, Kind, Node};
use gobuild::Scan;

/// Bytes decompressed from one image's layers, all passes together: a decompression bomb (a
/// few MiB of gzip that inflate to terabytes) stops here instead of costing hours of CPU. The
/// largest real images (CUDA, PyTorch) are tens of GiB.
pub const MAX_DECOMPRESSED: u64 = 64 << 30;

/// Inventory the image at `path` (a tarball, or an OCI layout directory). A corrupt archive,
/// manifest or layer is an error naming the file and the layer; files inside the image that
/// cannot be read are errors in the returned SBOM.
pub fn inventory(path: &Path) -> Result<Sbom, InputError> {
    inventory_within(path, MAX_DECOMPRESSED)
}

/// [`inventory`] decompressing at most `budget` bytes.
fn inventory_within(path: &Path, mut budget: u64) -> Result<Sbom, InputError> {
    let shown = path.display().to_string();
    let store = Store::open(path).map_err(|e| InputError::file(&shown, e))?;
    let image = archive::image(&store).map_err(|e| InputError::file(&shown, e))?;
    let mut fs = Fs::default();
    for (i, layer) in image.layers.iter().enumerate() {
        let named = |e: String| InputError::file(&shown, format!("{}: {e}", layer.label(i)));
        stream(&store, layer, &mut budget, |r| fs.apply(r)).map_err(named)?;
        if !fs.pending.is_empty() {
            // Hard links into paths that were not kept (uv's and pnpm's caches): read the layer
            // again for their targets.
            stream(&store, layer, &mut budget, |r| fs.resolve_links(r)).map_err(named)?;
        }
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.clone());
    Ok(read_files(&image, &fs, &file_name))
}

/// Stream one layer, decompressed by magic number, through `f`; then check its digest. Every
/// decompressed byte counts against `budget`.
fn stream(
    store: &Store,
    layer: &Layer,
    budget: &mut u64,
    f: impl FnOnce(&mut dyn Read) -> Result<(), String>,
) -> Result<(), String> {
    let blob = store.open_blob(&layer.name)?;
    let mut raw = BufReader::new(blob);
    let compression = archive::sniff(&mut raw).map_err(|e| format!("cannot read: {e}"))?;
    let mut verify = Verify::new(raw, layer.digest.as_ref().map(|d| d.alg));
    let (result, over) = match compression {
        Compression::None => Capped::run(&mut verify, budget, f),
        Compression::Gzip => {
            let (r, over) = Capped::run(MultiGzDecoder::new(&mut verify), budget, f);
            (r.map_err(|e| format!("gzip: {e}")), over)
        }
        Compression::Zstd => {
            let z = archive::Zstd::new(BufReader::new(&mut verify))
                .map_err(|e| format!("zstd: {e}"))?;
            let (r, over) = Capped::run(z, budget, f);
            (r.map_err(|e| format!("zstd: {e}")), over)
        }
    };
    if over {
        return Err(format!(
            "more than {} GiB decompressed from the image's layers: not read further (a decompression bomb?)",
            MAX_DECOMPRESSED >> 30
        ));
    }
    result?;
    let actual = verify.finish().map_err(|e| format!("cannot read: {e}"))?;
    if let (Some(want), Some(actual)) = (&layer.digest, actual) {
        if want.hex != actual {
            return Err(format!(
                "content does not match the digest (it is {}:{actual}): the image is corrupt",
                want.alg.name()
            ));
        }
    }
    Ok(())
}

/// A reader failing once more than `left` bytes have passed through it.
struct Capped<R> {
    inner: R,
    left: u64,
    over: bool,
}

impl<R: Read> Capped<R> {
    /// `f` over `inner`, `budget` reduced by what was read; whether the budget ran out.
    fn run(
        inner: R,
        budget: &mut u64,
        f: impl FnOnce(&mut dyn Read) -> Result<(), String>,
    ) -> (Result<(), String>, bool) {
        let mut c = Capped {
            inner,
            left: *budget,
            over: false,
        };
        let r = f(&mut c);
        *budget = c.left;
        (r, c.over)
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => {
                self.over = true;
                Err(io::Error::other("the decompressed size limit was reached"))
            }
        }
    }
}

/// `repository` (registry host included) and tag of a reference; Docker Hub names completed
/// (`nginx` -> `docker.io/library/nginx`).
fn parse_ref(r: &str) -> Option<(String, Option<String>)> {
    let r = r.split('@').next()?.trim();
    if r.is_empty() {
        return None;
    }
    let last_slash = r.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match r.get(last_slash..)?.rfind(':') {
        Some(i) => (
            r.get(..last_slash + i)?,
            Some(r.get(last_slash + i + 1..)?.to_string()),
        ),
        None => (r, None),
    };
    let first = repo.split('/').next()?;
    let repo = if !repo.contains('/') {
        format!("docker.io/library/{repo}")
    } else if !(first.contains('.') || first.contains(':') || first == "localhost") {
        format!("docker.io/{repo}")
    } else {
        repo.to_string()
    };
    Some((repo.to_ascii_lowercase(), tag))
}

/// The image as the SBOM's root component.
fn root(image: &Image, file_name: &str, os: &os::OsRelease) -> Component {
    // A bare `org.opencontainers.image.ref.name` is a tag; references have a `/` or `:`.
    let full = image
        .refs
        .iter()
        .filter(|r| r.contains('/') || r.contains(':'))
        .find_map(|r| parse_ref(r));
    let bare_tag = image
        .refs
        .iter()
        .find(|r| !r.contains('/') && !r.contains(':'))
        .cloned();
    let (repo, tag) = match full {
        Some((repo, tag)) => (Some(repo), tag.or(bare_tag)),
        None => (None, bare_tag),
    };
    let name = match &repo {
        Some(r) => r.rsplit('/').next().unwrap_or(r).to_string(),
        None => {
            let stem = file_name
                .strip_suffix(".tar")
                .or_else(|| file_name.strip_suffix(".tar.gz"))
                .unwrap_or(file_name);
            stem.to_ascii_lowercase()
        }
    };
    let digest = image
        .manifest_digest
        .as_ref()
        .or(image.config_digest.as_ref())
        .map(|d| d.text())
        .unwrap_or_default();
    let mut c = Component::new(Ecosystem::Generic, &name, &digest, file_name);
    c.purl = build(
        "oci",
        None,
        &name,
        &digest,
        &[
            ("arch", image.arch.as_str()),
            ("repository_url", repo.as_deref().unwrap_or("")),
            ("tag", tag.as_deref().unwrap_or("")),
        ],
    );
    c.scope = Scope::Direct;
    c = c.property("image-format", image.format);
    c = c.property("image-layers", image.layers.len().to_string());
    if let Some(d) = &image.config_digest {
        c = c.property("image-config", d.text());
    }
    if image.manifest_digest.is_none() {
        // `docker save` before Docker 25 records no manifest: the version is the image ID.
        c = c.property(
            "image-digest",
            "image ID (config digest); no manifest digest recorded",
        );
    }
    if !image.os.is_empty() {
        c = c.property("image-platform", format!("{}/{}", image.os, image.arch));
    }
    if !os.pretty_name.is_empty() {
        c = c.property("os", os.pretty_name.clone());
    }
    c
}

/// Everything read from one group of files, hung under the image root.
fn part(
    path: &str,
    root: &Component,
    top: impl IntoIterator<Item = String>,
    components: Vec<Component>,
    edges: BTreeMap<String, BTreeSet<String>>,
) -> Lockfile {
    let mut edges = edges;
    edges.entry(root.purl.clone()).or_default().extend(top);
    Lockfile {
        path: path.to_string(),
        root: root.clone(),
        components,
        edges,
    }
}

/// A file's text, without a leading UTF-8 byte order mark (Windows editors write one; no
/// reader expects it).
fn text<'a>(rel: &str, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        InputError::file(
            rel,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

fn too_large(rel: &str, size: u64) -> InputError {
    InputError::file(
        rel,
        format!(
            "{size} bytes is over the {} MiB limit for a file read from an image; not read",
            fs::MAX_KEPT_FILE >> 20
        ),
    )
}

/// The group a language package belongs to: its `site-packages` directory, or its outermost
/// `node_modules`.
fn group_of(path: &str, marker: &str) -> String {
    match path.find(marker) {
        Some(i) => path.get(..i + marker.len()).unwrap_or(path).to_string(),
        None => path.to_string(),
    }
}

fn read_files(image: &Image, fs: &Fs, file_name: &str) -> Sbom {
    let os = fs
        .read("etc/os-release")
        .or_else(|| fs.read("usr/lib/os-release"))
        .map(|b| os::os_release(&String::from_utf8_lossy(b)))
        .unwrap_or_default();
    let root = root(image, file_name, &os);
    let mut parts: Vec<Lockfile> = Vec::new();
    let mut errors: Vec<InputError> = Vec::new();
    let mut python: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut npm: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (path, node) in &fs.nodes {
        let rel = format!("/{path}");
        let (kind, bytes) = match node {
            Node::File(kind, bytes) => (*kind, bytes),
            Node::TooLarge(_, size) => {
                errors.push(too_large(&rel, *size));
                continue;
            }
            Node::Present(_) => {
                errors.push(InputError::file(
                    &rel,
                    "rpm database not read: chainproof has no reader for rpm databases (Berkeley DB, ndb, SQLite), so the image's rpm packages are not listed",
                ));
                continue;
            }
            Node::Go(scan) => {
                match scan {
                    Scan::Found(info) => parts.push(go_part(&rel, &root, info)),
                    Scan::Unreadable(why) => errors.push(InputError::file(&rel, why)),
                    Scan::NotGo => {}
                }
                continue;
            }
            Node::Unread(_, why) => {
                errors.push(InputError::file(&rel, why));
                continue;
            }
            Node::Symlink(_) => continue,
        };
        let t = match text(&rel, bytes) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let result = match kind {
            Kind::OsRelease | Kind::RpmDb | Kind::Executable => continue,
            Kind::DpkgStatus => os::dpkg(&rel, t, &os).map(|p| os_part(&rel, &root, p)),
            Kind::Apk => os::apk(&rel, t, &os).map(|p| os_part(&rel, &root, p)),
            Kind::PyMetadata => {
                python
                    .entry(group_of(&rel, "-packages/"))
                    .or_default()
                    .push((rel.clone(), t.to_string()));
                continue;
            }
            Kind::NpmPackage => {
                npm.entry(group_of(&rel, "/node_modules/"))
                    .or_default()
                    .push((rel.clone(), t.to_string()));
                continue;
            }
            Kind::Lockfile => lockfile(&rel, t, &root),
        };
        match result {
            Ok(p) => parts.push(p),
            Err(e) => errors.push(e),
        }
    }
    // A file that cannot be read is an error; the rest of its group is still listed.
    for (group, files) in python {
        let (p, errs) = lang::python(&files);
        if !p.components.is_empty() || errs.is_empty() {
            parts.push(os_part(group.trim_end_matches('/'), &root, p));
        }
        errors.extend(errs);
    }
    for (group, files) in npm {
        let (p, errs) = lang::npm(&files);
        if !p.components.is_empty() || errs.is_empty() {
            parts.push(os_part(group.trim_end_matches('/'), &root, p));
        }
        errors.extend(errs);
    }
    errors.sort_by(|a, b| a.file.cmp(&b.file));
    assemble(root, parts, errors)
}

/// Installed packages: every one a direct dependency of the image.
fn os_part(rel: &str, root: &Component, p: os::Packages) -> Lockfile {
    let top: Vec<String> = p.components.iter().map(|c| c.purl.clone()).collect();
    part(rel, root, top, p.components, p.edges)
}

/// A lockfile inside the image, read by its reader from memory (its directory is not on disk:
/// files beside it, like a `Cargo.toml` naming the project, are not consulted).
fn lockfile(rel: &str, text: &str, root: &Component) -> Result<Lockfile, InputError> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let reader = readers::reader_for(name)
        .ok_or_else(|| InputError::file(rel, "no reader for this lockfile"))?;
    let dir_name = rel
        .rsplit('/')
        .nth(1)
        .filter(|d| !d.is_empty())
        .unwrap_or(&root.name);
    // A path with a NUL byte names no file: `Input::sibling` finds nothing instead of reading
    // the host's file system.
    let input = Input {
        rel,
        text,
        dir: Path::new("\0image"),
        dir_name,
    };
    let l = (reader.parse)(&input)?;
    let mut project = l.root;
    project.scope = Scope::Direct;
    let top = [project.purl.clone()];
    let mut components = l.components;
    components.push(project);
    Ok(part(rel, root, top, components, l.edges))
}

/// A Go program: its main module (direct) and the modules it was built with, plus the standard
/// library of its toolchain.
fn go_part(rel: &str, root: &Component, info: &gobuild::BuildInfo) -> Lockfile {
    let module = |m: &gobuild::Module| -> Component {
        let mut c = match m.replaced_by.as_deref() {
            Some(r) if !r.version.is_empty() => {
                Component::new(Ecosystem::Golang, &r.path, &r.version, rel)
                    .property("replaces", format!("{}@{}", m.path, m.version))
            }
            Some(r) => Component::new(Ecosystem::Golang, &m.path, "", rel)
                .property("local", r.path.clone()),
            None => Component::new(Ecosystem::Golang, &m.path, &m.version, rel),
        };
        let sum = m
            .replaced_by
            .as_deref()
            .and_then(|r| r.sum.as_ref())
            .or(m.sum.as_ref());
        if let Some(h) = sum {
            c = c.property("go-sum-h1", h.clone());
        }
        c
    };
    let mut main = match &info.main {
        Some(m) if m.version == "(devel)" => {
            Component::new(Ecosystem::Golang, &m.path, "", rel).property("version", "(devel)")
        }
        Some(m) => module(m),
        None => Component::new(Ecosystem::Golang, &info.path, "", rel),
    };
    main.scope = Scope::Direct;
    main = main
        .property("go-toolchain", info.go_version.clone())
        .property("go-main-package", info.path.clone());
    let stdlib_version = info
        .go_version
        .strip_prefix("go")
        .map(|v| format!("v{}", v.split([' ', '-', '+']).next().unwrap_or(v)))
        .unwrap_or_default();
    let stdlib = Component::new(Ecosystem::Golang, "stdlib", &stdlib_version, rel)
        .property("go-toolchain", info.go_version.clone());
    let mut deps: Vec<Component> = info.deps.iter().map(module).collect();
    deps.push(stdlib);
    let mut edges = BTreeMap::new();
    edges.insert(
        main.purl.clone(),
        deps.iter().map(|d| d.purl.clone()).collect::<BTreeSet<_>>(),
    );
    let top = [main.purl.clone()];
    deps.push(main);
    part(rel, root, top, deps, edges)
}

/// One SBOM whose root is the image, whatever the number of parts.
fn assemble(root: Component, parts: Vec<Lockfile>, errors: Vec<InputError>) -> Sbom {
    let mut sbom = Sbom::build(&root.name, parts, errors);
    if sbom.root.purl != root.purl {
        // None or several parts: `build` made a synthetic root above the image; the image is the
        // root (with the evidence every part gave it).
        let merged = sbom.components.remove(&root.purl);
        let synthetic = std::mem::replace(&mut sbom.root, merged.unwrap_or(root));
        sbom.edges.remove(&synthetic.purl);
        sbom.edges.entry(sbom.root.purl.clone()).or_default();
    }
    sbom
}

/// Read uncompressed layers into a fresh file system, hard links resolved by a second pass as
/// [`inventory`] does (tests and fuzzing).
pub fn apply_layers<'a>(layers: impl IntoIterator<Item = &'a [u8]>) -> Result<Fs, String> {
    let mut fs = Fs::default();
    for l in layers {
        fs.apply(l)?;
        fs.resolve_links(l)?;
    }
    Ok(fs)
}

#[cfg(test)]
mod tests;
