//! The OIDC identity token for keyless signing, in this order: `--identity-token`, then
//! `SIGSTORE_ID_TOKEN` (GitLab `id_tokens:` with `aud: sigstore`, also what cosign reads), then the
//! GitHub Actions runner's ID-token request (`ACTIONS_ID_TOKEN_REQUEST_URL` and
//! `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, set with `permissions: id-token: write`) for audience `sigstore`.
//! Tokens are never logged or put in error messages.

use sigstore_oidc::IdentityToken;

/// Where the identity token came from (for the log line; never the token itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `--identity-token`.
    Flag,
    /// The `SIGSTORE_ID_TOKEN` environment variable (GitLab `id_tokens`).
    SigstoreIdToken,
    /// The GitHub Actions runner's ID-token endpoint.
    GitHubActions,
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenSource::Flag => "--identity-token",
            TokenSource::SigstoreIdToken => "SIGSTORE_ID_TOKEN",
            TokenSource::GitHubActions => "the GitHub Actions ID-token request (audience sigstore)",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "no identity token for keyless signing: pass --identity-token, set SIGSTORE_ID_TOKEN (GitLab: \
         `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`), run in GitHub Actions with `permissions: \
         id-token: write`, or sign with --key"
    )]
    Missing,
    #[error("the identity token from {from} is not a JWT: {reason}")]
    Malformed { from: TokenSource, reason: String },
    #[error("the identity token from {0} has expired")]
    Expired(TokenSource),
    #[error("the GitHub Actions ID-token request failed: {0}")]
    GitHub(String),
}

/// The token to sign with, from the flag, the environment (through `env`) or GitHub's runner.
pub fn acquire(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(IdentityToken, TokenSource), TokenError> {
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let (raw, source) = if let Some(t) = flag.filter(|t| !t.trim().is_empty()) {
        (t.trim().to_owned(), TokenSource::Flag)
    } else if let Some(t) = nonempty(env("SIGSTORE_ID_TOKEN")) {
        (t.trim().to_owned(), TokenSource::SigstoreIdToken)
    } else if let (Some(url), Some(bearer)) = (
        nonempty(env("ACTIONS_ID_TOKEN_REQUEST_URL")),
        nonempty(env("ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
    ) {
        (github_token(&url, &bearer)?, TokenSource::GitHubActions)
    } else {
        return Err(TokenError::Missing);
    };
    let token = IdentityToken::from_jwt(&raw).map_err(|e| TokenError::Malformed {
        from: source,
        // The library's message names the part that failed, never the token.
        reason: e.to_string(),
    })?;
    if token.is_expired() {
        return Err(TokenError::Expired(source));
    }
    Ok((token, source))
}

/// The token's claims (its JWT payload, decoded, not verified: Fulcio verifies the token and
/// certifies the claims it relies on). Used to build SLSA provenance from what the CI provider signed
/// rather than from the job's environment.
pub fn claims(token: &IdentityToken) -> Option<crate::statement::Claims> {
    use base64::Engine;
    let payload = token.expose_secret().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Timeouts of the HTTP clients (the GitHub token request, Rekor uploads): a stuck server fails the
/// job instead of hanging it.
pub(crate) const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
pub(crate) const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// An HTTP client with [`CONNECT_TIMEOUT`] and [`REQUEST_TIMEOUT`].
pub(crate) fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())
}

/// GitHub's runner endpoint: GET `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore` with the request
/// token as a bearer; the answer is `{"value": "<jwt>"}`.
fn github_token(url: &str, bearer: &str) -> Result<String, TokenError> {
    let mut url = reqwest::Url::parse(url).map_err(|e| {
        TokenError::GitHub(format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}"))
    })?;
    url.query_pairs_mut().append_pair("audience", "sigstore");
    let fetch = async {
        let response = http_client()
            .map_err(TokenError::GitHub)?
            .get(url)
            .bearer_auth(bearer)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| TokenError::GitHub(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| TokenError::GitHub(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(TokenError::GitHub(format!(
                "HTTP {status} (does the job have `permissions: id-token: write`?)"
            )));
        }
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| TokenError::GitHub(format!("the answer is not JSON: {e}")))?;
        v.get("value")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| TokenError::GitHub("the answer has no `value`".into()))
    };
    crate::block_on(fetch).map_err(|e| TokenError::GitHub(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn jwt(exp: i64) -> String {
        let b = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.",
            b(r#"{"alg":"none"}"#),
            b(&format!(
                r#"{{"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r","aud":"sigstore","exp":{exp},"iat":1}}"#
            ))
        )
    }

    #[test]
    fn flag_wins_then_sigstore_id_token() {
        let t = jwt(4_000_000_000);
        let env_t = t.clone();
        let env = move |k: &str| (k == "SIGSTORE_ID_TOKEN").then(|| env_t.clone());
        assert_eq!(
            acquire(Some(&t), &env).map(|x| x.1).ok(),
            Some(TokenSource::Flag)
        );
        assert_eq!(
            acquire(None, &env).map(|x| x.1).ok(),
            Some(TokenSource::SigstoreIdToken)
        );
        assert!(matches!(acquire(None, &|_| None), Err(TokenError::Missing)));
    }

    /// The GitHub runner's endpoint, faked on 127.0.0.1: one request, answered with `{"value": jwt}`.
    #[test]
    fn github_actions_request_asks_for_audience_sigstore() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let t = jwt(4_000_000_000);
        let body = format!(r#"{{"count":1,"value":"{t}"}}"#);
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().expect("accept");
            conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .ok();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            String::from_utf8_lossy(&req).into_owned()
        });
        let url = format!("http://{addr}/token?api-version=2.0");
        let env = move |k: &str| match k {
            "ACTIONS_ID_TOKEN_REQUEST_URL" => Some(url.clone()),
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN" => Some("runner-bearer".to_owned()),
            _ => None,
        };
        let got = acquire(None, &env).map(|(t, s)| (t.issuer().to_owned(), s));
        let request = server.join().expect("server");
        assert_eq!(
            got.ok(),
            Some((
                "https://token.actions.githubusercontent.com".to_owned(),
                TokenSource::GitHubActions
            ))
        );
        let first = request.lines().next().unwrap_or_default().to_owned();
        assert_eq!(
            first,
            "GET /token?api-version=2.0&audience=sigstore HTTP/1.1"
        );
        assert!(
            request
                .to_lowercase()
                .contains("authorization: bearer runner-bearer"),
            "{request}"
        );
    }

    #[test]
    fn claims_are_the_jwt_payload() {
        let (token, _) = acquire(Some(&jwt(4_000_000_000)), &|_| None).expect("token");
        let c = claims(&token).expect("claims");
        assert_eq!(c.get("sub").and_then(|v| v.as_str()), Some("repo:o/r"));
    }

    #[test]
    fn expired_and_malformed_tokens_are_named_without_the_token() {
        let expired = jwt(1);
        let e = acquire(Some(&expired), &|_| None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("the identity token from --identity-token has expired")
        );
        let e = acquire(Some("not-a-jwt-secret"), &|_| None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("not a JWT") && !e.contains("secret"), "{e}");
    }
}
