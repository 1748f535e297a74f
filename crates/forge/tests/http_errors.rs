//! Error paths of the HTTP forges against wiremock: rate limits, conflicts, 5xx retries, tokens kept
//! out of errors, conditional requests.

use std::time::{Duration, Instant};

use chainproof_forge::{CommitRequest, FileChange, Forge, ForgeConfig, ForgeError, connect};
use serde_json::json;
use wiremock::matchers::{header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghp_s3cr3t-token-value";

fn github(server: &MockServer) -> Box<dyn Forge> {
    connect(&ForgeConfig {
        kind: "github".into(),
        base_url: Some(server.uri()),
        token: Some(TOKEN.into()),
        concurrency: 2,
        ..Default::default()
    })
    .expect("connect")
}

fn tree_body() -> serde_json::Value {
    json!({"sha": "t1", "truncated": false, "tree": [
        {"path": "a.txt", "mode": "100644", "type": "blob", "sha": "2e65efe2a145dda7ee51d1741299f848e5bf752e"}
    ]})
}

const TREE: &str = "/repos/acme/app/git/trees/main";

#[tokio::test]
async fn retry_after_429_then_success() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(ResponseTemplate::new(200).set_body_json(tree_body()))
        .mount(&server)
        .await;
    let start = Instant::now();
    let tree = github(&server)
        .tree("acme/app", "main")
        .await
        .expect("retried")
        .expect("tree");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    assert_eq!(tree.files.len(), 1);
    assert_eq!(server.received_requests().await.expect("recorded").len(), 2);
}

#[tokio::test]
async fn secondary_rate_limit_403_is_waited_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(ResponseTemplate::new(200).set_body_json(tree_body()))
        .mount(&server)
        .await;
    let start = Instant::now();
    assert!(
        github(&server)
            .tree("acme/app", "main")
            .await
            .expect("retried")
            .is_some()
    );
    assert!(start.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn primary_rate_limit_too_far_away_is_an_error_not_a_hang() {
    let server = MockServer::start().await;
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        )
        .mount(&server)
        .await;
    let err = github(&server)
        .tree("acme/app", "main")
        .await
        .expect_err("rate limited");
    match &err {
        ForgeError::RateLimited {
            target,
            retry_after_secs,
        } => {
            assert_eq!(target, "acme/app@main");
            assert!(retry_after_secs.is_some_and(|s| s > 3000));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(ResponseTemplate::new(200).set_body_json(tree_body()))
        .mount(&server)
        .await;
    assert!(
        github(&server)
            .tree("acme/app", "main")
            .await
            .expect("retried")
            .is_some()
    );
    assert_eq!(server.received_requests().await.expect("recorded").len(), 3);
}

#[tokio::test]
async fn server_errors_exhaust_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "unavailable"})))
        .mount(&server)
        .await;
    let err = github(&server)
        .tree("acme/app", "main")
        .await
        .expect_err("gave up");
    match &err {
        ForgeError::Http { status, target, .. } => {
            assert_eq!(*status, 503);
            assert_eq!(target, "acme/app@main");
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert_eq!(
        server.received_requests().await.expect("recorded").len(),
        4,
        "1 try + 3 retries"
    );
}

#[tokio::test]
async fn moved_branch_is_a_conflict() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/branches/main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"name": "main", "commit": {"sha": "c1", "commit": {"tree": {"sha": "t1"}}}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/repos/acme/app/git/trees/[^/]+$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tree_body()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/git/trees"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sha": "t2"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/git/commits"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sha": "c2"})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/app/git/refs/heads/main"))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(json!({"message": "Reference update failed"})),
        )
        .mount(&server)
        .await;
    let err = github(&server)
        .commit(&CommitRequest {
            repo: "acme/app".into(),
            branch: "main".into(),
            base: None,
            message: "m".into(),
            files: vec![FileChange {
                path: "a".into(),
                content: Some("b".into()),
            }],
        })
        .await
        .expect_err("conflict");
    match &err {
        ForgeError::Conflict { target, message } => {
            assert_eq!(target, "acme/app@main");
            assert!(message.contains("Reference update failed"), "{message}");
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    // The PATCH asked for a fast-forward only.
    let requests = server.received_requests().await.expect("recorded");
    let patch = requests
        .iter()
        .find(|r| r.method.as_str() == "PATCH")
        .expect("patch sent");
    let body: serde_json::Value = serde_json::from_slice(&patch.body).expect("json");
    assert_eq!(body, json!({"sha": "c2", "force": false}));
    // The tree was posted once with inline content on the base tree.
    let post = requests
        .iter()
        .find(|r| r.url.path().ends_with("/git/trees"))
        .expect("tree sent");
    let body: serde_json::Value = serde_json::from_slice(&post.body).expect("json");
    assert_eq!(body["base_tree"], "t1");
    assert_eq!(body["tree"][0]["content"], "b");
}

#[tokio::test]
async fn token_never_appears_in_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": format!("Bad credentials: {TOKEN}")})),
        )
        .mount(&server)
        .await;
    let err = github(&server)
        .tree("acme/app", "main")
        .await
        .expect_err("401");
    assert!(matches!(err, ForgeError::Auth { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("acme/app@main"), "{shown}");
    // The token did go out, in the header only.
    let requests = server.received_requests().await.expect("recorded");
    let auth = requests[0]
        .headers
        .get("authorization")
        .expect("auth header");
    assert_eq!(auth.to_str().expect("ascii"), format!("Bearer {TOKEN}"));
    let config = ForgeConfig {
        kind: "github".into(),
        token: Some(TOKEN.into()),
        ..Default::default()
    };
    assert!(!format!("{config:?}").contains(TOKEN));
}

#[tokio::test]
async fn etag_is_sent_back_and_304_reuses_the_cached_listing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .and(header("if-none-match", "\"abc\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"abc\""))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .and(query_param("recursive", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"abc\"")
                .set_body_json(tree_body()),
        )
        .mount(&server)
        .await;
    let forge = github(&server);
    let first = forge
        .tree("acme/app", "main")
        .await
        .expect("first")
        .expect("tree");
    let second = forge
        .tree("acme/app", "main")
        .await
        .expect("second")
        .expect("tree");
    assert_eq!(first, second);
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 2, "exactly one request per tree call");
    assert!(requests[0].headers.get("if-none-match").is_none());
    assert_eq!(
        requests[1]
            .headers
            .get("if-none-match")
            .expect("conditional")
            .to_str()
            .expect("ascii"),
        "\"abc\""
    );
}

