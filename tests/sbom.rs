//! `chainproof sbom` end to end: the binary on the fixtures in `tests/fixtures/sbom/`, exact purls,
//! versions and scopes, reproducible bytes, exit 2 on a corrupt lockfile, and every document checked
//! by the official validators that `scripts/install-test-tools.sh` installs into `.tools/`:
//! cyclonedx-python-lib's strict JSON validator (CycloneDX 1.6) and spdx-tools' `pyspdxtools`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{chainproof, fixtures, root};

const INSTALL_HINT: &str = "run `bash scripts/install-test-tools.sh`";

/// Every directory under `tests/fixtures/sbom/`: each is inventoried, validated and compared with
/// its `expected.purls` (the components' purls, one per line, sorted; see each fixture's README
/// for where the lockfile and the expected list came from).
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("sbom"))
        .expect("tests/fixtures/sbom")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn dir(name: &str) -> PathBuf {
    fixtures().join("sbom").join(name)
}

/// Run `chainproof sbom <fixture> --format <format>`; the document and the exit code.
fn sbom(name: &str, format: &str) -> (String, i32) {
    let out = chainproof(&root())
        .args([
            "sbom",
            dir(name).to_str().expect("utf-8 path"),
            "--format",
            format,
        ])
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("runs");
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        out.status.code().unwrap_or(-1),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON output")
}

/// The CycloneDX components by purl.
fn components(doc: &Value) -> BTreeMap<String, Value> {
    doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| (c["purl"].as_str().expect("purl").to_string(), c.clone()))
        .collect()
}

fn property<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

