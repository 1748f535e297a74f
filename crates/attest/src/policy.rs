//! The `chainproof verify --policy FILE` file (YAML or JSON; schema in `schemas/verify-policy.json`):
//! who must have signed, and which attestations one artifact must carry.
//!
//! ```yaml
//! identity:
//!   certificate_oidc_issuer: https://token.actions.githubusercontent.com
//!   repo: octo-org/octo-repo
//!   signer_workflow: octo-org/octo-repo/.github/workflows/release.yml
//!   source_ref: refs/heads/main
//! require:
//!   - type: slsaprovenance1
//!   - type: cyclonedx
//!   - type: vuln
//!     fail_on: critical      # no finding at or above this severity in the attested scan
//! ```
//!
//! Every bundle given to `verify` must pass the identity policy (the file's and the flags' constraints
//! together); each `require` entry must be met by at least one verified bundle.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A verification policy.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Who must have signed every bundle (certificate identity, issuer, Fulcio extensions).
    #[serde(default)]
    pub identity: IdentityPolicy,
    /// Attestations the artifact must carry, each from a verified bundle.
    #[serde(default)]
    pub require: Vec<Requirement>,
}

/// Identity constraints; every one that is set must hold. The same fields as `verify`'s flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityPolicy {
    /// The certificate's SAN identity, exactly (e.g. `https://github.com/o/r/.github/workflows/release.yml@refs/heads/main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_identity: Option<String>,
    /// A regular expression the SAN identity must match (unanchored, as in cosign: anchor it with `^...$`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer in the certificate (e.g. `https://token.actions.githubusercontent.com`, `https://gitlab.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_oidc_issuer: Option<String>,
    /// The source repository's owner: `OWNER` (on github.com) or the owner's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The source repository: `OWNER/REPO` (on github.com) or the repository's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The workflow that signed: `OWNER/REPO/PATH/TO/WORKFLOW.yml` (on github.com) or `HOST/OWNER/REPO/PATH`;
    /// compared with the SAN identity without its `@ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_workflow: Option<String>,
    /// The git ref the artifact was built from (Fulcio extension 1.3.6.1.4.1.57264.1.14), e.g. `refs/heads/main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    /// The commit SHA the artifact was built from (extension .1.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_digest: Option<String>,
    /// The runner environment (extension .1.11), e.g. `github-hosted` to refuse self-hosted runners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_environment: Option<String>,
}

impl IdentityPolicy {
    /// Whether any constraint names who signed (an issuer alone does not).
    pub fn names_signer(&self) -> bool {
        self.certificate_identity.is_some()
            || self.certificate_identity_regexp.is_some()
            || self.owner.is_some()
            || self.repo.is_some()
            || self.signer_workflow.is_some()
    }

    /// The GitHub-style constraints (`owner`, `repo`, `signer_workflow`) are set.
    pub fn github_style(&self) -> bool {
        self.owner.is_some() || self.repo.is_some() || self.signer_workflow.is_some()
    }
}

/// One attestation the artifact must carry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// `slsaprovenance1`, `cyclonedx`, `vuln`, `sarif`, or a predicate type URI.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `vuln` and `sarif`: fail when the attested results hold a finding at or above this severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
}

