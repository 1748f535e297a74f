use chainproof_core::{Confidence, Finding, Severity};

use super::{Cx, Rule, declare_rule};
use crate::github::is_commit_sha;
use crate::gitlab::{IncludeKind, Pipeline};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds GitLab `include:` entries whose content can change without a change to this
    /// repository:
    ///
    /// - `include: remote` without `integrity: sha256-...` (high);
    /// - `include: project` without `ref:` (the default branch, high), with a branch `ref:`
    ///   (high) or a tag (medium: tags can be moved or deleted and re-created);
    /// - `include: template` (low: GitLab's own templates change with every GitLab upgrade, but
    ///   they come from the GitLab instance that runs the pipeline anyway, no new party);
    /// - `include: component` at `~latest`, a branch, or a partial version (`@1`, `@1.2`), all
    ///   of which pick up new releases automatically (high), or at a full version `@1.2.3`
    ///   (low: the tag behind it can still be moved).
    ///
    /// Only a full commit SHA (or an integrity hash) is immutable. Includes of the project
    /// itself (`project: $CI_PROJECT_PATH`, `component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/...`)
    /// are not reported, and neither are projects and groups listed in `allow-unpinned` in
    /// `chainproof.yml` (templates count as `gitlab-org/gitlab`). A `ref:` held in a global variable is resolved through `variables:`.
    ///
    /// ## Why is this bad
    /// Included configuration runs with this project's variables, runners and job token. Whoever
    /// can push to the included branch, move the tag, publish the next component version or
    /// serve the remote URL can change what every pipeline of this project runs, and the change
    /// leaves no trace in this repository's history.
    ///
    /// ## Example
    /// ```yaml
    /// include:
    ///   - remote: https://example.com/ci/lint.yml
    ///   - project: platform/ci-templates
    ///     file: /deploy.yml
    ///   - component: $CI_SERVER_FQDN/components/sast/sast@~latest
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// include:
    ///   - remote: https://example.com/ci/lint.yml
    ///     integrity: sha256-L3/GAoKaw0Arw6hDCKeKQlV1QPEgHYxGBHsH4zG1IY8=
    ///   - project: platform/ci-templates
    ///     ref: 6f1c2f0d3b1e6c1a9f2c1d8e7b6a5f4e3d2c1b0a  # v3.4.1
    ///     file: /deploy.yml
    ///   - component: $CI_SERVER_FQDN/components/sast/sast@2b5f4e3d2c1b0a6f1c2f0d3b1e6c1a9f2c1d8e7b
    /// ```
    ///
    /// ## References
    /// - https://docs.gitlab.com/ci/yaml/#include
    /// - https://docs.gitlab.com/ci/yaml/#includeintegrity
    /// - https://docs.gitlab.com/ci/components/#component-versions
    UnpinnedIncludes {
        id: "unpinned-includes",
        title: "GitLab include not pinned to an immutable version",
        severity: High,
        confidence: High,
        platforms: ["gitlab"],
        fixable: false,
    }
}

/// `1`, `1.2`, `v1.2.3`, `1.2.3-rc.1`: how many numeric parts a version-like string has.
fn version_parts(s: &str) -> Option<usize> {
    let core = s.strip_prefix('v').unwrap_or(s);
    let core = core.split(['-', '+']).next().unwrap_or(core);
    let parts: Vec<&str> = core.split('.').collect();
    (!core.is_empty()
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
    .then_some(parts.len())
}

/// Expand `$VAR` / `${VAR}` from the pipeline's global variables.
fn resolve<'p>(value: &'p str, pipeline: &'p Pipeline) -> Option<&'p str> {
    let name = value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| value.strip_prefix('$'))?;
    pipeline.variable(name).and_then(Node::as_str)
}

fn own_project(path: &str) -> bool {
    matches!(path, "$CI_PROJECT_PATH" | "${CI_PROJECT_PATH}")
}

impl UnpinnedIncludes {
    fn remote(cx: &Cx<'_, '_>, entry: &Node, url: &str, out: &mut Vec<Finding>) {
        let without_scheme = url.split_once("://").map_or(url, |(_, r)| r);
        if cx.config.allows_unpinned(without_scheme) {
            return;
        }
        let url_node = entry.get("remote").unwrap_or(entry);
        match entry.get("integrity").and_then(Node::as_str) {
            Some(i) if i.starts_with("sha256-") && i.len() > 7 => {}
            Some(i) => out.push(
                cx.finding(
                    &Self::INFO,
                    entry.get("integrity").map_or(entry.span, |n| n.span),
                    "not a SHA-256 integrity hash",
                    format!(
                        "`integrity: {i}` is not of the form `sha256-<base64 digest>`, so GitLab rejects the include"
                    ),
                )
                .related(cx.loc(url_node.span, "remote include")),
            ),
            None => out.push(cx.finding(
                &Self::INFO,
                url_node.span,
                "no `integrity:`",
                format!(
                    "remote include `{url}` has no `integrity: sha256-...`, so whoever controls that URL decides what this pipeline runs"
                ),
            )),
        }
    }

