//! `poetry.lock`, written by Poetry 1.x (`category = "main"|"dev"`, hashes per package in `files`
//! or, before lock-version 2.0, in `[metadata.files]`) and 2.x (`groups = [...]`). Every
//! `[[package]]` is a component; its files' digests are its hash when there is one file, else the
//! property `artifact-sha256` (a wheel's digest is not the package's). Development:
//! `category = "dev"`, or `groups` without `main`; Poetry 1.5 to 1.8 write neither, and then a
//! package is dev when the graph reaches it only from the `pyproject.toml`'s development
//! dependencies (`[tool.poetry.group.<g>.dependencies]`, `[tool.poetry.dev-dependencies]`,
//! `[dependency-groups]`), not from its main ones. Optional: `optional = true` (installed only
//! for an extra). Non-registry
//! sources keep their location as the property `url` (git: `git+<url>@<commit>`), and
//! `develop = true` directories as `editable`. `[package.dependencies]` (names as their authors
//! wrote them, matched after PEP 503 normalisation) are the edges.
//!
//! The root is the project of the `pyproject.toml` beside the lockfile (`[project]` or
//! `[tool.poetry]`); direct: what it declares (`[project].dependencies` and
//! `optional-dependencies`, `[tool.poetry.dependencies]`, dependency groups). Without a
//! `pyproject.toml` the root is named after the directory and the packages no other package
//! depends on are direct.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

use super::python::{self, normalize};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Package>,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    /// Lock-version 1.x: package name -> files.
    #[serde(default)]
    files: BTreeMap<String, Vec<File>>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    #[serde(default)]
    optional: bool,
    category: Option<String>,
    groups: Option<Vec<String>>,
    #[serde(default)]
    files: Vec<File>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    source: Option<Source>,
    #[serde(default)]
    develop: bool,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    hash: String,
}

#[derive(Deserialize)]
struct Source {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    resolved_reference: Option<String>,
}

/// `poetry.lock`.
pub const READER: super::Reader = super::Reader {
    format: "poetry.lock",
    matches: |name| name == "poetry.lock",
    parse: |input| {
        let manifest = input.sibling("pyproject.toml");
        parse(input.rel, input.text, manifest.as_deref(), input.dir_name)
    },
};

