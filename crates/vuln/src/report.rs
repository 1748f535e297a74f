//! Writers for scan results: text (a table), JSON (versioned, `schemas/scan.json`), SARIF 2.1.0,
//! GitLab dependency scanning (schema 15.x) and CycloneDX 1.6 with `vulnerabilities`.
//!
//! Every writer says what was not checked: text and JSON list the components with their reasons,
//! SARIF as tool notifications, GitLab as scan messages, CycloneDX as document properties. VEX
//! suppressions are listed as suppressed (SARIF `suppressions`, CycloneDX `analysis`), never
//! dropped; GitLab's format has no suppression, so they are left out of its vulnerabilities and
//! listed in its messages.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use chainproof_sbom::Sbom;
use chainproof_sbom::writers::{Tool, cyclonedx, spdx::format_timestamp};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::matcher::{Finding, NotChecked, ScanResult};
use crate::severity::Rating;
use crate::vex::{Statement, Status, Suppressed};

/// Version of the JSON report (`schemas/scan.json`); bumped on breaking changes.
pub const JSON_VERSION: u32 = 1;

/// Where a lockfile pins a package: a path relative to the scanned directory and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Pin {
    pub file: String,
    pub line: usize,
}

/// Everything a writer needs.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Findings left after VEX (`result.findings`), what was not checked, how many were.
    pub result: ScanResult,
    pub suppressed: Vec<Suppressed>,
    /// How many packages were given to the matcher.
    pub components: usize,
    /// Where the advisories came from (`offline database DIR (data as of ...)`, `the OSV API`).
    pub source: String,
    /// Problems that did not stop the scan (stale database, unreadable database entries).
    pub warnings: Vec<String>,
    /// purl -> where its lockfile pins it.
    pub pins: BTreeMap<String, Pin>,
    /// Lockfiles read (relative paths).
    pub files: Vec<String>,
    /// The SBOM file scanned (`--sbom`), as given: where SARIF places a finding that no lockfile
    /// line pins.
    pub document: Option<String>,
    /// Seconds since the epoch.
    pub started: u64,
    pub ended: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Gitlab,
    CyclonedxJson,
}

impl Format {
    pub const NAMES: [&'static str; 5] = ["text", "json", "sarif", "gitlab", "cyclonedx-json"];
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Ok(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "gitlab" => Format::Gitlab,
            "cyclonedx-json" => Format::CyclonedxJson,
            _ => {
                return Err(format!(
                    "unknown format `{s}` ({})",
                    Format::NAMES.join(", ")
                ));
            }
        })
    }
}

/// Write the report. `sbom` is the inventory scanned (CycloneDX output embeds it; without it the
/// document lists only the affected packages).
pub fn write(
    format: Format,
    scan: &Scan,
    sbom: Option<&Sbom>,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text(scan, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, &json_report(scan))?;
            writeln!(w)
        }
        Format::Sarif => pretty(w, &sarif(scan)),
        Format::Gitlab => pretty(w, &gitlab(scan)),
        Format::CyclonedxJson => pretty(w, &cyclonedx_vdr(scan, sbom)),
    }
}

fn pretty(w: &mut dyn Write, v: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, v)?;
    writeln!(w)
}

/// The rating used by the gate: unknown severity counts as critical (fail closed: a record
/// without a usable severity never lets a finding through a gate).
pub fn gate_rating(f: &Finding) -> Rating {
    f.severity.rating.unwrap_or(Rating::Critical)
}

/// Findings (not suppressed) at or above `threshold`.
pub fn count_at_least(scan: &Scan, threshold: Rating) -> usize {
    scan.result
        .findings
        .iter()
        .filter(|f| gate_rating(f) >= threshold)
        .count()
}

fn severity_label(f: &Finding) -> String {
    match (f.severity.rating, f.severity.score) {
        (Some(r), Some(s)) => format!("{r} {s:.1}"),
        (Some(r), None) => r.to_string(),
        (None, _) => "unknown".into(),
    }
}

/// `N vulnerabilities (x critical, y high, ...)`.
pub fn counts(findings: &[Finding]) -> String {
    let mut by: BTreeMap<std::cmp::Reverse<Option<Rating>>, usize> = BTreeMap::new();
    for f in findings {
        *by.entry(std::cmp::Reverse(f.severity.rating)).or_default() += 1;
    }
    let parts: Vec<String> = by
        .iter()
        .map(|(r, n)| format!("{n} {}", r.0.map_or("unknown", Rating::as_str)))
        .collect();
    let n = findings.len();
    let noun = if n == 1 {
        "vulnerability"
    } else {
        "vulnerabilities"
    };
    if parts.is_empty() {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun} ({})", parts.join(", "))
    }
}

