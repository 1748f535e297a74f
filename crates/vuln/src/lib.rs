//! Known vulnerabilities from OSV (<https://ossf.github.io/osv-schema/>).
//!
//! - [`version`]: each ecosystem's version ordering (SemVer, PEP 440, Go, Maven, RubyGems, NuGet,
//!   Packagist, Debian, Alpine, ...); an unknown ecosystem is reported, never guessed.
//!
//! Data flow of `chainproof scan`: SBOM components -> OSV ecosystem + name + version -> the
//! advisories of that package in the database (offline `all.zip` exports with an index, or the OSV
//! API) -> exact OSV range matching -> findings with severity, aliases merged, fixed versions ->
//! VEX suppressions -> a writer. What could not be checked is listed, never reported as clean.

pub mod online;
#[cfg(test)]
mod test_http;
pub mod update;
pub mod version;

pub mod db;
pub mod ecosystem;
pub mod matcher;
pub mod osv;
pub mod severity;

pub use db::{CacheLocation, Db, DbError};
pub use matcher::{Advisories, Finding, NotChecked, Query, ScanResult, queries_from_sbom, scan};
pub use osv::Vulnerability;
pub use severity::{Rating, Severity};
pub mod report;
pub mod vex;
