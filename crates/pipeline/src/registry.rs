//! The one list of rules. Adding a rule: a new file in `rules/`, a `mod` line in `rules/mod.rs`,
//! and its struct in [`RULES`]; `tests/rule_ids.snap` is the public contract of ids.

use chainproof_core::RuleInfo;

use crate::rules::*;

/// Every rule, in documentation order (one per line).
#[rustfmt::skip]
pub static RULES: &[&dyn Rule] = &[
    &invalid_structure::InvalidStructure,
    &template_injection::TemplateInjection,
    &unknown_key::UnknownKey,
    &invalid_needs::InvalidNeeds,
    &expression_syntax::ExpressionSyntax,
    &undefined_reference::UndefinedReference,
    &invalid_cron::InvalidCron,
    &missing_required_input::MissingRequiredInput,
    &unpinned_uses::UnpinnedUses,
    &unpinned_images::UnpinnedImages,
    &known_vulnerable_actions::KnownVulnerableActions,
    &typosquat_uses::TyposquatUses,
    &archived_uses::ArchivedUses,
    &dangerous_triggers::DangerousTriggers,
    &untrusted_checkout::UntrustedCheckout,
    &artifact_poisoning::ArtifactPoisoning,
    &excessive_permissions::ExcessivePermissions,
    &persisted_git_credentials::PersistedGitCredentials,
    &bot_conditions::BotConditions,
    &unsound_condition::UnsoundCondition,
    &unpinned_includes::UnpinnedIncludes,
    &merge_request_secrets::MergeRequestSecrets,
    &unprotected_deploy_gate::UnprotectedDeployGate,
    &unsigned_release::UnsignedRelease,
    &job_token_leak::JobTokenLeak,
    &artifacts_exposure::ArtifactsExposure,
    &dind_service::DindService,
    &remote_script_exec::RemoteScriptExec,
    &unpinned_install::UnpinnedInstall,
    &secrets_in_logs::SecretsInLogs,
    &hardcoded_credentials::HardcodedCredentials,
    &insecure_commands::InsecureCommands,
    &secrets_inherit::SecretsInherit,
    &overprovisioned_secrets::OverprovisionedSecrets,
    &self_hosted_runner::SelfHostedRunner,
    &cache_poisoning::CachePoisoning,
    &env_injection::EnvInjection,
    &shell_injection::ShellInjection,
];

/// Metadata of every rule.
pub fn infos() -> Vec<RuleInfo> {
    RULES.iter().map(|r| *r.info()).collect()
}

/// A rule by id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.info().id == id)
}
