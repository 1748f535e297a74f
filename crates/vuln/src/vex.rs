//! VEX (Vulnerability Exploitability eXchange): statements that a product is, or is not, affected
//! by a vulnerability. Two formats are read:
//!
//! - OpenVEX (<https://github.com/openvex/spec>, v0.2.0, and the older v0.0.x shape where
//!   `vulnerability` is a string and `products` a list of strings): `statements[]` with
//!   `vulnerability` (`name`, `aliases`), `products` (`@id` or `identifiers.purl`, and their
//!   `subcomponents`), `status` and `justification` / `impact_statement`.
//! - CycloneDX VEX (<https://cyclonedx.org/capabilities/vex/>): `vulnerabilities[]` with `id`,
//!   `references[].id`, `analysis.state` / `justification` / `detail` and `affects[].ref` (a purl, a
//!   `bom-ref` of a component in the same document, or a BOM-Link `urn:cdx:...#<bom-ref>`).
//!
//! A finding is suppressed when its id or one of its aliases names the statement's vulnerability
//! (or one of its aliases) and its purl matches one of the statement's products; only `not_affected`
//! and `fixed` suppress (CycloneDX: `not_affected`, `false_positive`, `resolved`,
//! `resolved_with_pedigree`). When several statements match, the last one read wins (documents in
//! the order given, statements in document order), so a later `affected` statement revokes an
//! earlier `not_affected`. A product purl without a version matches every version of the package;
//! qualifiers in a product purl must all be present in the finding's purl. Suppressed findings are
//! kept and reported as suppressed with the statement's justification, never dropped.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::matcher::ScanResult;

/// A VEX document could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct VexError {
    pub file: String,
    pub message: String,
}

/// What a statement says about the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotAffected,
    Fixed,
    Affected,
    UnderInvestigation,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Fixed => "fixed",
            Status::Affected => "affected",
            Status::UnderInvestigation => "under_investigation",
        }
    }

    /// Whether the statement removes the finding from the gate.
    pub fn suppresses(self) -> bool {
        matches!(self, Status::NotAffected | Status::Fixed)
    }
}

/// One statement, from either format.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    /// The vulnerability id and its aliases as the statement names them.
    pub vulnerabilities: Vec<String>,
    /// Product purls (with or without version).
    pub products: Vec<String>,
    pub status: Status,
    /// The machine-readable justification (`vulnerable_code_not_present`, `code_not_reachable`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The free text: OpenVEX `impact_statement` (or `action_statement`), CycloneDX `analysis.detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The document the statement came from, as given on the command line.
    pub source: String,
}

impl Statement {
    /// The justification and detail as one line for reports.
    pub fn reason(&self) -> String {
        match (&self.justification, &self.detail) {
            (Some(j), Some(d)) => format!("{}: {j} ({d})", self.status.as_str()),
            (Some(j), None) => format!("{}: {j}", self.status.as_str()),
            (None, Some(d)) => format!("{}: {d}", self.status.as_str()),
            (None, None) => self.status.as_str().to_owned(),
        }
    }
}

/// Every statement of the VEX documents given, in order.
#[derive(Debug, Clone, Default)]
pub struct Vex {
    pub statements: Vec<Statement>,
}

impl Vex {
    /// Read one document (OpenVEX or CycloneDX VEX, recognised by content).
    pub fn load(path: &Path) -> Result<Vex, VexError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| VexError {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Vex::parse(&text, &file)
    }

    /// Parse one document; `file` names it in errors and in each statement's `source`.
    pub fn parse(text: &str, file: &str) -> Result<Vex, VexError> {
        let err = |message: String| VexError {
            file: file.to_owned(),
            message,
        };
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            err(format!(
                "not JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let is_openvex = doc
            .get("@context")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains("openvex"));
        if is_openvex {
            openvex(&doc, file).map_err(err)
        } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            cyclonedx(&doc, file).map_err(err)
        } else {
            Err(err(
                "neither an OpenVEX document (`@context` naming openvex) nor CycloneDX (`bomFormat`)"
                    .into(),
            ))
        }
    }

    pub fn extend(&mut self, other: Vex) {
        self.statements.extend(other.statements);
    }

    /// The statement deciding a finding with these ids (its id and aliases) on this purl: the last
    /// matching one, whatever its status. `None` when no statement names it.
    pub fn decide(&self, ids: &[&str], purl: &str) -> Option<&Statement> {
        self.statements.iter().rev().find(|s| {
            s.vulnerabilities
                .iter()
                .any(|v| ids.iter().any(|id| id.eq_ignore_ascii_case(v)))
                && s.products.iter().any(|p| purl_matches(p, purl))
        })
    }

