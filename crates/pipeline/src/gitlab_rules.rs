//! When GitLab jobs run: `workflow:rules` and a job's `rules:`/`only:`/`except:` evaluated
//! first-match for merge-request pipelines (which run the merge request's code, possibly from a
//! fork), and which environments a job deploys to.

use std::sync::LazyLock;

use chainproof_core::Span;
use regex::Regex;

use crate::gitlab::{GlJob, Pipeline};
use crate::yaml::Node;

/// How a condition relates to merge-request pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MrClass {
    /// False in every merge-request pipeline (`$CI_COMMIT_BRANCH`, `$CI_COMMIT_TAG`, another
    /// `$CI_PIPELINE_SOURCE`, `$CI_COMMIT_REF_PROTECTED == "true"`).
    Never,
    /// True in merge-request pipelines an attacker can create (`merge_request_event`,
    /// `$CI_MERGE_REQUEST_*`), or no condition at all.
    Attacker,
    /// Depends on something else (a project variable, the source branch's name...).
    Maybe,
}

static VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?").unwrap_or_else(|e| panic!("var regex: {e}"))
});

/// Classify one `&&` operand of a rules `if:`.
fn classify_conjunct(c: &str) -> MrClass {
    let c = c.trim().trim_matches(|ch| ch == '(' || ch == ')').trim();
    let lower = c.to_ascii_lowercase();
    let negated = lower.contains("!=") || lower.contains("!~") || lower.starts_with('!');
    let null_check = lower.contains("null") || lower.contains("\"\"") || lower.contains("''");
    let var = VAR
        .captures(c)
        .and_then(|m| m.get(1))
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    if lower.contains("merge_request_event") {
        return if negated {
            MrClass::Never
        } else {
            MrClass::Attacker
        };
    }
    match var.as_str() {
        "CI_PIPELINE_SOURCE" => {
            if negated {
                MrClass::Attacker
            } else {
                MrClass::Never
            }
        }
        v if v.starts_with("CI_MERGE_REQUEST_") => {
            // `$CI_MERGE_REQUEST_IID == null` and `!$CI_MERGE_REQUEST_IID` mean "not an MR".
            if (null_check && !negated) || lower.starts_with('!') {
                MrClass::Never
            } else {
                MrClass::Attacker
            }
        }
        "CI_COMMIT_BRANCH" | "CI_COMMIT_TAG" if !negated && !null_check => MrClass::Never,
        "CI_COMMIT_REF_PROTECTED" => {
            let truthy = lower.contains("true") || !lower.contains("==");
            if truthy && !negated {
                MrClass::Never
            } else {
                MrClass::Maybe
            }
        }
        _ => MrClass::Maybe,
    }
}

