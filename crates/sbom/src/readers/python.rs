//! Helpers shared by the Python readers (`requirements.rs`, `poetry.rs`, `uv.rs`, `pipfile.rs`):
//! PEP 503 name normalisation, the name at the start of a PEP 508 requirement, hashes written
//! `sha256:<hex>`, and the project described by a `pyproject.toml` (its name, version and the
//! dependencies it declares).

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::{Component, Hash, HashAlg};

/// PEP 503 normalisation: lowercase, runs of `-`, `_` and `.` become one `-`. Used to match names
/// across files (`PySocks` in a dependency list is the `pysocks` package).
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(ch.to_lowercase());
        }
    }
    out
}

/// The length of the project name at the start of `text` (PEP 508: letters, digits, `-`, `_`,
/// `.`, starting and ending with a letter or digit), or 0 when it does not start with one.
pub fn name_len(text: &str) -> usize {
    let len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        .count();
    // Trailing separators are not part of the name.
    let trimmed = text
        .get(..len)
        .unwrap_or("")
        .trim_end_matches(['-', '_', '.'])
        .len();
    if text
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        trimmed
    } else {
        0
    }
}

/// The normalised name of a PEP 508 requirement string (`requests[socks]>=2; python_version<"3"`
/// -> `requests`), or `None` when it does not start with a name.
pub fn requirement_name(requirement: &str) -> Option<String> {
    let text = requirement.trim_start();
    let len = name_len(text);
    (len > 0).then(|| normalize(text.get(..len).unwrap_or("")))
}

/// A hash written `<alg>:<hex>` (`sha256:ab12...`); `None` for other algorithms or malformed
/// digests.
pub fn hash(text: &str) -> Option<Hash> {
    let (alg, hex) = text.trim().split_once(':')?;
    let (alg, len) = match alg.to_ascii_lowercase().as_str() {
        "sha256" => (HashAlg::Sha256, 64),
        "sha384" => (HashAlg::Sha384, 96),
        "sha512" => (HashAlg::Sha512, 128),
        "sha1" => (HashAlg::Sha1, 40),
        _ => return None,
    };
    (hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Hash {
        alg,
        hex: hex.to_ascii_lowercase(),
    })
}

/// Digests of a package's distribution files (wheels, sdist) are not digests of the component:
/// when a component has more than one, they move from `hashes` to the properties
/// `artifact-sha256` (and `artifact-sha384`, ... for other algorithms): the sorted hex digests,
/// space-separated. A single digest stays in `hashes`.
pub fn artifact_hashes(c: &mut Component) {
    if c.hashes.len() <= 1 {
        return;
    }
    let mut by_alg: std::collections::BTreeMap<&'static str, Vec<String>> =
        std::collections::BTreeMap::new();
    for h in std::mem::take(&mut c.hashes) {
        let alg = match h.alg {
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha384 => "sha384",
            HashAlg::Sha512 => "sha512",
        };
        by_alg.entry(alg).or_default().push(h.hex);
    }
    for (alg, mut hexes) in by_alg {
        hexes.sort();
        hexes.dedup();
        c.properties
            .insert(format!("artifact-{alg}"), hexes.join(" "));
    }
}

