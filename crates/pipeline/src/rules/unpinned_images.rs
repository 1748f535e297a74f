use std::collections::HashSet;
use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding, Severity, Span};
use regex::Regex;

use super::{Cx, Rule, Scope, declare_rule};
use crate::github::{Action, ActionKind, Job, Step, Uses, Workflow};
use crate::gitlab::{GlJob, Pipeline};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds container images that are not pinned by digest (`@sha256:…`):
    ///
    /// - GitHub: `jobs.<id>.container` (a string or `image:`), `jobs.<id>.services.<name>.image`,
    ///   `uses: docker://…` steps and `runs.image: docker://…` of Docker actions.
    /// - GitLab: `image:` (a string or `name:`) and `services:` entries (a string or `name:`) of
    ///   jobs, templates, `default:` and the deprecated global keywords. An image inherited by many
    ///   jobs is reported once, where it is written.
    ///
    /// No tag or `:latest` is **high**; any other tag is **medium**. An image that comes from an
    /// expression (`${{ matrix.image }}`) or a variable (`$BUILD_IMAGE`) is judged when the value is
    /// written in the same file (a literal matrix list, a `variables:` entry); otherwise it is
    /// skipped, unless the tag is visible after the variable (`$CI_REGISTRY_IMAGE/ci:latest`).
    ///
    /// ## Why is this bad
    /// Tags are mutable: whoever can push to the image repository (its maintainers, an attacker
    /// with their token, or a typo-squatted registry name) decides what your job runs. `latest`
    /// changes on every release, so builds are neither reproducible nor reviewable. A digest names
    /// exactly one image.
    ///
    /// ## Example
    /// ```yaml
    /// # GitHub
    /// jobs:
    ///   test:
    ///     container: node:20
    ///     services:
    ///       db:
    ///         image: postgres
    /// # GitLab
    /// build:
    ///   image: python:3.12
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// container: node:20@sha256:<digest>
    /// ```
    /// `docker buildx imagetools inspect node:20` prints the digest; Renovate keeps digests
    /// up to date (`pinDigests: true`).
    ///
    /// ## References
    /// - https://docs.docker.com/reference/cli/docker/image/pull/#pull-an-image-by-digest-immutable-identifier
    /// - https://docs.gitlab.com/ci/yaml/#image
    UnpinnedImages {
        id: "unpinned-images",
        title: "container image not pinned by digest",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

/// How an image reference is pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pin {
    Digest,
    Untagged,
    Latest,
    Tag(String),
    /// A variable decides the tag or digest: cannot judge.
    Unknown,
}

static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{\{.*?\}\}|\$\[\[.*?\]\]|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
        .unwrap_or_else(|e| panic!("variable regex: {e}"))
});

fn tag_pin(last_segment: &str) -> Pin {
    match last_segment.rsplit_once(':') {
        None => Pin::Untagged,
        Some((_, "")) => Pin::Unknown,
        Some((_, t)) if t.eq_ignore_ascii_case("latest") => Pin::Latest,
        Some((_, t)) => Pin::Tag(t.to_owned()),
    }
}

/// Judge an image reference (`[registry[:port]/]path[:tag][@digest]`), possibly with variables.
fn analyse(image: &str) -> Pin {
    let image = image.trim();
    if image.is_empty() {
        return Pin::Unknown;
    }
    // The part after the last variable is literal; only it can be judged.
    let (has_var, rest) = match VARIABLE.find_iter(image).last() {
        Some(m) => (true, &image[m.end()..]),
        None => (false, image),
    };
    if let Some((_, digest)) = rest.split_once('@') {
        let valid = digest
            .split_once(':')
            .is_some_and(|(algo, hex)| !algo.is_empty() && hex.len() >= 32);
        return if valid { Pin::Digest } else { Pin::Unknown };
    }
    if has_var && image[..image.len() - rest.len()].contains('@') {
        return Pin::Unknown; // `name@$DIGEST`
    }
    match rest.rsplit_once('/') {
        Some((_, last)) => tag_pin(last),
        None if !has_var => tag_pin(rest),
        // `$IMAGE:latest`: the tag is literal even if the name is not.
        None if rest.contains(':') => tag_pin(rest),
        None => Pin::Unknown,
    }
}

/// An image to judge: the text (after variable substitution), where it is written, and where a
/// substituted value came from.
struct Candidate<'n> {
    node: &'n Node,
    /// Text to locate inside `node` (the image without a `docker://` prefix, or the whole value).
    needle: String,
    image: String,
    /// Said after the image in the message (` (a value of matrix.image)`).
    note: String,
    via: Option<(String, Span)>,
}

