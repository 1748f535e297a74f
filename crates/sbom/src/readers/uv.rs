//! `uv.lock` (version 1). uv resolves once for every platform and Python version, so a package
//! can be locked at several versions (one per resolution fork): each is a component. The digests
//! of its sdist and wheels are its hash when there is one file, else the property
//! `artifact-sha256` (a wheel's digest is not the package's). A dependency names a package, and its `version` and
//! `source` when the name alone is ambiguous; its `extra` list activates the target's
//! `[package.optional-dependencies]`.
//!
//! The root is the package whose source is the lockfile's own folder (`{ editable = "." }` or
//! `{ virtual = "." }`); the other `editable` and `virtual` packages are workspace members
//! (property `editable` for the editable ones): direct, like what the root and members ask for, and
//! the root depends on every member. A workspace whose root is not a package gets a root named
//! after the directory, depending on every member. Scopes follow the graph from the root and members: what their `dependencies` reach
//! (with the extras asked for) is required; what only their own extras
//! (`optional-dependencies`) reach is optional; what only their dependency groups
//! (`dev-dependencies`) reach is dev; a package nothing reaches (an extra nobody asks for) is
//! optional. Git, URL, `directory` and `path` sources keep their location as the property `url`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Deserialize;

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

use super::python::{self, normalize};

#[derive(Deserialize)]
struct Lock {
    version: Option<i64>,
    #[serde(default)]
    package: Vec<Package>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Package {
    name: String,
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<Dep>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<Dep>>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Vec<Dep>>,
    sdist: Option<Dist>,
    #[serde(default)]
    wheels: Vec<Dist>,
}

#[derive(Deserialize)]
struct Dep {
    name: String,
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    extra: Vec<String>,
}

#[derive(Deserialize)]
struct Dist {
    hash: Option<String>,
}

/// `uv.lock`.
pub const READER: super::Reader = super::Reader {
    format: "uv.lock",
    matches: |name| name == "uv.lock",
    parse: |input| parse(input.rel, input.text, input.dir_name),
};

/// The source kinds that are the project's own folders.
const LOCAL: &[&str] = &["editable", "virtual", "directory", "path"];

fn source_str<'a>(source: &'a BTreeMap<String, toml::Value>, key: &str) -> Option<&'a str> {
    source.get(key).and_then(|v| v.as_str())
}