/// One line: what was found in how many components, what was not checked.
pub fn summary_line(scan: &Scan) -> String {
    let packages: BTreeSet<&str> = scan
        .result
        .findings
        .iter()
        .map(|f| f.purl.as_str())
        .collect();
    let mut s = format!(
        "{} in {} of {} checked component(s); {} not checked",
        counts(&scan.result.findings),
        packages.len(),
        scan.result.checked,
        scan.result.not_checked.len()
    );
    if !scan.suppressed.is_empty() {
        s.push_str(&format!("; {} suppressed by VEX", scan.suppressed.len()));
    }
    s
}

fn text(scan: &Scan, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "Scanned {} component(s) with {}: {} checked, {} not checked.",
        scan.components,
        scan.source,
        scan.result.checked,
        scan.result.not_checked.len()
    )?;
    for warning in &scan.warnings {
        writeln!(w, "warning: {warning}")?;
    }
    writeln!(w)?;
    if scan.result.findings.is_empty() {
        if scan.result.checked == 0 {
            writeln!(w, "No component could be checked.")?;
        } else {
            writeln!(
                w,
                "No known vulnerabilities in the {} checked component(s).",
                scan.result.checked
            )?;
        }
    } else {
        let header = [
            "package", "version", "id", "aliases", "severity", "fixed in",
        ];
        let rows: Vec<[String; 6]> = scan
            .result
            .findings
            .iter()
            .map(|f| {
                [
                    f.package.clone(),
                    f.version.clone(),
                    f.id.clone(),
                    if f.aliases.is_empty() {
                        "-".into()
                    } else {
                        f.aliases.join(", ")
                    },
                    severity_label(f),
                    f.fixed.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (wd, cell) in widths.iter_mut().zip(row) {
                *wd = (*wd).max(cell.chars().count());
            }
        }
        let line = |cells: &[&str]| -> String {
            let mut s = String::new();
            for (i, (cell, wd)) in cells.iter().zip(widths).enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(cell);
                } else {
                    s.push_str(&format!("{cell:<wd$}  "));
                }
            }
            s.trim_end().to_owned()
        };
        writeln!(w, "{}", line(&header))?;
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            writeln!(w, "{}", line(&cells))?;
        }
        writeln!(w)?;
        writeln!(w, "{}.", summary_line(scan))?;
    }
    if !scan.result.not_checked.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "Not checked ({}); these may be vulnerable:",
            scan.result.not_checked.len()
        )?;
        for n in &scan.result.not_checked {
            writeln!(w, "  {}: {}", n.purl, n.reason)?;
        }
    }
    if !scan.suppressed.is_empty() {
        writeln!(w)?;
        writeln!(w, "Suppressed by VEX ({}):", scan.suppressed.len())?;
        for s in &scan.suppressed {
            writeln!(
                w,
                "  {} {} {}: {} [{}]",
                s.finding.id,
                s.finding.package,
                s.finding.version,
                s.statement.reason(),
                s.statement.source
            )?;
        }
    }
    Ok(())
}

// --- JSON ------------------------------------------------------------------------------------

