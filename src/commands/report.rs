//! Writing a report as the user asked (`--format`, `--output`, `--fail-on`) and deciding the outcome.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chainproof_core::output::{self, Format, Output};
use chainproof_core::{Config, Report, RuleInfo, Severity, SourceMap};

use crate::Outcome;
use crate::cli::ReportArgs;

/// Load `--config` or discover it under `root`.
pub fn load_config(args: &ReportArgs, root: &Path) -> Result<Config> {
    match &args.config {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Ok(Config::parse(&p.display().to_string(), &text)?)
        }
        None => Ok(Config::discover(root)?.0),
    }
}

pub fn first_dir(paths: &[PathBuf]) -> PathBuf {
    paths
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Write the report and decide the outcome.
pub fn emit(
    args: &ReportArgs,
    report: &Report,
    sources: &SourceMap,
    rules: &[RuleInfo],
) -> Result<Outcome> {
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let color = format == Format::Text
        && args.output.is_none()
        && !args.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    let out = Output {
        report,
        sources,
        rules,
        color,
    };
    match &args.output {
        Some(path) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            output::write(format, &out, &mut f)?;
            f.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            output::write(format, &out, &mut lock)?;
        }
    }
    if format == Format::Github
        && let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty())
    {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .with_context(|| {
                format!(
                    "opening GITHUB_STEP_SUMMARY ({})",
                    summary.to_string_lossy()
                )
            })?;
        f.write_all(output::github::summary(report).as_bytes())?;
    }
    if !report.errors.is_empty() {
        if format != Format::Text || args.output.is_some() {
            for e in &report.errors {
                eprintln!("error: {e}");
            }
        }
        return Ok(Outcome::InputError);
    }
    let fails = match args.fail_on.as_str() {
        "none" => false,
        s => {
            let threshold: Severity = s.parse().map_err(anyhow::Error::msg)?;
            report.count_at_least(threshold) > 0
        }
    };
    Ok(if fails {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
