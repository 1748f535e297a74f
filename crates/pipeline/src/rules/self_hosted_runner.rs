use chainproof_core::{Confidence, Finding, Span};

use super::{Cx, Rule, declare_rule};
use crate::expr::{context_refs, find_exprs};
use crate::github::{Job, Workflow};
use crate::gitlab::Pipeline;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds jobs that run code a fork can change on runners that may persist between jobs:
    /// - GitHub jobs whose `runs-on` includes `self-hosted` (high confidence) or a label that is
    ///   not a GitHub-hosted one (`ubuntu-*`, `windows-*`, `macos-*`, or a managed ephemeral
    ///   runner service such as `depot-*`, `buildjet-*`, `blacksmith-*`; low confidence), in
    ///   workflows that forks, issues or comments can trigger (`pull_request`,
    ///   `pull_request_target`, `issue_comment`, `workflow_run`...). `${{ matrix.x }}` labels are
    ///   resolved from the job's matrix. Jobs whose `if:` excludes forks
    ///   (`github.event.pull_request.head.repo.fork`, `head.repo.full_name == github.repository`)
    ///   are not reported.
    /// - GitLab jobs with `tags:` (specific runners, often persistent shell or Docker executors)
    ///   that run in merge-request pipelines (medium confidence). GitLab.com hosted runner tags
    ///   (`saas-*`) are not reported.
    ///
    /// ## Why is this bad
    /// A self-hosted runner is usually a long-lived machine on your network. A pull request from a
    /// fork runs its own code on it and can install a backdoor that persists into later jobs,
    /// including release and deployment jobs with secrets, read other jobs' workspaces and
    /// caches, or reach internal services. GitHub recommends never using self-hosted runners with
    /// public repositories.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request
    /// jobs:
    ///   test:
    ///     runs-on: [self-hosted, linux]
    /// ```
    ///
    /// ## Use instead
    /// Run untrusted code on GitHub-hosted or ephemeral (just-in-time, one job per VM) runners,
    /// and keep self-hosted runners for workflows only maintainers can start (`push` to
    /// protected branches, `workflow_dispatch`). On GitLab, let merge-request jobs use shared
    /// ephemeral runners and restrict tagged runners to protected branches.
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#hardening-for-self-hosted-runners
    /// - https://docs.gitlab.com/ci/pipelines/merge_request_pipelines/#use-with-forked-projects
    /// - https://docs.gitlab.com/runner/security/
    SelfHostedRunner {
        id: "self-hosted-runner",
        title: "untrusted code on a persistent runner",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

/// GitHub-hosted labels, and those of managed services that run each job on a fresh VM
/// (Depot, BuildJet, Namespace, Blacksmith, WarpBuild, Ubicloud, RunsOn).
fn github_hosted(label: &str) -> bool {
    let l = label.trim().to_ascii_lowercase();
    [
        "ubuntu-",
        "windows-",
        "macos-",
        "depot-",
        "buildjet-",
        "namespace-profile-",
        "nscloud-",
        "blacksmith-",
        "warp-",
        "ubicloud-",
        "runs-on=",
        "runs-on/",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}

/// The labels of `runs-on` (the node to point at, and the label text), with
/// `${{ matrix.x }}` (alone or inside a label, as in `${{ matrix.os }}-latest`) resolved from the
/// job's matrix. Labels built from other expressions are left out: they cannot be judged.
fn labels<'a>(job: &Job<'a>) -> Vec<(&'a Node, String)> {
    let mut out = Vec::new();
    for n in job.runs_on() {
        let Some(text) = n.as_str() else { continue };
        let exprs = find_exprs(text);
        let [e] = exprs.as_slice() else {
            if exprs.is_empty() {
                out.push((n, text.trim().to_owned()));
            }
            continue;
        };
        let refs = context_refs(e.inner);
        let compact: String = e.inner.chars().filter(|c| !c.is_whitespace()).collect();
        let [r] = refs.as_slice() else { continue };
        let Some(key) = r.strip_prefix("matrix.") else {
            continue;
        };
        if !compact.eq_ignore_ascii_case(r) {
            continue; // `${{ matrix.os == 'x' && 'a' || 'b' }}`
        }
        let Some(m) = job.node.path(&["strategy", "matrix"]) else {
            continue;
        };
        let mut values: Vec<&'a Node> = Vec::new();
        for (k, v) in m.entries() {
            if k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(key)) {
                values.extend(v.scalars());
            }
        }
        for inc in m.get("include").map(|i| i.items()).unwrap_or_default() {
            if let Some((_, v)) = inc
                .entries()
                .iter()
                .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(key)))
            {
                values.extend(v.scalars());
            }
        }
        for v in values {
            let Some(value) = v.as_str() else { continue };
            let label = format!("{}{value}{}", &text[..e.start], &text[e.end..]);
            out.push((v, label.trim().to_owned()));
        }
    }
    out
}

