//! NuGet `packages.lock.json` (lockfile versions 1 and 2), written by `dotnet restore` when
//! `RestorePackagesWithLockFile` is set.
//!
//! `dependencies` maps each target framework (`net8.0`, and runtime-specific `net8.0/linux-x64`) to
//! the packages restored for it: `type` is `Direct`, `Transitive`, `Project` (a project reference, usually
//! without a version; every project of the reference closure is listed)
//! or `CentralTransitive` (v2: a transitive package pinned by central package management);
//! `resolved` is the version. `contentHash` is recorded as the property `nuget-content-hash`
//! (base64, as written), not as a component hash: NuGet computes it over the package without its
//! signature, so for a signed package (every package on nuget.org is signed) it is not the SHA-512
//! of the `.nupkg` that is downloaded, and a scanner comparing it with that file would flag every
//! package. An entry's own `dependencies` (name -> version range) become edges to the package of that
//! name restored for the same framework. A package restored for several frameworks is one
//! component (direct if any framework asks for it directly), with the frameworks in the property
//! `frameworks`. Project references are components marked `project-reference`; the ones no other project
//! references are direct.
//! The lockfile does not say which packages are only for development (`PrivateAssets` is not
//! recorded), so `dev` stays false. The root is named after the `.csproj`/`.fsproj`/`.vbproj`
//! beside the lockfile (its file stem; the first in name order when there are several), else after
//! the directory. NuGet ids keep their case in the purl (`pkg:nuget/Newtonsoft.Json@13.0.3`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

#[derive(Deserialize)]
struct Lock {
    version: Option<u32>,
    /// Framework -> package id -> entry.
    dependencies: Option<BTreeMap<String, BTreeMap<String, Entry>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "type", default)]
    kind: String,
    resolved: Option<String>,
    content_hash: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
}

/// `packages.lock.json`.
pub const READER: super::Reader = super::Reader {
    format: "packages.lock.json",
    matches: |name| name == "packages.lock.json",
    parse: |input| {
        let project = project_name(input.dir);
        parse(
            input.rel,
            input.text,
            project.as_deref().unwrap_or(input.dir_name),
        )
    },
};

/// The stem of the first project file beside the lockfile, in name order.
fn project_name(dir: &std::path::Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| {
            [".csproj", ".fsproj", ".vbproj"]
                .iter()
                .any(|s| n.ends_with(s))
        })
        .collect();
    names.sort();
    let first = names.into_iter().next()?;
    let (stem, _) = first.rsplit_once('.')?;
    (!stem.is_empty()).then(|| stem.to_string())
}

