//! `Pipfile.lock` (pipenv; `pipfile-spec` 6). Each category (`default`, `develop`, and pipenv's
//! custom categories) maps package names to `version` (`==x`), `hashes`, `markers`, `extras` and,
//! for non-index packages, `git`/`ref`, `path`, `file` or `editable`. A package is a component
//! per version; it is dev when no `default` entry lists it (the property `categories` names the
//! others). Its `hashes` (one per wheel and sdist) are its hash when there is one, else the property
//! `artifact-sha256` (a wheel's digest is not the package's). Markers and extras are kept as the properties `marker` and `extras`; git, path and file
//! sources as `url` or `editable`.
//!
//! The lockfile has no dependency graph. Direct: the packages the `Pipfile` beside it declares
//! (`[packages]`, `[dev-packages]`, custom categories); the rest are transitive, and the graph is
//! the root's edges to the direct ones. Without a `Pipfile` every package is direct. The root is
//! the `pyproject.toml` project beside the lockfile, else a package named after the directory.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

use super::python::{self, normalize};

#[derive(Deserialize, Default)]
struct Entry {
    version: Option<String>,
    #[serde(default)]
    hashes: Vec<String>,
    markers: Option<String>,
    #[serde(default)]
    extras: Vec<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    path: Option<String>,
    file: Option<String>,
    #[serde(default)]
    editable: bool,
}

/// The lockfile's categories in key order (`_meta` and other `_` keys skipped), deserialised
/// straight from the text so that a wrong type is reported at its line and column.
struct Categories(Vec<(String, BTreeMap<String, Entry>)>);

