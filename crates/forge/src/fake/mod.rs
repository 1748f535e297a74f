//! In-process fake GitHub and GitLab servers (feature `fake`) for tests, the provider and the bench.
//!
//! Both serve one [`FakeState`]: repositories with a real git-object model (blobs, trees and commits
//! hashed exactly as git hashes them, so blob ids equal [`crate::blob_sha`]), refs updated with
//! compare-and-swap, pull/merge requests, rulesets, protected branches and push rules. They follow the
//! documented REST shapes for the routes the clients of this crate use, plus GitHub's Contents API
//! `PUT` (the naive one-file-per-commit rollout the bench compares against). Common behaviour:
//!
//! * `401` without credentials (GitHub: `Authorization`; GitLab: `PRIVATE-TOKEN` or `Authorization`);
//!   with [`FakeState::require_token`] the token must match.
//! * `ETag` on every successful GET and `304 Not Modified` for a matching `If-None-Match`.
//! * `Link` pagination (`per_page`, `page`; GitLab also `x-next-page`/`x-total`).
//! * Request counters per route (`"GET /repos/{owner}/{repo}/git/trees/{*sha}"`) and in total;
//!   `GET /_fake/stats` returns them as JSON (not counted, no token needed).
//!
//! ```no_run
//! # async fn demo() {
//! use chainproof_forge::fake::FakeGithub;
//! let server = FakeGithub::start().await;
//! server.state().create_repo("acme/app", &[("README.md", "hi\n")]);
//! println!("{}", server.url()); // http://127.0.0.1:PORT
//! # }
//! ```

mod github;
mod gitlab;
pub mod model;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub use model::{FakeRepo, ObjectKind};

use model::Model;

/// Which API a server speaks (decides the auth headers and error shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Github,
    Gitlab,
}

/// Shared, inspectable state of a fake forge.
#[derive(Default)]
pub struct FakeState {
    model: Mutex<Model>,
    counts: Mutex<BTreeMap<String, u64>>,
    total: AtomicU64,
    not_modified: AtomicU64,
    token: Mutex<Option<String>>,
    /// GitHub: the authenticated user's login (`GET /user`); `None` means `fake-user`.
    login: Mutex<Option<String>>,
    /// Runs once on the model right before the next non-GET request is handled.
    before_write: Mutex<Option<WriteHook>>,
}