/// Parse `packages.lock.json` text; `project` names the root.
pub fn parse(file: &str, text: &str, project: &str) -> Result<Lockfile, InputError> {
    let lock: Lock = serde_json::from_str(text).map_err(|e| json_error(file, &e))?;
    let (Some(_), Some(frameworks)) = (lock.version, lock.dependencies) else {
        return Err(InputError::at(
            file,
            text,
            0,
            "not a NuGet lockfile: no `version` or `dependencies`",
        ));
    };
    let mut root = Component::new(Ecosystem::Nuget, project, "", file);
    root.scope = Scope::Direct;

    let mut comps: BTreeMap<String, Component> = BTreeMap::new();
    let mut seen_in: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut root_deps: BTreeSet<String> = BTreeSet::new();
    for (framework, packages) in &frameworks {
        let purl_of = |id: &str, e: &Entry| {
            crate::purl::purl(Ecosystem::Nuget, id, e.resolved.as_deref().unwrap_or(""))
        };
        // Package ids are case-insensitive: edges name them as the dependant spelled them.
        let by_id: BTreeMap<String, String> = packages
            .iter()
            .map(|(id, e)| (id.to_ascii_lowercase(), purl_of(id, e)))
            .collect();
        // Every project in the reference closure is listed as `Project`: the ones another
        // project references are not the root's own.
        let via_project: BTreeSet<String> = packages
            .values()
            .filter(|e| e.kind == "Project")
            .flat_map(|e| e.dependencies.keys().map(|d| d.to_ascii_lowercase()))
            .collect();
        for (id, e) in packages {
            let project_ref = e.kind == "Project";
            let version = e.resolved.as_deref().unwrap_or("");
            let mut c = Component::new(Ecosystem::Nuget, id, version, file);
            if e.kind == "Direct"
                || (project_ref && !via_project.contains(&id.to_ascii_lowercase()))
            {
                c.scope = Scope::Direct;
                root_deps.insert(c.purl.clone());
            }
            if project_ref {
                c = c.property("project-reference", "true");
            }
            if let Some(hash) = e.content_hash.as_deref().map(str::trim)
                && !hash.is_empty()
            {
                c = c.property("nuget-content-hash", hash);
            }
            let to = edges.entry(c.purl.clone()).or_default();
            to.extend(
                e.dependencies
                    .keys()
                    .filter_map(|d| by_id.get(&d.to_ascii_lowercase()).cloned()),
            );
            seen_in
                .entry(c.purl.clone())
                .or_default()
                .insert(framework.clone());
            match comps.get_mut(&c.purl) {
                Some(existing) => {
                    if c.scope == Scope::Direct {
                        existing.scope = Scope::Direct;
                    }
                    if let Some(hash) = c.properties.remove("nuget-content-hash") {
                        existing
                            .properties
                            .entry("nuget-content-hash".to_string())
                            .or_insert(hash);
                    }
                }
                None => {
                    comps.insert(c.purl.clone(), c);
                }
            }
        }
    }
    for (purl, c) in comps.iter_mut() {
        if let Some(fws) = seen_in.get(purl) {
            let list: Vec<&str> = fws.iter().map(String::as_str).collect();
            c.properties
                .insert("frameworks".to_string(), list.join(","));
        }
    }
    edges.insert(root.purl.clone(), root_deps);
    let components = comps
        .into_values()
        .filter(|c| c.purl != root.purl)
        .collect();
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components,
        edges,
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

    // `contentHash` of Newtonsoft.Json 13.0.3 as nuget.org publishes it.
    const NEWTONSOFT: &str =
        "HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==";

    fn lock() -> String {
        format!(
            r#"{{
  "version": 2,
  "dependencies": {{
    "net6.0": {{
      "Newtonsoft.Json": {{
        "type": "Direct",
        "requested": "[13.0.3, )",
        "resolved": "13.0.3",
        "contentHash": "{NEWTONSOFT}"
      }},
      "Serilog": {{
        "type": "CentralTransitive",
        "requested": "[3.1.1, )",
        "resolved": "3.1.1",
        "contentHash": "P6G4/4Kt9bT635bhuwdXlJ2SCqqn2nhh4gqFqQueCOr9bK/e7W9ll/IoX1Ter948cV2Z/5+5v8pAfJYUISY03A=="
      }},
      "shared": {{
        "type": "Project",
        "dependencies": {{ "serilog": "[3.1.1, )" }}
      }}
    }},
    "net8.0": {{
      "Newtonsoft.Json": {{
        "type": "Transitive",
        "resolved": "13.0.3",
        "contentHash": "{NEWTONSOFT}"
      }},
      "Polly": {{
        "type": "Direct",
        "requested": "[8.2.0, )",
        "resolved": "8.2.0",
        "contentHash": "not base64!",
        "dependencies": {{ "Newtonsoft.Json": "13.0.1" }}
      }}
    }}
  }}
}}"#
        )
    }

    #[test]
    fn frameworks_are_merged_and_content_hashes_are_properties() {
        let l = parse("packages.lock.json", &lock(), "Api").expect("parses");
        assert_eq!(l.root.purl, "pkg:nuget/Api");
        let by: BTreeMap<_, _> = l.components.iter().map(|c| (c.purl.as_str(), c)).collect();
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:nuget/Newtonsoft.Json@13.0.3",
                "pkg:nuget/Polly@8.2.0",
                "pkg:nuget/Serilog@3.1.1",
                "pkg:nuget/shared",
            ]
        );
        let nj = by["pkg:nuget/Newtonsoft.Json@13.0.3"];
        // Direct for net6.0, transitive for net8.0: direct wins.
        assert_eq!(nj.scope, Scope::Direct);
        assert_eq!(nj.properties["frameworks"], "net6.0,net8.0");
        // The content hash is not the SHA-512 of the signed .nupkg: a property, not a hash.
        assert!(nj.hashes.is_empty());
        assert_eq!(nj.properties["nuget-content-hash"], NEWTONSOFT);
        assert_eq!(by["pkg:nuget/Serilog@3.1.1"].scope, Scope::Transitive);
        assert!(by["pkg:nuget/Polly@8.2.0"].hashes.is_empty());
        assert_eq!(
            by["pkg:nuget/Polly@8.2.0"].properties["nuget-content-hash"],
            "not base64!"
        );
        assert!(l.components.iter().all(|c| c.hashes.is_empty()));
        assert_eq!(by["pkg:nuget/shared"].scope, Scope::Direct);
        assert_eq!(
            by["pkg:nuget/shared"].properties["project-reference"],
            "true"
        );
        assert_eq!(
            l.edges["pkg:nuget/Api"],
            BTreeSet::from([
                "pkg:nuget/Newtonsoft.Json@13.0.3".to_string(),
                "pkg:nuget/Polly@8.2.0".to_string(),
                "pkg:nuget/shared".to_string(),
            ])
        );
        // Edges resolve ids case-insensitively, within the same framework.
        assert_eq!(
            l.edges["pkg:nuget/shared"],
            BTreeSet::from(["pkg:nuget/Serilog@3.1.1".to_string()])
        );
        assert_eq!(
            l.edges["pkg:nuget/Polly@8.2.0"],
            BTreeSet::from(["pkg:nuget/Newtonsoft.Json@13.0.3".to_string()])
        );
    }

    #[test]
    fn malformed_json_names_the_position() {
        let e = parse(
            "src/Api/packages.lock.json",
            "{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net8.0\": [}\n}",
            "Api",
        )
        .expect_err("malformed");
        assert_eq!(e.file, "src/Api/packages.lock.json");
        assert_eq!(e.line, 4);
        assert!(e.column > 1, "{e}");
        assert!(!e.message.contains(" at line "), "{e}");
        let e = parse("packages.lock.json", "{\"x\": 1}", "Api").expect_err("not nuget");
        assert!(e.message.contains("not a NuGet lockfile"), "{e}");
    }
}
