use std::sync::LazyLock;

use chainproof_core::{Finding, Severity, Span};
use regex::Regex;

use super::{Cx, Rule, declare_rule};
use crate::gitlab::{GlJob, Pipeline, artifact_paths, covering, is_broad_path, project_relative};
use crate::gitlab_taint::job_scoped_credential;
use crate::script::{command_lines, locate_from, secret_name, var_refs};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds GitLab jobs whose artifacts archive more than build output:
    ///
    /// - `artifacts: untracked: true` (every file the job created, `.gitignore` does not apply);
    /// - `artifacts: paths:` holding the whole workspace (`.`, `./`, `*`, `**`, `**/*`,
    ///   `$CI_PROJECT_DIR`);
    /// - a path that is itself a credentials file or directory (`.npmrc`, `kubeconfig`,
    ///   `.docker/`, `.git/`, `.netrc`, `.pypirc`, `.git-credentials`, `*.pem`, `*.key`).
    ///
    /// The finding is high when the job's script writes credentials inside the project
    /// directory and the artifacts include them: a token appended to `.npmrc`, a secret written
    /// to `kubeconfig`/`key.json`/any file by redirection or `cp`, a token embedded in a git
    /// remote URL (`.git/config`), or `docker login` with `DOCKER_CONFIG` inside the project.
    /// Files written to `$HOME` (`~/.pypirc`, `~/.docker/config.json` by default) are outside the
    /// project directory and are never archived, so they do not count. Explicit
    /// `access: none|developer|maintainer` (or `public: false`) lowers the severity one step; the
    /// default (`access: all`) lets anyone who can see the pipeline download the archive, which on
    /// a public project is everyone.
    ///
    /// ## Why is this bad
    /// Artifacts outlive the job (30 days by default) and are downloadable from the pipeline
    /// page and the API. Archiving the workspace after a script wrote a registry token or a
    /// kubeconfig into it publishes that credential.
    ///
    /// ## Example
    /// ```yaml
    /// publish:
    ///   script:
    ///     - echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc
    ///     - npm publish
    ///   artifacts:
    ///     paths: [.]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// publish:
    ///   script:
    ///     - echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > ~/.npmrc
    ///     - npm publish
    ///   artifacts:
    ///     paths: [dist/]
    /// ```
    ///
    /// ## References
    /// - https://docs.gitlab.com/ci/yaml/#artifacts
    /// - https://docs.gitlab.com/ci/yaml/#artifactsaccess
    /// - https://docs.gitlab.com/ci/jobs/job_artifacts/
    ArtifactsExposure {
        id: "artifacts-exposure",
        title: "artifacts archive the workspace or credentials",
        severity: Medium,
        confidence: High,
        platforms: ["gitlab"],
        fixable: false,
    }
}

/// Whether `text` expands a variable whose name says it holds a credential
/// ([`secret_name`]), a GitLab-created one (`$CI_JOB_TOKEN`) included.
pub(crate) fn mentions_secret(text: &str) -> bool {
    var_refs(text).iter().any(|r| secret_name(r.name))
}

/// Whether a command (before its redirection) prints its arguments or input, so that the
/// variables it names end up in the file (`echo "$TOKEN" > f`, `echo "$B64" | base64 -d > f`),
/// unlike `curl -H "$TOKEN" ... > response.json`.
fn emits_arguments(cmd: &str) -> bool {
    cmd.split('|').any(|segment| {
        let first = segment.split_whitespace().next().unwrap_or("");
        matches!(
            first,
            "echo" | "printf" | "cat" | "base64" | "envsubst" | "printenv"
        )
    })
}

/// File names (last path component, lower-cased) that hold credentials.
fn credential_file_name(path: &str) -> bool {
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        ".npmrc"
            | ".yarnrc.yml"
            | ".pypirc"
            | ".netrc"
            | "_netrc"
            | "kubeconfig"
            | ".kubeconfig"
            | ".git-credentials"
            | "credentials"
            | "credentials.json"
            | "key.json"
            | "service-account.json"
            | "auth.json"
            | ".dockercfg"
            | ".terraformrc"
            | "terraform.rc"
            | "id_rsa"
            | "id_ed25519"
            | "id_ecdsa"
            | ".docker"
            | ".git"
            | ".kube"
            | ".ssh"
            | ".aws"
    ) || name.ends_with(".pem")
        || name.ends_with(".key")
        || name.ends_with(".p12")
        || name.ends_with(".pfx")
        || name.ends_with(".jks")
        || (name == "config.json" && path.contains(".docker/"))
        || (name == "config" && (path.contains(".git/") || path.contains(".kube/")))
}

