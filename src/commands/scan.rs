//! `chainproof scan`: known vulnerabilities in a directory's lockfiles, an SBOM or purls, from the
//! offline OSV database (`DIR/<Ecosystem>/all.zip`) or the OSV API.
//!
//! Fail closed, never "clean" for what was not looked at:
//! - no database and no `--online`: exit 2 with how to get one;
//! - every output says how many components were checked and lists the others with the reason;
//!   when none could be checked the exit code is 2;
//! - a database that could not be read whole (a corrupt zip or entry, a record that is not OSV
//!   JSON) is still used and its findings reported, but the exit code is 2;
//! - with `--strict`, any component not checked makes the exit code 2;
//! - a database older than `--max-db-age` days (default 7, by when `chainproof db update` last
//!   checked the stalest ecosystem the scan used, else that zip's modification time; a time in
//!   the future is unknown) is still used and its findings reported, with a warning, and the exit code is 2
//!   (a pass from stale data is not a pass); pass a larger `--max-db-age` to accept it;
//! - a vulnerability without a usable severity counts as critical for `--fail-on`.
//!
//! Exit codes as lint: 0 nothing at or above `--fail-on`, 1 a finding at or above it, 2 an input
//! error (unreadable lockfile, SBOM, VEX or database; stale database; nothing checked).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use chainproof_core::config::Config;
use chainproof_sbom::{Sbom, document, inventory};
use chainproof_vuln::ecosystem::{base, normalize_name};
use chainproof_vuln::matcher::{self, Advisories};
use chainproof_vuln::report::{self, Format, Scan};
use chainproof_vuln::severity::Rating;
use chainproof_vuln::vex::{self, Vex};
use chainproof_vuln::{Db, Vulnerability, online};

use crate::Outcome;
use crate::cli::ScanArgs;

/// Environment variable naming the offline database directory.
pub const DB_ENV: &str = "CHAINPROOF_DB";

/// `--db`, else `$CHAINPROOF_DB`, else the user's cache directory (`~/.cache/chainproof/osv`).
pub fn db_dir(arg: Option<&Path>) -> Option<PathBuf> {
    if let Some(d) = arg {
        return Some(d.to_path_buf());
    }
    match std::env::var_os(DB_ENV) {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => online::default_cache_dir(),
    }
}

/// Whether `dir` holds at least one `<Ecosystem>/all.zip`.
pub fn has_db(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().join("all.zip").is_file())
    })
}

/// The message for a missing database: how to get one.
pub fn no_db_message(dir: Option<&Path>) -> String {
    let shown = dir.map_or_else(
        || "(no cache directory: set $CHAINPROOF_DB or pass --db)".to_owned(),
        |d| d.display().to_string(),
    );
    format!(
        "no vulnerability database in {shown}: run `chainproof db update` (downloads OSV's exports there; \
         `--db DIR` or $CHAINPROOF_DB choose another directory), or scan with `--online` to ask the OSV API"
    )
}

/// The inventory to scan.
enum Input {
    Dir { root: PathBuf, sbom: Sbom },
    Sbom(Sbom),
    Purls(Sbom),
}

impl Input {
    fn sbom(&self) -> &Sbom {
        match self {
            Input::Dir { sbom, .. } | Input::Sbom(sbom) | Input::Purls(sbom) => sbom,
        }
    }
}

fn input(args: &ScanArgs) -> Result<Input> {
    if let Some(file) = &args.sbom {
        let shown = file.display().to_string();
        let sbom = document::read_path(file, &shown).map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(Input::Sbom(sbom));
    }
    if let Some(image) = &args.image {
        // Like `--sbom`: results are placed on the image file (no lockfile lines inside it).
        return Ok(Input::Sbom(chainproof_sbom::image::inventory(image)?));
    }
    if !args.purl.is_empty() {
        let mut components = Vec::new();
        for p in &args.purl {
            if !p.starts_with("pkg:") || !p.contains('/') {
                bail!("--purl {p}: not a package URL (pkg:<type>/<name>@<version>)");
            }
            components.push(serde_json::json!({ "type": "library", "name": "", "purl": p }));
        }
        let doc = serde_json::json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "components": components,
        });
        let sbom =
            document::read("--purl", &doc.to_string()).map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(Input::Purls(sbom));
    }
    let exclude = if args.path.is_dir() {
        Config::discover(&args.path)?.0.exclude
    } else {
        Vec::new()
    };
    let sbom = inventory::inventory(&args.path, &exclude)?;
    Ok(Input::Dir {
        root: args.path.clone(),
        sbom,
    })
}

/// Records fetched from the OSV API for the queried packages, as a source for the matcher. The
/// API covers every OSV ecosystem.
struct Fetched {
    records: Vec<Vulnerability>,
    ecosystems: Vec<String>,
}

