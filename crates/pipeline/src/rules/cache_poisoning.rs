use chainproof_core::{Finding, Span};

use super::{Cx, Rule, declare_rule};
use crate::github::{Job, Step, Uses, Workflow};
use crate::script::{commands, parse};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds caches restored in workflows that publish releases: jobs that publish (`npm publish`,
    /// `cargo publish`, `twine upload`, `docker push`, `gh release`, `goreleaser`,
    /// `softprops/action-gh-release`, `pypa/gh-action-pypi-publish`, `docker/build-push-action`
    /// with `push: true`...; `--dry-run` does not count) and the jobs whose artifacts they
    /// download. Cache restores are `actions/cache` (and `cache/restore`),
    /// `setup-*` actions with a `cache:` input (and `actions/setup-go` v4+, which caches by
    /// default), `Swatinem/rust-cache`, `ruby/setup-ruby` with `bundler-cache`,
    /// `astral-sh/setup-uv` with `enable-cache`, Gradle's setup action, and
    /// `docker/build-push-action` with `cache-from: type=gha`.
    ///
    /// In a workflow triggered by a `push` of tags or by `release` where no job is recognised as
    /// publishing (a custom `make release`, say), every job is taken to build the release.
    ///
    /// ## Why is this bad
    /// GitHub's cache is shared by every workflow run on the default branch, including runs that
    /// execute less trusted code (a `pull_request_target` job, a compromised test dependency, an
    /// injection in an issue workflow). Whatever such a run saves under a key the release job
    /// restores ends up in the published artifact. Confidence is low: the risk depends on what
    /// else writes to the cache.
    ///
    /// ## Example
    /// ```yaml
    /// on:
    ///   push:
    ///     tags: ["v*"]
    /// jobs:
    ///   publish:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - uses: actions/setup-node@v4
    ///         with:
    ///           cache: npm
    ///       - run: npm ci && npm publish
    /// ```
    ///
    /// ## Use instead
    /// Build releases from a clean state: drop the cache in publishing workflows (remove `cache:`,
    /// `cache: false` for `setup-go`, `lookup-only`/`save-if: false` where available), or build
    /// in a separate job without publishing credentials and attest what it produced.
    ///
    /// ## References
    /// - https://adnanthekhan.com/2024/05/06/the-monsters-in-your-build-cache-github-actions-cache-poisoning/
    /// - https://docs.zizmor.sh/audits/#cache-poisoning
    CachePoisoning {
        id: "cache-poisoning",
        title: "cache restored in a publishing workflow",
        severity: High,
        confidence: Low,
        platforms: ["github"],
        fixable: false,
    }
}

/// Actions that publish.
const PUBLISH_ACTIONS: [&str; 9] = [
    "softprops/action-gh-release",
    "pypa/gh-action-pypi-publish",
    "goreleaser/goreleaser-action",
    "ncipollo/release-action",
    "js-devtools/npm-publish",
    "actions/create-release",
    "svenstaro/upload-release-action",
    "changesets/action",
    "rust-lang/crates-io-auth-action",
];

