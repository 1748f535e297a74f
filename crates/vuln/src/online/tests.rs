use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::*;
use crate::test_http::{FakeServer, Request, Response};

/// A small synthetic OSV record (shape of the schema, no real advisory).
fn record(id: &str) -> Value {
    json!({
        "id": id,
        "modified": "2024-01-02T03:04:05Z",
        "aliases": [format!("CVE-2024-{}", id.len())],
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "demo"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]
        }]
    })
}

/// Answers `GET /v1/vulns/{id}` with [`record`].
fn serve_record(request: &Request) -> Response {
    let id = request.path.trim_start_matches("/v1/vulns/");
    let id = id.replace("%3A", ":");
    Response::json(&record(&id))
}

fn client(server: &FakeServer, cache: Option<PathBuf>) -> OsvClient {
    OsvClient::new(&server.url, cache)
        .expect("client")
        .with_retries(3, Duration::from_millis(1), Duration::from_millis(10))
        .with_timeout(Duration::from_secs(5))
}

fn query(name: &str, version: &str) -> Query {
    (
        Some("PyPI".to_string()),
        name.to_string(),
        version.to_string(),
        format!("pkg:pypi/{name}@{version}"),
    )
}

fn ids(records: &[Vulnerability]) -> Vec<&str> {
    records.iter().map(|r| r.id.as_str()).collect()
}

fn cache_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn batches_of_1000_then_follows_page_tokens_then_fetches_each_id_once() {
    let server = FakeServer::start(|request| {
        if request.path == "/v1/querybatch" {
            let body = request.json();
            let results: Vec<Value> = body["queries"]
                .as_array()
                .expect("queries")
                .iter()
                .map(|q| match (q["package"]["name"].as_str(), q["page_token"].as_str()) {
                    (Some("pkg0"), None) => json!({"vulns": [{"id": "GHSA-aaaa", "modified": "x"}], "next_page_token": "t1"}),
                    (Some("pkg0"), Some("t1")) => json!({"vulns": [{"id": "PYSEC-2024-1"}]}),
                    (Some("pkg7"), None) => json!({"vulns": [{"id": "GHSA-aaaa"}]}),
                    _ => json!({}),
                })
                .collect();
            Response::json(&json!({ "results": results }))
        } else {
            serve_record(request)
        }
    });
    let queries: Vec<Query> = (0..2500)
        .map(|i| query(&format!("pkg{i}"), "0.5"))
        .collect();
    let osv = client(&server, None);

    let per_query = osv.query_ids(&queries).expect("query ids");
    assert_eq!(per_query.len(), 2500);
    assert_eq!(per_query[0], vec!["GHSA-aaaa", "PYSEC-2024-1"]);
    assert_eq!(per_query[7], vec!["GHSA-aaaa"]);
    assert!(per_query[1].is_empty());

    let batches: Vec<Value> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/querybatch")
        .map(Request::json)
        .collect();
    let sizes: Vec<usize> = batches
        .iter()
        .map(|b| b["queries"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(
        sizes,
        vec![1000, 1000, 500, 1],
        "three full rounds of at most 1000, then one page"
    );
    assert_eq!(
        batches[3]["queries"][0],
        json!({"package": {"ecosystem": "PyPI", "name": "pkg0"}, "version": "0.5", "page_token": "t1"})
    );
    assert_eq!(
        batches[0]["queries"][0],
        json!({"package": {"ecosystem": "PyPI", "name": "pkg0"}, "version": "0.5"})
    );
    assert!(server.requests().iter().all(|r| r.method == "POST"));

    let records = osv.fetch(&queries).expect("fetch");
    assert_eq!(ids(&records), vec!["GHSA-aaaa", "PYSEC-2024-1"]);
    assert_eq!(records[0].affected.len(), 1);
    assert_eq!(
        server.count("/v1/vulns/"),
        2,
        "each distinct id fetched once"
    );
    assert_eq!(server.count("/v1/querybatch"), 8);
}

#[test]
fn query_shapes_purl_and_ecosystem() {
    let eco = query_body(0, &query("jinja2", "2.4")).expect("ecosystem query");
    assert_eq!(
        eco,
        json!({"package": {"ecosystem": "PyPI", "name": "jinja2"}, "version": "2.4"})
    );
    // The API refuses a version both inside the purl and beside it.
    let purl = query_body(
        1,
        &(
            None,
            "left-pad".into(),
            "1.0.0".into(),
            "pkg:npm/left-pad@1.0.0".into(),
        ),
    )
    .expect("purl");
    assert_eq!(purl, json!({"package": {"purl": "pkg:npm/left-pad@1.0.0"}}));
    let scoped = query_body(
        2,
        &(
            None,
            "@babel/core".into(),
            "7.0.0".into(),
            "pkg:npm/%40babel/core".into(),
        ),
    )
    .expect("scoped");
    assert_eq!(
        scoped,
        json!({"package": {"purl": "pkg:npm/%40babel/core"}, "version": "7.0.0"})
    );
    let err =
        query_body(3, &(None, "x".into(), "1".into(), String::new())).expect_err("nothing to ask");
    assert!(err.to_string().contains("query 3 (x 1)"), "{err}");
}

#[test]
fn unknown_query_fails_before_any_request() {
    let server = FakeServer::start(|_| Response::json(&json!({"results": []})));
    let err = client(&server, None)
        .fetch(&[(None, "x".into(), "1".into(), String::new())])
        .expect_err("invalid");
    assert!(matches!(err, OnlineError::Query { index: 0, .. }), "{err}");
    assert!(server.requests().is_empty());
}

#[test]
fn retries_429_honouring_retry_after_then_succeeds() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let server = FakeServer::start(move |request| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Response::new(429, "slow down").header("Retry-After", "1")
        } else {
            serve_record(request)
        }
    });
    let start = Instant::now();
    let records = client(&server, None)
        .vulnerabilities(&["GHSA-r".to_string()])
        .expect("retried");
    assert_eq!(ids(&records), vec!["GHSA-r"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // The backoff is at most 10 ms here: only Retry-After explains a wait of a second.
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        start.elapsed()
    );
}

