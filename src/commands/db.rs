//! `chainproof db update`: download OSV's per-ecosystem exports into the offline database
//! directory (`--db`, `$CHAINPROOF_DB`, or `~/.cache/chainproof/osv`).

use anyhow::{Result, anyhow};
use chainproof_vuln::update::{self, UpdateStatus};

use super::scan::db_dir;
use crate::Outcome;
use crate::cli::{DbArgs, DbCommand};

/// The ecosystems downloaded when none is named: those of the lockfiles chainproof reads.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "crates.io",
    "npm",
    "PyPI",
    "Go",
    "Maven",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Pub",
    "Hex",
    "SwiftURL",
];

pub fn run(args: DbArgs) -> Result<Outcome> {
    match args.command {
        DbCommand::Update(args) => {
            let dir = db_dir(args.db.as_deref()).ok_or_else(|| {
                anyhow!("no cache directory ($HOME unset): pass --db DIR or set $CHAINPROOF_DB")
            })?;
            let ecosystems: Vec<String> = if args.ecosystems.is_empty() {
                DEFAULT_ECOSYSTEMS.iter().map(|e| (*e).to_owned()).collect()
            } else {
                args.ecosystems
            };
            std::fs::create_dir_all(&dir)
                .map_err(|e| anyhow!("{}: cannot create: {e}", dir.display()))?;
            let outcomes = update::update(&dir, &ecosystems, &update::export_url_from_env(), true)?;
            for o in &outcomes {
                match &o.status {
                    UpdateStatus::Downloaded { bytes } => eprintln!(
                        "{}: downloaded {} ({bytes} bytes)",
                        o.ecosystem,
                        o.path.display()
                    ),
                    UpdateStatus::NotModified => {
                        eprintln!("{}: {} is up to date", o.ecosystem, o.path.display())
                    }
                }
            }
            eprintln!("database: {}", dir.display());
            Ok(Outcome::Clean)
        }
    }
}
