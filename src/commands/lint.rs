//! `chainproof lint`.

use anyhow::{Context, Result};
use chainproof_pipeline::lint::targets;
use chainproof_pipeline::pin::{GitResolver, add_pin_fixes};
use chainproof_pipeline::{LintOptions, fix, lint, registry};

use super::report::{emit, first_dir, load_config};
use crate::Outcome;
use crate::cli::LintArgs;

pub fn run(args: LintArgs) -> Result<Outcome> {
    let config = load_config(&args.report, &first_dir(&args.paths))?;
    let targets = targets(&args.paths, &config.exclude)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.file, e.message))?;
    if targets.is_empty() {
        anyhow::bail!(
            "no GitHub workflow, action.yml or GitLab CI file found in {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let options = LintOptions { config };
    let mut result = lint::lint(&targets, &options);
    if args.online {
        add_pin_fixes(
            &mut result.report,
            &result.sources,
            &mut GitResolver::github_from_env(),
        );
    }
    if args.fix {
        let fixes: Vec<_> = result
            .report
            .findings
            .iter()
            .filter_map(|f| f.fix.as_ref())
            .collect();
        let changed = fix::apply(&result.sources, &fixes);
        for (path, text) in &changed {
            std::fs::write(path, text).with_context(|| format!("writing {path}"))?;
        }
        eprintln!(
            "fixed {} finding(s) in {} file(s)",
            fixes.len(),
            changed.len()
        );
        if !changed.is_empty() {
            let skipped = std::mem::take(&mut result.report.skipped);
            result = lint::lint(&targets, &options);
            result.report.skipped.extend(skipped);
        }
    }
    emit(
        &args.report,
        &result.report,
        &result.sources,
        &registry::infos(),
    )
}
