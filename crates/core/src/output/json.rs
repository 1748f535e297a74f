//! `--format json`: the versioned report (`schemas/report.json`).

use std::io::{self, Write};

use schemars::JsonSchema;
use serde::Serialize;

use super::Output;
use crate::report::Report;

/// The JSON report written by `--format json`.
#[derive(Serialize, JsonSchema)]
pub struct JsonReport<'a> {
    /// Format version; bumped on breaking changes.
    pub version: u32,
    pub tool: &'static str,
    pub tool_version: &'static str,
    #[serde(flatten)]
    pub report: &'a Report,
}

pub fn write(out: &Output<'_>, w: &mut dyn Write) -> io::Result<()> {
    let doc = JsonReport {
        version: crate::REPORT_VERSION,
        tool: "chainproof",
        tool_version: crate::VERSION,
        report: out.report,
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// The JSON Schema of the report, as committed in `schemas/report.json`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(JsonReport<'static>);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