impl<'de> Deserialize<'de> for Categories {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Categories;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of package categories")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Categories, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key.starts_with('_') {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        let packages = map.next_value::<BTreeMap<String, Entry>>()?;
                        out.push((key, packages));
                    }
                }
                Ok(Categories(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Tables of a `Pipfile` that are not package categories.
const NOT_CATEGORIES: &[&str] = &["source", "requires", "scripts", "pipenv"];

/// `Pipfile.lock`.
pub const READER: super::Reader = super::Reader {
    format: "Pipfile.lock",
    matches: |name| name == "Pipfile.lock",
    parse: |input| {
        let pipfile = input.sibling("Pipfile");
        let pyproject = input.sibling("pyproject.toml");
        parse(
            input.rel,
            input.text,
            pipfile.as_deref(),
            pyproject.as_deref(),
            input.dir_name,
        )
    },
};

/// Parse `Pipfile.lock` text; `pipfile` and `pyproject` are the files beside it, if any.
pub fn parse(
    file: &str,
    text: &str,
    pipfile: Option<&str>,
    pyproject: Option<&str>,
    dir_name: &str,
) -> Result<Lockfile, InputError> {
    let json_error = |e: serde_json::Error| InputError {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    // The top-level keys first: a file of another kind is named as such before its entries
    // are checked.
    let keys: BTreeMap<String, IgnoredAny> = serde_json::from_str(text).map_err(json_error)?;
    if !keys.contains_key("_meta") && !keys.contains_key("default") {
        return Err(InputError::file(
            file,
            "not a Pipfile.lock: neither `_meta` nor `default`",
        ));
    }
    let Categories(lock) = serde_json::from_str(text).map_err(json_error)?;
    // A `Pipfile` that is not valid TOML is as good as none.
    let declared: Option<BTreeSet<String>> = pipfile
        .and_then(|p| toml::from_str::<toml::Table>(p).ok())
        .map(|t| {
            t.iter()
                .filter(|(k, _)| !NOT_CATEGORIES.contains(&k.as_str()))
                .filter_map(|(_, v)| v.as_table())
                .flat_map(|t| t.keys())
                .map(|k| normalize(k))
                .collect()
        });

    // purl -> (component, categories).
    let mut found: BTreeMap<String, (Component, BTreeSet<String>)> = BTreeMap::new();
    for (category, packages) in lock {
        for (name, entry) in packages {
            let version = entry.version.as_deref().unwrap_or("");
            let version = version
                .strip_prefix("===")
                .or_else(|| version.strip_prefix("=="))
                .unwrap_or(if version == "*" { "" } else { version })
                .trim();
            let mut c = Component::new(Ecosystem::Pypi, &name, version, file);
            c.hashes
                .extend(entry.hashes.iter().filter_map(|h| python::hash(h)));
            if let Some(m) = entry.markers.filter(|m| !m.is_empty()) {
                c = c.property("marker", m);
            }
            if !entry.extras.is_empty() {
                c = c.property("extras", entry.extras.join(","));
            }
            let location = match (&entry.git, &entry.path, &entry.file) {
                (Some(git), _, _) => Some(match &entry.reference {
                    Some(r) => format!("git+{git}@{r}"),
                    None => format!("git+{git}"),
                }),
                (None, Some(p), _) => Some(p.clone()),
                (None, None, Some(f)) => Some(f.clone()),
                _ => None,
            };
            if let Some(loc) = location {
                c = c.property(if entry.editable { "editable" } else { "url" }, loc);
            }
            let direct = declared
                .as_ref()
                .is_none_or(|d| d.contains(&normalize(&name)));
            c.scope = if direct {
                Scope::Direct
            } else {
                Scope::Transitive
            };
            let slot = found
                .entry(c.purl.clone())
                .or_insert_with(|| (c.clone(), BTreeSet::new()));
            slot.0.hashes.extend(c.hashes);
            for (k, v) in c.properties {
                slot.0.properties.entry(k).or_insert(v);
            }
            slot.1.insert(category.clone());
        }
    }

    let project = pyproject.and_then(python::project);
    let mut root = match project.as_ref().and_then(|p| p.name.as_deref()) {
        Some(name) => {
            let version = project.as_ref().and_then(|p| p.version.as_deref());
            Component::new(Ecosystem::Pypi, name, version.unwrap_or(""), file)
        }
        None => Component::new(Ecosystem::Pypi, dir_name, "", file),
    };
    root.scope = Scope::Direct;
    let mut components = Vec::with_capacity(found.len());
    let mut root_edges = BTreeSet::new();
    for (purl, (mut c, categories)) in found {
        if purl == root.purl {
            continue;
        }
        python::artifact_hashes(&mut c);
        c.dev = !categories.contains("default");
        if categories.iter().any(|k| k != "default") {
            c = c.property(
                "categories",
                categories.into_iter().collect::<Vec<_>>().join(","),
            );
        }
        if c.scope == Scope::Direct {
            root_edges.insert(purl);
        }
        components.push(c);
    }
    let edges = BTreeMap::from([(root.purl.clone(), root_edges)]);
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

    const H1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const H2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    fn lock() -> String {
        format!(
            r#"{{
    "_meta": {{"hash": {{"sha256": "x"}}, "pipfile-spec": 6, "requires": {{}}, "sources": []}},
    "default": {{
        "requests": {{"extras": ["socks"], "hashes": ["sha256:{H1}", "sha256:{H2}"], "index": "pypi", "markers": "python_version >= '3.8'", "version": "==2.31.0"}},
        "charset_normalizer": {{"hashes": [], "version": "==3.3.2"}},
        "pygments": {{"hashes": ["sha256:{H1}"], "version": "==2.17.2"}},
        "mytool": {{"editable": true, "git": "https://github.com/org/mytool.git", "ref": "abc123"}}
    }},
    "develop": {{
        "pytest": {{"hashes": ["md5:00", "sha256:{H2}"], "version": "==8.0.0"}},
        "pygments": {{"hashes": ["sha256:{H1}"], "version": "==2.17.2"}}
    }},
    "docs": {{
        "mkdocs": {{"hashes": [], "version": "==1.5.0"}}
    }}
}}"#
        )
    }

    const PIPFILE: &str = r#"
[[source]]
url = "https://pypi.org/simple"
name = "pypi"

[packages]
requests = {version = "*", extras = ["socks"]}
mytool = {git = "https://github.com/org/mytool.git", editable = true}

[dev-packages]
pytest = "*"

[docs]
mkdocs = "*"

[requires]
python_version = "3.11"
"#;

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn categories_hashes_and_direct_from_the_pipfile() {
        let l = parse("Pipfile.lock", &lock(), Some(PIPFILE), None, "svc").expect("parses");
        assert_eq!(l.root.purl, "pkg:pypi/svc");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:pypi/charset-normalizer@3.3.2",
                "pkg:pypi/mkdocs@1.5.0",
                "pkg:pypi/mytool",
                "pkg:pypi/pygments@2.17.2",
                "pkg:pypi/pytest@8.0.0",
                "pkg:pypi/requests@2.31.0",
            ]
        );
        let requests = by["pkg:pypi/requests@2.31.0"];
        // Two artifact digests: a property, not the package's hash.
        assert!(requests.hashes.is_empty());
        assert_eq!(requests.properties["artifact-sha256"], format!("{H1} {H2}"));
        assert_eq!(requests.properties["extras"], "socks");
        assert_eq!(requests.properties["marker"], "python_version >= '3.8'");
        assert_eq!(requests.scope, Scope::Direct);
        assert!(!requests.dev);
        let pytest = by["pkg:pypi/pytest@8.0.0"];
        assert!(pytest.dev);
        assert_eq!(pytest.hashes.len(), 1);
        assert!(by["pkg:pypi/mkdocs@1.5.0"].dev);
        assert_eq!(by["pkg:pypi/mkdocs@1.5.0"].properties["categories"], "docs");
        // In default and develop: one component, not dev.
        let pygments = by["pkg:pypi/pygments@2.17.2"];
        assert!(!pygments.dev);
        assert_eq!(pygments.properties["categories"], "default,develop");
        assert_eq!(pygments.scope, Scope::Transitive);
        assert_eq!(
            by["pkg:pypi/charset-normalizer@3.3.2"].scope,
            Scope::Transitive
        );
        assert_eq!(
            by["pkg:pypi/mytool"].properties["editable"],
            "git+https://github.com/org/mytool.git@abc123"
        );
        assert_eq!(
            l.edges["pkg:pypi/svc"],
            [
                "pkg:pypi/mkdocs@1.5.0",
                "pkg:pypi/mytool",
                "pkg:pypi/pytest@8.0.0",
                "pkg:pypi/requests@2.31.0"
            ]
            .map(String::from)
            .into()
        );
    }

    #[test]
    fn without_a_pipfile_everything_is_direct() {
        let l = parse(
            "Pipfile.lock",
            &lock(),
            None,
            Some("[project]\nname = \"svc\"\nversion = \"2.0\"\n"),
            "d",
        )
        .expect("parses");
        assert_eq!(l.root.purl, "pkg:pypi/svc@2.0");
        assert!(l.components.iter().all(|c| c.scope == Scope::Direct));
        assert_eq!(l.edges["pkg:pypi/svc@2.0"].len(), 6);
    }

    #[test]
    fn truncated_locks_never_panic() {
        let text = lock();
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = parse("Pipfile.lock", &text[..end], Some(PIPFILE), None, "d");
        }
    }

    #[test]
    fn malformed_lock_names_the_position() {
        let e = parse(
            "x/Pipfile.lock",
            "{\n  \"default\": {\n    \"a\": {\"version\": \"==1\",}\n  }\n}\n",
            None,
            None,
            "x",
        )
        .expect_err("trailing comma");
        assert_eq!((e.file.as_str(), e.line), ("x/Pipfile.lock", 3));
        assert!(e.column > 1, "{e}");
        let e = parse(
            "Pipfile.lock",
            "{\"default\": {\"a\": {\"hashes\": 1}}}",
            None,
            None,
            "x",
        )
        .expect_err("bad entry");
        assert_eq!((e.line, e.column), (1, 30), "{e}");
        assert!(e.message.contains("invalid type"), "{e}");
        let e = parse(
            "Pipfile.lock",
            "{\n  \"_meta\": {},\n  \"default\": {\n    \"a\": {\"version\": 1}\n  }\n}\n",
            None,
            None,
            "x",
        )
        .expect_err("bad version type");
        assert_eq!((e.line, e.column), (4, 22), "{e}");
        let e = parse(
            "Pipfile.lock",
            "{\"_meta\": {}, \"develop\": [1]}",
            None,
            None,
            "x",
        )
        .expect_err("category not an object");
        assert_eq!((e.line, e.column), (1, 25), "{e}");
        let e =
            parse("Pipfile.lock", "{\"packages\": {}}", None, None, "x").expect_err("not pipenv");
        assert!(e.message.contains("not a Pipfile.lock"), "{e}");
    }
}