/// A credential the job's script writes into the project directory.
#[derive(Debug, Clone)]
pub(crate) struct CredentialWrite<'n> {
    /// The script line.
    pub line: &'n Node,
    /// Where in the line (byte offset of the command in the value) and what to point at.
    pub from: usize,
    pub needle: String,
    /// The project-relative file written.
    pub file: String,
    /// What happens, for messages.
    pub what: String,
    /// The only credential involved is `CI_JOB_TOKEN`, which expires when the job ends.
    pub job_token_only: bool,
}

/// Whether the only credential variables in `cmd` are job-scoped GitLab tokens
/// (`$CI_JOB_TOKEN`, `$CI_REGISTRY_PASSWORD`...).
fn job_token_only(cmd: &str) -> bool {
    let mut any = false;
    for r in var_refs(cmd).iter().filter(|r| secret_name(r.name)) {
        if !job_scoped_credential(r.name) {
            return false;
        }
        any = true;
    }
    any
}

static REDIRECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[^0-9&>])>>?\s*("[^"]+"|'[^']+'|[^\s;&|)]+)|\btee\s+(?:-a\s+)?("[^"]+"|'[^']+'|[^\s;&|)]+)"#)
        .unwrap_or_else(|e| panic!("redirect regex: {e}"))
});

static COPY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\b(?:cp|mv|install)\s+(?:-\S+\s+)*("[^"]+"|'[^']+'|\S+)\s+("[^"]+"|'[^']+'|[^\s;&|]+)"#,
    )
    .unwrap_or_else(|e| panic!("copy regex: {e}"))
});

/// `scheme://user:secret@` or `scheme://$TOKEN@` in a URL.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[a-z]+://(?:[^\s/@:]*:)?\$\{?[A-Za-z_][A-Za-z0-9_]*\}?@")
        .unwrap_or_else(|e| panic!("url credentials regex: {e}"))
});

static GIT_WRITES_CONFIG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bgit\s+(?:-C\s+\S+\s+)?(?:remote\s+(?:set-url|add)|clone|config\s+(?:--local\s+)?(?:remote\.|url\.))")
        .unwrap_or_else(|e| panic!("git regex: {e}"))
});

fn docker_config_dir(
    job: &GlJob,
    pipeline: &Pipeline,
    script_exports: &[String],
) -> Option<String> {
    let from_vars = job
        .variable(pipeline, "DOCKER_CONFIG")
        .and_then(Node::as_str)
        .map(str::to_owned);
    script_exports
        .last()
        .cloned()
        .or(from_vars)
        .and_then(|d| project_relative(&d))
}

/// Credentials the job writes inside the project directory.
pub(crate) fn credential_writes<'n>(
    job: &'n GlJob,
    pipeline: &Pipeline,
) -> Vec<CredentialWrite<'n>> {
    let mut out = Vec::new();
    let mut exports: Vec<String> = Vec::new();
    for line in job.script_lines() {
        let Some(text) = line.as_str() else { continue };
        for (from, cmd) in command_lines(text) {
            let trimmed = cmd.trim();
            if let Some(v) = trimmed
                .strip_prefix("export DOCKER_CONFIG=")
                .or_else(|| trimmed.strip_prefix("DOCKER_CONFIG="))
            {
                exports.push(v.split_whitespace().next().unwrap_or("").to_owned());
            }
            // Redirections and tee.
            for m in REDIRECT.captures_iter(&cmd) {
                let Some(target) = m.get(1).or_else(|| m.get(2)) else {
                    continue;
                };
                let Some(file) = project_relative(target.as_str()) else {
                    continue;
                };
                if file == "/dev/null" {
                    continue;
                }
                let before = &cmd[..target.start()];
                if credential_file_name(&file)
                    || (emits_arguments(before) && mentions_secret(before))
                {
                    out.push(CredentialWrite {
                        line,
                        from,
                        needle: target.as_str().to_owned(),
                        file: file.clone(),
                        what: format!("writes credentials to `{file}`"),
                        job_token_only: job_token_only(&cmd),
                    });
                }
            }
            // cp "$KUBECONFIG_FILE" ./kubeconfig
            for m in COPY.captures_iter(&cmd) {
                let (Some(src), Some(dst)) = (m.get(1), m.get(2)) else {
                    continue;
                };
                let Some(file) = project_relative(dst.as_str()) else {
                    continue;
                };
                let file = if file == "." || file.is_empty() {
                    src.as_str()
                        .trim_matches(|c| c == '"' || c == '\'')
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_owned()
                } else {
                    file
                };
                if credential_file_name(&file) || mentions_secret(src.as_str()) {
                    out.push(CredentialWrite {
                        line,
                        from,
                        needle: dst.as_str().to_owned(),
                        file: file.clone(),
                        what: format!("copies credentials to `{file}`"),
                        job_token_only: job_token_only(&cmd),
                    });
                }
            }
            // Tokens embedded in git remotes end up in .git/config.
            if let Some(git) = GIT_WRITES_CONFIG.find(&cmd) {
                if let Some(url) = URL_CREDENTIALS.find(&cmd) {
                    let global = cmd.contains("--global") || cmd.contains("--system");
                    if !global {
                        let file = if git.as_str().contains("clone") {
                            let dir = cmd[url.end()..]
                                .split_whitespace()
                                .nth(1)
                                .and_then(project_relative);
                            match dir {
                                Some(d) => format!("{}/.git/config", d.trim_end_matches('/')),
                                None => ".git/config".to_owned(),
                            }
                        } else {
                            ".git/config".to_owned()
                        };
                        out.push(CredentialWrite {
                            line,
                            from,
                            needle: url.as_str().to_owned(),
                            file: file.clone(),
                            what: format!("stores a token in a git remote URL (`{file}`)"),
                            job_token_only: job_token_only(url.as_str()),
                        });
                    }
                }
            }
            // docker login with DOCKER_CONFIG inside the project.
            if trimmed.contains("docker login") || trimmed.contains("podman login") {
                if let Some(dir) = docker_config_dir(job, pipeline, &exports) {
                    let file = format!("{}/config.json", dir.trim_end_matches('/'));
                    let needle = if trimmed.contains("docker login") {
                        "docker login"
                    } else {
                        "podman login"
                    };
                    out.push(CredentialWrite {
                        line,
                        from,
                        needle: needle.to_owned(),
                        file: file.clone(),
                        what: format!("`{needle}` stores credentials in `{file}`"),
                        job_token_only: job_token_only(&cmd),
                    });
                }
            }
        }
    }
    out
}