/// The JSON report written by `chainproof scan --format json`.
#[derive(Serialize, JsonSchema)]
pub struct JsonReport {
    /// Format version; bumped on breaking changes.
    pub version: u32,
    pub tool: String,
    pub tool_version: String,
    /// Where the advisories came from.
    pub source: String,
    pub summary: JsonSummary,
    /// Vulnerabilities found (not suppressed), sorted by package, version, id.
    pub findings: Vec<JsonFinding>,
    /// Findings a VEX statement suppressed, with the statement.
    pub suppressed: Vec<JsonSuppressed>,
    /// Components that could not be checked: never clean, unknown.
    pub not_checked: Vec<JsonNotChecked>,
    pub warnings: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct JsonSummary {
    /// Components given to the scan.
    pub components: usize,
    /// Components compared with the advisories.
    pub checked: usize,
    pub not_checked: usize,
    pub vulnerabilities: usize,
    pub suppressed: usize,
    /// Findings by rating (`critical`, `high`, `medium`, `low`, `none`, `unknown`).
    pub by_severity: BTreeMap<String, usize>,
}

#[derive(Serialize, JsonSchema)]
pub struct JsonFinding {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub purl: String,
    pub package: String,
    pub version: String,
    /// `critical`, `high`, `medium`, `low`, `none`, or `unknown`.
    pub severity: String,
    /// CVSS base score computed from `cvss_vector`.
    pub score: Option<f64>,
    pub cvss_vector: Option<String>,
    /// The smallest version that clears this vulnerability, when there is one.
    pub fixed: Option<String>,
    pub references: Vec<String>,
    /// The lockfile line that pins the package.
    pub location: Option<Pin>,
}

#[derive(Serialize, JsonSchema)]
pub struct JsonSuppressed {
    #[serde(flatten)]
    pub finding: JsonFinding,
    /// `not_affected` or `fixed`.
    pub status: String,
    pub justification: Option<String>,
    pub detail: Option<String>,
    /// The VEX document.
    pub vex: String,
}

#[derive(Serialize, JsonSchema)]
pub struct JsonNotChecked {
    pub purl: String,
    pub reason: String,
}

fn json_finding(scan: &Scan, f: &Finding) -> JsonFinding {
    JsonFinding {
        id: f.id.clone(),
        aliases: f.aliases.clone(),
        summary: f.summary.clone(),
        purl: f.purl.clone(),
        package: f.package.clone(),
        version: f.version.clone(),
        severity: f.severity.rating.map_or("unknown", Rating::as_str).into(),
        score: f.severity.score,
        cvss_vector: f.severity.vector.clone(),
        fixed: f.fixed.clone(),
        references: f.references.clone(),
        location: scan.pins.get(&f.purl).cloned(),
    }
}

pub fn json_report(scan: &Scan) -> JsonReport {
    let mut by_severity = BTreeMap::new();
    for f in &scan.result.findings {
        *by_severity
            .entry(
                f.severity
                    .rating
                    .map_or("unknown", Rating::as_str)
                    .to_owned(),
            )
            .or_default() += 1;
    }
    JsonReport {
        version: JSON_VERSION,
        tool: "chainproof".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        source: scan.source.clone(),
        summary: JsonSummary {
            components: scan.components,
            checked: scan.result.checked,
            not_checked: scan.result.not_checked.len(),
            vulnerabilities: scan.result.findings.len(),
            suppressed: scan.suppressed.len(),
            by_severity,
        },
        findings: scan
            .result
            .findings
            .iter()
            .map(|f| json_finding(scan, f))
            .collect(),
        suppressed: scan
            .suppressed
            .iter()
            .map(|s| JsonSuppressed {
                finding: json_finding(scan, &s.finding),
                status: s.statement.status.as_str().into(),
                justification: s.statement.justification.clone(),
                detail: s.statement.detail.clone(),
                vex: s.statement.source.clone(),
            })
            .collect(),
        not_checked: scan
            .result
            .not_checked
            .iter()
            .map(|n: &NotChecked| JsonNotChecked {
                purl: n.purl.clone(),
                reason: n.reason.clone(),
            })
            .collect(),
        warnings: scan.warnings.clone(),
    }
}

/// The JSON Schema of the report, as committed in `schemas/scan.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(JsonReport);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

// --- SARIF -----------------------------------------------------------------------------------

fn osv_url(id: &str) -> String {
    format!("https://osv.dev/vulnerability/{id}")
}

fn sarif_level(f: &Finding) -> &'static str {
    match f.severity.rating {
        Some(Rating::Critical | Rating::High) | None => "error",
        Some(Rating::Medium) => "warning",
        Some(Rating::Low | Rating::None) => "note",
    }
}

/// GitHub's `security-severity`: the CVSS score, else the middle of the rating's band.
fn security_severity(f: &Finding) -> String {
    match (f.severity.score, f.severity.rating) {
        (Some(s), _) => format!("{s:.1}"),
        (None, Some(Rating::Critical) | None) => "9.5".into(),
        (None, Some(Rating::High)) => "8.0".into(),
        (None, Some(Rating::Medium)) => "5.5".into(),
        (None, Some(Rating::Low)) => "3.0".into(),
        (None, Some(Rating::None)) => "0.0".into(),
    }
}

fn message(f: &Finding) -> String {
    let mut s = format!("{} {} is affected by {}", f.package, f.version, f.id);
    if !f.aliases.is_empty() {
        s.push_str(&format!(" ({})", f.aliases.join(", ")));
    }
    if !f.summary.is_empty() {
        s.push_str(&format!(": {}", f.summary));
    }
    match &f.fixed {
        Some(v) => s.push_str(&format!(". Fixed in {v}.")),
        None => s.push_str(". No fixed version is known."),
    }
    s
}

fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn sarif(scan: &Scan) -> Value {
    let all: Vec<(&Finding, Option<&Statement>)> = scan
        .result
        .findings
        .iter()
        .map(|f| (f, None))
        .chain(
            scan.suppressed
                .iter()
                .map(|s| (&s.finding, Some(&s.statement))),
        )
        .collect();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    let mut ids: Vec<&Finding> = all.iter().map(|(f, _)| *f).collect();
    ids.sort_by(|a, b| a.id.cmp(&b.id));
    for f in ids {
        if index.contains_key(f.id.as_str()) {
            continue;
        }
        index.insert(&f.id, rules.len());
        let help = format!(
            "{}\n\nAliases: {}\nFixed in: {}\nReferences:\n{}",
            if f.summary.is_empty() {
                &f.id
            } else {
                &f.summary
            },
            if f.aliases.is_empty() {
                "none".to_owned()
            } else {
                f.aliases.join(", ")
            },
            f.fixed.as_deref().unwrap_or("no fixed version known"),
            std::iter::once(osv_url(&f.id))
                .chain(f.references.iter().cloned())
                .map(|r| format!("- {r}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        rules.push(json!({
            "id": f.id,
            "name": f.id,
            "shortDescription": { "text": if f.summary.is_empty() { f.id.clone() } else { f.summary.clone() } },
            "fullDescription": { "text": format!("{} ({})", f.id, f.aliases.join(", ")) },
            "helpUri": osv_url(&f.id),
            "help": { "text": help.clone(), "markdown": help },
            "properties": {
                "security-severity": security_severity(f),
                "tags": ["security", "vulnerability", "dependency"],
            },
        }));
    }
    let results: Vec<Value> = all
        .iter()
        .map(|(f, statement)| {
            let mut r = json!({
                "ruleId": f.id,
                "ruleIndex": index.get(f.id.as_str()).copied().unwrap_or(0),
                "level": sarif_level(f),
                "message": { "text": message(f) },
                "partialFingerprints": { "chainproof/v1": fingerprint(&[&f.id, &f.purl]) },
                "properties": { "purl": f.purl },
            });
            // GitHub rejects a result without a location: a finding no lockfile line pins is
            // placed on line 1 of the SBOM file, or of the first lockfile read.
            let place = scan
                .pins
                .get(&f.purl)
                .map(|pin| (pin.file.as_str(), pin.line))
                .or_else(|| scan.document.as_deref().map(|d| (d, 1)))
                .or_else(|| scan.files.first().map(|d| (d.as_str(), 1)));
            if let Some((file, line)) = place {
                let mut artifact = json!({ "uri": file.replace('\\', "/") });
                if !Path::new(file).is_absolute() {
                    artifact["uriBaseId"] = json!("%SRCROOT%");
                }
                r["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": { "startLine": line },
                    }
                }]);
            }
            if let Some(s) = statement {
                r["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} [{}]", s.reason(), s.source),
                }]);
            }
            r
        })
        .collect();
    let notes: Vec<Value> = scan
        .result
        .not_checked
        .iter()
        .map(|n| {
            json!({
                "level": "warning",
                "message": { "text": format!("not checked: {}: {}", n.purl, n.reason) },
            })
        })
        .chain(
            scan.warnings
                .iter()
                .map(|w| json!({ "level": "warning", "message": { "text": w } })),
        )
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "chainproof",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/chainproof/chainproof",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notes,
            }],
            "originalUriBaseIds": { "%SRCROOT%": { "uri": "file:///" } },
            "results": results,
        }],
    })
}

// --- GitLab ----------------------------------------------------------------------------------

/// The GitLab security report schema version written.
pub const GITLAB_SCHEMA_VERSION: &str = "15.2.1";

fn gitlab_severity(f: &Finding) -> &'static str {
    match f.severity.rating {
        Some(Rating::Critical) => "Critical",
        Some(Rating::High) => "High",
        Some(Rating::Medium) => "Medium",
        Some(Rating::Low) => "Low",
        Some(Rating::None) => "Info",
        None => "Unknown",
    }
}

/// `2026-01-01T00:00:00` (GitLab's scan times carry no zone; they are UTC).
fn gitlab_time(secs: u64) -> String {
    format_timestamp(secs).trim_end_matches('Z').to_owned()
}

/// A UUID-shaped id derived from the vulnerability, package and file (stable across runs).
fn uuid(parts: &[&str]) -> String {
    let h = fingerprint(parts);
    let (a, rest) = h.split_at(8);
    let (b, rest) = rest.split_at(4);
    let (c, rest) = rest.split_at(4);
    let (d, e) = rest.split_at(4);
    format!("{a}-{b}-{c}-{d}-{e}")
}

