//! SwiftPM `Package.resolved`, format versions 1 (`object.pins[]` with `package`,
//! `repositoryURL`, `state`) and 2/3 (`pins[]` with `identity`, `kind`, `location`, `state`;
//! v3 adds `originHash`).
//!
//! Each pin is a component named after its repository: the location URL without scheme, user,
//! port and `.git` (`https://github.com/apple/swift-nio.git` and `git@github.com:apple/swift-nio`
//! both give `pkg:swift/github.com/apple/swift-nio@2.62.0`). A pin resolved to a revision or
//! branch has no release version: its version is the commit (as cdxgen and the purl spec's VCS
//! types do), so the purl still names exactly what was built; the commit is also kept in the
//! property `revision` (for versioned pins too), the branch in `branch`. Registry pins
//! (`kind: registry`) are named by their identity (`scope.name`), the scope being the purl
//! namespace (`pkg:swift/mona/linkedlist@0.2.1`: a Swift purl needs a namespace and a registry
//! pin names no host); local packages by their identity, as `pkg:generic/<identity>` (no host or
//! owner), with the path in the property `location`.
//!
//! The file records no dependency graph. As a best effort, a pin whose URL (or registry id) the
//! `Package.swift` beside it names in a `.package(...)` is direct and the root depends on it; the
//! others are transitive. The root is `pkg:generic/<name>` (a package's own name has no host or
//! owner for a Swift purl's namespace), named by the `name:` of `Package.swift`, else the Xcode
//! project holding the file
//! (`App.xcodeproj/project.xcworkspace/xcshareddata/swiftpm/Package.resolved`), else the
//! directory name.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

#[derive(Deserialize)]
struct Resolved {
    version: Option<u32>,
    object: Option<V1Object>,
    pins: Option<Vec<Pin>>,
}

#[derive(Deserialize)]
struct V1Object {
    #[serde(default)]
    pins: Vec<Pin>,
}

/// A pin of either format (v1 names in the aliases).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pin {
    #[serde(alias = "package")]
    identity: Option<String>,
    #[serde(alias = "repositoryURL")]
    location: Option<String>,
    /// v2/v3: `remoteSourceControl`, `localSourceControl`, `registry`, ...
    kind: Option<String>,
    #[serde(default)]
    state: State,
}

#[derive(Deserialize, Default)]
struct State {
    version: Option<String>,
    revision: Option<String>,
    branch: Option<String>,
}

/// `Package.resolved`.
pub const READER: super::Reader = super::Reader {
    format: "Package.resolved",
    matches: |name| name == "Package.resolved",
    parse: |input| {
        let manifest = input.sibling("Package.swift");
        let name = manifest
            .as_deref()
            .and_then(package_name)
            .or_else(|| xcode_project(input.dir))
            .unwrap_or_else(|| input.dir_name.to_string());
        parse(input.rel, input.text, manifest.as_deref(), &name)
    },
};

/// Parse `Package.resolved` text; `manifest` is the `Package.swift` beside it.
pub fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
    project: &str,
) -> Result<Lockfile, InputError> {
    let resolved: Resolved = serde_json::from_str(text).map_err(|e| json_error(file, &e))?;
    let pins = match (resolved.version, resolved.object, resolved.pins) {
        (Some(_), Some(object), _) => object.pins,
        (Some(_), None, Some(pins)) => pins,
        _ => {
            return Err(InputError::at(
                file,
                text,
                0,
                "not a Package.resolved file: no `version` with `pins` or `object.pins`",
            ));
        }
    };
    let declared: BTreeSet<String> = manifest.map(declared_packages).unwrap_or_default();

    // A Swift purl needs a host and owner as its namespace, which a package's own name lacks.
    let mut root = Component::new(Ecosystem::Generic, project, "", file);
    root.scope = Scope::Direct;
    let mut comps: BTreeMap<String, Component> = BTreeMap::new();
    for pin in pins {
        let identity = pin.identity.as_deref().unwrap_or("").trim();
        let location = pin.location.as_deref().unwrap_or("").trim();
        let repo = repo_path(location);
        let name = match &repo {
            Some(r) => r.clone(),
            None if !identity.is_empty() => identity.to_string(),
            None => continue,
        };
        let revision = pin.state.revision.as_deref().unwrap_or("").trim();
        let version = match pin.state.version.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => v,
            _ if repo.is_some() => revision,
            _ => "",
        };
        let mut c = match (&repo, registry_id(identity, pin.kind.as_deref())) {
            (Some(_), _) => Component::new(Ecosystem::Swift, &name, version, file),
            // `scope.name`: the scope is the namespace (there is no host to name).
            (None, Some((scope, short))) => {
                let mut c = Component::new(Ecosystem::Swift, &name, version, file);
                c.purl = crate::purl::build("swift", Some(scope), short, version, &[]);
                c
            }
            // A local package: no host or owner, so no Swift purl.
            (None, None) => Component::new(Ecosystem::Generic, &name, version, file),
        };
        if let Some(rev) = pin.state.revision.as_deref().filter(|r| !r.is_empty()) {
            c = c.property("revision", rev);
        }
        if let Some(branch) = pin.state.branch.as_deref().filter(|b| !b.is_empty()) {
            c = c.property("branch", branch);
        }
        if repo.is_none() && !location.is_empty() {
            c = c.property("location", location);
        }
        let key = repo.as_deref().unwrap_or(identity).to_ascii_lowercase();
        if declared.contains(&key) {
            c.scope = Scope::Direct;
        }
        comps.insert(c.purl.clone(), c);
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.insert(
        root.purl.clone(),
        comps
            .values()
            .filter(|c| c.scope == Scope::Direct)
            .map(|c| c.purl.clone())
            .collect(),
    );
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components: comps.into_values().collect(),
        edges,
    })
}

