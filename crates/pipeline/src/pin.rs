//! `--online` pinning: resolve the tags and branches of unpinned `uses:` to commit SHAs, so
//! `--fix` can rewrite `owner/repo@v4` as `owner/repo@<sha> # v4`.
//!
//! Resolution asks the forge with `git ls-remote` over HTTPS (the user's git, proxy and CA settings
//! apply; `GITHUB_TOKEN` is sent as an HTTP header through git's environment configuration, never
//! on a command line). Nothing here runs unless the user passes `--online`.

use std::collections::HashMap;
use std::process::Command;

use base64::Engine as _;
use chainproof_core::{Edit, Fix, Report, Skipped, SourceMap};

use crate::github::{Uses, is_commit_sha};

/// Resolves a ref of a repository to a commit SHA.
pub trait RefResolver {
    fn resolve(&mut self, owner: &str, repo: &str, git_ref: &str) -> Result<String, String>;
}

/// Resolves refs with `git ls-remote <base>/<owner>/<repo>`.
pub struct GitResolver {
    base: String,
    token: Option<String>,
    cache: HashMap<(String, String), Result<String, String>>,
}

impl GitResolver {
    /// GitHub (`GITHUB_SERVER_URL`, default `https://github.com`) with `GITHUB_TOKEN` if set.
    pub fn github_from_env() -> GitResolver {
        let base = std::env::var("GITHUB_SERVER_URL")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "https://github.com".to_owned());
        let token = std::env::var("GITHUB_TOKEN").ok().filter(|s| !s.is_empty());
        GitResolver {
            base: base.trim_end_matches('/').to_owned(),
            token,
            cache: HashMap::new(),
        }
    }

    fn ls_remote(&self, url: &str, git_ref: &str) -> Result<String, String> {
        let mut cmd = Command::new("git");
        cmd.args([
            "-c",
            "http.lowSpeedLimit=1",
            "-c",
            "http.lowSpeedTime=30",
            "ls-remote",
            "--",
            url,
        ])
        .args([
            format!("refs/tags/{git_ref}"),
            format!("refs/tags/{git_ref}^{{}}"),
            format!("refs/heads/{git_ref}"),
        ])
        .env("GIT_TERMINAL_PROMPT", "0");
        if let Some(token) = &self.token {
            // Appended to whatever GIT_CONFIG_* the user already set.
            let n: usize = std::env::var("GIT_CONFIG_COUNT")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let basic =
                base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
            cmd.env("GIT_CONFIG_COUNT", (n + 1).to_string())
                .env(
                    format!("GIT_CONFIG_KEY_{n}"),
                    format!("http.{}/.extraheader", self.base),
                )
                .env(
                    format!("GIT_CONFIG_VALUE_{n}"),
                    format!("AUTHORIZATION: basic {basic}"),
                );
        }
        let out = cmd.output().map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("git ls-remote failed");
            return Err(first.trim().to_owned());
        }
        pick(&String::from_utf8_lossy(&out.stdout), git_ref)
            .ok_or_else(|| format!("no tag or branch `{git_ref}`"))
    }
}

/// From `git ls-remote` output: the commit a peeled annotated tag points to, else the tag, else
/// the branch.
fn pick(listing: &str, git_ref: &str) -> Option<String> {
    let lines: Vec<(&str, &str)> = listing.lines().filter_map(|l| l.split_once('\t')).collect();
    let find = |name: String| {
        lines
            .iter()
            .find(|(_, r)| *r == name)
            .map(|(sha, _)| (*sha).to_owned())
    };
    find(format!("refs/tags/{git_ref}^{{}}"))
        .or_else(|| find(format!("refs/tags/{git_ref}")))
        .or_else(|| find(format!("refs/heads/{git_ref}")))
        .filter(|s| is_commit_sha(s))
}

impl RefResolver for GitResolver {
    fn resolve(&mut self, owner: &str, repo: &str, git_ref: &str) -> Result<String, String> {
        let key = (
            format!("{owner}/{repo}").to_ascii_lowercase(),
            git_ref.to_owned(),
        );
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        let url = format!("{}/{owner}/{repo}", self.base);
        let result = self.ls_remote(&url, git_ref);
        self.cache.insert(key, result.clone());
        result
    }
}

/// Give every `unpinned-uses` finding whose ref resolves a fix that pins the SHA and keeps the
/// ref as a comment. What cannot be resolved is listed in `report.skipped`.
pub fn add_pin_fixes(report: &mut Report, sources: &SourceMap, resolver: &mut dyn RefResolver) {
    let mut skipped = Vec::new();
    for f in report
        .findings
        .iter_mut()
        .filter(|f| f.rule == "unpinned-uses" && f.fix.is_none())
    {
        let Some(file) = sources
            .find(&f.location.file)
            .and_then(|id| sources.get(id))
        else {
            continue;
        };
        let (start, end) = (f.location.offset, f.location.offset + f.location.length);
        let Some(text) = file.text.get(start..end) else {
            continue;
        };
        let Some(Uses::Repo {
            owner,
            repo,
            path,
            git_ref: Some(git_ref),
        }) = Uses::parse(text)
        else {
            skipped.push(Skipped {
                what: format!("pinning `{text}`"),
                reason: "no ref to resolve".into(),
            });
            continue;
        };
        let sha = match resolver.resolve(owner, repo, git_ref) {
            Ok(sha) => sha,
            Err(reason) => {
                skipped.push(Skipped {
                    what: format!("pinning `{text}`"),
                    reason,
                });
                continue;
            }
        };
        let name = match path {
            Some(p) => format!("{owner}/{repo}/{p}"),
            None => format!("{owner}/{repo}"),
        };
        let mut edits = vec![Edit {
            file: file.path.clone(),
            start,
            end,
            replacement: format!("{name}@{sha}"),
        }];
        let line_end = file.text[end..]
            .find('\n')
            .map_or(file.text.len(), |i| end + i);
        let rest = &file.text[end..line_end];
        if !rest.contains('#') {
            let at = end + rest.trim_end().len();
            edits.push(Edit {
                file: file.path.clone(),
                start: at,
                end: at,
                replacement: format!(" # {git_ref}"),
            });
        }
        f.fix = Some(Fix {
            description: format!("pin `{name}` to {sha} (`{git_ref}` today)"),
            edits,
        });
    }
    report.skipped.extend(skipped);
}

#[cfg(test)]
mod tests {
    use super::pick;

    #[test]
    fn peeled_tags_win() {
        let a = "1111111111111111111111111111111111111111";
        let b = "2222222222222222222222222222222222222222";
        let c = "3333333333333333333333333333333333333333";
        let listing = format!("{a}\trefs/tags/v1\n{b}\trefs/tags/v1^{{}}\n{c}\trefs/heads/v1\n");
        assert_eq!(pick(&listing, "v1").as_deref(), Some(b));
        assert_eq!(
            pick(&format!("{c}\trefs/heads/main\n"), "main").as_deref(),
            Some(c)
        );
        assert_eq!(pick("", "v1"), None);
    }
}