/// Parse `uv.lock` text.
pub fn parse(file: &str, text: &str, dir_name: &str) -> Result<Lockfile, InputError> {
    let lock: Lock = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        InputError::at(file, text, offset, e.message())
    })?;
    if lock.version.is_none() {
        return Err(InputError::file(
            file,
            "not a uv.lock: no top-level `version`",
        ));
    }
    let pkgs = &lock.package;
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in pkgs.iter().enumerate() {
        by_name.entry(normalize(&p.name)).or_default().push(i);
    }
    // A dependency: the one package of that name, else the one with that version (and source).
    let resolve = |d: &Dep| -> Option<usize> {
        let candidates = by_name.get(&normalize(&d.name))?;
        if let [only] = candidates.as_slice() {
            return Some(*only);
        }
        candidates.iter().copied().find(|&i| {
            pkgs.get(i).is_some_and(|p| {
                d.version
                    .as_deref()
                    .is_none_or(|v| p.version.as_deref() == Some(v))
                    && (d.source.is_empty() || d.source == p.source)
            })
        })
    };

    let mut comps: Vec<Component> = Vec::with_capacity(pkgs.len());
    let mut members: Vec<usize> = Vec::new();
    let mut root_idx = None;
    for (i, p) in pkgs.iter().enumerate() {
        let mut c = Component::new(
            Ecosystem::Pypi,
            &p.name,
            p.version.as_deref().unwrap_or(""),
            file,
        );
        let dists = p.sdist.iter().chain(&p.wheels);
        c.hashes.extend(
            dists
                .filter_map(|d| d.hash.as_deref())
                .filter_map(python::hash),
        );
        python::artifact_hashes(&mut c);
        let local = LOCAL
            .iter()
            .find_map(|k| source_str(&p.source, k).map(|v| (*k, v)));
        match local {
            Some((kind, ".")) if matches!(kind, "editable" | "virtual") && root_idx.is_none() => {
                root_idx = Some(i);
            }
            Some((kind, path)) if matches!(kind, "editable" | "virtual") => {
                members.push(i);
                if kind == "editable" {
                    c = c.property("editable", path);
                }
            }
            Some((_, path)) => c = c.property("url", path),
            None => {
                if let Some(git) = source_str(&p.source, "git") {
                    c = c.property("url", format!("git+{git}"));
                } else if let Some(url) = source_str(&p.source, "url") {
                    c = c.property("url", url);
                }
            }
        }
        comps.push(c);
    }

    // Edges, by kind, as (target, extras asked for).
    type Edges = Vec<(usize, Vec<String>)>;
    let targets = |deps: &[Dep]| -> Edges {
        deps.iter()
            .filter_map(|d| resolve(d).map(|t| (t, d.extra.clone())))
            .collect()
    };
    let normal: Vec<Edges> = pkgs.iter().map(|p| targets(&p.dependencies)).collect();
    let extras: Vec<BTreeMap<String, Edges>> = pkgs
        .iter()
        .map(|p| {
            p.optional_dependencies
                .iter()
                .map(|(k, v)| (k.clone(), targets(v)))
                .collect()
        })
        .collect();
    let groups: Vec<Edges> = pkgs
        .iter()
        .map(|p| {
            p.dev_dependencies
                .values()
                .flat_map(|v| targets(v))
                .collect()
        })
        .collect();

    // Everything reachable from `seeds` through dependencies and the extras asked for.
    let closure = |seeds: Vec<(usize, Vec<String>)>| -> BTreeSet<usize> {
        let mut seen: BTreeSet<(usize, Option<String>)> = BTreeSet::new();
        let mut queue: VecDeque<(usize, Option<String>)> = VecDeque::new();
        for (i, ex) in seeds {
            queue.push_back((i, None));
            queue.extend(ex.into_iter().map(|e| (i, Some(e))));
        }
        while let Some(item) = queue.pop_front() {
            if !seen.insert(item.clone()) {
                continue;
            }
            let (i, extra) = item;
            let next = match &extra {
                None => normal.get(i),
                Some(e) => extras.get(i).and_then(|m| m.get(e)),
            };
            for (t, ex) in next.into_iter().flatten() {
                queue.push_back((*t, None));
                queue.extend(ex.iter().map(|e| (*t, Some(e.clone()))));
            }
        }
        seen.into_iter().map(|(i, _)| i).collect()
    };
    let tops: Vec<usize> = root_idx
        .iter()
        .copied()
        .chain(members.iter().copied())
        .collect();
    let seeds = |with_extras: bool, with_groups: bool| -> Vec<(usize, Vec<String>)> {
        let mut s: Vec<(usize, Vec<String>)> = tops.iter().map(|&i| (i, Vec::new())).collect();
        for &i in &tops {
            if with_extras {
                s.extend(
                    extras
                        .get(i)
                        .into_iter()
                        .flat_map(|m| m.values())
                        .flatten()
                        .cloned(),
                );
            }
            if with_groups {
                s.extend(groups.get(i).into_iter().flatten().cloned());
            }
        }
        s
    };
    let required = closure(seeds(false, false));
    let with_optional = closure(seeds(true, false));
    let everything = closure(seeds(true, true));

    let mut direct: BTreeSet<usize> = members.iter().copied().collect();
    for &i in &tops {
        let asked = normal.get(i).into_iter().flatten();
        let asked = asked.chain(extras.get(i).into_iter().flat_map(|m| m.values()).flatten());
        let asked = asked.chain(groups.get(i).into_iter().flatten());
        direct.extend(asked.map(|(t, _)| *t));
    }
    for (i, c) in comps.iter_mut().enumerate() {
        if direct.contains(&i) {
            c.scope = Scope::Direct;
        }
        // Not required: dev when only dependency groups reach it, else optional (an extra,
        // possibly one nobody in the lockfile asks for).
        if !required.contains(&i) && Some(i) != root_idx {
            if everything.contains(&i) && !with_optional.contains(&i) {
                c.dev = true;
            } else {
                c.optional = true;
            }
        }
    }

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in 0..pkgs.len() {
        let all = normal.get(i).into_iter().flatten();
        let all = all.chain(extras.get(i).into_iter().flat_map(|m| m.values()).flatten());
        let all = all.chain(groups.get(i).into_iter().flatten());
        let to: BTreeSet<String> = all
            .filter_map(|(t, _)| comps.get(*t).map(|c| c.purl.clone()))
            .collect();
        if let Some(c) = comps.get(i) {
            edges.entry(c.purl.clone()).or_default().extend(to);
        }
    }
    let member_refs: BTreeSet<String> = members
        .iter()
        .filter_map(|&i| comps.get(i).map(|c| c.purl.clone()))
        .collect();
    let mut root = match root_idx.and_then(|i| comps.get(i)) {
        Some(r) => {
            // The members are direct: the root depends on each (never on itself).
            let to = member_refs.iter().filter(|m| **m != r.purl).cloned();
            edges.entry(r.purl.clone()).or_default().extend(to);
            r.clone()
        }
        None => {
            let r = Component::new(Ecosystem::Pypi, dir_name, "", file);
            edges.insert(r.purl.clone(), member_refs);
            r
        }
    };
    root.scope = Scope::Direct;
    root.dev = false;
    root.optional = false;
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

    fn lock() -> String {
        format!(
            r#"
version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [
    {{ name = "click", version = "8.1.8", source = {{ registry = "https://pypi.org/simple" }}, marker = "python_full_version < '3.10'" }},
    {{ name = "click", version = "8.2.0", source = {{ registry = "https://pypi.org/simple" }}, marker = "python_full_version >= '3.10'" }},
    {{ name = "requests", extra = ["socks"] }},
    {{ name = "lib" }},
]

[package.optional-dependencies]
fast = [{{ name = "ujson" }}]

[package.dev-dependencies]
dev = [{{ name = "pytest" }}]

[[package]]
name = "lib"
version = "0.2.0"
source = {{ editable = "packages/lib" }}
dependencies = [{{ name = "tool" }}]

[[package]]
name = "tool"
version = "1.0.0"
source = {{ git = "https://github.com/org/tool?rev=v1#abc123" }}

[[package]]
name = "click"
version = "8.1.8"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files/click-8.1.8.tar.gz", hash = "sha256:{H1}", size = 1 }}
wheels = [{{ url = "https://files/click-8.1.8-py3-none-any.whl", hash = "sha256:{H2}", size = 1 }}]

[[package]]
name = "click"
version = "8.2.0"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "requests"
version = "2.32.0"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [{{ name = "urllib3" }}]

[package.optional-dependencies]
socks = [{{ name = "pysocks" }}]
security = [{{ name = "cryptography" }}]

[[package]]
name = "pysocks"
version = "1.7.1"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "cryptography"
version = "42.0.0"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "urllib3"
version = "2.2.0"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "ujson"
version = "5.0.0"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "pytest"
version = "8.0.0"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [{{ name = "urllib3" }}, {{ name = "iniconfig" }}]

[[package]]
name = "iniconfig"
version = "2.0.0"
source = {{ registry = "https://pypi.org/simple" }}
"#
        )
    }

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn forks_hashes_extras_and_groups() {
        let l = parse("uv.lock", &lock(), "dir").expect("parses");
        assert_eq!(l.root.purl, "pkg:pypi/app@0.1.0");
        let by = by_purl(&l);
        assert_eq!(by.len(), 11);
        let click = by["pkg:pypi/click@8.1.8"];
        // An sdist and a wheel: artifact digests, not the package's hash.
        assert!(click.hashes.is_empty());
        assert_eq!(click.properties["artifact-sha256"], format!("{H1} {H2}"));
        assert_eq!(click.scope, Scope::Direct);
        assert_eq!(by["pkg:pypi/click@8.2.0"].scope, Scope::Direct);
        assert_eq!(
            l.edges["pkg:pypi/app@0.1.0"],
            [
                "pkg:pypi/click@8.1.8",
                "pkg:pypi/click@8.2.0",
                "pkg:pypi/lib@0.2.0",
                "pkg:pypi/pytest@8.0.0",
                "pkg:pypi/requests@2.32.0",
                "pkg:pypi/ujson@5.0.0",
            ]
            .map(String::from)
            .into()
        );
        // The extra asked for is required; the one nobody asked for is optional.
        let pysocks = by["pkg:pypi/pysocks@1.7.1"];
        assert!(!pysocks.optional && !pysocks.dev);
        assert_eq!(pysocks.scope, Scope::Transitive);
        assert!(by["pkg:pypi/cryptography@42.0.0"].optional);
        assert!(!by["pkg:pypi/cryptography@42.0.0"].dev);
        // The project's own extra: optional.
        assert!(by["pkg:pypi/ujson@5.0.0"].optional);
        // Dev only; urllib3 is also required at run time.
        assert!(by["pkg:pypi/pytest@8.0.0"].dev);
        assert!(by["pkg:pypi/iniconfig@2.0.0"].dev);
        assert!(!by["pkg:pypi/urllib3@2.2.0"].dev);
        // A workspace member and what it asks for are direct.
        let lib = by["pkg:pypi/lib@0.2.0"];
        assert_eq!(lib.properties["editable"], "packages/lib");
        assert_eq!(by["pkg:pypi/tool@1.0.0"].scope, Scope::Direct);
        assert_eq!(
            by["pkg:pypi/tool@1.0.0"].properties["url"],
            "git+https://github.com/org/tool?rev=v1#abc123"
        );
    }

    #[test]
    fn a_root_package_depends_on_every_member() {
        // The root no longer asks for `lib`: it is still a member, direct, with a root edge.
        let text = lock().replacen("    {{ name = \"lib\" }},\n", "", 1);
        let text = text.replacen("    { name = \"lib\" },\n", "", 1);
        assert!(!text.contains("{ name = \"lib\" }"));
        let l = parse("uv.lock", &text, "dir").expect("parses");
        assert_eq!(by_purl(&l)["pkg:pypi/lib@0.2.0"].scope, Scope::Direct);
        assert!(l.edges["pkg:pypi/app@0.1.0"].contains("pkg:pypi/lib@0.2.0"));
        assert!(!l.edges["pkg:pypi/app@0.1.0"].contains("pkg:pypi/app@0.1.0"));
    }

    #[test]
    fn a_workspace_without_a_root_package() {
        let text = lock().replacen(
            "source = { editable = \".\" }",
            "source = { editable = \"apps/app\" }",
            1,
        );
        let l = parse("uv.lock", &text, "mono").expect("parses");
        assert_eq!(l.root.purl, "pkg:pypi/mono");
        assert_eq!(
            l.edges["pkg:pypi/mono"],
            ["pkg:pypi/app@0.1.0", "pkg:pypi/lib@0.2.0"]
                .map(String::from)
                .into()
        );
        let by = by_purl(&l);
        assert_eq!(by["pkg:pypi/app@0.1.0"].scope, Scope::Direct);
        assert_eq!(by["pkg:pypi/requests@2.32.0"].scope, Scope::Direct);
        assert_eq!(by["pkg:pypi/urllib3@2.2.0"].scope, Scope::Transitive);
    }

    #[test]
    fn truncated_locks_never_panic() {
        let text = lock();
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = parse("uv.lock", &text[..end], "d");
        }
    }

    #[test]
    fn malformed_lock_names_the_position() {
        let e = parse(
            "a/uv.lock",
            "version = 1\n[[package]]\nname = \"x\"\nsource = {registry\n",
            "a",
        )
        .expect_err("corrupt");
        assert_eq!((e.file.as_str(), e.line), ("a/uv.lock", 4));
        let e = parse("uv.lock", "[[package]]\nname = \"x\"\n", "a").expect_err("no version");
        assert!(e.message.contains("version"), "{e}");
        let e = parse(
            "uv.lock",
            "version = 1\n[[package]]\nversion = \"1\"\n",
            "a",
        )
        .expect_err("no name");
        assert!(e.message.contains("name"), "{e}");
    }
}