/// What a step publishes, if it does, as shown in messages.
fn publishes(step: &Step<'_>) -> Option<String> {
    if let Some(name) = step.action_name() {
        if PUBLISH_ACTIONS.contains(&name.as_str()) {
            return Some(format!("`{name}`"));
        }
        if name == "docker/build-push-action"
            && step
                .with("push")
                .is_some_and(|p| p.as_bool() == Some(true) || p.as_str() == Some("true"))
        {
            return Some("`docker/build-push-action` with `push: true`".into());
        }
        return None;
    }
    let text = step.run()?.as_str()?;
    for c in commands(&parse(text)) {
        let argv: Vec<String> = c.argv().iter().map(|w| w.value()).collect();
        let Some(prog) = argv.first().map(|p| crate::script::basename(p).to_owned()) else {
            continue;
        };
        let sub = argv.get(1).map(String::as_str).unwrap_or("");
        let sub2 = argv.get(2).map(String::as_str).unwrap_or("");
        let hit = match prog.as_str() {
            "npm" | "pnpm" | "cargo" | "poetry" | "uv" | "flit" | "hatch" => sub == "publish",
            "yarn" => sub == "publish" || sub == "npm" && sub2 == "publish",
            "twine" => sub == "upload",
            "gem" => sub == "push",
            "docker" | "podman" => {
                sub == "push" || sub == "buildx" && argv.iter().any(|a| a == "--push")
            }
            "gh" => sub == "release" && matches!(sub2, "create" | "upload"),
            "goreleaser" => sub == "release" || sub.is_empty() || sub.starts_with('-'),
            "mvn" | "mvnw" => argv.iter().any(|a| a == "deploy"),
            "gradle" | "gradlew" => argv.iter().any(|a| a.starts_with("publish")),
            "dotnet" => sub == "nuget" && sub2 == "push",
            "nuget" => sub == "push",
            "helm" => sub == "push",
            _ => false,
        };
        let dry_run = argv.iter().any(|a| {
            matches!(
                a.as_str(),
                "--dry-run" | "--snapshot" | "--skip-publish" | "--skip=publish"
            )
        });
        if hit && !dry_run {
            // Show the command up to its publishing word: `cargo publish`, `gh release create`.
            let end = argv
                .iter()
                .position(|a| {
                    matches!(
                        a.as_str(),
                        "publish" | "upload" | "push" | "create" | "release" | "deploy"
                    ) || a.starts_with("publish")
                })
                .map_or(1, |i| i + 1);
            let shown: Vec<&str> = argv[..end].iter().map(String::as_str).collect();
            return Some(format!("`{}`", shown.join(" ")));
        }
    }
    None
}

fn truthy(n: Option<&Node>) -> bool {
    n.is_some_and(|v| v.as_bool() == Some(true) || v.as_str().is_some_and(|s| s == "true"))
}

/// The node to point at and a description, when a step restores a cache.
fn restores_cache<'a>(cx: &Cx<'_, '_>, step: &Step<'a>) -> Option<(&'a Node, String)> {
    let name = step.action_name()?;
    let uses = step.uses()?;
    let setup = name.starts_with("actions/setup-");
    match name.as_str() {
        "actions/cache" | "actions/cache/restore" => {
            Some((uses, format!("`{name}` restores a cache")))
        }
        "swatinem/rust-cache" => Some((uses, "`Swatinem/rust-cache` restores a cache".into())),
        "gradle/actions/setup-gradle" | "gradle/gradle-build-action" => {
            (!truthy(step.with("cache-disabled")))
                .then(|| (uses, format!("`{name}` restores the Gradle cache")))
        }
        "ruby/setup-ruby" => step
            .with("bundler-cache")
            .filter(|v| truthy(Some(v)))
            .map(|v| (v, "`ruby/setup-ruby` restores the bundler cache".into())),
        "astral-sh/setup-uv" => step
            .with("enable-cache")
            .filter(|v| truthy(Some(v)))
            .map(|v| (v, "`astral-sh/setup-uv` restores the uv cache".into())),
        "docker/build-push-action" => step
            .with("cache-from")
            .filter(|v| v.as_str().is_some_and(|s| s.contains("type=gha")))
            .map(|v| {
                (
                    v,
                    "`docker/build-push-action` imports layers from the GitHub Actions cache"
                        .into(),
                )
            }),
        "actions/setup-go" => match step.with("cache") {
            Some(v) if v.as_bool() == Some(false) || v.as_str() == Some("false") => None,
            Some(v) => Some((
                v,
                "`actions/setup-go` restores the Go module and build cache".into(),
            )),
            None => {
                // v4 and later cache by default; a commit pin without a version comment is
                // assumed to be recent.
                let major = Uses::parse(uses.as_str()?)?
                    .version(cx.trailing_comment(uses))
                    .map(|v| v.major());
                (major.is_none_or(|m| m >= 4)).then(|| {
                    (
                        uses,
                        "`actions/setup-go` restores the Go module and build cache (on by default since v4)".into(),
                    )
                })
            }
        },
        _ if setup => step
            .with("cache")
            .filter(|v| {
                v.as_str()
                    .is_some_and(|s| !s.trim().is_empty() && s != "false")
                    || v.as_bool() == Some(true)
            })
            .map(|v| (v, format!("`{name}` restores a dependency cache"))),
        _ => None,
    }
}

