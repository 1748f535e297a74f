//! The offline database (zips, hostile zips, the index cache) and OSV matching on real records
//! from `tests/data/osv/` (see the README there) plus hand-written ones, marked as such.

// Setup helpers outside `#[test]` functions panic on failure too.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chainproof_vuln::db::{CacheLocation, Db, DbError};
use chainproof_vuln::matcher::{Advisories, Query, ScanResult, scan};
use chainproof_vuln::osv::Vulnerability;
use chainproof_vuln::severity::Rating;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

fn data(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/osv")
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn record(name: &str) -> Vulnerability {
    serde_json::from_slice(&data(name)).unwrap()
}

fn build_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A database directory with one `all.zip` per ecosystem.
fn db_dir(zips: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (eco, bytes) in zips {
        fs::create_dir_all(dir.path().join(eco)).unwrap();
        fs::write(dir.path().join(eco).join("all.zip"), bytes).unwrap();
    }
    dir
}

fn real_dir() -> tempfile::TempDir {
    db_dir(&[
        (
            "crates.io",
            build_zip(&[
                ("RUSTSEC-2017-0002.json", &data("RUSTSEC-2017-0002.json")),
                ("RUSTSEC-2019-0031.json", &data("RUSTSEC-2019-0031.json")),
            ]),
        ),
        (
            "PyPI",
            build_zip(&[
                ("PYSEC-2022-42969.json", &data("PYSEC-2022-42969.json")),
                ("PYSEC-2021-335.json", &data("PYSEC-2021-335.json")),
            ]),
        ),
        (
            "npm",
            build_zip(&[(
                "GHSA-29mw-wpgm-hmr9.json",
                &data("GHSA-29mw-wpgm-hmr9.json"),
            )]),
        ),
    ])
}

fn q(eco: &str, name: &str, version: &str) -> Query {
    Query {
        purl: format!("pkg:test/{name}@{version}"),
        osv_ecosystem: Some(eco.to_string()),
        name: name.to_string(),
        version: version.to_string(),
    }
}

fn ids(result: &ScanResult) -> Vec<&str> {
    result.findings.iter().map(|f| f.id.as_str()).collect()
}

/// Records in memory: an [`Advisories`] for matching tests with hand-written records.
struct Mem(Vec<Vulnerability>);

impl Advisories for Mem {
    fn ecosystems(&self) -> Vec<String> {
        let mut e: Vec<String> = self
            .0
            .iter()
            .flat_map(|v| &v.affected)
            .filter_map(|a| a.package.as_ref())
            .map(|p| chainproof_vuln::ecosystem::base(&p.ecosystem).to_string())
            .collect();
        e.sort();
        e.dedup();
        e
    }

    fn advisories(&self, _eco: &str, _name: &str) -> Vec<&Vulnerability> {
        // The matcher filters by ecosystem and name itself.
        self.0.iter().collect()
    }
}

fn hand(json: &str) -> Vulnerability {
    serde_json::from_str(json).unwrap()
}

// ---------------------------------------------------------------- database

#[test]
fn opens_real_records_and_indexes_them() {
    let dir = real_dir();
    let cache = tempfile::tempdir().unwrap();
    let db = Db::open_with(dir.path(), &CacheLocation::Dir(cache.path().into())).unwrap();
    assert!(db.errors().is_empty(), "{:?}", db.errors());
    assert_eq!(db.ecosystems(), vec!["PyPI", "crates.io", "npm"]);
    let hyper: Vec<&str> = db
        .advisories("crates.io", "hyper")
        .iter()
        .map(|v| v.id.as_str())
        .collect();
    assert_eq!(hyper, vec!["RUSTSEC-2017-0002"]);
    // PEP 503 names: `Py` finds `py`; AccessControl finds accesscontrol.
    assert_eq!(db.advisories("PyPI", "Py").len(), 1);
    assert_eq!(db.advisories("PyPI", "Access_Control").len(), 0);
    assert_eq!(db.advisories("PyPI", "AccessControl").len(), 1);
    // npm names are exact.
    assert_eq!(db.advisories("npm", "lodash.trim").len(), 1);
    assert_eq!(db.advisories("npm", "Lodash").len(), 0);
    assert!(db.advisories("Maven", "x:y").is_empty());
    // When each export was last checked (or the zip's mtime); the oldest of those overall.
    assert!(db.built().is_some());
}

#[test]
fn cache_is_written_then_used_and_rebuilt_when_the_zip_changes() {
    let dir = real_dir();
    let cache = tempfile::tempdir().unwrap();
    let location = CacheLocation::Dir(cache.path().into());
    let first = Db::open_with(dir.path(), &location).unwrap();
    assert!(first.loaded_from_cache().values().all(|c| !c));
    assert!(cache.path().join("crates.io.chainproof-index").is_file());

    let second = Db::open_with(dir.path(), &location).unwrap();
    assert!(second.loaded_from_cache().values().all(|c| *c));
    for (eco, name) in [("crates.io", "hyper"), ("PyPI", "py"), ("npm", "lodash")] {
        assert_eq!(first.advisories(eco, name), second.advisories(eco, name));
    }
    assert_eq!(first.built(), second.built());

    // A changed zip (same ecosystem, other content) invalidates the cache.
    fs::write(
        dir.path().join("crates.io/all.zip"),
        build_zip(&[("RUSTSEC-2019-0031.json", &data("RUSTSEC-2019-0031.json"))]),
    )
    .unwrap();
    let third = Db::open_with(dir.path(), &location).unwrap();
    assert_eq!(third.loaded_from_cache().get("crates.io"), Some(&false));
    assert_eq!(third.loaded_from_cache().get("npm"), Some(&true));
    assert!(third.advisories("crates.io", "hyper").is_empty());

    // A damaged cache is ignored and rebuilt.
    let path = cache.path().join("npm.chainproof-index");
    let mut bytes = fs::read(&path).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 10);
    fs::write(&path, bytes).unwrap();
    let fourth = Db::open_with(dir.path(), &location).unwrap();
    assert_eq!(fourth.loaded_from_cache().get("npm"), Some(&false));
    assert_eq!(fourth.advisories("npm", "lodash").len(), 1);
    assert!(fourth.errors().is_empty());
}