/// Split a rules condition into `||` alternatives of `&&` operands (parentheses are ignored,
/// which is conservative for the conditions people write).
pub fn disjuncts(cond: &str) -> Vec<Vec<&str>> {
    cond.split("||")
        .map(|d| {
            d.split("&&")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect()
}

/// Classify a whole `if:` condition (`None`: a rule without `if:`).
pub fn classify(cond: Option<&str>) -> MrClass {
    let Some(cond) = cond.filter(|c| !c.trim().is_empty()) else {
        return MrClass::Attacker;
    };
    let mut any_maybe = false;
    for d in disjuncts(cond) {
        let classes: Vec<MrClass> = d.iter().map(|c| classify_conjunct(c)).collect();
        if classes.contains(&MrClass::Never) {
            continue;
        }
        // `merge_request_event && $CI_MERGE_REQUEST_TARGET_BRANCH_NAME == "main"` and the like:
        // an MR-only condition with further operands still matches MRs an attacker opens.
        if classes.is_empty() || classes.contains(&MrClass::Attacker) {
            return MrClass::Attacker;
        }
        any_maybe = true;
    }
    if any_maybe {
        MrClass::Maybe
    } else {
        MrClass::Never
    }
}

/// Why a job runs in merge-request pipelines.
#[derive(Debug, Clone)]
pub struct MrReach {
    /// The rule (or `only:` entry, or workflow rule) that lets it.
    pub span: Span,
}

enum RulesOutcome<'n> {
    Runs(&'n Node),
    Excluded,
    NoMatch,
}

/// First-match evaluation of a `rules:` list for a merge-request pipeline an attacker opens.
fn evaluate(rules: &Node) -> RulesOutcome<'_> {
    for item in rules.items() {
        if !item.is_map() {
            continue;
        }
        let cond = item.get("if").and_then(Node::as_str);
        let when = item
            .get("when")
            .and_then(Node::as_str)
            .unwrap_or("on_success");
        match classify(cond) {
            MrClass::Never => {}
            MrClass::Attacker if when == "never" => {
                // Only an unconditional exclusion of MR pipelines stops the evaluation for all of them.
                let simple = cond.is_none_or(|c| !c.contains("&&") && !c.contains("||"));
                if simple {
                    return RulesOutcome::Excluded;
                }
            }
            MrClass::Attacker => return RulesOutcome::Runs(item),
            MrClass::Maybe => {}
        }
    }
    RulesOutcome::NoMatch
}

fn mentions_merge_requests(n: &Node) -> Option<&Node> {
    let mut found = None;
    n.walk(&mut |x| {
        if found.is_none() && x.as_str() == Some("merge_requests") {
            found = Some(x);
        }
    });
    found
}

/// Whether (and why) `job` can run in a merge-request pipeline of `pipeline`.
pub fn merge_request_reach(job: &GlJob, pipeline: &Pipeline) -> Option<MrReach> {
    let workflow = match pipeline.config.path(&["workflow", "rules"]) {
        Some(rules) => match evaluate(rules) {
            RulesOutcome::Runs(item) => Some(item),
            RulesOutcome::Excluded | RulesOutcome::NoMatch => return None,
        },
        None => None,
    };
    if let Some(rules) = job.node.get("rules") {
        return match evaluate(rules) {
            RulesOutcome::Runs(item) => Some(MrReach {
                span: item.get("if").map_or(item.span, |n| n.span),
            }),
            _ => None,
        };
    }
    if let Some(only) = job.node.get("only") {
        if job
            .node
            .get("except")
            .and_then(mentions_merge_requests)
            .is_some()
        {
            return None;
        }
        return mentions_merge_requests(only).map(|n| MrReach { span: n.span });
    }
    if job.node.get("except").is_some() {
        return None;
    }
    workflow.map(|item| MrReach {
        span: item.get("if").map_or(item.span, |n| n.span),
    })
}

// ---------------------------------------------------------------------------------------------
// Environments.

/// The environment a job deploys to (`action: start`, the default), with its name node.
pub fn deploy_environment(job: &GlJob) -> Option<(&Node, &str)> {
    let env = job.node.get("environment")?;
    let name_node = if env.is_map() { env.get("name")? } else { env };
    let name = name_node.as_str()?;
    let action = env.get("action").and_then(Node::as_str).unwrap_or("start");
    (action == "start" && !name.is_empty()).then_some((name_node, name))
}

static PRODUCTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^a-z])(?:prod|production|live|release)(?:$|[^a-z])")
        .unwrap_or_else(|e| panic!("production regex: {e}"))
});

/// Review apps and other per-branch environments are meant for merge requests.
pub fn is_review_environment(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("review")
        || lower.starts_with("preview")
        || lower.starts_with("dev/")
        || lower.contains("$ci_commit_ref_slug")
        || lower.contains("${ci_commit_ref_slug}")
        || lower.contains("$ci_merge_request_iid")
        || lower.contains("${ci_merge_request_iid}")
        || lower.contains("$ci_commit_ref_name")
        || lower.contains("${ci_commit_ref_name}")
}

