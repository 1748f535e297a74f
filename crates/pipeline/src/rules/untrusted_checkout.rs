use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding, Severity, Span};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::expr::{context_refs, find_exprs};
use crate::github::{Job, Step, Uses, Workflow};
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

/// Contexts that name the pull request's (or triggering run's) code.
const HEAD_CONTEXTS: [&str; 11] = [
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.repo.full_name",
    "github.event.pull_request.head.repo.clone_url",
    "github.event.pull_request.merge_commit_sha",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.id",
    "github.event.workflow_run.head_repository.full_name",
    "github.event.workflow_run.head_repository.clone_url",
];

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

fn is_head_context(r: &str) -> bool {
    HEAD_CONTEXTS.contains(&r)
        || (r.starts_with("github.event.workflow_run.pull_requests.")
            && (r.ends_with(".head.sha") || r.ends_with(".head.ref")))
}

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

fn normal_path(p: &str) -> Option<String> {
    let p = p.trim().trim_start_matches("./").trim_end_matches('/');
    let root =
        p.is_empty() || p == "." || p.contains("github.workspace") || p == "$GITHUB_WORKSPACE";
    (!root).then(|| p.to_owned())
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
                        .and_then(normal_path),
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

static BUILD_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        # in command position, after optional `VAR=value` assignments
        (?:^|[;&|(`]|\b(?:then|do|else|sudo|exec|time|xargs)\b)\s*(?:[A-Za-z_][A-Za-z0-9_]*=[^\s$`()]*\s+)*
        (?:
            (?:npm|npx|yarn|pnpm|bun|bunx|node|deno|make|gmake|cmake|ninja|meson|cargo|gradle|mvn|ant|sbt|bazel|bazelisk
              |pip|pip3|pipenv|poetry|uv|uvx|tox|nox|pytest|python|python3|ruby|bundle|rake|composer|php|dotnet|msbuild
              |swift|xcodebuild|flutter|dart|mix|rebar3|stack|cabal|just|terraform|tofu|pre-commit|hatch|pdm|lerna|nx|turbo)\b
          | go\s+(?:build|test|run|generate|vet|install|mod)\b
          | (?:docker|podman)\s+(?:buildx\s+)?(?:build|bake|compose)\b
          | docker-compose\b
          | (?:ba|z)?sh\s+[^-\s]
          | source\s+\S
          | \.\s+\S
          | \.{1,2}/[\w.-]
          | [\w-]+/[\w./-]+
        )",
    )
    .unwrap_or_else(|e| panic!("build regex: {e}"))
});

/// Actions that build or run the code in the workspace, with the `with:` input that turns that on
/// (`None`: always).
const BUILD_ACTIONS: [(&str, Option<&str>); 12] = [
    ("docker/build-push-action", None),
    ("docker/bake-action", None),
    ("github/codeql-action/autobuild", None),
    ("pre-commit/action", None),
    ("cypress-io/github-action", None),
    ("bahmutov/npm-install", None),
    ("goreleaser/goreleaser-action", None),
    ("borales/actions-yarn", None),
    ("changesets/action", None),
    ("gradle/gradle-build-action", Some("arguments")),
    ("ruby/setup-ruby", Some("bundler-cache")),
    ("pnpm/action-setup", Some("run_install")),
];

/// A step that runs code: the node and the text in it to point at.
pub(crate) struct Exec<'a> {
    pub node: &'a Node,
    pub needle: String,
}

