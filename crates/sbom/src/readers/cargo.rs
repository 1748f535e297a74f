//! `Cargo.lock` (format versions 1 to 4). Every version of a crate is a component; `checksum` (v1:
//! the `[metadata]` table's `"checksum <name> <version> (<source>)"` keys) is the SHA-256 of the
//! `.crate`. The root is the
//! `[package]` of the `Cargo.toml` next to the lockfile; a virtual workspace gets a root named after
//! its directory that depends on every member. Direct: the workspace members and what they ask for;
//! `Cargo.lock` does not say which dependencies are dev-only, so `dev` stays false.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{Component, Ecosystem, Hash, HashAlg, InputError, Lockfile, Scope};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Package>,
    /// v1 only: `"checksum <name> <version> (<source>)" = "<sha256>"`.
    #[serde(default)]
    metadata: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

#[derive(Deserialize)]
struct Manifest {
    package: Option<ManifestPackage>,
}

#[derive(Deserialize)]
struct ManifestPackage {
    name: String,
}

/// `Cargo.lock`.
pub const READER: super::Reader = super::Reader {
    format: "Cargo.lock",
    matches: |name| name == "Cargo.lock",
    parse: |input| {
        let manifest = input.sibling("Cargo.toml");
        parse(input.rel, input.text, manifest.as_deref(), input.dir_name)
    },
};

const CRATES_IO: &[&str] = &[
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// A crate from anywhere but crates.io says where in its purl (the purl spec's `vcs_url` for git,
/// `repository_url` for another registry), so it is never mistaken for the crates.io crate of the
/// same name and version; the source is also kept as the `source` property.
fn source_qualifiers(c: &mut Component, source: &str) {
    if CRATES_IO.contains(&source) {
        return;
    }
    let qualifier = if let Some(git) = source.strip_prefix("git+") {
        // `git+https://host/repo?rev=x#<commit>` -> `git+https://host/repo@<commit>`.
        let (url, commit) = git.split_once('#').unwrap_or((git, ""));
        let url = url.split('?').next().unwrap_or(url);
        let vcs = if commit.is_empty() {
            format!("git+{url}")
        } else {
            format!("git+{url}@{commit}")
        };
        ("vcs_url", vcs)
    } else {
        let url = source
            .strip_prefix("registry+")
            .or_else(|| source.strip_prefix("sparse+"))
            .unwrap_or(source);
        ("repository_url", url.to_string())
    };
    c.purl = crate::purl::build(
        "cargo",
        None,
        &c.name,
        &c.version,
        &[(qualifier.0, qualifier.1.as_str())],
    );
    c.properties.insert("source".into(), source.to_string());
}

/// Parse `Cargo.lock` text; `manifest` is the `Cargo.toml` beside it, if any.
pub fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
    dir_name: &str,
) -> Result<Lockfile, InputError> {
    let lock: Lock = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        InputError::at(file, text, offset, e.message())
    })?;
    let root_name = manifest
        .and_then(|m| toml::from_str::<Manifest>(m).ok())
        .and_then(|m| m.package)
        .map(|p| p.name);

    let mut comps: Vec<Component> = Vec::with_capacity(lock.package.len());
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in lock.package.iter().enumerate() {
        let mut c = Component::new(Ecosystem::Cargo, &p.name, &p.version, file);
        if let Some(src) = p.source.as_deref() {
            source_qualifiers(&mut c, src);
        }
        let v1_sum = p.source.as_ref().and_then(|src| {
            let key = format!("checksum {} {} ({src})", p.name, p.version);
            lock.metadata.get(&key).and_then(toml::Value::as_str)
        });
        if let Some(sum) = p.checksum.as_deref().or(v1_sum) {
            if sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                c.hashes.insert(Hash {
                    alg: HashAlg::Sha256,
                    hex: sum.to_ascii_lowercase(),
                });
            }
        }
        comps.push(c);
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    // `name`, `name version` or `name version (source)`: the same name and version can come
    // from two sources (crates.io and a git fork).
    let resolve = |spec: &str| -> Option<usize> {
        let mut parts = spec.splitn(3, ' ');
        let name = parts.next()?;
        let version = parts.next();
        let source = parts
            .next()
            .and_then(|s| s.strip_prefix('('))
            .and_then(|s| s.strip_suffix(')'));
        let candidates = by_name.get(name)?;
        match version {
            None => candidates.first().copied(),
            Some(v) => candidates.iter().copied().find(|&i| {
                lock.package[i].version == v
                    && source.is_none_or(|s| lock.package[i].source.as_deref() == Some(s))
            }),
        }
    };
    let deps: Vec<Vec<usize>> = lock
        .package
        .iter()
        .map(|p| p.dependencies.iter().filter_map(|d| resolve(d)).collect())
        .collect();

    let local: Vec<usize> = (0..lock.package.len())
        .filter(|&i| lock.package[i].source.is_none())
        .collect();
    let root_idx = root_name
        .as_deref()
        .and_then(|n| local.iter().copied().find(|&i| lock.package[i].name == n));
    // Direct: what the root or any workspace member asks for, and the members themselves.
    let mut direct: BTreeSet<usize> = local.iter().copied().collect();
    for &i in &local {
        direct.extend(deps[i].iter().copied());
    }
    for i in direct {
        comps[i].scope = Scope::Direct;
    }

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, d) in deps.iter().enumerate() {
        edges.insert(
            comps[i].purl.clone(),
            d.iter().map(|&j| comps[j].purl.clone()).collect(),
        );
    }
    let root = match root_idx {
        Some(i) => comps[i].clone(),
        None => {
            let mut r = Component::new(Ecosystem::Cargo, dir_name, "", file);
            r.scope = Scope::Direct;
            edges.insert(
                r.purl.clone(),
                local.iter().map(|&i| comps[i].purl.clone()).collect(),
            );
            r
        }
    };
    let components = comps.into_iter().filter(|c| c.purl != root.purl).collect();
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "helper",
 "syn 2.0.1",
]

