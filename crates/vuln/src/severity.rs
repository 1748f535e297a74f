//! Severity of a vulnerability: the CVSS score computed from the record's vector (v4.0 preferred,
//! then v3.x; a number written beside a vector is never trusted), else GitHub's qualitative
//! `database_specific.severity`; else unknown, never a default.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::osv::{Affected, SeverityScore, Vulnerability};

/// The qualitative rating scale of CVSS v3.x and v4.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "none",
            Rating::Low => "low",
            Rating::Medium => "medium",
            Rating::High => "high",
            Rating::Critical => "critical",
        }
    }

    /// The rating of a CVSS score (0.0 none, 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high,
    /// 9.0-10.0 critical).
    pub fn from_score(score: f64) -> Rating {
        if score >= 9.0 {
            Rating::Critical
        } else if score >= 7.0 {
            Rating::High
        } else if score >= 4.0 {
            Rating::Medium
        } else if score > 0.0 {
            Rating::Low
        } else {
            Rating::None
        }
    }

    /// GitHub's `database_specific.severity` (`LOW`, `MODERATE`, `HIGH`, `CRITICAL`).
    pub fn from_github(s: &str) -> Option<Rating> {
        match s.to_ascii_uppercase().as_str() {
            "LOW" => Some(Rating::Low),
            "MODERATE" | "MEDIUM" => Some(Rating::Medium),
            "HIGH" => Some(Rating::High),
            "CRITICAL" => Some(Rating::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rating {
    type Err = String;

    fn from_str(s: &str) -> Result<Rating, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Rating::None),
            "low" => Ok(Rating::Low),
            "medium" => Ok(Rating::Medium),
            "high" => Ok(Rating::High),
            "critical" => Ok(Rating::Critical),
            _ => Err(format!(
                "unknown severity `{s}` (none, low, medium, high, critical)"
            )),
        }
    }
}

/// A finding's severity. `rating: None` means unknown: no usable vector and no qualitative
/// severity in the record.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Severity {
    pub rating: Option<Rating>,
    /// The CVSS base score computed from `vector`.
    pub score: Option<f64>,
    /// The CVSS vector the score was computed from.
    pub vector: Option<String>,
}

impl Severity {
    pub fn unknown() -> Severity {
        Severity::default()
    }
}

/// The CVSS base score of a `CVSS:3.0/`, `CVSS:3.1/` or `CVSS:4.0/` vector; `None` when the
/// vector does not parse.
pub fn cvss_score(vector: &str) -> Option<f64> {
    let vector = vector.trim();
    // The crate scores a vector with missing base metrics; such a vector is not trusted.
    let has_all = |metrics: &[&str]| {
        metrics.iter().all(|m| {
            vector
                .split('/')
                .filter(|part| part.split(':').next() == Some(m))
                .count()
                == 1
        })
    };
    if vector.starts_with("CVSS:4.0/") {
        if !has_all(&[
            "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
        ]) {
            return None;
        }
        let v = cvss::v4::Vector::from_str(vector).ok()?;
        Some(v.score().value())
    } else if vector.starts_with("CVSS:3.0/") || vector.starts_with("CVSS:3.1/") {
        if !has_all(&["AV", "AC", "PR", "UI", "S", "C", "I", "A"]) {
            return None;
        }
        let v = cvss::v3::Vector::from_str(vector).ok()?;
        Some(v.base_score().value())
    } else {
        None
    }
}

fn from_scores(scores: &[SeverityScore]) -> Option<Severity> {
    for kind in ["CVSS_V4", "CVSS_V3"] {
        for s in scores.iter().filter(|s| s.kind == kind) {
            if let Some(score) = cvss_score(&s.score) {
                return Some(Severity {
                    rating: Some(Rating::from_score(score)),
                    score: Some(score),
                    vector: Some(s.score.trim().to_string()),
                });
            }
        }
    }
    None
}