/// Whether `step` runs code from the workspace (restricted to `path` when the code was put in a
/// sub-directory).
pub(crate) fn runs_code<'a>(step: &Step<'a>, path: Option<&str>) -> Option<Exec<'a>> {
    let in_path = |s: &str| path.is_none_or(|p| s.contains(p));
    let workdir_in_path = path.is_some_and(|p| {
        step.node
            .get("working-directory")
            .and_then(Node::as_str)
            .is_some_and(|w| w.trim_start_matches("./").starts_with(p))
    });
    if let Some(run) = step.run() {
        let text = run.as_str()?;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .collect();
        // Commands run inside the directory from a `cd <dir>` line on (or everywhere, for the
        // workspace root or a matching `working-directory`).
        let from = match path {
            Some(p) if !workdir_in_path => lines.iter().position(|l| {
                ["cd ", "pushd "].iter().any(|c| {
                    l.strip_prefix(c).is_some_and(|rest| {
                        let rest = rest.trim_start().trim_start_matches(['"', '\'']);
                        rest.trim_start_matches("./").starts_with(p)
                    })
                })
            }),
            _ => None,
        };
        let line = *lines
            .iter()
            .enumerate()
            .find(|(i, l)| {
                BUILD_COMMAND.is_match(l)
                    && (workdir_in_path || in_path(l) || from.is_some_and(|f| *i > f))
            })?
            .1;
        return Some(Exec {
            node: run,
            needle: line.to_owned(),
        });
    }
    if step.uses_action("actions/github-script") {
        let script = step.with("script")?;
        let text = script.as_str()?;
        let line = text.lines().map(str::trim).find(|l| {
            (l.contains("require(") || l.contains("import("))
                && (l.contains("'./") || l.contains("\"./") || l.contains("GITHUB_WORKSPACE"))
                && in_path(l)
        })?;
        return Some(Exec {
            node: script,
            needle: line.to_owned(),
        });
    }
    let uses = step.uses()?;
    let name = uses.as_str()?;
    let exec = Some(Exec {
        node: uses,
        needle: name.trim().to_owned(),
    });
    if let Some(Uses::Local(dir)) = Uses::parse(name) {
        return if in_path(dir) { exec } else { None };
    }
    let (_, input) = BUILD_ACTIONS.iter().find(|(a, _)| step.uses_action(a))?;
    if let Some(input) = input {
        let on = step
            .with(input)
            .and_then(Node::as_str)
            .is_some_and(|v| !matches!(v.trim(), "" | "false" | "False"));
        if !on {
            return None;
        }
    }
    let with_mentions_path = step.node.get("with").is_some_and(|w| {
        let mut found = false;
        w.walk(&mut |n| {
            if n.as_str().is_some_and(in_path) {
                found = true;
            }
        });
        found
    });
    if path.is_none() || with_mentions_path || workdir_in_path {
        exec
    } else {
        None
    }
}

/// How to name a step in a message: its id or name, else the action it uses, else its position.
pub(crate) fn describe(step: &Step<'_>) -> String {
    if step.id().is_some() || step.node.get("name").is_some() {
        return step.label();
    }
    match step.action_name() {
        Some(a) => format!("the `{a}` step"),
        None => step.label(),
    }
}

fn condition_text(node: &Node) -> String {
    node.get("if")
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

static EVENT_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"github\.event_name\s*==\s*'([a-z_]+)'")
        .unwrap_or_else(|e| panic!("event regex: {e}"))
});