    /// The statement suppressing the finding, if the deciding one is `not_affected` or `fixed`.
    pub fn suppression(&self, ids: &[&str], purl: &str) -> Option<&Statement> {
        self.decide(ids, purl).filter(|s| s.status.suppresses())
    }
}

/// A finding a VEX statement suppressed, with the statement.
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub finding: crate::matcher::Finding,
    pub statement: Statement,
}

/// Move the findings a statement suppresses out of `result`; the others stay, in order.
pub fn apply(vex: &Vex, result: &mut ScanResult) -> Vec<Suppressed> {
    let mut suppressed = Vec::new();
    let findings = std::mem::take(&mut result.findings);
    for f in findings {
        let ids: Vec<&str> = std::iter::once(f.id.as_str())
            .chain(f.aliases.iter().map(String::as_str))
            .collect();
        match vex.suppression(&ids, &f.purl) {
            Some(s) => suppressed.push(Suppressed {
                statement: s.clone(),
                finding: f,
            }),
            None => result.findings.push(f),
        }
    }
    suppressed
}

fn openvex(doc: &Value, file: &str) -> Result<Vex, String> {
    let statements = doc
        .get("statements")
        .and_then(Value::as_array)
        .ok_or("OpenVEX document without a `statements` array")?;
    let mut out = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let at = |m: &str| format!("statements[{i}]: {m}");
        let mut vulnerabilities = Vec::new();
        match s.get("vulnerability") {
            Some(Value::String(name)) => vulnerabilities.push(name.clone()),
            Some(v @ Value::Object(_)) => {
                if let Some(name) = v.get("name").and_then(Value::as_str) {
                    vulnerabilities.push(name.to_owned());
                }
                if let Some(id) = v.get("@id").and_then(Value::as_str) {
                    // An IRI; its last path segment is often the id (`.../GHSA-xxxx`).
                    if let Some(last) = id.rsplit('/').next().filter(|l| !l.is_empty()) {
                        vulnerabilities.push(last.to_owned());
                    }
                }
                vulnerabilities.extend(strings(v.get("aliases")));
            }
            _ => return Err(at("no `vulnerability`")),
        }
        if vulnerabilities.is_empty() {
            return Err(at("`vulnerability` has no `name`"));
        }
        let mut products = Vec::new();
        for p in s
            .get("products")
            .and_then(Value::as_array)
            .ok_or_else(|| at("no `products` array"))?
        {
            openvex_product(p, &mut products);
        }
        let status = match s.get("status").and_then(Value::as_str) {
            Some("not_affected") => Status::NotAffected,
            Some("fixed") => Status::Fixed,
            Some("affected") => Status::Affected,
            Some("under_investigation") => Status::UnderInvestigation,
            Some(other) => return Err(at(&format!("unknown status `{other}`"))),
            None => return Err(at("no `status`")),
        };
        let justification = s
            .get("justification")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if status == Status::NotAffected
            && justification.is_none()
            && s.get("impact_statement").is_none()
        {
            return Err(at(
                "`not_affected` needs a `justification` or an `impact_statement` (OpenVEX spec)",
            ));
        }
        let detail = s
            .get("impact_statement")
            .or_else(|| s.get("action_statement"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        out.push(Statement {
            vulnerabilities,
            products,
            status,
            justification,
            detail,
            source: file.to_owned(),
        });
    }
    Ok(Vex { statements: out })
}

fn openvex_product(p: &Value, out: &mut Vec<String>) {
    match p {
        Value::String(s) => out.push(s.clone()),
        Value::Object(o) => {
            if let Some(id) = o.get("@id").and_then(Value::as_str) {
                out.push(id.to_owned());
            }
            if let Some(purl) = o
                .get("identifiers")
                .and_then(|i| i.get("purl"))
                .and_then(Value::as_str)
            {
                out.push(purl.to_owned());
            }
            for sub in o
                .get("subcomponents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                openvex_product(sub, out);
            }
        }
        _ => {}
    }
}

fn cyclonedx(doc: &Value, file: &str) -> Result<Vex, String> {
    // bom-ref -> purl of the document's own components, to resolve `affects[].ref`.
    let mut refs: BTreeMap<String, String> = BTreeMap::new();
    collect_refs(
        doc.get("metadata").and_then(|m| m.get("component")),
        &mut refs,
    );
    for c in doc
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_refs(Some(c), &mut refs);
    }
    let vulns = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or("CycloneDX document without `vulnerabilities`: not a VEX")?;
    let mut out = Vec::new();
    for (i, v) in vulns.iter().enumerate() {
        let at = |m: &str| format!("vulnerabilities[{i}]: {m}");
        let mut vulnerabilities: Vec<String> = v
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect();
        for r in v
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = r.get("id").and_then(Value::as_str) {
                vulnerabilities.push(id.to_owned());
            }
        }
        if vulnerabilities.is_empty() {
            return Err(at("no `id`"));
        }
        let Some(analysis) = v.get("analysis") else {
            // A VDR entry without an analysis says nothing about exploitability.
            continue;
        };
        let status = match analysis.get("state").and_then(Value::as_str) {
            Some("not_affected" | "false_positive") => Status::NotAffected,
            Some("resolved" | "resolved_with_pedigree") => Status::Fixed,
            Some("exploitable") => Status::Affected,
            Some("in_triage") | None => Status::UnderInvestigation,
            Some(other) => return Err(at(&format!("unknown analysis.state `{other}`"))),
        };
        let mut products = Vec::new();
        for a in v
            .get("affects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(r) = a.get("ref").and_then(Value::as_str) else {
                return Err(at("`affects` entry without `ref`"));
            };
            // BOM-Link: `urn:cdx:<serial>/<version>#<bom-ref>`.
            let r = match r.strip_prefix("urn:cdx:") {
                Some(link) => link.split_once('#').map_or(r, |(_, frag)| frag),
                None => r,
            };
            let r = percent_decode(r);
            products.push(refs.get(&r).cloned().unwrap_or(r));
        }
        out.push(Statement {
            vulnerabilities,
            products,
            status,
            justification: analysis
                .get("justification")
                .and_then(Value::as_str)
                .map(str::to_owned),
            detail: analysis
                .get("detail")
                .and_then(Value::as_str)
                .map(str::to_owned),
            source: file.to_owned(),
        });
    }
    Ok(Vex { statements: out })
}