#[test]
fn cache_beside_the_zip_by_default() {
    let dir = real_dir();
    let db = Db::open(dir.path()).unwrap();
    assert!(db.errors().is_empty());
    assert!(dir.path().join("npm/all.zip.chainproof-index").is_file());
    let again = Db::open(dir.path()).unwrap();
    assert!(again.loaded_from_cache().values().all(|c| *c));
}

#[test]
fn an_empty_or_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(Db::open(dir.path()), Err(DbError::Empty { .. })));
    assert!(matches!(
        Db::open(&dir.path().join("nope")),
        Err(DbError::Io { .. })
    ));
}

#[test]
fn hostile_entry_names_are_never_paths() {
    let outside = tempfile::tempdir().unwrap();
    let db_root = outside.path().join("db");
    fs::create_dir_all(db_root.join("npm")).unwrap();
    let zip = build_zip(&[
        ("../../evil.json", &data("GHSA-29mw-wpgm-hmr9.json")),
        (
            "/abs/evil2.json",
            b"{\"id\":\"X-2\",\"modified\":\"2024-01-01T00:00:00Z\"}",
        ),
        ("dir/\u{1b}[31mred.json", b"{\"id\":\"X-3\"}"),
    ]);
    fs::write(db_root.join("npm/all.zip"), zip).unwrap();
    let db = Db::open_with(&db_root, &CacheLocation::Disabled).unwrap();
    assert!(db.errors().is_empty(), "{:?}", db.errors());
    assert_eq!(db.len("npm"), 3);
    assert_eq!(db.advisories("npm", "lodash").len(), 1);
    // Nothing was written anywhere: not beside the database, not at the absolute path.
    let mut names: Vec<_> = fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, vec!["db"]);
    assert!(!Path::new("/abs/evil2.json").exists());
    let mut in_npm: Vec<_> = fs::read_dir(db_root.join("npm"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    in_npm.sort();
    assert_eq!(in_npm, vec!["all.zip"]);
}

/// Sets the uncompressed size of every entry (local and central headers) to `size`.
fn patch_sizes(zip: &mut [u8], size: u32) {
    let mut i = 0;
    while i + 30 <= zip.len() {
        match zip.get(i..i + 4) {
            Some([0x50, 0x4b, 0x03, 0x04]) => {
                zip[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
            }
            Some([0x50, 0x4b, 0x01, 0x02]) => {
                zip[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
            }
            _ => {}
        }
        i += 1;
    }
}

#[test]
fn an_entry_declaring_a_huge_size_is_reported_and_skipped() {
    let mut huge = stored_zip(&[("HUGE-1.json", b"{\"id\":\"HUGE-1\"}")]);
    patch_sizes(&mut huge, 0xFFFF_FFF0);
    let good = build_zip(&[(
        "GHSA-29mw-wpgm-hmr9.json",
        &data("GHSA-29mw-wpgm-hmr9.json"),
    )]);
    let dir = db_dir(&[("crates.io", huge), ("npm", good)]);
    let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
    let errors: Vec<String> = db.errors().iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("crates.io/all.zip"), "{}", errors[0]);
    assert!(errors[0].contains("HUGE-1.json"), "{}", errors[0]);
    assert!(
        errors[0].contains("declares 4294967280 bytes"),
        "{}",
        errors[0]
    );
    assert_eq!(db.len("crates.io"), 0);
    assert_eq!(db.advisories("npm", "lodash").len(), 1);
}

#[test]
fn corrupt_entries_and_bad_json_are_reported_and_skipped() {
    let payload = data("RUSTSEC-2017-0002.json");
    let mut zip = build_zip(&[
        ("A-CORRUPT.json", &payload),
        ("RUSTSEC-2019-0031.json", &data("RUSTSEC-2019-0031.json")),
        ("B-NOTJSON.json", b"{not json"),
        ("C-NOTOSV.json", b"{\"affected\": 3}"),
        ("README.txt", b"not an advisory, ignored"),
    ]);
    // Damage the deflate stream of the first entry (just after its 30-byte header and name).
    let start = 30 + "A-CORRUPT.json".len();
    for b in &mut zip[start + 20..start + 60] {
        *b ^= 0x5a;
    }
    let dir = db_dir(&[("crates.io", zip)]);
    let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
    let errors: Vec<String> = db.errors().iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    for (error, entry) in errors
        .iter()
        .zip(["A-CORRUPT.json", "B-NOTJSON.json", "C-NOTOSV.json"])
    {
        assert!(error.contains("crates.io/all.zip"), "{error}");
        assert!(error.contains(entry), "{error}");
    }
    assert_eq!(db.len("crates.io"), 1);
    assert_eq!(db.advisories("crates.io", "spin").len(), 1);
}

#[test]
fn a_truncated_zip_leaves_its_ecosystem_uncovered() {
    let zip = build_zip(&[("RUSTSEC-2017-0002.json", &data("RUSTSEC-2017-0002.json"))]);
    let half = zip[..zip.len() / 2].to_vec();
    let good = build_zip(&[(
        "GHSA-29mw-wpgm-hmr9.json",
        &data("GHSA-29mw-wpgm-hmr9.json"),
    )]);
    let dir = db_dir(&[("crates.io", half), ("npm", good)]);
    let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
    assert_eq!(db.ecosystems(), vec!["npm"]);
    let errors: Vec<String> = db.errors().iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("crates.io/all.zip: not a usable zip"),
        "{}",
        errors[0]
    );
    // Fail closed: the package is not checked, not clean.
    let result = scan(&db, &[q("crates.io", "hyper", "0.10.0")]);
    assert!(result.findings.is_empty());
    assert_eq!(result.checked, 0);
    assert_eq!(result.not_checked.len(), 1);
    assert!(
        result.not_checked[0]
            .reason
            .contains("no crates.io advisories")
    );
}

// ---------------------------------------------------------------- matching, real records

#[test]
fn several_introduced_fixed_pairs() {
    let dir = real_dir();
    let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
    let cases = [
        ("0.1.0", true, Some("0.9.18")),
        ("0.9.17", true, Some("0.9.18")),
        ("0.9.18", false, None),
        ("0.9.99", false, None),
        ("0.10.0", true, Some("0.10.2")),
        ("0.10.1", true, Some("0.10.2")),
        ("0.10.2", false, None),
        ("1.0.0", false, None),
    ];
    for (version, affected, fixed) in cases {
        let r = scan(&db, &[q("crates.io", "hyper", version)]);
        assert_eq!(r.checked, 1);
        assert_eq!(!r.findings.is_empty(), affected, "hyper {version}");
        if let Some(f) = r.findings.first() {
            assert_eq!(f.id, "RUSTSEC-2017-0002");
            assert_eq!(f.aliases, vec!["CVE-2017-18587", "GHSA-q89x-f52w-6hj2"]);
            assert_eq!(f.fixed.as_deref(), fixed, "hyper {version}");
            // CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N = 5.3
            assert_eq!(f.severity.rating, Some(Rating::Medium));
            assert_eq!(f.severity.score, Some(5.3));
            assert!(!f.summary.is_empty());
            assert!(!f.references.is_empty());
        }
    }
}

#[test]
fn last_affected_is_inclusive_and_has_no_fix() {
    let dir = real_dir();
    let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
    let r = scan(&db, &[q("PyPI", "py", "1.11.0"), q("PyPI", "py", "1.11.1")]);
    assert_eq!(ids(&r), vec!["PYSEC-2022-42969"]);
    assert_eq!(r.findings[0].version, "1.11.0");
    assert_eq!(r.findings[0].fixed, None);
    assert_eq!(
        r.findings[0].severity.rating, None,
        "no severity in the record: unknown"
    );

    let r = scan(
        &db,
        &[
            q("npm", "lodash.trim", "4.5.1"),
            q("npm", "lodash.trim", "4.5.2"),
        ],
    );
    assert_eq!(ids(&r), vec!["GHSA-29mw-wpgm-hmr9"]);
    assert_eq!(r.findings[0].aliases, vec!["CVE-2020-28500"]);
    assert_eq!(r.findings[0].fixed, None);
    let r = scan(&db, &[q("npm", "lodash", "4.17.20")]);
    assert_eq!(r.findings[0].fixed.as_deref(), Some("4.17.21"));
    assert_eq!(r.findings[0].severity.rating, Some(Rating::Medium));
    assert!(
        scan(&db, &[q("npm", "lodash", "4.17.21")])
            .findings
            .is_empty()
    );
}

#[test]
fn a_git_range_does_not_stop_later_ranges() {
    let dir = real_dir();
    let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
    let cases = [
        ("3.9", false, None),
        ("4.0", true, Some("4.3")),
        ("4.2", true, Some("4.3")),
        ("4.3", false, None),
        ("5.1", true, Some("5.2")),
        ("5.2", false, None),
        ("6.0", false, None),
    ];
    for (version, affected, fixed) in cases {
        let r = scan(&db, &[q("PyPI", "AccessControl", version)]);
        assert_eq!(!r.findings.is_empty(), affected, "accesscontrol {version}");
        if let Some(f) = r.findings.first() {
            assert_eq!(f.id, "PYSEC-2021-335");
            assert_eq!(f.fixed.as_deref(), fixed, "accesscontrol {version}");
        }
    }
}

#[test]
fn withdrawn_records_are_skipped() {
    let dir = real_dir();
    let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
    let r = scan(&db, &[q("crates.io", "spin", "0.0.0-alpha")]);
    assert!(r.findings.is_empty());
    assert_eq!(r.checked, 1);
    // The same record without `withdrawn` matches that version: the skip is what hid it.
    let mut v = record("RUSTSEC-2019-0031.json");
    v.withdrawn = None;
    let r = scan(&Mem(vec![v]), &[q("crates.io", "spin", "0.0.0-alpha")]);
    assert_eq!(ids(&r), vec!["RUSTSEC-2019-0031"]);
}

#[test]
fn not_checked_reasons() {
    let dir = real_dir();
    let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
    let mut generic = q("x", "root", "1.0");
    generic.osv_ecosystem = None;
    let r = scan(
        &db,
        &[
            generic,
            q("Maven", "org.x:y", "1.0"),
            q("crates.io", "hyper", ""),
            q("crates.io", "hyper", "not a version"),
            q("crates.io", "hyper", "0.10.0"),
        ],
    );
    assert_eq!(r.checked, 1);
    assert_eq!(ids(&r), vec!["RUSTSEC-2017-0002"]);
    let reasons: Vec<&str> = r.not_checked.iter().map(|n| n.reason.as_str()).collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].contains("no OSV ecosystem"));
    assert!(reasons[1].contains("no Maven advisories"));
    assert_eq!(reasons[2], "no version");
    assert!(
        reasons[3].contains("`not a version` is not a crates.io version"),
        "{}",
        reasons[3]
    );
}

