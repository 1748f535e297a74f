//! `composer.lock` (Composer 1 and 2). `packages` are the locked runtime packages and
//! `packages-dev` the ones only `require-dev` needs (marked dev); versions are kept as written
//! (`v6.3.0`). `dist.shasum`, when not empty, is the SHA-1 of the dist archive. `license` arrays
//! mean the user may choose (Composer's dual licensing), so several become one `A OR B`
//! expression. Each package's `require` gives the edges (platform requirements such as `php` and
//! `ext-json` are not packages and are left out; a name another package `replace`s resolves to
//! that package). The root and the direct dependencies come from the `composer.json` beside the
//! lockfile (`name`, `version`, `require`, `require-dev`); without it the root is named after the
//! directory and what no locked package requires counts as direct. A root name without a
//! `vendor/` (the directory's, or a `composer.json` without `name`) gives `pkg:generic/<name>`:
//! a Composer purl needs the vendor as its namespace.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use crate::{Component, Ecosystem, Hash, HashAlg, InputError, Lockfile, Scope};

/// `composer.lock`.
pub const READER: super::Reader = super::Reader {
    format: "composer.lock",
    matches: |name| name == "composer.lock",
    parse: |input| {
        let manifest = input.sibling("composer.json");
        parse(input.rel, input.text, manifest.as_deref(), input.dir_name)
    },
};

#[derive(Deserialize)]
struct Lock {
    packages: Option<Vec<Package>>,
    #[serde(rename = "packages-dev")]
    packages_dev: Option<Vec<Package>>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    source: Option<Source>,
    dist: Option<Source>,
    /// An object, or `[]` when empty in some writers.
    #[serde(default)]
    require: Value,
    #[serde(default)]
    replace: Value,
    #[serde(default)]
    license: Value,
}

#[derive(Deserialize)]
struct Source {
    #[serde(rename = "type")]
    ty: Option<String>,
    url: Option<String>,
    reference: Option<String>,
    shasum: Option<String>,
}

#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    require: Value,
    #[serde(default, rename = "require-dev")]
    require_dev: Value,
}

/// The keys of a JSON object (nothing for `[]`, `null` or anything else).
fn keys(v: &Value) -> impl Iterator<Item = &str> {
    v.as_object()
        .into_iter()
        .flat_map(|m| m.keys().map(String::as_str))
}

/// Requirements on the platform (`php`, `ext-json`, `lib-icu`, `composer-plugin-api`) rather
/// than on packages: package names always have a vendor.
fn is_platform(name: &str) -> bool {
    !name.contains('/')
}

