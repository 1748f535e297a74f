//! `chainproof check`: every local capability on one repository, one report. Today that is the
//! pipeline linter; capabilities that do not exist yet are listed as skipped, never as clean.

use anyhow::Result;
use chainproof_core::Skipped;
use chainproof_pipeline::lint::discover;
use chainproof_pipeline::{LintOptions, lint, registry};

use super::report::{emit, load_config};
use crate::Outcome;
use crate::cli::CheckArgs;

pub fn run(args: CheckArgs) -> Result<Outcome> {
    if !args.path.is_dir() {
        anyhow::bail!("{}: not a directory", args.path.display());
    }
    let config = load_config(&args.report, &args.path)?;
    let targets = discover(&args.path, &config.exclude);
    let mut result = lint::lint(&targets, &LintOptions { config });
    if targets.is_empty() {
        result.report.skipped.push(Skipped {
            what: "lint".into(),
            reason: "no GitHub workflow, action.yml or GitLab CI file in the repository".into(),
        });
    }
    for (what, reason) in [
        (
            "sbom",
            "not part of check yet; run `chainproof sbom` (Cargo.lock and package-lock.json so far)",
        ),
        ("scan", "not available in this version of chainproof"),
        ("analyze", "not available in this version of chainproof"),
    ] {
        result.report.skipped.push(Skipped {
            what: what.into(),
            reason: reason.into(),
        });
    }
    emit(
        &args.report,
        &result.report,
        &result.sources,
        &registry::infos(),
    )
}
