use std::sync::LazyLock;

use chainproof_core::{Confidence, Finding, Severity};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::gitlab::{GlJob, Pipeline, artifact_paths, covering};
use crate::script::{command_lines, locate_from};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Follows `CI_JOB_TOKEN` through GitLab job scripts and reports where it leaves GitLab:
    ///
    /// - sent to another host: a `curl`/`wget`/`helm`/`docker login`/`.npmrc` line that carries
    ///   the token to a literal host (or a variable whose value in `variables:` is such a URL)
    ///   that is not this instance (`$CI_SERVER_HOST`, `$CI_SERVER_URL`, `$CI_API_V4_URL`,
    ///   `$CI_REGISTRY`, ... or a host whose name contains `gitlab`) (high). A command that
    ///   authenticates as `gitlab-ci-token` or calls `/api/v4/` is taken to talk to a GitLab
    ///   instance on its own domain and is not reported; confidence is high for well-known
    ///   third-party services (GitHub, npm, PyPI, Docker Hub, cloud registries, Artifactory...)
    ///   and medium for other hosts;
    /// - printed: `echo $CI_JOB_TOKEN | base64` and similar transformations defeat log masking
    ///   (high); a plain `echo` is masked in the log but still a mistake (low);
    /// - embedded in a git remote URL (`git remote set-url origin
    ///   https://gitlab-ci-token:${CI_JOB_TOKEN}@...`), which writes it to `.git/config`, in a job
    ///   whose artifacts archive that file (low: the token expires when the job ends, but the
    ///   pattern is the one that leaks longer-lived tokens).
    ///
    /// ## Why is this bad
    /// The job token acts with the permissions of the user who started the pipeline, on this
    /// project and on every project whose job-token allowlist admits it (package registries,
    /// releases, repositories, the container registry). A host that receives it can use it until
    /// the job finishes, which for long jobs is plenty; printed tokens end up in logs that
    /// outlive the job.
    ///
    /// ## Example
    /// ```yaml
    /// upload:
    ///   script:
    ///     - 'curl --header "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file app.tgz https://artifacts.example.com/app.tgz'
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// upload:
    ///   script:
    ///     - 'curl --header "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file app.tgz "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/generic/app/1.0/app.tgz"'
    /// ```
    /// Use a dedicated, narrowly scoped credential for third-party services.
    ///
    /// ## References
    /// - https://docs.gitlab.com/ci/jobs/ci_job_token/
    /// - https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable
    JobTokenLeak {
        id: "job-token-leak",
        title: "CI_JOB_TOKEN sent outside GitLab or exposed",
        severity: High,
        confidence: High,
        platforms: ["gitlab"],
        fixable: false,
    }
}

/// Predefined variables that point at this GitLab instance.
const INSTANCE_VARS: [&str; 14] = [
    "CI_SERVER_HOST",
    "CI_SERVER_FQDN",
    "CI_SERVER_URL",
    "CI_SERVER_SHELL_SSH_HOST",
    "CI_API_V4_URL",
    "CI_API_GRAPHQL_URL",
    "CI_REGISTRY",
    "CI_REGISTRY_IMAGE",
    "CI_PROJECT_URL",
    "CI_REPOSITORY_URL",
    "CI_DEPENDENCY_PROXY_SERVER",
    "CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX",
    "CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX",
    "CI_TEMPLATE_REGISTRY_HOST",
];

static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{?CI_JOB_TOKEN\}?\b").unwrap_or_else(|e| panic!("token regex: {e}"))
});

/// `scheme://[userinfo@]host` and protocol-relative `//host/` (as in `.npmrc` lines).
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//(?:[^/\s"'@]+@)?([^/\s"'?#@]+)"#)
        .unwrap_or_else(|e| panic!("host regex: {e}"))
});

static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?").unwrap_or_else(|e| panic!("var regex: {e}"))
});

static BARE_VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[\s"'=])\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"#)
        .unwrap_or_else(|e| panic!("bare var regex: {e}"))
});

static GIT_REMOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\bgit\s+(?:-C\s+\S+\s+)?(?:remote\s+(?:set-url|add)|clone|config\s+(?:--local\s+)?(?:remote\.|url\.))",
    )
    .unwrap_or_else(|e| panic!("git regex: {e}"))
});

/// Where a host points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dest {
    Instance,
    Other(String),
    Unknown,
}

fn variable_value<'p>(job: &'p GlJob, pipeline: &'p Pipeline, name: &str) -> Option<&'p str> {
    job.variable(pipeline, name).and_then(Node::as_str)
}

