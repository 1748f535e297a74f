//! The local forge: a directory of git repositories, driven by the `git` command (no libgit2).
//!
//! Layout under `root`:
//!
//! ```text
//! root/
//!   <owner>/<name>/.git/            a non-bare repository, or
//!   <owner>/<name>/  | <name>.git/  a bare one (HEAD + objects/ directly inside)
//!     <git-dir>/chainproof/repository.json       optional inventory metadata:
//!         {"topics": ["rust"], "archived": false, "visibility": "private", "properties": {"team": "a"}}
//!     <git-dir>/chainproof/change-requests.json  change requests, numbered from 1:
//!         [{"number": 1, "head": "chainproof/ci", "base": "main", "title": "..", "body": "..", "state": "open"}]
//!   .chainproof/protections.json     {"<owner>/<name>": {"<branch>": {"required_checks": [..], "require_signed_commits": true}}}
//! ```
//!
//! Commits never touch a worktree or the repository's own index: the files are hashed into the object
//! store (`hash-object -w`), staged into a temporary index (`GIT_INDEX_FILE`, `read-tree` of the parent,
//! `update-index -z --index-info`, NUL-separated records), written as a tree and a commit (`write-tree`, `commit-tree`) and the
//! branch is moved with `update-ref <new> <old>`, git's own compare-and-swap. This works on bare and
//! non-bare repositories alike; in a non-bare repository whose checked-out branch moves, the worktree is
//! left as it was (as after a push), so `git status` there shows the difference.
//! A change request is only a record (numbered, with state): nothing merges it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::{
    ChangeRequest, ChangeRequestInfo, CommitRequest, Forge, ForgeError, Protection, Repository,
    Tree, check_path, check_repo,
};

const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// A forge over `root/<owner>/<name>` git repositories.
pub struct LocalForge {
    root: PathBuf,
    /// Serialises read-modify-write of the JSON records (change requests, protections).
    records: Mutex<()>,
}

#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
struct Metadata {
    topics: Vec<String>,
    archived: bool,
    visibility: Option<String>,
    properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
struct StoredChangeRequest {
    number: u64,
    head: String,
    base: String,
    title: String,
    body: String,
    state: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
struct StoredProtection {
    required_checks: Vec<String>,
    require_signed_commits: bool,
}

type Protections = BTreeMap<String, BTreeMap<String, StoredProtection>>;

struct GitOutput {
    ok: bool,
    stdout: Vec<u8>,
    stderr: String,
}

impl LocalForge {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            records: Mutex::new(()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates a bare repository `root/<repo>` with `default_branch` and, when `files` is not empty, one
    /// initial commit holding them. For examples and tests.
    pub async fn create_repository(
        &self,
        repo: &str,
        default_branch: &str,
        files: &[(&str, &str)],
    ) -> Result<(), ForgeError> {
        check_repo(repo)?;
        let dir = self.root.join(repo);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error(repo, "creating the directory", &e))?;
        let out = run_git(
            None,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch",
                default_branch,
                &dir.to_string_lossy(),
            ],
            None,
            &[],
        )
        .await?;
        if !out.ok {
            return Err(git_failed(repo, "git init", &out));
        }
        if !files.is_empty() {
            self.commit(&CommitRequest {
                repo: repo.into(),
                branch: default_branch.into(),
                base: None,
                message: "Initial commit".into(),
                files: files
                    .iter()
                    .map(|(p, c)| crate::FileChange {
                        path: (*p).into(),
                        content: Some((*c).into()),
                    })
                    .collect(),
            })
            .await?;
        }
        Ok(())
    }

    /// Writes `<git-dir>/chainproof/repository.json` (topics, archived, visibility, properties).
    pub async fn set_metadata(
        &self,
        repo: &str,
        topics: &[&str],
        archived: bool,
        properties: &BTreeMap<String, String>,
    ) -> Result<(), ForgeError> {
        let gitdir = self.git_dir(repo)?;
        let meta = Metadata {
            topics: topics.iter().map(|t| (*t).to_string()).collect(),
            archived,
            visibility: None,
            properties: properties.clone(),
        };
        write_json(&gitdir.join("chainproof/repository.json"), &meta, repo).await
    }

