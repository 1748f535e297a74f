use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding, Severity, Span};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::expr::{context_refs, find_exprs};
use crate::github::{Job, Step, Workflow, workspace_path};
use crate::github_flow::{excludes_forks, is_head_context, runs_code};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// In workflows triggered by `pull_request_target`, `workflow_run` or `issue_comment`, finds
    /// steps that check out the pull request's code: `actions/checkout` with
    /// `ref: ${{ github.event.pull_request.head.sha }}` (or `.head.ref`, `github.head_ref`,
    /// `merge_commit_sha`, `refs/pull/<n>/merge`, `github.event.workflow_run.head_sha` /
    /// `head_branch`, a `repository:` of the fork), also through `env:` variables and outputs of
    /// steps that look the head up, and `gh pr checkout` / `git fetch origin pull/<n>/head` in
    /// scripts.
    ///
    /// It is **critical** when a later step of the job runs that code: a script
    /// (`npm install`, `make`, `pip install .`, `cargo`, `gradle`, `mvn`, `docker build`, `./x.sh`
    /// ...), a local action (`uses: ./...`) or a build action (`docker/build-push-action`,
    /// `pre-commit/action`, ...). The finding points at the checkout and names the step that runs
    /// the code. A checkout nothing seems to run is **high**. When the checkout goes to a
    /// sub-directory (`path: pr`), only steps that use that directory count.
    ///
    /// A `workflow_run` workflow is skipped when every workflow it follows is in the repository and
    /// none can be started by outsiders (for example, they only run on `push`). Jobs limited to
    /// unprivileged events (`if: github.event_name == 'pull_request'`), to pull requests from this
    /// repository (`github.event.pull_request.head.repo.full_name == github.repository`) or to
    /// merged pull requests are not reported either. Approval gates (a deployment `environment:`,
    /// label checks) lower the confidence: the code can still change between approval and checkout.
    ///
    /// ## Why is this bad
    /// These triggers run with the base repository's secrets and a token that can write to it.
    /// Build scripts, package manifests, test files and local actions in the pull request are
    /// code its author wrote: running them hands the secrets and the token to anyone who can open
    /// a pull request ("pwn request").
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
    ///       - run: npm ci && npm test
    /// ```
    ///
    /// ## Use instead
    /// Run untrusted code on `pull_request`, which has no secrets and a read-only token. If the
    /// results need privileges (a comment, a label), upload them as an artifact and act on them
    /// from a separate `workflow_run` workflow that treats them as data, never as code.
    ///
    /// ## References
    /// - https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#understanding-the-risk-of-script-injections
    UntrustedCheckout {
        id: "untrusted-checkout",
        title: "pull request code checked out in a privileged workflow",
        severity: Critical,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

/// Text in a script that looks up the pull request head (for step outputs used as a ref).
const HEAD_LOOKUPS: [&str; 12] = [
    "head.sha",
    "head_sha",
    "head.ref",
    "head_ref",
    "GITHUB_HEAD_REF",
    "headRefOid",
    "headRefName",
    "refs/pull/",
    "pulls.get",
    "gh pr view",
    "/pulls/",
    "head_branch",
];

/// Actions whose outputs are the pull request head of an `issue_comment`.
const HEAD_OUTPUT_ACTIONS: [&str; 2] = [
    "xt0rted/pull-request-comment-branch",
    "alessbell/pull-request-comment-branch",
];

/// A reference to the pull request's code found in some text.
struct HeadRef {
    /// Text to point at.
    needle: String,
    /// What it names, for the message.
    what: String,
    confidence: Confidence,
    /// How it got there (an `env:` entry, a step output).
    via: Vec<(String, Span)>,
}

/// The workflow, job and step a text belongs to.
struct At<'r, 'a> {
    cx: &'r Cx<'r, 'r>,
    wf: &'r Workflow<'a>,
    job: &'r Job<'a>,
    step: &'r Step<'a>,
}

impl At<'_, '_> {
    fn env(&self, name: &str) -> Option<&Node> {
        [
            self.step.node.get("env"),
            self.job.node.get("env"),
            self.wf.root.get("env"),
        ]
        .into_iter()
        .flatten()
        .find_map(|e| e.get(name))
    }
}

fn head_in_text(at: &At<'_, '_>, text: &str, depth: usize) -> Option<HeadRef> {
    for e in find_exprs(text) {
        let raw = e.raw(text).to_owned();
        for r in context_refs(e.inner) {
            if is_head_context(&r) {
                return Some(HeadRef {
                    needle: raw,
                    what: r,
                    confidence: Confidence::High,
                    via: Vec::new(),
                });
            }
            if depth >= 3 {
                continue;
            }
            if let Some(name) = r.strip_prefix("env.") {
                let Some(value) = at.env(name) else { continue };
                if let Some(mut h) = value.as_str().and_then(|v| head_in_text(at, v, depth + 1)) {
                    h.via
                        .push((format!("`env.{name}` is set here"), value.span));
                    h.needle = raw;
                    return Some(h);
                }
            }
            if let Some(rest) = r.strip_prefix("steps.") {
                let id = rest.split('.').next().unwrap_or("");
                let Some(src) = at.job.step_by_id(id) else {
                    continue;
                };
                if let Some(span) = looks_up_head(at.cx, src) {
                    return Some(HeadRef {
                        needle: raw,
                        what: r.clone(),
                        confidence: Confidence::Medium,
                        via: vec![(format!("`{r}` looks up the pull request head here"), span)],
                    });
                }
            }
        }
    }
    if text.contains("refs/pull/") {
        return Some(HeadRef {
            needle: text.trim().to_owned(),
            what: "refs/pull/<number>/…".into(),
            confidence: Confidence::High,
            via: Vec::new(),
        });
    }
    None
}

/// Where a step looks up the pull request head (a script line, or a known action), if it does.
fn looks_up_head(cx: &Cx<'_, '_>, step: &Step<'_>) -> Option<Span> {
    if HEAD_OUTPUT_ACTIONS.iter().any(|a| step.uses_action(a)) {
        return step.uses().map(|u| u.span);
    }
    let script = step.run().or_else(|| {
        step.uses_action("actions/github-script")
            .then(|| step.with("script"))
            .flatten()
    })?;
    let text = script.as_str()?;
    let line = text
        .lines()
        .find(|l| HEAD_LOOKUPS.iter().any(|h| l.contains(h)))?
        .trim();
    Some(cx.locate(script, line, 0))
}

static GIT_FETCH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bgit\b.*\b(?:checkout|fetch|pull|clone|switch|reset|worktree)\b")
        .unwrap_or_else(|e| panic!("git regex: {e}"))
});

