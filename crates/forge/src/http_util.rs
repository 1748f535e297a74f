//! What both HTTP forges need around their clients: bounded concurrency, conditional GETs with an
//! in-memory ETag cache, rate-limit waits, bounded retries on 5xx, and error messages without tokens.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method};
use tokio::sync::{Mutex, Semaphore};

use crate::{ForgeError, Secret};

/// A response with its body read.
#[derive(Debug, Clone)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self, target: &str) -> Result<T, ForgeError> {
        serde_json::from_slice(&self.body).map_err(|e| ForgeError::Http {
            target: target.into(),
            status: self.status,
            message: format!("unexpected response body: {e}"),
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `rel="next"` URL of a `Link` header.
    pub fn next_link(&self) -> Option<String> {
        let link = self.header("link")?;
        link.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            params
                .split(';')
                .any(|p| p.trim() == "rel=\"next\"")
                .then(|| {
                    url.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_string()
                })
        })
    }
}

/// Limits for waiting and retrying.
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    /// Retries after a 5xx or a transport error (idempotent requests only).
    pub server_retries: u32,
    /// First backoff; doubles per retry.
    pub backoff: Duration,
    /// Most rate-limit waits per request.
    pub rate_limit_attempts: u32,
    /// Total time one request may spend waiting for rate limits (`Retry-After`, reset headers). A wait
    /// that would exceed it fails with `RateLimited` at once instead of hanging.
    pub rate_limit_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            server_retries: 3,
            backoff: Duration::from_millis(100),
            rate_limit_attempts: 30,
            rate_limit_budget: Duration::from_secs(300),
        }
    }
}

struct Cached {
    etag: String,
    response: RawResponse,
}

/// Bounded cache: conditional requests matter for the repeated listings of a plan, not forever.
const ETAG_CACHE_ENTRIES: usize = 20_000;
/// Bound on the bytes of cached response bodies.
const ETAG_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// A 304 the cache cannot answer is asked again without `If-None-Match` at most this often.
const NOT_MODIFIED_RESTARTS: u32 = 2;
/// Tokens shorter than this are never real; scrubbing them would garble messages.
const MIN_SCRUB_LEN: usize = 8;

#[derive(Default)]
struct EtagCache {
    entries: HashMap<String, Cached>,
    bytes: usize,
}

impl EtagCache {
    fn insert(&mut self, url: String, cached: Cached) {
        let size = cached.response.body.len() + url.len();
        if size > ETAG_CACHE_BYTES / 4 {
            return;
        }
        if self.entries.len() >= ETAG_CACHE_ENTRIES || self.bytes + size > ETAG_CACHE_BYTES {
            self.entries.clear();
            self.bytes = 0;
        }
        let url_len = url.len();
        if let Some(old) = self.entries.insert(url, cached) {
            self.bytes = self.bytes.saturating_sub(old.response.body.len() + url_len);
        }
        self.bytes += size;
    }

    fn remove(&mut self, url: &str) {
        if let Some(old) = self.entries.remove(url) {
            self.bytes = self
                .bytes
                .saturating_sub(old.response.body.len() + url.len());
        }
    }
}

pub(crate) struct Transport {
    semaphore: Semaphore,
    /// One content-changing request in flight per forge (GitHub's secondary limits punish concurrent
    /// writes); reads stay concurrent up to the semaphore.
    write_lock: Mutex<()>,
    etags: Mutex<EtagCache>,
    token: Option<Secret>,
    /// `scheme://host[:port][/prefix]/`: pagination links must start with it (the token goes along).
    base: String,
    pub policy: RetryPolicy,
}

/// What `send` returns: a response, or a transport error message.
pub(crate) type SendResult = Result<RawResponse, String>;

/// Whether a request may be sent again after a 5xx or a transport error, when it may have been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// GET, PUT, DELETE, or a POST/PATCH whose repetition has the same effect (content-addressed git
    /// objects, a ref update to a known SHA).
    Safe,
    /// POST/PATCH that would apply twice: retried only after 429 / rate-limit answers, which mean
    /// "not applied".
    OnlyRateLimits,
}