    fn git_dir(&self, repo: &str) -> Result<PathBuf, ForgeError> {
        check_repo(repo)?;
        let dir = self.root.join(repo);
        if let Some(g) = git_dir_of(&dir) {
            return Ok(g);
        }
        let bare = self.root.join(format!("{repo}.git"));
        if let Some(g) = git_dir_of(&bare) {
            return Ok(g);
        }
        Err(ForgeError::NotFound {
            target: repo.into(),
            message: format!("no git repository at {}", dir.display()),
        })
    }

    async fn repository_at(
        &self,
        full_name: &str,
        gitdir: &Path,
    ) -> Result<Repository, ForgeError> {
        let head = tokio::fs::read_to_string(gitdir.join("HEAD"))
            .await
            .unwrap_or_default();
        let default_branch = head
            .trim()
            .strip_prefix("ref: refs/heads/")
            .unwrap_or("main")
            .to_string();
        let meta: Metadata = read_json(&gitdir.join("chainproof/repository.json"), full_name)
            .await?
            .unwrap_or_default();
        Ok(Repository {
            full_name: full_name.into(),
            default_branch,
            topics: meta.topics,
            archived: meta.archived,
            visibility: meta.visibility.unwrap_or_else(|| "private".into()),
            properties: meta.properties,
        })
    }

    /// The commit `reference` names: a branch first (`refs/heads/<reference>`), then any revision.
    async fn resolve(&self, gitdir: &Path, reference: &str) -> Result<Option<String>, ForgeError> {
        if reference.is_empty() || reference.starts_with('-') {
            return Err(ForgeError::invalid("ref", format!("`{reference}`")));
        }
        for candidate in [format!("refs/heads/{reference}"), reference.to_string()] {
            let out = run_git(
                Some(gitdir),
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{candidate}^{{commit}}"),
                ],
                None,
                &[],
            )
            .await?;
            if out.ok {
                return Ok(Some(
                    String::from_utf8_lossy(&out.stdout).trim().to_string(),
                ));
            }
        }
        Ok(None)
    }

    async fn ls_tree(
        &self,
        gitdir: &Path,
        repo: &str,
        commit: &str,
    ) -> Result<BTreeMap<String, (String, String)>, ForgeError> {
        let out = run_git(
            Some(gitdir),
            &["ls-tree", "-r", "-z", "--full-tree", commit],
            None,
            &[],
        )
        .await?;
        if !out.ok {
            return Err(git_failed(repo, "git ls-tree", &out));
        }
        let mut files = BTreeMap::new();
        for record in out.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let text = String::from_utf8_lossy(record);
            let Some((meta, path)) = text.split_once('\t') else {
                continue;
            };
            let mut parts = meta.split(' ');
            let (Some(mode), Some(kind), Some(sha)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if kind == "blob" {
                files.insert(path.to_string(), (mode.to_string(), sha.to_string()));
            }
        }
        Ok(files)
    }

    async fn change_requests(
        &self,
        gitdir: &Path,
        repo: &str,
    ) -> Result<Vec<StoredChangeRequest>, ForgeError> {
        Ok(
            read_json(&gitdir.join("chainproof/change-requests.json"), repo)
                .await?
                .unwrap_or_default(),
        )
    }

    fn info(&self, gitdir: &Path, cr: &StoredChangeRequest) -> ChangeRequestInfo {
        ChangeRequestInfo {
            number: cr.number,
            url: format!("file://{}#change-request-{}", gitdir.display(), cr.number),
            state: cr.state.clone(),
            head: cr.head.clone(),
        }
    }

    fn protections_path(&self) -> PathBuf {
        self.root.join(".chainproof/protections.json")
    }
}

fn git_dir_of(dir: &Path) -> Option<PathBuf> {
    let dotgit = dir.join(".git");
    if dotgit.exists() {
        return Some(dotgit);
    }
    if dir.join("HEAD").is_file() && dir.join("objects").is_dir() {
        return Some(dir.to_path_buf());
    }
    None
}