/// Jobs that publish, with the step that does; plus the jobs whose artifacts they download
/// (`needs` with `upload-artifact` / `download-artifact`), transitively.
fn publishing_jobs<'w, 'a>(wf: &'w Workflow<'a>) -> Vec<(&'w Job<'a>, Span, String)> {
    let mut direct: Vec<(&'w Job<'a>, Span, String)> = Vec::new();
    for job in &wf.jobs {
        if let Some((step, what)) = job.steps.iter().find_map(|s| publishes(s).map(|w| (s, w))) {
            direct.push((
                job,
                step.uses().or(step.run()).unwrap_or(step.node).span,
                format!(", which publishes with {what}"),
            ));
        }
    }
    let mut all = direct.clone();
    let mut i = 0;
    while i < all.len() {
        let (job, span, why) = (all[i].0, all[i].1, all[i].2.clone());
        if let Some(needs) = job.node.get("needs") {
            for n in needs.scalars() {
                let Some(dep) = n.as_str().and_then(|id| wf.job(id)) else {
                    continue;
                };
                // Only jobs whose artifacts the publishing job takes: `needs` alone may just order them.
                let hands_over = dep
                    .steps
                    .iter()
                    .any(|s| s.uses_action("actions/upload-artifact"))
                    && job
                        .steps
                        .iter()
                        .any(|s| s.uses_action("actions/download-artifact"));
                if hands_over && !all.iter().any(|(j, _, _)| j.id == dep.id) {
                    let why = match why.strip_prefix(", which publishes with ") {
                        Some(what) => {
                            format!(", whose artifacts job `{}` publishes with {what}", job.id)
                        }
                        None => why.clone(),
                    };
                    all.push((dep, span, why));
                }
            }
        }
        i += 1;
    }
    all
}

impl Rule for CachePoisoning {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let release_trigger = wf
            .trigger("release")
            .map(|t| {
                (
                    t.node.span,
                    "of a workflow triggered by `release`".to_owned(),
                )
            })
            .or_else(|| {
                wf.trigger("push")
                    .filter(|t| t.config.is_some_and(|c| c.get("tags").is_some()))
                    .map(|t| {
                        (
                            t.node.span,
                            "of a workflow triggered by pushed tags".to_owned(),
                        )
                    })
            });
        let publishing = publishing_jobs(wf);
        for job in &wf.jobs {
            let context = match publishing.iter().find(|(j, _, _)| j.id == job.id) {
                Some((_, span, why)) => Some((*span, why.clone(), "publishes here")),
                // Which jobs release is known: the others (tests, lints) do not end up in it.
                None if !publishing.is_empty() => None,
                None => release_trigger
                    .clone()
                    .map(|(s, w)| (s, format!(" {w}"), "release trigger")),
            };
            let Some((related, why, label)) = context else {
                continue;
            };
            for step in &job.steps {
                let Some((node, what)) = restores_cache(cx, step) else {
                    continue;
                };
                out.push(
                    cx.finding(
                        &Self::INFO,
                        node.span,
                        "cache restored in a release build",
                        format!(
                            "{what} in job `{}`{why}: an entry poisoned by another run on the default branch ends up in what is released",
                            job.id
                        ),
                    )
                    .related(cx.loc(related, label)),
                );
            }
        }
    }
}
