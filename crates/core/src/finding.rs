//! Findings: what a rule reports, where, how sure it is, and how to fix it.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::source::{Pos, SourceMap, Span};

/// How bad a finding is if it is real. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// How likely a finding is to be a true positive.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Static description of a rule, used by the SARIF writer, `explain` and the docs.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Kebab-case id, never reused once published.
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Markdown documentation: What it does / Why is this bad / Example / Use instead / References.
    pub docs: &'static str,
    /// `github`, `gitlab` or both.
    pub platforms: &'static [&'static str],
    pub fixable: bool,
}

impl RuleInfo {
    pub fn help_url(&self) -> String {
        format!("https://chainproof.dev/rules/{}", self.id)
    }
}

/// A place in a source file, with a label saying what is there.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Location {
    pub file: String,
    pub start: Pos,
    pub end: Pos,
    /// Byte offsets of the span in the file.
    pub offset: usize,
    pub length: usize,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// The source text of the span (trimmed to its first line), used for stable fingerprints.
    #[serde(skip)]
    pub snippet: String,
}

impl Location {
    /// Resolve a byte span against the files of a run.
    pub fn resolve(sources: &SourceMap, span: Span, label: impl Into<String>) -> Location {
        let (file, start, end, snippet) = match sources.get(span.file) {
            Some(f) => {
                let end = span.end.min(f.text.len()).max(span.start.min(f.text.len()));
                let start = span.start.min(end);
                let snippet = f
                    .text
                    .get(start..end)
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("");
                (
                    f.path.clone(),
                    f.pos(start),
                    f.pos(end),
                    snippet.trim().to_owned(),
                )
            }
            None => (
                String::new(),
                Pos { line: 1, column: 1 },
                Pos { line: 1, column: 1 },
                String::new(),
            ),
        };
        Location {
            file,
            start,
            end,
            offset: span.start,
            length: span.end.saturating_sub(span.start),
            label: label.into(),
            snippet,
        }
    }
}

/// One text replacement in a file: the byte range `start..end` becomes `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Edit {
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

/// A minimal, comment-preserving change that removes the finding.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Fix {
    pub description: String,
    pub edits: Vec<Edit>,
}

/// One result of a rule.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message: String,
    pub location: Location,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Location>,
    pub help_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// Stable across unrelated edits of the file (no line numbers in it).
    pub fingerprint: String,
    /// Byte ranges `(file, start, end)` holding secret text: writers that show source mask them.
    #[serde(skip)]
    pub secrets: Vec<Span>,
}

impl Finding {
    /// Start a finding for `rule` at `location`, with the rule's default severity and confidence.
    pub fn new(rule: &RuleInfo, location: Location, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.id.to_owned(),
            title: rule.title.to_owned(),
            severity: rule.severity,
            confidence: rule.confidence,
            message: message.into(),
            location,
            related: Vec::new(),
            help_url: rule.help_url(),
            fix: None,
            fingerprint: String::new(),
            secrets: Vec::new(),
        }
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn confidence(mut self, confidence: Confidence) -> Self {
        self.confidence = confidence;
        self
    }

    pub fn related(mut self, location: Location) -> Self {
        self.related.push(location);
        self
    }

    /// Mark `span` as secret text: it is masked wherever source is shown, and never hashed into the
    /// fingerprint.
    pub fn secret(mut self, span: Span) -> Self {
        self.secrets.push(span);
        self.location.snippet = format!("{}: {}", self.rule, self.location.label);
        self
    }

    pub fn fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}
