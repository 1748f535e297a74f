//! CycloneDX 1.6 JSON, with our own serde types (`cyclonedx-bom` stops at 1.5).
//!
//! metadata.component is the root; every component carries its purl (also its bom-ref), hashes,
//! licenses, `scope` (`excluded` for dev-only, `optional` for optional packages, else `required`),
//! `chainproof:dependency` = `direct`/`transitive`, and the lockfiles it came from as
//! `evidence.occurrences`. Unreadable lockfiles are listed as `chainproof:unreadable` properties of
//! the metadata, so the document says what it could not inventory.

use serde::Serialize;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{Tool, looks_like_expression, uuid_from_digest};
use crate::{Component, Sbom};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom<'a> {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<CdxComponent<'a>>,
    dependencies: Vec<Dependency<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    timestamp: String,
    tools: Tools<'a>,
    component: CdxComponent<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Tools<'a> {
    components: Vec<ToolComponent<'a>>,
}

#[derive(Serialize)]
struct ToolComponent<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdxComponent<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<CdxHash<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<License<'a>>,
    purl: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence<'a>>,
}

#[derive(Serialize)]
struct CdxHash<'a> {
    alg: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum License<'a> {
    Expression { expression: &'a str },
    Named { license: LicenseName<'a> },
}

#[derive(Serialize)]
struct LicenseName<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Evidence<'a> {
    occurrences: Vec<Occurrence<'a>>,
}

#[derive(Serialize)]
struct Occurrence<'a> {
    location: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    depends_on: Vec<&'a str>,
}

fn component<'a>(c: &'a Component, is_root: bool) -> CdxComponent<'a> {
    // The purl namespace (npm scope, Go module prefix, Maven group) is the CycloneDX group.
    let (group, name) = crate::purl::split(c.ecosystem, &c.name);
    let mut properties: Vec<Property> = c
        .properties
        .iter()
        .map(|(k, v)| Property {
            name: format!("chainproof:{k}"),
            value: v.clone(),
        })
        .collect();
    let scope = if is_root {
        None
    } else {
        properties.push(Property {
            name: "chainproof:dependency".into(),
            value: c.scope.as_str().to_string(),
        });
        if c.dev {
            properties.push(Property {
                name: "chainproof:dev".into(),
                value: "true".into(),
            });
        }
        if c.optional {
            properties.push(Property {
                name: "chainproof:optional".into(),
                value: "true".into(),
            });
        }
        Some(if c.dev {
            "excluded"
        } else if c.optional {
            "optional"
        } else {
            "required"
        })
    };
    let licenses = c
        .licenses
        .iter()
        .map(|l| {
            if looks_like_expression(l) {
                License::Expression { expression: l }
            } else {
                License::Named {
                    license: LicenseName { name: l },
                }
            }
        })
        .collect::<Vec<_>>();
    // The schema allows one expression, or any number of named licenses, not a mix.
    let licenses = if licenses.len() > 1 {
        c.licenses
            .iter()
            .map(|l| License::Named {
                license: LicenseName { name: l },
            })
            .collect()
    } else {
        licenses
    };
    CdxComponent {
        // An image root (`pkg:oci/...`, `chainproof sbom --image`) is a container.
        ty: match (is_root, c.purl.starts_with("pkg:oci/")) {
            (true, true) => "container",
            (true, false) => "application",
            (false, _) => "library",
        },
        bom_ref: c.bom_ref(),
        group,
        name,
        version: &c.version,
        scope,
        hashes: c
            .hashes
            .iter()
            .map(|h| CdxHash {
                alg: h.alg.cyclonedx(),
                content: &h.hex,
            })
            .collect(),
        licenses,
        purl: &c.purl,
        properties,
        evidence: (!c.sources.is_empty()).then(|| Evidence {
            occurrences: c
                .sources
                .iter()
                .map(|s| Occurrence { location: s })
                .collect(),
        }),
    }
}

/// The document as pretty JSON with a trailing newline.
/// `created` (seconds since the Unix epoch) is `metadata.timestamp`.
pub fn to_string(sbom: &Sbom, tool: &Tool<'_>, created: u64) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and serde_json only writes valid UTF-8.
    let _ = write_to(sbom, tool, created, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Write the document to `out`. The serial number is a UUID from the SHA-256 of the document
/// itself (with the serial number zeroed), so the same SBOM always gets the same serial number.
pub fn write_to(
    sbom: &Sbom,
    tool: &Tool<'_>,
    created: u64,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut bom = Bom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: String::new(),
        version: 1,
        metadata: Metadata {
            timestamp: super::spdx::format_timestamp(created),
            tools: Tools {
                components: vec![ToolComponent {
                    ty: "application",
                    name: tool.name,
                    version: tool.version,
                }],
            },
            component: component(&sbom.root, true),
            properties: sbom
                .errors
                .iter()
                .map(|e| Property {
                    name: "chainproof:unreadable".into(),
                    value: e.to_string(),
                })
                .chain(sbom.unlocked.iter().map(|m| Property {
                    name: "chainproof:manifest-without-lockfile".into(),
                    value: m.clone(),
                }))
                .collect(),
        },
        // In parallel: tens of thousands of components, each with a few allocations.
        components: sbom
            .components
            .par_iter()
            .map(|(_, c)| component(c, false))
            .collect(),
        dependencies: sbom
            .edges
            .iter()
            .map(|(r, to)| Dependency {
                reference: r,
                depends_on: to.iter().map(String::as_str).collect(),
            })
            .collect(),
    };
    // One serialisation: the document is written with a placeholder serial number, hashed, and
    // the placeholder (same length, near the top) replaced by the hash's UUID.
    bom.serial_number = format!("urn:uuid:{}", PLACEHOLDER_UUID);
    let mut doc = Vec::with_capacity(256 * (sbom.components.len() + 16));
    serde_json::to_writer_pretty(&mut doc, &bom)?;
    doc.push(b'\n');
    let uuid = uuid_from_digest(&Sha256::digest(&doc));
    if let Some(at) = doc
        .windows(PLACEHOLDER_UUID.len())
        .position(|w| w == PLACEHOLDER_UUID.as_bytes())
    {
        doc[at..at + uuid.len()].copy_from_slice(uuid.as_bytes());
    }
    out.write_all(&doc)
}

/// Stands for the serial number while the document is hashed (same length as a UUID).
const PLACEHOLDER_UUID: &str = "00000000-0000-0000-0000-000000000000";
