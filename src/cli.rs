//! Command-line interface. The doc comments here are the `--help` text and the source of the
//! actions' and components' input documentation.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "chainproof",
    version,
    about = "Secure software supply chains from inside the pipelines you already run"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse GitHub Actions workflows and actions and GitLab CI files for security and correctness problems.
    Lint(LintArgs),
    /// Run every local capability on one repository and write one report (offline).
    Check(CheckArgs),
    /// Show the documentation of a rule, or list every rule.
    Explain(ExplainArgs),
    /// Write a software bill of materials (CycloneDX 1.6 or SPDX 2.3 JSON) from the lockfiles in a directory: Cargo.lock, package-lock.json and npm-shrinkwrap.json so far. Never runs a package manager; output is reproducible.
    Sbom(SbomArgs),
}

/// Options shared by commands that write a report.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Output format: text, json, sarif, github (annotations + job summary), gitlab (Code Quality).
    #[arg(long, short = 'f', default_value = "text", value_parser = clap::builder::PossibleValuesParser::new(chainproof_core::output::Format::NAMES))]
    pub format: String,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with 1 when a finding is at or above this severity: info, low, medium, high, critical, or none.
    #[arg(long, default_value = "high", value_parser = ["info", "low", "medium", "high", "critical", "none"])]
    pub fail_on: String,

    /// Configuration file (default: chainproof.yml, .chainproof.yml or .github/chainproof.yml in the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Never colour text output (also: NO_COLOR).
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Files or directories; a repository root finds .github/workflows/*, action.yml files, .gitlab-ci.yml (with its local includes) and GitLab component templates.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Apply the available fixes in place (comments and formatting are kept), then report what is left.
    #[arg(long)]
    pub fix: bool,

    /// Allow network access: resolve the tags and branches of unpinned `uses:` to commit SHAs (with `git ls-remote`; GITHUB_TOKEN is used when set) so `--fix` can pin them. Without it, nothing touches the network.
    #[arg(long)]
    pub online: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Repository to check.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Rule id (for example `template-injection`); omit to list every rule.
    pub rule: Option<String>,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SbomArgs {
    /// Combine or compare SBOM documents instead of inventorying a directory.
    #[command(subcommand)]
    pub command: Option<SbomCommand>,

    /// Directory to inventory (searched honouring .gitignore), or one lockfile.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Inventory a container image instead: a `docker save` tarball or an OCI image layout (a directory or a tarball of one). Layers are applied in order (whiteouts included) without extracting anything; OS packages (dpkg, apk), installed Python and npm packages, lockfiles and Go build information are read. An rpm database is reported as not read.
    #[arg(long, value_name = "TARBALL|OCI-DIR", conflicts_with = "path")]
    pub image: Option<PathBuf>,

    /// Output format: cyclonedx-json (CycloneDX 1.6), cyclonedx-xml (CycloneDX 1.6 XML) or spdx-json (SPDX 2.3).
    #[arg(long, short = 'f', default_value = "cyclonedx-json", value_parser = clap::builder::PossibleValuesParser::new(chainproof_sbom::writers::Format::NAMES))]
    pub format: String,

    /// Write the SBOM to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with code 2 when a lockfile could not be read or a manifest has no lockfile (the
    /// SBOM is still written, and lists them).
    #[arg(long)]
    pub strict: bool,

    /// Reproducible output: the timestamp is `SOURCE_DATE_EPOCH` (or 1970-01-01 when unset)
    /// instead of now, so the same inputs give the same bytes.
    #[arg(long, global = true)]
    pub deterministic: bool,
}

#[derive(Subcommand, Debug)]
pub enum SbomCommand {
    /// Merge SBOM documents (CycloneDX JSON or SPDX 2.3 JSON, from any tool) into one: the union of their components (by purl) and dependencies, under their shared root or a new root depending on each document's root.
    Merge(SbomMergeArgs),
    /// Compare two SBOM documents (CycloneDX JSON or SPDX 2.3 JSON): packages added, removed, and changed in version. Exit code 0 when they list the same packages, 1 when they differ, 2 when a document cannot be read.
    Diff(SbomDiffArgs),
}

#[derive(Args, Debug)]
pub struct SbomMergeArgs {
    /// The SBOM documents to merge.
    #[arg(required = true, value_name = "SBOM")]
    pub inputs: Vec<PathBuf>,

    /// Output format: cyclonedx-json, cyclonedx-xml or spdx-json.
    #[arg(long, short = 'f', default_value = "cyclonedx-json", value_parser = clap::builder::PossibleValuesParser::new(chainproof_sbom::writers::Format::NAMES))]
    pub format: String,

    /// Write the merged SBOM to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Name of the new root (`pkg:generic/<NAME>`) when the documents describe different projects.
    #[arg(long, default_value = "merged")]
    pub name: String,
}

#[derive(Args, Debug)]
pub struct SbomDiffArgs {
    /// The old SBOM.
    pub old: PathBuf,

    /// The new SBOM.
    pub new: PathBuf,

    /// Output format: text (`+ purl` added, `- purl` removed, `~ package old -> new` changed) or json (`{"added": [purl], "removed": [purl], "changed": [{"package", "from": [version], "to": [version]}]}`).
    #[arg(long, short = 'f', default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}