    fn project(
        cx: &Cx<'_, '_>,
        pipeline: &Pipeline,
        entry: &Node,
        project: &str,
        out: &mut Vec<Finding>,
    ) {
        if own_project(project) || cx.config.allows_unpinned(project) {
            return;
        }
        let Some(ref_node) = entry.get("ref") else {
            let at = entry.get("project").map_or(entry.span, |n| n.span);
            out.push(cx.finding(
                &Self::INFO,
                at,
                "no `ref:`",
                format!(
                    "`include: project: {project}` has no `ref:`, so it follows that project's default branch: anyone who can push there changes this pipeline; pin `ref:` to a commit SHA"
                ),
            ));
            return;
        };
        let Some(written) = ref_node.as_str() else {
            return;
        };
        let (value, via) = if written.starts_with('$') {
            match resolve(written, pipeline) {
                Some(v) => (v, format!(" (`{written}`)")),
                None => {
                    out.push(
                        cx.finding(
                            &Self::INFO,
                            ref_node.span,
                            "ref from a variable",
                            format!(
                                "`include: project: {project}` takes its `ref:` from `{written}`, which chainproof cannot resolve; pin it to a commit SHA"
                            ),
                        )
                        .severity(Severity::Medium)
                        .confidence(Confidence::Low),
                    );
                    return;
                }
            }
        } else {
            (written, String::new())
        };
        if is_commit_sha(value) {
            return;
        }
        let (severity, kind) = if version_parts(value).is_some() {
            (Severity::Medium, "a tag, which can be moved")
        } else {
            (Severity::High, "a branch, which moves with every push")
        };
        out.push(
            cx.finding(
                &Self::INFO,
                ref_node.span,
                "mutable ref",
                format!(
                    "`include: project: {project}` uses `ref: {value}`{via}, {kind}; pin it to a commit SHA"
                ),
            )
            .severity(severity),
        );
    }

    fn component(cx: &Cx<'_, '_>, entry: &Node, component: &str, out: &mut Vec<Finding>) {
        let node = entry.get("component").unwrap_or(entry);
        let Some((path, version)) = component.rsplit_once('@') else {
            out.push(cx.finding(
                &Self::INFO,
                node.span,
                "no version",
                format!("component `{component}` has no `@version`; pin it to a commit SHA"),
            ));
            return;
        };
        // `host/group/project/name`: the allow-list speaks of `group/project`.
        let project_path = path.split_once('/').map_or(path, |(_, r)| r);
        if project_path.starts_with("$CI_PROJECT_PATH/")
            || project_path.starts_with("${CI_PROJECT_PATH}/")
            || cx.config.allows_unpinned(project_path)
        {
            return;
        }
        let at = cx.locate(node, &format!("@{version}"), 0);
        if is_commit_sha(version) {
            return;
        }
        let (severity, confidence, why) = if version == "~latest" {
            (
                Severity::High,
                Confidence::High,
                "`~latest` takes whatever version is published next".to_owned(),
            )
        } else if version.contains('$') {
            (
                Severity::Medium,
                Confidence::Low,
                format!("the version comes from `{version}`, which chainproof cannot resolve"),
            )
        } else {
            match version_parts(version) {
                Some(n) if n >= 3 => (
                    Severity::Low,
                    Confidence::High,
                    format!("`{version}` is a release tag, which its maintainers can move"),
                ),
                Some(_) => (
                    Severity::High,
                    Confidence::High,
                    format!(
                        "the partial version `{version}` resolves to the newest matching release, so new releases are picked up automatically"
                    ),
                ),
                None => (
                    Severity::High,
                    Confidence::High,
                    format!("`{version}` is a branch (or tag) name that moves"),
                ),
            }
        };
        out.push(
            cx.finding(
                &Self::INFO,
                at,
                "mutable component version",
                format!("component `{path}`: {why}; pin it to a commit SHA"),
            )
            .severity(severity)
            .confidence(confidence),
        );
    }
}

impl Rule for UnpinnedIncludes {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        for inc in &pipeline.includes {
            let entry = &inc.node;
            match &inc.kind {
                IncludeKind::Remote { url, .. } => Self::remote(cx, entry, url, out),
                IncludeKind::Project { project, .. } => {
                    Self::project(cx, pipeline, entry, project, out);
                }
                IncludeKind::Template(t) => {
                    if cx.config.allows_unpinned("gitlab-org/gitlab") {
                        continue;
                    }
                    out.push(
                        cx.finding(
                            &Self::INFO,
                            entry.get("template").map_or(entry.span, |n| n.span),
                            "changes with GitLab upgrades",
                            format!(
                                "`include: template: {t}` is GitLab's own template, which changes with every GitLab upgrade; vendor a reviewed copy (or include it from a project at a pinned SHA)"
                            ),
                        )
                        .severity(Severity::Low),
                    );
                }
                IncludeKind::Component(c) => Self::component(cx, entry, c, out),
                IncludeKind::Local(_) | IncludeKind::Unknown => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::version_parts;

    #[test]
    fn versions() {
        assert_eq!(version_parts("1"), Some(1));
        assert_eq!(version_parts("1.2"), Some(2));
        assert_eq!(version_parts("v1.2.3"), Some(3));
        assert_eq!(version_parts("1.2.3-rc.1"), Some(3));
        assert_eq!(version_parts("main"), None);
        assert_eq!(version_parts("~latest"), None);
        assert_eq!(version_parts("release-1.2"), None);
    }
}