/// Finding severities, lowest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    fn from_word(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "low" | "note" => Some(Self::Low),
            "medium" | "moderate" | "warning" => Some(Self::Medium),
            "high" | "error" => Some(Self::High),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }

    /// CVSS-style score bands (GitHub's `security-severity`).
    fn from_score(score: f64) -> Option<Self> {
        match score {
            s if s >= 9.0 => Some(Self::Critical),
            s if s >= 7.0 => Some(Self::High),
            s if s >= 4.0 => Some(Self::Medium),
            s if s > 0.0 => Some(Self::Low),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the policy {path} is invalid: {reason}")]
pub struct PolicyError {
    pub path: String,
    pub reason: String,
}

impl Policy {
    /// Parses a YAML or JSON policy.
    pub fn parse(text: &str, path: &str) -> Result<Self, PolicyError> {
        let policy: Policy = serde_saphyr::from_str(text).map_err(|e| PolicyError {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        for r in &policy.require {
            let kind = crate::statement::PredicateKind::parse(&r.kind);
            let Some(kind) = kind else {
                return Err(PolicyError {
                    path: path.to_owned(),
                    reason: format!(
                        "require: unknown type `{}` (slsaprovenance1, cyclonedx, vuln, sarif, or a URI)",
                        r.kind
                    ),
                });
            };
            if r.fail_on.is_some()
                && !matches!(
                    kind,
                    crate::statement::PredicateKind::Vuln | crate::statement::PredicateKind::Sarif
                )
            {
                return Err(PolicyError {
                    path: path.to_owned(),
                    reason: format!(
                        "require: `fail_on` applies to `vuln` and `sarif` attestations only, not `{}` \
                         (its findings could not be read, so the check would pass unseen)",
                        r.kind
                    ),
                });
            }
        }
        if let Some(re) = &policy.identity.certificate_identity_regexp {
            regex::Regex::new(re).map_err(|e| PolicyError {
                path: path.to_owned(),
                reason: format!("certificate_identity_regexp: {e}"),
            })?;
        }
        Ok(policy)
    }

    /// The JSON schema (`schemas/verify-policy.json`).
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Policy);
        serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
    }
}

/// Findings at or above `threshold` in an attested scan or analysis: (id, severity) pairs.
///
/// Reads cosign's vuln predicate (`scanner.result`) holding a `chainproof scan` JSON report, a Trivy
/// JSON report or a SARIF log, and a bare SARIF log (the `sarif` predicate). Fails closed, like
/// `chainproof scan --fail-on`: a scan finding without a usable severity (`unknown`, missing, or a word
/// we do not know) counts as critical; a predicate in none of these formats is an error, never "no
/// findings". SARIF results that are suppressed (a `suppressions` entry not `rejected` or
/// `underReview`), or whose `kind` is not `fail`, or whose level is `none`, do not count.
pub fn findings_at_or_above(
    predicate: &Value,
    threshold: Severity,
) -> Result<Vec<(String, Severity)>, String> {
    let doc = predicate
        .get("scanner")
        .and_then(|s| s.get("result"))
        .unwrap_or(predicate);
    let scan = doc.get("findings").and_then(Value::as_array);
    let trivy = doc.get("Results").and_then(Value::as_array);
    let trivy_empty =
        trivy.is_none() && doc.get("SchemaVersion").is_some() && doc.get("ArtifactName").is_some();
    let sarif = doc.get("runs").and_then(Value::as_array);
    if scan.is_none() && trivy.is_none() && !trivy_empty && sarif.is_none() {
        return Err(
            "cannot read findings from the predicate: it is no `chainproof scan --format json` \
             report (`findings`), Trivy JSON report (`Results`) or SARIF log (`runs`), alone or as \
             cosign's `scanner.result`"
                .into(),
        );
    }
    let mut out = Vec::new();
    let mut push = |id: Option<&str>, sev: Severity| {
        if sev >= threshold {
            out.push((id.unwrap_or("?").to_owned(), sev));
        }
    };
    // Scan reports (chainproof scan --format json, Trivy JSON): `none` is below every threshold,
    // anything unreadable counts as critical.
    let scan_severity = |v: Option<&Value>| -> Option<Severity> {
        match v
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("none" | "negligible" | "informational") => None,
            Some(word) => Some(Severity::from_word(word).unwrap_or(Severity::Critical)),
            None => Some(Severity::Critical),
        }
    };
    for f in scan.into_iter().flatten() {
        if let Some(sev) = scan_severity(f.get("severity")) {
            push(f.get("id").and_then(Value::as_str), sev);
        }
    }
    for r in trivy.into_iter().flatten() {
        for v in r
            .get("Vulnerabilities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(sev) = scan_severity(v.get("Severity")) {
                push(v.get("VulnerabilityID").and_then(Value::as_str), sev);
            }
        }
    }
    // SARIF: security-severity (result, then rule) or the result's level (default `warning`).
    for run in sarif.into_iter().flatten() {
        let rules: Vec<&Value> = run
            .pointer("/tool/driver/rules")
            .and_then(Value::as_array)
            .map(|r| r.iter().collect())
            .unwrap_or_default();
        for res in run
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if sarif_suppressed(res)
                || res
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k != "fail")
            {
                continue;
            }
            let rule_id = res.get("ruleId").and_then(Value::as_str);
            let rule = rule_id.and_then(|id| {
                rules
                    .iter()
                    .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
            });
            let score = |v: Option<&Value>| {
                v.and_then(|p| p.get("security-severity"))
                    .and_then(|s| match s {
                        Value::String(s) => s.parse::<f64>().ok(),
                        Value::Number(n) => n.as_f64(),
                        _ => None,
                    })
            };
            let sev = match score(res.get("properties"))
                .or_else(|| score(rule.and_then(|r| r.get("properties"))))
            {
                Some(s) => Severity::from_score(s),
                None => {
                    let level = res
                        .get("level")
                        .and_then(Value::as_str)
                        .or_else(|| {
                            rule.and_then(|r| r.pointer("/defaultConfiguration/level"))
                                .and_then(Value::as_str)
                        })
                        .unwrap_or("warning");
                    if level == "none" {
                        None
                    } else {
                        Some(Severity::from_word(level).unwrap_or(Severity::Critical))
                    }
                }
            };
            if let Some(sev) = sev {
                push(rule_id, sev);
            }
        }
    }
    Ok(out)
}