impl Retry {
    /// The default for `method`.
    pub fn for_method(method: &Method) -> Self {
        if method == Method::POST || method == Method::PATCH {
            Self::OnlyRateLimits
        } else {
            Self::Safe
        }
    }
}

/// A failure after which the request may or may not have been applied (a 5xx or a transport error).
pub(crate) fn is_ambiguous(e: &ForgeError) -> bool {
    matches!(e, ForgeError::Http { status, .. } if *status == 0 || *status >= 500)
}

impl Transport {
    /// `base`: the API root every request and followed link must live under.
    pub fn new(token: Option<Secret>, concurrency: usize, base: &str) -> Self {
        Self {
            semaphore: Semaphore::new(concurrency.max(1)),
            write_lock: Mutex::new(()),
            etags: Mutex::new(EtagCache::default()),
            token,
            base: format!("{}/", base.trim_end_matches('/')),
            policy: RetryPolicy::default(),
        }
    }

    /// Removes the token from a message (defence in depth: servers should never echo it).
    pub fn scrub(&self, message: &str) -> String {
        match &self.token {
            Some(t) if t.expose().len() >= MIN_SCRUB_LEN => message.replace(t.expose(), "***"),
            _ => message.to_string(),
        }
    }

    /// A `Link` URL to follow: relative, or under the API root. Anything else would carry the token to
    /// another host and is refused.
    pub fn follow(&self, link: &str, target: &str) -> Result<String, ForgeError> {
        let absolute = link.contains("://");
        if !absolute && link.starts_with('/') && !link.starts_with("//") {
            return Ok(link.to_string());
        }
        if absolute && link.starts_with(&self.base) {
            return Ok(link.to_string());
        }
        Err(ForgeError::Http {
            target: target.into(),
            status: 0,
            message: format!(
                "refusing to follow a pagination link outside {} ({})",
                self.base,
                self.scrub(link)
            ),
        })
    }

    /// The cached successful response of a GET of `url`, without asking the server (for content that
    /// the caller can verify, such as a tree listing whose id it knows).
    pub async fn cached(&self, url: &str) -> Option<RawResponse> {
        self.etags
            .lock()
            .await
            .entries
            .get(url)
            .map(|c| c.response.clone())
    }

