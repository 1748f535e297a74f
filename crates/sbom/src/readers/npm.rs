//! `package-lock.json` and `npm-shrinkwrap.json`, lockfileVersion 1, 2 and 3.
//!
//! v2 and v3 list every installed package under `packages`, keyed by its path
//! (`node_modules/a/node_modules/@s/b`; workspace folders by their folder, with `link` entries in
//! `node_modules` pointing at them). v1 nests `dependencies`; it is flattened into the same paths,
//! its `requires` becoming dependencies. Dependencies are resolved like Node does: the nearest
//! `node_modules` up the path. Direct: what the root or a workspace asks for (v1: `package.json`
//! beside the lockfile, or, without it, the top-level packages nothing else requires).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use serde::Deserialize;

use crate::{Component, Ecosystem, Hash, HashAlg, InputError, Lockfile, Scope};

type DepMap = BTreeMap<String, String>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lock {
    name: Option<String>,
    version: Option<String>,
    lockfile_version: Option<u32>,
    #[serde(default)]
    packages: BTreeMap<String, Entry>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dev_optional: bool,
    license: Option<serde_json::Value>,
    #[serde(default)]
    dependencies: DepMap,
    #[serde(default)]
    dev_dependencies: DepMap,
    #[serde(default)]
    optional_dependencies: DepMap,
    #[serde(default)]
    peer_dependencies: DepMap,
}

#[derive(Deserialize)]
struct V1Entry {
    #[serde(default)]
    version: String,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    requires: DepMap,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    #[serde(default)]
    dependencies: DepMap,
    #[serde(default)]
    dev_dependencies: DepMap,
    #[serde(default)]
    optional_dependencies: DepMap,
    #[serde(default)]
    peer_dependencies: DepMap,
}

impl Entry {
    fn dep_names(&self) -> impl Iterator<Item = &String> {
        self.dependencies
            .keys()
            .chain(self.dev_dependencies.keys())
            .chain(self.optional_dependencies.keys())
            .chain(self.peer_dependencies.keys())
    }
}

/// `package-lock.json`.
pub const READER: super::Reader = super::Reader {
    format: "package-lock.json / npm-shrinkwrap.json",
    matches: |name| matches!(name, "package-lock.json" | "npm-shrinkwrap.json"),
    parse: |input| {
        let manifest = input.sibling("package.json");
        parse(input.rel, input.text, manifest.as_deref(), input.dir_name)
    },
};

