//! `chainproof check`: every local capability on one repository, one report. Today that is the
//! pipeline linter and the SBOM inventory (a summary line: components by ecosystem, lockfiles
//! read), and the vulnerability scan when the offline database exists (a summary line; without a
//! database, a skipped entry saying how to get one), and whether the pipelines that publish
//! artifacts sign and attest them (a summary line from `chainproof_pipeline::release`);
//! capabilities that do not exist yet are listed as skipped, never as clean.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use chainproof_core::{InputError, Report, Skipped, Summary};
use chainproof_pipeline::lint::discover;
use chainproof_pipeline::release::Release;
use chainproof_pipeline::{LintOptions, lint, registry};
use chainproof_sbom::{Sbom, inventory, readers};

use super::report::{emit, load_config};
use crate::Outcome;
use crate::cli::CheckArgs;

pub fn run(args: CheckArgs) -> Result<Outcome> {
    if !args.path.is_dir() {
        anyhow::bail!("{}: not a directory", args.path.display());
    }
    let config = load_config(&args.report, &args.path)?;
    let targets = discover(&args.path, &config.exclude);
    let sbom = inventory::inventory(&args.path, &config.exclude)?;
    let mut result = lint::lint(&targets, &LintOptions { config });
    if targets.is_empty() {
        result.report.skipped.push(Skipped {
            what: "lint".into(),
            reason: "no GitHub workflow, action.yml or GitLab CI file in the repository".into(),
        });
    }
    // Pipeline files that could not be read (before the SBOM adds its own input errors).
    let unreadable = result.report.errors.len();
    add_sbom(&mut result.report, &args.path, &sbom);
    add_scan(&mut result.report, &args.path, &sbom);
    if !targets.is_empty() {
        add_release(&mut result.report, &result.releases, unreadable);
    }
    result.report.skipped.push(Skipped {
        what: "analyze".into(),
        reason: "not available in this version of chainproof".into(),
    });
    emit(
        &args.report,
        &result.report,
        &result.sources,
        &registry::infos(),
    )
}

/// The SBOM's part of the report: a summary line, its unreadable lockfiles as input errors (exit
/// code 2, as for unreadable pipeline files), and manifests without a lockfile as skipped.
fn add_sbom(report: &mut Report, root: &Path, sbom: &Sbom) {
    if sbom.files.is_empty() && sbom.errors.is_empty() {
        report.skipped.push(Skipped {
            what: "sbom".into(),
            reason: format!(
                "no lockfile in the repository (looked for {})",
                readers::formats().join(", ")
            ),
        });
    } else {
        let mut by_ecosystem: BTreeMap<&str, usize> = BTreeMap::new();
        for c in sbom.components.values() {
            *by_ecosystem.entry(c.ecosystem.purl_type()).or_default() += 1;
        }
        let counts: Vec<String> = by_ecosystem
            .iter()
            .map(|(eco, n)| format!("{eco} {n}"))
            .collect();
        report.summary.push(Summary {
            what: "sbom".into(),
            text: format!(
                "{} component(s){} from {} lockfile(s){}",
                sbom.components.len(),
                if counts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", counts.join(", "))
                },
                sbom.files.len(),
                if sbom.errors.is_empty() {
                    String::new()
                } else {
                    format!("; {} lockfile(s) could not be read", sbom.errors.len())
                }
            ),
        });
    }
    for e in &sbom.errors {
        report.errors.push(InputError {
            file: shown(root, &e.file),
            line: e.line,
            column: e.column,
            message: e.message.clone(),
        });
    }
    for m in &sbom.unlocked {
        report.skipped.push(Skipped {
            what: "sbom".into(),
            reason: format!(
                "{} has no lockfile; its dependencies were not inventoried",
                shown(root, m)
            ),
        });
    }
}

