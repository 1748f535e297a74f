//! SBOM writers. Output is deterministic: no timestamps, ordering by bom-ref, and identifiers
//! (CycloneDX `serialNumber`, SPDX `documentNamespace`) derived from the content, so the same
//! lockfiles always give the same bytes.

use sha2::{Digest, Sha256};

pub mod cyclonedx;
pub mod cyclonedx_xml;
pub mod spdx;

/// An output format of `chainproof sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDxJson,
    CycloneDxXml,
    SpdxJson,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &["cyclonedx-json", "cyclonedx-xml", "spdx-json"];
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cyclonedx-json" => Ok(Format::CycloneDxJson),
            "cyclonedx-xml" => Ok(Format::CycloneDxXml),
            "spdx-json" => Ok(Format::SpdxJson),
            _ => Err(format!(
                "unknown SBOM format `{s}` (expected one of: {})",
                Format::NAMES.join(", ")
            )),
        }
    }
}

/// Who wrote the document.
#[derive(Debug, Clone)]
pub struct Tool<'a> {
    pub name: &'a str,
    pub version: &'a str,
}

/// Write `sbom` in `format`, pretty-printed JSON or indented XML ending in a newline. `created`
/// (seconds since the Unix epoch) is the SPDX creation time and the CycloneDX timestamp; the rest
/// of the document depends only on the SBOM, so a fixed `created` gives reproducible bytes.
pub fn write(format: Format, sbom: &crate::Sbom, tool: &Tool<'_>, created: u64) -> String {
    let mut out = Vec::new();
    let _ = write_to(format, sbom, tool, created, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`write`] to a stream (large CycloneDX JSON documents are never held in memory whole).
pub fn write_to(
    format: Format,
    sbom: &crate::Sbom,
    tool: &Tool<'_>,
    created: u64,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let text = match format {
        Format::CycloneDxJson => return cyclonedx::write_to(sbom, tool, created, out),
        Format::CycloneDxXml => cyclonedx_xml::to_string(sbom, tool, created),
        Format::SpdxJson => spdx::to_string(sbom, tool, created),
    };
    out.write_all(text.as_bytes())
}

/// A version-5-shaped UUID (RFC 9562 layout) from the SHA-256 of `bytes`.
pub(crate) fn content_uuid(bytes: &[u8]) -> String {
    uuid_from_digest(&Sha256::digest(bytes))
}

/// A version-5-shaped UUID (RFC 9562 layout) from the first 16 bytes of a digest.
pub(crate) fn uuid_from_digest(d: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Whether `s` reads as an SPDX license expression (ids, `AND`/`OR`/`WITH`, parentheses); other
/// license texts are written as names, never as expressions.
pub(crate) fn looks_like_expression(s: &str) -> bool {
    let tokens: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|t| !t.is_empty())
        .collect();
    let is_op = |t: &str| matches!(t, "AND" | "OR" | "WITH");
    let is_id = |t: &str| {
        !is_op(t)
            && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | ':'))
    };
    tokens.len() % 2 == 1
        && tokens
            .iter()
            .enumerate()
            .all(|(i, t)| if i % 2 == 0 { is_id(t) } else { is_op(t) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let u = content_uuid(b"x");
        assert_eq!(u, content_uuid(b"x"));
        assert_ne!(u, content_uuid(b"y"));
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "5");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn license_expressions() {
        assert!(looks_like_expression("MIT"));
        assert!(looks_like_expression("(MIT OR Apache-2.0)"));
        assert!(looks_like_expression("Apache-2.0 WITH LLVM-exception"));
        assert!(!looks_like_expression("SEE LICENSE IN LICENSE.md"));
        assert!(!looks_like_expression(""));
    }
}