fn io_error(target: &str, doing: &str, e: &std::io::Error) -> ForgeError {
    ForgeError::Io {
        target: target.into(),
        message: format!("{doing}: {e}"),
    }
}

fn git_failed(target: &str, what: &str, out: &GitOutput) -> ForgeError {
    ForgeError::Io {
        target: target.into(),
        message: format!("{what} failed: {}", out.stderr.trim()),
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    target: &str,
) -> Result<Option<T>, ForgeError> {
    match tokio::fs::read(path).await {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            ForgeError::invalid(format!("{}", path.display()), format!("{target}: {e}"))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(target, &format!("reading {}", path.display()), &e)),
    }
}

async fn write_json<T: serde::Serialize>(
    path: &Path,
    value: &T,
    target: &str,
) -> Result<(), ForgeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| io_error(target, &format!("creating {}", dir.display()), &e))?;
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| ForgeError::invalid("record", e.to_string()))?;
    text.push('\n');
    // Write then rename: readers never see half a file. The temporary name is unique per call (two
    // forges in one process, or two processes, never share one).
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("json.tmp{}-{n}", std::process::id()));
    tokio::fs::write(&tmp, text)
        .await
        .map_err(|e| io_error(target, &format!("writing {}", tmp.display()), &e))?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(|e| io_error(target, &format!("renaming to {}", path.display()), &e))
}