/// A job or step condition (lower-case) that keeps fork pull requests out: same-repository or
/// merged pull requests only, or only unprivileged events of a workflow that has several.
pub(crate) fn excludes_forks(cond: &str) -> bool {
    let only_unprivileged = !cond.contains("||")
        && EVENT_NAME
            .captures(cond)
            .and_then(|c| c.get(1))
            .is_some_and(|e| {
                !matches!(
                    e.as_str(),
                    "pull_request_target" | "workflow_run" | "issue_comment"
                )
            });
    ((cond.contains("head.repo.full_name") || cond.contains("head_repository.full_name"))
        && cond.contains("github.repository"))
        || cond.contains("head.repo.fork")
        || cond.contains("pull_request.merged")
        || only_unprivileged
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
                            .and_then(normal_path)
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
                            describe(later)
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
                for (label, sp) in &co.head.via {
                    f = f.related(cx.loc(*sp, label.clone()));
                }
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

#[cfg(test)]
mod tests {
    use super::{BUILD_COMMAND, excludes_forks, is_head_context, normal_path, runs_code};
    use crate::github::Step;

    #[test]
    fn build_commands() {
        for s in [
            "npm ci",
            "yarn install --frozen-lockfile",
            "make test",
            "pip install .",
            "cargo build",
            "./gradlew build",
            "mvn -B verify",
            "docker build -t x .",
            "docker buildx build .",
            "go test ./...",
            "bash scripts/ci.sh",
            "cd pr && npm test",
            "python -m pytest",
            "source ./env.sh",
            "if [ -f Makefile ]; then make; fi",
            "CI=1 ./scripts/test",
            "scripts/test.sh",
        ] {
            assert!(BUILD_COMMAND.is_match(s), "{s}");
        }
        for s in [
            "echo done",
            "gh pr comment 1 --body ok",
            "git diff --name-only",
            "bash -c 'echo hi'",
            "docker login ghcr.io",
            "curl -sSf https://example.com",
            "cat package.json | jq .version",
            "echo \"go home\"",
            "echo ./not-run",
            "/usr/bin/env true",
            "PR=$(cat coverage/pr-number)",
            "echo \"run npm test\"",
        ] {
            assert!(!BUILD_COMMAND.is_match(s), "{s}");
        }
    }

    #[test]
    fn code_runs_in_the_checkout_directory() {
        let runs = |yaml: &str, path: Option<&str>| {
            let docs = crate::yaml::parse(yaml, 0).unwrap_or_default();
            let node = docs.first().expect("a document");
            runs_code(&Step { index: 0, node }, path).map(|e| e.needle)
        };
        let script = "run: |\n  cd pr\n  npm ci\n";
        assert_eq!(runs(script, Some("pr")).as_deref(), Some("npm ci"));
        assert_eq!(runs(script, None).as_deref(), Some("npm ci"));
        let data = "run: |\n  PR=$(cat pr/number)\n  npm ci\n";
        assert_eq!(
            runs(data, Some("pr")),
            None,
            "npm runs in the root, not in pr/"
        );
        assert_eq!(
            runs("run: npm test\nworking-directory: ./pr\n", Some("pr")).as_deref(),
            Some("npm test")
        );
        assert_eq!(runs("run: echo done\n", None), None);
        assert!(runs("uses: ./.github/actions/x\n", None).is_some());
        assert!(runs("uses: ./.github/actions/x\n", Some("pr")).is_none());
        assert!(
            runs(
                "uses: docker/build-push-action@v6\nwith:\n  context: pr\n",
                Some("pr")
            )
            .is_some()
        );
        assert!(
            runs(
                "uses: ruby/setup-ruby@v1\nwith:\n  bundler-cache: false\n",
                None
            )
            .is_none()
        );
        assert!(
            runs(
                "uses: ruby/setup-ruby@v1\nwith:\n  bundler-cache: true\n",
                None
            )
            .is_some()
        );
        assert!(
            runs(
                "uses: actions/github-script@v7\nwith:\n  script: |\n    const s = require('./scripts/comment.js')\n",
                None
            )
            .is_some()
        );
    }

    #[test]
    fn contexts_and_conditions() {
        assert!(is_head_context("github.event.pull_request.head.sha"));
        assert!(is_head_context(
            "github.event.workflow_run.pull_requests.*.head.sha"
        ));
        assert!(!is_head_context("github.event.pull_request.base.sha"));
        assert!(!is_head_context("github.sha"));
        assert!(excludes_forks(
            "github.event.pull_request.head.repo.full_name == github.repository"
        ));
        assert!(!excludes_forks(
            "contains(github.event.pull_request.labels.*.name, 'ok')"
        ));
        assert!(excludes_forks("github.event_name == 'pull_request'"));
        assert!(!excludes_forks(
            "github.event_name == 'pull_request_target'"
        ));
        assert!(!excludes_forks(
            "github.event_name == 'push' || github.event_name == 'pull_request_target'"
        ));
        assert_eq!(normal_path("./pr/"), Some("pr".into()));
        assert_eq!(normal_path("."), None);
        assert_eq!(normal_path("${{ github.workspace }}"), None);
    }
}