fn access_restricted(job: &GlJob) -> Option<bool> {
    let a = job.node.get("artifacts")?;
    if let Some(access) = a.get("access").and_then(Node::as_str) {
        return Some(access != "all");
    }
    a.get("public").and_then(Node::as_bool).map(|p| !p)
}

impl Rule for ArtifactsExposure {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        // Artifacts inherited from `default:` or a template are shared: one finding per entry,
        // keeping the worst case among the jobs that use it.
        let mut by_span: Vec<(Span, Finding, Vec<String>)> = Vec::new();
        for job in pipeline.jobs.iter().filter(|j| !j.hidden) {
            let (paths, untracked) = artifact_paths(job);
            if paths.is_empty() && untracked.is_none() {
                continue;
            }
            let writes = credential_writes(job, pipeline);
            let restricted = access_restricted(job);
            let exposure = match restricted {
                Some(true) => "to project members",
                Some(false) => "to anyone who can see the pipeline (`access: all`)",
                None => "to anyone who can see the pipeline (the default `access: all`)",
            };
            let mut candidates: Vec<&Node> = paths
                .iter()
                .copied()
                .filter(|p| {
                    p.as_str()
                        .is_some_and(|s| is_broad_path(s) || credential_file_name(s))
                })
                .collect();
            if let Some(u) = untracked {
                candidates.push(u);
            }
            for w in &writes {
                if let Some(p) = covering(&paths, untracked, &w.file) {
                    if !candidates.iter().any(|c| c.span == p.span) {
                        candidates.push(p);
                    }
                }
            }
            for entry in candidates {
                let is_untracked = untracked.is_some_and(|u| u.span == entry.span);
                let text = entry.as_str().unwrap_or("");
                let covered: Vec<&CredentialWrite<'_>> = writes
                    .iter()
                    .filter(|w| {
                        covering(&paths, untracked, &w.file).is_some_and(|c| c.span == entry.span)
                    })
                    .collect();
                let lasting = covered
                    .iter()
                    .find(|w| !w.job_token_only)
                    .or(covered.first());
                let (mut severity, mut message) = if let Some(w) = lasting {
                    (
                        if w.job_token_only {
                            Severity::Medium
                        } else {
                            Severity::High
                        },
                        format!(
                            "job `{}` {} and its artifacts (`{}`) archive it, publishing the credential {exposure}{}",
                            job.name,
                            w.what,
                            if is_untracked {
                                "untracked: true"
                            } else {
                                text
                            },
                            if w.job_token_only {
                                " (it is the job token, which expires when the job ends, so list only build outputs anyway)"
                            } else {
                                ""
                            }
                        ),
                    )
                } else if is_untracked {
                    (
                        Severity::Medium,
                        format!(
                            "`untracked: true` makes job `{}` archive every file it created (`.gitignore` does not apply), available {exposure}; list the build outputs in `paths:` instead",
                            job.name
                        ),
                    )
                } else if is_broad_path(text) {
                    (
                        Severity::Medium,
                        format!(
                            "artifacts path `{text}` makes job `{}` archive the whole project directory, available {exposure}; list the build outputs instead",
                            job.name
                        ),
                    )
                } else {
                    (
                        Severity::High,
                        format!(
                            "job `{}` archives `{text}`, a credentials file or directory, as an artifact available {exposure}",
                            job.name
                        ),
                    )
                };
                if restricted == Some(true) {
                    severity = match severity {
                        Severity::High => Severity::Medium,
                        _ => Severity::Low,
                    };
                    message.push_str(
                        " (access is restricted, which limits but does not remove the exposure)",
                    );
                }
                let mut f = cx
                    .finding(&Self::INFO, entry.span, "archived as an artifact", message)
                    .severity(severity);
                for w in covered.iter().take(3) {
                    f = f.related(
                        cx.loc(locate_from(cx, w.line, w.from, &w.needle), w.what.clone()),
                    );
                }
                match by_span.iter_mut().find(|(s, _, _)| *s == entry.span) {
                    Some((_, existing, jobs)) => {
                        if existing.severity < f.severity {
                            *existing = f;
                            jobs.insert(0, job.name.clone());
                        } else {
                            jobs.push(job.name.clone());
                        }
                    }
                    None => by_span.push((entry.span, f, vec![job.name.clone()])),
                }
            }
        }
        for (_, mut f, jobs) in by_span {
            // An entry shared through `default:` or a template: name every job it affects.
            if jobs.len() > 1 {
                let first = format!("job `{}`", jobs[0]);
                let shown: Vec<String> = jobs.iter().take(4).map(|j| format!("`{j}`")).collect();
                let more = if jobs.len() > 4 { ", ..." } else { "" };
                f.message =
                    f.message
                        .replacen(&first, &format!("jobs {}{more}", shown.join(", ")), 1);
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_splitting() {
        let c = command_lines("echo a \\\n  b\n# comment\necho c\n");
        assert_eq!(
            c,
            vec![(0, "echo a  b".to_owned()), (23, "echo c".to_owned())]
        );
    }

    #[test]
    fn broad_paths() {
        for p in [
            ".",
            "./",
            "*",
            "**",
            "$CI_PROJECT_DIR",
            "${CI_PROJECT_DIR}/",
            "$CI_PROJECT_DIR/*",
        ] {
            assert!(is_broad_path(p), "{p}");
        }
        for p in ["dist/", "public", "build/*.whl", ".npmrc"] {
            assert!(!is_broad_path(p), "{p}");
        }
    }

    #[test]
    fn credential_names_and_paths() {
        assert!(credential_file_name(".npmrc"));
        assert!(credential_file_name("deploy/kubeconfig"));
        assert!(credential_file_name(".docker/config.json"));
        assert!(credential_file_name(".git/config"));
        assert!(!credential_file_name("dist/config.json"));
        assert!(!credential_file_name("coverage.xml"));
        assert_eq!(project_relative("./.npmrc").as_deref(), Some(".npmrc"));
        assert_eq!(
            project_relative("$CI_PROJECT_DIR/kubeconfig").as_deref(),
            Some("kubeconfig")
        );
        assert_eq!(project_relative("~/.npmrc"), None);
        assert_eq!(project_relative("$HOME/.pypirc"), None);
        assert_eq!(project_relative("/tmp/key"), None);
    }

    #[test]
    fn secret_names() {
        assert!(mentions_secret("echo \"//r/:_authToken=${NPM_TOKEN}\""));
        assert!(mentions_secret("echo $AWS_SECRET_ACCESS_KEY"));
        assert!(mentions_secret("echo $CI_JOB_TOKEN"));
        assert!(mentions_secret("echo \"$KUBECONFIG\""));
        assert!(mentions_secret("echo $REGISTRY_AUTH"));
        assert!(!mentions_secret("echo $CI_COMMIT_SHA"));
        assert!(!mentions_secret("echo $BYPASS $OAUTH $TOKEN_URL"));
        assert!(job_token_only(
            "echo $CI_JOB_TOKEN $CI_REGISTRY_PASSWORD $CI_COMMIT_SHA"
        ));
        assert!(!job_token_only("echo $CI_JOB_TOKEN $CI_DEPLOY_PASSWORD"));
        assert!(!job_token_only("echo $CI_COMMIT_SHA"));
    }
}
