//! Language packages installed in an image: Python distributions (`*.dist-info/METADATA`,
//! `*.egg-info/PKG-INFO` under `site-packages`/`dist-packages`) and npm packages
//! (`node_modules/<name>/package.json`), with dependency edges resolved the way the runtime would
//! (the same `site-packages` directory; Node's nearest `node_modules`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::os::Packages;
use crate::{Component, Ecosystem, InputError, Scope};

/// PEP 503 normalisation: lowercase, runs of `-_.` become `-`.
fn normalise(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Core metadata headers (RFC 822 style, up to the first blank line; the body is the description).
fn headers(text: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim(), v.trim().to_string()));
        }
    }
    out
}

/// Python distributions, given `(path, text)` of each metadata file. Distributions in the same
/// directory resolve `Requires-Dist` to each other (requirements behind an `extra` marker are
/// not installed by default and are skipped). A file that cannot be read is an error; the others
/// are still listed.
pub fn python(files: &[(String, String)]) -> (Packages, Vec<InputError>) {
    let mut out = Packages::default();
    let mut errors = Vec::new();
    // (site-packages dir, normalised name) -> bom-ref
    let mut index: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut pending = Vec::new();
    for (path, text) in files {
        let h = headers(text);
        let get = |k: &str| {
            h.iter()
                .find(|(f, _)| f.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let (Some(name), Some(version)) = (get("Name"), get("Version")) else {
            errors.push(InputError::file(
                path,
                "core metadata without `Name` and `Version`",
            ));
            continue;
        };
        let mut c = Component::new(Ecosystem::Pypi, name, version, path);
        c.scope = Scope::Direct;
        let license = get("License-Expression").or_else(|| {
            get("License").filter(|l| !l.contains('\n') && l.len() <= 80 && *l != "UNKNOWN")
        });
        if let Some(l) = license.filter(|l| !l.is_empty()) {
            c.licenses.insert(l.to_string());
        }
        let site = site_dir(path);
        index.insert((site.clone(), normalise(name)), c.purl.clone());
        let requires: Vec<String> = h
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Requires-Dist"))
            .filter(|(_, v)| !v.split_once(';').is_some_and(|(_, m)| m.contains("extra")))
            .filter_map(|(_, v)| {
                let n: String = v
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                (!n.is_empty()).then(|| normalise(&n))
            })
            .collect();
        pending.push((c.purl.clone(), site, requires));
        out.edges.entry(c.purl.clone()).or_default();
        out.components.push(c);
    }
    for (from, site, requires) in pending {
        for r in requires {
            if let Some(t) = index.get(&(site.clone(), r)).filter(|t| **t != from) {
                out.edges.entry(from.clone()).or_default().insert(t.clone());
            }
        }
    }
    (out, errors)
}

/// The directory holding a `*.dist-info` directory.
fn site_dir(metadata_path: &str) -> String {
    let mut parts: Vec<&str> = metadata_path.split('/').collect();
    parts.truncate(parts.len().saturating_sub(2));
    parts.join("/")
}

/// npm packages, given `(path, text)` of each `node_modules/<name>/package.json`.
/// `dependencies`, `optionalDependencies` and `peerDependencies` resolve like Node does: the
/// package's own `node_modules`, then each enclosing `node_modules` up the tree. A file that is
/// not JSON is an error; the others are still listed.
pub fn npm(files: &[(String, String)]) -> (Packages, Vec<InputError>) {
    let mut out = Packages::default();
    let mut errors = Vec::new();
    // package directory -> bom-ref
    let mut dirs: BTreeMap<String, String> = BTreeMap::new();
    let mut pending = Vec::new();
    for (path, text) in files {
        let json: Value = match serde_json::from_str(text) {
            Ok(j) => j,
            Err(e) => {
                let at = offset(text, e.line(), e.column());
                errors.push(InputError::at(path, text, at, e));
                continue;
            }
        };
        let (Some(name), Some(version)) = (json["name"].as_str(), json["version"].as_str()) else {
            // A package.json without a name and version (a bundled fixture, a stub) is no package.
            continue;
        };
        let mut c = Component::new(Ecosystem::Npm, name, version, path);
        c.scope = Scope::Direct;
        let license = match &json["license"] {
            Value::String(s) => Some(s.as_str()),
            Value::Object(o) => o.get("type").and_then(Value::as_str),
            _ => None,
        };
        if let Some(l) = license.filter(|l| !l.is_empty()) {
            c.licenses.insert(l.to_string());
        }
        let dir = path
            .strip_suffix("/package.json")
            .unwrap_or(path)
            .to_string();
        let mut deps: BTreeSet<String> = BTreeSet::new();
        for field in ["dependencies", "optionalDependencies", "peerDependencies"] {
            if let Some(o) = json[field].as_object() {
                deps.extend(o.keys().cloned());
            }
        }
        dirs.insert(dir.clone(), c.purl.clone());
        pending.push((c.purl.clone(), dir, deps));
        out.edges.entry(c.purl.clone()).or_default();
        out.components.push(c);
    }
    for (from, dir, deps) in pending {
        for d in deps {
            if let Some(t) = resolve(&dirs, &dir, &d).filter(|t| *t != from) {
                out.edges.entry(from.clone()).or_default().insert(t);
            }
        }
    }
    (out, errors)
}

/// Node's lookup of `name` from a package at `dir`: `dir/node_modules/name`, then the
/// `node_modules` directories enclosing it.
fn resolve(dirs: &BTreeMap<String, String>, dir: &str, name: &str) -> Option<String> {
    let mut base = dir.to_string();
    loop {
        let candidate = if base.ends_with("/node_modules") || base == "node_modules" {
            format!("{base}/{name}")
        } else {
            format!("{base}/node_modules/{name}")
        };
        if let Some(r) = dirs.get(&candidate) {
            return Some(r.clone());
        }
        let (parent, _) = base.rsplit_once('/')?;
        base = parent.to_string();
    }
}

/// The byte offset of a 1-based line and column (serde_json's error position).
fn offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    start + column.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_metadata_and_requirements() {
        let site = "/usr/lib/python3/site-packages";
        let files = vec![
            (
                format!("{site}/requests-2.32.3.dist-info/METADATA"),
                "Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\nLicense: Apache-2.0\nRequires-Dist: charset-normalizer <4,>=2\nRequires-Dist: Charset_Normalizer\nRequires-Dist: PySocks !=1.5.7,>=1.5.6 ; extra == 'socks'\n\nDescription body\nName: not-a-header\n".to_string(),
            ),
            (
                format!("{site}/charset_normalizer-3.3.2.dist-info/METADATA"),
                "Metadata-Version: 2.4\nName: charset-normalizer\nVersion: 3.3.2\nLicense-Expression: MIT\n".to_string(),
            ),
        ];
        let (p, errors) = python(&files);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(p.components[0].purl, "pkg:pypi/requests@2.32.3");
        assert_eq!(
            p.components[1].licenses.iter().next().map(String::as_str),
            Some("MIT")
        );
        assert_eq!(
            p.edges["pkg:pypi/requests@2.32.3"],
            BTreeSet::from(["pkg:pypi/charset-normalizer@3.3.2".to_string()])
        );
    }

    #[test]
    fn npm_nearest_node_modules_wins() {
        let files = vec![
            (
                "app/node_modules/a/package.json".to_string(),
                r#"{"name":"a","version":"1.0.0","license":"MIT","dependencies":{"b":"^2"}}"#
                    .to_string(),
            ),
            (
                "app/node_modules/b/package.json".to_string(),
                r#"{"name":"b","version":"2.0.0"}"#.to_string(),
            ),
            (
                "app/node_modules/@s/c/package.json".to_string(),
                r#"{"name":"@s/c","version":"3.0.0","dependencies":{"b":"^1"}}"#.to_string(),
            ),
            (
                "app/node_modules/@s/c/node_modules/b/package.json".to_string(),
                r#"{"name":"b","version":"1.0.0"}"#.to_string(),
            ),
        ];
        let (p, errors) = npm(&files);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            p.edges["pkg:npm/a@1.0.0"],
            BTreeSet::from(["pkg:npm/b@2.0.0".to_string()])
        );
        assert_eq!(
            p.edges["pkg:npm/%40s/c@3.0.0"],
            BTreeSet::from(["pkg:npm/b@1.0.0".to_string()])
        );
    }

    /// One broken file is an error about that file; its neighbours are still listed.
    #[test]
    fn one_unreadable_file_does_not_hide_its_group() {
        let (p, errors) = npm(&[
            (
                "x/node_modules/y/package.json".to_string(),
                "{\n  \"name\": }".to_string(),
            ),
            (
                "x/node_modules/z/package.json".to_string(),
                r#"{"name":"z","version":"1.0.0"}"#.to_string(),
            ),
        ]);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].file.as_str(), errors[0].line),
            ("x/node_modules/y/package.json", 2)
        );
        assert_eq!(p.components.len(), 1);
        assert_eq!(p.components[0].purl, "pkg:npm/z@1.0.0");

        let site = "/usr/lib/python3/site-packages";
        let (p, errors) = python(&[
            (
                format!("{site}/broken-1.0.dist-info/METADATA"),
                "Metadata-Version: 2.1\nVersion: 1.0\n".to_string(),
            ),
            (
                format!("{site}/six-1.16.0.dist-info/METADATA"),
                "Name: six\nVersion: 1.16.0\n".to_string(),
            ),
        ]);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].file,
            format!("{site}/broken-1.0.dist-info/METADATA")
        );
        assert_eq!(p.components.len(), 1);
        assert_eq!(p.components[0].purl, "pkg:pypi/six@1.16.0");
    }
}
