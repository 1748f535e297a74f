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
    /// Render a secure pipeline template (GitHub Actions or GitLab CI/CD; `chainproof templates list` names them) into a directory. Values are checked against the template's typed parameters (schemas/templates/NAME.json): unknown keys and values that are not safe in YAML and shell are rejected with exit code 2.
    Render(RenderArgs),
    /// The secure pipeline templates `chainproof render` writes.
    Templates(TemplatesArgs),
    /// Sign files with Sigstore: keyless (an OIDC identity token from --identity-token, SIGSTORE_ID_TOKEN or the GitHub Actions runner; a Fulcio certificate, a Rekor entry, an RFC 3161 timestamp when a TSA is configured) or with a key (--key). Writes one Sigstore bundle (v0.3) per file.
    Sign(SignArgs),
    /// Sign an in-toto attestation (Statement v1 in DSSE) about files: SLSA provenance (from --predicate or built from the GitHub Actions / GitLab CI environment), a CycloneDX SBOM, vulnerability-scan results or SARIF analysis results. Writes one Sigstore bundle (v0.3) covering every subject.
    Attest(AttestArgs),
    /// Verify Sigstore bundles for a file: certificate chain to the trusted root, SCT, Rekor inclusion proof against the signed checkpoint, SET, RFC 3161 timestamps, the signature, the artifact digest or attestation subject, and the signer's identity (certificate identity, issuer, Fulcio extensions); a policy file can require a set of attestations. Exit code 1 when a check fails, 2 for unusable inputs.
    Verify(VerifyArgs),
    /// Manage signing keys (cosign-compatible encrypted ECDSA P-256 keys).
    Key(KeyArgs),
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

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Template to render (for example `github-rust`; `chainproof templates list` names them all).
    #[arg(long, value_name = "NAME")]
    pub template: String,

    /// A parameter as KEY=VALUE; repeatable, and wins over --values. VALUE is read by the parameter's type: text as is, booleans, numbers and lists as YAML (`true`, `30`, `[a, b]`).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    /// File of parameter values: a JSON object (.json) or YAML mapping (.yml, .yaml).
    #[arg(long, value_name = "FILE")]
    pub values: Option<PathBuf>,

    /// Directory to write the rendered files into (created when missing), at their paths in a repository (`.github/workflows/ci.yml`, `.gitlab-ci.yml`).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Overwrite files edited since chainproof rendered them (their `# chainproof-render: sha256=` line no longer matches) or not rendered by it; without it such files are left alone and the exit code is 2. Unedited older renderings are updated without it.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct TemplatesArgs {
    #[command(subcommand)]
    pub command: TemplatesCommand,
}

#[derive(Subcommand, Debug)]
pub enum TemplatesCommand {
    /// List the templates: name, platform and description.
    List(TemplatesListArgs),
}

#[derive(Args, Debug)]
pub struct TemplatesListArgs {
    /// Output format: text (one line per template) or json (`[{"name", "platform", "description"}]`).
    #[arg(long, short = 'f', default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// Container images in a registry. A positional argument is an image when no file of that name exists and it holds `@sha256:` or starts with a registry host (`HOST.DOMAIN/`, `HOST:PORT/`, `localhost/`); `--image` makes every one an image.
#[derive(Args, Debug, Clone)]
pub struct ImageArgs {
    /// Treat the positional arguments as image references (REGISTRY/REPOSITORY@sha256:DIGEST), even where a file of that name exists. Credentials: CHAINPROOF_REGISTRY_USERNAME/CHAINPROOF_REGISTRY_PASSWORD, used only for the registry named by CHAINPROOF_REGISTRY (HOST[:PORT]; required with them), else the docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json `auths`; credential helpers are not run).
    #[arg(long)]
    pub image: bool,

    /// Allow plain http (no TLS) to the registry; without it only localhost/127.0.0.1 may be plain http.
    #[arg(long)]
    pub allow_insecure_registry: bool,
}

/// Where keyless signing gets its Sigstore services.
#[derive(Args, Clone)]
pub struct SigstoreServiceArgs {
    /// OIDC identity token (JWT) for keyless signing. Default: SIGSTORE_ID_TOKEN (GitLab `id_tokens` with `aud: sigstore`), else the GitHub Actions runner's ID token (needs `permissions: id-token: write`).
    #[arg(long, value_name = "TOKEN")]
    pub identity_token: Option<String>,

