//! Software bills of materials: a component graph read from lockfiles (never by running a package
//! manager), written as CycloneDX 1.6 JSON or SPDX 2.3 JSON.
//!
//! `readers/` turn one lockfile into a [`Lockfile`]; [`Sbom::build`] merges them into one graph with
//! stable bom-refs (the purl) and a deterministic order; `writers/` serialise it.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rayon::slice::ParallelSliceMut;
use std::fmt;

pub mod document;
pub mod image;
pub mod inventory;
pub mod purl;
pub mod readers;
pub mod writers;

/// A package ecosystem (the purl type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ecosystem {
    Cargo,
    Npm,
    /// PyPI; names are normalised in the purl (`Django_Rest` -> `django-rest`).
    Pypi,
    /// Go modules; the name is the module path (`github.com/gorilla/mux`).
    Golang,
    /// RubyGems.
    Gem,
    /// Packagist; the name is `vendor/package`.
    Composer,
    Nuget,
    /// The name is `group:artifact`.
    Maven,
    /// Dart and Flutter.
    Pub,
    /// Erlang and Elixir.
    Hex,
    /// Swift packages; the name is the repository path (`github.com/apple/swift-nio`).
    Swift,
    /// Debian and Ubuntu packages (the distro is the purl namespace).
    Deb,
    /// Alpine packages.
    Apk,
    /// RPM packages (Fedora, RHEL, SUSE, ...).
    Rpm,
    /// Synthetic roots (a directory holding several projects) and packages of no ecosystem.
    Generic,
}

impl Ecosystem {
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Golang => "golang",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Maven => "maven",
            Ecosystem::Pub => "pub",
            Ecosystem::Hex => "hex",
            Ecosystem::Swift => "swift",
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Generic => "generic",
        }
    }
}

/// Whether the root asks for a component itself or only through another component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Direct,
    Transitive,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Direct => "direct",
            Scope::Transitive => "transitive",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// The CycloneDX name (`SHA-256`).
    pub fn cyclonedx(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }

    /// The SPDX name (`SHA256`).
    pub fn spdx(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA1",
            HashAlg::Sha256 => "SHA256",
            HashAlg::Sha384 => "SHA384",
            HashAlg::Sha512 => "SHA512",
        }
    }
}

/// A digest of a package's archive, lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash {
    pub alg: HashAlg,
    pub hex: String,
}

/// One package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The ecosystem's full name: `@scope/name` (npm), `github.com/a/b` (Go), `group:artifact`
    /// (Maven), `vendor/name` (Composer). [`purl::split`] gives the namespace and short name.
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
    /// The package URL; also the bom-ref.
    pub purl: String,
    pub scope: Scope,
    /// Needed only to develop the root (every path to it goes through a dev dependency).
    pub dev: bool,
    /// An optional dependency (the package manager may skip it).
    pub optional: bool,
    pub hashes: BTreeSet<Hash>,
    /// License expressions or names as the lockfile records them.
    pub licenses: BTreeSet<String>,
    /// The files this component was read from (relative, `/`-separated): the evidence.
    pub sources: BTreeSet<String>,
    /// Reader-specific facts, written as `chainproof:<name>` properties (`best-effort`,
    /// `editable`, `url`, ...).
    pub properties: BTreeMap<String, String>,
}

impl Component {
    pub fn new(ecosystem: Ecosystem, name: &str, version: &str, source: &str) -> Self {
        let purl = purl::purl(ecosystem, name, version);
        let mut c = Component::with_purl(ecosystem, name, version, purl);
        c.sources.insert(source.to_string());
        c
    }

    /// A component whose purl is already known (read back from an SBOM), with no source file.
    pub fn with_purl(ecosystem: Ecosystem, name: &str, version: &str, purl: String) -> Self {
        Component {
            name: name.to_string(),
            version: version.to_string(),
            ecosystem,
            purl,
            scope: Scope::Transitive,
            dev: false,
            optional: false,
            hashes: BTreeSet::new(),
            licenses: BTreeSet::new(),
            sources: BTreeSet::new(),
            properties: BTreeMap::new(),
        }
    }

