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
    /// Write a software bill of materials (CycloneDX 1.6 JSON or XML, SPDX 2.3 JSON) from the lockfiles in a directory (Cargo, npm, yarn, pnpm, pip, Poetry, uv, Pipenv, Go, Bundler, Composer, NuGet, Gradle, Maven, Pub, Mix, SwiftPM) or from a container image (--image). Never runs a package manager; `--deterministic` makes the output reproducible.
    Sbom(SbomArgs),
    /// Find known vulnerabilities (OSV) in a directory's lockfiles, an SBOM or package URLs, offline from a local database (`chainproof db update`) or online (`--online`). Components that could not be checked are always listed, never reported as clean.
    Scan(ScanArgs),
    /// Manage the offline vulnerability database.
    Db(DbArgs),
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

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Directory to inventory (searched honouring .gitignore), or one lockfile.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Scan this SBOM (CycloneDX JSON or SPDX 2.3 JSON, from any tool) instead of a directory.
    #[arg(long, value_name = "FILE")]
    pub sbom: Option<PathBuf>,

    /// Scan this package URL (for example `pkg:npm/lodash@4.17.20`) instead of a directory; repeatable.
    #[arg(long, value_name = "PURL", conflicts_with = "sbom")]
    pub purl: Vec<String>,

    /// Scan a container image (a `docker save` tarball or an OCI image layout), inventoried as
    /// `chainproof sbom --image` does: OS packages, installed packages, lockfiles, Go binaries.
    #[arg(long, value_name = "TARBALL|OCI-DIR", conflicts_with_all = ["sbom", "purl"])]
    pub image: Option<PathBuf>,

    /// Offline database directory laid out as `DIR/<Ecosystem>/all.zip` (default: `$CHAINPROOF_DB`, else `~/.cache/chainproof/osv`; fill it with `chainproof db update`).
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,

    /// Ask the OSV API (api.osv.dev, or `$OSV_API_URL`) instead of the offline database.
    #[arg(long, conflicts_with = "db")]
    pub online: bool,

    /// OpenVEX or CycloneDX VEX document; findings it marks `not_affected` or `fixed` are reported as suppressed (with the justification) and do not fail the run. Repeatable; later statements win.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,

    /// Output format: text, json, sarif, gitlab (dependency scanning report), cyclonedx-json (CycloneDX 1.6 with vulnerabilities).
    #[arg(long, short = 'f', default_value = "text", value_parser = clap::builder::PossibleValuesParser::new(chainproof_vuln::report::Format::NAMES))]
    pub format: String,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with 1 when a vulnerability is at or above this severity: low, medium, high, critical, or none. A vulnerability without a usable severity counts as critical.
    #[arg(long, default_value = "high", value_parser = ["low", "medium", "high", "critical", "none"])]
    pub fail_on: String,

    /// The offline database must be at most this many days old (since `chainproof db update` last checked each ecosystem the scan uses); an older one is still used and reported, but the exit code is 2.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub max_db_age: u64,

    /// Exit with 2 when any component could not be checked (no OSV ecosystem, no database records for its ecosystem or release, a version or advisory range that does not parse), not only when none could.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Args, Debug)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Download OSV's per-ecosystem exports (`<Ecosystem>/all.zip`) into the database directory; unchanged exports are not downloaded again.
    Update(DbUpdateArgs),
}

#[derive(Args, Debug)]
pub struct DbUpdateArgs {
    /// Database directory (default: `$CHAINPROOF_DB`, else `~/.cache/chainproof/osv`).
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,

    /// OSV ecosystem to download (`crates.io`, `npm`, `PyPI`, `Go`, `Maven`, `RubyGems`, `NuGet`, `Packagist`, `Pub`, `Hex`, `SwiftURL`, `Debian`, `Alpine`, ...); repeatable. Default: the language ecosystems chainproof reads lockfiles of.
    #[arg(long = "ecosystem", value_name = "E")]
    pub ecosystems: Vec<String>,
}
