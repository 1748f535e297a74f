//! One trait over the places repositories live: GitHub (octocrab), GitLab (the `gitlab` crate) and a
//! local directory of git repositories (the offline default, driven by the `git` CLI).
//!
//! Every implementation answers the same questions with the same costs in mind, because the Terraform
//! provider asks them for hundreds of repositories at once:
//!
//! * [`Forge::tree`] lists every file of a ref with its git blob id in **one** request (GitHub; GitLab
//!   needs one request per 100 entries), so "is this file what we rendered?" is a comparison of
//!   [`blob_sha`] values, never a download.
//! * [`Forge::commit`] writes many files as **one** atomic commit (Git Data API on GitHub, the commits
//!   API with actions on GitLab, a temporary index on the local forge); if nothing would change, no
//!   commit is made and the current head is returned.
//! * HTTP forges send conditional requests (ETag, a 304 costs no rate limit), honour primary and
//!   secondary rate limits (`Retry-After`, reset headers; up to 5 minutes of waiting per request),
//!   retry 5xx with bounded backoff only where a repeat cannot apply twice (reads, PUT/DELETE,
//!   content-addressed git objects, ref updates to a known SHA), never run more than `concurrency`
//!   requests at once ([`ForgeConfig::concurrency`]) and send one content-changing request at a time.
//!   Pagination links are followed only under the configured API root.
//! * Tokens are held in [`Secret`], whose `Debug` is redacted; no error message contains one.
//!
//! Feature `fake` adds [`fake::FakeGithub`] and [`fake::FakeGitlab`]: stateful in-process servers on a
//! real git-object model, used by the tests, the provider's tests and the bench.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use async_trait::async_trait;

#[cfg(feature = "fake")]
pub mod fake;
mod github;
mod gitlab;
mod http_util;
mod local;

pub use github::GithubForge;
pub use gitlab::GitlabForge;
pub use local::LocalForge;

/// A repository (GitHub) or project (GitLab) as the inventory sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Repository {
    /// `owner/name` (GitLab: the full path, `group/subgroup/project`).
    pub full_name: String,
    pub default_branch: String,
    pub topics: Vec<String>,
    pub archived: bool,
    /// `public`, `private` or `internal`.
    pub visibility: String,
    /// GitHub custom properties (organisation repositories); empty elsewhere.
    pub properties: BTreeMap<String, String>,
}

/// Every file of one ref, with its git blob id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tree {
    /// Identifies the listed state. Local forge: the commit SHA. GitHub and GitLab: the SHA-1 of the
    /// root **tree** object (their tree listings return no commit and a second request would double the
    /// cost of every drift check). Equal values mean equal content; use it as a version, never as a parent.
    pub commit: String,
    /// Repository-relative path -> git blob SHA-1 (hex). Only blobs (files and symlinks), no submodules.
    pub files: BTreeMap<String, String>,
}

/// Git's blob id of `content`: `sha1("blob <len>\0" + content)` in lowercase hex.
pub fn blob_sha(content: &[u8]) -> String {
    object_sha("blob", content)
}

/// Git's id of an object of `kind` (`blob`, `tree`, `commit`) with `body`.
pub(crate) fn object_sha(kind: &str, body: &[u8]) -> String {
    use sha1::Digest;
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("{kind} {}\0", body.len()).as_bytes());
    hasher.update(body);
    hex(&hasher.finalize())
}

/// The body of a git tree object from `(name, mode without leading zeros, raw 20-byte id)` entries,
/// sorted as git sorts them (a tree's name compares as if it ended in `/`).
pub(crate) fn tree_object(entries: &mut [(String, String, Vec<u8>)]) -> Vec<u8> {
    entries.sort_by(|a, b| {
        let key = |e: &(String, String, Vec<u8>)| {
            let mut k = e.0.as_bytes().to_vec();
            if e.1 == "40000" {
                k.push(b'/');
            }
            k
        };
        key(a).cmp(&key(b))
    });
    let mut body = Vec::new();
    for (name, mode, raw) in entries.iter() {
        body.extend_from_slice(mode.as_bytes());
        body.push(b' ');
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        body.extend_from_slice(raw);
    }
    body
}

pub(crate) fn tree_object_sha(entries: &mut [(String, String, Vec<u8>)]) -> String {
    object_sha("tree", &tree_object(entries))
}