/// Whether an environment name looks like production (`production`, `prod-eu`, `live`...).
pub fn is_production(name: &str) -> bool {
    PRODUCTION.is_match(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        use MrClass::*;
        assert_eq!(classify(None), Attacker);
        assert_eq!(
            classify(Some("$CI_PIPELINE_SOURCE == \"merge_request_event\"")),
            Attacker
        );
        assert_eq!(
            classify(Some("$CI_PIPELINE_SOURCE != \"merge_request_event\"")),
            Never
        );
        assert_eq!(classify(Some("$CI_PIPELINE_SOURCE == \"push\"")), Never);
        assert_eq!(classify(Some("$CI_MERGE_REQUEST_IID")), Attacker);
        assert_eq!(classify(Some("$CI_MERGE_REQUEST_IID == null")), Never);
        assert_eq!(
            classify(Some("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH")),
            Never
        );
        assert_eq!(classify(Some("$CI_COMMIT_TAG")), Never);
        assert_eq!(
            classify(Some("$CI_COMMIT_REF_PROTECTED == \"true\"")),
            Never
        );
        assert_eq!(classify(Some("$CI_COMMIT_REF_NAME == \"main\"")), Maybe);
        assert_eq!(
            classify(Some(
                "$CI_PIPELINE_SOURCE == \"merge_request_event\" && $CI_MERGE_REQUEST_TARGET_BRANCH_NAME == \"main\""
            )),
            Attacker
        );
        assert_eq!(
            classify(Some(
                "$CI_COMMIT_TAG || $CI_PIPELINE_SOURCE == 'merge_request_event'"
            )),
            Attacker
        );
        assert_eq!(
            classify(Some(
                "$CI_PIPELINE_SOURCE == \"merge_request_event\" && $CI_COMMIT_REF_PROTECTED == \"true\""
            )),
            Never
        );
        assert_eq!(classify(Some("$DEPLOY == \"yes\"")), Maybe);
    }

    struct NoFiles;
    impl crate::gitlab::IncludeLoader for NoFiles {
        fn load(&mut self, _: &str) -> Result<(u32, Node), String> {
            Err("none".into())
        }
        fn glob(&mut self, _: &str) -> Vec<String> {
            Vec::new()
        }
    }

    fn reaches(src: &str, job: &str) -> bool {
        let docs = crate::yaml::parse(src, 0).unwrap_or_default();
        let p = Pipeline::build(0, ".gitlab-ci.yml", &docs, &mut NoFiles);
        let Some(j) = p.jobs.iter().find(|j| j.name == job) else {
            return false;
        };
        merge_request_reach(j, &p).is_some()
    }

    #[test]
    fn reachability() {
        // No rules and no workflow rules: branch and tag pipelines only.
        assert!(!reaches("a:\n  script: x\n", "a"));
        // A rule without `if:` matches merge-request pipelines too.
        assert!(reaches(
            "a:\n  script: x\n  rules:\n    - when: manual\n",
            "a"
        ));
        // Excluded first.
        assert!(!reaches(
            "a:\n  script: x\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n      when: never\n    - when: always\n",
            "a"
        ));
        // Workflow rules create MR pipelines; a job without rules runs in them.
        let wf = "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    - if: $CI_COMMIT_BRANCH\n";
        assert!(reaches(&format!("{wf}a:\n  script: x\n"), "a"));
        // ...but not a job restricted to the default branch.
        assert!(!reaches(
            &format!(
                "{wf}a:\n  script: x\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"
            ),
            "a"
        ));
        // Workflow rules without MR pipelines exclude them for every job.
        assert!(!reaches(
            "workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH\na:\n  script: x\n  rules:\n    - when: always\n",
            "a"
        ));
        assert!(reaches("a:\n  script: x\n  only: [merge_requests]\n", "a"));
        assert!(!reaches("a:\n  script: x\n  only: [branches]\n", "a"));
    }

    #[test]
    fn environments() {
        assert!(is_production("production"));
        assert!(is_production("prod-eu"));
        assert!(is_production("eu/prod"));
        assert!(!is_production("product-docs"));
        assert!(is_review_environment("review/$CI_COMMIT_REF_SLUG"));
        assert!(!is_review_environment("staging"));
    }
}