#[tokio::test]
async fn truncated_tree_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"sha": "t", "truncated": true, "tree": []})),
        )
        .mount(&server)
        .await;
    let err = github(&server)
        .tree("acme/app", "main")
        .await
        .expect_err("truncated");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[tokio::test]
async fn gitlab_honours_retry_after_and_ratelimit_reset() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1, "username": "u"})))
        .mount(&server)
        .await;
    let tree_path = "/api/v4/projects/acme%2Fapp/repository/tree";
    Mock::given(method("GET"))
        .and(path(tree_path))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "Retry later"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(tree_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "2e65efe2a145dda7ee51d1741299f848e5bf752e", "name": "a.txt", "type": "blob", "path": "a.txt", "mode": "100644"}
        ])))
        .mount(&server)
        .await;
    let forge = connect(&ForgeConfig {
        kind: "gitlab".into(),
        base_url: Some(server.uri()),
        token: Some(TOKEN.into()),
        concurrency: 2,
        ..Default::default()
    })
    .expect("connect");
    let start = Instant::now();
    let tree = forge
        .tree("acme/app", "main")
        .await
        .expect("retried")
        .expect("tree");
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(tree.files.len(), 1);
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        requests
            .last()
            .expect("one")
            .headers
            .get("private-token")
            .expect("token")
            .to_str()
            .expect("ascii"),
        TOKEN
    );
}

fn gitlab(server: &MockServer) -> Box<dyn Forge> {
    connect(&ForgeConfig {
        kind: "gitlab".into(),
        base_url: Some(server.uri()),
        token: Some(TOKEN.into()),
        concurrency: 8,
        ..Default::default()
    })
    .expect("connect")
}

async fn count(server: &MockServer, verb: &str, suffix: &str) -> usize {
    server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path().ends_with(suffix))
        .count()
}

