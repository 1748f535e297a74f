//! The report a run produces: findings, input errors, and what was skipped (never silently).

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::finding::{Finding, Severity};

/// A file that could not be analysed: malformed YAML, unreadable, too large. Exit code 2.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

/// Something that was deliberately not checked, and why (e.g. a remote include without `--online`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Skipped {
    pub what: String,
    pub reason: String,
}

/// What a capability inventoried or measured, in one line (`check` shows the SBOM's components by
/// ecosystem and the lockfiles read); shown by the text writer and the job summary.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Summary {
    pub what: String,
    pub text: String,
}

/// Everything one run found.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Report {
    /// Files that were analysed.
    pub files: Vec<String>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    /// What each capability inventoried or measured (absent when nothing reported one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summary: Vec<Summary>,
    /// Findings suppressed by inline `# chainproof: ignore[...]` comments or the configuration.
    pub suppressed: usize,
}

impl Report {
    /// Sort findings by place and compute their fingerprints. Call once, after every rule ran.
    pub fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.location.file, a.location.offset, &a.rule, &a.message).cmp(&(
                &b.location.file,
                b.location.offset,
                &b.rule,
                &b.message,
            ))
        });
        self.findings.dedup_by(|a, b| {
            a.rule == b.rule
                && a.location.file == b.location.file
                && a.location.offset == b.location.offset
                && a.message == b.message
        });
        // The fingerprint hashes what was flagged, not where: rule, file, flagged text, and the
        // occurrence number of that same text, so edits elsewhere in the file leave it unchanged.
        let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
        for f in &mut self.findings {
            let key = (
                f.rule.clone(),
                f.location.file.clone(),
                f.location.snippet.clone(),
            );
            let n = seen.entry(key).or_default();
            let mut h = Sha256::new();
            for part in [
                f.rule.as_str(),
                f.location.file.as_str(),
                f.location.snippet.as_str(),
            ] {
                h.update(part.as_bytes());
                h.update([0]);
            }
            h.update(n.to_string().as_bytes());
            *n += 1;
            let digest = h.finalize();
            f.fingerprint = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        }
        self.errors
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    }

    /// The highest severity among the findings.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Number of findings at or above `threshold`.
    pub fn count_at_least(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= threshold)
            .count()
    }

    pub fn merge(&mut self, other: Report) {
        self.files.extend(other.files);
        self.findings.extend(other.findings);
        self.errors.extend(other.errors);
        self.skipped.extend(other.skipped);
        self.summary.extend(other.summary);
        self.suppressed += other.suppressed;
    }
}
