use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::gitlab::{GlJob, Pipeline};
use crate::gitlab_rules::{
    MrClass, classify, deploy_environment, disjuncts, is_review_environment,
};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds GitLab deploy jobs (an `environment:` that is deployed to, or a `deploy`/`release`
    /// stage) whose only gate is the *name* of the branch:
    ///
    /// - a regular expression on the branch name (`$CI_COMMIT_BRANCH =~ /^release/`,
    ///   `$CI_COMMIT_REF_NAME =~ /^v\d/`, `only: [/^release-.*$/]`), which any branch someone
    ///   pushes can match;
    /// - an exact name compared through a variable that, in merge-request pipelines, holds the
    ///   *source* branch (`$CI_COMMIT_REF_NAME == "main"`, `$CI_COMMIT_REF_SLUG`,
    ///   `$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`), so a fork's `main` branch matches.
    ///
    /// A condition that also requires `$CI_COMMIT_REF_PROTECTED == "true"` (in the same `if:`,
    /// or through an earlier `when: never` rule for unprotected refs) is fine, and so is an exact
    /// `$CI_COMMIT_BRANCH == "main"` (that variable is not set in merge-request pipelines).
    ///
    /// ## Why is this bad
    /// Branch names are not an access control: anyone with the Developer role can push
    /// `release-anything`, and fork branches can be called anything. What protects a deployment
    /// is a protected branch plus protected variables and a protected environment; a job gated on
    /// the name runs its deploy script for unprotected refs too, with whatever unprotected
    /// credentials and runners it can reach.
    ///
    /// ## Example
    /// ```yaml
    /// deploy:
    ///   environment: production
    ///   rules:
    ///     - if: $CI_COMMIT_BRANCH =~ /^release\//
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// deploy:
    ///   environment: production
    ///   rules:
    ///     - if: $CI_COMMIT_BRANCH =~ /^release\// && $CI_COMMIT_REF_PROTECTED == "true"
    /// ```
    /// and protect the `release/*` branches, the deploy variables and the environment.
    ///
    /// ## References
    /// - https://docs.gitlab.com/ci/variables/predefined_variables/
    /// - https://docs.gitlab.com/user/project/repository/branches/protected/
    /// - https://docs.gitlab.com/ci/environments/protected_environments/
    UnprotectedDeployGate {
        id: "unprotected-deploy-gate",
        title: "deploy job gated on a branch name instead of a protected ref",
        severity: Medium,
        confidence: Medium,
        platforms: ["gitlab"],
        fixable: false,
    }
}

static REF_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\$\{?(CI_COMMIT_BRANCH|CI_COMMIT_REF_NAME|CI_COMMIT_REF_SLUG|CI_MERGE_REQUEST_SOURCE_BRANCH_NAME)\}?\s*(==|=~|!=|!~)",
    )
    .unwrap_or_else(|e| panic!("ref regex: {e}"))
});

/// What is weak about one `&&` operand, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Weak {
    /// A regex on a branch name.
    Regex(String),
    /// An exact name of a variable that holds the source branch in merge-request pipelines.
    MrName(String),
}

pub(crate) fn weak_operand(c: &str) -> Option<Weak> {
    let m = REF_VAR.captures(c)?;
    let var = m.get(1)?.as_str();
    match m.get(2)?.as_str() {
        "=~" => Some(Weak::Regex(var.to_owned())),
        "==" if var != "CI_COMMIT_BRANCH" => Some(Weak::MrName(var.to_owned())),
        _ => None,
    }
}

fn protected(c: &str) -> bool {
    c.contains("CI_COMMIT_REF_PROTECTED") && !c.contains("!=") && !c.contains("false")
}

/// Whether merge-request pipelines can exist for this job (workflow rules allow them, or there
/// are no workflow rules, in which case the job's own rule creates them).
fn mr_pipelines_possible(pipeline: &Pipeline) -> bool {
    match pipeline.config.path(&["workflow", "rules"]) {
        None => true,
        Some(rules) => rules.items().iter().any(|r| {
            let when = r.get("when").and_then(Node::as_str).unwrap_or("always");
            when != "never" && classify(r.get("if").and_then(Node::as_str)) != MrClass::Never
        }),
    }
}

fn is_deploy_job(job: &GlJob) -> bool {
    if let Some((_, name)) = deploy_environment(job) {
        return !is_review_environment(name);
    }
    job.node
        .get("stage")
        .and_then(Node::as_str)
        .is_some_and(|s| matches!(s, "deploy" | "release" | "production" | "publish"))
}