// ---------------------------------------------------------------- matching, hand-written records

/// A hand-written npm record with one range of these events.
fn range(id: &str, events: &str) -> Vulnerability {
    hand(&format!(
        r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"npm","name":"pkg"}},
        "ranges":[{{"type":"SEMVER","events":{events}}}]}}]}}"#
    ))
}

fn affected(v: &Vulnerability, version: &str) -> bool {
    !scan(&Mem(vec![v.clone()]), &[q("npm", "pkg", version)])
        .findings
        .is_empty()
}

#[test]
fn events_unsorted_in_input_are_sorted() {
    let v = range(
        "HAND-1",
        r#"[{"fixed":"2.2.0"},{"introduced":"2.0.0"},{"fixed":"1.2.0"},{"introduced":"1.0.0"}]"#,
    );
    for (version, want) in [
        ("0.9.0", false),
        ("1.0.0", true),
        ("1.1.9", true),
        ("1.2.0", false),
        ("1.5.0", false),
        ("2.0.0", true),
        ("2.1.0", true),
        ("2.2.0", false),
        ("3.0.0", false),
    ] {
        assert_eq!(affected(&v, version), want, "{version}");
    }
    let r = scan(&Mem(vec![v]), &[q("npm", "pkg", "1.1.0")]);
    assert_eq!(r.findings[0].fixed.as_deref(), Some("1.2.0"));
}