fn identifier(id: &str) -> Value {
    let ty = id
        .split_once('-')
        .map_or("osv", |(prefix, _)| prefix)
        .to_ascii_lowercase();
    let url = if ty == "cve" {
        format!("https://www.cve.org/CVERecord?id={id}")
    } else {
        osv_url(id)
    };
    json!({ "type": ty, "name": id, "value": id, "url": url })
}

fn package_manager(file: &str) -> &'static str {
    let name = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(file);
    match name {
        "Cargo.lock" => "cargo",
        "package-lock.json" | "npm-shrinkwrap.json" => "npm",
        "yarn.lock" => "yarn",
        "pnpm-lock.yaml" => "pnpm",
        "poetry.lock" => "poetry",
        "uv.lock" => "uv",
        "Pipfile.lock" => "pipenv",
        "go.mod" | "go.sum" => "go",
        "Gemfile.lock" => "bundler",
        "composer.lock" => "composer",
        "packages.lock.json" => "nuget",
        "pom.xml" => "maven",
        "gradle.lockfile" => "gradle",
        _ if name.starts_with("requirements") => "pip",
        _ => "unknown",
    }
}

pub fn gitlab(scan: &Scan) -> Value {
    let tool = json!({
        "id": "chainproof",
        "name": "chainproof",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "chainproof" },
    });
    let vulnerabilities: Vec<Value> = scan
        .result
        .findings
        .iter()
        .map(|f| {
            let file = scan
                .pins
                .get(&f.purl)
                .map_or_else(|| "(command line)".to_owned(), |p| p.file.clone());
            let mut identifiers = vec![identifier(&f.id)];
            identifiers.extend(f.aliases.iter().map(|a| identifier(a)));
            let mut links: Vec<Value> = vec![json!({ "url": osv_url(&f.id) })];
            links.extend(f.references.iter().map(|r| json!({ "url": r })));
            json!({
                "id": uuid(&[&f.id, &f.purl, &file]),
                "name": if f.summary.is_empty() { f.id.clone() } else { f.summary.clone() },
                "description": message(f),
                "severity": gitlab_severity(f),
                "solution": match &f.fixed {
                    Some(v) => format!("Upgrade {} to version {v} or later.", f.package),
                    None => "No fixed version is known.".to_owned(),
                },
                "identifiers": identifiers,
                "links": links,
                "location": {
                    "file": file,
                    "dependency": { "package": { "name": f.package }, "version": f.version },
                },
            })
        })
        .collect();
    let mut messages: Vec<Value> = scan
        .result
        .not_checked
        .iter()
        .map(|n| json!({ "level": "warn", "value": format!("not checked: {}: {}", n.purl, n.reason) }))
        .collect();
    messages.extend(
        scan.warnings
            .iter()
            .map(|w| json!({ "level": "warn", "value": w })),
    );
    messages.extend(scan.suppressed.iter().map(|s| {
        json!({ "level": "info", "value": format!(
            "suppressed by VEX: {} in {} {}: {} [{}]",
            s.finding.id, s.finding.package, s.finding.version, s.statement.reason(), s.statement.source
        )})
    }));
    // Each lockfile with the packages it pins that had a finding or were checked.
    let mut by_file: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for f in &scan.files {
        by_file.entry(f).or_default();
    }
    for f in scan
        .result
        .findings
        .iter()
        .chain(scan.suppressed.iter().map(|s| &s.finding))
    {
        if let Some(p) = scan.pins.get(&f.purl) {
            by_file
                .entry(&p.file)
                .or_default()
                .insert((&f.package, &f.version));
        }
    }
    let dependency_files: Vec<Value> = by_file
        .iter()
        .map(|(file, deps)| {
            json!({
                "path": file,
                "package_manager": package_manager(file),
                "dependencies": deps.iter().map(|(n, v)| json!({ "package": { "name": n }, "version": v })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "version": GITLAB_SCHEMA_VERSION,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "dependency_scanning",
            "start_time": gitlab_time(scan.started),
            "end_time": gitlab_time(scan.ended),
            "status": "success",
            "messages": messages,
        },
        "vulnerabilities": vulnerabilities,
        "dependency_files": dependency_files,
    })
}

// --- CycloneDX -------------------------------------------------------------------------------

fn cdx_method(vector: &str) -> &'static str {
    if vector.starts_with("CVSS:4") {
        "CVSSv4"
    } else if vector.starts_with("CVSS:3.1") {
        "CVSSv31"
    } else if vector.starts_with("CVSS:3") {
        "CVSSv3"
    } else {
        "other"
    }
}