type WriteHook = Box<dyn FnOnce(&mut Model) + Send>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FakeState {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Only this token is accepted from now on (default: any non-empty credential).
    pub fn require_token(&self, token: Option<&str>) {
        *lock(&self.token) = token.map(str::to_string);
    }

    /// GitHub: the login `GET /user` answers (default `fake-user`). Repositories owned by it are a
    /// user's, not an organisation's: `/orgs/{login}/repos` is a 404 and `/users/{login}/repos` lists
    /// only public ones, as on GitHub.
    pub fn set_login(&self, login: &str) {
        *lock(&self.login) = Some(login.to_string());
    }

    pub fn login(&self) -> String {
        lock(&self.login)
            .clone()
            .unwrap_or_else(|| "fake-user".into())
    }

    /// Runs `hook` on the model once, right before the next non-GET request is handled: an
    /// out-of-band change racing a client's write (for conflict tests).
    pub fn before_next_write(&self, hook: impl FnOnce(&mut Model) + Send + 'static) {
        *lock(&self.before_write) = Some(Box::new(hook));
    }

    /// Runs `f` on the model (for seeding and inspection beyond the helpers below).
    pub fn with_model<R>(&self, f: impl FnOnce(&mut Model) -> R) -> R {
        f(&mut lock(&self.model))
    }

    /// Creates `full_name` (`owner/name`, GitLab `group/sub/name`) with branch `main` holding `files`
    /// in one commit (no commit when `files` is empty: an empty repository). Returns the head or "".
    pub fn create_repo(&self, full_name: &str, files: &[(&str, &str)]) -> String {
        self.with_model(|m| m.create_repo(full_name, "main", files))
    }

    pub fn set_topics(&self, repo: &str, topics: &[&str]) {
        self.with_model(|m| {
            if let Some(r) = m.repo_mut(repo) {
                r.topics = topics.iter().map(|t| (*t).to_string()).collect();
            }
        });
    }

    pub fn set_archived(&self, repo: &str, archived: bool) {
        self.with_model(|m| {
            if let Some(r) = m.repo_mut(repo) {
                r.archived = archived;
            }
        });
    }

    pub fn set_property(&self, repo: &str, name: &str, value: &str) {
        self.with_model(|m| {
            if let Some(r) = m.repo_mut(repo) {
                r.properties.insert(name.into(), value.into());
            }
        });
    }

    /// The commit `branch` points at.
    pub fn head(&self, repo: &str, branch: &str) -> Option<String> {
        self.with_model(|m| m.repo(repo)?.refs.get(&format!("heads/{branch}")).cloned())
    }

    /// Parents of a commit (empty for a root commit or an unknown id).
    pub fn parents(&self, repo: &str, commit: &str) -> Vec<String> {
        self.with_model(|m| {
            m.repo(repo)
                .and_then(|r| r.commit(commit))
                .map(|c| c.parents.clone())
                .unwrap_or_default()
        })
    }

    /// Number of commits reachable from `branch` by first parents.
    pub fn commit_count(&self, repo: &str, branch: &str) -> usize {
        self.with_model(|m| {
            let Some(r) = m.repo(repo) else { return 0 };
            let mut n = 0;
            let mut cur = r.refs.get(&format!("heads/{branch}")).cloned();
            while let Some(c) = cur {
                n += 1;
                cur = r.commit(&c).and_then(|c| c.parents.first().cloned());
            }
            n
        })
    }

    /// Every file at `branch` with its content.
    pub fn files(&self, repo: &str, branch: &str) -> BTreeMap<String, String> {
        self.with_model(|m| {
            let Some(r) = m.repo(repo) else {
                return BTreeMap::new();
            };
            let Some(c) = r.resolve(branch) else {
                return BTreeMap::new();
            };
            r.files_at(&c)
        })
    }

    pub fn file(&self, repo: &str, branch: &str, path: &str) -> Option<String> {
        self.files(repo, branch).remove(path)
    }

    /// An out-of-band edit (someone pushing): one commit on `branch` writing `path`.
    pub fn push_file(&self, repo: &str, branch: &str, path: &str, content: &str) -> Option<String> {
        self.with_model(|m| {
            let r = m.repo_mut(repo)?;
            r.commit_files(
                branch,
                None,
                "manual edit",
                &[(path.to_string(), Some(content.to_string()))],
            )
            .ok()
        })
    }

    /// `(number, head, base, title, state)` of every pull/merge request.
    pub fn change_requests(&self, repo: &str) -> Vec<(u64, String, String, String, String)> {
        self.with_model(|m| {
            m.repo(repo)
                .map(|r| {
                    r.pulls
                        .iter()
                        .map(|p| {
                            (
                                p.number,
                                p.head.clone(),
                                p.base.clone(),
                                p.title.clone(),
                                p.state.clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Marks a pull/merge request merged (and fast-forwards nothing: state only).
    pub fn set_change_request_state(&self, repo: &str, number: u64, state: &str) {
        self.with_model(|m| {
            if let Some(p) = m
                .repo_mut(repo)
                .and_then(|r| r.pulls.iter_mut().find(|p| p.number == number))
            {
                p.state = state.into();
            }
        });
    }

    /// Total requests served (not counting `/_fake/stats`).
    pub fn requests(&self) -> u64 {
        self.total.load(Ordering::SeqCst)
    }

    /// Requests answered `304 Not Modified`.
    pub fn not_modified(&self) -> u64 {
        self.not_modified.load(Ordering::SeqCst)
    }

    /// Requests per `"METHOD /route/{template}"`.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.counts).clone()
    }

    /// Requests whose route contains `fragment` (e.g. `"git/trees"`).
    pub fn requests_matching(&self, fragment: &str) -> u64 {
        lock(&self.counts)
            .iter()
            .filter(|(k, _)| k.contains(fragment))
            .map(|(_, v)| v)
            .sum()
    }

    pub fn reset_requests(&self) {
        lock(&self.counts).clear();
        self.total.store(0, Ordering::SeqCst);
        self.not_modified.store(0, Ordering::SeqCst);
    }

    /// `{"total": n, "not_modified": n, "routes": {...}, "repositories": n}`.
    pub fn stats(&self) -> Value {
        json!({
            "total": self.requests(),
            "not_modified": self.not_modified(),
            "routes": self.request_counts(),
            "repositories": self.with_model(|m| m.repos.len()),
        })
    }
}

/// A running fake server; stops when dropped.
pub struct FakeServer {
    url: String,
    state: Arc<FakeState>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeServer {
    /// `http://127.0.0.1:PORT` (GitLab clients add `/api/v4` themselves).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn state(&self) -> &Arc<FakeState> {
        &self.state
    }

    /// Serves until the process ends (for the standalone binary).
    pub async fn run_forever(self) {
        let _keep = self;
        std::future::pending::<()>().await;
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The fake GitHub REST API (`https://api.github.com` shapes, paths at the root).
pub struct FakeGithub;

/// The fake GitLab REST API (paths under `/api/v4`).
pub struct FakeGitlab;

impl FakeGithub {
    /// Starts on 127.0.0.1 with an ephemeral port and fresh state. Panics only if no loopback port can
    /// be bound (test support code).
    pub async fn start() -> FakeServer {
        Self::start_with(FakeState::new(), "127.0.0.1:0")
            .await
            .expect("binding the fake GitHub server on 127.0.0.1")
    }

    pub async fn start_with(state: Arc<FakeState>, addr: &str) -> std::io::Result<FakeServer> {
        serve(github::router(), Flavor::Github, state, addr).await
    }
}

impl FakeGitlab {
    /// Starts on 127.0.0.1 with an ephemeral port and fresh state.
    pub async fn start() -> FakeServer {
        Self::start_with(FakeState::new(), "127.0.0.1:0")
            .await
            .expect("binding the fake GitLab server on 127.0.0.1")
    }

    pub async fn start_with(state: Arc<FakeState>, addr: &str) -> std::io::Result<FakeServer> {
        serve(gitlab::router(), Flavor::Gitlab, state, addr).await
    }
}

#[derive(Clone)]
pub(crate) struct Ctx {
    pub state: Arc<FakeState>,
    pub flavor: Flavor,
}

async fn serve(
    routes: Router<Ctx>,
    flavor: Flavor,
    state: Arc<FakeState>,
    addr: &str,
) -> std::io::Result<FakeServer> {
    let ctx = Ctx {
        state: state.clone(),
        flavor,
    };
    let app = routes
        .layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            common_layer,
        ))
        .route("/_fake/stats", axum::routing::get(stats))
        .with_state(ctx);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local: SocketAddr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(FakeServer {
        url: format!("http://{local}"),
        state,
        shutdown: Some(tx),
    })
}

async fn stats(State(ctx): State<Ctx>) -> Response {
    axum::Json(ctx.state.stats()).into_response()
}

/// Auth, counting and ETag/304 for every route.
async fn common_layer(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    ctx.state.total.fetch_add(1, Ordering::SeqCst);
    *lock(&ctx.state.counts)
        .entry(format!("{method} {route}"))
        .or_default() += 1;

    if !authorised(&ctx, req.headers()) {
        return error(
            ctx.flavor,
            StatusCode::UNAUTHORIZED,
            match ctx.flavor {
                Flavor::Github => "Bad credentials",
                Flavor::Gitlab => "401 Unauthorized",
            },
        );
    }
    let if_none_match = req
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if method != Method::GET {
        let hook = lock(&ctx.state.before_write).take();
        if let Some(hook) = hook {
            ctx.state.with_model(hook);
        }
    }
    let response = next.run(req).await;
    if method != Method::GET || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return error(ctx.flavor, StatusCode::INTERNAL_SERVER_ERROR, "body");
    };
    let etag = format!("\"{}\"", crate::object_sha("etag", &bytes));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert("etag", v);
    }
    if if_none_match.as_deref() == Some(etag.as_str()) {
        ctx.state.not_modified.fetch_add(1, Ordering::SeqCst);
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove("content-length");
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn authorised(ctx: &Ctx, headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let presented = match ctx.flavor {
        Flavor::Github => get("authorization").map(|a| {
            a.trim_start_matches("Bearer ")
                .trim_start_matches("token ")
                .to_string()
        }),
        Flavor::Gitlab => get("private-token")
            .map(str::to_string)
            .or_else(|| get("authorization").map(|a| a.trim_start_matches("Bearer ").to_string())),
    };
    match (presented, lock(&ctx.state.token).as_deref()) {
        (None, _) => false,
        (Some(p), None) => !p.is_empty(),
        (Some(p), Some(expected)) => p == expected,
    }
}

pub(crate) fn error(flavor: Flavor, status: StatusCode, message: &str) -> Response {
    let body = match flavor {
        Flavor::Github => json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.as_u16().to_string(),
        }),
        Flavor::Gitlab => json!({ "message": message }),
    };
    (status, axum::Json(body)).into_response()
}

/// A page of `items` with `Link` (and GitLab's `x-*`) headers; `url` is the request's own URL.
pub(crate) fn paginate(
    flavor: Flavor,
    items: Vec<Value>,
    query: &BTreeMap<String, String>,
    url: &str,
) -> Response {
    let default = match flavor {
        Flavor::Github => 30,
        Flavor::Gitlab => 20,
    };
    let per_page = query
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(default)
        .clamp(1, 100);
    let page = query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let page_url = |n: usize| {
        let mut q = query.clone();
        q.insert("page".into(), n.to_string());
        let qs: Vec<String> = q
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::http_util::encode_segment(v)))
            .collect();
        format!("{}?{}", url.split('?').next().unwrap_or(url), qs.join("&"))
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", page_url(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", page_url(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", page_url(1)));
        links.push(format!("<{}>; rel=\"prev\"", page_url(page - 1)));
    }
    let mut response = axum::Json(Value::Array(slice)).into_response();
    let headers = response.headers_mut();
    if !links.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
            headers.insert("link", v);
        }
    }
    if flavor == Flavor::Gitlab {
        let next = if page < last {
            (page + 1).to_string()
        } else {
            String::new()
        };
        for (k, v) in [
            ("x-page", page.to_string()),
            ("x-per-page", per_page.to_string()),
            ("x-total", total.to_string()),
            ("x-total-pages", last.to_string()),
            ("x-next-page", next),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.insert(k, v);
            }
        }
    }
    response
}

/// `http://host/path?query` of a request, from its `Host` header.
pub(crate) fn own_url(headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!(
        "http://{host}{}",
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    )
}