/// Lowercase or uppercase hex to bytes; `None` for odd lengths or non-hex characters.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// One file of a commit: `content: None` deletes the path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileChange {
    pub path: String,
    pub content: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitRequest {
    /// `owner/name`.
    pub repo: String,
    pub branch: String,
    /// When `branch` does not exist, create it from this branch. When it is `None` and the branch is
    /// missing, the commit is a root commit: only on an empty repository (a non-empty one is an
    /// [`ForgeError::Invalid`] error, never an orphan branch; forges may refuse empty ones too).
    pub base: Option<String>,
    pub message: String,
    pub files: Vec<FileChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeRequest {
    pub repo: String,
    pub head: String,
    pub base: String,
    pub title: String,
    pub body: String,
}

/// A pull request (GitHub), merge request (GitLab) or recorded change request (local).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeRequestInfo {
    /// Pull request number / merge request IID.
    pub number: u64,
    pub url: String,
    /// `open`, `merged` or `closed`.
    pub state: String,
    pub head: String,
}

/// What a branch requires before changes land.
///
/// * GitHub: a repository ruleset named `chainproof: <branch>` with the rules `required_status_checks`
///   (one per check name) and `required_signatures`. Reading, setting and removing all concern that
///   ruleset only: rules of other rulesets are neither reported nor touched.
/// * GitLab: a protected branch, plus the project setting `only_allow_merge_if_pipeline_succeeds` and the
///   push rule `reject_unsigned_commits`. **GitLab cannot require individual jobs**: the whole pipeline
///   must succeed, which includes every job of the template. Therefore any non-empty `required_checks`
///   is stored as "pipeline must succeed" and read back as `["pipeline"]` (see [`GITLAB_PIPELINE_CHECK`]);
///   compare `is_empty()` on GitLab, not the names. Reading reports the effective settings (they are
///   per project, whoever set them). The first `set_protection` records what was there before in the
///   project CI/CD variable `CHAINPROOF_PROTECTION` (JSON: branch -> `{"protected", "pipeline",
///   "signed"}`); `remove_protection` restores exactly that (a branch protected before stays
///   protected) and does nothing without such a record.
/// * Local: stored as given in `root/.chainproof/protections.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Protection {
    pub branch: String,
    pub required_checks: Vec<String>,
    pub require_signed_commits: bool,
}

/// How the message of [`Forge::commit_new_files`]'s [`ForgeError::Conflict`] starts.
pub const EXISTING_FILES: &str = "files already exist with other content";

/// [`ForgeError::Conflict`] ([`EXISTING_FILES`]) when a file `req` writes exists with other content;
/// `existing` answers a path's current blob id.
pub(crate) fn refuse_overwrite<'a>(
    target: &str,
    req: &CommitRequest,
    existing: impl Fn(&str) -> Option<&'a str>,
) -> Result<(), ForgeError> {
    let clashes: Vec<&str> = req
        .files
        .iter()
        .filter_map(|f| {
            let content = f.content.as_ref()?;
            let id = existing(&f.path)?;
            (id != blob_sha(content.as_bytes())).then_some(f.path.as_str())
        })
        .collect();
    if clashes.is_empty() {
        Ok(())
    } else {
        Err(ForgeError::Conflict {
            target: target.to_owned(),
            message: format!("{EXISTING_FILES}: {}", clashes.join(", ")),
        })
    }
}

/// The single check name GitLab reports when merges require a successful pipeline.
pub const GITLAB_PIPELINE_CHECK: &str = "pipeline";