    /// Record a reader-specific fact (written as the property `chainproof:<name>`).
    pub fn property(mut self, name: &str, value: impl Into<String>) -> Self {
        self.properties.insert(name.to_string(), value.into());
        self
    }

    /// The bom-ref (the purl).
    pub fn bom_ref(&self) -> &str {
        &self.purl
    }

    /// Combine two sightings of the same package: it is direct, non-dev and required if any
    /// sighting says so.
    fn absorb(&mut self, other: Component) {
        if other.scope == Scope::Direct {
            self.scope = Scope::Direct;
        }
        self.dev &= other.dev;
        self.optional &= other.optional;
        self.hashes.extend(other.hashes);
        self.licenses.extend(other.licenses);
        self.sources.extend(other.sources);
        for (k, v) in other.properties {
            self.properties.entry(k).or_insert(v);
        }
    }
}

/// A lockfile that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", self.location())]
pub struct InputError {
    pub file: String,
    /// 1-based; 0 when the error has no position (an unreadable file).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl InputError {
    /// `file:line:column`, or just `file` when there is no position.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}:{}", self.file, self.line, self.column)
        }
    }

    /// An error about a whole file (unreadable, not a lockfile).
    pub fn file(file: &str, message: impl fmt::Display) -> Self {
        InputError {
            file: file.to_string(),
            line: 0,
            column: 0,
            message: message.to_string(),
        }
    }

    /// An error at byte `offset` of `text`.
    pub fn at(file: &str, text: &str, offset: usize, message: impl fmt::Display) -> Self {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        InputError {
            file: file.to_string(),
            line,
            column,
            message: message.to_string(),
        }
    }
}

/// What one reader found in one lockfile.
#[derive(Debug, Clone)]
pub struct Lockfile {
    /// Relative, `/`-separated path of the lockfile.
    pub path: String,
    /// The project the lockfile belongs to.
    pub root: Component,
    pub components: Vec<Component>,
    /// bom-ref -> bom-refs it depends on (the root's ref included).
    pub edges: BTreeMap<String, BTreeSet<String>>,
}

/// The merged graph of every lockfile read.
#[derive(Debug, Clone)]
pub struct Sbom {
    pub root: Component,
    /// By bom-ref; the root is not among them.
    pub components: BTreeMap<String, Component>,
    /// Every component and the root have an entry, possibly empty.
    pub edges: BTreeMap<String, BTreeSet<String>>,
    /// Lockfiles read, relative paths.
    pub files: Vec<String>,
    /// Lockfiles that could not be read.
    pub errors: Vec<InputError>,
    /// Manifests with no lockfile beside them or above them (relative paths): their dependencies
    /// are not inventoried.
    pub unlocked: Vec<String>,
}

