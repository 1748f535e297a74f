//! GitHub (and GitHub Enterprise Server) on octocrab's client.
//!
//! Requests go through octocrab's raw `build_request`/`execute` so that this module sees status and
//! headers (ETag, rate limits, `Link`); octocrab's own retry layer is off because [`Transport`] retries
//! with knowledge of GitHub's rate-limit headers. Costs per operation:
//!
//! | operation | requests |
//! |---|---|
//! | `tree` | 1: `GET /repos/{o}/{r}/git/trees/{ref}?recursive=1` (`truncated: true` is an error) |
//! | `read_file` | 1: `GET /repos/{o}/{r}/contents/{path}?ref=` with the raw media type |
//! | `commit`, existing branch | 4: `GET branches/{b}`, `POST git/trees` (base_tree, inline content, only changed paths), `POST git/commits`, `PATCH git/refs/heads/{b}` (`force: false`: a moved branch is a 422 -> `Conflict`); 1 when nothing changes. The parent's file list comes from the cached `tree` listing of the branch when its tree id is the head's (a plan just read it), else 1 more: `GET git/trees/{tree id}?recursive=1` |
//! | `commit`, new branch | 5 (+1 without a cached listing of `base`): `GET branches/{b}` (404), `GET branches/{base}`, `POST git/trees`, `POST git/commits`, `POST git/refs` |
//! | `find_change_request` | 1: `GET pulls?head=owner:branch&state=all` |
//! | `open_change_request` | 2: `GET pulls?head=..&state=open`, then `PATCH pulls/{n}` or `POST pulls` |
//! | `protection` | 2: `GET rulesets` (find ours by name), `GET rulesets/{id}` |
//! | `set_protection` / `remove_protection` | 2: `GET rulesets`, then `POST`/`PUT`/`DELETE rulesets/{id}` |
//!
//! Protection uses repository rulesets rather than classic branch protection: rulesets are GitHub's
//! current mechanism, layer with organisation rulesets, can be read for a branch in one request, and
//! are named, so ours (`chainproof: <branch>`) is updated or removed without touching anyone else's.
//! The commit lists the parent's tree first: deletions of paths that do not exist are dropped (GitHub
//! answers them with 422), unchanged files are left out, and updated files keep an executable mode
//! (`100755`); other new and updated files are `100644`.
//!
//! Retries: `POST git/trees` and `POST git/commits` create content-addressed objects and
//! `PATCH git/refs` moves a ref to a known SHA, so they are retried after 5xx like reads; other
//! POST/PATCH requests are retried only after rate-limit answers. After an ambiguous failure of the ref
//! update, the branch is re-read and "it points at our commit" counts as success.

use std::collections::BTreeMap;

use async_trait::async_trait;
use http::Method;
use octocrab::Octocrab;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::http_util::{RawResponse, Retry, Transport, encode_path, encode_segment, is_ambiguous};
use crate::{
    ChangeRequest, ChangeRequestInfo, CommitRequest, Forge, ForgeError, Protection, Repository,
    Secret, Tree, blob_sha, check_github_repo as check_repo, check_path,
};

const RAW: &str = "application/vnd.github.raw+json";
const JSON: &str = "application/vnd.github+json";

pub struct GithubForge {
    base_url: Option<String>,
    token: Option<Secret>,
    client: OnceCell<Octocrab>,
    /// The authenticated user's login (`GET /user`), asked once when a listing needs it.
    login: OnceCell<Option<String>>,
    transport: Transport,
}

/// Files of a tree listing: path -> (mode, blob id).
type Listing = BTreeMap<String, (String, String)>;

