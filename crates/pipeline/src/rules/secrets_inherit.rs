use chainproof_core::{Finding, Severity};

use super::{Cx, Rule, declare_rule};
use crate::github::{Uses, Workflow};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds calls of reusable workflows with `secrets: inherit`. For a reusable workflow in this
    /// repository, the message lists the secrets it declares, which are the ones to pass.
    ///
    /// ## Why is this bad
    /// `inherit` hands the called workflow every secret the caller can read, repository,
    /// environment and organization secrets alike, whether it needs them or not. A compromise of
    /// the called workflow (a moved tag, a malicious update, an injection bug in it) then leaks
    /// all of them, and nobody reviewing the caller can tell which secrets it really uses.
    /// Calls of workflows in the same repository are reported at low severity: they change
    /// under the same review.
    ///
    /// ## Example
    /// ```yaml
    /// jobs:
    ///   release:
    ///     uses: org/shared/.github/workflows/release.yml@v2
    ///     secrets: inherit
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// jobs:
    ///   release:
    ///     uses: org/shared/.github/workflows/release.yml@0123456789abcdef0123456789abcdef01234567 # v2.1.0
    ///     secrets:
    ///       npm-token: ${{ secrets.NPM_TOKEN }}
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/sharing-automations/reusing-workflows#passing-secrets-to-nested-workflows
    SecretsInherit {
        id: "secrets-inherit",
        title: "every secret passed to a reusable workflow",
        severity: Medium,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

impl Rule for SecretsInherit {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        for job in &wf.jobs {
            let Some(uses) = job.uses().and_then(Node::as_str) else {
                continue;
            };
            let Some(inherit) = job.node.get("secrets") else {
                continue;
            };
            if inherit.as_str().map(str::trim) != Some("inherit") {
                continue;
            }
            let local = match Uses::parse(uses) {
                Some(Uses::Local(p)) => cx.repo.local_workflow_in(wf.repo, p),
                _ => None,
            };
            let mut f = cx.finding(
                &Self::INFO,
                inherit.span,
                "passes every secret",
                format!(
                    "job `{}` passes every secret it can read to `{uses}`, which can use or leak any of them",
                    job.id
                ),
            );
            if Uses::parse(uses).is_some_and(|u| matches!(u, Uses::Local(_))) {
                f = f.severity(Severity::Low);
            }
            if let Some(callee) = local {
                let declared = callee
                    .trigger("workflow_call")
                    .and_then(|t| t.config)
                    .and_then(|c| c.get("secrets"));
                let names: Vec<String> = declared
                    .map(|d| {
                        d.entries()
                            .iter()
                            .filter_map(|(k, _)| k.as_str().map(|n| format!("`{n}`")))
                            .collect()
                    })
                    .unwrap_or_default();
                f.message.push_str(&if names.is_empty() {
                    "; it declares no secrets, so `secrets: inherit` can simply be removed"
                        .to_owned()
                } else {
                    format!(
                        "; it declares only {}, so pass those explicitly",
                        names.join(", ")
                    )
                });
                if let Some(d) = declared {
                    f = f.related(cx.loc(d.span, "the secrets it declares"));
                }
            }
            out.push(f);
        }
    }
}