/// The scope and name of a `registry` pin's identity (`mona.linkedlist`).
fn registry_id<'a>(identity: &'a str, kind: Option<&str>) -> Option<(&'a str, &'a str)> {
    if kind != Some("registry") {
        return None;
    }
    identity
        .split_once('.')
        .filter(|(scope, name)| !scope.is_empty() && !name.is_empty())
}

/// `host/owner/repo` from a Git URL (`https://`, `ssh://`, `git://`, scp-like `git@host:path`),
/// without user, port, trailing `/` and `.git`; the host lowercased. `None` for local paths.
pub fn repo_path(url: &str) -> Option<String> {
    let url = url.trim();
    let (host, path) = if let Some((_, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        (host.split(':').next().unwrap_or(host), path)
    } else {
        // scp-like `user@host:owner/repo`: a `:` before any `/`.
        let colon = url.find(':')?;
        if url.find('/').is_some_and(|s| s < colon) {
            return None;
        }
        let (authority, path) = (url.get(..colon)?, url.get(colon + 1..)?);
        (
            authority.rsplit_once('@').map_or(authority, |(_, h)| h),
            path,
        )
    };
    let path = path.trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("{}/{path}", host.to_ascii_lowercase()))
}

/// The repositories (`host/owner/repo`, lowercased) and registry ids a `Package.swift` names in
/// `.package(url: ...)` / `.package(id: ...)`.
fn declared_packages(manifest: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in manifest.match_indices(".package(") {
        let Some(call) = manifest.get(i..) else {
            continue;
        };
        let call = call.split(')').next().unwrap_or(call);
        for key in ["url:", "id:"] {
            if let Some(v) = call.split_once(key).and_then(|(_, r)| string_literal(r)) {
                let v = if key == "url:" {
                    repo_path(v).unwrap_or_else(|| v.to_string())
                } else {
                    v.to_string()
                };
                out.insert(v.to_ascii_lowercase());
            }
        }
    }
    out
}

/// The first `"..."` at the start of `s` (after spaces).
fn string_literal(s: &str) -> Option<&str> {
    let s = s.trim_start().strip_prefix('"')?;
    s.get(..s.find('"')?)
}

/// The `name:` of the `Package(` in a `Package.swift`.
pub fn package_name(manifest: &str) -> Option<String> {
    let (_, after) = manifest.split_once("Package(")?;
    let (_, rest) = after.split_once("name:")?;
    string_literal(rest)
        .filter(|n| !n.is_empty())
        .map(String::from)
}

/// The stem of the `.xcodeproj` or `.xcworkspace` holding `dir`, if any.
fn xcode_project(dir: &std::path::Path) -> Option<String> {
    dir.ancestors().find_map(|a| {
        let name = a.file_name()?.to_str()?;
        let stem = name
            .strip_suffix(".xcodeproj")
            .or_else(|| name.strip_suffix(".xcworkspace"))?;
        (!stem.is_empty() && stem != "project").then(|| stem.to_string())
    })
}