impl GithubForge {
    pub fn new(
        base_url: Option<&str>,
        token: Option<Secret>,
        concurrency: usize,
    ) -> Result<Self, ForgeError> {
        if let Some(url) = base_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ForgeError::invalid(
                    "GitHub base URL",
                    format!("`{url}` must start with https:// or http://"),
                ));
            }
        }
        Ok(Self {
            base_url: base_url.map(|u| u.trim_end_matches('/').to_string()),
            transport: Transport::new(
                token.clone(),
                concurrency,
                base_url.unwrap_or("https://api.github.com"),
            ),
            token,
            client: OnceCell::new(),
            login: OnceCell::new(),
        })
    }

    async fn client(&self) -> Result<&Octocrab, ForgeError> {
        self.client
            .get_or_try_init(|| async {
                let mut builder = Octocrab::builder()
                    .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None);
                if let Some(url) = &self.base_url {
                    builder = builder.base_uri(url.as_str()).map_err(|e| {
                        ForgeError::invalid("GitHub base URL", format!("`{url}`: {e}"))
                    })?;
                }
                if let Some(token) = &self.token {
                    builder = builder.personal_token(token.expose().to_string());
                }
                builder.build().map_err(|e| ForgeError::Http {
                    target: "GitHub client".into(),
                    status: 0,
                    message: self.transport.scrub(&e.to_string()),
                })
            })
            .await
    }

    /// One request through the transport (ETag cache, rate limits, retries as `method` allows).
    async fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        accept: &str,
        target: &str,
    ) -> Result<RawResponse, ForgeError> {
        let retry = Retry::for_method(&method);
        self.request_with(method, url, body, accept, target, retry)
            .await
    }

    async fn request_with(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        accept: &str,
        target: &str,
        retry: Retry,
    ) -> Result<RawResponse, ForgeError> {
        let client = self.client().await?;
        self.transport
            .execute(&method, url, target, retry, |etag| {
                let method = method.clone();
                async move {
                    let mut builder = http::Request::builder()
                        .method(method)
                        .uri(url)
                        .header(http::header::ACCEPT, accept);
                    if let Some(tag) = etag {
                        builder = builder.header(http::header::IF_NONE_MATCH, tag);
                    }
                    let request = client
                        .build_request(builder, body)
                        .map_err(|e| e.to_string())?;
                    let response = client.execute(request).await.map_err(|e| e.to_string())?;
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let text = client
                        .body_to_string(response)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(RawResponse {
                        status,
                        headers,
                        body: text.into_bytes(),
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
            return Err(self.transport.error(&r, target));
        }
        Ok(Some(r))
    }

    async fn get(&self, url: &str, target: &str) -> Result<RawResponse, ForgeError> {
        self.request(Method::GET, url, None, JSON, target).await
    }

    /// Sends and requires a 2xx response.
    async fn send_ok(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        target: &str,
    ) -> Result<RawResponse, ForgeError> {
        let retry = Retry::for_method(&method);
        self.send_ok_with(method, url, body, target, retry).await
    }

    async fn send_ok_with(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        target: &str,
        retry: Retry,
    ) -> Result<RawResponse, ForgeError> {
        let r = self
            .request_with(method, url, body, JSON, target, retry)
            .await?;
        if (200..300).contains(&r.status) {
            Ok(r)
        } else {
            Err(self.transport.error(&r, target))
        }
    }

    /// Every page of a list, following `Link: rel="next"`.
    async fn paginate(&self, first: RawResponse, target: &str) -> Result<Vec<Value>, ForgeError> {
        let mut items = Vec::new();
        let mut page = first;
        loop {
            if !(200..300).contains(&page.status) {
                return Err(self.transport.error(&page, target));
            }
            let values: Vec<Value> = page.json(target)?;
            items.extend(values);
            match page.next_link() {
                Some(next) => {
                    let next = self.transport.follow(&next, target)?;
                    page = self.get(&next, target).await?
                }
                None => return Ok(items),
            }
        }
    }

    async fn branch_head(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Option<(String, String)>, ForgeError> {
        let target = format!("{repo}@{branch}");
        let r = self
            .get(
                &format!("{}/branches/{}", repo_url(repo), encode_path(branch)),
                &target,
            )
            .await?;
        let Some(r) = self.found(r, &target)? else {
            return Ok(None);
        };
        let v: Value = r.json(&target)?;
        let commit = str_at(&v, &["commit", "sha"]);
        let tree = str_at(&v, &["commit", "commit", "tree", "sha"]);
        match (commit, tree) {
            (Some(c), Some(t)) => Ok(Some((c, t))),
            _ => Err(ForgeError::Http {
                target,
                status: r.status,
                message: "branch response without commit and tree".into(),
            }),
        }
    }

    /// The files of `tree` (the root tree of `reference`'s head). Tree ids name content, so a cached
    /// listing of `reference` (from [`Forge::tree`], e.g. a plan's read) with that id is used without
    /// a request; otherwise the tree is listed by id.
    async fn listing(
        &self,
        repo: &str,
        reference: &str,
        tree: &str,
    ) -> Result<Listing, ForgeError> {
        let target = format!("{repo}@{reference}");
        let by_name = format!(
            "{}/git/trees/{}?recursive=1",
            repo_url(repo),
            encode_path(reference)
        );
        if let Some(r) = self.transport.cached(&by_name).await {
            if let Ok(v) = r.json::<Value>(&target) {
                if let Ok((sha, files)) = parse_listing(&v, &target, r.status) {
                    if sha == tree {
                        return Ok(files);
                    }
                }
            }
        }
        let by_id = format!(
            "{}/git/trees/{}?recursive=1",
            repo_url(repo),
            encode_segment(tree)
        );
        let r = self.send_ok(Method::GET, &by_id, None, &target).await?;
        Ok(parse_listing(&r.json(&target)?, &target, r.status)?.1)
    }

    /// Whether the repository has any branch.
    async fn has_branches(&self, repo: &str) -> Result<bool, ForgeError> {
        let target = format!("{repo} branches");
        let r = self
            .send_ok(
                Method::GET,
                &format!("{}/branches?per_page=1", repo_url(repo)),
                None,
                &target,
            )
            .await?;
        Ok(!r.json::<Vec<Value>>(&target)?.is_empty())
    }

    async fn authenticated_login(&self) -> Result<Option<String>, ForgeError> {
        if self.token.is_none() {
            return Ok(None);
        }
        self.login
            .get_or_try_init(|| async {
                let r = self.get("/user", "authenticated user").await?;
                if !(200..300).contains(&r.status) {
                    return Ok(None);
                }
                Ok(str_at(&r.json::<Value>("authenticated user")?, &["login"]))
            })
            .await
            .cloned()
    }

    async fn our_ruleset(&self, repo: &str, branch: &str) -> Result<Option<u64>, ForgeError> {
        let target = format!("{repo} rulesets");
        let first = self
            .get(
                &format!(
                    "{}/rulesets?per_page=100&includes_parents=false",
                    repo_url(repo)
                ),
                &target,
            )
            .await?;
        let all = self.paginate(first, &target).await?;
        let name = ruleset_name(branch);
        Ok(all
            .iter()
            .find(|r| r.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .and_then(|r| r.get("id").and_then(Value::as_u64)))
    }
}

/// `/repos/{owner}/{name}` with both segments encoded (after [`check_repo`]).
fn repo_url(repo: &str) -> String {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    format!("/repos/{}/{}", encode_segment(owner), encode_segment(name))
}

/// `(root tree id, path -> (mode, blob id))` of a recursive tree listing; truncation is an error.
fn parse_listing(v: &Value, target: &str, status: u16) -> Result<(String, Listing), ForgeError> {
    if v.get("truncated").and_then(Value::as_bool) == Some(true) {
        return Err(ForgeError::Http {
            target: target.into(),
            status,
            message: "GitHub truncated the recursive tree listing (over 100,000 entries or 7 MB); refusing a partial listing".into(),
        });
    }
    let sha = str_at(v, &["sha"]).unwrap_or_default();
    let mut files = BTreeMap::new();
    for entry in v
        .get("tree")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if entry.get("type").and_then(Value::as_str) == Some("blob") {
            if let (Some(path), Some(id)) = (str_at(entry, &["path"]), str_at(entry, &["sha"])) {
                let mode = str_at(entry, &["mode"]).unwrap_or_else(|| "100644".into());
                files.insert(path, (mode, id));
            }
        }
    }
    Ok((sha, files))
}

fn ruleset_name(branch: &str) -> String {
    format!("chainproof: {branch}")
}

pub(crate) fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str().map(str::to_string)
}

fn repository_from(v: &Value) -> Option<Repository> {
    let full_name = v.get("full_name")?.as_str()?.to_string();
    let visibility = v
        .get("visibility")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            if v.get("private").and_then(Value::as_bool).unwrap_or(false) {
                "private".into()
            } else {
                "public".into()
            }
        });
    let mut properties = BTreeMap::new();
    if let Some(props) = v.get("custom_properties").and_then(Value::as_object) {
        for (k, value) in props {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            properties.insert(k.clone(), text);
        }
    }
    Some(Repository {
        full_name,
        default_branch: v
            .get("default_branch")
            .and_then(Value::as_str)
            .unwrap_or("main")
            .to_string(),
        topics: v
            .get("topics")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        archived: v.get("archived").and_then(Value::as_bool).unwrap_or(false),
        visibility,
        properties,
    })
}

fn pull_info(v: &Value) -> Option<ChangeRequestInfo> {
    let state = if v.get("merged_at").is_some_and(|m| !m.is_null()) {
        "merged"
    } else if v.get("state").and_then(Value::as_str) == Some("open") {
        "open"
    } else {
        "closed"
    };
    Some(ChangeRequestInfo {
        number: v.get("number")?.as_u64()?,
        url: str_at(v, &["html_url"]).unwrap_or_default(),
        state: state.into(),
        head: str_at(v, &["head", "ref"]).unwrap_or_default(),
    })
}

fn owner_of(repo: &str) -> &str {
    repo.split('/').next().unwrap_or(repo)
}

impl GithubForge {
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
        let base_url = repo_url(repo);
        let existing = self.branch_head(repo, &req.branch).await?;
        let (parent, listed_as) = match (&existing, &req.base) {
            (Some(head), _) => (Some(head.clone()), req.branch.as_str()),
            (None, Some(base)) => {
                (
                    Some(self.branch_head(repo, base).await?.ok_or_else(|| {
                        ForgeError::NotFound {
                            target: format!("{repo}@{base}"),
                            message: "base branch does not exist".into(),
                        }
                    })?),
                    base.as_str(),
                )
            }
            (None, None) => {
                if self.has_branches(repo).await? {
                    return Err(ForgeError::invalid(
                        "commit",
                        format!(
                            "{target}: the branch does not exist and no base was given; refusing to create an unrelated root commit in a non-empty repository"
                        ),
                    ));
                }
                (None, req.branch.as_str())
            }
        };
        let current = match &parent {
            Some((_, tree)) => self.listing(repo, listed_as, tree).await?,
            None => Listing::new(),
        };
        if keep_existing {
            crate::refuse_overwrite(&target, req, |p| current.get(p).map(|(_, id)| id.as_str()))?;
        }
        let mut entries = Vec::new();
        for f in &req.files {
            match (&f.content, current.get(&f.path)) {
                (Some(content), Some((_, id))) if *id == blob_sha(content.as_bytes()) => {}
                (Some(content), existing) => {
                    let mode = match existing {
                        Some((m, _)) if m == "100755" => "100755",
                        _ => "100644",
                    };
                    entries.push(
                        json!({"path": f.path, "mode": mode, "type": "blob", "content": content}),
                    );
                }
                (None, Some((mode, _))) => {
                    entries.push(json!({"path": f.path, "mode": mode, "type": "blob", "sha": null}))
                }
                // Deleting what does not exist: nothing to do (GitHub would answer 422).
                (None, None) => {}
            }
        }

        let new_commit = match (&parent, entries.is_empty()) {
            (Some((head, _)), true) => {
                if existing.is_some() {
                    return Ok(head.clone());
                }
                head.clone()
            }
            _ => {
                let mut tree_body = json!({ "tree": entries });
                if let Some((_, base_tree)) = &parent {
                    tree_body["base_tree"] = json!(base_tree);
                }
                // Trees and commits are content-addressed: sending them twice does no harm.
                let r = self
                    .send_ok_with(
                        Method::POST,
                        &format!("{base_url}/git/trees"),
                        Some(&tree_body),
                        &target,
                        Retry::Safe,
                    )
                    .await?;
                let tree = str_at(&r.json::<Value>(&target)?, &["sha"]).unwrap_or_default();
                match &parent {
                    Some((head, base_tree)) if *base_tree == tree && existing.is_some() => {
                        return Ok(head.clone());
                    }
                    Some((head, base_tree)) if *base_tree == tree => head.clone(),
                    _ => {
                        let parents: Vec<&str> = parent.iter().map(|(c, _)| c.as_str()).collect();
                        let body =
                            json!({"message": req.message, "tree": tree, "parents": parents});
                        let r = self
                            .send_ok_with(
                                Method::POST,
                                &format!("{base_url}/git/commits"),
                                Some(&body),
                                &target,
                                Retry::Safe,
                            )
                            .await?;
                        str_at(&r.json::<Value>(&target)?, &["sha"]).unwrap_or_default()
                    }
                }
            }
        };
        let moved = if existing.is_some() {
            // A ref update to a known SHA is idempotent: a retry after an applied one is a no-op.
            let body = json!({"sha": new_commit, "force": false});
            self.send_ok_with(
                Method::PATCH,
                &format!("{base_url}/git/refs/heads/{}", encode_path(&req.branch)),
                Some(&body),
                &target,
                Retry::Safe,
            )
            .await
        } else {
            let body = json!({"ref": format!("refs/heads/{}", req.branch), "sha": new_commit});
            self.send_ok(
                Method::POST,
                &format!("{base_url}/git/refs"),
                Some(&body),
                &target,
            )
            .await
        };
        match moved {
            Ok(_) => Ok(new_commit),
            Err(e) if is_ambiguous(&e) => {
                // Maybe applied: the branch pointing at our commit means it was.
                match self.branch_head(repo, &req.branch).await {
                    Ok(Some((head, _))) if head == new_commit => Ok(new_commit),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Forge for GithubForge {
    fn kind(&self) -> &'static str {
        "github"
    }

    async fn list_repositories(&self, owner: &str) -> Result<Vec<Repository>, ForgeError> {
        let owner_enc = encode_segment(owner);
        let target = format!("{owner} repositories");
        let mut first = self
            .get(
                &format!("/orgs/{owner_enc}/repos?per_page=100&type=all"),
                &target,
            )
            .await?;
        if first.status == 404 {
            // Not an organisation. The authenticated user's own account lists private repositories
            // only through `/user/repos`; `/users/{u}/repos` shows public ones.
            let own = self
                .authenticated_login()
                .await?
                .is_some_and(|login| login.eq_ignore_ascii_case(owner));
            let url = if own {
                "/user/repos?per_page=100&affiliation=owner".to_string()
            } else {
                format!("/users/{owner_enc}/repos?per_page=100&type=owner")
            };
            first = self.get(&url, &target).await?;
        }
        let values = self.paginate(first, &target).await?;
        Ok(values.iter().filter_map(repository_from).collect())
    }

    async fn repository(&self, repo: &str) -> Result<Repository, ForgeError> {
        check_repo(repo)?;
        let r = self
            .send_ok(Method::GET, &repo_url(repo), None, repo)
            .await?;
        let v: Value = r.json(repo)?;
        repository_from(&v).ok_or_else(|| ForgeError::Http {
            target: repo.into(),
            status: r.status,
            message: "repository response without full_name".into(),
        })
    }

    async fn tree(&self, repo: &str, reference: &str) -> Result<Option<Tree>, ForgeError> {
        check_repo(repo)?;
        let target = format!("{repo}@{reference}");
        let r = self
            .get(
                &format!(
                    "{}/git/trees/{}?recursive=1",
                    repo_url(repo),
                    encode_path(reference)
                ),
                &target,
            )
            .await?;
        // 404: no such ref; 409: the repository is empty.
        if r.status == 404 || r.status == 409 {
            return Ok(None);
        }
        if !(200..300).contains(&r.status) {
            return Err(self.transport.error(&r, &target));
        }
        let (commit, files) = parse_listing(&r.json(&target)?, &target, r.status)?;
        Ok(Some(Tree {
            commit,
            files: files.into_iter().map(|(p, (_, id))| (p, id)).collect(),
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
            .request(
                Method::GET,
                &format!(
                    "{}/contents/{}?ref={}",
                    repo_url(repo),
                    encode_path(path),
                    encode_segment(reference)
                ),
                None,
                RAW,
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
        let target = format!("{repo} pulls from {head}");
        let first = self
            .get(
                &format!(
                    "{}/pulls?head={}&state=all&per_page=100",
                    repo_url(repo),
                    encode_segment(&format!("{}:{head}", owner_of(repo)))
                ),
                &target,
            )
            .await?;
        let pulls = self.paginate(first, &target).await?;
        Ok(pulls
            .iter()
            .filter_map(pull_info)
            .max_by_key(|p| (p.state == "open", p.number)))
    }

    async fn open_change_request(
        &self,
        req: &ChangeRequest,
    ) -> Result<ChangeRequestInfo, ForgeError> {
        let repo = req.repo.as_str();
        check_repo(repo)?;
        let target = format!("{repo} pull from {}", req.head);
        let r = self
            .send_ok(
                Method::GET,
                &format!(
                    "{}/pulls?head={}&state=open&per_page=100",
                    repo_url(repo),
                    encode_segment(&format!("{}:{}", owner_of(repo), req.head))
                ),
                None,
                &target,
            )
            .await?;
        let open: Vec<Value> = r.json(&target)?;
        let r = match open
            .iter()
            .find_map(|p| p.get("number").and_then(Value::as_u64))
        {
            Some(number) => {
                let body = json!({"title": req.title, "body": req.body, "base": req.base});
                // Setting the same fields again has the same effect.
                self.send_ok_with(
                    Method::PATCH,
                    &format!("{}/pulls/{number}", repo_url(repo)),
                    Some(&body),
                    &target,
                    Retry::Safe,
                )
                .await?
            }
            None => {
                let body = json!({"title": req.title, "body": req.body, "head": req.head, "base": req.base});
                self.send_ok(
                    Method::POST,
                    &format!("{}/pulls", repo_url(repo)),
                    Some(&body),
                    &target,
                )
                .await?
            }
        };
        pull_info(&r.json::<Value>(&target)?).ok_or_else(|| ForgeError::Http {
            target,
            status: r.status,
            message: "pull request response without number".into(),
        })
    }

    /// Our ruleset only (`chainproof: <branch>`), the one `set_protection` writes: rules other rulesets
    /// add are not ours to report or remove. A ruleset someone disabled counts as no protection.
    async fn protection(&self, repo: &str, branch: &str) -> Result<Option<Protection>, ForgeError> {
        check_repo(repo)?;
        let Some(id) = self.our_ruleset(repo, branch).await? else {
            return Ok(None);
        };
        let target = format!("{repo}@{branch} ruleset");
        let r = self
            .get(&format!("{}/rulesets/{id}", repo_url(repo)), &target)
            .await?;
        let Some(r) = self.found(r, &target)? else {
            return Ok(None);
        };
        let ruleset: Value = r.json(&target)?;
        if ruleset.get("enforcement").and_then(Value::as_str) != Some("active") {
            return Ok(None);
        }
        let mut checks = Vec::new();
        let mut signed = false;
        let mut any = false;
        for rule in ruleset
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match rule.get("type").and_then(Value::as_str) {
                Some("required_status_checks") => {
                    any = true;
                    for c in rule
                        .pointer("/parameters/required_status_checks")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(context) = str_at(c, &["context"]) {
                            if !checks.contains(&context) {
                                checks.push(context);
                            }
                        }
                    }
                }
                Some("required_signatures") => {
                    any = true;
                    signed = true;
                }
                _ => {}
            }
        }
        Ok(any.then(|| Protection {
            branch: branch.into(),
            required_checks: checks,
            require_signed_commits: signed,
        }))
    }

    async fn set_protection(&self, repo: &str, p: &Protection) -> Result<(), ForgeError> {
        check_repo(repo)?;
        let mut rules = Vec::new();
        if !p.required_checks.is_empty() {
            let checks: Vec<Value> = p
                .required_checks
                .iter()
                .map(|c| json!({ "context": c }))
                .collect();
            rules.push(json!({
                "type": "required_status_checks",
                "parameters": {"strict_required_status_checks_policy": false, "required_status_checks": checks}
            }));
        }
        if p.require_signed_commits {
            rules.push(json!({ "type": "required_signatures" }));
        }
        if rules.is_empty() {
            return self.remove_protection(repo, &p.branch).await;
        }
        let target = format!("{repo}@{} ruleset", p.branch);
        let body = json!({
            "name": ruleset_name(&p.branch),
            "target": "branch",
            "enforcement": "active",
            "conditions": {"ref_name": {"include": [format!("refs/heads/{}", p.branch)], "exclude": []}},
            "rules": rules,
        });
        match self.our_ruleset(repo, &p.branch).await? {
            Some(id) => {
                self.send_ok(
                    Method::PUT,
                    &format!("{}/rulesets/{id}", repo_url(repo)),
                    Some(&body),
                    &target,
                )
                .await?
            }
            None => {
                self.send_ok(
                    Method::POST,
                    &format!("{}/rulesets", repo_url(repo)),
                    Some(&body),
                    &target,
                )
                .await?
            }
        };
        Ok(())
    }

    /// Deletes our ruleset only; other rulesets (and classic branch protection) stay.
    async fn remove_protection(&self, repo: &str, branch: &str) -> Result<(), ForgeError> {
        check_repo(repo)?;
        if let Some(id) = self.our_ruleset(repo, branch).await? {
            let target = format!("{repo}@{branch} ruleset");
            let r = self
                .request(
                    Method::DELETE,
                    &format!("{}/rulesets/{id}", repo_url(repo)),
                    None,
                    JSON,
                    &target,
                )
                .await?;
            if !(200..300).contains(&r.status) && r.status != 404 {
                return Err(self.transport.error(&r, &target));
            }
        }
        Ok(())
    }
}
