//! Report writers selected by `--format`.

use std::io::{self, Write};
use std::str::FromStr;

use crate::finding::RuleInfo;
use crate::report::Report;
use crate::source::SourceMap;

pub mod github;
pub mod gitlab;
pub mod json;
pub mod sarif;
pub mod text;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable diagnostics with source snippets.
    Text,
    /// chainproof's versioned JSON report (`schemas/report.json`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// GitHub workflow commands (annotations), plus a job summary when `GITHUB_STEP_SUMMARY` is set.
    Github,
    /// GitLab Code Quality report.
    Gitlab,
}

impl Format {
    pub const NAMES: [&str; 5] = ["text", "json", "sarif", "github", "gitlab"];
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "github" => Format::Github,
            "gitlab" => Format::Gitlab,
            _ => return Err(format!("unknown format `{s}`")),
        })
    }
}

/// What every writer gets.
pub struct Output<'a> {
    pub report: &'a Report,
    pub sources: &'a SourceMap,
    /// Metadata of every rule that can appear in the report.
    pub rules: &'a [RuleInfo],
    /// Whether to colour text output.
    pub color: bool,
}

/// Write the report in `format`.
pub fn write(format: Format, out: &Output<'_>, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::write(out, w),
        Format::Json => json::write(out, w),
        Format::Sarif => sarif::write(out, w),
        Format::Github => github::write(out, w),
        Format::Gitlab => gitlab::write(out, w),
    }
}