/// Classify a host as written (`example.com`, `$CI_SERVER_HOST:443`, `${ARTIFACTORY}`).
pub(crate) fn classify_host(host: &str, job: &GlJob, pipeline: &Pipeline, depth: usize) -> Dest {
    let host = host.trim_matches(|c| c == '"' || c == '\'');
    if let Some(m) = VARIABLE.captures(host) {
        let name = m.get(1).map_or("", |n| n.as_str());
        if INSTANCE_VARS.contains(&name) {
            return Dest::Instance;
        }
        return match variable_value(job, pipeline, name) {
            Some(v) if depth < 4 => dest_of_value(v, job, pipeline, depth + 1),
            _ => Dest::Unknown,
        };
    }
    let bare = host.rsplit('@').next().unwrap_or(host);
    let bare = bare.split(':').next().unwrap_or(bare).to_ascii_lowercase();
    if bare.is_empty() || bare.contains('$') {
        Dest::Unknown
    } else if bare.contains("gitlab") || bare == "localhost" {
        Dest::Instance
    } else {
        Dest::Other(bare)
    }
}

/// Where a URL-like value (`https://x/...`, `$CI_API_V4_URL/...`, `x.example.com`) points.
fn dest_of_value(v: &str, job: &GlJob, pipeline: &Pipeline, depth: usize) -> Dest {
    if let Some(h) = HOST.captures(v).and_then(|c| c.get(1)) {
        return classify_host(h.as_str(), job, pipeline, depth);
    }
    let first = v.split('/').next().unwrap_or(v);
    if first.starts_with('$') {
        return classify_host(first, job, pipeline, depth);
    }
    if first.contains('.') {
        return classify_host(first, job, pipeline, depth);
    }
    Dest::Unknown
}

/// The registry argument of `docker|podman|helm registry login ...`.
fn login_registry(segment: &str) -> Option<&str> {
    let words: Vec<&str> = segment.split_whitespace().collect();
    let i = words.iter().position(|w| *w == "login")?;
    if i == 0
        || !matches!(
            words[i - 1],
            "docker" | "podman" | "registry" | "buildah" | "crane"
        )
    {
        return None;
    }
    let mut positional = None;
    let mut skip = false;
    for w in &words[i + 1..] {
        if skip {
            skip = false;
            continue;
        }
        if matches!(*w, "-u" | "-p" | "--username" | "--password" | "--authfile") {
            skip = true;
            continue;
        }
        if w.starts_with('-') {
            continue;
        }
        positional = Some(*w);
    }
    positional
}

/// Well-known services that are certainly not a GitLab instance.
fn is_third_party(host: &str) -> bool {
    const KNOWN: [&str; 22] = [
        "github.com",
        "githubusercontent.com",
        "ghcr.io",
        "npmjs.org",
        "npmjs.com",
        "yarnpkg.com",
        "pypi.org",
        "docker.io",
        "docker.com",
        "quay.io",
        "gcr.io",
        "pkg.dev",
        "azurecr.io",
        "amazonaws.com",
        "jfrog.io",
        "slack.com",
        "atlassian.net",
        "sonarcloud.io",
        "codecov.io",
        "bitbucket.org",
        "nuget.org",
        "rubygems.org",
    ];
    KNOWN
        .iter()
        .any(|k| host == *k || host.ends_with(&format!(".{k}")))
        || host.contains("artifactory")
        || host.contains("nexus")
}

/// Split a command at `&&`, `||` and `;` (pipes stay: `echo $T | docker login` is one use).
fn segments(cmd: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = cmd.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let two = b.get(i..i + 2);
        if two == Some(b"&&") || two == Some(b"||") {
            out.push(&cmd[start..i]);
            i += 2;
            start = i;
        } else if b[i] == b';' {
            out.push(&cmd[start..i]);
            i += 1;
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&cmd[start..]);
    out
}

const UNMASKING: [&str; 10] = [
    "base64", "xxd", "od", "hexdump", "rev", "tr", "sed", "awk", "cut", "fold",
];