[[package]]
name = "helper"
version = "0.2.0"
dependencies = ["syn 1.0.9"]

[[package]]
name = "syn"
version = "1.0.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "AB0000000000000000000000000000000000000000000000000000000000000c"

[[package]]
name = "syn"
version = "2.0.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cd0000000000000000000000000000000000000000000000000000000000000e"
"#;

    #[test]
    fn every_version_with_checksums_and_scopes() {
        let l = parse(
            "Cargo.lock",
            LOCK,
            Some("[package]\nname = \"app\"\n"),
            "dir",
        )
        .expect("parses");
        assert_eq!(l.root.purl, "pkg:cargo/app@0.1.0");
        let by: BTreeMap<_, _> = l.components.iter().map(|c| (c.purl.as_str(), c)).collect();
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:cargo/helper@0.2.0",
                "pkg:cargo/syn@1.0.9",
                "pkg:cargo/syn@2.0.1"
            ]
        );
        assert_eq!(by["pkg:cargo/syn@2.0.1"].scope, Scope::Direct);
        assert_eq!(by["pkg:cargo/syn@1.0.9"].scope, Scope::Direct); // asked for by a member
        let h = by["pkg:cargo/syn@1.0.9"]
            .hashes
            .iter()
            .next()
            .expect("hash");
        assert_eq!(h.alg, HashAlg::Sha256);
        assert!(h.hex.starts_with("ab00"));
        assert_eq!(
            l.edges["pkg:cargo/app@0.1.0"],
            BTreeSet::from([
                "pkg:cargo/helper@0.2.0".to_string(),
                "pkg:cargo/syn@2.0.1".to_string()
            ])
        );
    }

    #[test]
    fn v1_checksums_come_from_metadata() {
        let v1 = r#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa 1.0.9 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "itoa"
version = "1.0.9"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum itoa 1.0.9 (registry+https://github.com/rust-lang/crates.io-index)" = "af150ab688ff2122fcef229be89cb50dd66af9e01a4ff320cc137eecc9bacc38"
"#;
        let l = parse("Cargo.lock", v1, Some("[package]\nname = \"app\"\n"), "d").expect("parses");
        let itoa = &l.components[0];
        assert_eq!(itoa.purl, "pkg:cargo/itoa@1.0.9");
        assert_eq!(itoa.scope, Scope::Direct);
        assert!(
            itoa.hashes.iter().any(|h| h.hex.starts_with("af150ab6")),
            "{:?}",
            itoa.hashes
        );
    }

    #[test]
    fn crates_from_git_and_other_registries_are_told_apart() {
        let lock = r#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "serde 1.0.0 (git+https://github.com/fork/serde?branch=main#abc123)",
 "serde 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)",
 "corp 2.0.0",
]

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "1.0.0"
source = "git+https://github.com/fork/serde?branch=main#abc123"

[[package]]
name = "corp"
version = "2.0.0"
source = "sparse+https://cargo.corp.example/index/"
"#;
        let l =
            parse("Cargo.lock", lock, Some("[package]\nname = \"app\"\n"), "d").expect("parses");
        let purls: BTreeSet<&str> = l.components.iter().map(|c| c.purl.as_str()).collect();
        assert_eq!(
            purls,
            BTreeSet::from([
                "pkg:cargo/serde@1.0.0",
                "pkg:cargo/serde@1.0.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Ffork%2Fserde%40abc123",
                "pkg:cargo/corp@2.0.0?repository_url=https:%2F%2Fcargo.corp.example%2Findex%2F",
            ]),
            "{purls:?}"
        );
        assert_eq!(l.edges["pkg:cargo/app@0.1.0"].len(), 3);
    }

    #[test]
    fn transitive_crates_are_marked() {
        let lock = format!(
            "{LOCK}\n[[package]]\nname = \"deep\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        )
        .replace("checksum = \"cd", "dependencies = [\"deep\"]\nchecksum = \"cd");
        let l = parse("Cargo.lock", &lock, None, "ws").expect("parses");
        assert_eq!(l.root.purl, "pkg:cargo/ws");
        let deep = l
            .components
            .iter()
            .find(|c| c.name == "deep")
            .expect("deep");
        assert_eq!(deep.scope, Scope::Transitive);
        // A virtual workspace's root depends on every member.
        assert_eq!(l.edges["pkg:cargo/ws"].len(), 2);
    }

    #[test]
    fn corrupt_lockfile_names_the_position() {
        let e = parse(
            "x/Cargo.lock",
            "version = 4\n[[package]\nname = 1\n",
            None,
            "x",
        )
        .expect_err("corrupt");
        assert_eq!(e.file, "x/Cargo.lock");
        assert_eq!(e.line, 2);
        let e =
            parse("Cargo.lock", "[[package]]\nname = \"a\"\n", None, "x").expect_err("no version");
        assert!(e.message.contains("version"), "{e}");
    }
}