#[tokio::test]
async fn a_post_that_may_have_been_applied_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/pulls"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let err = github(&server)
        .open_change_request(&chainproof_forge::ChangeRequest {
            repo: "acme/app".into(),
            head: "chainproof/ci".into(),
            base: "main".into(),
            title: "t".into(),
            body: "b".into(),
        })
        .await
        .expect_err("502");
    assert!(
        matches!(err, ForgeError::Http { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(count(&server, "POST", "/pulls").await, 1, "sent once");
}

#[tokio::test]
async fn a_post_refused_by_a_rate_limit_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    // More rate-limit answers than the old fixed three retries; Retry-After 0 keeps the test quick.
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/pulls"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit"})),
        )
        .up_to_n_times(5)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/pulls"))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"number": 7, "state": "open", "html_url": "u", "head": {"ref": "chainproof/ci"}}),
        ))
        .mount(&server)
        .await;
    let pr = github(&server)
        .open_change_request(&chainproof_forge::ChangeRequest {
            repo: "acme/app".into(),
            head: "chainproof/ci".into(),
            base: "main".into(),
            title: "t".into(),
            body: "b".into(),
        })
        .await
        .expect("waited out");
    assert_eq!(pr.number, 7);
    assert_eq!(count(&server, "POST", "/pulls").await, 6);
}

#[tokio::test]
async fn github_ref_update_is_retried_and_an_applied_one_counts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/branches/main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"name": "main", "commit": {"sha": "c1", "commit": {"tree": {"sha": "t1"}}}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/repos/acme/app/git/trees/[^/]+$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tree_body()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/git/trees"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sha": "t2"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/git/commits"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sha": "c2"})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/app/git/refs/heads/main"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/app/git/refs/heads/main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": {"sha": "c2"}})))
        .mount(&server)
        .await;
    let sha = github(&server)
        .commit(&CommitRequest {
            repo: "acme/app".into(),
            branch: "main".into(),
            base: None,
            message: "m".into(),
            files: vec![FileChange {
                path: "a.txt".into(),
                content: Some("new\n".into()),
            }],
        })
        .await
        .expect("the ref update is idempotent and was retried");
    assert_eq!(sha, "c2");
    assert_eq!(count(&server, "PATCH", "/heads/main").await, 2);
    // The listing told the commit that a.txt exists as a plain file.
    let requests = server.received_requests().await.expect("recorded");
    let post = requests
        .iter()
        .find(|r| r.url.path().ends_with("/git/trees") && r.method.as_str() == "POST")
        .expect("tree sent");
    let body: serde_json::Value = serde_json::from_slice(&post.body).expect("json");
    assert_eq!(body["tree"][0]["mode"], "100644");
}

async fn mount_gitlab_user(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v4/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1, "username": "u"})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn gitlab_commit_answered_502_after_it_was_applied_is_a_success_not_a_retry() {
    let server = MockServer::start().await;
    mount_gitlab_user(&server).await;
    let branch = "/api/v4/projects/acme%2Fapp/repository/branches/main";
    let tree = "/api/v4/projects/acme%2Fapp/repository/tree";
    // Before the commit: head c1 with a.txt = "a\n"; after: head c2 with a.txt = "new\n".
    Mock::given(method("GET"))
        .and(path(branch))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "main", "commit": {"id": "c1"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(branch))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "main", "commit": {"id": "c2"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(tree))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "78981922613b2afb6025042ff6bd878ac1994e85", "name": "a.txt", "type": "blob", "path": "a.txt", "mode": "100644"}
        ])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(tree))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "3e757656cf36eca53338e520d134963a44f793f8", "name": "a.txt", "type": "blob", "path": "a.txt", "mode": "100644"}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v4/projects/acme%2Fapp/repository/commits"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let sha = gitlab(&server)
        .commit(&CommitRequest {
            repo: "acme/app".into(),
            branch: "main".into(),
            base: None,
            message: "m".into(),
            files: vec![FileChange {
                path: "a.txt".into(),
                content: Some("new\n".into()),
            }],
        })
        .await
        .expect("applied despite the 502");
    assert_eq!(sha, "c2");
    assert_eq!(
        count(&server, "POST", "/repository/commits").await,
        1,
        "never sent twice"
    );
    // The update carried the head it was based on.
    let requests = server.received_requests().await.expect("recorded");
    let post = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("commit sent");
    let body: serde_json::Value = serde_json::from_slice(&post.body).expect("json");
    assert_eq!(body["actions"][0]["action"], "update");
    assert_eq!(body["actions"][0]["last_commit_id"], "c1");
}