impl Rule for UnprotectedDeployGate {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn gitlab_job(
        &self,
        cx: &Cx<'_, '_>,
        pipeline: &Pipeline,
        job: &GlJob,
        out: &mut Vec<Finding>,
    ) {
        if job.hidden || !is_deploy_job(job) {
            return;
        }
        let what = match deploy_environment(job) {
            Some((_, name)) => format!("deploy job `{}` (environment `{name}`)", job.name),
            None => format!("deploy job `{}`", job.name),
        };
        if let Some(rules) = job.node.get("rules") {
            for item in rules.items() {
                let Some(cond_node) = item.get("if") else {
                    continue;
                };
                let Some(cond) = cond_node.as_str() else {
                    continue;
                };
                let when = item
                    .get("when")
                    .and_then(Node::as_str)
                    .unwrap_or("on_success");
                if when == "never" {
                    // `- if: $CI_COMMIT_REF_PROTECTED != "true"` + `when: never` guards the rest.
                    if cond.contains("CI_COMMIT_REF_PROTECTED") {
                        return;
                    }
                    continue;
                }
                for d in disjuncts(cond) {
                    if d.iter().any(|c| protected(c)) {
                        continue;
                    }
                    let Some((operand, weak)) =
                        d.iter().find_map(|c| weak_operand(c).map(|w| (*c, w)))
                    else {
                        continue;
                    };
                    let message = match &weak {
                        Weak::Regex(var) => format!(
                            "{what} runs when `${var}` matches a pattern, and any branch someone pushes can match it; also require `$CI_COMMIT_REF_PROTECTED == \"true\"`"
                        ),
                        Weak::MrName(var) => {
                            let mr_ok = d.iter().all(|c| classify(Some(c)) != MrClass::Never);
                            if !mr_ok || !mr_pipelines_possible(pipeline) {
                                continue;
                            }
                            format!(
                                "{what} is gated on `${var}`, which in merge-request pipelines is the source branch's name (a fork can name its branch the same); require `$CI_COMMIT_REF_PROTECTED == \"true\"` or compare `$CI_COMMIT_BRANCH`"
                            )
                        }
                    };
                    out.push(
                        cx.finding(
                            &Self::INFO,
                            cx.locate(cond_node, operand, 0),
                            "branch-name gate",
                            message,
                        )
                        .confidence(Confidence::Medium),
                    );
                    break;
                }
            }
            return;
        }
        // `only: [/^release-.*$/]` or `only: {refs: [...]}`.
        let Some(only) = job.node.get("only") else {
            return;
        };
        let refs = if only.is_map() {
            only.get("refs").map(Node::items).unwrap_or_default()
        } else {
            only.items()
        };
        for r in refs {
            let Some(text) = r.as_str() else { continue };
            // `/^release-.*$/` or `/^release-.*$/@group/project`; `//@group/project` (an empty
            // pattern) only restricts the project.
            let pattern = text.split_once("/@").map_or(text, |(p, _)| p);
            let pattern = pattern.strip_prefix('/').map(|p| p.trim_end_matches('/'));
            if pattern.is_some_and(|p| !p.is_empty())
                && (text.ends_with('/') || text.contains("/@"))
            {
                out.push(cx.finding(
                    &Self::INFO,
                    r.span,
                    "branch-name gate",
                    format!(
                        "{what} runs for every ref matching `{text}`, and any branch someone pushes can match it; use `rules:` with `$CI_COMMIT_REF_PROTECTED == \"true\"`"
                    ),
                ));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_operands() {
        assert_eq!(
            weak_operand("$CI_COMMIT_BRANCH =~ /^release/"),
            Some(Weak::Regex("CI_COMMIT_BRANCH".into()))
        );
        assert_eq!(
            weak_operand("$CI_COMMIT_REF_NAME == \"main\""),
            Some(Weak::MrName("CI_COMMIT_REF_NAME".into()))
        );
        assert_eq!(weak_operand("$CI_COMMIT_BRANCH == \"main\""), None);
        assert_eq!(
            weak_operand("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"),
            None
        );
        assert_eq!(weak_operand("$CI_COMMIT_TAG =~ /^v/"), None);
        assert!(protected("$CI_COMMIT_REF_PROTECTED == \"true\""));
        assert!(protected("$CI_COMMIT_REF_PROTECTED"));
        assert!(!protected("$CI_COMMIT_REF_PROTECTED == \"false\""));
    }
}