fn collect_refs(c: Option<&Value>, refs: &mut BTreeMap<String, String>) {
    let Some(c) = c else { return };
    if let (Some(r), Some(p)) = (
        c.get("bom-ref").and_then(Value::as_str),
        c.get("purl").and_then(Value::as_str),
    ) {
        refs.insert(r.to_owned(), p.to_owned());
    }
    for sub in c
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_refs(Some(sub), refs);
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// A purl split for comparison: `type/namespace/name` (decoded, type lowercased), the version,
/// and the qualifiers.
struct Parts {
    package: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
}

fn parts(purl: &str) -> Option<Parts> {
    let rest = purl.strip_prefix("pkg:")?.trim_start_matches('/');
    let rest = rest.split_once('#').map_or(rest, |(a, _)| a);
    let (rest, qualifiers) = match rest.split_once('?') {
        Some((a, q)) => (a, q),
        None => (rest, ""),
    };
    // The version follows the last `@` after the last `/` (a scope's `@` is `%40` or in a
    // namespace segment before it).
    let slash = rest.rfind('/').unwrap_or(0);
    let (package, version) = match rest[slash..].rfind('@') {
        Some(at) => (&rest[..slash + at], Some(&rest[slash + at + 1..])),
        None => (rest, None),
    };
    let (ty, path) = package.split_once('/')?;
    let mut package = ty.to_ascii_lowercase();
    package.push('/');
    package.push_str(&percent_decode(path));
    Some(Parts {
        package,
        version: version.map(percent_decode),
        qualifiers: qualifiers
            .split('&')
            .filter(|q| !q.is_empty())
            .filter_map(|q| q.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), percent_decode(v)))
            .collect(),
    })
}