/// The operations the provider and CLI need from a forge. All implementations are `Send + Sync` and
/// can be shared as `Arc<dyn Forge>`; concurrency is bounded inside each implementation.
#[async_trait]
pub trait Forge: Send + Sync {
    /// `"github"`, `"gitlab"` or `"local"`.
    fn kind(&self) -> &'static str;
    /// Repositories of an organisation / user (GitHub), group including subgroups / user (GitLab) or
    /// directory (local), archived ones included (filter on [`Repository::archived`]).
    async fn list_repositories(&self, owner: &str) -> Result<Vec<Repository>, ForgeError>;
    async fn repository(&self, repo: &str) -> Result<Repository, ForgeError>;
    /// Every file at `reference` (branch, tag or commit) in one listing; `None` when the ref (or the
    /// repository's content) does not exist. A listing the forge truncates is an error, never partial.
    async fn tree(&self, repo: &str, reference: &str) -> Result<Option<Tree>, ForgeError>;
    /// A file's content at `reference`; `None` when the file or ref does not exist.
    async fn read_file(
        &self,
        repo: &str,
        reference: &str,
        path: &str,
    ) -> Result<Option<String>, ForgeError>;
    /// Writes all `files` as ONE commit on `branch` (created from `base` when missing) and returns its
    /// SHA. The branch moves only if it still points where it pointed when the commit was built
    /// (compare-and-swap; [`ForgeError::Conflict`] otherwise). No commit when nothing changes: the
    /// current head is returned.
    async fn commit(&self, req: &CommitRequest) -> Result<String, ForgeError>;
    /// [`Forge::commit`] for a first rollout: when a path of `req.files` that has content already exists
    /// on the listed branch (`branch`, or `base` when `branch` is missing) with **other** content, nothing
    /// is written and the answer is [`ForgeError::Conflict`] whose message starts with
    /// [`EXISTING_FILES`] and names the paths. GitHub, GitLab and the local forge check the listing their
    /// `commit` makes anyway (no extra request); this default lists the tree first.
    async fn commit_new_files(&self, req: &CommitRequest) -> Result<String, ForgeError> {
        let listed = match self.tree(&req.repo, &req.branch).await? {
            Some(t) => Some(t),
            None => match &req.base {
                Some(base) => self.tree(&req.repo, base).await?,
                None => None,
            },
        };
        if let Some(t) = listed {
            refuse_overwrite(&format!("{}@{}", req.repo, req.branch), req, |p| {
                t.files.get(p).map(String::as_str)
            })?;
        }
        self.commit(req).await
    }
    /// The open change request from `head`, else the most recent one (merged or closed), else `None`.
    async fn find_change_request(
        &self,
        repo: &str,
        head: &str,
    ) -> Result<Option<ChangeRequestInfo>, ForgeError>;
    /// Opens a change request from `head` into `base`, or updates title/body/base of the open one.
    async fn open_change_request(
        &self,
        req: &ChangeRequest,
    ) -> Result<ChangeRequestInfo, ForgeError>;
    async fn protection(&self, repo: &str, branch: &str) -> Result<Option<Protection>, ForgeError>;
    async fn set_protection(&self, repo: &str, p: &Protection) -> Result<(), ForgeError>;
    async fn remove_protection(&self, repo: &str, branch: &str) -> Result<(), ForgeError>;
}

/// A token or other credential. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for the one place that puts it in a header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to reach a forge. `kind` is `github`, `gitlab` or `local`.
#[derive(Clone, Default)]
pub struct ForgeConfig {
    pub kind: String,
    /// API base: `https://api.github.com` (default), `https://ghe.example/api/v3`, `https://gitlab.com`
    /// (default; `/api/v4` is added by the client), or a fake server's URL. `http://` is allowed (fakes).
    pub base_url: Option<String>,
    /// Never logged: `Debug` of this struct redacts it.
    pub token: Option<String>,
    /// Local forge: the directory holding `<owner>/<name>` repositories.
    pub root: Option<PathBuf>,
    /// Most requests in flight at once (0 means the default, 8).
    pub concurrency: usize,
}

impl fmt::Debug for ForgeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForgeConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("root", &self.root)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

/// Default bound on requests in flight per forge client.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Builds the forge `config.kind` names. HTTP clients are created lazily on first use (GitLab's client
/// checks the token with `GET /api/v4/user` then), so this never touches the network.
pub fn connect(config: &ForgeConfig) -> Result<Box<dyn Forge>, ForgeError> {
    let concurrency = if config.concurrency == 0 {
        DEFAULT_CONCURRENCY
    } else {
        config.concurrency
    };
    match config.kind.as_str() {
        "local" => {
            let root = config.root.clone().ok_or_else(|| ForgeError::Invalid {
                what: "forge configuration".into(),
                message:
                    "the local forge needs `root` (a directory of <owner>/<name> git repositories)"
                        .into(),
            })?;
            Ok(Box::new(LocalForge::new(root)))
        }
        "github" => Ok(Box::new(GithubForge::new(
            config.base_url.as_deref(),
            config.token.clone().map(Secret::new),
            concurrency,
        )?)),
        "gitlab" => Ok(Box::new(GitlabForge::new(
            config.base_url.as_deref(),
            config.token.clone().map(Secret::new),
            concurrency,
        )?)),
        other => Err(ForgeError::Invalid {
            what: "forge kind".into(),
            message: format!("unknown forge `{other}` (expected github, gitlab or local)"),
        }),
    }
}

