//! `pnpm-lock.yaml`, lockfileVersion 5.x (pnpm 7), 6.x (pnpm 8) and 9.0 (pnpm 9 and 10).
//!
//! `importers` are the workspace projects (`.` the root), each with `dependencies`,
//! `devDependencies` and `optionalDependencies` (v5: name -> version; v6 and v9:
//! `{specifier, version}`); a single project keeps them at the top level before v9. `packages`
//! keys name the package: `/name/1.0.0` (v5), `/name@1.0.0` (v6), `name@1.0.0` (v9, whose
//! `snapshots` hold the dependencies). A key may carry the peer dependencies it was resolved
//! with (`_react@18.2.0` in v5, `(react@18.2.0)` from v6) and a patch hash: both are stripped,
//! so every variant is one component. The patch hash (`(patch_hash=...)`, v6 and later; v5 folds
//! it into an opaque suffix) is kept as the property `patch`; when the lockfile also holds an
//! unpatched build of the same version (one purl), the property is `patch-partial` instead.
//! An importer path leaving the lockfile's directory is an error (nothing outside it is read). A dependency's version is the rest of its key (or, for
//! aliases and non-registry sources, the key itself); `link:../lib` points at another importer.
//! `resolution.integrity` gives the hash; tarball, git and directory resolutions a `url`
//! property. Dev and optional are computed on the graph (v9 does not record them).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};

use super::Input;
use super::yarn::{
    Graph, Kind, Lenient, from_yaml, root_component, split_descriptor, workspace_component,
};
use crate::{Component, Ecosystem, InputError, Lockfile};