/// A SARIF result with a suppression that is in effect (status absent or `accepted`).
fn sarif_suppressed(result: &Value) -> bool {
    result
        .get("suppressions")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|x| {
                !matches!(
                    x.get("status").and_then(Value::as_str),
                    Some("rejected" | "underReview")
                )
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_yaml_and_rejects_unknown_fields() {
        let p = Policy::parse(
            "identity:\n  repo: o/r\nrequire:\n  - type: vuln\n    fail_on: critical\n",
            "p.yml",
        )
        .expect("policy");
        assert_eq!(p.identity.repo.as_deref(), Some("o/r"));
        assert_eq!(p.require[0].fail_on, Some(Severity::Critical));
        assert!(Policy::parse("identiy: {}\n", "p.yml").is_err());
        assert!(Policy::parse("require: [{type: nope}]\n", "p.yml").is_err());
    }

    #[test]
    fn counts_findings_in_scan_and_sarif() {
        let vuln = json!({"scanner": {"result": {"findings": [
            {"id": "GHSA-1", "severity": "critical"}, {"id": "GHSA-2", "severity": "low"}]}}});
        assert_eq!(
            findings_at_or_above(&vuln, Severity::Critical).ok(),
            Some(vec![("GHSA-1".to_owned(), Severity::Critical)])
        );
        let sarif = json!({"runs": [{"tool": {"driver": {"rules": [
            {"id": "r1", "properties": {"security-severity": "9.8"}}]}},
            "results": [{"ruleId": "r1"}, {"ruleId": "r2", "level": "warning"}]}]});
        let count = |v: &Value, t| findings_at_or_above(v, t).map(|f| f.len()).ok();
        assert_eq!(count(&sarif, Severity::High), Some(1));
        assert_eq!(count(&sarif, Severity::Medium), Some(2));
    }

    /// A predicate in no format we read is an error, never "no findings".
    #[test]
    fn unreadable_predicate_is_an_error() {
        for p in [
            json!({"scanner": {"result": {"vulns": [{"id": "X", "severity": "critical"}]}}}),
            json!({"matches": [{"vulnerability": {"id": "CVE-1", "severity": "Critical"}}]}),
            json!({}),
        ] {
            let e = findings_at_or_above(&p, Severity::Critical).err();
            assert!(
                e.as_deref()
                    .is_some_and(|e| e.contains("cannot read findings")),
                "{p}: {e:?}"
            );
        }
        // An empty Trivy report (no `Results`) is a report with nothing found.
        let trivy = json!({"SchemaVersion": 2, "ArtifactName": "img"});
        assert_eq!(
            findings_at_or_above(&trivy, Severity::Low).ok(),
            Some(vec![])
        );
    }

    /// Unknown severity counts as critical, as in `chainproof scan --fail-on`; `none` never counts.
    #[test]
    fn unknown_severity_is_critical() {
        let vuln = json!({"scanner": {"result": {"findings": [
            {"id": "A", "severity": "unknown"}, {"id": "B"}, {"id": "C", "severity": "none"}]}}});
        let ids: Vec<String> = findings_at_or_above(&vuln, Severity::Critical)
            .unwrap_or_default()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, ["A", "B"]);
        let trivy = json!({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [
            {"VulnerabilityID": "CVE-U", "Severity": "UNKNOWN"}]}]});
        assert_eq!(
            findings_at_or_above(&trivy, Severity::Critical).ok(),
            Some(vec![("CVE-U".to_owned(), Severity::Critical)])
        );
    }

    #[test]
    fn suppressed_sarif_results_do_not_count() {
        let sarif = json!({"runs": [{"tool": {"driver": {"name": "t"}}, "results": [
            {"ruleId": "s", "level": "error", "suppressions": [{"kind": "inSource"}]},
            {"ruleId": "a", "level": "error", "suppressions": [{"kind": "external", "status": "accepted"}]},
            {"ruleId": "r", "level": "error", "suppressions": [{"kind": "external", "status": "rejected"}]},
            {"ruleId": "p", "level": "error", "kind": "pass"},
            {"ruleId": "n", "level": "none"}]}]});
        let ids: Vec<String> = findings_at_or_above(&sarif, Severity::Low)
            .unwrap_or_default()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, ["r"]);
    }

    #[test]
    fn fail_on_only_on_scan_types() {
        assert!(Policy::parse("require: [{type: sarif, fail_on: high}]\n", "p.yml").is_ok());
        for t in ["slsaprovenance1", "cyclonedx", "https://example.com/x"] {
            let e = Policy::parse(
                &format!("require: [{{type: '{t}', fail_on: high}}]\n"),
                "p.yml",
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
            assert!(e.contains("`fail_on` applies to"), "{t}: {e}");
        }
    }
}