static PULL_REFSPEC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bpull/[^\s/]+/(?:head|merge)\b").unwrap_or_else(|e| panic!("refspec regex: {e}"))
});

static SHELL_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?").unwrap_or_else(|e| panic!("var regex: {e}"))
});

/// A checkout of the pull request's code by a step.
struct Checkout<'n> {
    node: &'n Node,
    head: HeadRef,
    /// The directory it went to (`None`: the workspace root).
    path: Option<String>,
    how: String,
}

fn checkout_of<'a>(at: &At<'_, 'a>, step: &Step<'a>) -> Option<Checkout<'a>> {
    if step.uses_action("actions/checkout") {
        for key in ["ref", "repository"] {
            let Some(v) = step.with(key) else { continue };
            let Some(text) = v.as_str() else { continue };
            if let Some(head) = head_in_text(at, text, 0) {
                return Some(Checkout {
                    node: v,
                    head,
                    path: step
                        .with("path")
                        .and_then(Node::as_str)
                        .and_then(workspace_path),
                    how: "`actions/checkout`".into(),
                });
            }
        }
        return None;
    }
    let run = step.run()?;
    let text = run.as_str()?;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some(i) = line.find("gh pr checkout") {
            return Some(Checkout {
                node: run,
                head: HeadRef {
                    needle: line[i..].to_owned(),
                    what: "`gh pr checkout`".into(),
                    confidence: Confidence::High,
                    via: Vec::new(),
                },
                path: None,
                how: "`gh pr checkout`".into(),
            });
        }
        if !GIT_FETCH.is_match(line) {
            continue;
        }
        let mut head = head_in_text(at, line, 0);
        if head.is_none() {
            if let Some(m) = PULL_REFSPEC.find(line) {
                head = Some(HeadRef {
                    needle: m.as_str().to_owned(),
                    what: m.as_str().to_owned(),
                    confidence: Confidence::High,
                    via: Vec::new(),
                });
            }
        }
        if head.is_none() {
            // `git checkout "$HEAD_SHA"` with `HEAD_SHA: ${{ github.event.pull_request.head.sha }}`.
            for c in SHELL_VAR.captures_iter(line) {
                let (Some(all), Some(name)) = (c.get(0), c.get(1)) else {
                    continue;
                };
                let Some(value) = at.env(name.as_str()) else {
                    continue;
                };
                if let Some(mut h) = value.as_str().and_then(|v| head_in_text(at, v, 1)) {
                    h.via
                        .push((format!("`${}` is set here", name.as_str()), value.span));
                    h.needle = all.as_str().to_owned();
                    head = Some(h);
                    break;
                }
            }
        }
        if let Some(mut h) = head {
            // Point at the whole command.
            if let Some(m) = GIT_FETCH.find(line) {
                h.needle = line[m.start()..].to_owned();
            }
            return Some(Checkout {
                node: run,
                head: h,
                path: None,
                how: "a `git` command".into(),
            });
        }
    }
    None
}