/// Parse lockfile text; `manifest` is the `package.json` beside it, if any (used by v1 only).
pub fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
    dir_name: &str,
) -> Result<Lockfile, InputError> {
    let lock: Lock = serde_json::from_str(text).map_err(|e| InputError {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if lock.lockfile_version.is_none() && lock.packages.is_empty() && lock.dependencies.is_empty() {
        return Err(InputError::at(
            file,
            text,
            0,
            "not an npm lockfile: no lockfileVersion, packages or dependencies",
        ));
    }
    let mut packages = if lock.packages.is_empty() {
        flatten_v1(&lock.dependencies, manifest)
    } else {
        lock.packages
    };
    let root_entry = packages.remove("").unwrap_or_default();
    let root_name = lock
        .name
        .clone()
        .or_else(|| root_entry.name.clone())
        .unwrap_or_else(|| dir_name.to_string());
    let root_version = root_entry
        .version
        .clone()
        .or(lock.version)
        .unwrap_or_default();
    let mut root = Component::new(Ecosystem::Npm, &root_name, &root_version, file);
    root.scope = Scope::Direct;

    // One component per path (links excluded), keyed by path.
    let mut at: BTreeMap<&str, Component> = BTreeMap::new();
    for (path, e) in &packages {
        if e.link {
            continue;
        }
        let (name, version) = name_version(path, e);
        if name.is_empty() {
            continue;
        }
        let mut c = Component::new(Ecosystem::Npm, &name, &version, file);
        c.dev = e.dev;
        c.optional = e.optional || e.dev_optional;
        if let Some(i) = &e.integrity {
            c.hashes.extend(integrity(i));
        }
        match &e.license {
            Some(serde_json::Value::String(l)) => {
                c.licenses.insert(l.clone());
            }
            Some(serde_json::Value::Object(o)) => {
                if let Some(serde_json::Value::String(l)) = o.get("type") {
                    c.licenses.insert(l.clone());
                }
            }
            _ => {}
        }
        if is_workspace(path) {
            c.scope = Scope::Direct;
        }
        at.insert(path.as_str(), c);
    }

    let purl_at = |path: &str| at.get(path).map(|c| c.purl.clone());
    let resolve = |from: &str, dep: &str| -> Option<String> {
        let target = resolve_path(&packages, from, dep)?;
        match packages.get(&target) {
            Some(e) if e.link => e.resolved.clone(),
            _ => Some(target),
        }
    };

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut direct: BTreeSet<String> = BTreeSet::new();
    // The root depends on what it asks for and on its workspaces.
    let root_deps: BTreeSet<String> = root_entry
        .dep_names()
        .filter_map(|d| resolve("", d))
        .chain(packages.keys().filter(|p| is_workspace(p)).cloned())
        .filter_map(|p| purl_at(&p))
        .collect();
    direct.extend(root_deps.iter().cloned());
    edges.insert(root.purl.clone(), root_deps);
    for (path, e) in &packages {
        let Some(from) = purl_at(path) else { continue };
        let deps: BTreeSet<String> = e
            .dep_names()
            .filter_map(|d| resolve(path, d))
            .filter_map(|p| purl_at(&p))
            .collect();
        if is_workspace(path) {
            direct.insert(from.clone());
            direct.extend(deps.iter().cloned());
        }
        edges.entry(from).or_default().extend(deps);
    }
    let components = at
        .into_values()
        .map(|mut c| {
            if direct.contains(&c.purl) {
                c.scope = Scope::Direct;
            }
            c
        })
        .collect();
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components,
        edges,
    })
}

/// A workspace folder (`packages/a`): a path outside every `node_modules`.
fn is_workspace(path: &str) -> bool {
    !path.is_empty() && !path.starts_with("node_modules/") && !path.contains("/node_modules/")
}

/// The package's name and version: an alias's real name (`name`, or v1's `npm:real@1.0.0`), else
/// the last `node_modules/` segment of the path.
fn name_version(path: &str, e: &Entry) -> (String, String) {
    let version = e.version.clone().unwrap_or_default();
    if let Some(alias) = version.strip_prefix("npm:") {
        // `@scope/real@1.0.0` or `real@1.0.0`: the last `@` not at the start.
        if let Some(i) = alias.rfind('@').filter(|&i| i > 0) {
            return (alias[..i].to_string(), alias[i + 1..].to_string());
        }
    }
    let from_path = match path.rfind("node_modules/") {
        Some(i) => &path[i + "node_modules/".len()..],
        None => path.rsplit('/').next().unwrap_or(path),
    };
    (
        e.name.clone().unwrap_or_else(|| from_path.to_string()),
        version,
    )
}

/// Where Node finds `dep` required from the package at `from`: the nearest `node_modules` upwards.
fn resolve_path(packages: &BTreeMap<String, Entry>, from: &str, dep: &str) -> Option<String> {
    let mut base = from.to_string();
    loop {
        let candidate = if base.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{base}/node_modules/{dep}")
        };
        if packages.contains_key(&candidate) {
            return Some(candidate);
        }
        if base.is_empty() {
            return None;
        }
        base = match base.rfind("/node_modules/") {
            Some(i) => base[..i].to_string(),
            None => String::new(),
        };
    }
}