#[tokio::test]
async fn pagination_links_to_other_hosts_are_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/repos"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{}/orgs/acme/repos?page=2>; rel=\"next\"", elsewhere.uri()).as_str(),
                )
                .set_body_json(json!([])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&elsewhere)
        .await;
    let err = github(&server)
        .list_repositories("acme")
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("refusing"), "{err}");
    assert!(!err.to_string().contains(TOKEN));
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recorded")
            .is_empty(),
        "the token never left"
    );

    // GitLab too.
    let gl = MockServer::start().await;
    mount_gitlab_user(&gl).await;
    Mock::given(method("GET"))
        .and(path("/api/v4/groups/acme/projects"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!(
                        "<{}/api/v4/groups/acme/projects?page=2>; rel=\"next\"",
                        elsewhere.uri()
                    )
                    .as_str(),
                )
                .set_body_json(json!([])),
        )
        .mount(&gl)
        .await;
    let err = gitlab(&gl)
        .list_repositories("acme")
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("refusing"), "{err}");
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
    // And the listing asked GitLab to leave out projects shared with the group.
    let requests = gl.received_requests().await.expect("recorded");
    assert!(requests.iter().any(|r| {
        r.url
            .query()
            .is_some_and(|q| q.contains("with_shared=false"))
    }));
}

#[tokio::test]
async fn writes_go_one_at_a_time_reads_stay_concurrent() {
    let server = MockServer::start().await;
    let delay = Duration::from_millis(300);
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(tree_body())
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/pulls"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(
                    json!({"number": 1, "state": "open", "html_url": "u", "head": {"ref": "h"}}),
                )
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    let forge = std::sync::Arc::new(
        connect(&ForgeConfig {
            kind: "github".into(),
            base_url: Some(server.uri()),
            token: Some(TOKEN.into()),
            concurrency: 8,
            ..Default::default()
        })
        .expect("connect"),
    );
    let start = Instant::now();
    let reads: Vec<_> = (0..4)
        .map(|_| {
            let f = forge.clone();
            tokio::spawn(async move { f.tree("acme/app", "main").await.map(|_| ()) })
        })
        .collect();
    for r in reads {
        r.await.expect("join").expect("read");
    }
    let reads_took = start.elapsed();
    assert!(
        reads_took < delay * 3,
        "reads were serialised: {reads_took:?}"
    );

    let start = Instant::now();
    let writes: Vec<_> = (0..4)
        .map(|i| {
            let f = forge.clone();
            tokio::spawn(async move {
                f.open_change_request(&chainproof_forge::ChangeRequest {
                    repo: "acme/app".into(),
                    head: format!("h{i}"),
                    base: "main".into(),
                    title: "t".into(),
                    body: String::new(),
                })
                .await
                .map(|_| ())
            })
        })
        .collect();
    for w in writes {
        w.await.expect("join").expect("write");
    }
    let writes_took = start.elapsed();
    assert!(
        writes_took >= delay * 4,
        "writes overlapped: {writes_took:?}"
    );
}

#[tokio::test]
async fn validation_errors_are_not_conflicts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/rulesets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/rulesets"))
        .respond_with(ResponseTemplate::new(422).set_body_json(
            json!({"message": "Validation Failed", "errors": ["Invalid rule 'required_signatures'"]}),
        ))
        .mount(&server)
        .await;
    let err = github(&server)
        .set_protection(
            "acme/app",
            &chainproof_forge::Protection {
                branch: "main".into(),
                required_checks: vec![],
                require_signed_commits: true,
            },
        )
        .await
        .expect_err("422");
    assert!(
        matches!(err, ForgeError::Http { status: 422, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unanswerable_304_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TREE))
        .respond_with(ResponseTemplate::new(304))
        .mount(&server)
        .await;
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        github(&server).tree("acme/app", "main"),
    )
    .await
    .expect("bounded");
    assert!(result.is_err(), "{result:?}");
    assert!(server.received_requests().await.expect("recorded").len() <= 3);
}

#[tokio::test]
async fn github_repository_names_cannot_add_url_parts() {
    let server = MockServer::start().await;
    let forge = github(&server);
    for bad in ["acme/app?x=1", "acme/app#x", "acme/app/extra", "acme/a%2Fb"] {
        let err = forge.tree(bad, "main").await.expect_err("refused");
        assert!(matches!(err, ForgeError::Invalid { .. }), "{bad}: {err:?}");
    }
    assert!(
        server
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}