fn license_expression(v: &Value) -> Option<String> {
    let ids: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let ids: Vec<&str> = ids
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    match ids.as_slice() {
        [] => None,
        [one] => Some((*one).to_string()),
        many => Some(
            many.iter()
                .map(|id| {
                    if id.contains(' ') {
                        format!("({id})")
                    } else {
                        (*id).to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" OR "),
        ),
    }
}

/// Parse `composer.lock` text; `manifest` is the `composer.json` beside it, if any.
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
    if lock.packages.is_none() && lock.packages_dev.is_none() {
        return Err(InputError::file(
            file,
            "not a composer.lock: no `packages` or `packages-dev`",
        ));
    }
    let manifest: Option<Manifest> = manifest.and_then(|m| serde_json::from_str(m).ok());
    let runtime = lock.packages.unwrap_or_default();
    let dev = lock.packages_dev.unwrap_or_default();
    let all: Vec<(&Package, bool)> = runtime
        .iter()
        .map(|p| (p, false))
        .chain(dev.iter().map(|p| (p, true)))
        .collect();

    let mut comps: Vec<Component> = Vec::with_capacity(all.len());
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (p, is_dev)) in all.iter().enumerate() {
        let mut c = Component::new(Ecosystem::Composer, &p.name, &p.version, file);
        c.dev = *is_dev;
        if let Some(sum) = p.dist.as_ref().and_then(|d| d.shasum.as_deref()) {
            if sum.len() == 40 && sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                c.hashes.insert(Hash {
                    alg: HashAlg::Sha1,
                    hex: sum.to_ascii_lowercase(),
                });
            }
        }
        c.licenses.extend(license_expression(&p.license));
        let dist_ty = p.dist.as_ref().and_then(|d| d.ty.as_deref());
        if dist_ty == Some("path") {
            if let Some(url) = p.dist.as_ref().and_then(|d| d.url.clone()) {
                c = c.property("path", url);
            }
        } else if p.dist.is_none() {
            // Only a VCS source: record where it comes from.
            if let Some(s) = &p.source {
                if let Some(url) = &s.url {
                    c = c.property(s.ty.as_deref().unwrap_or("source"), url.clone());
                }
                if let Some(r) = &s.reference {
                    c = c.property("reference", r.clone());
                }
            }
        }
        comps.push(c);
        by_name.insert(p.name.to_ascii_lowercase(), i);
    }
    // Names replaced by a locked package resolve to it (unless locked themselves).
    for (i, (p, _)) in all.iter().enumerate() {
        for r in keys(&p.replace) {
            by_name.entry(r.to_ascii_lowercase()).or_insert(i);
        }
    }
    let resolve = |names: &mut dyn Iterator<Item = &str>| -> BTreeSet<usize> {
        names
            .filter(|n| !is_platform(n))
            .filter_map(|n| by_name.get(&n.to_ascii_lowercase()).copied())
            .collect()
    };
    let deps: Vec<BTreeSet<usize>> = all
        .iter()
        .map(|(p, _)| resolve(&mut keys(&p.require)))
        .collect();

    let direct: BTreeSet<usize> = match &manifest {
        Some(m) => resolve(&mut keys(&m.require).chain(keys(&m.require_dev))),
        None => {
            let required: BTreeSet<usize> = deps.iter().flatten().copied().collect();
            (0..all.len()).filter(|i| !required.contains(i)).collect()
        }
    };
    for &i in &direct {
        if let Some(c) = comps.get_mut(i) {
            c.scope = Scope::Direct;
        }
    }
    let purl_of = |i: &usize| comps.get(*i).map(|c| c.purl.clone());
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, d) in deps.iter().enumerate() {
        if let Some(c) = comps.get(i) {
            edges.insert(c.purl.clone(), d.iter().filter_map(purl_of).collect());
        }
    }
    let name = manifest
        .as_ref()
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| dir_name.to_string());
    let version = manifest
        .as_ref()
        .and_then(|m| m.version.clone())
        .unwrap_or_default();
    // A Composer purl needs a `vendor/` namespace: a nameless project (named after its directory)
    // or a name without a vendor is a generic root.
    let ecosystem = match crate::purl::split(Ecosystem::Composer, &name) {
        (Some(_), _) => Ecosystem::Composer,
        (None, _) => Ecosystem::Generic,
    };
    let mut root = Component::new(ecosystem, &name, &version, file);
    root.scope = Scope::Direct;
    edges.insert(
        root.purl.clone(),
        direct.iter().filter_map(purl_of).collect(),
    );
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components: comps,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "content-hash": "x",
    "packages": [
        {
            "name": "symfony/console",
            "version": "v6.3.0",
            "dist": {"type": "zip", "url": "https://example.test/c.zip", "reference": "abc", "shasum": ""},
            "require": {"php": ">=8.1", "ext-mbstring": "*", "symfony/polyfill-mbstring": "~1.0", "psr/log-implementation": "1.0"},
            "license": ["MIT"]
        },
        {
            "name": "symfony/polyfill-php80",
            "version": "v1.28.0",
            "dist": {"type": "zip", "url": "https://example.test/p.zip", "shasum": "0123456789ABCDEF0123456789abcdef01234567"},
            "replace": {"symfony/polyfill-mbstring": "*"},
            "license": ["Apache-2.0", "MIT"]
        },
        {
            "name": "acme/fork",
            "version": "dev-main",
            "source": {"type": "git", "url": "https://github.com/acme/fork.git", "reference": "0123abcd"},
            "require": []
        }
    ],
    "packages-dev": [
        {
            "name": "phpunit/phpunit",
            "version": "10.4.2",
            "require": {"sebastian/diff": "^5.0"}
        },
        {"name": "sebastian/diff", "version": "5.0.3"}
    ]
}"#;

    const MANIFEST: &str = r#"{"name": "acme/shop", "require": {"php": ">=8.1", "symfony/console": "^6.3", "acme/fork": "dev-main"}, "require-dev": {"phpunit/phpunit": "^10"}}"#;

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn dev_packages_hashes_licenses_and_edges() {
        let l = parse("composer.lock", LOCK, Some(MANIFEST), "dir").expect("parses");
        assert_eq!(l.root.purl, "pkg:composer/acme/shop");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:composer/acme/fork@dev-main",
                "pkg:composer/phpunit/phpunit@10.4.2",
                "pkg:composer/sebastian/diff@5.0.3",
                "pkg:composer/symfony/console@v6.3.0",
                "pkg:composer/symfony/polyfill-php80@v1.28.0",
            ]
        );
        let phpunit = by["pkg:composer/phpunit/phpunit@10.4.2"];
        assert!(phpunit.dev);
        assert_eq!(phpunit.scope, Scope::Direct);
        let diff = by["pkg:composer/sebastian/diff@5.0.3"];
        assert!(diff.dev);
        assert_eq!(diff.scope, Scope::Transitive);
        let console = by["pkg:composer/symfony/console@v6.3.0"];
        assert!(!console.dev);
        assert!(console.hashes.is_empty()); // empty shasum
        assert_eq!(
            console.licenses.iter().next().map(String::as_str),
            Some("MIT")
        );
        let poly = by["pkg:composer/symfony/polyfill-php80@v1.28.0"];
        let h = poly.hashes.iter().next().expect("sha1");
        assert_eq!(
            (h.alg, h.hex.as_str()),
            (HashAlg::Sha1, "0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(
            poly.licenses.iter().next().map(String::as_str),
            Some("Apache-2.0 OR MIT")
        );
        // Platform requirements are dropped; a replaced name resolves to its replacement.
        assert_eq!(
            l.edges["pkg:composer/symfony/console@v6.3.0"],
            BTreeSet::from(["pkg:composer/symfony/polyfill-php80@v1.28.0".to_string()])
        );
        assert_eq!(
            by["pkg:composer/acme/fork@dev-main"].properties["git"],
            "https://github.com/acme/fork.git"
        );
        assert_eq!(l.edges["pkg:composer/acme/shop"].len(), 3);
    }

    #[test]
    fn without_composer_json_unrequired_packages_are_direct() {
        let l = parse("composer.lock", LOCK, None, "shop").expect("parses");
        // No vendor, so not a valid Composer purl: a generic root.
        assert_eq!(l.root.purl, "pkg:generic/shop");
        assert!(l.edges.contains_key("pkg:generic/shop"));
        let by = by_purl(&l);
        assert_eq!(
            by["pkg:composer/phpunit/phpunit@10.4.2"].scope,
            Scope::Direct
        );
        assert_eq!(
            by["pkg:composer/sebastian/diff@5.0.3"].scope,
            Scope::Transitive
        );
        // A composer.json without `name` too.
        let nameless =
            parse("composer.lock", LOCK, Some("{\"require\": {}}"), "shop").expect("parses");
        assert_eq!(nameless.root.purl, "pkg:generic/shop");
    }

    #[test]
    fn malformed_composer_lock_names_the_position() {
        let e = parse(
            "p/composer.lock",
            "{\n  \"packages\": [\n    {\"name\": 1}\n  ]\n}",
            None,
            "p",
        )
        .expect_err("name is a number");
        assert_eq!((e.file.as_str(), e.line), ("p/composer.lock", 3));
        assert!(e.column > 0);
        let e = parse("composer.lock", "{\"a\": 1}", None, "p").expect_err("not a lockfile");
        assert!(e.message.contains("packages"), "{e}");
    }
}
