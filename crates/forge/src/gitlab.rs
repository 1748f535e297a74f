//! GitLab on the `gitlab` crate's async client.
//!
//! The client is built on first use (`build_async()` checks the token with `GET /api/v4/user`). Calls go
//! through its raw `rest_async` so that this module sees status and headers (ETag, `Retry-After`,
//! `RateLimit-Reset`, `Link`); the typed endpoint builders hide them. `http://` base URLs use the
//! client's `insecure()` (plain HTTP, for fakes). Costs per operation:
//!
//! | operation | requests |
//! |---|---|
//! | `tree` | 1 per 100 entries: `GET projects/:id/repository/tree?recursive=true&ref=&per_page=100` |
//! | `read_file` | 1: `GET projects/:id/repository/files/:path/raw?ref=` |
//! | `commit` | `GET branches/:b` (its head), the tree listing of the branch (or of `base` when the branch is missing), then 1 `POST projects/:id/repository/commits` with create/update/delete actions decided from that listing (`start_branch` creates the branch); unchanged files are left out |
//! | `find_change_request` | 1: `GET merge_requests?source_branch=&state=all` (merge requests from forks are ignored) |
//! | `open_change_request` | 2: `GET merge_requests?source_branch=&state=opened`, then `PUT` or `POST` |
//! | `protection` | 3: protected branch, project, push rule |
//! | `set_protection` | 4 reads (record variable, protected branch, project, push rule), then only the writes needed |
//!
//! `Tree::commit` is the root tree's git id, computed from the listing's top-level entries (GitLab's
//! listing carries no commit id).
//!
//! What a commit guarantees: GitLab's commits API has no "expected branch head" parameter, so there is
//! no compare-and-swap of the whole branch. Instead every `update` and `delete` action carries
//! `last_commit_id` = the branch head read before the listing: GitLab refuses the commit (400 ->
//! [`ForgeError::Conflict`]) when such a file was changed on the branch after that head (current GitLab
//! compares the file's last commit on the branch with its last commit as of that id). A `create` of a
//! file that now exists fails the same way. Files the commit does not touch may have changed
//! meanwhile; they are kept as they are on the branch.
//!
//! Retries: the commit `POST` is never repeated after a 5xx or a transport error (it may have been
//! applied); the branch is re-read instead and "every requested file has the requested content"
//! counts as success.
//!
//! Protection: a protected branch (maintainers push and merge), the project setting
//! `only_allow_merge_if_pipeline_succeeds` (GitLab cannot require single jobs; the whole pipeline
//! includes them) and the push rule `reject_unsigned_commits` (GitLab Premium; asking for signed
//! commits on an instance without push rules is an error, never silently ignored). External status
//! checks were not used: they wait for an outside service to report, not for pipeline jobs.

use std::collections::BTreeMap;

use async_trait::async_trait;
use gitlab::api::{AsyncClient, RestClient};
use http::Method;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::github::str_at;
use crate::http_util::{
    RawResponse, Retry, Transport, encode_segment, is_ambiguous, is_conflict_message,
};
use crate::{
    ChangeRequest, ChangeRequestInfo, CommitRequest, Forge, ForgeError, GITLAB_PIPELINE_CHECK,
    Protection, Repository, Secret, Tree, blob_sha, check_path, check_repo, unhex,
};

/// The project CI/CD variable recording what protection settings were before chainproof set them.
const RECORD_VARIABLE: &str = "CHAINPROOF_PROTECTION";