#[test]
fn retries_503_then_gives_up_with_a_clear_error() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let flaky = FakeServer::start(move |request| {
        if seen.fetch_add(1, Ordering::SeqCst) < 2 {
            Response::new(503, "busy")
        } else {
            serve_record(request)
        }
    });
    let records = client(&flaky, None)
        .vulnerabilities(&["GHSA-f".to_string()])
        .expect("third attempt");
    assert_eq!(ids(&records), vec!["GHSA-f"]);
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let down = FakeServer::start(|_| Response::new(503, "busy"));
    let err = client(&down, None)
        .vulnerabilities(&["GHSA-d".to_string()])
        .expect_err("always 503");
    let text = err.to_string();
    assert!(
        matches!(err, OnlineError::Exhausted { attempts: 3, .. }),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/v1/vulns/GHSA-d", down.url)) && text.contains("503"),
        "{text}"
    );
    assert_eq!(down.count("/v1/vulns/GHSA-d"), 3);
}

#[test]
fn a_client_error_is_not_retried() {
    let server = FakeServer::start(|_| Response::new(400, "{\"message\": \"bad query\"}"));
    let err = client(&server, None)
        .fetch(&[query("a", "1")])
        .expect_err("400");
    assert!(
        matches!(err, OnlineError::Status { status: 400, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("bad query"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn retries_a_timeout() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let server = FakeServer::start(move |request| {
        let response = serve_record(request);
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            response.delayed(Duration::from_secs(2))
        } else {
            response
        }
    });
    let osv = client(&server, None).with_timeout(Duration::from_millis(300));
    let records = osv
        .vulnerabilities(&["GHSA-t".to_string()])
        .expect("second attempt");
    assert_eq!(ids(&records), vec!["GHSA-t"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn cache_hit_needs_no_request_and_expires_after_the_ttl() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path().join("osv");
    let server = FakeServer::start(serve_record);
    let wanted = vec!["GHSA-c".to_string(), "ALSA-2023:1234".to_string()];

    let first = client(&server, Some(dir.clone()))
        .vulnerabilities(&wanted)
        .expect("first");
    assert_eq!(ids(&first), vec!["ALSA-2023:1234", "GHSA-c"]);
    assert_eq!(server.requests().len(), 2);
    assert_eq!(
        cache_files(&dir),
        vec!["ALSA-2023%3A1234.json", "GHSA-c.json"]
    );

    // A new client (another run) reads the cache: no request at all.
    let second = client(&server, Some(dir.clone()))
        .vulnerabilities(&wanted)
        .expect("cached");
    assert_eq!(second, first);
    assert_eq!(server.requests().len(), 2);

    // Two days old: past the default TTL of one day, fetched again.
    let old = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(dir.join("GHSA-c.json"))
        .and_then(|f| f.set_modified(old))
        .expect("age");
    client(&server, Some(dir.clone()))
        .vulnerabilities(&wanted)
        .expect("refreshed");
    assert_eq!(server.count("/v1/vulns/GHSA-c"), 2);
    assert_eq!(server.requests().len(), 3);

    // A zero TTL never uses the cache; a damaged entry is a miss, then replaced.
    std::fs::write(dir.join("GHSA-c.json"), b"{not json").expect("damage");
    let osv = client(&server, Some(dir.clone()));
    osv.vulnerabilities(&["GHSA-c".to_string()])
        .expect("damaged entry refetched");
    assert_eq!(server.count("/v1/vulns/GHSA-c"), 3);
    let osv = osv.with_cache_ttl(Duration::ZERO);
    osv.vulnerabilities(&["GHSA-c".to_string()])
        .expect("zero ttl");
    assert_eq!(server.count("/v1/vulns/GHSA-c"), 4);
    let cached: Value =
        serde_json::from_slice(&std::fs::read(dir.join("GHSA-c.json")).expect("read"))
            .expect("json");
    assert_eq!(cached["id"], "GHSA-c");
}

#[test]
fn errors_are_never_cached() {
    let cache = tempfile::tempdir().expect("tempdir");
    let broken = FakeServer::start(|_| Response::new(200, "<html>not json</html>"));
    let err = client(&broken, Some(cache.path().to_path_buf()))
        .vulnerabilities(&["GHSA-e".to_string()])
        .expect_err("not json");
    assert!(
        matches!(err, OnlineError::Decode { .. }) && err.to_string().contains("/v1/vulns/GHSA-e"),
        "{err}"
    );
    let failing = FakeServer::start(|_| Response::new(500, "oops"));
    client(&failing, Some(cache.path().to_path_buf()))
        .vulnerabilities(&["GHSA-e".to_string()])
        .expect_err("500");
    assert!(
        cache_files(cache.path()).is_empty(),
        "{:?}",
        cache_files(cache.path())
    );
}

#[test]
fn record_requests_run_concurrently_within_the_limit() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, max) = (Arc::clone(&in_flight), Arc::clone(&peak));
    let server = FakeServer::start(move |request| {
        let current = now.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(current, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(150));
        now.fetch_sub(1, Ordering::SeqCst);
        serve_record(request)
    });
    let wanted: Vec<String> = (0..8).map(|i| format!("GHSA-{i}")).collect();
    let records = client(&server, None)
        .with_concurrency(3)
        .vulnerabilities(&wanted)
        .expect("all");
    assert_eq!(records.len(), 8);
    assert_eq!(
        peak.load(Ordering::SeqCst),
        3,
        "at most 3 at once, and really 3"
    );
}

#[test]
fn rejects_a_base_url_that_is_not_http() {
    let err = OsvClient::new("ftp://example.invalid", None).expect_err("scheme");
    assert!(err.to_string().contains("ftp://example.invalid"), "{err}");
    assert_eq!(
        parse_base_url("http://127.0.0.1:1/osv")
            .expect("base")
            .as_str(),
        "http://127.0.0.1:1/osv/"
    );
}