/// `pnpm-lock.yaml`.
pub const READER: super::Reader = super::Reader {
    format: "pnpm-lock.yaml",
    matches: |name| name == "pnpm-lock.yaml",
    parse,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lock {
    lockfile_version: Option<Lenient>,
    #[serde(default)]
    importers: BTreeMap<String, Option<Importer>>,
    /// A single project's dependencies (before v9, without `importers`).
    #[serde(default)]
    dependencies: BTreeMap<String, DepRef>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, DepRef>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, DepRef>,
    #[serde(default)]
    packages: BTreeMap<String, Option<Package>>,
    #[serde(default)]
    snapshots: BTreeMap<String, Option<Package>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Importer {
    #[serde(default)]
    dependencies: BTreeMap<String, DepRef>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, DepRef>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, DepRef>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Package {
    resolution: Option<Resolution>,
    name: Option<Lenient>,
    version: Option<Lenient>,
    #[serde(default)]
    dependencies: BTreeMap<String, Lenient>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Lenient>,
}

#[derive(Deserialize, Default)]
struct Resolution {
    integrity: Option<String>,
    tarball: Option<String>,
    repo: Option<String>,
    commit: Option<String>,
    directory: Option<String>,
}

/// An importer's dependency: `4.3.4` (v5) or `{specifier: ^4, version: 4.3.4}`.
struct DepRef(String);

impl<'de> Deserialize<'de> for DepRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DepRef;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a version or a {specifier, version} mapping")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DepRef, E> {
                Ok(DepRef(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<DepRef, E> {
                Ok(DepRef(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<DepRef, E> {
                Ok(DepRef(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DepRef, A::Error> {
                let mut version = None;
                while let Some(k) = map.next_key::<String>()? {
                    if k == "version" {
                        version = Some(map.next_value::<Lenient>()?.0);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                version
                    .map(DepRef)
                    .ok_or_else(|| serde::de::Error::missing_field("version"))
            }
        }
        d.deserialize_any(V)
    }
}

/// Read a `pnpm-lock.yaml`.
pub fn parse(input: &Input<'_>) -> Result<Lockfile, InputError> {
    let lock: Lock = from_yaml(input)?;
    let Some(version) = lock.lockfile_version.as_ref() else {
        return Err(input.error_at(0, "not a pnpm lockfile: no lockfileVersion"));
    };
    let major: u32 = version
        .0
        .trim_matches('\'')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| {
            input.error_at(
                version_offset(input.text),
                format!("unknown lockfileVersion `{}`", version.0),
            )
        })?;
    let v5 = major < 6;
    let file = input.rel;
    let manifest = input
        .sibling("package.json")
        .and_then(|t| super::yarn::Manifest::parse(&t));
    let mut g = Graph::new(
        file,
        root_component(manifest.as_ref(), input.dir_name, file),
    );

    let packages: BTreeMap<String, Package> = lock
        .packages
        .into_iter()
        .map(|(k, p)| (k, p.unwrap_or_default()))
        .collect();
    let snapshots: BTreeMap<String, Package> = lock
        .snapshots
        .into_iter()
        .map(|(k, p)| (k, p.unwrap_or_default()))
        .collect();
    // v9: the snapshots carry the dependencies, the packages the resolutions.
    let table = if snapshots.is_empty() {
        &packages
    } else {
        &snapshots
    };

    // Key -> bom-ref.
    let mut refs: BTreeMap<&str, String> = BTreeMap::new();
    // bom-ref -> patch hashes, and the bom-refs with an unpatched key.
    let mut patches: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let mut unpatched: BTreeSet<String> = BTreeSet::new();
    for (key, entry) in table {
        let base = strip_peers(key, v5);
        let info = packages
            .get(key.as_str())
            .or_else(|| packages.get(base))
            .unwrap_or(entry);
        let (key_name, key_version) = key_name_version(base, v5);
        let name = info.name.as_ref().map_or(key_name, |n| n.0.as_str());
        let version = info.version.as_ref().map_or(key_version, |v| v.0.as_str());
        if name.is_empty() {
            continue;
        }
        let mut c = Component::new(Ecosystem::Npm, name, version, file);
        if let Some(r) = &info.resolution {
            if let Some(i) = &r.integrity {
                c.hashes.extend(super::npm::integrity(i));
            }
            let url = match (&r.tarball, &r.repo, &r.commit, &r.directory) {
                (Some(t), ..) => Some(t.clone()),
                (None, Some(repo), Some(commit), _) => Some(format!("{repo}#{commit}")),
                (None, Some(repo), None, _) => Some(repo.clone()),
                (None, None, _, Some(d)) => Some(format!("file:{d}")),
                _ => None,
            };
            if let Some(u) = url {
                c = c.property("url", u);
            }
        }
        let r = g.add(c);
        match patch_hash(key) {
            Some(h) => {
                patches.entry(r.clone()).or_default().insert(h);
            }
            None => {
                unpatched.insert(r.clone());
            }
        }
        refs.insert(key.as_str(), r);
    }
    for (r, hashes) in patches {
        let name = if unpatched.contains(&r) {
            "patch-partial"
        } else {
            "patch"
        };
        let value = hashes.into_iter().collect::<Vec<_>>().join(" ");
        if let Some(c) = g.component_mut(&r) {
            c.properties.insert(name.to_string(), value);
        }
    }

    let mut importers: BTreeMap<String, Importer> = lock
        .importers
        .into_iter()
        .map(|(k, i)| (k, i.unwrap_or_default()))
        .collect();
    if importers.is_empty() {
        let top = Importer {
            dependencies: lock.dependencies,
            dev_dependencies: lock.dev_dependencies,
            optional_dependencies: lock.optional_dependencies,
        };
        importers.insert(".".to_string(), top);
    }
    let root = g.root_ref();
    let mut importer_refs: BTreeMap<&str, String> = BTreeMap::new();
    for path in importers.keys() {
        if path == "." || path.is_empty() {
            importer_refs.insert(path.as_str(), root.clone());
        } else {
            let (c, _) = workspace_component(input, path, None)
                .map_err(|e| input.error_at(importer_offset(input.text, path), e))?;
            importer_refs.insert(path.as_str(), g.add_workspace(c));
        }
    }
    let find = |name: &str, version: &str| -> Option<&String> {
        candidates(name, version)
            .iter()
            .find_map(|k| refs.get(k.as_str()))
    };
    for (path, imp) in &importers {
        let Some(from) = importer_refs.get(path.as_str()) else {
            continue;
        };
        for (kind, deps) in [
            (Kind::Prod, &imp.dependencies),
            (Kind::Dev, &imp.dev_dependencies),
            (Kind::Optional, &imp.optional_dependencies),
        ] {
            for (name, DepRef(version)) in deps {
                let to = match version.strip_prefix("link:") {
                    Some(rel) => importer_refs.get(join(path, rel).as_str()),
                    None => find(name, version),
                };
                if let Some(to) = to {
                    g.edge(from, to, kind);
                }
            }
        }
    }
    for (key, entry) in table {
        let Some(from) = refs.get(key.as_str()) else {
            continue;
        };
        for (kind, deps) in [
            (Kind::Prod, &entry.dependencies),
            (Kind::Optional, &entry.optional_dependencies),
        ] {
            for (name, version) in deps {
                if let Some(to) = find(name, &version.0) {
                    g.edge(from, to, kind);
                }
            }
        }
    }
    Ok(g.finish())
}

/// A package key without its peer-dependency and patch suffix: `(react@18.2.0)` (v6 and v9) or
/// `_react@18.2.0` (v5, whose versions never hold `_`).
fn strip_peers(key: &str, v5: bool) -> &str {
    let cut = if v5 {
        // `/name/1.0.0_suffix` or `/@s/name/1.0.0_suffix`: the suffix is in the version segment.
        let start = version_segment_start(key);
        key.get(start..)
            .and_then(|v| v.find('_'))
            .map(|i| start + i)
    } else {
        key.find('(')
    };
    cut.and_then(|i| key.get(..i)).unwrap_or(key)
}

/// The patch hash of a v6+ key (`x@1.0.0(patch_hash=ab12)(react@18.2.0)` -> `ab12`).
fn patch_hash(key: &str) -> Option<&str> {
    let rest = key.split_once("(patch_hash=")?.1;
    rest.split(')').next().filter(|h| !h.is_empty())
}

/// Where `lockfileVersion`'s value starts (for errors about it), or 0.
fn version_offset(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("lockfileVersion:") {
            let value = rest.trim_start();
            return offset + line.len() - value.len();
        }
        offset += line.len();
    }
    0
}

/// Where the key of importer `path` starts (an indented `path:` line after `importers:`), or 0.
fn importer_offset(text: &str, path: &str) -> usize {
    let mut offset = 0;
    let mut in_importers = false;
    for line in text.split_inclusive('\n') {
        if !line.starts_with([' ', '\t']) {
            in_importers = line.trim_end() == "importers:";
        } else if in_importers {
            let key = line.trim().trim_end_matches(':');
            if key.trim_matches(['\'', '"']) == path {
                return offset + line.len() - line.trim_start().len();
            }
        }
        offset += line.len();
    }
    0
}

/// Where the version begins in a v5 key (after the name's one or two segments).
fn version_segment_start(key: &str) -> usize {
    let k = key.strip_prefix('/').unwrap_or(key);
    let skip = usize::from(key.len() != k.len());
    let segments = if k.starts_with('@') { 2 } else { 1 };
    let mut at = 0;
    for _ in 0..segments {
        match k.get(at..).and_then(|r| r.find('/')) {
            Some(i) => at += i + 1,
            None => return key.len(),
        }
    }
    skip + at
}

/// A (peer-stripped) key's name and version.
fn key_name_version(key: &str, v5: bool) -> (&str, &str) {
    let k = key.strip_prefix('/').unwrap_or(key);
    if v5 {
        let start = version_segment_start(k);
        match (k.get(..start), k.get(start..)) {
            (Some(n), Some(v)) if start > 0 => (n.trim_end_matches('/'), v),
            _ => (k, ""),
        }
    } else {
        split_descriptor(k)
    }
}

/// The keys a dependency `name: version` may have: `name@version` (v9), `/name@version` (v6),
/// `/name/version` (v5), or the version itself (aliases and non-registry sources).
fn candidates(name: &str, version: &str) -> [String; 5] {
    [
        format!("{name}@{version}"),
        format!("/{name}@{version}"),
        format!("/{name}/{version}"),
        version.to_string(),
        format!("/{version}"),
    ]
}

/// `base` joined with the relative path `rel` (`packages/app` + `../lib` = `packages/lib`).
fn join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HashAlg, Scope};
    use std::collections::BTreeSet;
    use std::path::Path;

    fn read(text: &str, dir: &Path) -> Result<Lockfile, InputError> {
        parse(&Input {
            rel: "pnpm-lock.yaml",
            text,
            dir,
            dir_name: "proj",
        })
    }

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn peer_suffixes_are_stripped() {
        assert_eq!(
            strip_peers("/use-sync-external-store/1.2.0_react@18.2.0", true),
            "/use-sync-external-store/1.2.0"
        );
        assert_eq!(
            strip_peers("/@s/x/1.0.0_@types+react@18.0.0+react@18.2.0", true),
            "/@s/x/1.0.0"
        );
        assert_eq!(strip_peers("/a_b/1.0.0", true), "/a_b/1.0.0");
        assert_eq!(
            strip_peers("/x@1.0.0(react@18.2.0)(@types/react@18.0.0)", false),
            "/x@1.0.0"
        );
        assert_eq!(strip_peers("x@1.0.0(patch_hash=abc)", false), "x@1.0.0");
        assert_eq!(
            patch_hash("x@1.0.0(patch_hash=abc)(react@18.2.0)"),
            Some("abc")
        );
        assert_eq!(patch_hash("x@1.0.0(react@18.2.0)"), None);
        assert_eq!(key_name_version("/@s/x/1.0.0", true), ("@s/x", "1.0.0"));
        assert_eq!(key_name_version("/a_b/1.0.0", true), ("a_b", "1.0.0"));
        assert_eq!(key_name_version("/@s/x@1.0.0", false), ("@s/x", "1.0.0"));
        assert_eq!(key_name_version("x@1.0.0", false), ("x", "1.0.0"));
        assert_eq!(join("packages/app", "../lib"), "packages/lib");
        assert_eq!(join(".", "packages/lib"), "packages/lib");
    }

    const V5: &str = r#"lockfileVersion: 5.4

specifiers:
  '@s/a': ^1.0.0
  react: ^18
  uses: 1.2.0
  tool: ^3
  opt: ^1

dependencies:
  '@s/a': 1.0.0
  react: 18.2.0
  uses: 1.2.0_react@18.2.0
  alias: /real/4.0.0

devDependencies:
  tool: 3.0.0

optionalDependencies:
  opt: 1.0.0

packages:

  /@s/a/1.0.0:
    resolution: {integrity: sha512-AAEC}
    dependencies:
      b: 2.0.0
    dev: false

  /b/2.0.0:
    resolution: {integrity: sha1-AAE=}

  /react/18.2.0:
    resolution: {integrity: sha512-AAEC}
    dev: false

  /uses/1.2.0_react@18.2.0:
    resolution: {integrity: sha512-AAEC}
    peerDependencies:
      react: ^18
    dependencies:
      react: 18.2.0
    dev: false

  /tool/3.0.0:
    resolution: {integrity: sha512-AAEC}
    dependencies:
      b: 2.0.0
      c: 1.0.0
    dev: true

  /c/1.0.0:
    resolution: {tarball: https://example.com/c-1.0.0.tgz}
    name: c
    version: 1.0.0
    dev: true

  /opt/1.0.0:
    resolution: {integrity: sha512-AAEC}
    optionalDependencies:
      c: 1.0.0
    dev: false
    optional: true

  /real/4.0.0:
    resolution: {integrity: sha512-AAEC}
    dev: false
"#;

    #[test]
    fn v5_dev_optional_peers_and_aliases() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(
            tmp.path().join("package.json"),
            r#"{"name":"app","version":"1.0.0"}"#,
        )
        .expect("write");
        let l = read(V5, tmp.path()).expect("parses");
        assert_eq!(l.root.purl, "pkg:npm/app@1.0.0");
        let c = by_purl(&l);
        assert_eq!(
            c.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:npm/%40s/a@1.0.0",
                "pkg:npm/b@2.0.0",
                "pkg:npm/c@1.0.0",
                "pkg:npm/opt@1.0.0",
                "pkg:npm/react@18.2.0",
                "pkg:npm/real@4.0.0",
                "pkg:npm/tool@3.0.0",
                "pkg:npm/uses@1.2.0",
            ]
        );
        assert_eq!(c["pkg:npm/uses@1.2.0"].scope, Scope::Direct);
        assert!(l.edges["pkg:npm/uses@1.2.0"].contains("pkg:npm/react@18.2.0"));
        assert_eq!(c["pkg:npm/real@4.0.0"].scope, Scope::Direct);
        assert!(c["pkg:npm/tool@3.0.0"].dev);
        assert!(!c["pkg:npm/b@2.0.0"].dev, "b is also needed by @s/a");
        assert_eq!(
            c["pkg:npm/b@2.0.0"].hashes.iter().next().map(|h| h.alg),
            Some(HashAlg::Sha1)
        );
        // c: dev through tool, optional through opt; the dev path is required, the optional
        // path is not dev: neither flag holds for every path.
        assert!(!c["pkg:npm/c@1.0.0"].dev && !c["pkg:npm/c@1.0.0"].optional);
        assert_eq!(
            c["pkg:npm/c@1.0.0"].properties["url"],
            "https://example.com/c-1.0.0.tgz"
        );
        assert!(c["pkg:npm/opt@1.0.0"].optional && !c["pkg:npm/opt@1.0.0"].dev);
        // The lockfile's own dev flags agree with the graph.
        for (key, dev) in [("tool", true), ("react", false), ("@s/a", false)] {
            let p = c.iter().find(|(_, v)| v.name == key).map(|(_, v)| v.dev);
            assert_eq!(p, Some(dev), "{key}");
        }
    }

    const V9_WORKSPACE: &str = r#"lockfileVersion: '9.0'

importers:

  .:
    devDependencies:
      tool:
        specifier: ^3
        version: 3.0.0

  packages/app:
    dependencies:
      '@d/lib':
        specifier: workspace:*
        version: link:../lib
      uses:
        specifier: 1.2.0
        version: 1.2.0(react@18.2.0)

  packages/lib:
    optionalDependencies:
      opt:
        specifier: ^1
        version: 1.0.0

packages:

  opt@1.0.0:
    resolution: {integrity: sha512-AAEC}

  react@18.2.0:
    resolution: {integrity: sha512-AAEC}

  tool@3.0.0:
    resolution: {integrity: sha512-AAEC}

  uses@1.2.0:
    resolution: {integrity: sha512-AAEC}
    peerDependencies:
      react: ^18

snapshots:

  opt@1.0.0:
    optional: true

  react@18.2.0: {}

  tool@3.0.0:
    dependencies:
      react: 18.2.0

  uses@1.2.0(react@18.2.0):
    dependencies:
      react: 18.2.0
"#;

    #[test]
    fn v9_workspaces_snapshots_and_links() {
        let tmp = tempfile::tempdir().expect("tmp");
        let lib = tmp.path().join("packages/lib");
        std::fs::create_dir_all(&lib).expect("mkdir");
        std::fs::write(
            lib.join("package.json"),
            r#"{"name":"@d/lib","version":"0.1.0"}"#,
        )
        .expect("write");
        let l = read(V9_WORKSPACE, tmp.path()).expect("parses");
        assert_eq!(l.root.purl, "pkg:npm/proj");
        let c = by_purl(&l);
        assert_eq!(
            c.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:npm/%40d/lib@0.1.0",
                "pkg:npm/app",
                "pkg:npm/opt@1.0.0",
                "pkg:npm/react@18.2.0",
                "pkg:npm/tool@3.0.0",
                "pkg:npm/uses@1.2.0",
            ]
        );
        assert_eq!(
            l.edges["pkg:npm/app"],
            BTreeSet::from(["pkg:npm/%40d/lib@0.1.0".into(), "pkg:npm/uses@1.2.0".into()])
        );
        assert!(c["pkg:npm/tool@3.0.0"].dev);
        assert!(!c["pkg:npm/react@18.2.0"].dev);
        assert_eq!(c["pkg:npm/react@18.2.0"].scope, Scope::Transitive);
        assert!(c["pkg:npm/opt@1.0.0"].optional);
        assert_eq!(c["pkg:npm/opt@1.0.0"].scope, Scope::Direct);
        assert_eq!(c["pkg:npm/%40d/lib@0.1.0"].scope, Scope::Direct);
    }

    #[test]
    fn malformed_lockfiles_name_the_position() {
        let tmp = tempfile::tempdir().expect("tmp");
        let e = read(
            "lockfileVersion: '9.0'
packages:
  a@1.0.0:
    resolution: {integrity: x
",
            tmp.path(),
        )
        .expect_err("unclosed flow mapping");
        assert_eq!(e.to_string(), "pnpm-lock.yaml:4:17: unclosed bracket '{'");
        let e = read(
            "lockfileVersion: '9.0'
packages: [1, 2]
",
            tmp.path(),
        )
        .expect_err("wrong type");
        assert_eq!((e.line, e.column), (2, 11), "{e}");
        let e = read(
            "packages: {}
",
            tmp.path(),
        )
        .expect_err("no version");
        assert!(e.message.contains("not a pnpm lockfile"), "{e}");
        let e = read(
            "# comment
lockfileVersion: banana
",
            tmp.path(),
        )
        .expect_err("bad version");
        assert!(e.message.contains("banana"), "{e}");
        assert_eq!((e.line, e.column), (2, 18), "{e}");
    }

    #[test]
    fn patched_packages_record_the_patch_hash() {
        let tmp = tempfile::tempdir().expect("tmp");
        let lock = |with_unpatched: bool| {
            format!(
                "lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      ms:
        specifier: 2.1.3
        version: 2.1.3(patch_hash=f487eb)
{}packages:
  ms@2.1.3:
    resolution: {{integrity: sha512-AAEC}}
  other@1.0.0:
    resolution: {{integrity: sha512-AAEC}}
snapshots:
  ms@2.1.3(patch_hash=f487eb): {{}}
{}  other@1.0.0: {{}}
",
                if with_unpatched {
                    "      other:\n        specifier: 1.0.0\n        version: 1.0.0\n"
                } else {
                    ""
                },
                if with_unpatched {
                    "  ms@2.1.3: {}\n"
                } else {
                    ""
                }
            )
        };
        let l = read(&lock(false), tmp.path()).expect("parses");
        let c = by_purl(&l);
        assert_eq!(c["pkg:npm/ms@2.1.3"].properties["patch"], "f487eb");
        assert!(!c["pkg:npm/other@1.0.0"].properties.contains_key("patch"));
        let l = read(&lock(true), tmp.path()).expect("parses");
        let ms = by_purl(&l)["pkg:npm/ms@2.1.3"].clone();
        assert!(!ms.properties.contains_key("patch"), "{ms:?}");
        assert_eq!(ms.properties["patch-partial"], "f487eb");
    }

    #[test]
    fn importers_outside_the_lockfile_directory_are_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let top = tmp.path().join("repo");
        std::fs::create_dir_all(&top).expect("mkdir");
        std::fs::write(tmp.path().join("package.json"), r#"{"name":"secret-name"}"#)
            .expect("write");
        for path in ["..", "../../etc", "/etc"] {
            let text = format!(
                "lockfileVersion: '9.0'\nimporters:\n  .: {{}}\n  '{path}':\n    dependencies: {{}}\n"
            );
            let e = read(&text, &top).expect_err(path);
            assert_eq!((e.line, e.column), (4, 3), "{path}: {e}");
            assert!(e.message.contains("outside"), "{e}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }

    fn fixture(name: &str) -> Lockfile {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/sbom")
            .join(name);
        super::super::read(&dir.join("pnpm-lock.yaml"), "pnpm-lock.yaml").expect("fixture parses")
    }

    type Summary = (
        Vec<(String, Scope, bool, bool, usize)>,
        BTreeMap<String, BTreeSet<String>>,
    );

    fn summary(l: &Lockfile) -> Summary {
        let comps = l
            .components
            .iter()
            .map(|c| (c.purl.clone(), c.scope, c.dev, c.optional, c.hashes.len()))
            .collect();
        (comps, l.edges.clone())
    }

    #[test]
    fn real_lockfiles_of_three_versions_agree() {
        let v9 = fixture("pnpm-v9");
        assert_eq!(summary(&fixture("pnpm-v5")), summary(&v9));
        assert_eq!(summary(&fixture("pnpm-v6")), summary(&v9));
        let c = by_purl(&v9);
        let dev: Vec<&str> = c
            .values()
            .filter(|c| c.dev)
            .map(|c| c.purl.as_str())
            .collect();
        assert_eq!(
            dev,
            [
                "pkg:npm/ansi-styles@4.3.0",
                "pkg:npm/chalk@4.1.2",
                "pkg:npm/color-convert@2.0.1",
                "pkg:npm/color-name@1.1.4",
                "pkg:npm/has-flag@4.0.0",
                "pkg:npm/supports-color@7.2.0",
            ]
        );
        assert!(c["pkg:npm/is-number@7.0.0"].optional);
        assert_eq!(c["pkg:npm/ms@2.1.3"].scope, Scope::Direct);
        assert!(
            !c["pkg:npm/ms@2.1.3"].dev,
            "ms is dev and also debug's dependency"
        );
        assert!(v9.edges["pkg:npm/use-sync-external-store@1.2.0"].contains("pkg:npm/react@18.2.0"));
        assert!(c.values().all(|c| {
            c.hashes
                .iter()
                .any(|h| h.alg == HashAlg::Sha512 && h.hex.len() == 128)
        }));
    }

    #[test]
    fn real_workspace_lockfile() {
        let l = fixture("pnpm-workspace");
        assert_eq!(l.root.purl, "pkg:npm/demo-monorepo@0.0.0");
        let c = by_purl(&l);
        assert_eq!(
            c["pkg:npm/%40demo/app@2.0.0"].properties["workspace"],
            "packages/app"
        );
        assert_eq!(
            l.edges["pkg:npm/demo-monorepo@0.0.0"],
            BTreeSet::from([
                "pkg:npm/%40demo/app@2.0.0".into(),
                "pkg:npm/%40demo/lib@1.0.0".into(),
                "pkg:npm/chalk@4.1.2".into(),
            ])
        );
        assert!(l.edges["pkg:npm/%40demo/app@2.0.0"].contains("pkg:npm/%40demo/lib@1.0.0"));
        assert!(c["pkg:npm/chalk@4.1.2"].dev);
        assert!(!c["pkg:npm/ms@2.1.3"].dev);
        assert!(c["pkg:npm/is-number@7.0.0"].optional);
        assert_eq!(c["pkg:npm/resolve@1.22.14"].scope, Scope::Direct);
    }
}
