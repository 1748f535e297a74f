use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;
use crate::test_http::{FakeServer, Response};

fn quick() -> Retry {
    Retry {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
    }
}

fn make_zip(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("start entry");
        writer.write_all(body.as_bytes()).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Serves `zip` with an ETag; answers 304 to a request that already has it.
fn export_server(zip: Vec<u8>) -> FakeServer {
    FakeServer::start(move |request| {
        if request.header("If-None-Match") == Some("\"v1\"") {
            Response::new(304, "")
        } else {
            Response::new(200, zip.clone())
                .header("ETag", "\"v1\"")
                .header("Last-Modified", "Wed, 21 Oct 2026 07:28:00 GMT")
                .header("Content-Type", "application/zip")
        }
    })
}

#[test]
fn downloads_then_an_unchanged_export_is_not_downloaded_again() {
    let zip = make_zip(&[
        ("GHSA-1.json", "{\"id\": \"GHSA-1\"}"),
        ("PYSEC-1.json", "{\"id\": \"PYSEC-1\"}"),
    ]);
    let server = export_server(zip.clone());
    let db = tempfile::tempdir().expect("tempdir");
    let ecosystems = vec!["PyPI".to_string(), "GitHub Actions".to_string()];

    let first =
        update_with(db.path(), &ecosystems, &server.url, false, &quick()).expect("first update");
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].ecosystem, "PyPI");
    assert_eq!(first[0].path, db.path().join("PyPI").join("all.zip"));
    assert_eq!(
        first[0].status,
        UpdateStatus::Downloaded {
            bytes: zip.len() as u64
        }
    );
    assert_eq!(std::fs::read(&first[0].path).expect("zip"), zip);
    assert_eq!(
        files(&db.path().join("PyPI")),
        vec!["all.zip", "all.zip.meta.json"]
    );
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, vec!["/PyPI/all.zip", "/GitHub%20Actions/all.zip"]);
    assert!(server.requests()[0].header("If-None-Match").is_none());

    let second =
        update_with(db.path(), &ecosystems, &server.url, false, &quick()).expect("second update");
    assert_eq!(second[0].status, UpdateStatus::NotModified);
    assert_eq!(second[1].status, UpdateStatus::NotModified);
    let conditional = &server.requests()[2];
    assert_eq!(conditional.header("If-None-Match"), Some("\"v1\""));
    assert_eq!(
        conditional.header("If-Modified-Since"),
        Some("Wed, 21 Oct 2026 07:28:00 GMT")
    );
    assert_eq!(std::fs::read(&first[0].path).expect("zip"), zip);
    assert_eq!(
        files(&db.path().join("PyPI")),
        vec!["all.zip", "all.zip.meta.json"]
    );

    // Without the zip the validators are not sent: the export is downloaded again.
    std::fs::remove_file(&first[0].path).expect("remove");
    let third =
        update_with(db.path(), &ecosystems[..1], &server.url, false, &quick()).expect("third");
    assert_eq!(
        third[0].status,
        UpdateStatus::Downloaded {
            bytes: zip.len() as u64
        }
    );
    assert!(server.requests()[4].header("If-None-Match").is_none());
}

#[test]
fn a_corrupt_download_never_replaces_the_old_export() {
    let good = make_zip(&[("GHSA-old.json", "{\"id\": \"GHSA-old\"}")]);
    let db = tempfile::tempdir().expect("tempdir");
    let dir = db.path().join("npm");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("all.zip"), &good).expect("old export");

    let newer = make_zip(&[("GHSA-new.json", "{\"id\": \"GHSA-new\"}")]);
    let truncated = newer[..newer.len() / 2].to_vec();
    for body in [b"<html>gateway error page</html>".to_vec(), truncated] {
        let server =
            FakeServer::start(move |_| Response::new(200, body.clone()).header("ETag", "\"bad\""));
        let err = update_with(
            db.path(),
            &["npm".to_string()],
            &server.url,
            false,
            &quick(),
        )
        .expect_err("corrupt");
        assert!(matches!(err, UpdateError::Corrupt { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("/npm/all.zip") && text.contains("left unchanged"),
            "{text}"
        );
        assert_eq!(std::fs::read(dir.join("all.zip")).expect("old zip"), good);
        // No temporary file and no validators of the bad download are left behind.
        assert_eq!(files(&dir), vec!["all.zip"]);
    }
}

#[test]
fn retries_a_busy_server_and_reports_a_missing_export() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let zip = make_zip(&[("A.json", "{}")]);
    let server = FakeServer::start(move |request| {
        if request.path == "/Nope/all.zip" {
            return Response::new(404, "no such object");
        }
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Response::new(503, "busy").header("Retry-After", "0")
        } else {
            Response::new(200, zip.clone())
        }
    });
    let db = tempfile::tempdir().expect("tempdir");
    let done =
        update_with(db.path(), &["Go".to_string()], &server.url, false, &quick()).expect("retried");
    assert!(matches!(done[0].status, UpdateStatus::Downloaded { .. }));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let err = update_with(
        db.path(),
        &["Nope".to_string()],
        &server.url,
        false,
        &quick(),
    )
    .expect_err("404");
    assert!(
        matches!(err, UpdateError::Status { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/Nope/all.zip"), "{err}");
    assert!(!db.path().join("Nope").exists());
}

#[test]
fn ecosystem_names_cannot_leave_the_database_directory() {
    let server = FakeServer::start(|_| Response::new(500, ""));
    let db = tempfile::tempdir().expect("tempdir");
    for name in ["../etc", "a/b", "..", "", "x\\y", "bad\nname"] {
        let err = update(
            db.path(),
            &["PyPI".to_string(), name.to_string()],
            &server.url,
            false,
        )
        .expect_err(name);
        assert!(
            matches!(err, UpdateError::Ecosystem { .. }),
            "{name:?}: {err}"
        );
    }
    assert!(
        server.requests().is_empty(),
        "names are checked before any download"
    );
    assert!(files(db.path()).is_empty());
}
