use chainproof_core::{Finding, Severity};

use super::{Cx, Rule, declare_rule};
use crate::github::Workflow;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Reports the triggers that run a workflow in the base repository's privileged context on
    /// events outsiders can cause: `pull_request_target`, `workflow_run` and `issue_comment`.
    ///
    /// `workflow_run` is reported only when a workflow it follows can be started by outsiders (a
    /// `pull_request`, `issues`, comment... trigger) or is not in the repository.
    ///
    /// This is a risk marker, not a vulnerability by itself: `untrusted-checkout`,
    /// `artifact-poisoning`, `template-injection` and `bot-conditions` report the exploitable
    /// patterns. Severity is **medium** when the workflow checks out code or uses secrets, **low**
    /// when it does neither (labelling or commenting with the default token).
    ///
    /// ## Why is this bad
    /// These events run the workflow file of the default branch with the repository's secrets and
    /// (unless `permissions:` says otherwise) a read-write `GITHUB_TOKEN`, even when a fork's pull
    /// request, a comment, or a run started by a fork triggered them. Any step that touches the
    /// fork's code, artifacts or text in an unsafe way hands those privileges to the attacker
    /// ("pwn request").
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - uses: actions/checkout@v4
    ///         with:
    ///           ref: ${{ github.event.pull_request.head.sha }}
    ///       - run: npm test
    /// ```
    ///
    /// ## Use instead
    /// Build and test fork code on `pull_request` (no secrets, read-only token). If a privileged
    /// follow-up is needed (commenting, labelling), keep it in a separate job or `workflow_run`
    /// workflow that never runs the fork's code, with minimal `permissions:`.
    ///
    /// ## References
    /// - https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/
    /// - https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#pull_request_target
    DangerousTriggers {
        id: "dangerous-triggers",
        title: "privileged trigger that outsiders can start",
        severity: Medium,
        confidence: Medium,
        platforms: ["github"],
        fixable: false,
    }
}

/// Whether any step of the workflow checks out code (the action, or git/gh in a script).
fn checks_out(wf: &Workflow<'_>) -> bool {
    wf.jobs.iter().flat_map(|j| &j.steps).any(|s| {
        s.uses_action("actions/checkout")
            || s.run().and_then(Node::as_str).is_some_and(|r| {
                [
                    "git clone",
                    "git checkout",
                    "git fetch",
                    "git pull",
                    "git switch",
                    "gh pr checkout",
                    "gh repo clone",
                ]
                .iter()
                .any(|c| r.contains(c))
            })
    })
}

/// Whether the workflow references secrets other than the implicit `GITHUB_TOKEN`.
fn uses_secrets(wf: &Workflow<'_>) -> bool {
    let mut found = false;
    let Some(jobs) = wf.root.get("jobs") else {
        return false;
    };
    let mut check = |n: &Node| {
        if let Some(s) = n.as_str() {
            let lower = s.to_ascii_lowercase();
            if lower
                .match_indices("secrets.")
                .any(|(i, _)| !lower[i + "secrets.".len()..].starts_with("github_token"))
                || lower.contains("secrets[")
            {
                found = true;
            }
        }
    };
    jobs.walk(&mut check);
    if let Some(env) = wf.root.get("env") {
        env.walk(&mut check);
    }
    found
        || wf
            .jobs
            .iter()
            .any(|j| j.node.get("secrets").and_then(Node::as_str) == Some("inherit"))
}

impl Rule for DangerousTriggers {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let triggers = wf.privileged_triggers(&cx.repo.workflows);
        if triggers.is_empty() {
            return;
        }
        let checkout = checks_out(wf);
        let secrets = uses_secrets(wf);
        let severity = if checkout || secrets {
            Severity::Medium
        } else {
            Severity::Low
        };
        let uses = match (checkout, secrets) {
            (true, true) => "; this workflow checks out code and uses secrets",
            (true, false) => "; this workflow checks out code",
            (false, true) => "; this workflow uses secrets",
            (false, false) => "",
        };
        for t in triggers {
            let who = match t.name {
                "pull_request_target" => "a pull request from any fork",
                "workflow_run" => {
                    "a run of another workflow, which a fork's pull request may have started"
                }
                _ => "a comment by anyone who can comment on an issue or pull request",
            };
            out.push(
                cx.finding(
                    &Self::INFO,
                    t.node.span,
                    "privileged trigger",
                    format!(
                        "`{}` runs with this repository's secrets and a token that may be read-write, on events caused by {who}{uses}",
                        t.name
                    ),
                )
                .severity(severity),
            );
        }
    }
}