/// The severity of a record for one of its `affected` entries: that entry's own CVSS vectors,
/// then the record's, then GitHub's qualitative severity.
pub fn of(vuln: &Vulnerability, affected: Option<&Affected>) -> Severity {
    if let Some(s) = affected.and_then(|a| from_scores(&a.severity)) {
        return s;
    }
    if let Some(s) = from_scores(&vuln.severity) {
        return s;
    }
    if let Some(rating) = vuln.database_severity().and_then(Rating::from_github) {
        return Severity {
            rating: Some(rating),
            score: None,
            vector: None,
        };
    }
    // RustSec's informational advisories (`unmaintained`, `unsound`, `notice`) carry no score:
    // they are notices, as cargo-audit reports them (warnings), not vulnerabilities of unknown
    // severity (which `--fail-on` treats as critical).
    if affected.is_some_and(is_informational) {
        return Severity {
            rating: Some(Rating::None),
            score: None,
            vector: None,
        };
    }
    Severity::unknown()
}

/// `database_specific.informational` (RustSec: `unmaintained`, `unsound`, `notice`).
fn is_informational(a: &Affected) -> bool {
    a.database_specific
        .as_ref()
        .and_then(|d| d.get("informational"))
        .and_then(serde_json::Value::as_str)
        .is_some_and(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vuln(json: &str) -> Vulnerability {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn informational_rustsec_advisories_are_notices_not_unknown() {
        let v = vuln(
            r#"{"id":"RUSTSEC-2021-0139","modified":"2021-01-01T00:00:00Z",
            "affected":[{"package":{"ecosystem":"crates.io","name":"ansi_term"},
            "database_specific":{"informational":"unmaintained"}}]}"#,
        );
        assert_eq!(of(&v, v.affected.first()).rating, Some(Rating::None));
        let plain = vuln(
            r#"{"id":"RUSTSEC-2021-0001","modified":"2021-01-01T00:00:00Z",
            "affected":[{"package":{"ecosystem":"crates.io","name":"x"}}]}"#,
        );
        assert_eq!(of(&plain, plain.affected.first()).rating, None);
    }

    #[test]
    fn v3_scores() {
        // Reference scores computed independently with the Python `cvss` package 3.6.
        assert_eq!(
            cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(
            cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
            Some(6.1)
        );
        assert_eq!(
            cvss_score("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N"),
            Some(0.0)
        );
    }

    #[test]
    fn v4_scores() {
        // Reference scores computed independently with the Python `cvss` package 3.6.
        assert_eq!(
            cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some(9.3)
        );
        assert_eq!(
            cvss_score("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"),
            Some(2.1)
        );
        assert_eq!(
            cvss_score("CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N"),
            Some(1.0)
        );
    }

    #[test]
    fn bad_vectors_are_not_scored() {
        assert_eq!(cvss_score("CVSS:3.1/AV:N"), None);
        assert_eq!(
            cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N"),
            None
        );
        assert_eq!(cvss_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
        assert_eq!(cvss_score("9.8"), None);
    }

    #[test]
    fn ratings() {
        assert_eq!(Rating::from_score(0.0), Rating::None);
        assert_eq!(Rating::from_score(0.1), Rating::Low);
        assert_eq!(Rating::from_score(3.9), Rating::Low);
        assert_eq!(Rating::from_score(4.0), Rating::Medium);
        assert_eq!(Rating::from_score(6.9), Rating::Medium);
        assert_eq!(Rating::from_score(7.0), Rating::High);
        assert_eq!(Rating::from_score(8.9), Rating::High);
        assert_eq!(Rating::from_score(9.0), Rating::Critical);
        assert_eq!("High".parse::<Rating>(), Ok(Rating::High));
        assert!("urgent".parse::<Rating>().is_err());
    }

    #[test]
    fn prefers_v4_then_v3_then_github_else_unknown() {
        let both = vuln(
            r#"{"id":"A","severity":[
            {"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
            {"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"}]}"#,
        );
        let s = of(&both, None);
        assert_eq!((s.rating, s.score), (Some(Rating::Low), Some(2.1)));

        let broken_v4 = vuln(
            r#"{"id":"A","severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N"},
            {"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#,
        );
        assert_eq!(of(&broken_v4, None).rating, Some(Rating::Critical));

        let github = vuln(r#"{"id":"A","database_specific":{"severity":"MODERATE"}}"#);
        let s = of(&github, None);
        assert_eq!((s.rating, s.score), (Some(Rating::Medium), None));

        let none = vuln(
            r#"{"id":"A","severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:P/I:P/A:P"}]}"#,
        );
        assert_eq!(of(&none, None), Severity::unknown());
    }
}
