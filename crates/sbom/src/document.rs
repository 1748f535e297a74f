//! SBOM documents read back into the [`Sbom`] model, merged and compared (`chainproof sbom merge`
//! and `chainproof sbom diff`).
//!
//! Read: CycloneDX JSON (1.2 to 1.7; the fields read are the same in all of them) and SPDX 2.2/2.3
//! JSON, from any tool. CycloneDX: `metadata.component` is the root; components (nested ones
//! flattened) with purl, group/name, version, `scope` (`excluded` = dev, `optional`), hashes,
//! licenses, evidence occurrences and the `chainproof:*` properties our writer adds
//! (`dependency` = direct/transitive, `dev`, `optional`, the rest as properties); `dependencies`
//! (bom-refs resolved to purls); the metadata properties `chainproof:unreadable` and
//! `chainproof:manifest-without-lockfile`. SPDX: packages with a `purl` external reference,
//! checksums, the declared license, `DEPENDS_ON` and `*DEPENDENCY_OF` relationships (what is
//! reached from the root only through `DEV_DEPENDENCY_OF` or `TEST_DEPENDENCY_OF` is dev), the
//! package the document DESCRIBES as the root, and what that root `CONTAINS` (as Syft and Trivy
//! write it) as its dependencies; for documents chainproof wrote, also what its `sourceInfo` and
//! `comment` record. A leading UTF-8 byte order mark is skipped. A component without a purl gets `pkg:generic/<name>@<version>`; without a
//! dependency property, a component is direct when the root depends on it. A document with no
//! root gets `pkg:generic/<document name>`, depending on the components nothing else depends on.
//!
//! Errors name the file and, for malformed JSON or a field of the wrong type, the line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use packageurl::PackageUrl;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::error::Category;

use crate::{Component, Ecosystem, Hash, HashAlg, InputError, Lockfile, Sbom, Scope};

/// Read the document at `path`; `shown` is its name in messages and in the SBOM.
pub fn read_path(path: &Path, shown: &str) -> Result<Sbom, InputError> {
    let text = crate::readers::read_capped(path).map_err(|e| InputError::file(shown, e))?;
    read(shown, &text)
}

/// Read a CycloneDX JSON or SPDX JSON document; `file` names it in errors.
pub fn read(file: &str, text: &str) -> Result<Sbom, InputError> {
    // Visual Studio and PowerShell write a UTF-8 byte order mark, which JSON does not allow.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = text.len() - text.trim_start().len();
    let rest = text.get(start..).unwrap_or("");
    if rest.starts_with('<') {
        return Err(InputError::file(
            file,
            "an XML document; only CycloneDX JSON and SPDX JSON are read",
        ));
    }
    if !rest.starts_with('{') {
        // Malformed JSON is reported as such; well-formed JSON that is not an object is not ours.
        serde_json::from_str::<serde::de::IgnoredAny>(text)
            .map_err(|e| json_error(file, &e, ""))?;
        return Err(InputError::at(
            file,
            text,
            start,
            "not a CycloneDX or SPDX JSON document (the top level is not an object)",
        ));
    }
    let probe: Probe = serde_json::from_str(text).map_err(|e| {
        if e.classify() == Category::Data {
            json_error(file, &e, "not a CycloneDX or SPDX JSON document")
        } else {
            json_error(file, &e, "")
        }
    })?;
    if probe.bom_format.as_ref().and_then(|v| v.as_str()) == Some("CycloneDX") {
        let version = probe
            .spec_version
            .as_ref()
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if !matches!(version, "1.2" | "1.3" | "1.4" | "1.5" | "1.6" | "1.7") {
            return Err(InputError::file(
                file,
                format!(
                    "CycloneDX specVersion `{version}` is not read (expected 1.2 to 1.7, JSON)"
                ),
            ));
        }
        let bom: CdxBom = serde_json::from_str(text).map_err(|e| json_error(file, &e, ""))?;
        return Ok(cyclonedx(file, bom));
    }
    match probe.spdx_version.as_ref().and_then(|v| v.as_str()) {
        Some("SPDX-2.2" | "SPDX-2.3") => {
            let doc: SpdxDoc = serde_json::from_str(text).map_err(|e| json_error(file, &e, ""))?;
            Ok(spdx(file, doc))
        }
        Some(other) => Err(InputError::file(
            file,
            format!("SPDX version `{other}` is not read (expected SPDX-2.2 or SPDX-2.3, JSON)"),
        )),
        None => Err(InputError::file(
            file,
            "not a CycloneDX or SPDX JSON document (no \"bomFormat\": \"CycloneDX\" and no \"spdxVersion\")",
        )),
    }
}

