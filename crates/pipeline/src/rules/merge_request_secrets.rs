use std::sync::LazyLock;

use chainproof_core::{Finding, Severity, Span};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::gitlab::{GlJob, Pipeline};
use crate::gitlab_rules::{
    deploy_environment, is_production, is_review_environment, merge_request_reach,
};
use crate::gitlab_taint::job_scoped_credential;
use crate::script::{secret_name, var_refs};
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

/// A credential variable used by the job: its name and where.
#[derive(Debug, Clone)]
pub(crate) struct SecretUse<'n> {
    pub name: String,
    pub node: &'n Node,
    pub needle: String,
    pub nth: usize,
}

fn defined_literally(job: &GlJob, pipeline: &Pipeline, name: &str) -> bool {
    job.variable(pipeline, name)
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
        for r in var_refs(text) {
            let name = r.name;
            if !secret_name(name)
                || job_scoped_credential(name)
                || token_names.contains(&name)
                || defined_literally(job, pipeline, name)
                || out.iter().any(|u| u.name == name)
            {
                continue;
            }
            let needle = r.text(text).to_owned();
            let nth = text[..r.start].matches(needle.as_str()).count();
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

/// A finding's file, byte offset and length, severity, and message after `job `name` `.
type GroupKey = (String, usize, usize, Severity, String);

/// `` `a`, `b`, `c` and 2 more ``.
fn job_list(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
    match names.len().saturating_sub(3) {
        0 => join_and(&shown.iter().map(String::as_str).collect::<Vec<_>>()),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

impl Rule for MergeRequestSecrets {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    /// Jobs that inherit the same template or anchor get the same finding at the same place: one
    /// finding names them all.
    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        // Per place, severity and message after the job name: the job names and the first finding.
        let mut groups: Vec<(GroupKey, Vec<String>, Finding)> = Vec::new();
        for job in &pipeline.jobs {
            let mut found = Vec::new();
            self.gitlab_job(cx, pipeline, job, &mut found);
            for f in found {
                let prefix = format!("job `{}` ", job.name);
                let rest = f
                    .message
                    .strip_prefix(&prefix)
                    .unwrap_or(&f.message)
                    .to_owned();
                let key = (
                    f.location.file.clone(),
                    f.location.offset,
                    f.location.length,
                    f.severity,
                    rest,
                );
                match groups.iter_mut().find(|(k, _, _)| *k == key) {
                    Some((_, names, first)) => {
                        names.push(job.name.clone());
                        for r in f.related {
                            let seen = first.related.iter().any(|x| {
                                (&x.file, x.offset, x.length, &x.label)
                                    == (&r.file, r.offset, r.length, &r.label)
                            });
                            if !seen {
                                first.related.push(r);
                            }
                        }
                    }
                    None => groups.push((key, vec![job.name.clone()], f)),
                }
            }
        }
        for ((.., rest), names, mut f) in groups {
            if names.len() > 1 {
                f.message = format!("each of jobs {} {rest}", job_list(&names));
            }
            out.push(f);
        }
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