impl Sbom {
    /// Merge lockfiles. With exactly one, its root is the SBOM's root; otherwise `dir_name` names a
    /// synthetic root (`pkg:generic/<dir_name>`) depending on every lockfile's root.
    pub fn build(dir_name: &str, mut lockfiles: Vec<Lockfile>, errors: Vec<InputError>) -> Sbom {
        lockfiles.sort_by(|a, b| a.path.cmp(&b.path));
        let files = lockfiles.iter().map(|l| l.path.clone()).collect();
        let mut all: Vec<Component> = Vec::new();
        let mut all_edges: Vec<(String, BTreeSet<String>)> = Vec::new();
        let root = if lockfiles.len() == 1 {
            lockfiles[0].root.clone()
        } else {
            let mut root = Component::new(Ecosystem::Generic, dir_name, "", "");
            root.sources.clear();
            root.scope = Scope::Direct;
            let refs = lockfiles.iter().map(|l| l.root.purl.clone()).collect();
            all_edges.push((root.purl.clone(), refs));
            for l in &lockfiles {
                let mut r = l.root.clone();
                r.scope = Scope::Direct;
                all.push(r);
            }
            root
        };
        for l in lockfiles {
            all.extend(l.components);
            all_edges.extend(l.edges);
        }
        // Sort (stable, in parallel) and merge neighbours, then build the maps from sorted runs:
        // inserting tens of thousands of long purls one by one into B-trees was the slowest part
        // of a large monorepo's inventory.
        all.par_sort_by(|a, b| a.purl.cmp(&b.purl));
        let mut merged: Vec<Component> = Vec::with_capacity(all.len());
        for c in all {
            match merged.last_mut() {
                Some(last) if last.purl == c.purl => last.absorb(c),
                _ => merged.push(c),
            }
        }
        merged.retain(|c| c.purl != root.purl);
        let known: HashSet<&str> = merged
            .iter()
            .map(|c| c.purl.as_str())
            .chain([root.purl.as_str()])
            .collect();
        all_edges.par_sort_by(|a, b| a.0.cmp(&b.0));
        let mut edge_runs: Vec<(String, BTreeSet<String>)> = Vec::with_capacity(all_edges.len());
        for (from, to) in all_edges {
            match edge_runs.last_mut() {
                Some((last, set)) if *last == from => set.extend(to),
                _ => edge_runs.push((from, to)),
            }
        }
        // Drop edges to or from refs that are not in the document (a lockfile naming a package it
        // does not list): a dangling ref would make the document invalid. Self-edges (a project
        // naming itself) carry nothing.
        edge_runs.retain(|(from, _)| known.contains(from.as_str()));
        for (from, to) in &mut edge_runs {
            if to.iter().any(|r| r == from || !known.contains(r.as_str())) {
                to.retain(|r| r != from && known.contains(r.as_str()));
            }
        }
        drop(known);
        // Every component and the root have an entry (both lists are sorted: merge them).
        let mut refs: Vec<&str> = merged.iter().map(|c| c.purl.as_str()).collect();
        let at = refs.partition_point(|r| *r < root.purl.as_str());
        refs.insert(at, &root.purl);
        let mut edges_in = edge_runs.into_iter().peekable();
        let mut edges: Vec<(String, BTreeSet<String>)> = Vec::with_capacity(refs.len());
        for r in refs {
            match edges_in.peek() {
                Some((from, _)) if from == r => edges.extend(edges_in.next()),
                _ => edges.push((r.to_string(), BTreeSet::new())),
            }
        }
        let components = merged.into_iter().map(|c| (c.purl.clone(), c)).collect();
        Sbom {
            root,
            components,
            edges: edges.into_iter().collect(),
            files,
            errors,
            unlocked: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_positions_are_one_based() {
        let e = InputError::at("a.json", "{\n  \"x\": ]", 9, "unexpected ]");
        assert_eq!((e.line, e.column), (2, 8));
        assert_eq!(e.to_string(), "a.json:2:8: unexpected ]");
        assert_eq!(
            InputError::file("b.lock", "cannot read").to_string(),
            "b.lock: cannot read"
        );
    }

    #[test]
    fn merging_keeps_the_strongest_scope() {
        let mut a = Component::new(Ecosystem::Npm, "x", "1.0.0", "a/package-lock.json");
        a.dev = true;
        let mut b = Component::new(Ecosystem::Npm, "x", "1.0.0", "b/package-lock.json");
        b.scope = Scope::Direct;
        let lock = |path: &str, name: &str, c: Component| Lockfile {
            path: path.into(),
            root: Component::new(Ecosystem::Npm, name, "1.0.0", path),
            edges: BTreeMap::from([(
                purl::purl(Ecosystem::Npm, name, "1.0.0"),
                BTreeSet::from([c.purl.clone()]),
            )]),
            components: vec![c],
        };
        let sbom = Sbom::build(
            "repo",
            vec![
                lock("b/package-lock.json", "b", b),
                lock("a/package-lock.json", "a", a),
            ],
            vec![],
        );
        assert_eq!(sbom.root.purl, "pkg:generic/repo");
        let x = &sbom.components["pkg:npm/x@1.0.0"];
        assert_eq!(x.scope, Scope::Direct);
        assert!(!x.dev);
        assert_eq!(x.sources.len(), 2);
        assert_eq!(sbom.files, ["a/package-lock.json", "b/package-lock.json"]);
        assert_eq!(
            sbom.edges["pkg:generic/repo"],
            BTreeSet::from(["pkg:npm/a@1.0.0".to_string(), "pkg:npm/b@1.0.0".to_string()])
        );
    }
}
