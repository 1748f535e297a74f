//! The OSV schema (<https://ossf.github.io/osv-schema/>), as much of it as matching and reporting
//! need. Unknown fields are ignored; optional lists default to empty; timestamps stay text
//! (RFC 3339) so that a record is never rejected for a date format.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One OSV record (a vulnerability, or an advisory about one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    pub id: String,
    #[serde(default)]
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Set when the record was withdrawn: it must not be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityScore>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// `severity[]`: a scoring system and its vector or score (`CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityScore {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// Per-package severity (schema 1.5); takes the place of the top-level one where present.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityScore>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Versions affected, enumerated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// `crates.io`, `PyPI`, `Debian:12`, ... (may carry a `:suffix`).
    pub ecosystem: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeType {
    #[serde(rename = "SEMVER")]
    Semver,
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    #[serde(rename = "GIT")]
    Git,
    /// A range type this schema version does not know: never evaluated.
    #[serde(other)]
    Unknown,
}

/// One event of a range: exactly one of `introduced`, `fixed`, `last_affected`, `limit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub url: String,
}

impl Vulnerability {
    /// The qualitative severity GitHub puts in `database_specific.severity` (`LOW`, `MODERATE`,
    /// `HIGH`, `CRITICAL`), if any.
    pub fn database_severity(&self) -> Option<&str> {
        self.database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_ranges_and_unknown_fields() {
        let v: Vulnerability = serde_json::from_str(
            r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","schema_version":"1.6.0",
            "affected":[{"package":{"ecosystem":"npm","name":"a"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"},
                {"last_affected":"2.0"},{"limit":"3"}]},{"type":"WEIRD","events":[]}],
              "versions":["1.0"]}],
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N"}],
            "database_specific":{"severity":"HIGH"}}"#,
        )
        .unwrap();
        let r = &v.affected[0].ranges;
        assert_eq!(r[0].kind, RangeType::Ecosystem);
        assert_eq!(r[1].kind, RangeType::Unknown);
        assert_eq!(
            r[0].events,
            vec![
                Event::Introduced("0".into()),
                Event::Fixed("1.2".into()),
                Event::LastAffected("2.0".into()),
                Event::Limit("3".into())
            ]
        );
        assert_eq!(v.database_severity(), Some("HIGH"));
        assert!(v.withdrawn.is_none());
    }

    #[test]
    fn rejects_an_event_of_unknown_kind() {
        let e = serde_json::from_str::<Event>(r#"{"removed":"1"}"#);
        assert!(e.is_err());
    }
}