impl UnpinnedImages {
    fn report(&self, cx: &Cx<'_, '_>, c: &Candidate<'_>, what: &str, out: &mut Vec<Finding>) {
        let pin = analyse(&c.image);
        let image = c.image.trim();
        let note = &c.note;
        let (severity, label, message) = match pin {
            Pin::Digest | Pin::Unknown => return,
            Pin::Untagged => (
                Severity::High,
                "no tag, no digest",
                format!(
                    "{what} `{image}`{note} has no tag or digest, so it pulls `latest`: whatever was pushed most recently; pin its digest (`@sha256:…`)"
                ),
            ),
            Pin::Latest => (
                Severity::High,
                "`latest` tag",
                format!(
                    "{what} `{image}`{note} uses the `latest` tag, which changes with every push to the image repository; pin its digest (`@sha256:…`)"
                ),
            ),
            Pin::Tag(t) => (
                Severity::Medium,
                "tag, no digest",
                format!(
                    "{what} `{image}`{note} is pinned only by the tag `{t}`, which the publisher (or anyone with their credentials) can re-push; add its digest after the tag (`@sha256:…`)"
                ),
            ),
        };
        let span = cx.locate(c.node, &c.needle, 0);
        let mut f = cx
            .finding(&Self::INFO, span, label, message)
            .severity(severity);
        if let Some((label, sp)) = &c.via {
            f = f
                .related(cx.loc(*sp, label.clone()))
                .confidence(Confidence::Medium);
        }
        out.push(f);
    }

    /// `${{ matrix.NAME }}` with literal values in `strategy.matrix` of the job.
    fn matrix_values<'n>(job: &'n Node, expr: &str) -> Option<Vec<&'n Node>> {
        let inner = expr.trim().strip_prefix("${{")?.strip_suffix("}}")?.trim();
        let name = inner.strip_prefix("matrix.")?;
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return None;
        }
        let matrix = job.path(&["strategy", "matrix"])?;
        let mut values: Vec<&Node> = matrix.get(name).map(|v| v.items().iter().collect())?;
        if let Some(include) = matrix.get("include") {
            values.extend(include.items().iter().filter_map(|i| i.get(name)));
        }
        let literal = values
            .iter()
            .all(|v| v.as_str().is_some_and(|s| !s.contains("${{")));
        (literal && !values.is_empty()).then_some(values)
    }

    /// A GitHub image node (`container`, `services.*.image`): literal, or resolved through a matrix.
    fn github_image(
        &self,
        cx: &Cx<'_, '_>,
        job: &Job<'_>,
        node: &Node,
        what: &str,
        out: &mut Vec<Finding>,
    ) {
        let Some(text) = node.as_str() else { return };
        if text.trim().is_empty() {
            return;
        }
        if let Some(values) = Self::matrix_values(job.node, text) {
            for v in values {
                let Some(s) = v.as_str() else { continue };
                self.report(
                    cx,
                    &Candidate {
                        node: v,
                        needle: s.trim().to_owned(),
                        image: s.to_owned(),
                        note: format!(
                            " (a value of `{}`)",
                            text.trim()
                                .trim_start_matches("${{")
                                .trim_end_matches("}}")
                                .trim()
                        ),
                        via: Some((format!("used as the {what}"), node.span)),
                    },
                    what,
                    out,
                );
            }
            return;
        }
        self.report(
            cx,
            &Candidate {
                node,
                needle: text.trim().to_owned(),
                image: text.to_owned(),
                note: String::new(),
                via: None,
            },
            what,
            out,
        );
    }

    fn docker_uses(&self, cx: &Cx<'_, '_>, node: &Node, what: &str, out: &mut Vec<Finding>) {
        let Some(text) = node.as_str() else { return };
        if let Some(Uses::Docker(image)) = Uses::parse(text) {
            self.report(
                cx,
                &Candidate {
                    node,
                    needle: image.trim().to_owned(),
                    image: image.to_owned(),
                    note: String::new(),
                    via: None,
                },
                what,
                out,
            );
        }
    }

    /// GitLab: substitute `$VAR` / `${VAR}` defined literally in the job's or the pipeline's
    /// `variables:`.
    fn gitlab_candidate<'n>(
        pipeline: &Pipeline,
        job: Option<&GlJob>,
        node: &'n Node,
    ) -> Option<Candidate<'n>> {
        let text = node.as_str()?;
        if text.trim().is_empty() {
            return None;
        }
        let mut image = text.to_owned();
        let mut via = None;
        for _ in 0..3 {
            let Some(m) = VARIABLE.find_iter(&image).find(|m| {
                let s = m.as_str();
                !s.starts_with("${{") && !s.starts_with("$[[")
            }) else {
                break;
            };
            let name = m
                .as_str()
                .trim_start_matches('$')
                .trim_start_matches('{')
                .trim_end_matches('}');
            let def = match job {
                Some(j) => j.variable(pipeline, name),
                None => pipeline.variable(name),
            };
            let Some(value) = def.and_then(|d| d.as_str().map(|s| (s, d.span))) else {
                break;
            };
            via.get_or_insert((format!("`{name}` is defined here"), value.1));
            image.replace_range(m.range(), value.0);
        }
        let note = if image == text {
            String::new()
        } else {
            format!(" (`{}`)", text.trim())
        };
        Some(Candidate {
            node,
            needle: text.trim().to_owned(),
            image,
            note,
            via,
        })
    }

    fn gitlab_images(node: &Node) -> Vec<(&Node, &'static str)> {
        let mut out = Vec::new();
        if let Some(i) = node.get("image") {
            match i.get("name") {
                Some(n) => out.push((n, "image")),
                None if i.as_str().is_some() => out.push((i, "image")),
                None => {}
            }
        }
        if let Some(s) = node.get("services") {
            for item in s.items() {
                match item.get("name") {
                    Some(n) => out.push((n, "service image")),
                    None if item.as_str().is_some() => out.push((item, "service image")),
                    None => {}
                }
            }
        }
        out
    }
}

