use chainproof_core::{Finding, Severity, Span};

use super::{Cx, Rule, declare_rule};
use crate::gitlab::Pipeline;
use crate::gitlab_rules::merge_request_reach;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds GitLab jobs that start a Docker-in-Docker service (`services: [docker:dind]`,
    /// `docker:27-dind`, a mirror of it, or `name: docker:dind` with an alias), which only works
    /// on runners that start containers in privileged mode.
    ///
    /// Severity: medium by default; **high** when the job can run in merge-request pipelines
    /// (the code of any merge request then gets a privileged Docker daemon on the runner); **low**
    /// for `docker:dind-rootless` (the daemon still needs privileges to start, but runs as an
    /// unprivileged user, so a breakout lands outside root). A service shared through `default:`
    /// or a template is reported once, at its definition, with the worst case among its jobs.
    ///
    /// ## Why is this bad
    /// A privileged container is root on the runner host: code in the job can load kernel
    /// modules, mount the host's disks and read other jobs' files, caches and credentials on the
    /// same runner. On shared or long-lived runners that turns "run my tests" into control of
    /// every later job.
    ///
    /// ## Example
    /// ```yaml
    /// build-image:
    ///   image: docker:27
    ///   services: [docker:27-dind]
    ///   script: docker build -t "$CI_REGISTRY_IMAGE" .
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// build-image:
    ///   image:
    ///     name: gcr.io/kaniko-project/executor:v1.23.2-debug
    ///     entrypoint: [""]
    ///   script:
    ///     - /kaniko/executor --context "$CI_PROJECT_DIR" --destination "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
    /// ```
    /// or buildah/podman rootless, or a dedicated, isolated runner for image builds.
    ///
    /// ## References
    /// - https://docs.gitlab.com/ci/docker/using_docker_build/#use-docker-in-docker
    /// - https://docs.gitlab.com/runner/security/#usage-of-docker-executor
    /// - https://docs.gitlab.com/ci/docker/using_kaniko/
    DindService {
        id: "dind-service",
        title: "privileged Docker-in-Docker service",
        severity: Medium,
        confidence: High,
        platforms: ["gitlab"],
        fixable: false,
    }
}

/// The service's image reference, for a string or `name:` entry.
fn service_image(s: &Node) -> Option<&Node> {
    if s.as_str().is_some() {
        Some(s)
    } else {
        s.get("name").filter(|n| n.as_str().is_some())
    }
}

/// Whether an image reference is Docker-in-Docker: `docker:dind`, `docker:27-dind`,
/// `registry.example.com/library/docker:dind@sha256:...`. Returns `Some(rootless)`.
pub(crate) fn dind_kind(image: &str) -> Option<bool> {
    let image = image.trim();
    let without_digest = image.split('@').next().unwrap_or(image);
    let (repo, tag) = match without_digest.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (without_digest, ""),
    };
    let name = repo.rsplit('/').next().unwrap_or(repo);
    if name != "docker" && name != "dind" {
        return None;
    }
    let tag = tag.to_ascii_lowercase();
    if name == "dind" || tag.contains("dind") {
        Some(tag.contains("rootless"))
    } else {
        None
    }
}

struct Hit {
    span: Span,
    image: String,
    rootless: bool,
    jobs: Vec<String>,
    mr_jobs: Vec<String>,
    /// Why the first merge-request job runs there.
    mr_span: Option<Span>,
}

impl Rule for DindService {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        let mut hits: Vec<Hit> = Vec::new();
        for job in pipeline.jobs.iter().filter(|j| !j.hidden) {
            let Some(services) = job.node.get("services") else {
                continue;
            };
            let mr = merge_request_reach(job, pipeline).map(|r| r.span);
            for s in services.items() {
                let Some(image_node) = service_image(s) else {
                    continue;
                };
                let Some(image) = image_node.as_str() else {
                    continue;
                };
                let Some(rootless) = dind_kind(image) else {
                    continue;
                };
                let hit = match hits.iter_mut().find(|h| h.span == image_node.span) {
                    Some(h) => h,
                    None => {
                        hits.push(Hit {
                            span: image_node.span,
                            image: image.to_owned(),
                            rootless,
                            jobs: Vec::new(),
                            mr_jobs: Vec::new(),
                            mr_span: None,
                        });
                        let last = hits.len() - 1;
                        &mut hits[last]
                    }
                };
                hit.jobs.push(job.name.clone());
                if let Some(span) = mr {
                    hit.mr_jobs.push(job.name.clone());
                    hit.mr_span.get_or_insert(span);
                }
            }
        }
        for h in hits {
            let list = |names: &[String]| {
                let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
                let more = names.len().saturating_sub(3);
                if more > 0 {
                    format!("{} and {more} more", shown.join(", "))
                } else {
                    shown.join(", ")
                }
            };
            let who = if h.jobs.len() == 1 {
                format!("job {}", list(&h.jobs))
            } else {
                format!("jobs {}", list(&h.jobs))
            };
            let (severity, message) = if h.rootless {
                (
                    Severity::Low,
                    format!(
                        "{who} start `{}`, a rootless Docker daemon that still needs a privileged container on the runner; prefer kaniko or buildah, which need no privileges",
                        h.image
                    ),
                )
            } else if !h.mr_jobs.is_empty() {
                (
                    Severity::High,
                    format!(
                        "{who} start `{}`, a privileged Docker daemon, and {} can run in merge-request pipelines: merge-request code gets root on the runner host, and with it every job that later runs there",
                        h.image,
                        list(&h.mr_jobs)
                    ),
                )
            } else {
                (
                    Severity::Medium,
                    format!(
                        "{who} start `{}`, which needs a privileged runner: code in the job is root on the runner host and can reach other jobs' files and credentials; prefer kaniko or buildah",
                        h.image
                    ),
                )
            };
            let message = if h.jobs.len() == 1 {
                message.replacen(" start `", " starts `", 1)
            } else {
                message
            };
            let mut f = cx
                .finding(&Self::INFO, h.span, "privileged Docker-in-Docker", message)
                .severity(severity);
            if let (Some(span), Some(first), false) = (h.mr_span, h.mr_jobs.first(), h.rootless) {
                f = f.related(cx.loc(
                    span,
                    format!("lets `{first}` run in merge-request pipelines"),
                ));
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::dind_kind;

    #[test]
    fn dind_images() {
        assert_eq!(dind_kind("docker:dind"), Some(false));
        assert_eq!(dind_kind("docker:27.3-dind"), Some(false));
        assert_eq!(dind_kind("docker:dind-rootless"), Some(true));
        assert_eq!(
            dind_kind("mirror.example.com/library/docker:24-dind@sha256:abc"),
            Some(false)
        );
        assert_eq!(dind_kind("docker:27"), None);
        assert_eq!(dind_kind("postgres:16"), None);
        assert_eq!(dind_kind("registry.example.com:5000/docker"), None);
    }
}