/// OpenVEX justifications in CycloneDX's vocabulary (CycloneDX's own pass through).
fn cdx_justification(j: &str) -> Option<&'static str> {
    Some(match j {
        "code_not_present" | "vulnerable_code_not_present" | "component_not_present" => {
            "code_not_present"
        }
        "code_not_reachable" | "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "requires_configuration" => "requires_configuration",
        "requires_dependency" => "requires_dependency",
        "requires_environment" => "requires_environment",
        "protected_by_compiler" => "protected_by_compiler",
        "protected_at_runtime" | "vulnerable_code_cannot_be_controlled_by_adversary" => {
            "protected_at_runtime"
        }
        "protected_at_perimeter" => "protected_at_perimeter",
        "protected_by_mitigating_control" | "inline_mitigations_already_exist" => {
            "protected_by_mitigating_control"
        }
        _ => return None,
    })
}

fn cdx_vulnerability(f: &Finding, statement: Option<&Statement>) -> Value {
    let mut rating = json!({
        "source": { "name": "OSV", "url": osv_url(&f.id) },
        "severity": f.severity.rating.map_or("unknown", |r| match r {
            Rating::None => "none",
            other => other.as_str(),
        }),
    });
    if let Some(score) = f.severity.score {
        rating["score"] = json!(score);
    }
    if let Some(v) = &f.severity.vector {
        rating["method"] = json!(cdx_method(v));
        rating["vector"] = json!(v);
    }
    let mut v = json!({
        "bom-ref": format!("{}#{}", f.id, f.purl),
        "id": f.id,
        "source": { "name": "OSV", "url": osv_url(&f.id) },
        "references": f.aliases.iter().map(|a| json!({ "id": a, "source": { "name": "OSV", "url": osv_url(a) } })).collect::<Vec<_>>(),
        "ratings": [rating],
        "description": f.summary,
        "recommendation": match &f.fixed {
            Some(v) => format!("Upgrade {} to version {v} or later.", f.package),
            None => "No fixed version is known.".to_owned(),
        },
        "advisories": f.references.iter().filter(|r| r.starts_with("http")).map(|r| json!({ "url": r })).collect::<Vec<_>>(),
        "affects": [{ "ref": f.purl, "versions": [{
            "version": f.version,
            // A VEX statement says this version is not affected (or the issue was resolved).
            "status": if statement.is_some() { "unaffected" } else { "affected" },
        }] }],
    });
    if let Some(s) = statement {
        let mut analysis = json!({
            "state": match s.status {
                Status::Fixed => "resolved",
                _ => "not_affected",
            },
        });
        let just = s.justification.as_deref().and_then(cdx_justification);
        if let Some(j) = just {
            analysis["justification"] = json!(j);
        }
        analysis["detail"] = json!(format!("{} [{}]", s.reason(), s.source));
        v["analysis"] = analysis;
    }
    v
}

/// A CycloneDX 1.6 document: the SBOM's components and dependencies (when given) and one
/// `vulnerabilities` entry per finding, suppressed ones with their `analysis`.
pub fn cyclonedx_vdr(scan: &Scan, sbom: Option<&Sbom>) -> Value {
    let tool = Tool {
        name: "chainproof",
        version: env!("CARGO_PKG_VERSION"),
    };
    let mut doc: Value = match sbom {
        Some(sbom) => serde_json::from_str(&cyclonedx::to_string(sbom, &tool, scan.started))
            .unwrap_or_else(|_| json!({})),
        None => {
            let mut purls: BTreeMap<&str, &Finding> = BTreeMap::new();
            for f in scan
                .result
                .findings
                .iter()
                .chain(scan.suppressed.iter().map(|s| &s.finding))
            {
                purls.entry(&f.purl).or_insert(f);
            }
            json!({
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "metadata": {
                    "timestamp": format_timestamp(scan.started),
                    "tools": { "components": [{ "type": "application", "name": "chainproof", "version": env!("CARGO_PKG_VERSION") }] },
                },
                "components": purls.values().map(|f| json!({
                    "type": "library",
                    "bom-ref": f.purl,
                    "name": f.package,
                    "version": f.version,
                    "purl": f.purl,
                })).collect::<Vec<_>>(),
            })
        }
    };
    let vulns: Vec<Value> = scan
        .result
        .findings
        .iter()
        .map(|f| cdx_vulnerability(f, None))
        .chain(
            scan.suppressed
                .iter()
                .map(|s| cdx_vulnerability(&s.finding, Some(&s.statement))),
        )
        .collect();
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("vulnerabilities".into(), Value::Array(vulns));
        if !scan.result.not_checked.is_empty() {
            let props: Vec<Value> = scan
                .result
                .not_checked
                .iter()
                .map(|n| json!({ "name": "chainproof:scan:not-checked", "value": format!("{}: {}", n.purl, n.reason) }))
                .collect();
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                match meta.get_mut("properties").and_then(Value::as_array_mut) {
                    Some(existing) => existing.extend(props),
                    None => {
                        meta.insert("properties".into(), Value::Array(props));
                    }
                }
            }
        }
    }
    doc
}

