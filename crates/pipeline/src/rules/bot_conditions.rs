use std::sync::LazyLock;

use chainproof_core::Finding;
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::github::Workflow;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// In workflows triggered by `pull_request_target`, `workflow_run` or `issue_comment`, finds
    /// `if:` conditions that trust a bot by checking who triggered the run:
    /// `github.actor == 'dependabot[bot]'`, `github.triggering_actor`, `github.event.sender.login`,
    /// and `contains` / `startsWith` / `endsWith` variants.
    ///
    /// ## Why is this bad
    /// The actor is whoever caused the latest event, not the author of the pull request. An
    /// attacker can open a pull request from a fork branch that Dependabot (or Renovate, or any
    /// bot) later updates, or have the bot act on it (`@dependabot recreate`), so the event's actor
    /// is the bot while the code is the attacker's. The condition then lets the attacker's code
    /// into a job that auto-merges, approves or runs with secrets.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   automerge:
    ///     if: github.actor == 'dependabot[bot]'
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - run: gh pr merge --auto --squash "$PR_URL"
    /// ```
    ///
    /// ## Use instead
    /// Check the pull request's author, which the attacker cannot change:
    /// ```yaml
    ///     if: github.event.pull_request.user.login == 'dependabot[bot]'
    /// ```
    /// (For `issue_comment`, `github.event.comment.user.login` is the commenter.)
    ///
    /// ## References
    /// - https://www.synacktiv.com/publications/github-actions-exploitation-dependabot
    /// - https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/
    BotConditions {
        id: "bot-conditions",
        title: "spoofable bot check on the event's actor",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

const ACTOR: &str = r"(?:github\s*\.\s*(?:actor|triggering_actor)|github\s*\.\s*event\s*\.\s*sender\s*\.\s*login)\b";

static COMPARISONS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        format!(r"(?i){ACTOR}\s*==\s*'[^']*\[bot\]'"),
        format!(r"(?i)'[^']*\[bot\]'\s*==\s*{ACTOR}"),
        format!(r"(?i)\b(?:contains|startsWith|endsWith)\s*\(\s*{ACTOR}\s*,\s*'[^']*(?:\[bot\]|bot|dependabot|renovate)[^']*'\s*\)"),
        format!(r"(?i)\bcontains\s*\(\s*(?:fromJSON\s*\(\s*'[^']*'\s*\)|'[^']*')\s*,\s*{ACTOR}\s*\)"),
    ]
    .iter()
    .map(|p| Regex::new(p).unwrap_or_else(|e| panic!("bot regex: {e}")))
    .collect()
});

/// The spoofable comparisons in a condition, as written.
fn spoofable(cond: &str) -> Vec<&str> {
    let lower = cond.to_ascii_lowercase();
    // Conditions that also pin the pull request's author are safe.
    if lower.contains("pull_request.user.login") || lower.contains("comment.user.login") {
        return Vec::new();
    }
    let mut hits: Vec<(usize, &str)> = Vec::new();
    for re in COMPARISONS.iter() {
        for m in re.find_iter(cond) {
            // `contains(list, github.actor)` must list a bot.
            if m.as_str().to_ascii_lowercase().starts_with("contains")
                && !m.as_str().to_ascii_lowercase().contains("bot")
            {
                continue;
            }
            if !hits
                .iter()
                .any(|(s, t)| *s <= m.start() && m.start() < s + t.len())
            {
                hits.push((m.start(), m.as_str()));
            }
        }
    }
    hits.sort_unstable();
    hits.into_iter().map(|(_, t)| t).collect()
}

impl BotConditions {
    fn check(&self, cx: &Cx<'_, '_>, node: &Node, trigger: &str, out: &mut Vec<Finding>) {
        let Some(cond) = node.get("if") else { return };
        let Some(text) = cond.as_str() else { return };
        let instead = match trigger {
            "issue_comment" => "`github.event.comment.user.login` (the commenter)",
            "workflow_run" => "the author of the pull request the triggering run was for",
            _ => "`github.event.pull_request.user.login` (the pull request's author)",
        };
        let mut seen: Vec<&str> = Vec::new();
        for hit in spoofable(text) {
            let nth = seen.iter().filter(|s| **s == hit).count();
            seen.push(hit);
            out.push(cx.finding(
                &Self::INFO,
                cx.locate(cond, hit, nth),
                "the actor is whoever caused the latest event",
                format!(
                    "`{hit}` only checks who triggered this `{trigger}` run, and an attacker can get a bot to trigger it on their own changes (for example by having Dependabot update a branch of their fork); check {instead} instead"
                ),
            ));
        }
    }
}

impl Rule for BotConditions {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let Some(trigger) = wf
            .privileged_triggers(&cx.repo.workflows)
            .first()
            .map(|t| t.name)
        else {
            return;
        };
        for job in &wf.jobs {
            self.check(cx, job.node, trigger, out);
            for step in &job.steps {
                self.check(cx, step.node, trigger, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::spoofable;

    #[test]
    fn spoofable_checks() {
        assert_eq!(
            spoofable("github.actor == 'dependabot[bot]'"),
            vec!["github.actor == 'dependabot[bot]'"]
        );
        assert_eq!(
            spoofable("${{ 'renovate[bot]' == github.triggering_actor && success() }}"),
            vec!["'renovate[bot]' == github.triggering_actor"]
        );
        assert_eq!(
            spoofable("endsWith(github.actor, '[bot]')"),
            vec!["endsWith(github.actor, '[bot]')"]
        );
        assert_eq!(
            spoofable(
                "contains(fromJSON('[\"dependabot[bot]\", \"renovate[bot]\"]'), github.actor)"
            )
            .len(),
            1
        );
        assert_eq!(
            spoofable("GitHub.Actor == 'Dependabot[bot]'").len(),
            1,
            "expressions are case-insensitive"
        );
        assert!(spoofable("github.actor != 'dependabot[bot]'").is_empty());
        assert!(spoofable("github.actor == 'octocat'").is_empty());
        assert!(spoofable("github.event.pull_request.user.login == 'dependabot[bot]'").is_empty());
        assert!(spoofable(
            "github.actor == 'dependabot[bot]' && github.event.pull_request.user.login == 'dependabot[bot]'"
        )
        .is_empty());
        assert!(spoofable("contains(fromJSON('[\"alice\", \"bob\"]'), github.actor)").is_empty());
    }
}