#[test]
fn introduced_zero_is_everything() {
    let v = range("HAND-2", r#"[{"introduced":"0"}]"#);
    assert!(affected(&v, "0.0.0"));
    assert!(affected(&v, "0.0.1-alpha"));
    assert!(affected(&v, "99.0.0"));
    let r = scan(&Mem(vec![v]), &[q("npm", "pkg", "1.0.0")]);
    assert_eq!(r.findings[0].fixed, None);
}

#[test]
fn limit_bounds_the_range() {
    // Hand-written: no real record in the snapshot has a `limit` event.
    let v = range(
        "HAND-3",
        r#"[{"limit":"2.0.0"},{"introduced":"1.0.0"},{"last_affected":"3.0.0"}]"#,
    );
    for (version, want) in [
        ("0.9.0", false),
        ("1.0.0", true),
        ("1.9.9", true),
        ("2.0.0", false),
        ("2.5.0", false),
        ("3.0.0", false),
    ] {
        assert_eq!(affected(&v, version), want, "{version}");
    }
    let star = range("HAND-4", r#"[{"introduced":"1.0.0"},{"limit":"*"}]"#);
    assert!(affected(&star, "50.0.0"));
    assert!(!affected(&star, "0.1.0"));
    // Several limits: below any of them.
    let two = range(
        "HAND-5",
        r#"[{"introduced":"0"},{"limit":"1.0.0"},{"limit":"3.0.0"}]"#,
    );
    assert!(affected(&two, "2.0.0"));
    assert!(!affected(&two, "3.0.0"));
}

#[test]
fn last_affected_and_fixed_and_empty_ranges() {
    let v = range(
        "HAND-6",
        r#"[{"introduced":"1.0.0"},{"last_affected":"1.4.0"}]"#,
    );
    assert!(affected(&v, "1.4.0"));
    assert!(!affected(&v, "1.4.1"));
    let empty = range("HAND-7", r#"[{"introduced":"1.0.0"},{"fixed":"1.0.0"}]"#);
    assert!(!affected(&empty, "1.0.0"));
    let pre = range("HAND-8", r#"[{"introduced":"0"},{"fixed":"2.0.0"}]"#);
    assert!(
        affected(&pre, "2.0.0-rc.1"),
        "a pre-release is before its release"
    );
    assert!(!affected(&pre, "2.0.0"));
}

#[test]
fn versions_list_and_unknown_range_types() {
    let v = hand(
        r#"{"id":"HAND-9","affected":[{"package":{"ecosystem":"npm","name":"pkg"},
        "ranges":[{"type":"GIT","repo":"https://example.invalid/r","events":[{"introduced":"0"}]},
                  {"type":"FUTURE","events":[{"introduced":"0"}]}],
        "versions":["1.2.3","1.2.5"]}]}"#,
    );
    assert!(affected(&v, "1.2.3"));
    assert!(!affected(&v, "1.2.4"));
    assert!(affected(&v, "1.2.5"));
}

#[test]
fn other_ecosystems_and_names_do_not_match() {
    let v = range("HAND-10", r#"[{"introduced":"0"}]"#);
    let mem = Mem(vec![v]);
    assert!(scan(&mem, &[q("npm", "PKG", "1.0.0")]).findings.is_empty());
    assert!(
        scan(&mem, &[q("npm", "other", "1.0.0")])
            .findings
            .is_empty()
    );
}

#[test]
fn aliases_merge_into_one_finding_with_the_native_id() {
    // A hand-written GHSA record aliasing the real RUSTSEC-2017-0002, with a later fix on the
    // 0.10 branch and a higher severity: one finding, RUSTSEC's id, the GHSA severity, and the
    // fix that clears both records.
    let rustsec = record("RUSTSEC-2017-0002.json");
    let ghsa = hand(
        r#"{"id":"GHSA-q89x-f52w-6hj2","aliases":["CVE-2017-18587"],
        "summary":"hand-written for the test",
        "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "references":[{"type":"WEB","url":"https://example.invalid/ghsa"}],
        "affected":[{"package":{"ecosystem":"crates.io","name":"hyper"},
          "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0.10.0"},{"fixed":"0.10.3"}]}]}]}"#,
    );
    // A third record linked only through the CVE id.
    let other = hand(
        r#"{"id":"OTHER-1","aliases":["CVE-2017-18587"],
        "affected":[{"package":{"ecosystem":"crates.io","name":"hyper"},
          "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.10.2"}]}]}]}"#,
    );
    let unrelated = hand(
        r#"{"id":"GHSA-aaaa-bbbb-cccc",
        "affected":[{"package":{"ecosystem":"crates.io","name":"hyper"},
          "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.11.0"}]}]}]}"#,
    );
    let mem = Mem(vec![ghsa, unrelated, other, rustsec]);
    let r = scan(&mem, &[q("crates.io", "hyper", "0.10.0")]);
    assert_eq!(ids(&r), vec!["GHSA-aaaa-bbbb-cccc", "RUSTSEC-2017-0002"]);
    let f = &r.findings[1];
    assert_eq!(
        f.aliases,
        vec!["CVE-2017-18587", "GHSA-q89x-f52w-6hj2", "OTHER-1"]
    );
    assert_eq!(f.fixed.as_deref(), Some("0.10.3"));
    assert_eq!(f.severity.rating, Some(Rating::Critical));
    // The native record's summary, not the GHSA one.
    assert_eq!(
        f.summary,
        "headers containing newline characters can split messages"
    );
    assert!(
        f.references
            .iter()
            .any(|u| u == "https://example.invalid/ghsa")
    );
}