/// Subresource Integrity (`sha512-<base64> sha1-<base64>`) to hex digests.
pub(crate) fn integrity(sri: &str) -> Vec<Hash> {
    sri.split_whitespace()
        .filter_map(|item| {
            let (alg, b64) = item.split_once('-')?;
            let alg = match alg {
                "sha1" => HashAlg::Sha1,
                "sha256" => HashAlg::Sha256,
                "sha384" => HashAlg::Sha384,
                "sha512" => HashAlg::Sha512,
                _ => return None,
            };
            let b64 = b64.split('?').next().unwrap_or(b64); // SRI options
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            let hex = bytes.iter().map(|b| format!("{b:02x}")).collect();
            Some(Hash { alg, hex })
        })
        .collect()
}

/// v1's nested `dependencies` as v2 `packages` paths; the root entry (`""`) gets the manifest's
/// dependencies, or the top-level packages nothing requires.
fn flatten_v1(deps: &BTreeMap<String, V1Entry>, manifest: Option<&str>) -> BTreeMap<String, Entry> {
    fn walk(prefix: &str, deps: &BTreeMap<String, V1Entry>, out: &mut BTreeMap<String, Entry>) {
        for (name, d) in deps {
            let path = if prefix.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{prefix}/node_modules/{name}")
            };
            out.insert(
                path.clone(),
                Entry {
                    version: Some(d.version.clone()),
                    integrity: d.integrity.clone(),
                    dev: d.dev,
                    optional: d.optional,
                    dependencies: d.requires.clone(),
                    ..Entry::default()
                },
            );
            walk(&path, &d.dependencies, out);
        }
    }
    let mut out = BTreeMap::new();
    walk("", deps, &mut out);
    let root = match manifest.and_then(|m| serde_json::from_str::<Manifest>(m).ok()) {
        Some(m) => Entry {
            dependencies: m.dependencies,
            dev_dependencies: m.dev_dependencies,
            optional_dependencies: m.optional_dependencies,
            peer_dependencies: m.peer_dependencies,
            ..Entry::default()
        },
        None => {
            let required: BTreeSet<&String> =
                out.values().flat_map(|e| e.dependencies.keys()).collect();
            Entry {
                dependencies: deps
                    .keys()
                    .filter(|n| !required.contains(n))
                    .map(|n| (n.clone(), "*".to_string()))
                    .collect(),
                ..Entry::default()
            }
        }
    };
    out.insert(String::new(), root);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    const V3: &str = r#"{
  "name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": { "name": "web", "version": "1.0.0", "workspaces": ["packages/*"],
          "dependencies": { "@babel/core": "^7.0.0" }, "devDependencies": { "jest": "^29" } },
    "node_modules/@babel/core": { "version": "7.1.0", "integrity": "sha512-AAEC", "license": "MIT",
          "dependencies": { "debug": "^4" } },
    "node_modules/debug": { "version": "4.3.4" },
    "node_modules/jest": { "version": "29.0.0", "dev": true, "dependencies": { "debug": "^3" } },
    "node_modules/jest/node_modules/debug": { "version": "3.2.7", "dev": true },
    "node_modules/fsevents": { "version": "2.3.3", "optional": true },
    "node_modules/ui": { "resolved": "packages/ui", "link": true },
    "packages/ui": { "name": "ui", "version": "0.1.0", "dependencies": { "fsevents": "^2" } }
  }
}"#;

    #[test]
    fn v3_resolves_nested_scoped_and_workspace_packages() {
        let l = parse("package-lock.json", V3, None, "dir").expect("parses");
        assert_eq!(l.root.purl, "pkg:npm/web@1.0.0");
        let c = by_purl(&l);
        let babel = c["pkg:npm/%40babel/core@7.1.0"];
        assert_eq!(babel.scope, Scope::Direct);
        assert_eq!(
            babel.licenses.iter().next().map(String::as_str),
            Some("MIT")
        );
        let h = babel.hashes.iter().next().expect("hash");
        assert_eq!((h.alg, h.hex.as_str()), (HashAlg::Sha512, "000102"));
        assert!(c["pkg:npm/jest@29.0.0"].dev);
        assert_eq!(c["pkg:npm/debug@3.2.7"].scope, Scope::Transitive);
        assert!(c["pkg:npm/debug@3.2.7"].dev);
        assert!(!c["pkg:npm/debug@4.3.4"].dev);
        assert!(c["pkg:npm/fsevents@2.3.3"].optional);
        assert_eq!(c["pkg:npm/fsevents@2.3.3"].scope, Scope::Direct); // a workspace asks for it
        assert_eq!(c["pkg:npm/ui@0.1.0"].scope, Scope::Direct);
        assert_eq!(
            l.edges["pkg:npm/jest@29.0.0"],
            BTreeSet::from(["pkg:npm/debug@3.2.7".to_string()])
        );
        assert_eq!(
            l.edges["pkg:npm/%40babel/core@7.1.0"],
            BTreeSet::from(["pkg:npm/debug@4.3.4".to_string()])
        );
        assert_eq!(c.len(), 6);
        assert!(l.edges["pkg:npm/web@1.0.0"].contains("pkg:npm/ui@0.1.0"));
    }

    #[test]
    fn v1_nested_dependencies_and_aliases() {
        let v1 = r#"{
  "name": "old", "version": "2.0.0", "lockfileVersion": 1,
  "dependencies": {
    "a": { "version": "1.0.0", "integrity": "sha1-AAE=", "requires": { "b": "^1" },
           "dependencies": { "b": { "version": "1.5.0" } } },
    "b": { "version": "2.0.0", "dev": true },
    "@s/c": { "version": "3.0.0", "optional": true },
    "alias": { "version": "npm:@real/pkg@4.0.0" }
  }
}"#;
        let l = parse("package-lock.json", v1, None, "dir").expect("parses");
        let c = by_purl(&l);
        assert_eq!(l.root.purl, "pkg:npm/old@2.0.0");
        assert_eq!(
            l.edges["pkg:npm/a@1.0.0"],
            BTreeSet::from(["pkg:npm/b@1.5.0".to_string()])
        );
        assert!(c["pkg:npm/b@2.0.0"].dev);
        assert!(c["pkg:npm/%40s/c@3.0.0"].optional);
        assert!(c.contains_key("pkg:npm/%40real/pkg@4.0.0"));
        // Without package.json, the top-level packages nothing requires are direct.
        assert_eq!(c["pkg:npm/a@1.0.0"].scope, Scope::Direct);
        assert_eq!(c["pkg:npm/b@1.5.0"].scope, Scope::Transitive);
        let manifest = r#"{ "dependencies": { "a": "^1" } }"#;
        let l = parse("package-lock.json", v1, Some(manifest), "dir").expect("parses");
        assert_eq!(by_purl(&l)["pkg:npm/b@2.0.0"].scope, Scope::Transitive);
    }

    #[test]
    fn corrupt_lockfile_names_the_position() {
        let e = parse(
            "w/package-lock.json",
            "{\n  \"lockfileVersion\": 3,\n  \"packages\": [\n",
            None,
            "w",
        )
        .expect_err("corrupt");
        assert_eq!((e.file.as_str(), e.line), ("w/package-lock.json", 3));
        let e = parse("package-lock.json", "{}", None, "w").expect_err("empty");
        assert!(e.message.contains("not an npm lockfile"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let depth = 10_000;
        let mut text = String::from(r#"{"lockfileVersion":1,"dependencies":"#);
        for _ in 0..depth {
            text.push_str(r#"{"a":{"version":"1.0.0","dependencies":"#);
        }
        text.push_str("{}");
        for _ in 0..depth {
            text.push_str("}}");
        }
        text.push('}');
        let e = parse("package-lock.json", &text, None, "d").expect_err("too deep");
        assert!(e.message.contains("recursion limit"), "{e}");
    }
}