    /// Sends through `send` (which receives the `If-None-Match` value to add, if any), applying the
    /// ETag cache for GETs, rate-limit waits and 5xx retries (only when `retry` is [`Retry::Safe`]).
    /// Non-GET requests are serialised per transport. Returns the final response whatever its status;
    /// callers map 4xx to errors with [`Transport::error`].
    pub async fn execute<F, Fut>(
        &self,
        method: &Method,
        url: &str,
        target: &str,
        retry: Retry,
        send: F,
    ) -> Result<RawResponse, ForgeError>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = SendResult>,
    {
        let cacheable = method == Method::GET;
        let _write = if method == Method::GET || method == Method::HEAD {
            None
        } else {
            Some(self.write_lock.lock().await)
        };
        let mut server_attempts = 0u32;
        let mut rate_attempts = 0u32;
        let mut rate_waited = Duration::ZERO;
        let mut restarts = 0u32;
        loop {
            let etag = if cacheable {
                self.etags
                    .lock()
                    .await
                    .entries
                    .get(url)
                    .map(|c| c.etag.clone())
            } else {
                None
            };
            let result = {
                let _permit = self.semaphore.acquire().await.map_err(|_| ForgeError::Io {
                    target: target.into(),
                    message: "client closed".into(),
                })?;
                send(etag.clone()).await
            };
            let response = match result {
                Ok(r) => r,
                Err(message) => {
                    if retry == Retry::Safe && server_attempts < self.policy.server_retries {
                        tokio::time::sleep(self.backoff(server_attempts)).await;
                        server_attempts += 1;
                        continue;
                    }
                    return Err(ForgeError::Http {
                        target: target.into(),
                        status: 0,
                        message: self.scrub(&message),
                    });
                }
            };
            if response.status == 304 && cacheable {
                let mut cache = self.etags.lock().await;
                if let Some(cached) = cache.entries.get(url) {
                    return Ok(cached.response.clone());
                }
                // A 304 we cannot answer from the cache: forget the ETag and ask again.
                cache.remove(url);
                drop(cache);
                restarts += 1;
                if restarts > NOT_MODIFIED_RESTARTS {
                    return Err(self.error(&response, target));
                }
                continue;
            }
            if let Some(wait) = rate_limit_wait(&response) {
                if rate_attempts < self.policy.rate_limit_attempts
                    && rate_waited + wait <= self.policy.rate_limit_budget
                {
                    rate_attempts += 1;
                    rate_waited += wait;
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(ForgeError::RateLimited {
                    target: target.into(),
                    retry_after_secs: Some(wait.as_secs()),
                });
            }
            if response.status >= 500
                && retry == Retry::Safe
                && server_attempts < self.policy.server_retries
            {
                tokio::time::sleep(self.backoff(server_attempts)).await;
                server_attempts += 1;
                continue;
            }
            if response.status >= 500 {
                return Err(self.error(&response, target));
            }
            if cacheable && (200..300).contains(&response.status) {
                if let Some(tag) = response.header("etag") {
                    self.etags.lock().await.insert(
                        url.to_string(),
                        Cached {
                            etag: tag.to_string(),
                            response: response.clone(),
                        },
                    );
                }
            }
            return Ok(response);
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.policy.backoff * 2u32.saturating_pow(attempt.min(10))
    }

    /// Maps a non-success response to an error naming `target`. 409 is a conflict; a 422 only when its
    /// message says so (a ref that is not a fast-forward, something that already exists); other 422
    /// validation errors are `Http` (retrying the same request cannot help).
    pub fn error(&self, response: &RawResponse, target: &str) -> ForgeError {
        let message = self.scrub(&error_message(response));
        let target = target.to_string();
        match response.status {
            401 | 403 => ForgeError::Auth { target, message },
            404 => ForgeError::NotFound { target, message },
            409 => ForgeError::Conflict { target, message },
            422 if is_conflict_message(&message) => ForgeError::Conflict { target, message },
            status => ForgeError::Http {
                target,
                status,
                message,
            },
        }
    }
}

/// Messages of 400/422 answers that mean "the state changed meanwhile".
pub(crate) fn is_conflict_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "fast forward",
        "fast-forward",
        "already exists",
        "reference update failed",
        "reference cannot be updated",
        "does not match",
        "has changed",
        "must be unique",
        "conflict",
    ]
    .iter()
    .any(|k| m.contains(k))
}

/// The `message` (GitHub, GitLab) or `error` (GitLab) of a JSON error body, else the start of the body.
pub(crate) fn error_message(response: &RawResponse) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let message = parsed.as_ref().and_then(|v| {
        let m = v.get("message").or_else(|| v.get("error"))?;
        Some(match m {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    });
    let mut message = message.unwrap_or_else(|| response.text());
    if let Some(errors) = parsed.as_ref().and_then(|v| v.get("errors")) {
        message.push_str(&format!(" ({errors})"));
    }
    let mut message: String = message.chars().take(300).collect();
    message = message.trim().to_string();
    message
}

/// How long to wait before retrying, if `response` says the client is rate limited.
///
/// GitHub: 429, or 403 with `retry-after` / `x-ratelimit-remaining: 0` (+ `x-ratelimit-reset`, epoch
/// seconds) / a "secondary rate limit" message (wait a minute when no header says otherwise). GitLab:
/// 429 with `Retry-After` or `RateLimit-Reset` (epoch seconds).
pub(crate) fn rate_limit_wait(response: &RawResponse) -> Option<Duration> {
    let limited = match response.status {
        429 => true,
        403 => {
            response.header("retry-after").is_some()
                || response.header("x-ratelimit-remaining") == Some("0")
                || response.text().to_ascii_lowercase().contains("rate limit")
        }
        _ => false,
    };
    if !limited {
        return None;
    }
    if let Some(secs) = response
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(secs));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for name in ["x-ratelimit-reset", "ratelimit-reset"] {
        if let Some(reset) = response
            .header(name)
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
        }
    }
    Some(Duration::from_secs(60))
}

