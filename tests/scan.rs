//! `chainproof scan` end to end: a fixture repository (`tests/fixtures/vuln/repo`) pinning
//! known-vulnerable versions, scanned with a database the test builds from real OSV records
//! (`tests/fixtures/vuln/osv`, see its README). Exact findings and fixed versions, exit codes
//! with `--fail-on`, VEX suppression, not-checked reporting, and every output format validated:
//! JSON against `schemas/scan.json`, SARIF against the OASIS 2.1.0 schema (check-jsonschema),
//! CycloneDX with cyclonedx-python-lib's strict validator. GitLab's dependency-scanning schema is
//! not vendored in this repository: that output is checked field by field against the 15.x
//! schema's required properties instead.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{chainproof, fixtures, root};

fn repo() -> PathBuf {
    fixtures().join("vuln/repo")
}

/// `DIR/<Ecosystem>/all.zip` from the fixture records of the ecosystems named.
fn build_db(dir: &Path, ecosystems: &[&str]) {
    for eco in ecosystems {
        let src = fixtures().join("vuln/osv").join(eco);
        fs::create_dir_all(dir.join(eco)).expect("mkdir");
        let file = fs::File::create(dir.join(eco).join("all.zip")).expect("create zip");
        let mut zip = zip::ZipWriter::new(file);
        let mut entries: Vec<_> = fs::read_dir(&src)
            .expect("fixture records")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        assert!(!entries.is_empty(), "no records in {}", src.display());
        for path in entries {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            zip.write_all(&fs::read(&path).expect("read record"))
                .expect("write entry");
        }
        zip.finish().expect("finish zip");
    }
}