fn excludes_forks(job: &Job<'_>) -> bool {
    job.node
        .get("if")
        .and_then(Node::as_str)
        .is_some_and(|c| c.contains("head.repo.fork") || c.contains("head.repo.full_name"))
}

impl Rule for SelfHostedRunner {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let Some(trigger) = wf.external_triggers().next() else {
            return;
        };
        for job in &wf.jobs {
            if job.uses().is_some() || excludes_forks(job) {
                continue;
            }
            let labels = labels(job);
            let group = job.node.get("runs-on").filter(|r| r.get("group").is_some());
            let (node, confidence, what) = if let Some((l, _)) = labels
                .iter()
                .find(|(_, t)| t.eq_ignore_ascii_case("self-hosted"))
            {
                (*l, Confidence::High, "a self-hosted runner".to_owned())
            } else if labels.iter().any(|(_, t)| github_hosted(t)) {
                continue;
            } else if let Some((l, t)) = labels.first() {
                (
                    *l,
                    Confidence::Low,
                    format!("`{t}` (not a GitHub-hosted label, so probably a self-hosted runner)"),
                )
            } else if let Some(g) = group.and_then(|g| g.get("group")) {
                (
                    g,
                    Confidence::Low,
                    "a runner group (often self-hosted runners)".to_owned(),
                )
            } else {
                continue;
            };
            out.push(
                cx.finding(
                    &Self::INFO,
                    node.span,
                    "runner outside GitHub's ephemeral pool",
                    format!(
                        "job `{}` runs on {what} in a workflow that `{}` lets outsiders trigger: their code can run on the machine and persist into later jobs",
                        job.id, trigger.name
                    ),
                )
                .confidence(confidence)
                .related(cx.loc(trigger.node.span, "triggered from forks or by outsiders")),
            );
        }
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        // Group jobs by the `tags:` they use (often one `default:` or template for many jobs).
        let mut groups: Vec<(Span, &Node, Vec<&str>)> = Vec::new();
        for job in &pipeline.jobs {
            if job.hidden || !job.runs_on_merge_requests(pipeline) {
                continue;
            }
            let Some(tags) = job.node.get("tags") else {
                continue;
            };
            let specific: Vec<&Node> = tags
                .scalars()
                .into_iter()
                .filter(|t| {
                    t.as_str()
                        .is_some_and(|s| !s.starts_with("saas-") && !s.contains('$'))
                })
                .collect();
            let Some(first) = specific.first() else {
                continue;
            };
            match groups.iter_mut().find(|(s, _, _)| *s == tags.span) {
                Some(g) => g.2.push(&job.name),
                None => groups.push((tags.span, first, vec![&job.name])),
            }
        }
        for (_, first, jobs) in groups {
            let names: Vec<String> = jobs.iter().map(|j| format!("`{j}`")).collect();
            let (noun, verb) = if jobs.len() == 1 {
                ("job", "runs")
            } else {
                ("jobs", "run")
            };
            out.push(
                cx.finding(
                    &Self::INFO,
                    first.span,
                    "specific runner used by merge-request pipelines",
                    format!(
                        "{noun} {} {verb} in merge-request pipelines on runners tagged `{}`: specific runners are often persistent machines, where code from a merge request can read other jobs' data and persist into later jobs",
                        names.join(", "),
                        first.as_str().unwrap_or("")
                    ),
                )
                .confidence(Confidence::Medium),
            );
        }
    }
}