    /// Fulcio URL of a private Sigstore instance (with --rekor-url). Default: the public-good instance.
    #[arg(long, value_name = "URL", conflicts_with = "signing_config")]
    pub fulcio_url: Option<String>,

    /// Rekor (v1 API) URL of a private Sigstore instance (with --fulcio-url; alone with --key).
    #[arg(long, value_name = "URL", conflicts_with = "signing_config")]
    pub rekor_url: Option<String>,

    /// RFC 3161 timestamp authority URL; key-signed bundles get a timestamp only when this is given.
    #[arg(long, value_name = "URL")]
    pub tsa_url: Option<String>,

    /// A Sigstore signing config (v0.2 JSON) naming the Fulcio, Rekor and TSA to use.
    #[arg(long, value_name = "FILE")]
    pub signing_config: Option<PathBuf>,

    /// Sign with this private key (cosign-compatible encrypted key from `chainproof key generate`; password from CHAINPROOF_PASSWORD or COSIGN_PASSWORD) instead of keyless. The bundle gets a public-key hint.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// With --key: log the signature in Rekor (--rekor-url, the signing config's, or the public-good one), like cosign. `--tlog-upload=false` needs --tsa-url instead.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub tlog_upload: bool,
}

/// Never prints the identity token.
impl std::fmt::Debug for SigstoreServiceArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigstoreServiceArgs")
            .field(
                "identity_token",
                &self.identity_token.as_ref().map(|_| "<redacted>"),
            )
            .field("fulcio_url", &self.fulcio_url)
            .field("rekor_url", &self.rekor_url)
            .field("tsa_url", &self.tsa_url)
            .field("signing_config", &self.signing_config)
            .field("key", &self.key)
            .field("tlog_upload", &self.tlog_upload)
            .finish()
    }
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// Files to sign, or container images by digest (IMAGE@sha256:...: the manifest digest is signed and the signature stored in the registry; a tag is refused).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Write the bundle here (only with one FILE). Default: FILE.sigstore.json next to each file.
    #[arg(long, value_name = "OUT")]
    pub bundle: Option<PathBuf>,

    /// Where image signatures go: referrers (an OCI 1.1 referrer holding the bundle; the `sha256-<hex>` referrers tag where the registry lacks the API), cosign (cosign's `sha256-<hex>.sig` tag), or both.
    #[arg(long, default_value = "referrers", value_parser = ["referrers", "cosign", "both"], value_name = "FORMAT")]
    pub registry_format: String,

    #[command(flatten)]
    pub images: ImageArgs,

    #[command(flatten)]
    pub services: SigstoreServiceArgs,
}

#[derive(Args, Debug)]
pub struct AttestArgs {
    /// The files the attestation is about (its subjects: name and SHA-256 digest).
    #[arg(required = true, value_name = "SUBJECT")]
    pub subjects: Vec<PathBuf>,

    /// Predicate type: slsaprovenance1 (https://slsa.dev/provenance/v1), cyclonedx (https://cyclonedx.org/bom), vuln (https://cosign.sigstore.dev/attestation/vuln/v1; a `chainproof scan --format json` report is wrapped), sarif (https://chainproof.dev/attestation/sarif/v1), or a predicate type URI.
    #[arg(long = "type", value_name = "TYPE")]
    pub predicate_type: String,

    /// The predicate (JSON). Optional for slsaprovenance1: built from the GitHub Actions or GitLab CI environment.
    #[arg(long, value_name = "FILE")]
    pub predicate: Option<PathBuf>,

    /// Write the bundle here. Default: FIRST_SUBJECT.TYPE.sigstore.json.
    #[arg(long, value_name = "OUT")]
    pub bundle: Option<PathBuf>,

    /// Where an image's attestation goes (one SUBJECT, IMAGE@sha256:...): referrers (an OCI 1.1 referrer; the `sha256-<hex>` referrers tag where the registry lacks the API), cosign (cosign's `sha256-<hex>.att` tag), or both.
    #[arg(long, default_value = "referrers", value_parser = ["referrers", "cosign", "both"], value_name = "FORMAT")]
    pub registry_format: String,

