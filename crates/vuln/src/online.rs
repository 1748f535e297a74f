//! The OSV API (<https://google.github.io/osv.dev/api/>): `POST /v1/querybatch` (at most
//! [`MAX_BATCH`] queries a request, followed through `next_page_token`), then
//! `GET /v1/vulns/{id}` for each distinct id, [`OsvClient::with_concurrency`] at once, through an
//! on-disk cache of records keyed by id (default TTL one day; errors are never cached).
//!
//! Every request is retried with exponential backoff on 429, 5xx, timeouts and connection errors
//! (`Retry-After` in seconds is honoured, up to [`MAX_RETRY_AFTER`]); after the last attempt the
//! error names the URL, the number of attempts and the last failure. The API already filters by
//! version, but the matcher re-checks every range itself: the API's answer only selects records.
//!
//! Callers stay synchronous: the client owns a current-thread tokio runtime. Do not call it from
//! inside another tokio runtime.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use thiserror::Error;

use crate::osv::Vulnerability;

/// The public OSV API.
pub const DEFAULT_API_URL: &str = "https://api.osv.dev";
/// Environment variable that overrides [`DEFAULT_API_URL`] (a mirror, or a fake server in tests).
pub const API_URL_ENV: &str = "OSV_API_URL";
/// The API's limit of queries in one `querybatch` request.
pub const MAX_BATCH: usize = 1000;
/// Default lifetime of a cached record.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest wait a server's `Retry-After` can ask for; longer requests are cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Rounds of `next_page_token` followed before the answer is taken as broken.
const MAX_PAGE_ROUNDS: usize = 1000;

/// `(OSV ecosystem, name, version, purl)` of one package to ask about. With an ecosystem the query
/// is `{package: {ecosystem, name}, version}`, otherwise `{package: {purl}}` (plus `version` when
/// the purl has none).
pub type Query = (Option<String>, String, String, String);

/// The base URL to use: `$OSV_API_URL` when set and not empty, else [`DEFAULT_API_URL`].
pub fn api_url_from_env() -> String {
    match std::env::var(API_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => DEFAULT_API_URL.to_string(),
    }
}

/// The default cache directory: `$XDG_CACHE_HOME/chainproof/osv` or `~/.cache/chainproof/osv`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?).join(".cache"),
    };
    Some(base.join("chainproof").join("osv"))
}