/// What `set_protection` found before it changed anything, so `remove_protection` restores only that.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct ProtectionRecord {
    /// Project settings before chainproof first protected a branch of the project.
    project: ProjectBaseline,
    /// Branches chainproof protects -> whether each was a protected branch already.
    branches: BTreeMap<String, BranchBaseline>,
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct ProjectBaseline {
    pipeline: bool,
    signed: bool,
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct BranchBaseline {
    protected: bool,
}

pub struct GitlabForge {
    host: String,
    insecure: bool,
    token: Option<Secret>,
    client: OnceCell<gitlab::AsyncGitlab>,
    transport: Transport,
}

impl GitlabForge {
    pub fn new(
        base_url: Option<&str>,
        token: Option<Secret>,
        concurrency: usize,
    ) -> Result<Self, ForgeError> {
        let url = base_url.unwrap_or("https://gitlab.com");
        let (insecure, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (true, rest)
        } else {
            return Err(ForgeError::invalid(
                "GitLab base URL",
                format!("`{url}` must start with https:// or http://"),
            ));
        };
        let host = rest.trim_end_matches('/');
        let host = host.strip_suffix("/api/v4").unwrap_or(host).to_string();
        if host.is_empty() {
            return Err(ForgeError::invalid(
                "GitLab base URL",
                format!("`{url}` has no host"),
            ));
        }
        let api_root = format!(
            "{}://{host}/api/v4",
            if insecure { "http" } else { "https" }
        );
        Ok(Self {
            host,
            insecure,
            transport: Transport::new(token.clone(), concurrency, &api_root),
            token,
            client: OnceCell::new(),
        })
    }

    async fn client(&self) -> Result<&gitlab::AsyncGitlab, ForgeError> {
        self.client
            .get_or_try_init(|| async {
                let mut builder = match &self.token {
                    Some(t) => gitlab::GitlabBuilder::new(self.host.as_str(), t.expose()),
                    None => gitlab::GitlabBuilder::new_unauthenticated(self.host.as_str()),
                };
                if self.insecure {
                    builder.insecure();
                }
                builder.build_async().await.map_err(|e| {
                    let message = self.transport.scrub(&e.to_string());
                    if message.contains("401")
                        || message.to_ascii_lowercase().contains("unauthorized")
                    {
                        ForgeError::Auth {
                            target: format!("GitLab at {}", self.host),
                            message,
                        }
                    } else {
                        ForgeError::Http {
                            target: format!("GitLab at {}", self.host),
                            status: 0,
                            message,
                        }
                    }
                })
            })
            .await
    }

    /// `endpoint` is relative to `/api/v4/` (or an absolute URL from a `Link` header, which must be
    /// under this instance's `/api/v4/`).
    async fn request(
        &self,
        method: Method,
        endpoint: &str,
        body: Option<&Value>,
        target: &str,
    ) -> Result<RawResponse, ForgeError> {
        let retry = Retry::for_method(&method);
        self.request_with(method, endpoint, body, target, retry)
            .await
    }

    async fn request_with(
        &self,
        method: Method,
        endpoint: &str,
        body: Option<&Value>,
        target: &str,
        retry: Retry,
    ) -> Result<RawResponse, ForgeError> {
        let client = self.client().await?;
        let url = if endpoint.contains("://") {
            self.transport.follow(endpoint, target)?
        } else {
            client
                .rest_endpoint(endpoint)
                .map_err(|e| ForgeError::invalid("GitLab endpoint", format!("{endpoint}: {e}")))?
                .to_string()
        };
        let payload = match body {
            Some(b) => {
                serde_json::to_vec(b).map_err(|e| ForgeError::invalid("request", e.to_string()))?
            }
            None => Vec::new(),
        };
        self.transport
            .execute(&method, &url, target, retry, |etag| {
                let method = method.clone();
                let url = url.clone();
                let payload = payload.clone();
                async move {
                    let mut builder = http::Request::builder()
                        .method(method)
                        .uri(url.as_str())
                        .header(http::header::ACCEPT, "application/json");
                    if body.is_some() {
                        builder = builder.header(http::header::CONTENT_TYPE, "application/json");
                    }
                    if let Some(tag) = etag {
                        builder = builder.header(http::header::IF_NONE_MATCH, tag);
                    }
                    let response = client
                        .rest_async(builder, payload)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(RawResponse {
                        status: response.status().as_u16(),
                        headers: response.headers().clone(),
                        body: response.body().to_vec(),
                    })
                }
            })
            .await
    }

    /// A response for something that may not exist: `None` on 404, the error of any other
    /// non-2xx status.
    fn found(&self, r: RawResponse, target: &str) -> Result<Option<RawResponse>, ForgeError> {
        if r.status == 404 {
            return Ok(None);
        }
        if !(200..300).contains(&r.status) {
            return Err(self.error(&r, target));
        }
        Ok(Some(r))
    }

    async fn get(&self, endpoint: &str, target: &str) -> Result<RawResponse, ForgeError> {
        self.request(Method::GET, endpoint, None, target).await
    }

    async fn send_ok(
        &self,
        method: Method,
        endpoint: &str,
        body: Option<&Value>,
        target: &str,
    ) -> Result<RawResponse, ForgeError> {
        let r = self.request(method, endpoint, body, target).await?;
        if (200..300).contains(&r.status) {
            Ok(r)
        } else {
            Err(self.error(&r, target))
        }
    }

    async fn get_ok(&self, endpoint: &str, target: &str) -> Result<Value, ForgeError> {
        self.send_ok(Method::GET, endpoint, None, target)
            .await?
            .json(target)
    }

    /// GitLab answers conflicting commit actions and existing branches/MRs with 400 or 409.
    fn error(&self, r: &RawResponse, target: &str) -> ForgeError {
        let err = self.transport.error(r, target);
        if r.status == 400 {
            let text = r.text().to_ascii_lowercase();
            if is_conflict_message(&text)
                || ["doesn't exist", "does not exist"]
                    .iter()
                    .any(|m| text.contains(m))
            {
                if let ForgeError::Http {
                    target, message, ..
                } = err
                {
                    return ForgeError::Conflict { target, message };
                }
            }
        }
        err
    }

    async fn paginate(&self, first: RawResponse, target: &str) -> Result<Vec<Value>, ForgeError> {
        let mut items = Vec::new();
        let mut page = first;
        loop {
            if !(200..300).contains(&page.status) {
                return Err(self.error(&page, target));
            }
            let values: Vec<Value> = page.json(target)?;
            items.extend(values);
            match page.next_link() {
                Some(next) => page = self.get(&next, target).await?,
                None => return Ok(items),
            }
        }
    }

    /// The full listing of a ref: `(path -> (type, mode, id))`, or `None` when the ref is missing.
    async fn listing(&self, repo: &str, reference: &str) -> Result<Option<Vec<Value>>, ForgeError> {
        let target = format!("{repo}@{reference}");
        let first = self
            .get(
                &format!(
                    "projects/{}/repository/tree?recursive=true&ref={}&per_page=100",
                    encode_segment(repo),
                    encode_segment(reference)
                ),
                &target,
            )
            .await?;
        if first.status == 404 {
            return Ok(None);
        }
        self.paginate(first, &target).await.map(Some)
    }

    async fn branch_commit(&self, repo: &str, branch: &str) -> Result<Option<String>, ForgeError> {
        let target = format!("{repo}@{branch}");
        let r = self
            .get(
                &format!(
                    "projects/{}/repository/branches/{}",
                    encode_segment(repo),
                    encode_segment(branch)
                ),
                &target,
            )
            .await?;
        let Some(r) = self.found(r, &target)? else {
            return Ok(None);
        };
        Ok(str_at(&r.json::<Value>(&target)?, &["commit", "id"]))
    }

    async fn push_rule(&self, repo: &str) -> Result<Option<Value>, ForgeError> {
        let target = format!("{repo} push rule");
        let r = self
            .get(
                &format!("projects/{}/push_rule", encode_segment(repo)),
                &target,
            )
            .await?;
        if r.status == 404 || r.status == 403 {
            return Ok(None);
        }
        if !(200..300).contains(&r.status) {
            return Err(self.error(&r, &target));
        }
        let v: Value = r.json(&target)?;
        Ok((!v.is_null()).then_some(v))
    }

    async fn set_reject_unsigned(
        &self,
        repo: &str,
        current: Option<Value>,
        reject: bool,
    ) -> Result<(), ForgeError> {
        let target = format!("{repo} push rule");
        let already = current
            .as_ref()
            .and_then(|v| v.get("reject_unsigned_commits"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if already == reject {
            return Ok(());
        }
        let body = json!({ "reject_unsigned_commits": reject });
        let method = if current.is_some() {
            Method::PUT
        } else {
            Method::POST
        };
        let r = self
            .request(
                method,
                &format!("projects/{}/push_rule", encode_segment(repo)),
                Some(&body),
                &target,
            )
            .await?;
        if (200..300).contains(&r.status) {
            return Ok(());
        }
        if (r.status == 404 || r.status == 403) && reject {
            return Err(ForgeError::invalid(
                "protection",
                format!(
                    "{repo}: signed commits need push rules (GitLab Premium); the instance refused them: {}",
                    crate::http_util::error_message(&r)
                ),
            ));
        }
        Err(self.error(&r, &target))
    }

    /// The protection record (see [`ProtectionRecord`]), `None` when chainproof set none.
    async fn read_record(&self, repo: &str) -> Result<Option<ProtectionRecord>, ForgeError> {
        let target = format!("{repo} variable {RECORD_VARIABLE}");
        let r = self
            .get(
                &format!(
                    "projects/{}/variables/{RECORD_VARIABLE}",
                    encode_segment(repo)
                ),
                &target,
            )
            .await?;
        let Some(r) = self.found(r, &target)? else {
            return Ok(None);
        };
        let value = str_at(&r.json::<Value>(&target)?, &["value"]).unwrap_or_default();
        serde_json::from_str(&value).map(Some).map_err(|e| {
            ForgeError::invalid(
                "protection record",
                format!(
                    "{repo}: the CI/CD variable {RECORD_VARIABLE} is not chainproof's JSON: {e}"
                ),
            )
        })
    }

    /// Writes (`Some`) or deletes (`None`) the record; `existed` says whether it is there now.
    async fn write_record(
        &self,
        repo: &str,
        record: Option<&ProtectionRecord>,
        existed: bool,
    ) -> Result<(), ForgeError> {
        let target = format!("{repo} variable {RECORD_VARIABLE}");
        let id = encode_segment(repo);
        let one = format!("projects/{id}/variables/{RECORD_VARIABLE}");
        let r = match record {
            Some(record) => {
                let value = serde_json::to_string(record)
                    .map_err(|e| ForgeError::invalid("protection record", e.to_string()))?;
                if existed {
                    self.request(Method::PUT, &one, Some(&json!({ "value": value })), &target)
                        .await?
                } else {
                    let body = json!({
                        "key": RECORD_VARIABLE, "value": value, "variable_type": "env_var",
                        "protected": false, "masked": false, "raw": true,
                        "description": "chainproof: protection settings before chainproof changed them (restored on removal)",
                    });
                    self.request(
                        Method::POST,
                        &format!("projects/{id}/variables"),
                        Some(&body),
                        &target,
                    )
                    .await?
                }
            }
            None if existed => self.request(Method::DELETE, &one, None, &target).await?,
            None => return Ok(()),
        };
        if (200..300).contains(&r.status) || (record.is_none() && r.status == 404) {
            Ok(())
        } else {
            Err(self.error(&r, &target))
        }
    }

    /// Whether a protected branch `branch` exists.
    async fn is_protected(&self, repo: &str, branch: &str) -> Result<bool, ForgeError> {
        let target = format!("{repo}@{branch} protection");
        let r = self
            .get(
                &format!(
                    "projects/{}/protected_branches/{}",
                    encode_segment(repo),
                    encode_segment(branch)
                ),
                &target,
            )
            .await?;
        match r.status {
            404 => Ok(false),
            200..=299 => Ok(true),
            _ => Err(self.error(&r, &target)),
        }
    }

    async fn set_pipeline_required(
        &self,
        repo: &str,
        current: bool,
        want: bool,
    ) -> Result<(), ForgeError> {
        if current == want {
            return Ok(());
        }
        let target = format!("{repo} merge settings");
        let body = json!({ "only_allow_merge_if_pipeline_succeeds": want });
        self.send_ok(
            Method::PUT,
            &format!("projects/{}", encode_segment(repo)),
            Some(&body),
            &target,
        )
        .await
        .map(|_| ())
    }

    /// After an ambiguous failure of the commit POST: the branch head when every requested file has
    /// the requested content (the commit was applied), else `None`.
    async fn commit_applied(
        &self,
        repo: &str,
        req: &CommitRequest,
        before: Option<&str>,
    ) -> Option<String> {
        let head = self.branch_commit(repo, &req.branch).await.ok()??;
        if Some(head.as_str()) == before {
            return None;
        }
        let entries = self.listing(repo, &req.branch).await.ok()??;
        let files: BTreeMap<String, String> = blobs(&entries);
        req.files
            .iter()
            .all(|f| match &f.content {
                Some(c) => files.get(&f.path) == Some(&blob_sha(c.as_bytes())),
                None => !files.contains_key(&f.path),
            })
            .then_some(head)
    }
}

/// path -> blob id of a listing's blobs.
fn blobs(entries: &[Value]) -> BTreeMap<String, String> {
    entries
        .iter()
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("blob"))
        .filter_map(|e| Some((str_at(e, &["path"])?, str_at(e, &["id"])?)))
        .collect()
}

/// A merge request whose source branch lives in the project itself (not in a fork).
fn from_same_project(v: &Value) -> bool {
    match (
        v.get("source_project_id").and_then(Value::as_u64),
        v.get("project_id").and_then(Value::as_u64),
    ) {
        (Some(source), Some(project)) => source == project,
        _ => true,
    }
}

fn project_from(v: &Value) -> Option<Repository> {
    Some(Repository {
        full_name: v.get("path_with_namespace")?.as_str()?.to_string(),
        default_branch: v
            .get("default_branch")
            .and_then(Value::as_str)
            .unwrap_or("main")
            .to_string(),
        topics: v
            .get("topics")
            .or_else(|| v.get("tag_list"))
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        archived: v.get("archived").and_then(Value::as_bool).unwrap_or(false),
        visibility: v
            .get("visibility")
            .and_then(Value::as_str)
            .unwrap_or("private")
            .to_string(),
        properties: BTreeMap::new(),
    })
}

fn mr_info(v: &Value) -> Option<ChangeRequestInfo> {
    let state = match v.get("state").and_then(Value::as_str) {
        Some("merged") => "merged",
        Some("closed") => "closed",
        _ => "open",
    };
    Some(ChangeRequestInfo {
        number: v.get("iid")?.as_u64()?,
        url: str_at(v, &["web_url"]).unwrap_or_default(),
        state: state.into(),
        head: str_at(v, &["source_branch"]).unwrap_or_default(),
    })
}

/// Git's id of the root tree from the top-level entries of a recursive listing.
pub(crate) fn root_tree_sha(entries: &[Value]) -> String {
    let mut top: Vec<(String, String, Vec<u8>)> = Vec::new();
    for e in entries {
        let (Some(path), Some(mode), Some(id)) = (
            str_at(e, &["path"]),
            str_at(e, &["mode"]),
            str_at(e, &["id"]),
        ) else {
            continue;
        };
        if path.contains('/') {
            continue;
        }
        let mode = mode.trim_start_matches('0').to_string();
        let Some(raw) = unhex(&id) else { continue };
        top.push((path, mode, raw));
    }
    crate::tree_object_sha(&mut top)
}

impl GitlabForge {
    /// [`Forge::commit`]; with `keep_existing`, [`Forge::commit_new_files`]'s precondition on the listing.
    async fn commit_checked(
        &self,
        req: &CommitRequest,
        keep_existing: bool,
    ) -> Result<String, ForgeError> {
        let repo = req.repo.as_str();
        check_repo(repo)?;
        for f in &req.files {
            check_path(&f.path)?;
        }
        let target = format!("{repo}@{}", req.branch);
        // The head first, then the listing: an update/delete carries that head as `last_commit_id`,
        // so a file changed after it (even before the listing) is a conflict, never overwritten.
        let (head, entries, start_branch) = match self.branch_commit(repo, &req.branch).await? {
            Some(head) => {
                let entries =
                    self.listing(repo, &req.branch)
                        .await?
                        .ok_or_else(|| ForgeError::Conflict {
                            target: target.clone(),
                            message: "the branch disappeared meanwhile".into(),
                        })?;
                (Some(head), entries, None)
            }
            None => match &req.base {
                Some(base) => {
                    let missing = || ForgeError::NotFound {
                        target: format!("{repo}@{base}"),
                        message: "base branch does not exist".into(),
                    };
                    let head = self.branch_commit(repo, base).await?.ok_or_else(missing)?;
                    let entries = self.listing(repo, base).await?.ok_or_else(missing)?;
                    (Some(head), entries, Some(base.clone()))
                }
                None => {
                    let project = self
                        .get_ok(&format!("projects/{}", encode_segment(repo)), repo)
                        .await?;
                    let empty = project
                        .get("empty_repo")
                        .and_then(Value::as_bool)
                        .unwrap_or_else(|| {
                            project.get("default_branch").is_none_or(Value::is_null)
                        });
                    if !empty {
                        return Err(ForgeError::invalid(
                            "commit",
                            format!(
                                "{target}: the branch does not exist and no base was given; refusing to create an unrelated root commit in a non-empty project"
                            ),
                        ));
                    }
                    (None, Vec::new(), None)
                }
            },
        };
        let existing = blobs(&entries);
        if keep_existing {
            crate::refuse_overwrite(&target, req, |p| existing.get(p).map(String::as_str))?;
        }
        let mut actions = Vec::new();
        for f in &req.files {
            let mut action = match (&f.content, existing.get(&f.path)) {
                (Some(content), Some(sha)) if *sha == blob_sha(content.as_bytes()) => continue,
                (Some(content), Some(_)) => {
                    json!({"action": "update", "file_path": f.path, "content": content})
                }
                (Some(content), None) => {
                    json!({"action": "create", "file_path": f.path, "content": content})
                }
                (None, Some(_)) => json!({"action": "delete", "file_path": f.path}),
                (None, None) => continue,
            };
            if let (Some(h), true) = (&head, existing.contains_key(&f.path)) {
                action["last_commit_id"] = json!(h);
            }
            actions.push(action);
        }
        if actions.is_empty() {
            if let (Some(_), Some(base_head)) = (&start_branch, &head) {
                // Nothing to write, but the branch must exist: create it at the base's head.
                let r = self
                    .request(
                        Method::POST,
                        &format!(
                            "projects/{}/repository/branches?branch={}&ref={}",
                            encode_segment(repo),
                            encode_segment(&req.branch),
                            encode_segment(base_head)
                        ),
                        None,
                        &target,
                    )
                    .await;
                let r = match r {
                    Ok(r) if (200..300).contains(&r.status) => r,
                    Ok(r) => return Err(self.error(&r, &target)),
                    Err(e) if is_ambiguous(&e) => {
                        return match self.branch_commit(repo, &req.branch).await {
                            Ok(Some(c)) if c == *base_head => Ok(c),
                            _ => Err(e),
                        };
                    }
                    Err(e) => return Err(e),
                };
                return str_at(&r.json::<Value>(&target)?, &["commit", "id"]).ok_or_else(|| {
                    ForgeError::Http {
                        target,
                        status: r.status,
                        message: "branch response without commit".into(),
                    }
                });
            }
            if let Some(h) = head {
                return Ok(h);
            }
        }
        let mut body = json!({
            "branch": req.branch,
            "commit_message": req.message,
            "actions": actions,
        });
        if let Some(base) = &start_branch {
            body["start_branch"] = json!(base);
        }
        let sent = self
            .send_ok(
                Method::POST,
                &format!("projects/{}/repository/commits", encode_segment(repo)),
                Some(&body),
                &target,
            )
            .await;
        let r = match sent {
            Ok(r) => r,
            Err(e) if is_ambiguous(&e) => {
                let before = if start_branch.is_some() {
                    None
                } else {
                    head.as_deref()
                };
                return match self.commit_applied(repo, req, before).await {
                    Some(applied) => Ok(applied),
                    None => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        str_at(&r.json::<Value>(&target)?, &["id"]).ok_or_else(|| ForgeError::Http {
            target,
            status: r.status,
            message: "commit response without id".into(),
        })
    }
}

#[async_trait]
impl Forge for GitlabForge {
    fn kind(&self) -> &'static str {
        "gitlab"
    }

    async fn list_repositories(&self, owner: &str) -> Result<Vec<Repository>, ForgeError> {
        let target = format!("{owner} projects");
        let mut first = self
            .get(
                &format!(
                    "groups/{}/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=path&sort=asc",
                    encode_segment(owner)
                ),
                &target,
            )
            .await?;
        if first.status == 404 {
            first = self
                .get(
                    &format!("users/{}/projects?per_page=100", encode_segment(owner)),
                    &target,
                )
                .await?;
        }
        let values = self.paginate(first, &target).await?;
        Ok(values.iter().filter_map(project_from).collect())
    }

    async fn repository(&self, repo: &str) -> Result<Repository, ForgeError> {
        check_repo(repo)?;
        let r = self
            .send_ok(
                Method::GET,
                &format!("projects/{}", encode_segment(repo)),
                None,
                repo,
            )
            .await?;
        project_from(&r.json::<Value>(repo)?).ok_or_else(|| ForgeError::Http {
            target: repo.into(),
            status: r.status,
            message: "project response without path_with_namespace".into(),
        })
    }

    async fn tree(&self, repo: &str, reference: &str) -> Result<Option<Tree>, ForgeError> {
        check_repo(repo)?;
        let Some(entries) = self.listing(repo, reference).await? else {
            return Ok(None);
        };
        let files = entries
            .iter()
            .filter(|e| e.get("type").and_then(Value::as_str) == Some("blob"))
            .filter_map(|e| Some((str_at(e, &["path"])?, str_at(e, &["id"])?)))
            .collect();
        Ok(Some(Tree {
            commit: root_tree_sha(&entries),
            files,
        }))
    }

    async fn read_file(
        &self,
        repo: &str,
        reference: &str,
        path: &str,
    ) -> Result<Option<String>, ForgeError> {
        check_repo(repo)?;
        check_path(path)?;
        let target = format!("{repo}@{reference}:{path}");
        let r = self
            .get(
                &format!(
                    "projects/{}/repository/files/{}/raw?ref={}",
                    encode_segment(repo),
                    encode_segment(path),
                    encode_segment(reference)
                ),
                &target,
            )
            .await?;
        let Some(r) = self.found(r, &target)? else {
            return Ok(None);
        };
        Ok(Some(r.text()))
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
        check_repo(repo)?;
        let target = format!("{repo} merge requests from {head}");
        let first = self
            .get(
                &format!(
                    "projects/{}/merge_requests?source_branch={}&state=all&per_page=100",
                    encode_segment(repo),
                    encode_segment(head)
                ),
                &target,
            )
            .await?;
        let mrs = self.paginate(first, &target).await?;
        Ok(mrs
            .iter()
            .filter(|m| from_same_project(m))
            .filter_map(mr_info)
            .max_by_key(|m| (m.state == "open", m.number)))
    }

    async fn open_change_request(
        &self,
        req: &ChangeRequest,
    ) -> Result<ChangeRequestInfo, ForgeError> {
        let repo = req.repo.as_str();
        check_repo(repo)?;
        let target = format!("{repo} merge request from {}", req.head);
        let id = encode_segment(repo);
        let r = self
            .send_ok(
                Method::GET,
                &format!(
                    "projects/{id}/merge_requests?source_branch={}&state=opened&per_page=100",
                    encode_segment(&req.head)
                ),
                None,
                &target,
            )
            .await?;
        let open: Vec<Value> = r.json(&target)?;
        let r = match open
            .iter()
            .filter(|m| from_same_project(m))
            .find_map(|m| m.get("iid").and_then(Value::as_u64))
        {
            Some(iid) => {
                let body =
                    json!({"title": req.title, "description": req.body, "target_branch": req.base});
                self.send_ok(
                    Method::PUT,
                    &format!("projects/{id}/merge_requests/{iid}"),
                    Some(&body),
                    &target,
                )
                .await?
            }
            None => {
                let body = json!({"title": req.title, "description": req.body, "source_branch": req.head, "target_branch": req.base});
                self.send_ok(
                    Method::POST,
                    &format!("projects/{id}/merge_requests"),
                    Some(&body),
                    &target,
                )
                .await?
            }
        };
        mr_info(&r.json::<Value>(&target)?).ok_or_else(|| ForgeError::Http {
            target,
            status: r.status,
            message: "merge request response without iid".into(),
        })
    }

    async fn protection(&self, repo: &str, branch: &str) -> Result<Option<Protection>, ForgeError> {
        check_repo(repo)?;
        let target = format!("{repo}@{branch} protection");
        let id = encode_segment(repo);
        let r = self
            .get(
                &format!(
                    "projects/{id}/protected_branches/{}",
                    encode_segment(branch)
                ),
                &target,
            )
            .await?;
        if self.found(r, &target)?.is_none() {
            return Ok(None);
        }
        let project = self
            .send_ok(Method::GET, &format!("projects/{id}"), None, &target)
            .await?
            .json::<Value>(&target)?;
        let pipeline = project
            .get("only_allow_merge_if_pipeline_succeeds")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let signed = self
            .push_rule(repo)
            .await?
            .and_then(|v| v.get("reject_unsigned_commits").and_then(Value::as_bool))
            .unwrap_or(false);
        Ok(Some(Protection {
            branch: branch.into(),
            required_checks: if pipeline {
                vec![GITLAB_PIPELINE_CHECK.to_string()]
            } else {
                Vec::new()
            },
            require_signed_commits: signed,
        }))
    }

    /// Records what is there before changing anything (first call per branch only), then protects
    /// the branch (maintainers push and merge) unless it is protected already, and sets the two
    /// project settings as `p` asks.
    async fn set_protection(&self, repo: &str, p: &Protection) -> Result<(), ForgeError> {
        check_repo(repo)?;
        let target = format!("{repo}@{} protection", p.branch);
        let id = encode_segment(repo);
        let stored = self.read_record(repo).await?;
        let was_protected = self.is_protected(repo, &p.branch).await?;
        let pipeline = self
            .get_ok(&format!("projects/{id}"), &target)
            .await?
            .get("only_allow_merge_if_pipeline_succeeds")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let push_rule = self.push_rule(repo).await?;
        let signed = push_rule
            .as_ref()
            .and_then(|v| v.get("reject_unsigned_commits"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let existed = stored.is_some();
        let mut record = stored.unwrap_or_else(|| ProtectionRecord {
            project: ProjectBaseline { pipeline, signed },
            branches: BTreeMap::new(),
        });
        if !record.branches.contains_key(&p.branch) {
            record.branches.insert(
                p.branch.clone(),
                BranchBaseline {
                    protected: was_protected,
                },
            );
            // Written before any change, so an interrupted run still restores the right state.
            self.write_record(repo, Some(&record), existed).await?;
        }
        if !was_protected {
            let r = self
                .request(
                    Method::POST,
                    &format!(
                        "projects/{id}/protected_branches?name={}&push_access_level=40&merge_access_level=40",
                        encode_segment(&p.branch)
                    ),
                    None,
                    &target,
                )
                .await?;
            // 409: protected meanwhile; its access levels are left as the owners set them.
            if !(200..300).contains(&r.status) && r.status != 409 {
                return Err(self.error(&r, &target));
            }
        }
        self.set_pipeline_required(repo, pipeline, !p.required_checks.is_empty())
            .await?;
        self.set_reject_unsigned(repo, push_rule, p.require_signed_commits)
            .await
    }

    /// Restores what the record says was there before chainproof: the protected branch is removed
    /// only if chainproof created it; the project settings go back to their earlier values when no
    /// other branch of the project is still protected by chainproof. Without a record (chainproof
    /// never protected this branch) nothing changes.
    async fn remove_protection(&self, repo: &str, branch: &str) -> Result<(), ForgeError> {
        check_repo(repo)?;
        let target = format!("{repo}@{branch} protection");
        let id = encode_segment(repo);
        let Some(mut record) = self.read_record(repo).await? else {
            return Ok(());
        };
        let Some(baseline) = record.branches.remove(branch) else {
            return Ok(());
        };
        if !baseline.protected {
            let r = self
                .request(
                    Method::DELETE,
                    &format!(
                        "projects/{id}/protected_branches/{}",
                        encode_segment(branch)
                    ),
                    None,
                    &target,
                )
                .await?;
            if !(200..300).contains(&r.status) && r.status != 404 {
                return Err(self.error(&r, &target));
            }
        }
        if record.branches.is_empty() {
            let pipeline = self
                .get_ok(&format!("projects/{id}"), &target)
                .await?
                .get("only_allow_merge_if_pipeline_succeeds")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            self.set_pipeline_required(repo, pipeline, record.project.pipeline)
                .await?;
            let push_rule = self.push_rule(repo).await?;
            self.set_reject_unsigned(repo, push_rule, record.project.signed)
                .await?;
            self.write_record(repo, None, true).await
        } else {
            self.write_record(repo, Some(&record), true).await
        }
    }
}