#[test]
fn a_fix_is_only_reported_when_it_clears_every_range() {
    // Fixed at 1.1.0 but re-introduced at 1.1.0 on another range: no version clears it until 2.0.0.
    let v = hand(
        r#"{"id":"HAND-11","affected":[{"package":{"ecosystem":"npm","name":"pkg"},"ranges":[
        {"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.1.0"}]},
        {"type":"SEMVER","events":[{"introduced":"1.1.0"},{"fixed":"2.0.0"}]}]}]}"#,
    );
    let r = scan(&Mem(vec![v]), &[q("npm", "pkg", "1.0.5")]);
    assert_eq!(r.findings[0].fixed.as_deref(), Some("2.0.0"));
}

// ---------------------------------------------------------------- the real database, timed

/// `cargo test --release -p chainproof-vuln --test osv_db -- --ignored --nocapture`
/// with `CHAINPROOF_ADVISORIES=/path/to/advisories` (the layout `<Ecosystem>/all.zip`).
#[test]
#[ignore = "needs the full advisory snapshot; a measurement, not a unit test"]
fn full_database_load_times() {
    let dir = PathBuf::from(
        std::env::var("CHAINPROOF_ADVISORIES")
            .expect("set CHAINPROOF_ADVISORIES to the advisories directory"),
    );
    let cache = tempfile::tempdir().unwrap();
    let location = CacheLocation::Dir(cache.path().into());
    let t = Instant::now();
    let cold = Db::open_with(&dir, &location).unwrap();
    let cold_time = t.elapsed();
    let t = Instant::now();
    let warm = Db::open_with(&dir, &location).unwrap();
    let warm_time = t.elapsed();
    let t = Instant::now();
    let uncached = Db::open_with(&dir, &CacheLocation::Disabled).unwrap();
    let uncached_time = t.elapsed();
    for eco in warm.ecosystems() {
        println!("{eco}: {} records", warm.len(&eco));
        assert_eq!(warm.len(&eco), cold.len(&eco));
        assert_eq!(warm.len(&eco), uncached.len(&eco));
    }
    assert!(warm.loaded_from_cache().values().all(|c| *c));
    println!("errors: {}", warm.errors().len());
    for e in warm.errors() {
        println!("  {e}");
    }
    println!(
        "cold (zip + cache write): {cold_time:?}; warm (cache): {warm_time:?}; no cache: {uncached_time:?}"
    );
}
