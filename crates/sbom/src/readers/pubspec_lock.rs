//! `pubspec.lock` (Dart and Flutter). Every entry of `packages` is a locked package; its
//! `dependency` says `direct main` (direct), `direct dev` (direct and dev), `direct overridden`
//! (direct) or `transitive`. Hosted packages carry `description.sha256`, pub's content hash: the
//! SHA-256 of the package archive (the `.tar.gz`); lockfiles written before Dart 2.19 have none.
//! Packages from `source: sdk` (`flutter`, `flutter_test`, `sky_engine`) ship with the SDK and are
//! not pub packages: they are left out. `git` packages record the properties `git` (the URL) and
//! `git-revision` (`resolved-ref`); `path` packages record `path`; hosted packages from a server
//! other than pub.dev record `registry`. The lockfile has no edges between packages, so the graph
//! is the root and its direct dependencies. The root is the `name` and `version` of the
//! `pubspec.yaml` beside the lockfile, else the directory's name.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{Component, Ecosystem, Hash, HashAlg, InputError, Lockfile, Scope};

/// `pubspec.lock`.
pub const READER: super::Reader = super::Reader {
    format: "pubspec.lock",
    matches: |name| name == "pubspec.lock",
    parse: |input| {
        let manifest = input.sibling("pubspec.yaml");
        parse(input.rel, input.text, manifest.as_deref(), input.dir_name)
    },
};

#[derive(Deserialize)]
struct Lock {
    packages: Option<BTreeMap<String, Package>>,
}

#[derive(Deserialize)]
struct Package {
    dependency: Option<String>,
    description: Option<Description>,
    source: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Description {
    Map(DescriptionMap),
    /// `sdk` packages: the SDK's name.
    Other(serde::de::IgnoredAny),
}

#[derive(Deserialize, Default)]
struct DescriptionMap {
    name: Option<String>,
    sha256: Option<String>,
    url: Option<String>,
    path: Option<String>,
    #[serde(rename = "resolved-ref")]
    resolved_ref: Option<String>,
}

#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
}

fn is_pub_dev(url: &str) -> bool {
    let u = url.trim_end_matches('/');
    u == "https://pub.dev" || u == "https://pub.dartlang.org"
}

/// Parse `pubspec.lock` text; `manifest` is the `pubspec.yaml` beside it, if any.
pub fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
    dir_name: &str,
) -> Result<Lockfile, InputError> {
    let lock: Lock = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        let message = e.without_snippet().to_string();
        let message = message.lines().next().unwrap_or("invalid YAML").to_string();
        InputError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    })?;
    let Some(packages) = lock.packages else {
        return Err(InputError::file(file, "not a pubspec.lock: no `packages`"));
    };
    let manifest: Option<Manifest> = manifest.and_then(|m| serde_saphyr::from_str(m).ok());
    let name = manifest
        .as_ref()
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| dir_name.to_string());
    let version = manifest
        .as_ref()
        .and_then(|m| m.version.clone())
        .unwrap_or_default();
    let mut root = Component::new(Ecosystem::Pub, &name, &version, file);
    root.scope = Scope::Direct;

    let mut components = Vec::new();
    let mut direct = BTreeSet::new();
    for (key, p) in &packages {
        let source = p.source.as_deref().unwrap_or("hosted");
        if source == "sdk" {
            continue;
        }
        let desc = match &p.description {
            Some(Description::Map(m)) => Some(m),
            _ => None,
        };
        let pkg_name = desc
            .and_then(|d| d.name.as_deref())
            .filter(|_| source == "hosted")
            .unwrap_or(key);
        let version = p.version.as_deref().unwrap_or("");
        let mut c = Component::new(Ecosystem::Pub, pkg_name, version, file);
        match source {
            "hosted" => {
                if let Some(sum) = desc.and_then(|d| d.sha256.as_deref()) {
                    if sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                        c.hashes.insert(Hash {
                            alg: HashAlg::Sha256,
                            hex: sum.to_ascii_lowercase(),
                        });
                    }
                }
                if let Some(url) = desc.and_then(|d| d.url.as_deref()) {
                    if !is_pub_dev(url) {
                        c = c.property("registry", url);
                    }
                }
            }
            "git" => {
                if let Some(url) = desc.and_then(|d| d.url.as_deref()) {
                    c = c.property("git", url);
                }
                if let Some(r) = desc.and_then(|d| d.resolved_ref.as_deref()) {
                    c = c.property("git-revision", r);
                }
            }
            "path" => {
                if let Some(path) = desc.and_then(|d| d.path.as_deref()) {
                    c = c.property("path", path);
                }
            }
            other => c = c.property("source", other),
        }
        let dependency = p.dependency.as_deref().unwrap_or("transitive");
        if dependency.starts_with("direct") {
            c.scope = Scope::Direct;
            direct.insert(c.purl.clone());
        }
        c.dev = dependency == "direct dev";
        components.push(c);
    }
    components.retain(|c| c.purl != root.purl);
    direct.remove(&root.purl);
    let edges = BTreeMap::from([(root.purl.clone(), direct)]);
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

    const LOCK: &str = r#"# Generated by pub