fn condition_text(node: &Node) -> String {
    node.get("if")
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

impl Rule for UntrustedCheckout {
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
            let job_cond = condition_text(job.node);
            if excludes_forks(&job_cond) {
                continue;
            }
            let gated = job.node.get("environment").is_some()
                || job_cond.contains("labels")
                || job_cond.contains("author_association");
            for (i, step) in job.steps.iter().enumerate() {
                if excludes_forks(&condition_text(step.node)) {
                    continue;
                }
                let at = At { cx, wf, job, step };
                let Some(co) = checkout_of(&at, step) else {
                    continue;
                };
                let mut exec = None;
                for later in &job.steps[i + 1..] {
                    // A later plain checkout into the same place replaces the untrusted code.
                    if later.uses_action("actions/checkout")
                        && later.with("ref").is_none()
                        && later.with("repository").is_none()
                        && later
                            .with("path")
                            .and_then(Node::as_str)
                            .and_then(workspace_path)
                            == co.path
                    {
                        break;
                    }
                    if let Some(e) = runs_code(later, co.path.as_deref()) {
                        exec = Some((later, e));
                        break;
                    }
                }
                let span = cx.locate(co.node, &co.head.needle, 0);
                let what = if co.head.what == co.how {
                    String::new()
                } else {
                    format!(" (`{}`)", co.head.what)
                };
                let checks_out = format!(
                    "{} checks out the pull request's code{what} in a workflow triggered by `{trigger}`",
                    co.how
                );
                let mut f = match &exec {
                    Some((later, _)) => cx.finding(
                        &Self::INFO,
                        span,
                        "pull request code checked out",
                        format!(
                            "{checks_out}, and {} then runs it with this repository's secrets and token",
                            later.describe()
                        ),
                    ),
                    None => cx
                        .finding(
                            &Self::INFO,
                            span,
                            "pull request code checked out",
                            format!(
                                "{checks_out}; no later step seems to run it, but any tool that reads its files (configuration, hooks, scripts) runs with this repository's secrets and token"
                            ),
                        )
                        .severity(Severity::High),
                };
                f = cx.with_path(f, &co.head.via);
                if let Some((_, e)) = &exec {
                    f = f.related(
                        cx.loc(cx.locate(e.node, &e.needle, 0), "runs the checked-out code"),
                    );
                }
                let confidence = if gated {
                    Confidence::Medium.min(co.head.confidence)
                } else {
                    co.head.confidence
                };
                out.push(f.confidence(confidence));
            }
        }
    }
}