impl Advisories for Fetched {
    fn ecosystems(&self) -> Vec<String> {
        self.ecosystems.clone()
    }

    fn advisories(&self, osv_ecosystem: &str, name: &str) -> Vec<&Vulnerability> {
        let key = normalize_name(osv_ecosystem, name);
        self.records
            .iter()
            .filter(|v| {
                v.affected.iter().any(|a| {
                    a.package.as_ref().is_some_and(|p| {
                        base(&p.ecosystem) == base(osv_ecosystem)
                            && normalize_name(osv_ecosystem, &p.name) == key
                    })
                })
            })
            .collect()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The result of one scan with everything the outputs need, and whether the input was sound.
pub struct Scanned {
    pub scan: Scan,
    /// Problems that make the run an input error (exit 2) though the report is written.
    pub input_errors: Vec<String>,
}

/// Scan `sbom` with the offline database in `dir`; `root` locates lockfile lines.
pub fn scan_offline(
    dir: &Path,
    sbom: &Sbom,
    root: Option<&Path>,
    vex: &Vex,
    max_age_days: u64,
) -> Result<Scanned> {
    let started = now();
    let db = Db::open(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut warnings: Vec<String> = db.errors().iter().map(|e| e.to_string()).collect();
    // Records that could not be read may be the ones that matter: fail closed.
    let mut input_errors: Vec<String> = db.errors().iter().map(|e| e.to_string()).collect();
    let queries = matcher::queries_from_sbom(sbom);
    // Only the ecosystems this scan uses count for the age.
    let used: BTreeSet<&str> = queries
        .iter()
        .filter_map(|q| q.osv_ecosystem.as_deref())
        .filter(|e| db.covers(e))
        .map(base)
        .collect();
    let built = if used.is_empty() {
        db.built()
    } else {
        db.built_for(used.iter().copied())
    };
    let age = built.and_then(|b| SystemTime::now().duration_since(b).ok());
    let as_of = built
        .and_then(|b| b.duration_since(UNIX_EPOCH).ok())
        .map(|d| chainproof_sbom::writers::spdx::format_timestamp(d.as_secs()));
    let limit = Duration::from_secs(max_age_days.saturating_mul(86_400));
    match age {
        Some(age) if age > limit => {
            let msg = format!(
                "the vulnerability database in {} is {} days old (last updated {}), older than --max-db-age {max_age_days}: \
                 newer vulnerabilities are missing; run `chainproof db update` or pass a larger --max-db-age",
                dir.display(),
                age.as_secs() / 86_400,
                as_of.as_deref().unwrap_or("unknown")
            );
            warnings.push(msg.clone());
            input_errors.push(msg);
        }
        None => {
            // No time, or one in the future.
            let msg = format!(
                "the age of the vulnerability database in {} is unknown",
                dir.display()
            );
            warnings.push(msg.clone());
            input_errors.push(msg);
        }
        _ => {}
    }
    let source = format!(
        "the offline database {} ({}; data as of {})",
        dir.display(),
        db.ecosystems().join(", "),
        as_of.as_deref().unwrap_or("unknown")
    );
    let mut result = matcher::scan(&db, &queries);
    let suppressed = vex::apply(vex, &mut result);
    let mut scan = Scan {
        components: queries.len(),
        result,
        suppressed,
        source,
        warnings,
        pins: BTreeMap::new(),
        files: sbom.files.clone(),
        document: None,
        started,
        ended: now(),
    };
    finish(&mut scan, &mut input_errors);
    locate(&mut scan, root, sbom);
    // The process ends soon: freeing thousands of parsed advisories piece by piece is time the
    // OS saves at exit.
    std::mem::forget(db);
    Ok(Scanned { scan, input_errors })
}

fn scan_online(sbom: &Sbom, root: Option<&Path>, vex: &Vex) -> Result<Scanned> {
    let started = now();
    let queries = matcher::queries_from_sbom(sbom);
    let api: Vec<online::Query> = queries
        .iter()
        .filter(|q| q.osv_ecosystem.is_some() && !q.version.is_empty() && !q.name.is_empty())
        .map(|q| {
            (
                q.osv_ecosystem.clone(),
                q.name.clone(),
                api_version(q.osv_ecosystem.as_deref(), &q.version),
                q.purl.clone(),
            )
        })
        .collect();
    let url = online::api_url_from_env();
    let client = online::OsvClient::new(&url, online::default_cache_dir().map(|d| d.join("api")))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let records = client
        .fetch(&api)
        .map_err(|e| anyhow::anyhow!("the OSV API ({url}): {e}"))?;
    let ecosystems: BTreeSet<String> = queries
        .iter()
        .filter_map(|q| q.osv_ecosystem.as_deref())
        .map(|e| base(e).to_owned())
        .collect();
    let fetched = Fetched {
        records,
        ecosystems: ecosystems.into_iter().collect(),
    };
    let mut result = matcher::scan(&fetched, &queries);
    let suppressed = vex::apply(vex, &mut result);
    let mut scan = Scan {
        components: queries.len(),
        result,
        suppressed,
        source: format!("the OSV API ({url})"),
        warnings: Vec::new(),
        pins: BTreeMap::new(),
        files: sbom.files.clone(),
        document: None,
        started,
        ended: now(),
    };
    let mut input_errors = Vec::new();
    finish(&mut scan, &mut input_errors);
    locate(&mut scan, root, sbom);
    Ok(Scanned { scan, input_errors })
}

/// The version as the OSV API expects it: Go versions without their leading `v`.
fn api_version(osv_ecosystem: Option<&str>, version: &str) -> String {
    match osv_ecosystem {
        Some("Go") => version.strip_prefix('v').unwrap_or(version).to_owned(),
        _ => version.to_owned(),
    }
}

/// The lockfile lines that pin the packages with findings (suppressed ones included).
fn locate(scan: &mut Scan, root: Option<&Path>, sbom: &Sbom) {
    let Some(root) = root else { return };
    let purls = scan
        .result
        .findings
        .iter()
        .chain(scan.suppressed.iter().map(|s| &s.finding))
        .map(|f| f.purl.as_str());
    scan.pins = report::pins(root, sbom, purls);
}

/// Nothing checked while there was something to check is an input error, not a pass.
fn finish(scan: &mut Scan, input_errors: &mut Vec<String>) {
    if scan.result.checked == 0 && !scan.result.not_checked.is_empty() {
        input_errors.push(format!(
            "none of the {} component(s) could be checked",
            scan.components
        ));
    }
}

pub fn run(args: ScanArgs) -> Result<Outcome> {
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let mut vex = Vex::default();
    for f in &args.vex {
        vex.extend(Vex::load(f)?);
    }
    let input = input(&args)?;
    let sbom = input.sbom();
    let root = match &input {
        Input::Dir { root, .. } => Some(root.as_path()),
        _ => None,
    };
    let scanned = if args.online {
        scan_online(sbom, root, &vex)?
    } else {
        let dir = db_dir(args.db.as_deref());
        match dir.as_deref() {
            Some(d) if has_db(d) => scan_offline(d, sbom, root, &vex, args.max_db_age)?,
            _ => {
                eprintln!("error: {}", no_db_message(dir.as_deref()));
                return Ok(Outcome::InputError);
            }
        }
    };
    let mut scanned = scanned;
    scanned.scan.document = args
        .sbom
        .as_ref()
        .or(args.image.as_ref())
        .map(|p| p.display().to_string());
    let scan = &scanned.scan;
    let mut out: Vec<u8> = Vec::new();
    report::write(format, scan, Some(sbom), &mut out).context("writing the report")?;
    match &args.output {
        Some(p) => std::fs::write(p, &out).with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .context("writing to standard output")?;
        }
    }
    for e in &sbom.errors {
        eprintln!("error: {e}");
    }
    for m in &sbom.unlocked {
        eprintln!("warning: {m}: manifest without a lockfile; its dependencies were not scanned");
    }
    if format != Format::Text || args.output.is_some() {
        // The text report already says all this on standard output.
        for w in &scan.warnings {
            eprintln!("warning: {w}");
        }
        eprintln!("scan: {}", report::summary_line(scan));
    }
    for e in &scanned.input_errors {
        eprintln!("error: {e}");
    }
    let strict = args.strict && !scan.result.not_checked.is_empty();
    if strict {
        eprintln!(
            "error: --strict: {} component(s) not checked",
            scan.result.not_checked.len()
        );
    }
    if !sbom.errors.is_empty() || !scanned.input_errors.is_empty() || strict {
        return Ok(Outcome::InputError);
    }
    if args.fail_on == "none" {
        return Ok(Outcome::Clean);
    }
    let threshold: Rating = args.fail_on.parse().map_err(anyhow::Error::msg)?;
    let outcome = if report::count_at_least(scan, threshold) > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    // As for the database: large graphs and results are left to the OS at exit.
    std::mem::forget(scanned);
    std::mem::forget(input);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::api_version;

    #[test]
    fn go_versions_are_sent_without_their_v() {
        assert_eq!(api_version(Some("Go"), "v1.2.3"), "1.2.3");
        assert_eq!(api_version(Some("Go"), "1.2.3"), "1.2.3");
        assert_eq!(api_version(Some("npm"), "v1.2.3"), "v1.2.3");
    }
}
