//! What GitHub steps do with the code in the workspace, for rules that follow untrusted code
//! (a pull request's checkout, another run's artifacts) to where it runs: [`runs_code`] (build
//! commands, local actions, actions that build), [`is_head_context`] (contexts naming the pull
//! request's code) and [`excludes_forks`] (conditions that keep fork pull requests out).

use std::sync::LazyLock;

use regex::Regex;

use crate::github::{Step, Uses, workspace_path};
use crate::yaml::Node;

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

/// Whether a context names the pull request's (or the triggering run's) code.
pub fn is_head_context(r: &str) -> bool {
    HEAD_CONTEXTS.contains(&r)
        || (r.starts_with("github.event.workflow_run.pull_requests.")
            && (r.ends_with(".head.sha") || r.ends_with(".head.ref")))
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
pub struct Exec<'a> {
    pub node: &'a Node,
    pub needle: String,
}

/// Whether `step` runs code from the workspace (restricted to `path` when the code was put in a
/// sub-directory).
pub fn runs_code<'a>(step: &Step<'a>, path: Option<&str>) -> Option<Exec<'a>> {
    let in_path = |s: &str| path.is_none_or(|p| s.contains(p));
    // `dir` (as written in `working-directory:` or after `cd`) is `p` or inside it.
    let inside = |dir: &str, p: &str| {
        let dir = dir.trim_matches(['"', '\'']);
        workspace_path(dir).is_some_and(|d| {
            d.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    };
    let workdir_in_path = path.is_some_and(|p| {
        step.node
            .get("working-directory")
            .and_then(Node::as_str)
            .is_some_and(|w| inside(w, p))
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
                        let dir = rest
                            .split([' ', '\t', ';', '&', '|'])
                            .find(|w| !w.is_empty());
                        dir.is_some_and(|d| inside(d, p))
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

static EVENT_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"github\.event_name\s*==\s*'([a-z_]+)'")
        .unwrap_or_else(|e| panic!("event regex: {e}"))
});

/// A job or step condition (lower-case) that keeps fork pull requests out: same-repository or
/// merged pull requests only, or only unprivileged events of a workflow that has several.
pub fn excludes_forks(cond: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::{BUILD_COMMAND, excludes_forks, is_head_context, runs_code};
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
        assert_eq!(
            runs(
                "run: npm test\nworking-directory: ${{ github.workspace }}/pr/app\n",
                Some("pr")
            )
            .as_deref(),
            Some("npm test")
        );
        assert_eq!(
            runs("run: npm test\nworking-directory: ./price\n", Some("pr")),
            None
        );
        let cd = "run: |\n  cd \"$GITHUB_WORKSPACE/pr\"\n  make\n";
        assert_eq!(runs(cd, Some("pr")).as_deref(), Some("make"));
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
    fn head_contexts() {
        assert!(is_head_context("github.event.pull_request.head.sha"));
        assert!(is_head_context(
            "github.event.workflow_run.pull_requests.*.head.sha"
        ));
        assert!(!is_head_context("github.event.pull_request.base.sha"));
        assert!(!is_head_context("github.sha"));
    }

    #[test]
    fn fork_conditions() {
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
    }
}