/// Errors name the repository, ref or path they concern (`target`); none contains a token.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error("{target}: not found{}", suffix(message))]
    NotFound { target: String, message: String },
    /// The ref moved, the branch already exists, the file changed meanwhile: re-read and retry.
    #[error("{target}: conflict: {message}")]
    Conflict { target: String, message: String },
    #[error("{target}: not authorised: {message}")]
    Auth { target: String, message: String },
    /// Still rate limited after waiting as long as allowed; `retry_after_secs` when the forge said.
    #[error("{target}: rate limited{}", retry_after_secs.map(|s| format!(" (retry after {s}s)")).unwrap_or_default())]
    RateLimited {
        target: String,
        retry_after_secs: Option<u64>,
    },
    #[error("{target}: HTTP {status}{}", suffix(message))]
    Http {
        target: String,
        status: u16,
        message: String,
    },
    #[error("{target}: {message}")]
    Io { target: String, message: String },
    #[error("invalid {what}: {message}")]
    Invalid { what: String, message: String },
}

fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl ForgeError {
    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            what: what.into(),
            message: message.into(),
        }
    }
}

/// Checks a repository-relative path: no absolute paths, no `..`, no empty components, no control
/// characters (newlines and tabs would split records of git's and the forges' line-based formats).
pub(crate) fn check_path(path: &str) -> Result<(), ForgeError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.chars().any(char::is_control)
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        Err(ForgeError::invalid(
            "path",
            format!(
                "`{}` must be a relative path without `.`, `..`, empty components or control characters",
                path.escape_debug()
            ),
        ))
    } else {
        Ok(())
    }
}

/// Checks `owner/name` (GitLab: `group/sub/project`).
pub(crate) fn check_repo(repo: &str) -> Result<(), ForgeError> {
    if !repo.contains('/') {
        return Err(ForgeError::invalid(
            "repository",
            format!("`{repo}` must be `owner/name`"),
        ));
    }
    check_path(repo).map_err(|_| {
        ForgeError::invalid(
            "repository",
            format!("`{repo}` must be `owner/name` without `.`, `..` or empty components"),
        )
    })
}

/// Checks a GitHub `owner/name`: exactly two components of letters, digits, `-`, `_` and `.` (what
/// GitHub allows), so a name can never add a path segment, a query or a fragment to a URL.
pub(crate) fn check_github_repo(repo: &str) -> Result<(), ForgeError> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    match repo.split_once('/') {
        Some((owner, name)) if ok_part(owner) && ok_part(name) => Ok(()),
        _ => Err(ForgeError::invalid(
            "repository",
            format!(
                "`{}` must be `owner/name` (letters, digits, `-`, `_`, `.`)",
                repo.escape_debug()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_sha_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_sha(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(blob_sha(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn config_debug_redacts_token() {
        let c = ForgeConfig {
            kind: "github".into(),
            token: Some("ghp_supersecret".into()),
            ..Default::default()
        };
        let s = format!("{c:?}");
        assert!(!s.contains("supersecret"), "{s}");
        assert!(!format!("{:?}", Secret::new("ghp_supersecret")).contains("supersecret"));
    }

    #[test]
    fn paths_are_checked() {
        assert!(check_path("a/b.yml").is_ok());
        for bad in [
            "",
            "/a",
            "a/../b",
            "a//b",
            "./a",
            "a\\b",
            "a\n0 0000000000000000000000000000000000000000\tREADME.md",
            "tab\there",
            "cr\r",
            "nul\0",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_path("with space/\"quoted\" é.txt").is_ok());
        assert!(check_repo("acme/app").is_ok());
        assert!(check_repo("acme").is_err());
        assert!(check_repo("acme/a\nb").is_err());
    }

    #[test]
    fn github_repositories_are_exactly_owner_and_name() {
        assert!(check_github_repo("acme/app").is_ok());
        assert!(check_github_repo("my-org/app.rs_2").is_ok());
        for bad in [
            "acme",
            "acme/app/extra",
            "acme/app?x=1",
            "acme/app#frag",
            "acme/a%2Fb",
            "acme/..",
            "/app",
            "acme/",
            "acme/a b",
        ] {
            assert!(check_github_repo(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unhex_round_trips() {
        assert_eq!(unhex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(
            hex(&unhex("ce013625030ba8dba906f756967f9e9ca394464a").unwrap_or_default()),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }
}