struct Db {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

fn db() -> Db {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("osv");
    build_db(&dir, &["crates.io", "npm"]);
    Db { _tmp: tmp, dir }
}

/// The fixture records are real and dated; a test that is not about staleness accepts their age.
const OLD_OK: &str = "100000";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn scan(db: &Path, args: &[&str]) -> Out {
    let out = chainproof(&repo())
        .arg("scan")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `chainproof sbom` of the fixture repository, written to `dir/bom.json`.
fn fixture_sbom(dir: &Path) -> PathBuf {
    let sbom = dir.join("bom.json");
    let made = chainproof(&repo())
        .args(["sbom", ".", "-o"])
        .arg(&sbom)
        .output()
        .expect("sbom");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    sbom
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// (package, version, id, fixed) of every finding, as the matcher must produce them.
const EXPECTED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "lodash",
        "4.17.20",
        "GHSA-29mw-wpgm-hmr9",
        "medium",
        "4.17.21",
    ),
    (
        "lodash",
        "4.17.20",
        "GHSA-35jh-r3h4-6jhm",
        "high",
        "4.17.21",
    ),
    (
        "lodash",
        "4.17.20",
        "GHSA-xxjr-mmjv-4gpg",
        "medium",
        "4.17.23",
    ),
    (
        "minimist",
        "1.2.5",
        "GHSA-xvch-5gv4-984h",
        "critical",
        "1.2.6",
    ),
    (
        "smallvec",
        "1.6.0",
        "RUSTSEC-2021-0003",
        "critical",
        "1.6.1",
    ),
    ("time", "0.1.45", "RUSTSEC-2020-0071", "medium", "0.2.0"),
];

#[test]
fn finds_exactly_the_known_vulnerabilities_with_fixed_versions() {
    let db = db();
    let out = scan(&db.dir, &["--max-db-age", OLD_OK, "-f", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    let got: Vec<(String, String, String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_owned();
            (
                s("package"),
                s("version"),
                s("id"),
                s("severity"),
                s("fixed"),
            )
        })
        .collect();
    let want: Vec<(String, String, String, String, String)> = EXPECTED
        .iter()
        .map(|(a, b, c, d, e)| {
            (
                (*a).into(),
                (*b).into(),
                (*c).into(),
                (*d).into(),
                (*e).into(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // Aliases merged into one finding; a record fixed below the installed version is absent.
    let smallvec = &report["findings"][4];
    assert_eq!(
        smallvec["aliases"],
        serde_json::json!(["CVE-2021-25900", "GHSA-43w2-9j62-hq99"])
    );
    assert_eq!(smallvec["score"], 9.8);
    assert!(
        !out.stdout.contains("GHSA-p6mc-m468-83gw"),
        "fixed in 4.17.20"
    );
    assert!(
        !out.stdout.contains("GHSA-vh95-rmgr-6w4m"),
        "fixed in 1.2.3"
    );
    // The lockfile line that pins each package.
    assert_eq!(
        smallvec["location"],
        serde_json::json!({"file": "Cargo.lock", "line": 14})
    );
    assert_eq!(
        report["findings"][0]["location"],
        serde_json::json!({"file": "package-lock.json", "line": 15})
    );
    assert_eq!(report["summary"]["checked"], 6);
    assert_eq!(report["summary"]["components"], 8);
    assert_eq!(report["summary"]["vulnerabilities"], 6);
    assert_eq!(
        report["summary"]["by_severity"],
        serde_json::json!({"critical": 2, "high": 1, "medium": 3})
    );
    assert!(
        out.stderr.contains(
            "scan: 6 vulnerabilities (2 critical, 1 high, 3 medium) in 4 of 6 checked component(s); 2 not checked"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn json_report_matches_its_schema() {
    let db = db();
    let out = scan(&db.dir, &["--max-db-age", OLD_OK, "-f", "json"]);
    let report = json(&out.stdout);
    let schema = json(&fs::read_to_string(root().join("schemas/scan.json")).expect("schema"));
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report["version"], 1);
    // Not a rubber stamp.
    let mut broken = report.clone();
    broken["summary"]["checked"] = Value::from("six");
    assert!(validator.iter_errors(&broken).next().is_some());
}

#[test]
fn fail_on_sets_the_exit_code() {
    let db = db();
    for (fail_on, code) in [
        ("critical", 1),
        ("high", 1),
        ("medium", 1),
        ("low", 1),
        ("none", 0),
    ] {
        let out = scan(&db.dir, &["--max-db-age", OLD_OK, "--fail-on", fail_on]);
        assert_eq!(out.code, code, "--fail-on {fail_on}: {}", out.stderr);
    }
    // Only lodash and time (high and medium) are left with a VEX silencing the two critical
    // ones: `--fail-on critical` passes, `high` still fails.
    let tmp = tempfile::tempdir().expect("tempdir");
    let vex = tmp.path().join("critical.vex.json");
    fs::write(
        &vex,
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/2",
            "author": "test", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
            "statements": [
              {"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist"}],
               "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
              {"vulnerability": {"name": "RUSTSEC-2021-0003"}, "products": [{"@id": "pkg:cargo/smallvec@1.6.0"}],
               "status": "fixed"}]}"#,
    )
    .expect("write");
    let v = vex.to_string_lossy().into_owned();
    let critical = scan(
        &db.dir,
        &["--max-db-age", OLD_OK, "--vex", &v, "--fail-on", "critical"],
    );
    assert_eq!(critical.code, 0, "{}{}", critical.stdout, critical.stderr);
    let high = scan(
        &db.dir,
        &["--max-db-age", OLD_OK, "--vex", &v, "--fail-on", "high"],
    );
    assert_eq!(high.code, 1, "{}", high.stderr);
}

#[test]
fn vex_suppresses_and_lists_the_suppressed_findings() {
    let db = db();
    let vex = fixtures().join("vuln/lodash.openvex.json");
    let cdx = fixtures().join("vuln/time.cdx-vex.json");
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "--vex",
            &vex.to_string_lossy(),
            "--vex",
            &cdx.to_string_lossy(),
            "-f",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "GHSA-xxjr-mmjv-4gpg",
            "GHSA-xvch-5gv4-984h",
            "RUSTSEC-2021-0003"
        ]
    );
    let suppressed: Vec<(String, String, String)> = report["suppressed"]
        .as_array()
        .expect("suppressed")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or("").to_owned(),
                s["status"].as_str().unwrap_or("").to_owned(),
                s["justification"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        suppressed,
        [
            (
                "GHSA-29mw-wpgm-hmr9".into(),
                "not_affected".into(),
                "vulnerable_code_not_in_execute_path".into()
            ),
            (
                "GHSA-35jh-r3h4-6jhm".into(),
                "not_affected".into(),
                "vulnerable_code_not_in_execute_path".into()
            ),
            (
                "RUSTSEC-2020-0071".into(),
                "not_affected".into(),
                "code_not_reachable".into()
            ),
        ]
    );
    assert_eq!(report["summary"]["suppressed"], 3);

    // The text output lists them too, with the statement's reason and document.
    let text = scan(
        &db.dir,
        &["--max-db-age", OLD_OK, "--vex", &vex.to_string_lossy()],
    );
    assert!(
        text.stdout.contains("Suppressed by VEX (2):")
            && text.stdout.contains(
                "GHSA-35jh-r3h4-6jhm lodash 4.17.20: not_affected: vulnerable_code_not_in_execute_path (template() is never called with user input)"
            ),
        "{}",
        text.stdout
    );

    // A VEX that cannot be read is an input error naming the file.
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("bad.json");
    fs::write(&bad, "{\"statements\": []}").expect("write");
    let out = scan(&db.dir, &["--vex", &bad.to_string_lossy()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("bad.json: neither an OpenVEX document"),
        "{}",
        out.stderr
    );
}

#[test]
fn not_checked_components_are_listed_never_clean() {
    let db = db();
    let out = scan(&db.dir, &["--max-db-age", OLD_OK]);
    assert!(
        out.stdout
            .contains("Scanned 8 component(s) with the offline database")
            && out.stdout.contains(": 6 checked, 2 not checked."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "Not checked (2); these may be vulnerable:\n  pkg:pypi/django@3.2.0: the vulnerability database has no PyPI advisories\n"
        ),
        "{}",
        out.stdout
    );

    // Only packages the database does not cover: nothing checked is an input error, and the
    // report never says "no known vulnerabilities".
    let only_pypi = chainproof(&repo())
        .args(["scan", "requirements.txt", "--max-db-age", OLD_OK, "--db"])
        .arg(&db.dir)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&only_pypi.stdout);
    assert_eq!(only_pypi.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("No component could be checked."),
        "{stdout}"
    );
    assert!(!stdout.contains("No known vulnerabilities"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&only_pypi.stderr).contains("error: none of the"),
        "{}",
        String::from_utf8_lossy(&only_pypi.stderr)
    );
}

#[test]
fn purls_and_sboms_are_inputs_too() {
    let db = db();
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "--purl",
            "pkg:npm/lodash@4.17.23",
            "--purl",
            "pkg:cargo/smallvec@1.6.1",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("No known vulnerabilities in the 2 checked component(s)."),
        "{}",
        out.stdout
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let sbom = fixture_sbom(tmp.path());
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "--sbom",
            &sbom.to_string_lossy(),
            "-f",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(json(&out.stdout)["summary"]["vulnerabilities"], 6);
}

#[test]
fn without_a_database_says_how_to_get_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = chainproof(&repo())
        .args(["scan"])
        .env("HOME", tmp.path())
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no vulnerability database in")
            && stderr.contains("run `chainproof db update`")
            && stderr.contains("`--online`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing reported as clean");

    // $CHAINPROOF_DB names the database.
    let db = db();
    let out = chainproof(&repo())
        .args(["scan", "--max-db-age", OLD_OK, "--fail-on", "none"])
        .env("CHAINPROOF_DB", &db.dir)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_stale_database_still_reports_but_exits_2() {
    let db = db();
    // Age is when `db update` last checked each export (its meta file), not the records' dates.
    for eco in ["crates.io", "npm"] {
        fs::write(
            db.dir.join(eco).join("all.zip.meta.json"),
            r#"{"url":"https://example.invalid/all.zip","checked":1600000000}"#,
        )
        .expect("meta");
    }
    let out = scan(&db.dir, &["--fail-on", "none"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.contains("GHSA-xvch-5gv4-984h"), "{}", out.stdout);
    assert!(
        out.stdout.contains("older than --max-db-age 7")
            && out
                .stderr
                .contains("run `chainproof db update` or pass a larger --max-db-age"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}

// --- formats ---------------------------------------------------------------------------------

fn tool(rel: &str) -> PathBuf {
    let p = root().join(rel);
    assert!(
        p.exists(),
        "{} is missing: run scripts/install-test-tools.sh",
        p.display()
    );
    p
}

#[test]
fn sarif_validates_and_points_at_the_lockfile_lines() {
    let db = db();
    let tmp = tempfile::tempdir().expect("tempdir");
    let sarif = tmp.path().join("scan.sarif");
    let vex = fixtures().join("vuln/lodash.openvex.json");
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "--vex",
            &vex.to_string_lossy(),
            "-f",
            "sarif",
            "-o",
            &sarif.to_string_lossy(),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = json(&fs::read_to_string(&sarif).expect("read"));
    let run = &doc["runs"][0];
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 6, "4 findings + 2 suppressed");
    let smallvec = results
        .iter()
        .find(|r| r["ruleId"] == "RUSTSEC-2021-0003")
        .expect("smallvec");
    assert_eq!(
        smallvec["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "Cargo.lock"
    );
    assert_eq!(
        smallvec["locations"][0]["physicalLocation"]["region"]["startLine"],
        14
    );
    assert_eq!(smallvec["level"], "error");
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "RUSTSEC-2021-0003")
        .expect("rule");
    assert_eq!(rule["properties"]["security-severity"], "9.8");
    assert!(
        rule["help"]["text"]
            .as_str()
            .is_some_and(|h| h.contains("Fixed in: 1.6.1"))
    );
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 2);
    assert!(
        run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("not checked: pkg:pypi/django@3.2.0")),
        "{}",
        run["invocations"][0]
    );

    let check = |file: &Path| {
        Command::new(tool(".tools/bin/check-jsonschema"))
            .arg("--schemafile")
            .arg(tool(".tools/schemas/sarif-2.1.0.json"))
            .arg(file)
            .output()
            .expect("check-jsonschema runs")
    };
    let r = check(&sarif);
    assert!(
        r.status.success(),
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    let mut broken = doc.clone();
    let at = results
        .iter()
        .position(|r| r.get("suppressions").is_some())
        .expect("a suppressed result");
    broken["runs"][0]["results"][at]["suppressions"][0]["kind"] = Value::from("maybe");
    let bad = tmp.path().join("broken.sarif");
    fs::write(&bad, broken.to_string()).expect("write");
    assert!(
        !check(&bad).status.success(),
        "the validator accepts anything"
    );
}

#[test]
fn cyclonedx_with_vulnerabilities_passes_the_strict_validator() {
    let db = db();
    let tmp = tempfile::tempdir().expect("tempdir");
    let cdx = tmp.path().join("scan.cdx.json");
    let purls = tmp.path().join("purls.cdx.json");
    let vex = fixtures().join("vuln/time.cdx-vex.json");
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "--vex",
            &vex.to_string_lossy(),
            "-f",
            "cyclonedx-json",
            "-o",
            &cdx.to_string_lossy(),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "--purl",
            "pkg:npm/minimist@1.2.5",
            "-f",
            "cyclonedx-json",
            "-o",
            &purls.to_string_lossy(),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = json(&fs::read_to_string(&cdx).expect("read"));
    assert_eq!(doc["specVersion"], "1.6");
    let vulns = doc["vulnerabilities"].as_array().expect("vulnerabilities");
    assert_eq!(vulns.len(), 6);
    let refs: Vec<&str> = doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    for v in vulns {
        let r = v["affects"][0]["ref"].as_str().expect("ref");
        assert!(refs.contains(&r), "{r} is not a component of the document");
    }
    let minimist = vulns
        .iter()
        .find(|v| v["id"] == "GHSA-xvch-5gv4-984h")
        .expect("minimist");
    assert_eq!(minimist["ratings"][0]["severity"], "critical");
    assert_eq!(minimist["ratings"][0]["method"], "CVSSv31");
    assert_eq!(
        minimist["recommendation"],
        "Upgrade minimist to version 1.2.6 or later."
    );
    let time = vulns
        .iter()
        .find(|v| v["id"] == "RUSTSEC-2020-0071")
        .expect("time");
    assert_eq!(time["analysis"]["state"], "not_affected");
    assert_eq!(time["analysis"]["justification"], "code_not_reachable");

    let script = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
validator = JsonStrictValidator(SchemaVersion.V1_6)
bad = 0
for path in sys.argv[1:]:
    with open(path) as f:
        error = validator.validate_str(f.read())
    expect_invalid = path.endswith("invalid.json")
    if (error is not None) != expect_invalid:
        bad += 1
        print(f"{path}: {error!r}")
sys.exit(1 if bad else 0)
"#;
    let mut broken = doc.clone();
    broken["vulnerabilities"][0]["ratings"][0]["severity"] = Value::from("urgent");
    let invalid = tmp.path().join("invalid.json");
    fs::write(&invalid, broken.to_string()).expect("write");
    let r = Command::new(tool(".tools/venv/bin/python"))
        .arg("-c")
        .arg(script)
        .args([&cdx, &purls, &invalid])
        .output()
        .expect("python runs");
    assert!(
        r.status.success(),
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
}

/// GitLab's dependency-scanning schema (security-report-schemas 15.x) is not vendored here; these
/// are the properties it requires and the enumerations it constrains.
#[test]
fn gitlab_dependency_scanning_report_has_the_15_x_shape() {
    let db = db();
    let out = scan(&db.dir, &["--max-db-age", OLD_OK, "-f", "gitlab"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = json(&out.stdout);
    assert!(
        doc["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("15."))
    );
    let scan = &doc["scan"];
    assert_eq!(scan["type"], "dependency_scanning");
    assert_eq!(scan["status"], "success");
    for k in ["analyzer", "scanner"] {
        for f in ["id", "name", "version"] {
            assert!(
                scan[k][f].as_str().is_some_and(|s| !s.is_empty()),
                "{k}.{f}"
            );
        }
        assert_eq!(scan[k]["vendor"]["name"], "chainproof");
    }
    let time_pattern = |s: &str| {
        s.len() == 19
            && s.chars().enumerate().all(|(i, c)| match i {
                4 | 7 => c == '-',
                10 => c == 'T',
                13 | 16 => c == ':',
                _ => c.is_ascii_digit(),
            })
    };
    for k in ["start_time", "end_time"] {
        assert!(
            scan[k].as_str().is_some_and(time_pattern),
            "{k}: {}",
            scan[k]
        );
    }
    let vulns = doc["vulnerabilities"].as_array().expect("vulnerabilities");
    assert_eq!(vulns.len(), 6);
    let mut ids = std::collections::BTreeSet::new();
    for v in vulns {
        assert!(
            ids.insert(v["id"].as_str().expect("id").to_owned()),
            "ids unique"
        );
        assert!(
            ["Critical", "High", "Medium", "Low", "Info", "Unknown"]
                .contains(&v["severity"].as_str().expect("severity"))
        );
        let identifiers = v["identifiers"].as_array().expect("identifiers");
        assert!(!identifiers.is_empty());
        for i in identifiers {
            for f in ["type", "name", "value"] {
                assert!(i[f].as_str().is_some_and(|s| !s.is_empty()), "{i}");
            }
        }
        assert!(v["location"]["file"].as_str().is_some());
        assert!(
            v["location"]["dependency"]["package"]["name"]
                .as_str()
                .is_some()
        );
        assert!(v["location"]["dependency"]["version"].as_str().is_some());
    }
    let minimist = vulns
        .iter()
        .find(|v| v["identifiers"][0]["value"] == "GHSA-xvch-5gv4-984h")
        .expect("minimist");
    assert_eq!(minimist["severity"], "Critical");
    assert_eq!(minimist["location"]["file"], "package-lock.json");
    assert_eq!(
        minimist["solution"],
        "Upgrade minimist to version 1.2.6 or later."
    );
    assert_eq!(minimist["identifiers"][1]["type"], "cve");
    let files: Vec<(&str, &str)> = doc["dependency_files"]
        .as_array()
        .expect("dependency_files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or(""),
                f["package_manager"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("Cargo.lock", "cargo"),
            ("package-lock.json", "npm"),
            ("requirements.txt", "pip")
        ]
    );
    assert!(
        scan["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["level"] == "warn"
                && m["value"]
                    .as_str()
                    .is_some_and(|v| v.starts_with("not checked: pkg:pypi/django@3.2.0"))),
        "{}",
        scan["messages"]
    );
}

#[test]
fn check_includes_the_scan_when_a_database_exists() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = chainproof(&repo())
        .args(["check", ".", "-f", "json", "--fail-on", "none"])
        .env("HOME", tmp.path())
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .expect("runs");
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let skipped = report["skipped"].as_array().expect("skipped");
    assert!(
        skipped.iter().any(|s| s["what"] == "scan"
            && s["reason"]
                .as_str()
                .is_some_and(|r| r.contains("run `chainproof db update`"))),
        "{skipped:?}"
    );

    let db = db();
    let out = chainproof(&repo())
        .args(["check", ".", "-f", "json", "--fail-on", "none"])
        .env("CHAINPROOF_DB", &db.dir)
        .output()
        .expect("runs");
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let summary = report["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|s| s["what"] == "scan")
        .unwrap_or_else(|| panic!("no scan summary: {report}"));
    assert_eq!(
        summary["text"],
        "6 vulnerabilities (2 critical, 1 high, 3 medium) in 4 of 6 checked component(s); 2 not checked"
    );
    let skipped = report["skipped"].as_array().expect("skipped");
    assert!(
        skipped.iter().any(|s| s["what"] == "scan"
            && s["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("pkg:pypi/django@3.2.0 not checked"))),
        "{skipped:?}"
    );
}

// --- online ----------------------------------------------------------------------------------

/// A fake OSV API on 127.0.0.1 serving the fixture records: `POST /v1/querybatch` lists every
/// record naming the queried package (version filtering is the matcher's job), `GET
/// /v1/vulns/{id}` returns the record. One request per connection.
fn fake_osv_api() -> String {
    use std::io::{BufRead, BufReader, Read};
    let mut records: Vec<Value> = Vec::new();
    for eco in ["crates.io", "npm"] {
        for e in fs::read_dir(fixtures().join("vuln/osv").join(eco))
            .expect("records")
            .flatten()
        {
            records.push(json(&fs::read_to_string(e.path()).expect("read")));
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = header.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let path = request_line.split_whitespace().nth(1).unwrap_or("");
            let response: Option<Value> = if path.ends_with("/v1/querybatch") {
                let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let results: Vec<Value> = req["queries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|q| {
                        let name = &q["package"]["name"];
                        let vulns: Vec<Value> = records
                            .iter()
                            .filter(|r| {
                                r["affected"].as_array().is_some_and(|a| {
                                    a.iter().any(|a| &a["package"]["name"] == name)
                                })
                            })
                            .map(|r| serde_json::json!({"id": r["id"], "modified": r["modified"]}))
                            .collect();
                        serde_json::json!({ "vulns": vulns })
                    })
                    .collect();
                Some(serde_json::json!({ "results": results }))
            } else if let Some(id) = path.rsplit_once("/v1/vulns/").map(|(_, id)| id) {
                records.iter().find(|r| r["id"] == id).cloned()
            } else {
                None
            };
            let (status, text) = match response {
                Some(v) => ("200 OK", v.to_string()),
                None => ("404 Not Found", "{}".to_owned()),
            };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn online_scan_asks_the_osv_api_and_matches_the_same() {
    let url = fake_osv_api();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = chainproof(&repo())
        .args(["scan", "--online", "-f", "json"])
        .env("OSV_API_URL", &url)
        .env("HOME", tmp.path())
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&stdout);
    let got: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or(""),
                f["fixed"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let want: Vec<(&str, &str)> = EXPECTED.iter().map(|e| (e.2, e.4)).collect();
    assert_eq!(got, want);
    assert!(
        report["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("the OSV API (http://127.0.0.1:")),
        "{}",
        report["source"]
    );
    // The API covers PyPI: django is checked (no record for it here), only the versionless
    // requirements root is not.
    assert_eq!(report["summary"]["checked"], 7);
    assert_eq!(
        report["not_checked"],
        serde_json::json!([{"purl": "pkg:pypi/repo", "reason": "no version"}])
    );
}

// --- review fixes ----------------------------------------------------------------------------

/// `DIR/<dir>/all.zip` holding the given entries as they are.
pub(crate) fn write_zip(dir: &Path, eco: &str, entries: &[(&str, &str)]) {
    fs::create_dir_all(dir.join(eco)).expect("mkdir");
    let file = fs::File::create(dir.join(eco).join("all.zip")).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    for (name, text) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(text.as_bytes()).expect("write entry");
    }
    zip.finish().expect("finish zip");
}

#[test]
fn unreadable_database_records_are_an_input_error() {
    let db = db();
    write_zip(
        &db.dir,
        "PyPI",
        &[("PYSEC-broken.json", "{\"id\": \"PYSEC-1\", ")],
    );
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "--purl",
            "pkg:npm/lodash@4.17.20",
            "--fail-on",
            "none",
        ],
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("GHSA-35jh-r3h4-6jhm"), "{}", out.stdout);
    assert!(
        out.stderr.contains("error:") && out.stderr.contains("PYSEC-broken.json"),
        "{}",
        out.stderr
    );
}

#[test]
fn strict_fails_on_any_component_not_checked() {
    let db = db();
    let lenient = scan(&db.dir, &["--max-db-age", OLD_OK, "--fail-on", "none"]);
    assert_eq!(lenient.code, 0, "{}{}", lenient.stdout, lenient.stderr);
    let strict = scan(
        &db.dir,
        &["--max-db-age", OLD_OK, "--fail-on", "none", "--strict"],
    );
    assert_eq!(strict.code, 2, "{}{}", strict.stdout, strict.stderr);
    assert!(
        strict
            .stderr
            .contains("--strict: 2 component(s) not checked"),
        "{}",
        strict.stderr
    );
    let help = chainproof(&repo())
        .args(["scan", "--help"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--strict"));
}

const DEBIAN_12_OPENSSL: &str = r#"{"id":"DSA-9999-1","modified":"2024-01-01T00:00:00Z","summary":"openssl security update","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}"#;

#[test]
fn a_release_without_records_is_not_checked_and_upstream_names_the_source() {
    let db = db();
    write_zip(&db.dir, "Debian", &[("DSA-9999-1.json", DEBIAN_12_OPENSSL)]);
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "-f",
            "json",
            "--purl",
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
            "--purl",
            "pkg:deb/debian/libssl3@3.0.11-1?upstream=openssl&distro=debian-13",
            "--purl",
            "pkg:deb/debian/bash@5.2.15-2?distro=debian-12",
        ],
    );
    let report = json(&out.stdout);
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(ids, ["DSA-9999-1"], "{}", out.stdout);
    let reasons: Vec<&str> = report["not_checked"]
        .as_array()
        .expect("not_checked")
        .iter()
        .filter_map(|n| n["reason"].as_str())
        .collect();
    // bash has no `upstream=`: its source package is bash itself, checked (and clean here).
    assert_eq!(
        reasons,
        ["the vulnerability database has no Debian:13 advisories"],
        "{reasons:?}"
    );
    assert_eq!(
        report["summary"]["checked"].as_u64(),
        Some(2),
        "{}",
        out.stdout
    );
}

#[test]
fn sarif_from_an_sbom_places_results_on_the_sbom_file() {
    let db = db();
    let tmp = tempfile::tempdir().expect("tempdir");
    let sbom = fixture_sbom(tmp.path());
    let out = scan(
        &db.dir,
        &[
            "--max-db-age",
            OLD_OK,
            "--sbom",
            &sbom.to_string_lossy(),
            "-f",
            "sarif",
        ],
    );
    let sarif = json(&out.stdout);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let location = &r["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("bom.json")),
            "{r}"
        );
        assert_eq!(location["region"]["startLine"], 1, "{r}");
    }
}

/// RustSec's informational advisories (unmaintained, unsound, notice) are reported with severity
/// `none`, as cargo-audit's warnings are: listed, but no `--fail-on` level fails on them.
#[test]
fn informational_advisories_are_listed_but_never_fail_the_gate() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("osv");
    // Real record (RustSec, CC0-1.0): ansi_term is unmaintained, every release.
    let record = fs::read_to_string(fixtures().join("vuln/informational/RUSTSEC-2021-0139.json"))
        .expect("fixture");
    write_zip(&dir, "crates.io", &[("RUSTSEC-2021-0139.json", &record)]);
    for fail_on in ["low", "critical"] {
        let out = scan(
            &dir,
            &[
                "--max-db-age",
                OLD_OK,
                "--purl",
                "pkg:cargo/ansi_term@0.12.1",
                "--format",
                "json",
                "--fail-on",
                fail_on,
            ],
        );
        assert_eq!(
            out.code, 0,
            "--fail-on {fail_on}: {}{}",
            out.stdout, out.stderr
        );
        let report = json(&out.stdout);
        let text = report.to_string();
        assert!(text.contains("RUSTSEC-2021-0139"), "{text}");
        assert!(text.contains("\"none\""), "rated none: {text}");
    }
}