fn depends_on(doc: &Value, r: &str) -> Vec<String> {
    doc["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .find(|d| d["ref"] == r)
        .and_then(|d| d["dependsOn"].as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn tool(path: &str) -> PathBuf {
    let p = root().join(path);
    assert!(
        p.exists(),
        "the SBOM validator {} is missing: {INSTALL_HINT}",
        p.display()
    );
    p
}

fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn cyclonedx_documents_pass_the_strict_validator() {
    let python = tool(".tools/venv/bin/python");
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for name in &fixture_names() {
        let (text, _) = sbom(name, "cyclonedx-json");
        files.push(write_temp(tmp.path(), &format!("{name}.cdx.json"), &text));
    }
    let script = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
validator = JsonStrictValidator(SchemaVersion.V1_6)
bad = 0
for path in sys.argv[1:]:
    with open(path) as f:
        error = validator.validate_str(f.read())
    if error is not None:
        bad += 1
        print(f"{path}: {error!r}")
sys.exit(1 if bad else 0)
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .expect("runs python");
    assert!(
        out.status.success(),
        "CycloneDX validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn spdx_documents_pass_pyspdxtools() {
    let pyspdxtools = tool(".tools/bin/pyspdxtools");
    let tmp = tempfile::tempdir().expect("tempdir");
    for name in &fixture_names() {
        let (text, _) = sbom(name, "spdx-json");
        let file = write_temp(tmp.path(), &format!("{name}.spdx.json"), &text);
        let out = Command::new(&pyspdxtools)
            .arg("-i")
            .arg(&file)
            .output()
            .expect("runs pyspdxtools");
        assert!(
            out.status.success(),
            "{name}: SPDX validation failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    for name in &fixture_names() {
        for format in ["cyclonedx-json", "spdx-json"] {
            let (a, _) = sbom(name, format);
            let (b, _) = sbom(name, format);
            assert!(!a.is_empty());
            assert_eq!(a, b, "{name} {format} differs between runs");
        }
    }
}

#[test]
fn every_fixture_lists_exactly_its_expected_purls() {
    let mut failures = Vec::new();
    for name in fixture_names() {
        let expected_file = dir(&name).join("expected.purls");
        let Ok(expected) = std::fs::read_to_string(&expected_file) else {
            failures.push(format!("{name}: no expected.purls"));
            continue;
        };
        let (text, _) = sbom(&name, "cyclonedx-json");
        let doc = json(&text);
        let mut actual: Vec<String> = components(&doc).into_keys().collect();
        actual.push(format!(
            "{} (root)",
            doc["metadata"]["component"]["purl"].as_str().unwrap_or("")
        ));
        actual.sort();
        let expected: Vec<String> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
        if actual != expected {
            let missing: Vec<_> = expected.iter().filter(|e| !actual.contains(e)).collect();
            let extra: Vec<_> = actual.iter().filter(|a| !expected.contains(a)).collect();
            failures.push(format!("{name}: missing {missing:?}, unexpected {extra:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cargo_lock_of_this_repository() {
    let (text, code) = sbom("cargo", "cyclonedx-json");
    assert_eq!(code, 0);
    let doc = json(&text);
    assert_eq!(doc["specVersion"], "1.6");
    let root = &doc["metadata"]["component"];
    assert_eq!(root["purl"], "pkg:cargo/chainproof@0.1.0");
    assert_eq!(root["type"], "application");
    let c = components(&doc);
    // Every [[package]] but the root, each with the lockfile as evidence.
    let lock = std::fs::read_to_string(dir("cargo/Cargo.lock")).expect("fixture");
    assert_eq!(c.len(), lock.matches("[[package]]").count() - 1);
    let serde = c
        .iter()
        .find(|(p, _)| p.starts_with("pkg:cargo/serde_json@"))
        .map(|(_, v)| v)
        .expect("serde_json");
    assert_eq!(property(serde, "chainproof:dependency"), Some("direct"));
    assert_eq!(serde["hashes"][0]["alg"], "SHA-256");
    assert_eq!(
        serde["hashes"][0]["content"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(
        serde["evidence"]["occurrences"][0]["location"],
        "Cargo.lock"
    );
    let winnow = c
        .iter()
        .find(|(p, _)| p.starts_with("pkg:cargo/winnow@"))
        .map(|(_, v)| v)
        .expect("winnow");
    assert_eq!(
        property(winnow, "chainproof:dependency"),
        Some("transitive")
    );
    let deps = depends_on(&doc, "pkg:cargo/chainproof@0.1.0");
    assert!(
        deps.contains(&"pkg:cargo/chainproof-core@0.1.0".to_string()),
        "{deps:?}"
    );
}

#[test]
fn npm_v1_scopes_dev_optional_and_nesting() {
    let (text, code) = sbom("npm-v1", "cyclonedx-json");
    assert_eq!(code, 0);
    let doc = json(&text);
    assert_eq!(
        doc["metadata"]["component"]["purl"],
        "pkg:npm/legacy-app@1.2.0"
    );
    let c = components(&doc);
    assert_eq!(
        c.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "pkg:npm/%40types/node@10.17.60",
            "pkg:npm/debug@2.6.9",
            "pkg:npm/debug@3.1.0",
            "pkg:npm/express@4.16.4",
            "pkg:npm/fsevents@1.2.13",
            "pkg:npm/mocha@5.2.0",
            "pkg:npm/ms@2.0.0",
            "pkg:npm/qs@6.5.2",
        ]
    );
    let types = &c["pkg:npm/%40types/node@10.17.60"];
    assert_eq!(
        (&types["group"], &types["name"]),
        (&Value::from("@types"), &Value::from("node"))
    );
    assert_eq!(property(types, "chainproof:dependency"), Some("direct"));
    assert_eq!(c["pkg:npm/mocha@5.2.0"]["scope"], "excluded");
    assert_eq!(
        property(&c["pkg:npm/mocha@5.2.0"], "chainproof:dev"),
        Some("true")
    );
    assert_eq!(c["pkg:npm/debug@3.1.0"]["scope"], "excluded");
    assert_eq!(c["pkg:npm/fsevents@1.2.13"]["scope"], "optional");
    assert_eq!(c["pkg:npm/express@4.16.4"]["scope"], "required");
    assert_eq!(
        property(&c["pkg:npm/debug@2.6.9"], "chainproof:dependency"),
        Some("transitive")
    );
    assert_eq!(c["pkg:npm/ms@2.0.0"]["hashes"][0]["alg"], "SHA-1");
    assert_eq!(
        depends_on(&doc, "pkg:npm/mocha@5.2.0"),
        ["pkg:npm/debug@3.1.0"]
    );
    assert_eq!(
        depends_on(&doc, "pkg:npm/express@4.16.4"),
        ["pkg:npm/debug@2.6.9", "pkg:npm/qs@6.5.2"]
    );
}

#[test]
fn npm_v2_integrity_becomes_a_sha512_hex_digest() {
    let (text, code) = sbom("npm-v2", "cyclonedx-json");
    assert_eq!(code, 0);
    let doc = json(&text);
    let c = components(&doc);
    let lock: Value =
        json(&std::fs::read_to_string(dir("npm-v2/package-lock.json")).expect("fixture"));
    let sri = lock["packages"]["node_modules/@babel/runtime"]["integrity"]
        .as_str()
        .expect("integrity");
    let hex = c["pkg:npm/%40babel/runtime@7.23.2"]["hashes"][0]["content"]
        .as_str()
        .expect("hash");
    assert!(sri.starts_with("sha512-"));
    assert_eq!(hex.len(), 128);
    assert_eq!(
        c["pkg:npm/%40babel/runtime@7.23.2"]["hashes"][0]["alg"],
        "SHA-512"
    );
    assert_eq!(
        c["pkg:npm/%40esbuild/linux-x64@0.19.0"]["scope"],
        "optional"
    );
    assert_eq!(c["pkg:npm/typescript@5.2.2"]["scope"], "excluded");
    assert_eq!(
        c["pkg:npm/typescript@5.2.2"]["licenses"][0]["expression"],
        "Apache-2.0"
    );
    assert_eq!(
        property(
            &c["pkg:npm/regenerator-runtime@0.14.0"],
            "chainproof:dependency"
        ),
        Some("transitive")
    );
    assert_eq!(c.len(), 5);
}

#[test]
fn npm_v3_workspaces() {
    let (text, code) = sbom("npm-v3-workspaces", "cyclonedx-json");
    assert_eq!(code, 0);
    let doc = json(&text);
    let c = components(&doc);
    assert_eq!(
        c.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "pkg:npm/%40acme/api@1.1.0",
            "pkg:npm/%40acme/ui@1.0.0",
            "pkg:npm/chokidar-fsevents@2.3.3",
            "pkg:npm/eslint@8.50.0",
            "pkg:npm/loose-envify@1.4.0",
            "pkg:npm/react@18.2.0",
            "pkg:npm/semver@6.3.1",
            "pkg:npm/semver@7.5.4",
        ]
    );
    assert_eq!(
        depends_on(&doc, "pkg:npm/monorepo@0.0.0"),
        [
            "pkg:npm/%40acme/api@1.1.0",
            "pkg:npm/%40acme/ui@1.0.0",
            "pkg:npm/eslint@8.50.0"
        ]
    );
    // The workspace's own nested semver, not the hoisted one.
    assert_eq!(
        depends_on(&doc, "pkg:npm/%40acme/api@1.1.0"),
        [
            "pkg:npm/%40acme/ui@1.0.0",
            "pkg:npm/chokidar-fsevents@2.3.3",
            "pkg:npm/semver@6.3.1"
        ]
    );
    assert_eq!(
        depends_on(&doc, "pkg:npm/eslint@8.50.0"),
        ["pkg:npm/semver@7.5.4"]
    );
    assert_eq!(
        property(&c["pkg:npm/semver@6.3.1"], "chainproof:dependency"),
        Some("direct")
    );
    assert_eq!(
        property(&c["pkg:npm/semver@7.5.4"], "chainproof:dependency"),
        Some("transitive")
    );
    assert_eq!(
        property(&c["pkg:npm/loose-envify@1.4.0"], "chainproof:dependency"),
        Some("transitive")
    );
    assert_eq!(c["pkg:npm/chokidar-fsevents@2.3.3"]["scope"], "optional");
    assert_eq!(c["pkg:npm/eslint@8.50.0"]["scope"], "excluded");
}

#[test]
fn spdx_packages_and_relationships() {
    let (text, code) = sbom("npm-v2", "spdx-json");
    assert_eq!(code, 0);
    let doc = json(&text);
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    let packages = doc["packages"].as_array().expect("packages");
    assert_eq!(packages.len(), 6);
    let purls: Vec<&str> = packages
        .iter()
        .filter_map(|p| p["externalRefs"][0]["referenceLocator"].as_str())
        .collect();
    assert!(
        purls.contains(&"pkg:npm/%40babel/runtime@7.23.2"),
        "{purls:?}"
    );
    let rels = doc["relationships"].as_array().expect("relationships");
    assert_eq!(rels[0]["relationshipType"], "DESCRIBES");
    assert_eq!(
        rels.iter()
            .filter(|r| r["relationshipType"] == "DEPENDS_ON")
            .count(),
        5
    );
    assert!(
        doc["documentNamespace"]
            .as_str()
            .is_some_and(|n| n.starts_with("https://spdx.org/spdxdocs/service-2.0.0-"))
    );
}

#[test]
fn a_corrupt_lockfile_is_an_input_error_and_the_rest_is_still_read() {
    let out = chainproof(&root())
        .args(["sbom", dir("mixed").to_str().expect("utf-8 path")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: broken/Cargo.lock:6:15:"),
        "{stderr}"
    );
    let doc = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(components(&doc).len(), 5);
    assert_eq!(
        doc["metadata"]["properties"][0]["name"],
        "chainproof:unreadable"
    );
    let evidence = &components(&doc)["pkg:npm/lodash@4.17.21"]["evidence"]["occurrences"][0];
    assert_eq!(evidence["location"], "web/package-lock.json");
}

#[test]
fn output_file_and_unknown_format() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("sbom.json");
    chainproof(&root())
        .args(["sbom", dir("npm-v2").to_str().expect("utf-8 path"), "-o"])
        .arg(&file)
        .assert()
        .success();
    let (stdout, _) = sbom("npm-v2", "cyclonedx-json");
    assert_eq!(std::fs::read_to_string(&file).expect("written"), stdout);
    chainproof(&root())
        .args(["sbom", ".", "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn one_lockfile_or_a_file_that_is_not_one() {
    let lock = dir("npm-v1/package-lock.json");
    let out = chainproof(&root())
        .args(["sbom", lock.to_str().expect("utf-8 path")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        doc["metadata"]["component"]["purl"],
        "pkg:npm/legacy-app@1.2.0"
    );
    assert_eq!(components(&doc).len(), 8);
    let manifest = dir("npm-v1/package.json");
    let out = chainproof(&root())
        .args(["sbom", manifest.to_str().expect("utf-8 path")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: package.json: not a lockfile chainproof reads"),
        "{stderr}"
    );
}