/// Whether the statement's product purl covers the finding's purl: same type, namespace and
/// name; the same version unless the product has none; its qualifiers all present.
pub fn purl_matches(product: &str, purl: &str) -> bool {
    let (Some(p), Some(f)) = (parts(product), parts(purl)) else {
        return false;
    };
    p.package == f.package
        && p.version
            .as_ref()
            .is_none_or(|v| Some(v) == f.version.as_ref())
        && p.qualifiers
            .iter()
            .all(|(k, v)| f.qualifiers.get(k) == Some(v))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes.get(i), hex) {
            (Some(b'%'), Some(b)) => {
                out.push(b);
                i += 3;
            }
            (Some(&b), _) => {
                out.push(b);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENVEX: &str = r#"{
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.com/vex/1",
      "author": "Example",
      "timestamp": "2026-01-01T00:00:00Z",
      "version": 1,
      "statements": [
        {
          "vulnerability": {"name": "CVE-2021-23337", "aliases": ["GHSA-35jh-r3h4-6jhm"]},
          "products": [{"@id": "pkg:npm/lodash"}],
          "status": "not_affected",
          "justification": "vulnerable_code_not_in_execute_path",
          "impact_statement": "template() is never called"
        },
        {
          "vulnerability": {"name": "RUSTSEC-2020-0071"},
          "products": [{"@id": "pkg:cargo/time@0.1.45"}],
          "status": "fixed"
        },
        {
          "vulnerability": {"name": "GHSA-xxxx-yyyy-zzzz"},
          "products": [{"@id": "pkg:generic/app", "subcomponents": [{"@id": "pkg:npm/%40scope/pkg@1.0.0"}]}],
          "status": "affected"
        }
      ]
    }"#;

    #[test]
    fn openvex_suppresses_by_alias_and_versionless_purl() {
        let vex = Vex::parse(OPENVEX, "a.vex.json").expect("parses");
        assert_eq!(vex.statements.len(), 3);
        // The finding's id is the GHSA; the statement names the CVE with the GHSA as alias.
        let s = vex
            .suppression(&["GHSA-35jh-r3h4-6jhm"], "pkg:npm/lodash@4.17.20")
            .expect("suppressed");
        assert_eq!(s.status, Status::NotAffected);
        assert_eq!(
            s.reason(),
            "not_affected: vulnerable_code_not_in_execute_path (template() is never called)"
        );
        assert_eq!(s.source, "a.vex.json");
        // Any version of lodash, but not another package.
        assert!(
            vex.suppression(&["CVE-2021-23337"], "pkg:npm/lodash@1.0.0")
                .is_some()
        );
        assert!(
            vex.suppression(&["CVE-2021-23337"], "pkg:npm/lodash-es@4.17.20")
                .is_none()
        );
        // Ids not named: no suppression.
        assert!(
            vex.suppression(&["GHSA-p6mc-m468-83gw"], "pkg:npm/lodash@4.17.20")
                .is_none()
        );
    }

    #[test]
    fn openvex_versioned_purl_matches_only_that_version() {
        let vex = Vex::parse(OPENVEX, "a.vex.json").expect("parses");
        assert!(
            vex.suppression(&["RUSTSEC-2020-0071"], "pkg:cargo/time@0.1.45")
                .is_some_and(|s| s.status == Status::Fixed)
        );
        assert!(
            vex.suppression(&["RUSTSEC-2020-0071"], "pkg:cargo/time@0.1.44")
                .is_none()
        );
    }

    #[test]
    fn affected_statements_do_not_suppress_and_later_statements_win() {
        let vex = Vex::parse(OPENVEX, "a.vex.json").expect("parses");
        let scoped = "pkg:npm/%40scope/pkg@1.0.0";
        assert_eq!(
            vex.decide(&["GHSA-xxxx-yyyy-zzzz"], scoped)
                .map(|s| s.status),
            Some(Status::Affected)
        );
        assert!(vex.suppression(&["GHSA-xxxx-yyyy-zzzz"], scoped).is_none());

        let mut both = Vex::parse(OPENVEX, "a.vex.json").expect("parses");
        let later = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
          {"vulnerability": {"name": "CVE-2021-23337"}, "products": [{"@id": "pkg:npm/lodash@4.17.20"}],
           "status": "affected", "action_statement": "upgrade"}]}"#;
        both.extend(Vex::parse(later, "b.vex.json").expect("parses"));
        assert!(
            both.suppression(&["CVE-2021-23337"], "pkg:npm/lodash@4.17.20")
                .is_none(),
            "the later affected statement revokes the earlier not_affected"
        );
        assert!(
            both.suppression(&["CVE-2021-23337"], "pkg:npm/lodash@4.17.19")
                .is_some()
        );
    }

    #[test]
    fn openvex_errors_name_the_file_and_statement() {
        let bad = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
          {"vulnerability": {"name": "CVE-1"}, "products": [], "status": "not_affected"}]}"#;
        let e = Vex::parse(bad, "x.json").expect_err("no justification");
        assert_eq!(
            e.to_string(),
            "x.json: statements[0]: `not_affected` needs a `justification` or an `impact_statement` (OpenVEX spec)"
        );
        let e = Vex::parse("{", "y.json").expect_err("not json");
        assert!(
            e.to_string().starts_with("y.json: not JSON at line 1"),
            "{e}"
        );
        let e = Vex::parse(r#"{"statements": []}"#, "z.json").expect_err("unknown");
        assert!(e.to_string().starts_with("z.json: neither"), "{e}");
    }

    #[test]
    fn openvex_v0_0_1_shape() {
        let old = r#"{"@context": "https://openvex.dev/ns", "statements": [
          {"vulnerability": "CVE-2022-1", "products": ["pkg:pypi/django"], "status": "fixed"}]}"#;
        let vex = Vex::parse(old, "old.json").expect("parses");
        assert!(
            vex.suppression(&["CVE-2022-1"], "pkg:pypi/django@3.2.0")
                .is_some()
        );
    }

    const CDX: &str = r#"{
      "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
      "components": [{"type": "library", "bom-ref": "comp-1", "name": "time", "version": "0.1.45", "purl": "pkg:cargo/time@0.1.45"}],
      "vulnerabilities": [
        {"id": "RUSTSEC-2020-0071", "references": [{"id": "GHSA-wcg3-cvx6-7396", "source": {"name": "GitHub"}}],
         "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "no localtime calls"},
         "affects": [{"ref": "comp-1"}]},
        {"id": "GHSA-35jh-r3h4-6jhm",
         "analysis": {"state": "resolved"},
         "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:npm/lodash@4.17.20"}]},
        {"id": "CVE-2099-1", "analysis": {"state": "exploitable"}, "affects": [{"ref": "pkg:npm/lodash"}]},
        {"id": "CVE-2099-2", "affects": [{"ref": "pkg:npm/lodash"}]}
      ]
    }"#;

    #[test]
    fn cyclonedx_vex_resolves_bom_refs_and_bom_links() {
        let vex = Vex::parse(CDX, "vex.cdx.json").expect("parses");
        assert_eq!(
            vex.statements.len(),
            3,
            "the entry without analysis is no statement"
        );
        let s = vex
            .suppression(&["GHSA-wcg3-cvx6-7396"], "pkg:cargo/time@0.1.45")
            .expect("by reference id and bom-ref");
        assert_eq!(
            s.reason(),
            "not_affected: code_not_reachable (no localtime calls)"
        );
        assert!(
            vex.suppression(&["RUSTSEC-2020-0071"], "pkg:cargo/time@0.1.44")
                .is_none()
        );
        assert!(
            vex.suppression(&["GHSA-35jh-r3h4-6jhm"], "pkg:npm/lodash@4.17.20")
                .is_some_and(|s| s.status == Status::Fixed)
        );
        assert!(
            vex.suppression(&["CVE-2099-1"], "pkg:npm/lodash@4.17.20")
                .is_none()
        );
        let e = Vex::parse(
            r#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", "analysis": {"state": "maybe"}}]}"#,
            "v.json",
        )
        .expect_err("bad state");
        assert_eq!(
            e.to_string(),
            "v.json: vulnerabilities[0]: unknown analysis.state `maybe`"
        );
    }

    #[test]
    fn purl_matching() {
        assert!(purl_matches("pkg:npm/lodash", "pkg:npm/lodash@4.17.20"));
        assert!(purl_matches(
            "pkg:NPM/lodash@4.17.20",
            "pkg:npm/lodash@4.17.20"
        ));
        assert!(!purl_matches(
            "pkg:npm/lodash@4.17.21",
            "pkg:npm/lodash@4.17.20"
        ));
        assert!(!purl_matches("pkg:npm/lodash", "pkg:cargo/lodash@1.0.0"));
        assert!(purl_matches(
            "pkg:npm/@scope/pkg",
            "pkg:npm/%40scope/pkg@1.0.0"
        ));
        assert!(purl_matches(
            "pkg:npm/%40scope/pkg@1.0.0",
            "pkg:npm/%40scope/pkg@1.0.0?foo=bar#sub"
        ));
        assert!(purl_matches(
            "pkg:deb/debian/openssl?arch=amd64",
            "pkg:deb/debian/openssl@3.0.1?arch=amd64&distro=bookworm"
        ));
        assert!(!purl_matches(
            "pkg:deb/debian/openssl?arch=arm64",
            "pkg:deb/debian/openssl@3.0.1?arch=amd64"
        ));
        assert!(!purl_matches("not a purl", "pkg:npm/lodash@1"));
    }
}
