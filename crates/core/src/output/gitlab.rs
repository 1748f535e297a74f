//! `--format gitlab`: a GitLab Code Quality report (`artifacts:reports:codequality`).

use std::io::{self, Write};

use serde_json::json;

use super::Output;
use crate::finding::Severity;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "minor",
        Severity::Medium => "major",
        Severity::High => "critical",
        Severity::Critical => "blocker",
    }
}

pub fn write(out: &Output<'_>, w: &mut dyn Write) -> io::Result<()> {
    let items: Vec<_> = out
        .report
        .findings
        .iter()
        .map(|f| {
            json!({
                "type": "issue",
                "check_name": f.rule,
                "description": format!("{}: {}", f.title, f.message),
                "categories": ["Security"],
                "severity": severity(f.severity),
                "fingerprint": f.fingerprint,
                "location": {
                    "path": f.location.file,
                    "positions": {
                        "begin": { "line": f.location.start.line, "column": f.location.start.column },
                        "end": { "line": f.location.end.line, "column": f.location.end.column }
                    }
                }
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *w, &items)?;
    writeln!(w)
}
