//! The one list of rules. Adding a rule: a new file in `rules/`, a `mod` line in `rules/mod.rs`,
//! and its struct in [`RULES`]; `tests/rule_ids.snap` is the public contract of ids.

use chainproof_core::RuleInfo;

use crate::rules::*;

/// Every rule, in documentation order (one per line).
#[rustfmt::skip]
pub static RULES: &[&dyn Rule] = &[
    &invalid_structure::InvalidStructure,
    &template_injection::TemplateInjection,
];

/// Metadata of every rule.
pub fn infos() -> Vec<RuleInfo> {
    RULES.iter().map(|r| *r.info()).collect()
}

/// A rule by id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.info().id == id)
}