/// Parse `poetry.lock` text; `pyproject` is the `pyproject.toml` beside it, if any.
pub fn parse(
    file: &str,
    text: &str,
    pyproject: Option<&str>,
    dir_name: &str,
) -> Result<Lockfile, InputError> {
    let lock: Lock = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        InputError::at(file, text, offset, e.message())
    })?;
    let project = pyproject.and_then(python::project);

    let mut comps: Vec<Component> = Vec::with_capacity(lock.package.len());
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let legacy_files: BTreeMap<String, &Vec<File>> = lock
        .metadata
        .files
        .iter()
        .map(|(k, v)| (normalize(k), v))
        .collect();
    for (i, p) in lock.package.iter().enumerate() {
        let norm = normalize(&p.name);
        let mut c = Component::new(Ecosystem::Pypi, &p.name, &p.version, file);
        let files = if p.files.is_empty() {
            legacy_files.get(&norm).copied().map_or(&[][..], |f| f)
        } else {
            &p.files[..]
        };
        c.hashes
            .extend(files.iter().filter_map(|f| python::hash(&f.hash)));
        c.optional = p.optional;
        python::artifact_hashes(&mut c);
        c.dev = match (&p.groups, &p.category) {
            (Some(groups), _) => !groups.is_empty() && !groups.iter().any(|g| g == "main"),
            (None, Some(category)) => category == "dev",
            // Poetry 1.5-1.8: worked out on the graph below.
            (None, None) => false,
        };
        if let Some(groups) = &p.groups {
            if groups.iter().any(|g| g != "main") {
                c = c.property("groups", groups.join(","));
            }
        }
        if let Some(src) = &p.source {
            let kind = src.kind.as_deref().unwrap_or("");
            let url = src.url.as_deref().unwrap_or("");
            match kind {
                "git" => {
                    let at = src
                        .resolved_reference
                        .as_deref()
                        .map(|r| format!("@{r}"))
                        .unwrap_or_default();
                    c = c.property("url", format!("git+{url}{at}"));
                }
                "directory" | "file" | "url" if p.develop => c = c.property("editable", url),
                "directory" | "file" | "url" => c = c.property("url", url),
                // `legacy` (a private index) and friends are registries.
                _ => {}
            }
        }
        comps.push(c);
        by_name.entry(norm).or_default().push(i);
    }

    let deps: Vec<BTreeSet<usize>> = lock
        .package
        .iter()
        .map(|p| {
            p.dependencies
                .keys()
                .flat_map(|d| by_name.get(&normalize(d)).into_iter().flatten().copied())
                .collect()
        })
        .collect();

    // Poetry 1.5-1.8 record no category: dev is what only the development dependencies reach.
    if let Some(p) = &project {
        let reach = |names: &mut dyn Iterator<Item = &String>| -> BTreeSet<usize> {
            let mut seen: BTreeSet<usize> = BTreeSet::new();
            let mut stack: Vec<usize> = names
                .flat_map(|n| by_name.get(n).into_iter().flatten().copied())
                .collect();
            while let Some(i) = stack.pop() {
                if seen.insert(i) {
                    stack.extend(deps.get(i).into_iter().flatten().copied());
                }
            }
            seen
        };
        let main = reach(&mut p.dependencies.iter().chain(&p.optional));
        let dev = reach(&mut p.dev.iter());
        for (i, (c, pkg)) in comps.iter_mut().zip(&lock.package).enumerate() {
            if pkg.groups.is_none() && pkg.category.is_none() {
                c.dev = dev.contains(&i) && !main.contains(&i);
            }
        }
    }

    let root_name = project.as_ref().and_then(|p| p.name.clone());
    let mut root = match &root_name {
        Some(name) => {
            let version = project.as_ref().and_then(|p| p.version.as_deref());
            Component::new(Ecosystem::Pypi, name, version.unwrap_or(""), file)
        }
        None => Component::new(Ecosystem::Pypi, dir_name, "", file),
    };
    root.scope = Scope::Direct;
    let direct: BTreeSet<usize> = match &project {
        Some(p) => p
            .dependencies
            .iter()
            .chain(&p.optional)
            .chain(&p.dev)
            .flat_map(|n| by_name.get(n).into_iter().flatten().copied())
            .collect(),
        None => {
            let required: BTreeSet<usize> = deps.iter().flatten().copied().collect();
            (0..comps.len()).filter(|i| !required.contains(i)).collect()
        }
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for &i in &direct {
        if let Some(c) = comps.get_mut(i) {
            c.scope = Scope::Direct;
        }
    }
    let purl = |i: usize| comps.get(i).map(|c| c.purl.clone());
    edges.insert(
        root.purl.clone(),
        direct.iter().filter_map(|&i| purl(i)).collect(),
    );
    for (i, d) in deps.iter().enumerate() {
        if let Some(from) = purl(i) {
            edges.insert(from, d.iter().filter_map(|&j| purl(j)).collect());
        }
    }
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

    const H1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const H2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    fn v2() -> String {
        format!(
            r#"
[[package]]
name = "requests"
version = "2.32.5"
optional = false
python-versions = ">=3.9"
groups = ["main"]
files = [
    {{file = "requests-2.32.5-py3-none-any.whl", hash = "sha256:{H1}"}},
    {{file = "requests-2.32.5.tar.gz", hash = "sha256:{H2}"}},
]

[package.dependencies]
charset_normalizer = ">=2,<4"
PySocks = {{version = ">=1.5.6,!=1.5.7", optional = true, markers = "extra == \"socks\""}}

[[package]]
name = "charset-normalizer"
version = "3.5.3"
optional = false
groups = ["main"]
files = []

[[package]]
name = "pysocks"
version = "1.7.1"
optional = true
groups = ["main"]
files = []

[[package]]
name = "pytest"
version = "8.4.2"
optional = false
groups = ["dev"]
files = []

[package.dependencies]
colorama = {{version = ">=0.4", markers = "sys_platform == \"win32\""}}

[[package]]
name = "colorama"
version = "0.4.6"
optional = false
groups = ["main", "dev"]
files = []

[[package]]
name = "mylib"
version = "0.1.0"
optional = false
groups = ["docs"]
files = []
develop = true

[package.source]
type = "directory"
url = "libs/mylib"

[metadata]
lock-version = "2.1"
python-versions = ">=3.9"
content-hash = "x"
"#
        )
    }

    const PYPROJECT: &str = r#"
[project]
name = "demo-app"
version = "0.3.0"
dependencies = ["requests[socks]>=2.31"]

[tool.poetry.group.dev.dependencies]
pytest = ">=8"
"#;

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn poetry_2_groups_hashes_and_edges() {
        let l = parse("poetry.lock", &v2(), Some(PYPROJECT), "dir").expect("parses");
        assert_eq!(l.root.purl, "pkg:pypi/demo-app@0.3.0");
        let by = by_purl(&l);
        assert_eq!(by.len(), 6);
        let requests = by["pkg:pypi/requests@2.32.5"];
        // Two files: their digests are a property, not the package's hash.
        assert!(requests.hashes.is_empty());
        assert_eq!(requests.properties["artifact-sha256"], format!("{H1} {H2}"));
        assert_eq!(requests.scope, Scope::Direct);
        assert!(!requests.dev);
        assert!(by["pkg:pypi/pytest@8.4.2"].dev);
        assert_eq!(by["pkg:pypi/pytest@8.4.2"].scope, Scope::Direct);
        assert_eq!(by["pkg:pypi/pytest@8.4.2"].properties["groups"], "dev");
        // In main and dev: needed at run time.
        assert!(!by["pkg:pypi/colorama@0.4.6"].dev);
        assert_eq!(by["pkg:pypi/colorama@0.4.6"].scope, Scope::Transitive);
        assert!(by["pkg:pypi/pysocks@1.7.1"].optional);
        assert_eq!(
            by["pkg:pypi/mylib@0.1.0"].properties["editable"],
            "libs/mylib"
        );
        assert!(by["pkg:pypi/mylib@0.1.0"].dev);
        // Dependency names are normalised before matching.
        assert_eq!(
            l.edges["pkg:pypi/requests@2.32.5"],
            BTreeSet::from([
                "pkg:pypi/charset-normalizer@3.5.3".to_string(),
                "pkg:pypi/pysocks@1.7.1".to_string()
            ])
        );
        assert_eq!(
            l.edges["pkg:pypi/demo-app@0.3.0"],
            BTreeSet::from([
                "pkg:pypi/pytest@8.4.2".to_string(),
                "pkg:pypi/requests@2.32.5".to_string()
            ])
        );
    }

    #[test]
    fn poetry_1_categories_and_metadata_files() {
        let lock = format!(
            r#"
[[package]]
name = "Flask"
version = "2.0.1"
description = ""
category = "main"
optional = false
python-versions = ">=3.6"

[package.dependencies]
click = ">=7.1.2"

[[package]]
name = "click"
version = "8.0.1"
category = "main"
optional = false
python-versions = ">=3.6"

[[package]]
name = "black"
version = "21.7b0"
category = "dev"
optional = false
python-versions = ">=3.6.2"

[package.source]
type = "git"
url = "https://github.com/psf/black.git"
reference = "main"
resolved_reference = "abc123"

[metadata]
lock-version = "1.1"
python-versions = "^3.8"
content-hash = "x"

[metadata.files]
flask = [
    {{file = "Flask-2.0.1-py3-none-any.whl", hash = "sha256:{H1}"}},
]
click = []
black = []
"#
        );
        let manifest = "[tool.poetry]\nname = \"legacy\"\nversion = \"1.0.0\"\n[tool.poetry.dependencies]\npython = \"^3.8\"\nflask = \"^2\"\n[tool.poetry.dev-dependencies]\nblack = \"*\"\n";
        let l = parse("poetry.lock", &lock, Some(manifest), "dir").expect("parses");
        assert_eq!(l.root.purl, "pkg:pypi/legacy@1.0.0");
        let by = by_purl(&l);
        let flask = by["pkg:pypi/flask@2.0.1"];
        assert_eq!(flask.hashes.len(), 1);
        assert_eq!(flask.scope, Scope::Direct);
        assert_eq!(by["pkg:pypi/click@8.0.1"].scope, Scope::Transitive);
        let black = by["pkg:pypi/black@21.7b0"];
        assert!(black.dev);
        assert_eq!(
            black.properties["url"],
            "git+https://github.com/psf/black.git@abc123"
        );
    }

    #[test]
    fn poetry_1_5_to_1_8_dev_from_the_graph() {
        // Lock-version 2.0 as Poetry 1.5-1.8 write it: neither `category` nor `groups`.
        let lock = r#"
[[package]]
name = "flask"
version = "2.0.1"
optional = false
python-versions = ">=3.6"
files = []

[package.dependencies]
click = ">=7.1.2"

[[package]]
name = "click"
version = "8.0.1"
optional = false
python-versions = ">=3.6"
files = []

[[package]]
name = "pytest"
version = "8.0.0"
optional = false
python-versions = ">=3.8"
files = []

[package.dependencies]
click = "*"
pluggy = "*"

[[package]]
name = "pluggy"
version = "1.4.0"
optional = false
python-versions = ">=3.8"
files = []

[[package]]
name = "mkdocs"
version = "1.5.0"
optional = false
python-versions = ">=3.8"
files = []

[[package]]
name = "ruff"
version = "0.3.0"
optional = false
python-versions = ">=3.8"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.9"
content-hash = "x"
"#;
        let manifest = "[tool.poetry]\nname = \"p\"\nversion = \"1\"\n[tool.poetry.dependencies]\npython = \"^3.9\"\nflask = \"^2\"\n[tool.poetry.group.test.dependencies]\npytest = \"*\"\n[tool.poetry.dev-dependencies]\nmkdocs = \"*\"\n[dependency-groups]\nlint = [\"ruff\"]\n";
        let l = parse("poetry.lock", lock, Some(manifest), "dir").expect("parses");
        let dev: Vec<&str> = l
            .components
            .iter()
            .filter(|c| c.dev)
            .map(|c| c.name.as_str())
            .collect();
        // click: reached from flask (main) too.
        assert_eq!(dev, ["pytest", "pluggy", "mkdocs", "ruff"]);
        // Without a pyproject nothing says what is dev.
        let l = parse("poetry.lock", lock, None, "dir").expect("parses");
        assert!(l.components.iter().all(|c| !c.dev));
    }

    #[test]
    fn without_a_pyproject_unrequired_packages_are_direct() {
        let l = parse("poetry.lock", &v2(), None, "proj").expect("parses");
        assert_eq!(l.root.purl, "pkg:pypi/proj");
        let direct: Vec<&str> = l
            .components
            .iter()
            .filter(|c| c.scope == Scope::Direct)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(direct, ["requests", "pytest", "mylib"]);
    }

    #[test]
    fn truncated_locks_never_panic() {
        let text = v2();
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = parse("poetry.lock", &text[..end], Some(PYPROJECT), "d");
        }
    }

    #[test]
    fn malformed_lock_names_the_position() {
        let e = parse(
            "py/poetry.lock",
            "[[package]]\nname = \"a\"\nversion = 1.0.0\n",
            None,
            "py",
        )
        .expect_err("bad value");
        assert_eq!((e.file.as_str(), e.line), ("py/poetry.lock", 3));
        assert!(e.column > 1, "{e}");
        let e =
            parse("poetry.lock", "[[package]]\nname = \"a\"\n", None, "x").expect_err("no version");
        assert!(e.message.contains("version"), "{e}");
    }
}
