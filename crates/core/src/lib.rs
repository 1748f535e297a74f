//! The shared core of chainproof: findings with exact source spans, severities, the report every
//! capability fills in, the user's `chainproof.yml`, and the writers behind `--format`.
//!
//! This crate stays synchronous and light: it is the inner loop of every command.

pub mod config;
pub mod finding;
pub mod glob;
pub mod output;
pub mod report;
pub mod source;

pub use config::Config;
pub use finding::{Confidence, Edit, Finding, Fix, Location, RuleInfo, Severity};
pub use report::{InputError, Report, Skipped, Summary};
pub use source::{Pos, SourceFile, SourceMap, Span};

/// Version of the JSON report format (`--format json`); bumped on breaking changes.
pub const REPORT_VERSION: u32 = 1;

/// Version of chainproof itself, for reports and SARIF `tool.driver.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