/// `rel` (relative to the checked directory) as lint shows files: relative to the working
/// directory when below it, `/`-separated, without a leading `./`.
fn shown(root: &Path, rel: &str) -> String {
    let path = root.join(rel);
    let cwd = std::env::current_dir().ok();
    let path = cwd
        .as_deref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(&path);
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// The vulnerability scan's part: a summary line when the offline database exists (its
/// not-checked components and warnings as skipped entries), else a skipped entry saying how to
/// get one. Vulnerabilities do not enter the `--fail-on` gate here: `chainproof scan` gates them.
fn add_scan(report: &mut Report, root: &Path, sbom: &Sbom) {
    let dir = super::scan::db_dir(None);
    let Some(dir) = dir.filter(|d| super::scan::has_db(d)) else {
        report.skipped.push(Skipped {
            what: "scan".into(),
            reason: super::scan::no_db_message(super::scan::db_dir(None).as_deref()),
        });
        return;
    };
    let vex = chainproof_vuln::vex::Vex::default();
    match super::scan::scan_offline(&dir, sbom, Some(root), &vex, 7) {
        Ok(scanned) => {
            report.summary.push(Summary {
                what: "scan".into(),
                text: chainproof_vuln::report::summary_line(&scanned.scan),
            });
            for w in &scanned.scan.warnings {
                report.skipped.push(Skipped {
                    what: "scan".into(),
                    reason: w.clone(),
                });
            }
            for n in &scanned.scan.result.not_checked {
                report.skipped.push(Skipped {
                    what: "scan".into(),
                    reason: format!("{} not checked: {}", n.purl, n.reason),
                });
            }
        }
        Err(e) => report.skipped.push(Skipped {
            what: "scan".into(),
            reason: format!("{e:#}"),
        }),
    }
}

/// The release-signing summary: how many pipelines publish artifacts, which of them sign and
/// attest (or only one of the two), which do neither, and which chainproof cannot judge because
/// part of them is out of its reach (a remote reusable workflow, an included project).
fn add_release(report: &mut Report, releases: &[Release], unreadable: usize) {
    let what = "release signing".to_owned();
    let publishing: Vec<&Release> = releases.iter().filter(|r| r.publishes()).collect();
    let unreadable = if unreadable == 0 {
        String::new()
    } else {
        format!("; {unreadable} pipeline file(s) could not be read and are not counted")
    };
    if publishing.is_empty() {
        report.summary.push(Summary {
            what,
            text: format!("no pipeline publishes artifacts{unreadable}"),
        });
        return;
    }
    let group = |f: &dyn Fn(&Release) -> bool| -> Vec<&Release> {
        publishing.iter().copied().filter(|r| f(r)).collect()
    };
    let signed = |r: &Release, signs: bool, attests: bool| {
        r.signing.signs == signs && r.signing.attests == attests
    };
    let list = |rs: &[&Release]| {
        rs.iter()
            .map(|r| r.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    // (singular, plural) verbs: "1 does not sign", "4 do not sign"; all but the fully signed
    // pipelines are listed.
    for (rs, (one, many), listed) in [
        (
            group(&|r| signed(r, true, true)),
            ("signs and attests", "sign and attest"),
            false,
        ),
        (
            group(&|r| signed(r, true, false)),
            ("signs but does not attest", "sign but do not attest"),
            true,
        ),
        (
            group(&|r| signed(r, false, true)),
            ("attests but does not sign", "attest but do not sign"),
            true,
        ),
        (
            group(&|r| r.unsigned()),
            ("does not sign or attest", "do not sign or attest"),
            true,
        ),
    ] {
        if rs.is_empty() {
            continue;
        }
        let verb = if rs.len() == 1 { one } else { many };
        if listed {
            parts.push(format!("{} {verb} ({})", rs.len(), list(&rs)));
        } else {
            parts.push(format!("{} {verb}", rs.len()));
        }
    }
    let unknown = group(&|r| !r.signing.any() && !r.unknown.is_empty());
    if !unknown.is_empty() {
        let why: Vec<String> = unknown
            .iter()
            .map(|r| format!("{}: {}", r.path, r.unknown.join("; ")))
            .collect();
        parts.push(format!(
            "for {} chainproof cannot tell ({})",
            unknown.len(),
            why.join("; ")
        ));
    }
    report.summary.push(Summary {
        what,
        text: format!(
            "{} publishing pipeline(s): {}{unreadable}",
            publishing.len(),
            parts.join(", ")
        ),
    });
}