/// Percent-encodes one path segment (everything but unreserved characters).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a path, keeping `/` separators.
pub(crate) fn encode_path(s: &str) -> String {
    s.split('/')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&'static str, &str)], body: &str) -> RawResponse {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().expect("header"));
        }
        RawResponse {
            status,
            headers: map,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn rate_limits_are_recognised() {
        assert_eq!(
            rate_limit_wait(&resp(429, &[("retry-after", "3")], "")),
            Some(Duration::from_secs(3))
        );
        assert!(
            rate_limit_wait(&resp(403, &[], "{\"message\":\"Resource not accessible\"}")).is_none()
        );
        assert_eq!(
            rate_limit_wait(&resp(403, &[], "You have exceeded a secondary rate limit")),
            Some(Duration::from_secs(60))
        );
        assert!(
            rate_limit_wait(&resp(
                403,
                &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1")],
                ""
            ))
            .is_some()
        );
        assert!(rate_limit_wait(&resp(404, &[], "")).is_none());
    }

    #[test]
    fn short_tokens_do_not_garble_messages() {
        let t = Transport::new(Some(Secret::new("a")), 1, "https://x");
        assert_eq!(t.scrub("a bad gateway"), "a bad gateway");
        let t = Transport::new(Some(Secret::new("ghp_longtoken")), 1, "https://x");
        assert_eq!(t.scrub("echo ghp_longtoken"), "echo ***");
    }

    #[test]
    fn links_are_followed_only_under_the_api_root() {
        let t = Transport::new(None, 1, "https://ghe.example/api/v3/");
        assert!(
            t.follow("https://ghe.example/api/v3/orgs/a/repos?page=2", "x")
                .is_ok()
        );
        assert!(t.follow("/orgs/a/repos?page=2", "x").is_ok());
        for bad in [
            "https://evil.example/api/v3/x",
            "http://ghe.example/api/v3/x",
            "https://ghe.example:444/api/v3/x",
            "https://ghe.example/other/x",
            "https://ghe.example/api/v3.evil/x",
            "//evil.example/x",
        ] {
            assert!(t.follow(bad, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn etag_cache_is_bounded_by_bytes() {
        let mut cache = EtagCache::default();
        let big = RawResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: vec![0; ETAG_CACHE_BYTES / 8],
        };
        for i in 0..20 {
            cache.insert(
                format!("/u{i}"),
                Cached {
                    etag: "e".into(),
                    response: big.clone(),
                },
            );
            assert!(cache.bytes <= ETAG_CACHE_BYTES, "{}", cache.bytes);
        }
        assert!(cache.entries.len() < 20);
        // Re-inserting the same URL does not count its bytes twice.
        let mut cache = EtagCache::default();
        for _ in 0..3 {
            cache.insert(
                "/same".into(),
                Cached {
                    etag: "e".into(),
                    response: big.clone(),
                },
            );
        }
        assert_eq!(cache.bytes, big.body.len() + "/same".len());
    }

    #[test]
    fn conflicts_are_told_from_validation_errors() {
        assert!(is_conflict_message("Update is not a fast forward"));
        assert!(is_conflict_message("Reference already exists"));
        assert!(!is_conflict_message("Validation Failed"));
        assert!(!is_conflict_message("sha wasn't supplied"));
    }

    #[test]
    fn next_link_is_parsed() {
        let r = resp(
            200,
            &[(
                "link",
                "<https://x/y?page=2>; rel=\"next\", <https://x/y?page=5>; rel=\"last\"",
            )],
            "",
        );
        assert_eq!(r.next_link().as_deref(), Some("https://x/y?page=2"));
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("acme/app"), "acme%2Fapp");
        assert_eq!(encode_path("a b/c.yml"), "a%20b/c.yml");
    }
}