impl JobTokenLeak {
    fn check_segment(
        cx: &Cx<'_, '_>,
        pipeline: &Pipeline,
        job: &GlJob,
        line: &Node,
        from: usize,
        seg: &str,
        out: &mut Vec<Finding>,
    ) {
        let Some(tok) = TOKEN.find(seg) else { return };
        let token_text = tok.as_str();
        let first = seg.split_whitespace().next().unwrap_or("");
        let token_span = locate_from(cx, line, from, token_text);

        // Printed.
        if matches!(first, "echo" | "printf") {
            let pipes: Vec<&str> = seg.split('|').skip(1).collect();
            let unmask = pipes.iter().find_map(|p| {
                let w = p.split_whitespace().next().unwrap_or("");
                UNMASKING.contains(&w).then_some(w)
            });
            let redirected = seg.split('|').next().unwrap_or("").contains('>');
            if let Some(w) = unmask {
                out.push(cx.finding(
                    &Self::INFO,
                    token_span,
                    "printed in a form the log mask does not recognise",
                    format!(
                        "`CI_JOB_TOKEN` is printed through `{w}`, which changes its text so GitLab's log masking no longer hides it; anyone who can read the job log gets the token"
                    ),
                ));
                return;
            }
            if pipes.is_empty() && !redirected {
                out.push(
                    cx.finding(
                        &Self::INFO,
                        token_span,
                        "printed to the job log",
                        "`CI_JOB_TOKEN` is printed to the job log; it is masked there, but any change to the command (quoting, splitting, encoding) reveals it: do not print tokens",
                    )
                    .severity(Severity::Low),
                );
                return;
            }
        }

        // Sent to a host.
        let mut dests: Vec<(String, Dest)> = Vec::new();
        for c in HOST.captures_iter(seg) {
            if let Some(h) = c.get(1) {
                dests.push((
                    h.as_str().to_owned(),
                    classify_host(h.as_str(), job, pipeline, 0),
                ));
            }
        }
        for c in BARE_VARIABLE.captures_iter(seg) {
            let Some(name) = c.get(1).map(|m| m.as_str()) else {
                continue;
            };
            if name == "CI_JOB_TOKEN" || INSTANCE_VARS.contains(&name) {
                continue;
            }
            if let Some(v) = variable_value(job, pipeline, name) {
                if v.contains("://") {
                    dests.push((format!("${name}"), dest_of_value(v, job, pipeline, 0)));
                }
            }
        }
        if let Some(reg) = login_registry(seg) {
            dests.push((reg.to_owned(), dest_of_value(reg, job, pipeline, 0)));
        }
        // `gitlab-ci-token` as the user, or a `/api/v4/` path, means the author is talking to a
        // GitLab instance (self-managed ones often have names like `git.example.com`).
        let gitlab_hint = seg.contains("gitlab-ci-token") || seg.contains("/api/v4/");
        if let Some((written, Dest::Other(host))) = dests
            .iter()
            .find(|(w, d)| matches!(d, Dest::Other(_)) && (!gitlab_hint || w.starts_with('$')))
        {
            let confidence = if is_third_party(host) {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let via = if written.starts_with('$') {
                format!(" (through `{written}`)")
            } else {
                String::new()
            };
            out.push(
                cx.finding(
                    &Self::INFO,
                    token_span,
                    format!("sent to {host}"),
                    format!(
                        "`CI_JOB_TOKEN` is sent to `{host}`{via}, which is not this GitLab instance: whoever runs that host can act as this pipeline's user on every project the token reaches until the job ends; use a credential made for that service"
                    ),
                )
                .confidence(confidence)
                .related(cx.loc(locate_from(cx, line, from, written), "destination")),
            );
            return;
        }

        // Stored in .git/config and archived.
        if GIT_REMOTE.is_match(seg) && seg.contains('@') {
            let (paths, untracked) = artifact_paths(job);
            if let Some(entry) = covering(&paths, untracked, ".git/config") {
                out.push(
                    cx.finding(
                        &Self::INFO,
                        token_span,
                        "written to .git/config",
                        format!(
                            "`CI_JOB_TOKEN` is embedded in a git remote URL, so it is written to `.git/config`, which the artifacts of job `{}` archive; the token expires with the job, but use a credential helper or `git -c http.extraHeader` instead of URLs with tokens",
                            job.name
                        ),
                    )
                    .severity(Severity::Low)
                    .confidence(Confidence::Medium)
                    .related(cx.loc(entry.span, "archives the workspace")),
                );
            }
        }
    }
}

impl Rule for JobTokenLeak {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        let start = out.len();
        for job in pipeline.jobs.iter().filter(|j| !j.hidden) {
            for line in job.script_lines() {
                let Some(text) = line.as_str() else { continue };
                if !text.contains("CI_JOB_TOKEN") {
                    continue;
                }
                for (from, cmd) in command_lines(text) {
                    for seg in segments(&cmd) {
                        Self::check_segment(cx, pipeline, job, line, from, seg, out);
                    }
                }
            }
        }
        // A template's script line reached through several jobs: report it once.
        let mut seen: Vec<(String, usize)> = Vec::new();
        let mut i = start;
        while i < out.len() {
            let key = (out[i].location.file.clone(), out[i].location.offset);
            if seen.contains(&key) {
                out.remove(i);
            } else {
                seen.push(key);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_and_logins() {
        let s = segments("curl a && echo b; ls || true");
        let texts: Vec<&str> = s.iter().map(|t| t.trim()).collect();
        assert_eq!(texts, vec!["curl a", "echo b", "ls", "true"]);
        assert_eq!(
            login_registry("echo $T | docker login -u me --password-stdin registry.example.com"),
            Some("registry.example.com")
        );
        assert_eq!(
            login_registry("docker login -u gitlab-ci-token -p $CI_JOB_TOKEN $CI_REGISTRY"),
            Some("$CI_REGISTRY")
        );
        assert_eq!(login_registry("echo login"), None);
    }

    #[test]
    fn hosts() {
        let h = |s: &str| {
            HOST.captures(s)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_owned())
        };
        assert_eq!(
            h("https://gitlab-ci-token:${CI_JOB_TOKEN}@${CI_SERVER_HOST}/g/p.git").as_deref(),
            Some("${CI_SERVER_HOST}")
        );
        assert_eq!(
            h("echo //npm.example.com/:_authToken=x").as_deref(),
            Some("npm.example.com")
        );
        assert_eq!(
            h("curl https://api.example.com:8443/x").as_deref(),
            Some("api.example.com:8443")
        );
    }
}