fn json_error(file: &str, e: &serde_json::Error) -> InputError {
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    InputError {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms() {
        for url in [
            "https://github.com/apple/swift-nio.git",
            "https://github.com/apple/swift-nio",
            "https://github.com/apple/swift-nio/",
            "https://GitHub.com/apple/swift-nio.git",
            "git@github.com:apple/swift-nio.git",
            "ssh://git@github.com:22/apple/swift-nio.git",
            "git://github.com/apple/swift-nio",
            "https://user:token@github.com/apple/swift-nio.git",
        ] {
            assert_eq!(
                repo_path(url).as_deref(),
                Some("github.com/apple/swift-nio"),
                "{url}"
            );
        }
        assert_eq!(
            repo_path("https://gitlab.example.com/group/sub/Lib.git").as_deref(),
            Some("gitlab.example.com/group/sub/Lib")
        );
        assert_eq!(repo_path("/Users/me/src/LocalLib"), None);
        assert_eq!(repo_path("../LocalLib"), None);
        assert_eq!(repo_path("https://github.com/"), None);
    }

    const V1: &str = r#"{
  "object": {
    "pins": [
      {
        "package": "swift-argument-parser",
        "repositoryURL": "https://github.com/apple/swift-argument-parser.git",
        "state": { "branch": null, "revision": "fee6933f37fde9a5e12a1e4aeaa93fe60116ff2a", "version": "1.2.2" }
      },
      {
        "package": "Nimble",
        "repositoryURL": "git@github.com:Quick/Nimble.git",
        "state": { "branch": "main", "revision": "1f3bde57bde12f5e7b07909848c071e9b73d6edc", "version": null }
      }
    ]
  },
  "version": 1
}"#;

    #[test]
    fn v1_pins_and_revision_only_pins() {
        let manifest = r#"let package = Package(
    name: "Tool",
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.2.0"),
    ]
)"#;
        let name = package_name(manifest).expect("name");
        let l = parse("Package.resolved", V1, Some(manifest), &name).expect("parses");
        assert_eq!(l.root.purl, "pkg:generic/Tool");
        let by: BTreeMap<_, _> = l.components.iter().map(|c| (c.purl.as_str(), c)).collect();
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:swift/github.com/Quick/Nimble@1f3bde57bde12f5e7b07909848c071e9b73d6edc",
                "pkg:swift/github.com/apple/swift-argument-parser@1.2.2",
            ]
        );
        let nimble =
            by["pkg:swift/github.com/Quick/Nimble@1f3bde57bde12f5e7b07909848c071e9b73d6edc"];
        assert_eq!(nimble.version, "1f3bde57bde12f5e7b07909848c071e9b73d6edc");
        assert_eq!(
            nimble.properties["revision"],
            "1f3bde57bde12f5e7b07909848c071e9b73d6edc"
        );
        assert_eq!(nimble.properties["branch"], "main");
        assert_eq!(nimble.scope, Scope::Transitive);
        let parser = by["pkg:swift/github.com/apple/swift-argument-parser@1.2.2"];
        assert_eq!(parser.scope, Scope::Direct);
        assert_eq!(
            l.edges["pkg:generic/Tool"],
            BTreeSet::from(["pkg:swift/github.com/apple/swift-argument-parser@1.2.2".to_string()])
        );
    }

    #[test]
    fn v2_registry_and_local_pins() {
        let text = r#"{
  "originHash" : "0b3c1b5e1e6a1e1a",
  "pins" : [
    {
      "identity" : "swift-log",
      "kind" : "remoteSourceControl",
      "location" : "https://github.com/apple/swift-log.git",
      "state" : { "revision" : "e97a6fcb1ab07462881ac165fdbb37f067e205d5", "version" : "1.5.4" }
    },
    {
      "identity" : "mona.linkedlist",
      "kind" : "registry",
      "location" : "",
      "state" : { "version" : "0.2.1" }
    },
    {
      "identity" : "shared",
      "kind" : "localSourceControl",
      "location" : "/Users/me/src/Shared",
      "state" : { "revision" : "0123456789abcdef0123456789abcdef01234567" }
    }
  ],
  "version" : 3
}"#;
        let manifest = ".package(id: \"mona.LinkedList\", from: \"0.2.0\")";
        let l = parse("Package.resolved", text, Some(manifest), "app").expect("parses");
        let by: BTreeMap<_, _> = l.components.iter().map(|c| (c.purl.as_str(), c)).collect();
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:generic/shared",
                "pkg:swift/github.com/apple/swift-log@1.5.4",
                "pkg:swift/mona/linkedlist@0.2.1",
            ]
        );
        assert_eq!(l.root.purl, "pkg:generic/app");
        assert_eq!(by["pkg:swift/mona/linkedlist@0.2.1"].scope, Scope::Direct);
        assert_eq!(
            by["pkg:swift/mona/linkedlist@0.2.1"].name,
            "mona.linkedlist"
        );
        // Every purl here passes the purl spec's type rules (swift needs a namespace).
        for purl in by.keys().chain([&l.root.purl.as_str()]) {
            let p: packageurl::PackageUrl<'_> = purl.parse().expect(purl);
            p.validate().expect(purl);
        }
        assert_eq!(
            by["pkg:generic/shared"].properties["location"],
            "/Users/me/src/Shared"
        );
    }

    #[test]
    fn malformed_json_names_the_position() {
        let e = parse("Package.resolved", "{\n  \"pins\": [\n    {,\n", None, "x")
            .expect_err("malformed");
        assert_eq!((e.line, e.column), (3, 6));
        let e = parse("Package.resolved", "{\"pins\": []}", None, "x").expect_err("no version");
        assert!(e.message.contains("not a Package.resolved"), "{e}");
    }

    #[test]
    fn names_from_manifests_and_xcode() {
        assert_eq!(
            package_name("// swift-tools-version:5.9\nlet package = Package(\n  name: \"Kit\",\n)")
                .as_deref(),
            Some("Kit")
        );
        assert_eq!(
            xcode_project(std::path::Path::new(
                "ios/App.xcodeproj/project.xcworkspace/xcshareddata/swiftpm"
            ))
            .as_deref(),
            Some("App")
        );
    }
}
