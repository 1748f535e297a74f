use std::sync::LazyLock;

use chainproof_core::{Finding, Severity, Span};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::gitlab::{GlJob, Pipeline};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds GitLab jobs that can run in merge-request pipelines and hold something worth
    /// stealing: they deploy (an `environment:` whose name looks like production, or any other
    /// long-lived environment such as `staging`), use credentials (variables such as
    /// `$CI_DEPLOY_PASSWORD`, `$NPM_TOKEN`, `$AWS_SECRET_ACCESS_KEY`), request OIDC `id_tokens`
    /// or `secrets:` from a secret manager, or publish (`git push`, `npm publish`, `docker push`
    /// to an external registry, `twine upload`, ...). This is GitLab's analogue of GitHub's
    /// `pull_request_target`.
    ///
    /// A job can run in merge-request pipelines when its `rules:` have a rule that matches them
    /// (`$CI_PIPELINE_SOURCE == "merge_request_event"`, `$CI_MERGE_REQUEST_*`, or a rule
    /// without `if:`) before any rule that excludes them (`when: never`), when `only:` lists
    /// `merge_requests`, or, for a job without `rules:`/`only:`, when `workflow:rules` create
    /// merge-request pipelines. Review apps (`environment: review/$CI_COMMIT_REF_SLUG`) are
    /// expected in merge requests and are not reported. Confidence is medium: chainproof cannot
    /// see whether the variables are protected or the environment is protected (in which case
    /// the job merely fails in merge requests).
    ///
    /// ## Why is this bad
    /// Merge-request pipelines run the merge request's code: its scripts, its build files, its
    /// tests, and (for a branch in the same project) its own `.gitlab-ci.yml`. When a maintainer
    /// runs the pipeline of a fork's merge request in the parent project, the fork's code runs
    /// with the parent's variables and runners. For a job like this to work in a merge request, its
    /// credentials cannot be *protected* variables, so anyone who can open a merge request (or
    /// push a branch) can read them. Protected variables, protected environments and ID-token
    /// trust policies bound to `ref_protected` are GitLab's defences; this pattern bypasses them.
    ///
    /// ## Example
    /// ```yaml
    /// deploy:
    ///   script: ./deploy.sh
    ///   environment: production
    ///   variables:
    ///     TOKEN: $DEPLOY_TOKEN
    ///   rules:
    ///     - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    ///     - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// deploy:
    ///   script: ./deploy.sh
    ///   environment: production
    ///   rules:
    ///     - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_COMMIT_REF_PROTECTED == "true"
    /// ```
    /// Keep `DEPLOY_TOKEN` a protected, masked variable, and protect the `production`
    /// environment.
    ///
    /// ## References
    /// - https://docs.gitlab.com/ci/pipelines/merge_request_pipelines/#use-with-forked-projects
    /// - https://docs.gitlab.com/ci/variables/#protect-a-cicd-variable
    /// - https://docs.gitlab.com/ci/environments/protected_environments/
    /// - https://docs.gitlab.com/ci/secrets/id_token_authentication/
    MergeRequestSecrets {
        id: "merge-request-secrets",
        title: "credentials or deployments reachable from merge-request pipelines",
        severity: High,
        confidence: Medium,
        platforms: ["gitlab"],
        fixable: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Can a job run in a merge-request pipeline?

/// How a condition relates to merge-request pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MrClass {
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
pub(crate) fn disjuncts(cond: &str) -> Vec<Vec<&str>> {
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
pub(crate) fn classify(cond: Option<&str>) -> MrClass {
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
pub(crate) struct MrReach {
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
pub(crate) fn merge_request_reach(job: &GlJob, pipeline: &Pipeline) -> Option<MrReach> {
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
// What the job holds.

static SECRET_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\$\{?([A-Za-z][A-Za-z0-9_]*(?:_TOKEN|_PASSWORD|_PASS|_SECRET|_SECRET_KEY|_SECRET_ACCESS_KEY|_API_KEY|_PRIVATE_KEY|_CREDENTIALS)|CI_DEPLOY_PASSWORD)\}?\b",
    )
    .unwrap_or_else(|e| panic!("secret regex: {e}"))
});

/// Predefined variables that are not stored secrets (job-scoped tokens GitLab creates per job).
const NOT_SECRETS: [&str; 8] = [
    "CI_JOB_TOKEN",
    "CI_BUILD_TOKEN",
    "CI_REGISTRY_PASSWORD",
    "CI_DEPENDENCY_PROXY_PASSWORD",
    "CI_JOB_JWT",
    "CI_JOB_JWT_V1",
    "CI_JOB_JWT_V2",
    "CI_SERVER_TOKEN",
];

/// A credential variable used by the job: its name and where.
#[derive(Debug, Clone)]
pub(crate) struct SecretUse<'n> {
    pub name: String,
    pub node: &'n Node,
    pub needle: String,
    pub nth: usize,
}

fn defined_literally(job: &GlJob, pipeline: &Pipeline, name: &str) -> bool {
    let value = job
        .node
        .get("variables")
        .and_then(|v| v.get(name))
        .or_else(|| pipeline.variable(name))
        .map(|v| v.get("value").unwrap_or(v));
    value
        .and_then(Node::as_str)
        .is_some_and(|v| !v.contains('$'))
}

/// Variables holding stored credentials that the job's scripts and variables use.
pub(crate) fn secret_uses<'n>(job: &'n GlJob, pipeline: &Pipeline) -> Vec<SecretUse<'n>> {
    let token_names: Vec<&str> = ["id_tokens", "secrets"]
        .iter()
        .filter_map(|k| job.node.get(k))
        .flat_map(|n| n.entries().iter().filter_map(|(k, _)| k.as_str()))
        .collect();
    let mut nodes: Vec<&Node> = job.script_lines();
    if let Some(vars) = job.node.get("variables") {
        for (_, v) in vars.entries() {
            nodes.push(v.get("value").unwrap_or(v));
        }
    }
    let mut out: Vec<SecretUse<'n>> = Vec::new();
    for node in nodes {
        let Some(text) = node.as_str() else { continue };
        for m in SECRET_VAR.captures_iter(text) {
            let (Some(whole), Some(name)) = (m.get(0), m.get(1)) else {
                continue;
            };
            let name = name.as_str();
            if NOT_SECRETS.contains(&name)
                || token_names.contains(&name)
                || defined_literally(job, pipeline, name)
                || out.iter().any(|u| u.name == name)
            {
                continue;
            }
            let needle = whole.as_str().to_owned();
            let nth = text[..whole.start()].matches(needle.as_str()).count();
            out.push(SecretUse {
                name: name.to_owned(),
                node,
                needle,
                nth,
            });
        }
    }
    out
}

static PUBLISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)\b(?:
            git\s+push
          | docker\s+(?:image\s+)?push\s+\S+
          | podman\s+push\s+\S+
          | (?:npm|pnpm|yarn)\s+(?:npm\s+)?publish
          | twine\s+upload
          | cargo\s+publish
          | gem\s+push
          | helm\s+push
          | mvn\b[^;&|\n]*\sdeploy\b
          | poetry\s+publish
          | dotnet\s+nuget\s+push
          | gradlew?\b[^;&|\n]*\spublish\w*
        )",
    )
    .unwrap_or_else(|e| panic!("publish regex: {e}"))
});

/// A publishing command in the job's scripts (pushes to the project's own registry excluded).
pub(crate) fn publish_command(job: &GlJob) -> Option<(&Node, String)> {
    for line in job.script_lines() {
        let Some(text) = line.as_str() else { continue };
        for m in PUBLISH.find_iter(text) {
            let cmd = m.as_str();
            if (cmd.starts_with("docker") || cmd.starts_with("podman"))
                && (cmd.contains("$CI_REGISTRY") || cmd.contains("${CI_REGISTRY"))
            {
                continue;
            }
            return Some((line, cmd.to_owned()));
        }
    }
    None
}

/// The environment a job deploys to (`action: start`, the default), with its name node.
pub(crate) fn deploy_environment(job: &GlJob) -> Option<(&Node, &str)> {
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
pub(crate) fn is_review_environment(name: &str) -> bool {
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

pub(crate) fn is_production(name: &str) -> bool {
    PRODUCTION.is_match(name)
}

struct Reason {
    span: Span,
    label: String,
    what: String,
    severity: Severity,
    /// What it means, said once for the primary reason.
    consequence: &'static str,
}

const DEPLOYS: &str = "the merge request's unreviewed code is what gets deployed";
const CREDENTIALS: &str = "for the job to work there these variables cannot be protected, so code in any merge request can read them";
const FEDERATED: &str = "merge-request code receives these credentials unless the trust policy requires a protected ref";

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl Rule for MergeRequestSecrets {
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
        if job.hidden {
            return;
        }
        let Some(reach) = merge_request_reach(job, pipeline) else {
            return;
        };
        let mut reasons: Vec<Reason> = Vec::new();
        if let Some((node, name)) = deploy_environment(job) {
            if is_production(name) {
                reasons.push(Reason {
                    span: node.span,
                    label: "deploys from merge-request pipelines".into(),
                    what: format!("deploys to `{name}`"),
                    severity: Severity::High,
                    consequence: DEPLOYS,
                });
            } else if !is_review_environment(name) {
                reasons.push(Reason {
                    span: node.span,
                    label: "deploys from merge-request pipelines".into(),
                    what: format!("deploys to the long-lived environment `{name}`"),
                    severity: Severity::Medium,
                    consequence: DEPLOYS,
                });
            }
        }
        let secrets = secret_uses(job, pipeline);
        if let Some(first) = secrets.first() {
            let names: Vec<String> = secrets
                .iter()
                .take(4)
                .map(|s| format!("`${}`", s.name))
                .collect();
            let more = if secrets.len() > 4 { ", ..." } else { "" };
            reasons.push(Reason {
                span: cx.locate(first.node, &first.needle, first.nth),
                label: "credential used in a merge-request pipeline".into(),
                what: format!("uses {}{more}", names.join(", ")),
                severity: Severity::High,
                consequence: CREDENTIALS,
            });
        }
        if let Some((k, _)) = job.node.entry("id_tokens") {
            reasons.push(Reason {
                span: k.span,
                label: "OIDC token issued to merge-request code".into(),
                what: "requests OIDC `id_tokens`".into(),
                severity: Severity::Medium,
                consequence: FEDERATED,
            });
        }
        if let Some((k, _)) = job.node.entry("secrets") {
            reasons.push(Reason {
                span: k.span,
                label: "secrets fetched for merge-request code".into(),
                what: "fetches `secrets:` from a secret manager".into(),
                severity: Severity::Medium,
                consequence: FEDERATED,
            });
        }
        if let Some((line, cmd)) = publish_command(job) {
            let sev = if secrets.is_empty() {
                Severity::Medium
            } else {
                Severity::High
            };
            reasons.push(Reason {
                span: cx.locate(line, &cmd, 0),
                label: "publishes from a merge-request pipeline".into(),
                what: format!("publishes (`{cmd}`)"),
                severity: sev,
                consequence: "whatever the merge request builds is published with the job's credentials",
            });
        }
        if reasons.is_empty() {
            return;
        }
        let severity = reasons
            .iter()
            .map(|r| r.severity)
            .max()
            .unwrap_or(Severity::Medium);
        let primary_idx = reasons
            .iter()
            .position(|r| r.severity == severity)
            .unwrap_or(0);
        let primary = &reasons[primary_idx];
        let whats: Vec<&str> = reasons.iter().map(|r| r.what.as_str()).collect();
        let mut f = cx
            .finding(
                &Self::INFO,
                primary.span,
                primary.label.clone(),
                format!(
                    "job `{}` can run in merge-request pipelines and {}: {}",
                    job.name,
                    join_and(&whats),
                    primary.consequence
                ),
            )
            .severity(severity)
            .related(cx.loc(reach.span, "lets the job run in merge-request pipelines"));
        for (i, r) in reasons.iter().enumerate() {
            if i != primary_idx {
                f = f.related(cx.loc(r.span, r.label.clone()));
            }
        }
        out.push(f);
    }
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