/// What a `pyproject.toml` says about the project: PEP 621 `[project]` or Poetry's
/// `[tool.poetry]`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Project {
    pub name: Option<String>,
    pub version: Option<String>,
    /// Normalised names of the runtime dependencies (`[project].dependencies`,
    /// `[tool.poetry.dependencies]` but `python`).
    pub dependencies: BTreeSet<String>,
    /// Normalised names of the extras' dependencies (`[project].optional-dependencies`).
    pub optional: BTreeSet<String>,
    /// Normalised names of development dependencies (PEP 735 `[dependency-groups]`,
    /// `[tool.poetry.group.*.dependencies]`, `[tool.poetry.dev-dependencies]`, `[tool.uv]
    /// dev-dependencies`).
    pub dev: BTreeSet<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct PyProject {
    project: Option<Pep621>,
    tool: Option<Tool>,
    #[serde(default)]
    dependency_groups: toml::Table,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Pep621 {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    optional_dependencies: toml::Table,
}

#[derive(Deserialize, Default)]
struct Tool {
    poetry: Option<Poetry>,
    uv: Option<Uv>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Poetry {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: toml::Table,
    #[serde(default)]
    dev_dependencies: toml::Table,
    #[serde(default)]
    group: toml::Table,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Uv {
    #[serde(default)]
    dev_dependencies: Vec<String>,
}

/// Names of the PEP 508 strings in a TOML array (other values, such as PEP 735
/// `{include-group = "..."}`, are skipped: the included group is read on its own).
fn requirement_names(value: &toml::Value) -> impl Iterator<Item = String> + '_ {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .filter_map(requirement_name)
}

/// Read a `pyproject.toml`; `None` when it is not valid TOML (the lockfile is still read: the
/// manifest only names the root and the direct dependencies).
pub fn project(text: &str) -> Option<Project> {
    let p: PyProject = toml::from_str(text).ok()?;
    let mut out = Project::default();
    if let Some(proj) = p.project {
        out.name = proj.name;
        out.version = proj.version;
        out.dependencies
            .extend(proj.dependencies.iter().filter_map(|d| requirement_name(d)));
        for deps in proj.optional_dependencies.values() {
            out.optional.extend(requirement_names(deps));
        }
    }
    for deps in p.dependency_groups.values() {
        out.dev.extend(requirement_names(deps));
    }
    if let Some(tool) = p.tool {
        if let Some(poetry) = tool.poetry {
            out.name = out.name.or(poetry.name);
            out.version = out.version.or(poetry.version);
            out.dependencies.extend(
                poetry
                    .dependencies
                    .keys()
                    .filter(|k| k.as_str() != "python")
                    .map(|k| normalize(k)),
            );
            out.dev
                .extend(poetry.dev_dependencies.keys().map(|k| normalize(k)));
            for group in poetry.group.values() {
                let deps = group.get("dependencies").and_then(|d| d.as_table());
                out.dev.extend(
                    deps.into_iter()
                        .flat_map(|t| t.keys())
                        .map(|k| normalize(k)),
                );
            }
        }
        if let Some(uv) = tool.uv {
            out.dev.extend(
                uv.dev_dependencies
                    .iter()
                    .filter_map(|d| requirement_name(d)),
            );
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_per_pep_503() {
        assert_eq!(normalize("Django_Rest.Framework"), "django-rest-framework");
        assert_eq!(normalize("charset_normalizer"), "charset-normalizer");
        assert_eq!(normalize("a--_b"), "a-b");
        assert_eq!(
            requirement_name("PySocks[x] (>=1.5); extra == 'socks'").as_deref(),
            Some("pysocks")
        );
        assert_eq!(requirement_name("-r x.txt"), None);
        assert_eq!(name_len("zope.interface==5"), "zope.interface".len());
        assert_eq!(name_len("name-==1"), 4);
    }

    #[test]
    fn hashes_need_a_known_algorithm_and_the_right_length() {
        let h = hash(&format!("sha256:{}", "AB".repeat(32))).expect("sha256");
        assert_eq!((h.alg, h.hex.len()), (HashAlg::Sha256, 64));
        assert!(h.hex.starts_with("abab"));
        assert_eq!(hash("md5:d41d8cd98f00b204e9800998ecf8427e"), None);
        assert_eq!(hash("sha256:abc"), None);
        assert_eq!(hash("sha256"), None);
    }

    #[test]
    fn several_artifact_digests_become_a_property() {
        let h = |c: char| hash(&format!("sha256:{}", c.to_string().repeat(64))).expect("hash");
        let mut one = Component::new(crate::Ecosystem::Pypi, "a", "1", "f");
        one.hashes.insert(h('a'));
        artifact_hashes(&mut one);
        assert_eq!(one.hashes.len(), 1);
        assert!(one.properties.is_empty());
        let mut two = Component::new(crate::Ecosystem::Pypi, "a", "1", "f");
        two.hashes.extend([h('b'), h('a')]);
        artifact_hashes(&mut two);
        assert!(two.hashes.is_empty());
        assert_eq!(
            two.properties["artifact-sha256"],
            format!("{} {}", "a".repeat(64), "b".repeat(64))
        );
    }

    #[test]
    fn pyproject_pep621_and_poetry_tables() {
        let p = project(
            r#"
[project]
name = "demo"
version = "1.0"
dependencies = ["Requests[socks]>=2", "tomli; python_version < '3.11'"]
[project.optional-dependencies]
fast = ["ujson"]
[dependency-groups]
dev = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
[tool.poetry.dependencies]
python = "^3.9"
Click = "^8"
[tool.poetry.group.docs.dependencies]
mkdocs = "*"
"#,
        )
        .expect("valid");
        assert_eq!(p.name.as_deref(), Some("demo"));
        assert_eq!(
            p.dependencies
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["click", "requests", "tomli"]
        );
        assert!(p.optional.contains("ujson"));
        assert_eq!(
            p.dev.iter().map(String::as_str).collect::<Vec<_>>(),
            ["mkdocs", "pytest", "ruff"]
        );
        assert_eq!(project("[project"), None);
    }
}
