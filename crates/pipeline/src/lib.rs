//! chainproof's pipeline analysis: GitHub Actions and GitLab CI models with exact spans, the
//! rules, and their fixes. Synchronous and light: the linter's inner loop.

pub mod expr;
pub mod fix;
pub mod github;
pub mod github_flow;
pub mod gitlab;
pub mod gitlab_rules;
pub mod gitlab_taint;
pub mod lint;
pub mod pin;
pub mod registry;
pub mod release;
pub mod rules;
pub mod script;
pub mod suggest;
pub mod taint;
pub mod yaml;

pub use lint::{Lint, LintOptions, lint};