impl Rule for UnpinnedImages {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn job(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, job: &Job<'_>, out: &mut Vec<Finding>) {
        if let Some(c) = job.node.get("container") {
            let image = c.get("image").unwrap_or(c);
            self.github_image(cx, job, image, "container image", out);
        }
        if let Some(services) = job.node.get("services") {
            for (_, svc) in services.entries() {
                if let Some(image) = svc.get("image") {
                    self.github_image(cx, job, image, "service image", out);
                }
            }
        }
        for step in &job.steps {
            self.step(cx, Scope::Workflow { wf, job }, step, out);
        }
    }

    fn step(
        &self,
        cx: &Cx<'_, '_>,
        _scope: Scope<'_, '_>,
        step: &Step<'_>,
        out: &mut Vec<Finding>,
    ) {
        if let Some(u) = step.uses() {
            self.docker_uses(cx, u, "step image", out);
        }
    }

    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        if action.kind == ActionKind::Docker {
            if let Some(image) = action.root.path(&["runs", "image"]) {
                self.docker_uses(cx, image, "action image", out);
            }
        }
        for step in &action.steps {
            self.step(cx, Scope::Action(action), step, out);
        }
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        // Jobs inherit the same `default:` node: report each written image once.
        let mut seen: HashSet<Span> = HashSet::new();
        let mut candidates: Vec<(Candidate<'_>, &'static str)> = Vec::new();
        for job in &pipeline.jobs {
            for (node, what) in Self::gitlab_images(&job.node) {
                if let Some(c) = Self::gitlab_candidate(pipeline, Some(job), node) {
                    candidates.push((c, what));
                }
            }
        }
        // Defaults no job inherits are still configuration someone will use.
        for scope in [Some(&pipeline.config), pipeline.config.get("default")]
            .into_iter()
            .flatten()
        {
            for (node, what) in Self::gitlab_images(scope) {
                if let Some(c) = Self::gitlab_candidate(pipeline, None, node) {
                    candidates.push((c, what));
                }
            }
        }
        for (c, what) in candidates {
            if seen.insert(c.node.span) {
                self.report(cx, &c, what, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Pin, analyse};

    #[test]
    fn image_references() {
        assert_eq!(analyse("alpine"), Pin::Untagged);
        assert_eq!(analyse("alpine:latest"), Pin::Latest);
        assert_eq!(analyse("alpine:3.20"), Pin::Tag("3.20".into()));
        assert_eq!(analyse("registry:5000/team/app"), Pin::Untagged);
        assert_eq!(
            analyse("registry:5000/team/app:1.0"),
            Pin::Tag("1.0".into())
        );
        assert_eq!(
            analyse(
                "alpine:3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            ),
            Pin::Digest
        );
        assert_eq!(analyse("$IMAGE"), Pin::Unknown);
        assert_eq!(analyse("${{ matrix.image }}"), Pin::Unknown);
        assert_eq!(analyse("$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"), Pin::Unknown);
        assert_eq!(analyse("$CI_REGISTRY_IMAGE/ci:latest"), Pin::Latest);
        assert_eq!(analyse("$CI_REGISTRY_IMAGE/ci"), Pin::Untagged);
        assert_eq!(analyse("$IMAGE:latest"), Pin::Latest);
        assert_eq!(analyse("node:$NODE_VERSION"), Pin::Unknown);
        assert_eq!(analyse("node@$DIGEST"), Pin::Unknown);
        assert_eq!(analyse("$[[ inputs.image ]]"), Pin::Unknown);
        assert_eq!(
            analyse("ghcr.io/${{ github.repository }}/ci:main"),
            Pin::Tag("main".into())
        );
    }
}
