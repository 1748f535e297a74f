//! SPDX 2.3 JSON. Each component is a package with its purl as an `externalRefs` entry, checksums,
//! declared licenses (when they read as SPDX expressions; otherwise `NOASSERTION`), and the
//! lockfiles it came from in `sourceInfo`. Relationships: the document DESCRIBES the root; every
//! dependency edge is DEPENDS_ON. The namespace is derived from the content; `created` is
//! what the caller passes (the CLI: `SOURCE_DATE_EPOCH`, else the Unix epoch), so output is reproducible.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Tool, content_uuid, looks_like_expression};
use crate::{Component, Sbom};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    packages: Vec<Package<'a>>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    version_info: &'a str,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum<'a>>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    external_refs: Vec<ExternalRef<'a>>,
    primary_package_purpose: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum<'a> {
    algorithm: &'static str,
    checksum_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef<'a> {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

/// `SPDXRef-Package-<readable purl>-<8 hex of its hash>`: stable and unique.
fn spdx_id(purl: &str) -> String {
    let readable: String = purl
        .strip_prefix("pkg:")
        .unwrap_or(purl)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let h = Sha256::digest(purl.as_bytes());
    format!(
        "SPDXRef-Package-{readable}-{:02x}{:02x}{:02x}{:02x}",
        h[0], h[1], h[2], h[3]
    )
}

fn package<'a>(c: &'a Component, is_root: bool) -> Package<'a> {
    let declared = match c.licenses.iter().collect::<Vec<_>>().as_slice() {
        [one] if looks_like_expression(one) => (*one).clone(),
        _ => "NOASSERTION".to_string(),
    };
    let mut info = Vec::new();
    if !c.sources.is_empty() {
        info.push(format!(
            "read from {}",
            c.sources.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    for (k, v) in &c.properties {
        info.push(format!("{k}: {v}"));
    }
    if !is_root {
        info.push(format!("{} dependency", c.scope.as_str()));
        if c.dev {
            info.push("dev".into());
        }
        if c.optional {
            info.push("optional".into());
        }
    }
    Package {
        spdx_id: spdx_id(&c.purl),
        name: &c.name,
        version_info: &c.version,
        download_location: "NOASSERTION",
        files_analyzed: false,
        checksums: c
            .hashes
            .iter()
            .map(|h| Checksum {
                algorithm: h.alg.spdx(),
                checksum_value: &h.hex,
            })
            .collect(),
        license_concluded: "NOASSERTION",
        license_declared: declared,
        copyright_text: "NOASSERTION",
        source_info: (!info.is_empty()).then(|| info.join("; ")),
        external_refs: vec![ExternalRef {
            reference_category: "PACKAGE-MANAGER",
            reference_type: "purl",
            reference_locator: &c.purl,
        }],
        primary_package_purpose: match (is_root, c.purl.starts_with("pkg:oci/")) {
            (true, true) => "CONTAINER",
            (true, false) => "APPLICATION",
            (false, _) => "LIBRARY",
        },
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch.
pub fn format_timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The document as pretty JSON with a trailing newline; `created` is seconds since the epoch.
pub fn to_string(sbom: &Sbom, tool: &Tool<'_>, created: u64) -> String {
    let mut packages = vec![package(&sbom.root, true)];
    packages.extend(sbom.components.values().map(|c| package(c, false)));
    let mut relationships = vec![Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: spdx_id(&sbom.root.purl),
    }];
    for (from, to) in &sbom.edges {
        for t in to {
            relationships.push(Relationship {
                spdx_element_id: spdx_id(from),
                relationship_type: "DEPENDS_ON",
                related_spdx_element: spdx_id(t),
            });
        }
    }
    let mut notes = Vec::new();
    if !sbom.errors.is_empty() {
        let list: Vec<String> = sbom.errors.iter().map(ToString::to_string).collect();
        notes.push(format!(
            "Lockfiles that could not be read: {}",
            list.join("; ")
        ));
    }
    if !sbom.unlocked.is_empty() {
        notes.push(format!(
            "Manifests without a lockfile (their dependencies are not listed): {}",
            sbom.unlocked.join(", ")
        ));
    }
    let comment = (!notes.is_empty()).then(|| notes.join(". "));
    let name = if sbom.root.version.is_empty() {
        sbom.root.name.clone()
    } else {
        format!("{}-{}", sbom.root.name, sbom.root.version)
    };
    let mut doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name,
        document_namespace: String::new(),
        creation_info: CreationInfo {
            created: format_timestamp(created),
            creators: vec![format!("Tool: {}-{}", tool.name, tool.version)],
        },
        comment,
        packages,
        relationships,
    };
    let unserialised = serde_json::to_vec(&doc).unwrap_or_default();
    doc.document_namespace = format!(
        "https://spdx.org/spdxdocs/{}-{}",
        doc.name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            })
            .collect::<String>(),
        content_uuid(&unserialised)
    );
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(1_709_251_199), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn ids_are_valid_and_distinct() {
        let a = spdx_id("pkg:npm/%40s/a@1.0.0");
        assert!(a.starts_with("SPDXRef-Package-npm--40s-a-1.0.0-"), "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        );
        assert_ne!(spdx_id("pkg:npm/a-b@1"), spdx_id("pkg:npm/a/b@1"));
    }
}