// --- Locations -------------------------------------------------------------------------------

/// Where each component's first lockfile pins it: the line naming the package followed (within
/// a few lines) by its exact version, else the first line naming both, else the first line
/// naming the package, else line 1. `root` is the scanned directory; lockfiles are read once.
/// Only the components `wanted` names (by purl) are located: the reports place findings, and
/// searching a lockfile for every package it pins would cost more than the scan.
pub fn pins<'a>(
    root: &Path,
    sbom: &Sbom,
    wanted: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, Pin> {
    let mut texts: BTreeMap<&str, Option<Vec<String>>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    let wanted: BTreeSet<&str> = wanted.into_iter().collect();
    for c in wanted.iter().filter_map(|purl| sbom.components.get(*purl)) {
        let Some(file) = c.sources.iter().next() else {
            continue;
        };
        let lines = texts.entry(file).or_insert_with(|| {
            let path = if root.is_file() {
                root.to_path_buf()
            } else {
                root.join(file)
            };
            std::fs::read_to_string(path)
                .ok()
                .map(|t| t.lines().map(str::to_owned).collect())
        });
        let line = lines
            .as_deref()
            .map_or(1, |lines| pin_line(lines, &c.name, &c.version));
        out.insert(
            c.purl.clone(),
            Pin {
                file: file.clone(),
                line,
            },
        );
    }
    out
}

/// Whether `name` occurs in `line` as a whole package name (not inside a longer name).
fn names(line: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let boundary = |c: Option<char>| {
        c.is_none_or(|c| {
            matches!(
                c,
                '"' | '\''
                    | '/'
                    | ' '
                    | '@'
                    | '='
                    | ':'
                    | '<'
                    | '>'
                    | '~'
                    | '!'
                    | ','
                    | '['
                    | '\t'
                    | '('
                    | ')'
            )
        })
    };
    line.match_indices(name).any(|(i, _)| {
        boundary(line.get(..i).and_then(|s| s.chars().next_back()))
            && boundary(line.get(i + name.len()..).and_then(|s| s.chars().next()))
    })
}