/// Runs `git` with `--git-dir` (never a worktree), an optional stdin and extra environment.
async fn run_git(
    gitdir: Option<&Path>,
    args: &[&str],
    stdin: Option<&[u8]>,
    envs: &[(&str, &str)],
) -> Result<GitOutput, ForgeError> {
    let mut cmd = tokio::process::Command::new("git");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
    ] {
        cmd.env_remove(var);
    }
    if let Some(dir) = gitdir {
        cmd.arg("--git-dir").arg(dir);
    }
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let target = gitdir.map(|d| d.display().to_string()).unwrap_or_default();
    let mut child = cmd
        .spawn()
        .map_err(|e| io_error(&target, "running git (is it installed?)", &e))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input)
            .await
            .map_err(|e| io_error(&target, "writing to git", &e))?;
        drop(pipe);
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| io_error(&target, "waiting for git", &e))?;
    Ok(GitOutput {
        ok: out.status.success(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn check_branch(branch: &str) -> Result<(), ForgeError> {
    let bad = branch.is_empty()
        || branch.starts_with('-')
        || branch.starts_with('/')
        || branch.ends_with('/')
        || branch.ends_with(".lock")
        || branch.contains("..")
        || branch.contains("//")
        || branch
            .chars()
            .any(|c| c.is_control() || " ~^:?*[\\".contains(c));
    if bad {
        Err(ForgeError::invalid(
            "branch",
            format!("`{branch}` is not a valid branch name"),
        ))
    } else {
        Ok(())
    }
}

impl LocalForge {
    /// [`Forge::commit`]; with `keep_existing`, [`Forge::commit_new_files`]'s precondition on the listing.
    async fn commit_checked(
        &self,
        req: &CommitRequest,
        keep_existing: bool,
    ) -> Result<String, ForgeError> {
        let repo = req.repo.as_str();
        check_branch(&req.branch)?;
        for f in &req.files {
            check_path(&f.path)?;
        }
        let gitdir = self.git_dir(repo)?;
        let target = format!("{repo}@{}", req.branch);
        let branch_ref = format!("refs/heads/{}", req.branch);
        let old = self.resolve_branch(&gitdir, &req.branch).await?;
        let parent = match (&old, &req.base) {
            (Some(head), _) => Some(head.clone()),
            (None, Some(base)) => {
                Some(
                    self.resolve(&gitdir, base)
                        .await?
                        .ok_or_else(|| ForgeError::NotFound {
                            target: format!("{repo}@{base}"),
                            message: "base branch does not exist".into(),
                        })?,
                )
            }
            (None, None) => {
                let out = run_git(
                    Some(&gitdir),
                    &[
                        "for-each-ref",
                        "--count=1",
                        "--format=%(refname)",
                        "refs/heads/",
                    ],
                    None,
                    &[],
                )
                .await?;
                if !out.ok {
                    return Err(git_failed(&target, "git for-each-ref", &out));
                }
                if !out.stdout.trim_ascii().is_empty() {
                    return Err(ForgeError::invalid(
                        "commit",
                        format!(
                            "{target}: the branch does not exist and no base was given; refusing to create an unrelated root commit in a non-empty repository"
                        ),
                    ));
                }
                None
            }
        };

        let scratch = tempfile::tempdir().map_err(|e| io_error(&target, "temporary index", &e))?;
        let index = scratch.path().join("index");
        let index_str = index.to_string_lossy().into_owned();
        let env = [("GIT_INDEX_FILE", index_str.as_str())];

        let existing = match &parent {
            Some(p) => self.ls_tree(&gitdir, repo, p).await?,
            None => BTreeMap::new(),
        };
        if keep_existing {
            crate::refuse_overwrite(&target, req, |p| existing.get(p).map(|(_, id)| id.as_str()))?;
        }
        let read_tree_arg = parent.clone().unwrap_or_else(|| "--empty".into());
        let out = run_git(Some(&gitdir), &["read-tree", &read_tree_arg], None, &env).await?;
        if !out.ok {
            return Err(git_failed(&target, "git read-tree", &out));
        }

        // Hash every new content in one `hash-object` run over scratch files.
        let mut to_hash = Vec::new();
        for (i, f) in req.files.iter().enumerate() {
            if let Some(content) = &f.content {
                let p = scratch.path().join(format!("blob-{i}"));
                tokio::fs::write(&p, content)
                    .await
                    .map_err(|e| io_error(&target, "writing a scratch file", &e))?;
                to_hash.push(p.to_string_lossy().into_owned());
            }
        }
        let mut shas = Vec::new();
        if !to_hash.is_empty() {
            let input = to_hash.join("\n") + "\n";
            let out = run_git(
                Some(&gitdir),
                &["hash-object", "-w", "--no-filters", "--stdin-paths"],
                Some(input.as_bytes()),
                &[],
            )
            .await?;
            if !out.ok {
                return Err(git_failed(&target, "git hash-object", &out));
            }
            shas = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            if shas.len() != to_hash.len() {
                return Err(ForgeError::Io {
                    target,
                    message: "git hash-object returned fewer ids than files".into(),
                });
            }
        }
        let mut info = String::new();
        let mut next = shas.iter();
        for f in &req.files {
            match &f.content {
                Some(_) => {
                    let sha = next.next().map(String::as_str).unwrap_or(ZERO_SHA);
                    let mode = existing
                        .get(&f.path)
                        .map(|(m, _)| m.as_str())
                        .filter(|m| *m == "100755")
                        .unwrap_or("100644");
                    info.push_str(&format!("{mode} {sha}\t{}\0", f.path));
                }
                None => info.push_str(&format!("0 {ZERO_SHA}\t{}\0", f.path)),
            }
        }
        let out = run_git(
            Some(&gitdir),
            &["update-index", "-z", "--index-info"],
            Some(info.as_bytes()),
            &env,
        )
        .await?;
        if !out.ok {
            return Err(git_failed(&target, "git update-index", &out));
        }
        let out = run_git(Some(&gitdir), &["write-tree"], None, &env).await?;
        if !out.ok {
            return Err(git_failed(&target, "git write-tree", &out));
        }
        let tree = String::from_utf8_lossy(&out.stdout).trim().to_string();

        let unchanged = match &parent {
            Some(p) => {
                let out = run_git(
                    Some(&gitdir),
                    &["rev-parse", &format!("{p}^{{tree}}")],
                    None,
                    &[],
                )
                .await?;
                out.ok && String::from_utf8_lossy(&out.stdout).trim() == tree
            }
            None => false,
        };
        let new = if let (true, Some(p)) = (unchanged, &parent) {
            if old.is_some() {
                return Ok(p.clone());
            }
            p.clone()
        } else {
            let mut args = vec!["commit-tree", "--no-gpg-sign", tree.as_str()];
            if let Some(p) = &parent {
                args.push("-p");
                args.push(p);
            }
            let mut commit_env: Vec<(&str, &str)> = Vec::new();
            for (var, default) in [
                ("GIT_AUTHOR_NAME", "chainproof"),
                ("GIT_AUTHOR_EMAIL", "chainproof@localhost"),
                ("GIT_COMMITTER_NAME", "chainproof"),
                ("GIT_COMMITTER_EMAIL", "chainproof@localhost"),
            ] {
                if std::env::var_os(var).is_none() {
                    commit_env.push((var, default));
                }
            }
            let out = run_git(
                Some(&gitdir),
                &args,
                Some(req.message.as_bytes()),
                &commit_env,
            )
            .await?;
            if !out.ok {
                return Err(git_failed(&target, "git commit-tree", &out));
            }
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let expected = old.clone().unwrap_or_else(|| ZERO_SHA.into());
        let out = run_git(
            Some(&gitdir),
            &[
                "update-ref",
                "-m",
                "chainproof commit",
                &branch_ref,
                &new,
                &expected,
            ],
            None,
            &[],
        )
        .await?;
        if !out.ok {
            return Err(ForgeError::Conflict {
                target,
                message: format!(
                    "the branch moved while the commit was built ({})",
                    out.stderr.trim()
                ),
            });
        }
        Ok(new)
    }
}

#[async_trait]
impl Forge for LocalForge {
    fn kind(&self) -> &'static str {
        "local"
    }

    async fn list_repositories(&self, owner: &str) -> Result<Vec<Repository>, ForgeError> {
        check_path(owner).map_err(|_| ForgeError::invalid("owner", format!("`{owner}`")))?;
        let dir = self.root.join(owner);
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ForgeError::NotFound {
                    target: owner.into(),
                    message: format!("no directory {}", dir.display()),
                });
            }
            Err(e) => return Err(io_error(owner, "listing repositories", &e)),
        };
        let mut found = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_error(owner, "listing repositories", &e))?
        {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if name.starts_with('.') || !path.is_dir() {
                continue;
            }
            if let Some(gitdir) = git_dir_of(&path) {
                let name = name.strip_suffix(".git").unwrap_or(&name).to_string();
                found.push((format!("{owner}/{name}"), gitdir));
            }
        }
        found.sort();
        let mut repos = Vec::with_capacity(found.len());
        for (full_name, gitdir) in found {
            repos.push(self.repository_at(&full_name, &gitdir).await?);
        }
        Ok(repos)
    }

    async fn repository(&self, repo: &str) -> Result<Repository, ForgeError> {
        let gitdir = self.git_dir(repo)?;
        self.repository_at(repo, &gitdir).await
    }

    async fn tree(&self, repo: &str, reference: &str) -> Result<Option<Tree>, ForgeError> {
        let gitdir = self.git_dir(repo)?;
        let Some(commit) = self.resolve(&gitdir, reference).await? else {
            return Ok(None);
        };
        let files = self
            .ls_tree(&gitdir, repo, &commit)
            .await?
            .into_iter()
            .map(|(path, (_, sha))| (path, sha))
            .collect();
        Ok(Some(Tree { commit, files }))
    }

    async fn read_file(
        &self,
        repo: &str,
        reference: &str,
        path: &str,
    ) -> Result<Option<String>, ForgeError> {
        check_path(path)?;
        let gitdir = self.git_dir(repo)?;
        let Some(commit) = self.resolve(&gitdir, reference).await? else {
            return Ok(None);
        };
        let out = run_git(
            Some(&gitdir),
            &["cat-file", "blob", &format!("{commit}:{path}")],
            None,
            &[],
        )
        .await?;
        if !out.ok {
            return Ok(None);
        }
        String::from_utf8(out.stdout).map(Some).map_err(|_| {
            ForgeError::invalid(
                "file",
                format!("{repo}@{reference}:{path} is not UTF-8 text"),
            )
        })
    }

    async fn commit(&self, req: &CommitRequest) -> Result<String, ForgeError> {
        self.commit_checked(req, false).await
    }

    async fn commit_new_files(&self, req: &CommitRequest) -> Result<String, ForgeError> {
        self.commit_checked(req, true).await
    }

    async fn find_change_request(
        &self,
        repo: &str,
        head: &str,
    ) -> Result<Option<ChangeRequestInfo>, ForgeError> {
        let gitdir = self.git_dir(repo)?;
        let all = self.change_requests(&gitdir, repo).await?;
        let pick = all
            .iter()
            .filter(|c| c.head == head)
            .max_by_key(|c| (c.state == "open", c.number));
        Ok(pick.map(|c| self.info(&gitdir, c)))
    }

    async fn open_change_request(
        &self,
        req: &ChangeRequest,
    ) -> Result<ChangeRequestInfo, ForgeError> {
        let repo = req.repo.as_str();
        let gitdir = self.git_dir(repo)?;
        for branch in [&req.head, &req.base] {
            if self.resolve_branch(&gitdir, branch).await?.is_none() {
                return Err(ForgeError::NotFound {
                    target: format!("{repo}@{branch}"),
                    message: "branch does not exist".into(),
                });
            }
        }
        let _guard = self.records.lock().await;
        let mut all = self.change_requests(&gitdir, repo).await?;
        let index = match all
            .iter()
            .position(|c| c.head == req.head && c.state == "open")
        {
            Some(i) => {
                let c = &mut all[i];
                c.base = req.base.clone();
                c.title = req.title.clone();
                c.body = req.body.clone();
                i
            }
            None => {
                let number = all.iter().map(|c| c.number).max().unwrap_or(0) + 1;
                all.push(StoredChangeRequest {
                    number,
                    head: req.head.clone(),
                    base: req.base.clone(),
                    title: req.title.clone(),
                    body: req.body.clone(),
                    state: "open".into(),
                });
                all.len() - 1
            }
        };
        write_json(&gitdir.join("chainproof/change-requests.json"), &all, repo).await?;
        Ok(self.info(&gitdir, &all[index]))
    }

    async fn protection(&self, repo: &str, branch: &str) -> Result<Option<Protection>, ForgeError> {
        self.git_dir(repo)?;
        let all: Protections = read_json(&self.protections_path(), repo)
            .await?
            .unwrap_or_default();
        Ok(all
            .get(repo)
            .and_then(|b| b.get(branch))
            .map(|p| Protection {
                branch: branch.into(),
                required_checks: p.required_checks.clone(),
                require_signed_commits: p.require_signed_commits,
            }))
    }

    async fn set_protection(&self, repo: &str, p: &Protection) -> Result<(), ForgeError> {
        self.git_dir(repo)?;
        check_branch(&p.branch)?;
        let _guard = self.records.lock().await;
        let path = self.protections_path();
        let mut all: Protections = read_json(&path, repo).await?.unwrap_or_default();
        all.entry(repo.into()).or_default().insert(
            p.branch.clone(),
            StoredProtection {
                required_checks: p.required_checks.clone(),
                require_signed_commits: p.require_signed_commits,
            },
        );
        write_json(&path, &all, repo).await
    }

    async fn remove_protection(&self, repo: &str, branch: &str) -> Result<(), ForgeError> {
        self.git_dir(repo)?;
        let _guard = self.records.lock().await;
        let path = self.protections_path();
        let mut all: Protections = read_json(&path, repo).await?.unwrap_or_default();
        if let Some(branches) = all.get_mut(repo) {
            branches.remove(branch);
            if branches.is_empty() {
                all.remove(repo);
            }
        }
        write_json(&path, &all, repo).await
    }
}

impl LocalForge {
    async fn resolve_branch(
        &self,
        gitdir: &Path,
        branch: &str,
    ) -> Result<Option<String>, ForgeError> {
        let out = run_git(
            Some(gitdir),
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}^{{commit}}"),
            ],
            None,
            &[],
        )
        .await?;
        Ok(out
            .ok
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
    }
}
