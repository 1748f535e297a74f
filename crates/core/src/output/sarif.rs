//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning expects it (rules with help, a
//! `security-severity`, partial fingerprints, `%SRCROOT%`-relative paths).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::Output;
use crate::finding::{Location, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub maps `security-severity` to its own levels: >= 9 critical, >= 7 high, >= 4 medium, else low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn physical(l: &Location) -> Value {
    json!({
        "artifactLocation": { "uri": l.file, "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": l.start.line,
            "startColumn": l.start.column,
            "endLine": l.end.line,
            "endColumn": l.end.column.max(if l.end.line == l.start.line { l.start.column + 1 } else { 1 }),
        }
    })
}

pub fn write(out: &Output<'_>, w: &mut dyn Write) -> io::Result<()> {
    // Only rules that appear or are known, in a stable order, so ruleIndex is meaningful.
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    let mut used: Vec<&str> = out
        .report
        .findings
        .iter()
        .map(|f| f.rule.as_str())
        .collect();
    used.sort_unstable();
    used.dedup();
    for id in used {
        let info = out.rules.iter().find(|r| r.id == id);
        index.insert(id, rules.len());
        let (title, docs, sev) = match info {
            Some(r) => (r.title, r.docs, r.severity),
            None => (id, "", Severity::Medium),
        };
        rules.push(json!({
            "id": id,
            "name": id,
            "shortDescription": { "text": title },
            "fullDescription": { "text": title },
            "help": { "text": docs, "markdown": docs },
            "helpUri": format!("https://chainproof.dev/rules/{id}"),
            "defaultConfiguration": { "level": level(sev) },
            "properties": {
                "security-severity": security_severity(sev),
                "tags": ["security", "supply-chain"],
                "precision": "high"
            }
        }));
    }
    let results: Vec<Value> = out
        .report
        .findings
        .iter()
        .map(|f| {
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, l)| json!({ "id": i + 1, "physicalLocation": physical(l), "message": { "text": l.label } }))
                .collect();
            let mut r = json!({
                "ruleId": f.rule,
                "ruleIndex": index.get(f.rule.as_str()).copied().unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [{ "physicalLocation": physical(&f.location) }],
                "partialFingerprints": { "chainproof/v1": f.fingerprint },
                "properties": {
                    "severity": f.severity.as_str(),
                    "confidence": f.confidence.as_str(),
                    "security-severity": security_severity(f.severity)
                }
            });
            if !related.is_empty() {
                r["relatedLocations"] = Value::Array(related);
            }
            r
        })
        .collect();
    let skipped = out.report.skipped.iter().map(|sk| {
        json!({
            "level": "note",
            "message": { "text": format!("skipped {}: {}", sk.what, sk.reason) }
        })
    });
    let notifications: Vec<Value> = out
        .report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": e.message },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": e.file, "uriBaseId": "%SRCROOT%" },
                    "region": { "startLine": e.line.max(1), "startColumn": e.column.max(1) }
                } }]
            })
        })
        .chain(skipped)
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "chainproof",
                "semanticVersion": crate::VERSION,
                "informationUri": "https://chainproof.dev",
                "rules": rules
            } },
            "invocations": [{
                "executionSuccessful": out.report.errors.is_empty(),
                "toolExecutionNotifications": notifications
            }],
            "originalUriBaseIds": { "%SRCROOT%": { "uri": "file:///" } },
            "results": results
        }]
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