fn pin_line(lines: &[String], name: &str, version: &str) -> usize {
    let quoted = format!("\"{version}\"");
    let exact = |l: &str| {
        l.contains("version")
            && (l.contains(&quoted) || l.trim_end().ends_with(&format!(" {version}")))
    };
    let mut first_name = None;
    let mut both = None;
    for (i, line) in lines.iter().enumerate() {
        if !names(line, name) {
            continue;
        }
        first_name.get_or_insert(i);
        if both.is_none() && !version.is_empty() && names(line, version) {
            both = Some(i);
        }
        if !version.is_empty()
            && lines
                .iter()
                .skip(i + 1)
                .take(6)
                .take_while(|l| !names(l, name) || exact(l))
                .any(|l| exact(l))
        {
            return i + 1;
        }
    }
    both.or(first_name).map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::severity::Severity;

    fn finding(id: &str, purl: &str, rating: Option<Rating>, score: Option<f64>) -> Finding {
        let (package, version) = purl
            .trim_start_matches("pkg:npm/")
            .rsplit_once('@')
            .unwrap_or(("x", "1"));
        Finding {
            id: id.into(),
            aliases: vec!["CVE-2021-23337".into()],
            summary: "Command injection".into(),
            purl: purl.into(),
            package: package.into(),
            version: version.into(),
            severity: Severity {
                rating,
                score,
                vector: score.map(|_| "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H".into()),
            },
            fixed: Some("4.17.21".into()),
            references: vec!["https://github.com/advisories/GHSA-35jh-r3h4-6jhm".into()],
        }
    }

    #[test]
    fn pin_lines_in_lockfiles() {
        let cargo: Vec<String> = "[[package]]\nname = \"time-macros\"\nversion = \"0.1.45\"\n\n[[package]]\nname = \"time\"\nversion = \"0.1.44\"\n\n[[package]]\nname = \"time\"\nversion = \"0.1.45\"\n"
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(pin_line(&cargo, "time", "0.1.45"), 10);
        assert_eq!(pin_line(&cargo, "time", "0.1.44"), 6);
        assert_eq!(pin_line(&cargo, "time-macros", "0.1.45"), 2);
        let npm: Vec<String> = "{\n  \"packages\": {\n    \"\": {\n      \"dependencies\": {\n        \"lodash\": \"^4.17.20\"\n      }\n    },\n    \"node_modules/lodash\": {\n      \"version\": \"4.17.20\",\n"
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(pin_line(&npm, "lodash", "4.17.20"), 8);
        let req: Vec<String> = vec!["flask==2.0.0".into(), "django==3.2.0".into()];
        assert_eq!(pin_line(&req, "django", "3.2.0"), 2);
        assert_eq!(pin_line(&req, "absent", "1.0"), 1);
    }

    #[test]
    fn gate_and_counts() {
        let scan = Scan {
            result: ScanResult {
                findings: vec![
                    finding("GHSA-1", "pkg:npm/a@1.0.0", Some(Rating::High), Some(7.2)),
                    finding("GHSA-2", "pkg:npm/b@1.0.0", None, None),
                    finding("GHSA-3", "pkg:npm/b@1.0.0", Some(Rating::Low), None),
                ],
                not_checked: vec![NotChecked {
                    purl: "pkg:pypi/django@3.2.0".into(),
                    reason: "the vulnerability database has no PyPI advisories".into(),
                }],
                checked: 2,
            },
            ..Scan::default()
        };
        assert_eq!(
            count_at_least(&scan, Rating::Critical),
            1,
            "unknown fails closed"
        );
        assert_eq!(count_at_least(&scan, Rating::High), 2);
        assert_eq!(count_at_least(&scan, Rating::Low), 3);
        assert_eq!(
            summary_line(&scan),
            "3 vulnerabilities (1 high, 1 low, 1 unknown) in 2 of 2 checked component(s); 1 not checked"
        );
        let mut out = Vec::new();
        write(Format::Text, &scan, None, &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf8");
        assert!(
            text.contains("a        1.0.0    GHSA-1  CVE-2021-23337  high 7.2  4.17.21"),
            "{text}"
        );
        assert!(
            text.contains("Not checked (1); these may be vulnerable:\n  pkg:pypi/django@3.2.0: the vulnerability database has no PyPI advisories"),
            "{text}"
        );
    }

    #[test]
    fn sarif_results_without_a_lockfile_line_are_placed_on_the_sbom() {
        let scan = Scan {
            result: ScanResult {
                findings: vec![finding(
                    "GHSA-1",
                    "pkg:npm/a@1.0.0",
                    Some(Rating::High),
                    None,
                )],
                not_checked: vec![],
                checked: 1,
            },
            document: Some("sbom.cdx.json".into()),
            ..Scan::default()
        };
        let sarif = sarif(&scan);
        let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "sbom.cdx.json");
        assert_eq!(location["region"]["startLine"], 1);
    }

    #[test]
    fn suppressed_findings_are_unaffected_versions_in_cyclonedx() {
        let statement = Statement {
            vulnerabilities: vec!["GHSA-1".into()],
            products: vec!["pkg:npm/a".into()],
            status: Status::NotAffected,
            justification: Some("vulnerable_code_not_present".into()),
            detail: None,
            source: "vex.json".into(),
        };
        let f = finding("GHSA-1", "pkg:npm/a@1.0.0", Some(Rating::High), None);
        let v = cdx_vulnerability(&f, Some(&statement));
        assert_eq!(v["affects"][0]["versions"][0]["status"], "unaffected");
        let v = cdx_vulnerability(&f, None);
        assert_eq!(v["affects"][0]["versions"][0]["status"], "affected");
    }

    #[test]
    fn gitlab_ids_are_uuid_shaped_and_stable() {
        let a = uuid(&["GHSA-1", "pkg:npm/a@1"]);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_eq!(a, uuid(&["GHSA-1", "pkg:npm/a@1"]));
        assert_ne!(a, uuid(&["GHSA-1", "pkg:npm/a@2"]));
        assert_eq!(gitlab_time(0), "1970-01-01T00:00:00");
        assert_eq!(identifier("CVE-2021-1")["type"], "cve");
        assert_eq!(identifier("RUSTSEC-2020-0071")["type"], "rustsec");
    }
}