    #[command(flatten)]
    pub images: ImageArgs,

    #[command(flatten)]
    pub services: SigstoreServiceArgs,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The file the bundles must cover, or a container image (IMAGE@sha256:...): its signatures and attestations are found in the registry (referrers, the referrers tag, cosign's .sig/.att tags). As with cosign, the image verifies when at least one of them verifies under the identity policy (and, with --policy, the verified ones meet the required set); those that do not verify are listed with the reason but do not fail the run; none found or none verifying fails (exit 1).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Sigstore bundles to verify (repeat for several attestations of the same file; all must verify). Required for a file.
    #[arg(long, value_name = "BUNDLE")]
    pub bundle: Vec<PathBuf>,

    #[command(flatten)]
    pub images: ImageArgs,

    /// Trusted root (Sigstore TrustedRoot JSON) of a private instance, or a current copy of the public-good one. Default: the public-good instance's root embedded in chainproof, which is updated only with chainproof releases (pass --trusted-root for current roots after a key rotation).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,

    /// The signer's certificate identity, exactly (e.g. https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/heads/main).
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub certificate_identity: Option<String>,

    /// A regular expression the certificate identity must match. Unanchored, as in cosign: it matches anywhere in the identity, so `github.com/octo-org/.*` also accepts another owner's workflow run on a branch named `github.com/octo-org/x`. Anchor it (`^https://github\.com/octo-org/REPO/\.github/workflows/release\.yml@refs/.*$`); a warning is printed when it is not.
    #[arg(long, value_name = "RE")]
    pub certificate_identity_regexp: Option<String>,

    /// The OIDC issuer in the certificate (https://token.actions.githubusercontent.com, https://gitlab.com, ...). Defaults to GitHub's with --owner/--repo/--signer-workflow.
    #[arg(long, value_name = "ISSUER")]
    pub certificate_oidc_issuer: Option<String>,

    /// The source repository's owner: OWNER on github.com, or the owner's URL.
    #[arg(long, value_name = "OWNER")]
    pub owner: Option<String>,

    /// The source repository: OWNER/REPO on github.com, or the repository's URL.
    #[arg(long, value_name = "REPO")]
    pub repo: Option<String>,

    /// The workflow that signed: OWNER/REPO/.github/workflows/FILE.yml (github.com) or HOST/PATH; compared with the certificate identity without its @ref.
    #[arg(long, value_name = "WORKFLOW")]
    pub signer_workflow: Option<String>,

    /// The git ref the artifact was built from (e.g. refs/heads/main, refs/tags/v1.2.3).
    #[arg(long, value_name = "REF")]
    pub source_ref: Option<String>,

    /// The commit SHA the artifact was built from.
    #[arg(long, value_name = "SHA")]
    pub source_digest: Option<String>,

    /// The runner environment the signer ran on (e.g. github-hosted).
    #[arg(long, value_name = "ENV")]
    pub runner_environment: Option<String>,

    /// Verify key-signed bundles with this public key (PEM) instead of a certificate identity.
    #[arg(long, value_name = "PUB")]
    pub key: Option<PathBuf>,

    /// With --key: accept key-signed bundles without a Rekor entry if an RFC 3161 timestamp is verified (bundles from `sign --key --tlog-upload=false`). Gives up the transparency log: nobody can audit publicly that the key made this signature, and a stolen key's signatures go unseen.
    #[arg(long, requires = "key")]
    pub insecure_ignore_tlog: bool,

    /// A verification policy (YAML or JSON, schemas/verify-policy.json): identity constraints and attestations the file must carry.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub command: KeyCommand,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Generate an ECDSA P-256 key pair: PREFIX.key (cosign-compatible, encrypted with CHAINPROOF_PASSWORD or COSIGN_PASSWORD, an empty value meaning no password; mode 0600) and PREFIX.pub (PEM).
    Generate(KeyGenerateArgs),
}

#[derive(Args, Debug)]
pub struct KeyGenerateArgs {
    /// Path prefix of the key files (writes PREFIX.key and PREFIX.pub; never overwrites).
    #[arg(long, default_value = "chainproof", value_name = "PREFIX")]
    pub output: PathBuf,
}
