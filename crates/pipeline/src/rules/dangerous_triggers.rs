use chainproof_core::{Finding, Severity};

use super::{Cx, Rule, declare_rule};
use crate::expr::{context_refs, find_exprs};
use crate::github::Workflow;
use crate::github_flow::is_head_context;
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
    /// patterns. Severity is **medium** when the workflow checks out code (its own, the pull
    /// request's, or a ref chosen at run time) or uses secrets, **low** when it does neither
    /// (labelling or commenting with the default token, or checking out only another repository
    /// at a fixed ref). The message says what is checked out.
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

/// What a workflow's steps check out, worst first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Checkout {
    /// The pull request's or triggering run's code: `(context or command)`.
    Head(String),
    /// A ref chosen by an expression chainproof cannot follow here, or a `git` command.
    Chosen(String),
    /// This repository's own code (the default ref of `actions/checkout`).
    Base,
    /// Another repository at a fixed ref: not the pull request's code.
    Fixed(String),
}

impl Checkout {
    /// Whether it can bring code other than a fixed, reviewed one into the workflow.
    fn counts(&self) -> bool {
        !matches!(self, Checkout::Fixed(_))
    }

    fn describe(&self) -> String {
        match self {
            Checkout::Head(what) if what.contains("workflow_run") => {
                format!("checks out the triggering run's code (`{what}`)")
            }
            Checkout::Head(what) => format!("checks out the pull request's code (`{what}`)"),
            Checkout::Chosen(what) => format!("checks out code chosen by `{what}`"),
            Checkout::Base => "checks out this repository's own code".into(),
            Checkout::Fixed(repo) => format!("checks out only `{repo}`, a fixed repository"),
        }
    }
}

/// The head context an expression text names, or its first expression when it names another.
fn expression_in(text: &str) -> Option<Checkout> {
    let exprs = find_exprs(text);
    for e in &exprs {
        if let Some(r) = context_refs(e.inner)
            .into_iter()
            .find(|r| is_head_context(r))
        {
            return Some(Checkout::Head(r));
        }
    }
    if text.contains("refs/pull/") {
        return Some(Checkout::Head("refs/pull/…".into()));
    }
    let first = exprs.first()?;
    let refs = context_refs(first.inner);
    // The base repository and the commit the event is about are this repository's own code.
    let own = !refs.is_empty()
        && refs.iter().all(|r| {
            matches!(
                r.as_str(),
                "github.repository"
                    | "github.sha"
                    | "github.ref"
                    | "github.ref_name"
                    | "github.base_ref"
                    | "github.event.repository.full_name"
                    | "github.event.repository.default_branch"
                    | "github.event.pull_request.base.sha"
                    | "github.event.pull_request.base.ref"
                    | "github.event.pull_request.base.repo.full_name"
            )
        });
    Some(if own {
        Checkout::Base
    } else {
        Checkout::Chosen(first.raw(text).to_owned())
    })
}

/// What the workflow's steps check out (`actions/checkout`, or git/gh in a script).
fn checkouts(wf: &Workflow<'_>) -> Vec<Checkout> {
    let mut out = Vec::new();
    for s in wf.jobs.iter().flat_map(|j| &j.steps) {
        if s.uses_action("actions/checkout") {
            let text = |k: &str| s.with(k).and_then(Node::as_str).map(str::trim);
            let (repo, git_ref) = (text("repository"), text("ref"));
            let pull_ref = git_ref
                .filter(|r| r.starts_with("refs/pull/") && r.len() <= 80)
                .map(|r| Checkout::Head(r.to_owned()));
            let by_expr = pull_ref.or_else(|| {
                [repo, git_ref]
                    .into_iter()
                    .flatten()
                    .find_map(expression_in)
            });
            out.push(match (by_expr, repo) {
                (Some(Checkout::Base), Some(r)) if !r.contains("${{") => {
                    Checkout::Fixed(r.to_owned())
                }
                (Some(c), _) => c,
                (None, Some(r)) if !r.is_empty() => Checkout::Fixed(r.to_owned()),
                (None, _) => Checkout::Base,
            });
            continue;
        }
        let Some(run) = s.run().and_then(Node::as_str) else {
            continue;
        };
        if run.contains("gh pr checkout") {
            out.push(Checkout::Head("gh pr checkout".into()));
            continue;
        }
        let git = [
            "git clone",
            "git checkout",
            "git fetch",
            "git pull",
            "git switch",
            "gh repo clone",
        ];
        if let Some(cmd) = git.iter().find(|c| run.contains(**c)) {
            let head = run.contains("GITHUB_HEAD_REF")
                || run.contains("refs/pull/")
                || run.contains("pull/${{");
            out.push(match expression_in(run) {
                Some(Checkout::Head(h)) => Checkout::Head(h),
                _ if head => Checkout::Head((*cmd).to_owned()),
                _ => Checkout::Chosen((*cmd).to_owned()),
            });
        }
    }
    out.sort();
    out.dedup();
    out
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
        let checkouts = checkouts(wf);
        let checkout = checkouts.iter().any(Checkout::counts);
        let secrets = uses_secrets(wf);
        let severity = if checkout || secrets {
            Severity::Medium
        } else {
            Severity::Low
        };
        // The worst checkout (a fixed repository only when it is all there is).
        let what = checkouts.first().map(Checkout::describe);
        let uses = match (what, secrets) {
            (Some(w), true) => format!("; this workflow {w} and uses secrets"),
            (Some(w), false) => format!("; this workflow {w}"),
            (None, true) => "; this workflow uses secrets".to_owned(),
            (None, false) => String::new(),
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

#[cfg(test)]
mod tests {
    use super::{Checkout, expression_in};

    #[test]
    fn checkout_refs() {
        assert_eq!(
            expression_in("${{ github.event.pull_request.head.sha }}"),
            Some(Checkout::Head("github.event.pull_request.head.sha".into()))
        );
        assert_eq!(
            expression_in("${{ github.repository }}"),
            Some(Checkout::Base)
        );
        assert_eq!(
            expression_in("${{ github.event.pull_request.base.sha }}"),
            Some(Checkout::Base)
        );
        assert_eq!(
            expression_in("${{ steps.pr.outputs.sha }}"),
            Some(Checkout::Chosen("${{ steps.pr.outputs.sha }}".into()))
        );
        assert_eq!(expression_in("v2.3.0"), None);
        assert!(Checkout::Head(String::new()) < Checkout::Fixed(String::new()));
        assert!(!Checkout::Fixed("acme/tools".into()).counts());
    }
}