/// A serde_json error at its position; `prefix` replaces nothing but is put before the message.
fn json_error(file: &str, e: &serde_json::Error, prefix: &str) -> InputError {
    let full = e.to_string();
    // serde_json appends " at line L column C"; the position goes in front instead.
    let message = match full.rsplit_once(" at line ") {
        Some((m, _)) if e.line() > 0 => m.to_string(),
        _ => full,
    };
    let message = if prefix.is_empty() {
        message
    } else {
        format!("{prefix} ({message})")
    };
    InputError {
        file: file.to_string(),
        line: e.line(),
        column: if e.line() > 0 { e.column().max(1) } else { 0 },
        message,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    bom_format: Option<serde_json::Value>,
    spec_version: Option<serde_json::Value>,
    spdx_version: Option<serde_json::Value>,
}

// ---- CycloneDX -----------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxBom {
    metadata: CdxMetadata,
    components: Vec<CdxComponent>,
    dependencies: Vec<CdxDependency>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxMetadata {
    component: Option<CdxComponent>,
    properties: Vec<CdxProperty>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    scope: Option<String>,
    hashes: Vec<CdxHash>,
    licenses: Vec<CdxLicense>,
    purl: Option<String>,
    properties: Vec<CdxProperty>,
    evidence: Option<CdxEvidence>,
    components: Vec<CdxComponent>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxHash {
    alg: String,
    content: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxLicense {
    expression: Option<String>,
    license: Option<CdxLicenseName>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxLicenseName {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxProperty {
    name: String,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxEvidence {
    occurrences: Vec<CdxOccurrence>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxOccurrence {
    location: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct CdxDependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

/// What one component of a document says about itself, before the graph decides its scope.
struct Read {
    component: Component,
    /// The `chainproof:dependency` property, when present.
    scope: Option<Scope>,
}

fn cyclonedx(file: &str, bom: CdxBom) -> Sbom {
    let mut flat = Vec::new();
    flatten(bom.components, &mut flat);
    // bom-ref -> purl, for the dependency graph.
    let mut refs: BTreeMap<String, String> = BTreeMap::new();
    // Purls are parsed and normalised per component: in parallel for large documents.
    let read: Vec<Read> = flat.par_iter().map(cdx_component).collect();
    for (c, r) in flat.iter().zip(&read) {
        if let Some(b) = &c.bom_ref {
            refs.insert(b.clone(), r.component.purl.clone());
        }
    }
    let root = bom.metadata.component.as_ref().map(|c| {
        let r = cdx_component(c);
        if let Some(b) = &c.bom_ref {
            refs.insert(b.clone(), r.component.purl.clone());
        }
        r.component
    });
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in bom.dependencies {
        let Some(from) = refs.get(&d.reference) else {
            continue;
        };
        let to = edges.entry(from.clone()).or_default();
        to.extend(d.depends_on.iter().filter_map(|r| refs.get(r).cloned()));
    }
    let mut errors = Vec::new();
    let mut unlocked = Vec::new();
    for p in bom.metadata.properties {
        let value = p.value.unwrap_or_default();
        match p.name.as_str() {
            "chainproof:unreadable" => errors.push(recorded_error(&value)),
            "chainproof:manifest-without-lockfile" => unlocked.push(value),
            _ => {}
        }
    }
    assemble(
        file,
        "",
        root,
        read,
        edges,
        &BTreeSet::new(),
        errors,
        unlocked,
    )
}

/// Nested components, depth first, parents before children.
fn flatten(components: Vec<CdxComponent>, out: &mut Vec<CdxComponent>) {
    for mut c in components {
        let children = std::mem::take(&mut c.components);
        out.push(c);
        flatten(children, out);
    }
}

fn cdx_component(c: &CdxComponent) -> Read {
    let prop = |name: &str| {
        c.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.as_deref())
    };
    let mut component = new_component(
        c.purl.as_deref(),
        c.group.as_deref(),
        c.name.as_deref().unwrap_or(""),
        c.version.as_deref().unwrap_or(""),
    );
    component.dev =
        prop("chainproof:dev") == Some("true") || c.scope.as_deref() == Some("excluded");
    component.optional =
        prop("chainproof:optional") == Some("true") || c.scope.as_deref() == Some("optional");
    for h in &c.hashes {
        if let Some(alg) = hash_alg(&h.alg) {
            component.hashes.insert(Hash {
                alg,
                hex: h.content.to_ascii_lowercase(),
            });
        }
    }
    for l in &c.licenses {
        let text = l.expression.as_deref().or_else(|| {
            l.license
                .as_ref()
                .and_then(|n| n.id.as_deref().or(n.name.as_deref()))
        });
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            component.licenses.insert(t.to_string());
        }
    }
    if let Some(e) = &c.evidence {
        component.sources.extend(
            e.occurrences
                .iter()
                .filter(|o| !o.location.is_empty())
                .map(|o| o.location.clone()),
        );
    }
    for p in &c.properties {
        let Some(key) = p.name.strip_prefix("chainproof:") else {
            continue;
        };
        if !matches!(key, "dependency" | "dev" | "optional") {
            component
                .properties
                .insert(key.to_string(), p.value.clone().unwrap_or_default());
        }
    }
    let scope = match prop("chainproof:dependency") {
        Some("direct") => Some(Scope::Direct),
        Some("transitive") => Some(Scope::Transitive),
        _ => None,
    };
    Read { component, scope }
}

fn hash_alg(name: &str) -> Option<HashAlg> {
    match name.to_ascii_uppercase().replace('-', "").as_str() {
        "SHA1" => Some(HashAlg::Sha1),
        "SHA256" => Some(HashAlg::Sha256),
        "SHA384" => Some(HashAlg::Sha384),
        "SHA512" => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// An unreadable-lockfile note (`file:line:col: message`) as an error again; its text is kept.
fn recorded_error(value: &str) -> InputError {
    match value.split_once(": ") {
        Some((location, message)) => InputError::file(location, message),
        None => InputError::file(value, "could not be read"),
    }
}

// ---- SPDX ----------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SpdxDoc {
    name: Option<String>,
    comment: Option<String>,
    creation_info: SpdxCreationInfo,
    document_describes: Vec<String>,
    packages: Vec<SpdxPackage>,
    relationships: Vec<SpdxRelationship>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpdxCreationInfo {
    creators: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    version_info: Option<String>,
    checksums: Vec<SpdxChecksum>,
    license_declared: Option<String>,
    source_info: Option<String>,
    external_refs: Vec<SpdxExternalRef>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SpdxChecksum {
    algorithm: String,
    checksum_value: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SpdxExternalRef {
    reference_type: String,
    reference_locator: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SpdxRelationship {
    spdx_element_id: String,
    relationship_type: String,
    related_spdx_element: String,
}

fn spdx(file: &str, doc: SpdxDoc) -> Sbom {
    let ours = doc
        .creation_info
        .creators
        .iter()
        .any(|c| c.starts_with("Tool: chainproof-"));
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut read: BTreeMap<String, Read> = BTreeMap::new();
    for p in &doc.packages {
        let purl = p
            .external_refs
            .iter()
            .find(|r| r.reference_type == "purl")
            .map(|r| r.reference_locator.as_str());
        let mut component =
            new_component(purl, None, &p.name, p.version_info.as_deref().unwrap_or(""));
        for c in &p.checksums {
            if let Some(alg) = hash_alg(&c.algorithm) {
                component.hashes.insert(Hash {
                    alg,
                    hex: c.checksum_value.to_ascii_lowercase(),
                });
            }
        }
        if let Some(l) = p
            .license_declared
            .as_deref()
            .filter(|l| !l.is_empty() && !matches!(*l, "NOASSERTION" | "NONE"))
        {
            component.licenses.insert(l.to_string());
        }
        let mut scope = None;
        if ours {
            if let Some(info) = &p.source_info {
                scope = chainproof_source_info(info, &mut component);
            }
        }
        ids.insert(p.spdx_id.clone(), component.purl.clone());
        read.insert(p.spdx_id.clone(), Read { component, scope });
    }
    let mut described: BTreeSet<String> = doc.document_describes.iter().cloned().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // (from, to) purls of the edges that are dev or test dependencies.
    let mut dev_edges: BTreeSet<(String, String)> = BTreeSet::new();
    // (container, contained) SPDX ids: an edge when the container is the described root.
    let mut contains: Vec<(&String, &String)> = Vec::new();
    for r in &doc.relationships {
        let kind = r.relationship_type.as_str();
        let (from, to) = match kind {
            "DESCRIBES" if r.spdx_element_id == "SPDXRef-DOCUMENT" => {
                described.insert(r.related_spdx_element.clone());
                continue;
            }
            "DESCRIBED_BY" if r.related_spdx_element == "SPDXRef-DOCUMENT" => {
                described.insert(r.spdx_element_id.clone());
                continue;
            }
            "CONTAINS" => {
                contains.push((&r.spdx_element_id, &r.related_spdx_element));
                continue;
            }
            "CONTAINED_BY" => {
                contains.push((&r.related_spdx_element, &r.spdx_element_id));
                continue;
            }
            "DEPENDS_ON" => (&r.spdx_element_id, &r.related_spdx_element),
            t if t.ends_with("DEPENDENCY_OF") => (&r.related_spdx_element, &r.spdx_element_id),
            _ => continue,
        };
        if let (Some(f), Some(t)) = (ids.get(from), ids.get(to)) {
            edges.entry(f.clone()).or_default().insert(t.clone());
            if matches!(kind, "DEV_DEPENDENCY_OF" | "TEST_DEPENDENCY_OF") {
                dev_edges.insert((f.clone(), t.clone()));
            }
        }
    }
    // Syft and Trivy say what the described package holds with CONTAINS, not DEPENDS_ON: its
    // contents are its (direct) dependencies.
    for (from, to) in contains {
        if !described.contains(from) {
            continue;
        }
        if let (Some(f), Some(t)) = (ids.get(from), ids.get(to)) {
            if f != t {
                edges.entry(f.clone()).or_default().insert(t.clone());
            }
        }
    }
    let described: Vec<&String> = described.iter().filter(|d| read.contains_key(*d)).collect();
    let name = doc.name.clone().unwrap_or_default();
    let root = match described.as_slice() {
        [one] => read.remove(*one).map(|r| r.component),
        [] => None,
        several => {
            // Several described packages: a root of the document's name depends on each.
            let root = synthetic_root(&name, file);
            let to = edges.entry(root.purl.clone()).or_default();
            to.extend(several.iter().filter_map(|d| ids.get(*d).cloned()));
            Some(root)
        }
    };
    let (errors, unlocked) = match (&doc.comment, ours) {
        (Some(c), true) => chainproof_comment(c),
        _ => (Vec::new(), Vec::new()),
    };
    assemble(
        file,
        &name,
        root,
        read.into_values().collect(),
        edges,
        &dev_edges,
        errors,
        unlocked,
    )
}

/// What chainproof's SPDX writer puts in `sourceInfo`: `read from a, b; key: value; direct
/// dependency; dev; optional`. Returns the recorded scope.
fn chainproof_source_info(info: &str, c: &mut Component) -> Option<Scope> {
    let mut scope = None;
    for part in info.split("; ") {
        match part {
            "direct dependency" => scope = Some(Scope::Direct),
            "transitive dependency" => scope = Some(Scope::Transitive),
            "dev" => c.dev = true,
            "optional" => c.optional = true,
            _ => {
                if let Some(files) = part.strip_prefix("read from ") {
                    c.sources.extend(files.split(", ").map(String::from));
                } else if let Some((k, v)) = part.split_once(": ") {
                    c.properties.insert(k.to_string(), v.to_string());
                }
            }
        }
    }
    scope
}

/// What chainproof's SPDX writer puts in the document `comment`: the lockfiles it could not read
/// and the manifests without a lockfile.
fn chainproof_comment(comment: &str) -> (Vec<InputError>, Vec<String>) {
    const ERRORS: &str = "Lockfiles that could not be read: ";
    const UNLOCKED: &str = "Manifests without a lockfile (their dependencies are not listed): ";
    let (before, unlocked) = match comment.split_once(UNLOCKED) {
        Some((b, u)) => (b, u.split(", ").map(String::from).collect()),
        None => (comment, Vec::new()),
    };
    // Errors are joined with "; "; a piece without "location: " continues the previous message.
    let mut notes: Vec<String> = Vec::new();
    if let Some(list) = before.strip_prefix(ERRORS) {
        for piece in list.strip_suffix(". ").unwrap_or(list).split("; ") {
            match notes.last_mut() {
                Some(last) if !piece.contains(": ") => {
                    last.push_str("; ");
                    last.push_str(piece);
                }
                _ => notes.push(piece.to_string()),
            }
        }
    }
    (notes.iter().map(|n| recorded_error(n)).collect(), unlocked)
}

// ---- shared --------------------------------------------------------------------------------

fn synthetic_root(name: &str, file: &str) -> Component {
    let name = if name.is_empty() {
        file.rsplit(['/', '\\']).next().unwrap_or(file)
    } else {
        name
    };
    let mut root = Component::new(Ecosystem::Generic, name, "", "");
    root.sources.clear();
    root
}

/// A component from a purl (normalised) or, without one, from its name and version
/// (`pkg:generic/...`). The name is the document's (`group` joined as the ecosystem joins it),
/// else the purl's.
fn new_component(purl: Option<&str>, group: Option<&str>, name: &str, version: &str) -> Component {
    let parsed = purl.and_then(|p| PackageUrl::from_str(p).ok());
    let ecosystem = parsed
        .as_ref()
        .map_or(Ecosystem::Generic, |p| ecosystem(p.ty()));
    let doc_name = match group.filter(|g| !g.is_empty()) {
        Some(g) if !name.is_empty() => {
            let sep = if ecosystem == Ecosystem::Maven {
                ":"
            } else {
                "/"
            };
            format!("{g}{sep}{name}")
        }
        _ => name.to_string(),
    };
    let full_name = match &parsed {
        Some(p) if doc_name.is_empty() => full_name(ecosystem, p.namespace(), p.name()),
        _ => doc_name,
    };
    let version = match (&parsed, version) {
        (Some(p), "") => p.version().unwrap_or(""),
        _ => version,
    };
    let purl = match (&parsed, purl) {
        (Some(p), _) => p.to_string(),
        (None, Some(p)) if !p.is_empty() => p.to_string(),
        _ => crate::purl::build("generic", None, &full_name, version, &[]),
    };
    Component::with_purl(ecosystem, &full_name, version, purl)
}

fn full_name(ecosystem: Ecosystem, namespace: Option<&str>, name: &str) -> String {
    match (ecosystem, namespace) {
        (Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm, _) | (_, None) => name.to_string(),
        (Ecosystem::Maven, Some(ns)) => format!("{ns}:{name}"),
        (_, Some(ns)) => format!("{ns}/{name}"),
    }
}

/// The ecosystem of a purl type; types chainproof has no ecosystem for are `Generic` (the purl
/// itself is kept).
fn ecosystem(ty: &str) -> Ecosystem {
    match ty {
        "cargo" => Ecosystem::Cargo,
        "npm" => Ecosystem::Npm,
        "pypi" => Ecosystem::Pypi,
        "golang" => Ecosystem::Golang,
        "gem" => Ecosystem::Gem,
        "composer" => Ecosystem::Composer,
        "nuget" => Ecosystem::Nuget,
        "maven" => Ecosystem::Maven,
        "pub" => Ecosystem::Pub,
        "hex" => Ecosystem::Hex,
        "swift" => Ecosystem::Swift,
        "deb" => Ecosystem::Deb,
        "apk" => Ecosystem::Apk,
        "rpm" => Ecosystem::Rpm,
        _ => Ecosystem::Generic,
    }
}

/// One document's graph as an [`Sbom`]: a root (or a synthetic one, named `name` or after the
/// file, depending on the components nothing depends on), scopes from the recorded property or
/// from the root's edges. A component reached from the root only through `dev_edges` is dev.
#[allow(clippy::too_many_arguments)]
fn assemble(
    file: &str,
    name: &str,
    root: Option<Component>,
    read: Vec<Read>,
    mut edges: BTreeMap<String, BTreeSet<String>>,
    dev_edges: &BTreeSet<(String, String)>,
    errors: Vec<InputError>,
    mut unlocked: Vec<String>,
) -> Sbom {
    let mut root = root.unwrap_or_else(|| {
        let root = synthetic_root(name, file);
        let depended: BTreeSet<&String> = edges.values().flatten().collect();
        let top: BTreeSet<String> = read
            .iter()
            .map(|r| r.component.purl.clone())
            .filter(|p| !depended.contains(p))
            .collect();
        edges.insert(root.purl.clone(), top);
        root
    });
    root.scope = Scope::Direct;
    let direct = edges.get(&root.purl).cloned().unwrap_or_default();
    let (all, runtime) = if dev_edges.is_empty() {
        (BTreeSet::new(), BTreeSet::new())
    } else {
        (
            reachable(&root.purl, &edges, |_, _| true),
            reachable(&root.purl, &edges, |f, t| {
                !dev_edges.contains(&(f.to_string(), t.to_string()))
            }),
        )
    };
    let components = read
        .into_iter()
        .map(|r| {
            let mut c = r.component;
            if all.contains(&c.purl) && !runtime.contains(&c.purl) {
                c.dev = true;
            }
            c.scope = r.scope.unwrap_or(if direct.contains(&c.purl) {
                Scope::Direct
            } else {
                Scope::Transitive
            });
            c
        })
        .collect();
    let lockfile = Lockfile {
        path: file.to_string(),
        root,
        components,
        edges,
    };
    let mut sbom = Sbom::build("", vec![lockfile], errors);
    unlocked.sort();
    unlocked.dedup();
    sbom.unlocked = unlocked;
    sbom
}

/// The purls reachable from `start` over the edges `follow` accepts.
fn reachable(
    start: &str,
    edges: &BTreeMap<String, BTreeSet<String>>,
    follow: impl Fn(&str, &str) -> bool,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![start.to_string()];
    while let Some(from) = todo.pop() {
        for to in edges.get(&from).into_iter().flatten() {
            if follow(&from, to) && seen.insert(to.clone()) {
                todo.push(to.clone());
            }
        }
    }
    seen
}

// ---- merge ---------------------------------------------------------------------------------

/// Merge documents: the union of their components (by purl, combined as [`Sbom::build`] combines
/// lockfiles) and of their dependency edges. When every document has the same root, that is the
/// root; otherwise `pkg:generic/<name>` depends on each document's root. Deterministic: the result
/// does not depend on the order of `docs`.
pub fn merge(name: &str, mut docs: Vec<Sbom>) -> Sbom {
    // Combined in the order of their file names, so the first-seen facts do not depend on the
    // order of the arguments.
    docs.sort_by(|a, b| a.files.cmp(&b.files));
    let same_root = docs.windows(2).all(|w| w[0].root.purl == w[1].root.purl);
    let mut errors: Vec<InputError> = Vec::new();
    let mut unlocked: Vec<String> = Vec::new();
    let mut lockfiles: Vec<Lockfile> = Vec::new();
    for d in docs {
        errors.extend(d.errors);
        unlocked.extend(d.unlocked);
        let path = d.files.first().cloned().unwrap_or_default();
        let lockfile = Lockfile {
            path,
            root: d.root,
            components: d.components.into_values().collect(),
            edges: d.edges,
        };
        match lockfiles.first_mut() {
            Some(first) if same_root => {
                // One lockfile of everything under the shared root.
                first.root.absorb(lockfile.root);
                first.components.extend(lockfile.components);
                for (from, to) in lockfile.edges {
                    first.edges.entry(from).or_default().extend(to);
                }
                first.path = first.path.clone().min(lockfile.path);
            }
            _ => lockfiles.push(lockfile),
        }
    }
    errors.sort_by_key(ToString::to_string);
    errors.dedup();
    let mut sbom = Sbom::build(name, lockfiles, errors);
    unlocked.sort();
    unlocked.dedup();
    sbom.unlocked = unlocked;
    sbom
}

// ---- diff ----------------------------------------------------------------------------------

/// What changed between two SBOMs, by package identity (purl type, namespace and name; version,
/// qualifiers and subpath aside). Its JSON form is the output of `chainproof sbom diff --format
/// json`:
///
/// ```json
/// {
///   "added": ["pkg:npm/x@1.1.0"],
///   "removed": ["pkg:npm/z@2.0.0"],
///   "changed": [{"package": "pkg:npm/y", "from": ["1.0.0"], "to": ["1.2.0"]}]
/// }
/// ```
///
/// `added`/`removed`: purls of packages whose identity is only in the new/old document. `changed`:
/// identities present in both whose set of purls differs; `from` and `to` are the versions only in
/// the old and only in the new document (several when a package is present in several versions).
/// Each list is sorted; the root components are not compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<Change>,
}

/// A package present in both documents in different versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The purl without version (and qualifiers).
    pub package: String,
    pub from: Vec<String>,
    pub to: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// One line per difference: `+ <purl>` (added), `- <purl>` (removed), `~ <package> <old> ->
    /// <new>` (changed; several versions joined with `, `), in that order.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for a in &self.added {
            out.push_str(&format!("+ {a}\n"));
        }
        for r in &self.removed {
            out.push_str(&format!("- {r}\n"));
        }
        for c in &self.changed {
            out.push_str(&format!(
                "~ {} {} -> {}\n",
                c.package,
                c.from.join(", "),
                c.to.join(", ")
            ));
        }
        out
    }

    /// The JSON form, pretty, with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A purl's package identity and version: (`pkg:type/namespace/name`, version).
fn identity(purl: &str) -> (String, String) {
    match PackageUrl::from_str(purl) {
        Ok(p) => {
            let version = p.version().unwrap_or("").to_string();
            let id = crate::purl::build(p.ty(), p.namespace(), p.name(), "", &[]);
            (id, version)
        }
        // Not a purl that parses: the whole string is the identity.
        Err(_) => (purl.to_string(), String::new()),
    }
}

/// Compare `old` with `new`.
pub fn diff(old: &Sbom, new: &Sbom) -> Diff {
    let old_purls: BTreeSet<&String> = old.components.keys().collect();
    let new_purls: BTreeSet<&String> = new.components.keys().collect();
    // identity -> (purls only in old, purls only in new)
    type Sides<'a> = (Vec<&'a String>, Vec<&'a String>);
    let mut by_id: BTreeMap<String, Sides<'_>> = BTreeMap::new();
    for p in old_purls.difference(&new_purls) {
        by_id.entry(identity(p).0).or_default().0.push(p);
    }
    for p in new_purls.difference(&old_purls) {
        by_id.entry(identity(p).0).or_default().1.push(p);
    }
    let mut d = Diff::default();
    for (id, (gone, came)) in by_id {
        let versions = |purls: &[&String]| -> Vec<String> {
            let set: BTreeSet<String> = purls.iter().map(|p| identity(p).1).collect();
            set.into_iter().collect()
        };
        let (from, to) = (versions(&gone), versions(&came));
        if !gone.is_empty() && !came.is_empty() && from != to {
            d.changed.push(Change {
                package: id,
                from,
                to,
            });
        } else {
            // A package only on one side, or a version dropped/added next to versions kept, or
            // a qualifier-only change: listed by purl.
            d.removed.extend(gone.into_iter().cloned());
            d.added.extend(came.into_iter().cloned());
        }
    }
    d.added.sort();
    d.removed.sort();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writers::{self, Format, Tool};

    const TOOL: Tool<'static> = Tool {
        name: "chainproof",
        version: "0.0.0",
    };

    fn sample() -> Sbom {
        let mut root = Component::new(Ecosystem::Npm, "app", "1.0.0", "package-lock.json");
        root.scope = Scope::Direct;
        let mut a = Component::new(Ecosystem::Npm, "@s/a", "2.0.0", "package-lock.json")
            .property("url", "https://example.com/a.tgz");
        a.scope = Scope::Direct;
        a.hashes.insert(Hash {
            alg: HashAlg::Sha512,
            hex: "ab".repeat(64),
        });
        a.licenses.insert("MIT".into());
        let mut b = Component::new(Ecosystem::Npm, "b", "3.0.0", "package-lock.json");
        b.dev = true;
        b.optional = true;
        let mut m = Component::new(
            Ecosystem::Maven,
            "org.example:lib",
            "1.2",
            "web/package-lock.json",
        );
        m.sources.insert("package-lock.json".into());
        m.hashes.insert(Hash {
            alg: HashAlg::Sha1,
            hex: "cd".repeat(20),
        });
        let edges = BTreeMap::from([
            (
                root.purl.clone(),
                BTreeSet::from([a.purl.clone(), m.purl.clone()]),
            ),
            (a.purl.clone(), BTreeSet::from([b.purl.clone()])),
        ]);
        let mut sbom = Sbom::build(
            "dir",
            vec![Lockfile {
                path: "package-lock.json".into(),
                root,
                components: vec![a, b, m],
                edges,
            }],
            vec![InputError::at("broken/Cargo.lock", "x\ny", 2, "bad; very")],
        );
        sbom.unlocked = vec!["svc/pyproject.toml".into()];
        sbom
    }

    fn same_graph(a: &Sbom, b: &Sbom) {
        assert_eq!(a.root.purl, b.root.purl);
        assert_eq!(a.root.name, b.root.name);
        assert_eq!(a.edges, b.edges);
        assert_eq!(
            a.components.keys().collect::<Vec<_>>(),
            b.components.keys().collect::<Vec<_>>()
        );
    }

    #[test]
    fn cyclonedx_round_trip() {
        let sbom = sample();
        let text = writers::write(Format::CycloneDxJson, &sbom, &TOOL, 0);
        let back = read("sbom.cdx.json", &text).expect("reads");
        same_graph(&sbom, &back);
        // Everything a component carries survives.
        assert_eq!(sbom.components, back.components);
        assert_eq!(sbom.root.sources, back.root.sources);
        assert_eq!(
            back.errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["broken/Cargo.lock:2:1: bad; very"]
        );
        assert_eq!(back.unlocked, ["svc/pyproject.toml"]);
        // And writing it again gives the same bytes.
        assert_eq!(writers::write(Format::CycloneDxJson, &back, &TOOL, 0), text);
    }

    #[test]
    fn spdx_round_trip() {
        let sbom = sample();
        let text = writers::write(Format::SpdxJson, &sbom, &TOOL, 0);
        let back = read("sbom.spdx.json", &text).expect("reads");
        same_graph(&sbom, &back);
        for (purl, c) in &sbom.components {
            let b = &back.components[purl];
            assert_eq!(
                (&c.name, &c.version, c.ecosystem, c.scope, c.dev, c.optional),
                (&b.name, &b.version, b.ecosystem, b.scope, b.dev, b.optional),
                "{purl}"
            );
            assert_eq!((&c.hashes, &c.sources), (&b.hashes, &b.sources), "{purl}");
            assert_eq!(c.properties, b.properties, "{purl}");
        }
        // A single SPDX expression is the declared license.
        assert_eq!(
            back.components["pkg:npm/%40s/a@2.0.0"].licenses,
            BTreeSet::from(["MIT".to_string()])
        );
        assert_eq!(back.errors.len(), 1);
        assert_eq!(back.unlocked, ["svc/pyproject.toml"]);
        assert_eq!(writers::write(Format::SpdxJson, &back, &TOOL, 0), text);
    }

    #[test]
    fn foreign_cyclonedx_without_root_or_chainproof_properties() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
          "components": [
            {"type": "library", "bom-ref": "r1", "name": "Django_Rest", "version": "3.0",
             "purl": "pkg:pypi/Django_Rest@3.0", "scope": "excluded",
             "hashes": [{"alg": "SHA-256", "content": "AB"}, {"alg": "MD5", "content": "00"}],
             "licenses": [{"license": {"id": "BSD-3-Clause"}}],
             "components": [{"type": "library", "bom-ref": "r2", "name": "inner", "version": "1"}]}
          ],
          "dependencies": [{"ref": "r1", "dependsOn": ["r2", "unknown"]}]}"#;
        let s = read("x.json", text).expect("reads");
        assert_eq!(s.root.purl, "pkg:generic/x.json");
        let d = &s.components["pkg:pypi/django-rest@3.0"];
        assert_eq!(
            (d.name.as_str(), d.ecosystem),
            ("Django_Rest", Ecosystem::Pypi)
        );
        assert!(d.dev);
        assert_eq!(d.scope, Scope::Direct);
        assert_eq!(d.hashes.len(), 1);
        assert_eq!(d.licenses, BTreeSet::from(["BSD-3-Clause".to_string()]));
        let inner = &s.components["pkg:generic/inner@1"];
        assert_eq!(inner.scope, Scope::Transitive);
        assert_eq!(
            s.edges["pkg:generic/x.json"],
            BTreeSet::from(["pkg:pypi/django-rest@3.0".to_string()])
        );
        assert_eq!(
            s.edges["pkg:pypi/django-rest@3.0"],
            BTreeSet::from(["pkg:generic/inner@1".to_string()])
        );
    }

    #[test]
    fn foreign_spdx_with_dependency_of() {
        let text = r#"{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "doc",
          "documentDescribes": ["SPDXRef-app"],
          "packages": [
            {"SPDXID": "SPDXRef-app", "name": "app", "versionInfo": "1"},
            {"SPDXID": "SPDXRef-x", "name": "x", "versionInfo": "2.0.0",
             "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
                               "referenceLocator": "pkg:npm/%40s/x@2.0.0"}],
             "checksums": [{"algorithm": "SHA256", "checksumValue": "FF"}],
             "licenseDeclared": "NOASSERTION"},
            {"SPDXID": "SPDXRef-y", "name": "y", "versionInfo": "1.0.0", "sourceInfo": "dev"},
            {"SPDXID": "SPDXRef-t", "name": "t", "versionInfo": "3.0.0"},
            {"SPDXID": "SPDXRef-u", "name": "u", "versionInfo": "4.0.0"},
            {"SPDXID": "SPDXRef-both", "name": "both", "versionInfo": "5.0.0"}
          ],
          "relationships": [
            {"spdxElementId": "SPDXRef-x", "relationshipType": "DEV_DEPENDENCY_OF",
             "relatedSpdxElement": "SPDXRef-app"},
            {"spdxElementId": "SPDXRef-t", "relationshipType": "TEST_DEPENDENCY_OF",
             "relatedSpdxElement": "SPDXRef-app"},
            {"spdxElementId": "SPDXRef-x", "relationshipType": "DEPENDS_ON",
             "relatedSpdxElement": "SPDXRef-u"},
            {"spdxElementId": "SPDXRef-x", "relationshipType": "DEPENDS_ON",
             "relatedSpdxElement": "SPDXRef-both"},
            {"spdxElementId": "SPDXRef-y", "relationshipType": "DEPENDENCY_OF",
             "relatedSpdxElement": "SPDXRef-app"},
            {"spdxElementId": "SPDXRef-y", "relationshipType": "DEPENDS_ON",
             "relatedSpdxElement": "SPDXRef-both"}
          ]}"#;
        let s = read("doc.spdx.json", text).expect("reads");
        assert_eq!(s.root.purl, "pkg:generic/app@1");
        let x = &s.components["pkg:npm/%40s/x@2.0.0"];
        assert_eq!(x.name, "x");
        assert_eq!(x.scope, Scope::Direct);
        // DEV_DEPENDENCY_OF and TEST_DEPENDENCY_OF make dev, and so does being reached only
        // through them.
        assert!(x.dev);
        assert!(s.components["pkg:generic/t@3.0.0"].dev);
        assert!(s.components["pkg:generic/u@4.0.0"].dev);
        assert_eq!(s.components["pkg:generic/u@4.0.0"].scope, Scope::Transitive);
        // Reached through a runtime dependency too: not dev.
        assert!(!s.components["pkg:generic/both@5.0.0"].dev);
        // Not written by chainproof: sourceInfo is not interpreted.
        assert!(!s.components["pkg:generic/y@1.0.0"].dev);
        assert!(x.licenses.is_empty());
        assert_eq!(x.hashes.iter().next().map(|h| h.hex.as_str()), Some("ff"));
    }

    #[test]
    fn foreign_spdx_root_contains_its_packages() {
        // As Syft writes it: the document describes the scanned directory, which CONTAINS the
        // packages; packages depend on each other.
        let text = r#"{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "dir",
          "packages": [
            {"SPDXID": "SPDXRef-DocumentRoot-Directory-.", "name": ".", "versionInfo": ""},
            {"SPDXID": "SPDXRef-Package-npm-a", "name": "a", "versionInfo": "1.0.0",
             "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/a@1.0.0"}]},
            {"SPDXID": "SPDXRef-Package-npm-b", "name": "b", "versionInfo": "2.0.0",
             "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/b@2.0.0"}]},
            {"SPDXID": "SPDXRef-Package-npm-c", "name": "c", "versionInfo": "3.0.0",
             "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/c@3.0.0"}]}
          ],
          "relationships": [
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
             "relatedSpdxElement": "SPDXRef-DocumentRoot-Directory-."},
            {"spdxElementId": "SPDXRef-DocumentRoot-Directory-.", "relationshipType": "CONTAINS",
             "relatedSpdxElement": "SPDXRef-Package-npm-a"},
            {"spdxElementId": "SPDXRef-Package-npm-b", "relationshipType": "CONTAINED_BY",
             "relatedSpdxElement": "SPDXRef-DocumentRoot-Directory-."},
            {"spdxElementId": "SPDXRef-Package-npm-a", "relationshipType": "DEPENDS_ON",
             "relatedSpdxElement": "SPDXRef-Package-npm-c"},
            {"spdxElementId": "SPDXRef-Package-npm-a", "relationshipType": "CONTAINS",
             "relatedSpdxElement": "SPDXRef-Package-npm-b"}
          ]}"#;
        let s = read("syft.spdx.json", text).expect("reads");
        assert_eq!(s.root.purl, "pkg:generic/.");
        assert_eq!(
            s.edges["pkg:generic/."],
            BTreeSet::from(["pkg:npm/a@1.0.0".to_string(), "pkg:npm/b@2.0.0".to_string()])
        );
        assert_eq!(s.components["pkg:npm/a@1.0.0"].scope, Scope::Direct);
        assert_eq!(s.components["pkg:npm/b@2.0.0"].scope, Scope::Direct);
        assert_eq!(s.components["pkg:npm/c@3.0.0"].scope, Scope::Transitive);
        // Only the described root's CONTAINS are edges.
        assert_eq!(
            s.edges["pkg:npm/a@1.0.0"],
            BTreeSet::from(["pkg:npm/c@3.0.0".to_string()])
        );
    }

    #[test]
    fn spdx_without_a_described_package_gets_a_named_root() {
        let text = r#"{"spdxVersion": "SPDX-2.3", "name": "loose",
          "packages": [
            {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "1"},
            {"SPDXID": "SPDXRef-b", "name": "b", "versionInfo": "2"}
          ],
          "relationships": [
            {"spdxElementId": "SPDXRef-a", "relationshipType": "DEPENDS_ON",
             "relatedSpdxElement": "SPDXRef-b"}
          ]}"#;
        let s = read("loose.spdx.json", text).expect("reads");
        assert_eq!(s.root.purl, "pkg:generic/loose");
        assert_eq!(
            s.edges["pkg:generic/loose"],
            BTreeSet::from(["pkg:generic/a@1".to_string()])
        );
        assert_eq!(s.components["pkg:generic/a@1"].scope, Scope::Direct);
    }

    #[test]
    fn a_utf8_byte_order_mark_is_skipped() {
        let text = "\u{feff}{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\",
          \"components\": [{\"name\": \"x\", \"version\": \"1\", \"purl\": \"pkg:npm/x@1\"}]}";
        let s = read("vs.cdx.json", text).expect("reads despite the BOM");
        assert!(s.components.contains_key("pkg:npm/x@1"));
        let spdx = "\u{feff}{\"spdxVersion\": \"SPDX-2.3\", \"name\": \"d\", \"packages\": []}";
        assert!(read("ps.spdx.json", spdx).is_ok());
    }

    #[test]
    fn errors_have_positions_or_say_what_the_file_is_not() {
        let e = read(
            "a.json",
            "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": ]",
        )
        .expect_err("malformed");
        assert_eq!((e.line, e.column), (3, 18), "{e}");
        assert!(
            e.to_string().starts_with("a.json:3:18: expected value"),
            "{e}"
        );
        let e = read("t.json", "{\"bomFormat\": \"CycloneDX\"").expect_err("truncated");
        assert_eq!(e.line, 1, "{e}");
        let e = read("p.json", "{\"name\": \"x\", \"packages\": {}}").expect_err("neither");
        assert!(
            e.to_string()
                .contains("not a CycloneDX or SPDX JSON document"),
            "{e}"
        );
        let e = read("l.json", "[1, 2]").expect_err("neither");
        assert!(
            e.to_string()
                .starts_with("l.json:1:1: not a CycloneDX or SPDX JSON document"),
            "{e}"
        );
        let e = read(
            "c.json",
            "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\",\n \"components\": 5}",
        )
        .expect_err("wrong type");
        assert_eq!((e.line, e.column), (2, 16), "{e}");
        let e = read("s.json", "{\"spdxVersion\": \"SPDX-3.0\"}").expect_err("version");
        assert!(e.to_string().contains("SPDX-3.0"), "{e}");
        let e = read("x.xml", "<?xml version=\"1.0\"?><bom/>").expect_err("xml");
        assert!(e.to_string().contains("XML"), "{e}");
    }

    fn lockfile(root: &str, deps: &[(&str, &str)]) -> Sbom {
        let mut r = Component::new(Ecosystem::Npm, root, "1.0.0", "package-lock.json");
        r.scope = Scope::Direct;
        let comps: Vec<Component> = deps
            .iter()
            .map(|(n, v)| Component::new(Ecosystem::Npm, n, v, "package-lock.json"))
            .collect();
        let edges = BTreeMap::from([(
            r.purl.clone(),
            comps.iter().map(|c| c.purl.clone()).collect(),
        )]);
        Sbom::build(
            "",
            vec![Lockfile {
                path: format!("{root}.json"),
                root: r,
                components: comps,
                edges,
            }],
            vec![],
        )
    }

    #[test]
    fn merge_unions_under_a_synthetic_or_shared_root() {
        let a = lockfile("a", &[("x", "1.0.0"), ("y", "1.0.0")]);
        let b = lockfile("b", &[("y", "1.0.0"), ("z", "2.0.0")]);
        let m = merge("merged", vec![b.clone(), a.clone()]);
        assert_eq!(m.root.purl, "pkg:generic/merged");
        assert_eq!(
            m.components.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "pkg:npm/a@1.0.0",
                "pkg:npm/b@1.0.0",
                "pkg:npm/x@1.0.0",
                "pkg:npm/y@1.0.0",
                "pkg:npm/z@2.0.0"
            ]
        );
        assert_eq!(
            m.edges["pkg:generic/merged"],
            BTreeSet::from(["pkg:npm/a@1.0.0".to_string(), "pkg:npm/b@1.0.0".to_string()])
        );
        assert_eq!(m.edges["pkg:npm/b@1.0.0"].len(), 2);
        // The order of the inputs does not matter.
        let again = merge("merged", vec![a.clone(), b]);
        assert_eq!(
            writers::write(Format::CycloneDxJson, &m, &TOOL, 0),
            writers::write(Format::CycloneDxJson, &again, &TOOL, 0)
        );
        // Two documents of the same project keep its root.
        let a2 = lockfile("a", &[("w", "3.0.0")]);
        let m = merge("merged", vec![a, a2]);
        assert_eq!(m.root.purl, "pkg:npm/a@1.0.0");
        assert_eq!(m.components.len(), 3);
        assert_eq!(m.edges["pkg:npm/a@1.0.0"].len(), 3);
    }

    #[test]
    fn diff_added_removed_changed() {
        let old = lockfile(
            "a",
            &[
                ("keep", "1.0.0"),
                ("gone", "1.0.0"),
                ("up", "1.0.0"),
                ("multi", "1.0.0"),
                ("multi", "2.0.0"),
            ],
        );
        let new = lockfile(
            "a",
            &[
                ("keep", "1.0.0"),
                ("new", "0.1.0"),
                ("up", "1.2.0"),
                ("multi", "2.0.0"),
                ("@s/scoped", "1.0.0"),
            ],
        );
        let d = diff(&old, &new);
        assert_eq!(
            d.to_text(),
            "+ pkg:npm/%40s/scoped@1.0.0\n+ pkg:npm/new@0.1.0\n- pkg:npm/gone@1.0.0\n- pkg:npm/multi@1.0.0\n~ pkg:npm/up 1.0.0 -> 1.2.0\n"
        );
        let json: serde_json::Value = serde_json::from_str(&d.to_json()).expect("json");
        assert_eq!(
            json["changed"][0],
            serde_json::json!({"package": "pkg:npm/up", "from": ["1.0.0"], "to": ["1.2.0"]})
        );
        assert!(diff(&old, &old).is_empty());
        assert_eq!(diff(&old, &old).to_text(), "");
    }
}