#[derive(Debug, Error)]
pub enum OnlineError {
    #[error("invalid OSV API URL {url:?}: {message}")]
    Url { url: String, message: String },
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    #[error("OSV query {index} ({name} {version}): no OSV ecosystem and no purl to ask about")]
    Query {
        index: usize,
        name: String,
        version: String,
    },
    #[error("{url}: gave up after {attempts} attempts: {message}")]
    Exhausted {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{url}: invalid response: {message}")]
    Decode { url: String, message: String },
    #[error("{url}: still paginating after {rounds} rounds of next_page_token")]
    TooManyPages { url: String, rounds: usize },
    #[error("OSV cache {}: {source}", path.display())]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Retry policy shared by the API client and `db update`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl Retry {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(16))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// A failure of [`send_with_retry`]: the request never got a final answer.
pub(crate) struct RetryFailure {
    pub attempts: u32,
    pub message: String,
}

/// Sends `build()` until the answer is neither 429 nor 5xx nor a transport error, at most
/// `retry.max_attempts` times. Any other answer (2xx, 304, 4xx) is returned for the caller to judge.
pub(crate) async fn send_with_retry(
    retry: &Retry,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, RetryFailure> {
    let attempts = retry.max_attempts.max(1);
    let mut message = String::new();
    for attempt in 1..=attempts {
        let mut wait = retry.backoff(attempt);
        match build().send().await {
            Ok(response) => {
                let status = response.status();
                if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
                    return Ok(response);
                }
                message = format!("HTTP {status}");
                if let Some(after) = retry_after(&response) {
                    message.push_str(&format!(" (Retry-After {}s)", after.as_secs()));
                    wait = after.min(MAX_RETRY_AFTER);
                }
            }
            Err(error) if error.is_builder() => {
                return Err(RetryFailure {
                    attempts: attempt,
                    message: error_chain(&error),
                });
            }
            Err(error) => message = error_chain(&error),
        }
        if attempt < attempts {
            tokio::time::sleep(wait).await;
        }
    }
    Err(RetryFailure { attempts, message })
}

/// `Retry-After` as a number of seconds (the HTTP-date form falls back to backoff).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// An error with its causes ("error sending request: connection refused"), as reqwest's own
/// Display stops at the outermost one.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Parses and checks a base URL (http or https), with a trailing `/` so that paths append.
pub(crate) fn parse_base_url(url: &str) -> Result<Url, String> {
    let mut parsed = Url::parse(url.trim()).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http or https", parsed.scheme()));
    }
    if parsed.cannot_be_a_base() {
        return Err("not a base URL".to_string());
    }
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    parsed.set_query(None);
    parsed.set_fragment(None);
    Ok(parsed)
}

/// `base` + path segments, each percent-encoded as needed.
pub(crate) fn join_segments(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Client of the OSV API with an optional on-disk cache of records.
pub struct OsvClient {
    base: Url,
    cache_dir: Option<PathBuf>,
    ttl: Duration,
    concurrency: usize,
    timeout: Duration,
    retry: Retry,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for OsvClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsvClient")
            .field("base", &self.base.as_str())
            .field("cache_dir", &self.cache_dir)
            .field("ttl", &self.ttl)
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    results: Vec<BatchResult>,
}

#[derive(Deserialize)]
struct BatchResult {
    #[serde(default)]
    vulns: Vec<BatchVuln>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct BatchVuln {
    id: String,
}

impl OsvClient {
    /// A client of the API at `base_url` (e.g. [`DEFAULT_API_URL`] or [`api_url_from_env`]),
    /// caching records in `cache_dir` (created on first write) when given. Defaults: TTL one day,
    /// 8 record requests at once, 30 s per request, 5 attempts with backoff from 0.5 s to 30 s.
    pub fn new(base_url: &str, cache_dir: Option<PathBuf>) -> Result<Self, OnlineError> {
        let base = parse_base_url(base_url).map_err(|message| OnlineError::Url {
            url: base_url.to_string(),
            message,
        })?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("chainproof/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| OnlineError::Client(error_chain(&e)))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| OnlineError::Client(e.to_string()))?;
        Ok(OsvClient {
            base,
            cache_dir,
            ttl: DEFAULT_CACHE_TTL,
            concurrency: 8,
            timeout: Duration::from_secs(30),
            retry: Retry::default(),
            http,
            runtime,
        })
    }

    /// How long a cached record is used without asking again.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Record requests in flight at once (at least 1).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Time allowed for one request, body included.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Attempts per request (at least 1) and the backoff: `base_delay * 2^(attempt-1)`, at most
    /// `max_delay` (a server's `Retry-After` replaces it).
    pub fn with_retries(
        mut self,
        max_attempts: u32,
        base_delay: Duration,
        max_delay: Duration,
    ) -> Self {
        self.retry = Retry {
            max_attempts: max_attempts.max(1),
            base_delay,
            max_delay,
        };
        self
    }

    /// The records of every vulnerability the API lists for any of `queries`, each once, ordered
    /// by id.
    pub fn fetch(&self, queries: &[Query]) -> Result<Vec<Vulnerability>, OnlineError> {
        let ids: BTreeSet<String> = self.query_ids(queries)?.into_iter().flatten().collect();
        let ids: Vec<String> = ids.into_iter().collect();
        self.vulnerabilities(&ids)
    }

    /// The ids the API lists for each query (all pages), in the order of `queries`.
    pub fn query_ids(&self, queries: &[Query]) -> Result<Vec<Vec<String>>, OnlineError> {
        let bodies = queries
            .iter()
            .enumerate()
            .map(|(index, query)| query_body(index, query))
            .collect::<Result<Vec<_>, _>>()?;
        self.runtime.block_on(self.query_all(&bodies))
    }

    /// The full records of `ids`, from the cache when fresh, else from `GET /v1/vulns/{id}`;
    /// ordered by id, duplicates once.
    pub fn vulnerabilities(&self, ids: &[String]) -> Result<Vec<Vulnerability>, OnlineError> {
        let ids: BTreeSet<&String> = ids.iter().collect();
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.cached(id) {
                Some(record) => {
                    found.insert(id.clone(), record);
                }
                None => missing.push(id.clone()),
            }
        }
        for (id, bytes, record) in self.runtime.block_on(self.get_all(missing))? {
            if let Some(dir) = &self.cache_dir {
                write_cache(dir, &id, &bytes)?;
            }
            found.insert(id, record);
        }
        let mut records: Vec<(String, Vulnerability)> = found.into_iter().collect();
        records.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(records.into_iter().map(|(_, record)| record).collect())
    }

    async fn query_all(&self, bodies: &[Value]) -> Result<Vec<Vec<String>>, OnlineError> {
        let url = join_segments(&self.base, &["v1", "querybatch"]);
        let mut ids: Vec<Vec<String>> = vec![Vec::new(); bodies.len()];
        let mut pending: Vec<(usize, Option<String>)> =
            (0..bodies.len()).map(|i| (i, None)).collect();
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            if rounds > MAX_PAGE_ROUNDS {
                return Err(OnlineError::TooManyPages {
                    url: url.to_string(),
                    rounds: MAX_PAGE_ROUNDS,
                });
            }
            let mut next = Vec::new();
            for chunk in pending.chunks(MAX_BATCH) {
                let queries: Vec<Value> = chunk
                    .iter()
                    .filter_map(|(index, token)| {
                        let mut body = bodies.get(*index)?.clone();
                        if let (Some(token), Some(object)) = (token, body.as_object_mut()) {
                            object.insert("page_token".to_string(), Value::String(token.clone()));
                        }
                        Some(body)
                    })
                    .collect();
                let request = serde_json::to_vec(&json!({ "queries": queries })).map_err(|e| {
                    OnlineError::Decode {
                        url: url.to_string(),
                        message: e.to_string(),
                    }
                })?;
                let bytes = self
                    .send(&url, || self.http.post(url.clone()).body(request.clone()))
                    .await?;
                let response: BatchResponse =
                    serde_json::from_slice(&bytes).map_err(|e| OnlineError::Decode {
                        url: url.to_string(),
                        message: e.to_string(),
                    })?;
                if response.results.len() != chunk.len() {
                    return Err(OnlineError::Decode {
                        url: url.to_string(),
                        message: format!(
                            "{} results for {} queries",
                            response.results.len(),
                            chunk.len()
                        ),
                    });
                }
                for ((index, _), result) in chunk.iter().zip(response.results) {
                    if let Some(list) = ids.get_mut(*index) {
                        for vuln in result.vulns {
                            if !list.contains(&vuln.id) {
                                list.push(vuln.id);
                            }
                        }
                    }
                    if let Some(token) = result.next_page_token.filter(|t| !t.is_empty()) {
                        next.push((*index, Some(token)));
                    }
                }
            }
            pending = next;
        }
        Ok(ids)
    }

    async fn get_all(&self, ids: Vec<String>) -> Result<Vec<Fetched>, OnlineError> {
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let permit = Arc::clone(&limit)
                .acquire_owned()
                .await
                .map_err(|e| OnlineError::Client(e.to_string()))?;
            let url = join_segments(&self.base, &["v1", "vulns", &id]);
            let http = self.http.clone();
            let (retry, timeout) = (self.retry, self.timeout);
            tasks.spawn(async move {
                let _permit = permit;
                let bytes = send(&retry, &url, || http.get(url.clone()).timeout(timeout)).await?;
                let record: Vulnerability =
                    serde_json::from_slice(&bytes).map_err(|e| OnlineError::Decode {
                        url: url.to_string(),
                        message: e.to_string(),
                    })?;
                Ok::<_, OnlineError>((id, bytes, record))
            });
            // Collect what has finished, so that an early failure stops the rest.
            while let Some(done) = tasks.try_join_next() {
                out.push(joined(done)?);
            }
        }
        while let Some(done) = tasks.join_next().await {
            out.push(joined(done)?);
        }
        Ok(out)
    }

    async fn send(
        &self,
        url: &Url,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, OnlineError> {
        let timeout = self.timeout;
        send(&self.retry, url, || {
            build()
                .timeout(timeout)
                .header("Content-Type", "application/json")
        })
        .await
    }

    fn cached(&self, id: &str) -> Option<Vulnerability> {
        let path = cache_path(self.cache_dir.as_deref()?, id);
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        // A time in the future (clock change) counts as expired.
        if SystemTime::now().duration_since(modified).ok()? >= self.ttl {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        // A damaged entry is a miss: it is fetched again and overwritten.
        serde_json::from_slice(&bytes).ok()
    }
}

/// A fetched record: its id, the bytes as served (cached as they are) and the parsed record.
type Fetched = (String, Vec<u8>, Vulnerability);

fn joined(
    done: Result<Result<Fetched, OnlineError>, tokio::task::JoinError>,
) -> Result<Fetched, OnlineError> {
    done.map_err(|e| OnlineError::Client(format!("request task failed: {e}")))?
}

async fn send(
    retry: &Retry,
    url: &Url,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Vec<u8>, OnlineError> {
    let response =
        send_with_retry(retry, build)
            .await
            .map_err(|failure| OnlineError::Exhausted {
                url: url.to_string(),
                attempts: failure.attempts,
                message: failure.message,
            })?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| OnlineError::Decode {
        url: url.to_string(),
        message: format!("reading the body: {}", error_chain(&e)),
    })?;
    if !status.is_success() {
        let body = String::from_utf8_lossy(&bytes);
        let body: String = body.chars().take(300).collect();
        return Err(OnlineError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            body,
        });
    }
    Ok(bytes.to_vec())
}

fn query_body(
    index: usize,
    (ecosystem, name, version, purl): &Query,
) -> Result<Value, OnlineError> {
    let ecosystem = ecosystem.as_deref().filter(|e| !e.is_empty());
    let mut body = serde_json::Map::new();
    match ecosystem {
        Some(ecosystem) if !name.is_empty() => {
            body.insert(
                "package".into(),
                json!({ "ecosystem": ecosystem, "name": name }),
            );
            if !version.is_empty() {
                body.insert("version".into(), Value::String(version.clone()));
            }
        }
        _ if !purl.is_empty() => {
            body.insert("package".into(), json!({ "purl": purl }));
            // The API rejects a version both in the purl and beside it. In a purl a raw `@`
            // only separates the version (a scope's `@` is written `%40`).
            if !purl.contains('@') && !version.is_empty() {
                body.insert("version".into(), Value::String(version.clone()));
            }
        }
        _ => {
            return Err(OnlineError::Query {
                index,
                name: name.clone(),
                version: version.clone(),
            });
        }
    }
    Ok(Value::Object(body))
}

/// `DIR/<id>.json`, with every character other than ASCII letters, digits, `-` and `_`
/// percent-encoded (ids such as `ALSA-2023:1234` stay valid file names; no `..`, no `/`).
fn cache_path(dir: &Path, id: &str) -> PathBuf {
    let mut name = String::with_capacity(id.len() + 5);
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    name.push_str(".json");
    dir.join(name)
}

/// Writes a record atomically: a temporary file in the cache directory, then a rename.
fn write_cache(dir: &Path, id: &str, bytes: &[u8]) -> Result<(), OnlineError> {
    let path = cache_path(dir, id);
    let fail = |source| OnlineError::Cache {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|source| OnlineError::Cache {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.persist(&path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests;