# See https://dart.dev/tools/pub/glossary#lockfile
packages:
  async:
    dependency: transitive
    description:
      name: async
      sha256: "947bfcf187f74dbc5e146c9eb9c0f10c9f8b30743e341481c1e2ed3ecc18c20c"
      url: "https://pub.dev"
    source: hosted
    version: "2.11.0"
  flutter:
    dependency: "direct main"
    description: flutter
    source: sdk
    version: "0.0.0"
  flutter_lints:
    dependency: "direct dev"
    description:
      name: flutter_lints
      url: "https://pub.dartlang.org"
    source: hosted
    version: "2.0.1"
  graphview:
    dependency: "direct main"
    description:
      path: "."
      ref: loop-edge-renderer
      resolved-ref: a87a7a4818bc294487a1daa4365191a41b1d55d8
      url: "https://github.com/ThalesMMS/graphview.git"
    source: git
    version: "1.5.1"
  internal:
    dependency: "direct overridden"
    description:
      name: internal
      url: "https://pub.example.com"
    source: hosted
    version: "1.0.0"
  widgets:
    dependency: "direct main"
    description:
      path: "../widgets"
      relative: true
    source: path
    version: "0.1.0"
sdks:
  dart: ">=3.0.0 <4.0.0"
  flutter: ">=3.10.0"
"#;

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn direct_dev_sources_and_hashes() {
        let l = parse(
            "pubspec.lock",
            LOCK,
            Some("name: app\nversion: 1.0.0+3\n"),
            "d",
        )
        .expect("parses");
        assert_eq!(l.root.purl, "pkg:pub/app@1.0.0%2B3");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:pub/async@2.11.0",
                "pkg:pub/flutter_lints@2.0.1",
                "pkg:pub/graphview@1.5.1",
                "pkg:pub/internal@1.0.0",
                "pkg:pub/widgets@0.1.0",
            ]
        );
        let lints = by["pkg:pub/flutter_lints@2.0.1"];
        assert!(lints.dev);
        assert_eq!(lints.scope, Scope::Direct);
        assert!(lints.hashes.is_empty());
        let async_ = by["pkg:pub/async@2.11.0"];
        assert_eq!(async_.scope, Scope::Transitive);
        assert!(!async_.dev);
        let h = async_.hashes.iter().next().expect("sha256");
        assert_eq!((h.alg, &h.hex[..8]), (HashAlg::Sha256, "947bfcf1"));
        let git = by["pkg:pub/graphview@1.5.1"];
        assert_eq!(
            git.properties["git"],
            "https://github.com/ThalesMMS/graphview.git"
        );
        assert_eq!(
            git.properties["git-revision"],
            "a87a7a4818bc294487a1daa4365191a41b1d55d8"
        );
        assert!(!git.dev);
        assert_eq!(by["pkg:pub/widgets@0.1.0"].properties["path"], "../widgets");
        assert_eq!(
            by["pkg:pub/internal@1.0.0"].properties["registry"],
            "https://pub.example.com"
        );
        assert_eq!(by["pkg:pub/internal@1.0.0"].scope, Scope::Direct);
        assert_eq!(l.edges["pkg:pub/app@1.0.0%2B3"].len(), 4);
    }

    #[test]
    fn root_from_the_directory_without_pubspec_yaml() {
        let l = parse("pubspec.lock", LOCK, None, "proj").expect("parses");
        assert_eq!(l.root.purl, "pkg:pub/proj");
    }

    #[test]
    fn malformed_pubspec_lock_names_the_position() {
        let e = parse(
            "x/pubspec.lock",
            "packages:\n  a:\n    version: \"1.0.0\n  b: [\n",
            None,
            "x",
        )
        .expect_err("bad yaml");
        assert_eq!(e.file, "x/pubspec.lock");
        assert!(e.line >= 3, "{e:?}");
        assert!(e.column > 0, "{e:?}");
        let e = parse(
            "pubspec.lock",
            "packages:\n  a:\n    version: [1, 2]\n",
            None,
            "x",
        )
        .expect_err("version is a list");
        assert_eq!(e.line, 3, "{e:?}");
        let e = parse("pubspec.lock", "sdks: {}\n", None, "x").expect_err("no packages");
        assert!(e.message.contains("packages"), "{e}");
    }
}
