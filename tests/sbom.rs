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
        .arg("--deterministic")
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
pub(crate) fn components(doc: &Value) -> BTreeMap<String, Value> {
    doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| (c["purl"].as_str().expect("purl").to_string(), c.clone()))
        .collect()
}

pub(crate) fn property<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

pub(crate) fn depends_on(doc: &Value, r: &str) -> Vec<String> {
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
fn timestamps_are_now_unless_deterministic() {
    let run = |extra: &[&str], epoch: Option<&str>| {
        let mut cmd = chainproof(&root());
        cmd.args(["sbom", dir("npm-v2").to_str().expect("utf-8 path")])
            .args(extra)
            .env_remove("SOURCE_DATE_EPOCH");
        if let Some(e) = epoch {
            cmd.env("SOURCE_DATE_EPOCH", e);
        }
        let out = cmd.output().expect("runs");
        json(&String::from_utf8_lossy(&out.stdout))["metadata"]["timestamp"]
            .as_str()
            .expect("timestamp")
            .to_string()
    };
    let now = run(&[], None);
    assert!(!now.starts_with("1970"), "{now}");
    assert_eq!(now.len(), "2026-01-01T00:00:00Z".len());
    assert_eq!(run(&["--deterministic"], None), "1970-01-01T00:00:00Z");
    assert_eq!(run(&[], Some("86400")), "1970-01-02T00:00:00Z");
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
        .arg("--deterministic")
        .env_remove("SOURCE_DATE_EPOCH")
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

/// Run a Python script with the test tools' interpreter (cyclonedx-python-lib, lxml); it must exit 0.
fn python_ok(script: &str, args: &[PathBuf], what: &str) {
    let out = Command::new(tool(".tools/venv/bin/python"))
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("runs python");
    assert!(
        out.status.success(),
        "{what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The CycloneDX XML validator on each file; a file whose name starts with `invalid-` must be
/// rejected (so a validator that accepts everything fails the test).
const XML_VALIDATE: &str = r#"
import os, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.xml import XmlValidator
validator = XmlValidator(SchemaVersion.V1_6)
bad = 0
for path in sys.argv[1:]:
    with open(path) as f:
        error = validator.validate_str(f.read())
    if os.path.basename(path).startswith("invalid-"):
        if error is None:
            bad += 1
            print(f"{path}: accepted, but it is invalid")
    elif error is not None:
        bad += 1
        print(f"{path}: {error!r}")
sys.exit(1 if bad else 0)
"#;

#[test]
fn cyclonedx_xml_documents_pass_the_xml_validator() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for name in &fixture_names() {
        let (text, _) = sbom(name, "cyclonedx-xml");
        assert!(text.contains("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\""));
        files.push(write_temp(tmp.path(), &format!("{name}.cdx.xml"), &text));
    }
    let (text, _) = sbom("npm-v1", "cyclonedx-xml");
    let broken = text.replacen("<scope>required</scope>", "<scope>sometimes</scope>", 1);
    assert_ne!(broken, text);
    files.push(write_temp(tmp.path(), "invalid-scope.cdx.xml", &broken));
    python_ok(XML_VALIDATE, &files, "CycloneDX XML validation failed");
}

/// The text of every `<purl>` element of our XML (one element per line, entities decoded).
fn xml_purls(xml: &str) -> Vec<String> {
    let mut purls: Vec<String> = xml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<purl>")?.strip_suffix("</purl>"))
        .map(|p| {
            p.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect();
    purls.sort();
    purls
}

#[test]
fn cyclonedx_xml_and_json_carry_the_same_purls() {
    for name in &fixture_names() {
        let (json_text, json_code) = sbom(name, "cyclonedx-json");
        let (xml, xml_code) = sbom(name, "cyclonedx-xml");
        assert_eq!(json_code, xml_code, "{name}");
        let (again, _) = sbom(name, "cyclonedx-xml");
        assert_eq!(xml, again, "{name}: XML differs between runs");
        let doc = json(&json_text);
        let mut purls: Vec<String> = components(&doc).into_keys().collect();
        purls.push(
            doc["metadata"]["component"]["purl"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
        purls.sort();
        assert!(purls.len() > 1, "{name}: no components");
        assert_eq!(xml_purls(&xml), purls, "{name}");
        let serial = doc["serialNumber"].as_str().expect("serialNumber");
        assert!(
            xml.contains(&format!("serialNumber=\"{serial}\"")),
            "{name}: XML and JSON serial numbers differ"
        );
    }
}

/// `chainproof sbom <args>`: stdout, stderr and the exit code.
fn run_sbom(args: &[&std::ffi::OsStr]) -> (String, String, i32) {
    let out = chainproof(&root())
        .arg("sbom")
        .args(args)
        .arg("--deterministic")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn merge_of_two_fixture_sboms_is_valid_and_the_union() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // One CycloneDX and one SPDX input: both are read back.
    let (a, _) = sbom("npm-v2", "cyclonedx-json");
    let (b, _) = sbom("npm-v1", "spdx-json");
    let a_file = write_temp(tmp.path(), "a.cdx.json", &a);
    let b_file = write_temp(tmp.path(), "b.spdx.json", &b);
    let merged_file = tmp.path().join("merged.cdx.json");
    let (_, stderr, code) = run_sbom(&[
        "merge".as_ref(),
        a_file.as_os_str(),
        b_file.as_os_str(),
        "-o".as_ref(),
        merged_file.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let merged_text = std::fs::read_to_string(&merged_file).expect("written");
    let merged = json(&merged_text);
    assert_eq!(
        merged["metadata"]["component"]["purl"],
        "pkg:generic/merged"
    );
    let (v1, _) = sbom("npm-v1", "cyclonedx-json");
    let mut expected: Vec<String> = components(&json(&a)).into_keys().collect();
    expected.extend(components(&json(&v1)).into_keys());
    expected.extend([
        "pkg:npm/service@2.0.0".into(),
        "pkg:npm/legacy-app@1.2.0".into(),
    ]);
    expected.sort();
    expected.dedup();
    assert_eq!(
        components(&merged).into_keys().collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        depends_on(&merged, "pkg:generic/merged"),
        ["pkg:npm/legacy-app@1.2.0", "pkg:npm/service@2.0.0"]
    );
    // Edges of both inputs survive, scopes and hashes too.
    assert_eq!(
        depends_on(&merged, "pkg:npm/express@4.16.4"),
        ["pkg:npm/debug@2.6.9", "pkg:npm/qs@6.5.2"]
    );
    assert_eq!(
        depends_on(&merged, "pkg:npm/%40babel/runtime@7.23.2"),
        ["pkg:npm/regenerator-runtime@0.14.0"]
    );
    let c = components(&merged);
    assert_eq!(c["pkg:npm/mocha@5.2.0"]["scope"], "excluded");
    assert_eq!(c["pkg:npm/ms@2.0.0"]["hashes"][0]["alg"], "SHA-1");
    // The same inputs in the other order: the same bytes.
    let (swapped, _, _) = run_sbom(&["merge".as_ref(), b_file.as_os_str(), a_file.as_os_str()]);
    assert_eq!(swapped, merged_text);
    let script = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
if error is not None:
    print(repr(error))
    sys.exit(1)
"#;
    python_ok(
        script,
        &[merged_file],
        "merged SBOM fails the strict validator",
    );
    // And as XML.
    let (xml, _, code) = run_sbom(&[
        "merge".as_ref(),
        a_file.as_os_str(),
        b_file.as_os_str(),
        "--format".as_ref(),
        "cyclonedx-xml".as_ref(),
    ]);
    assert_eq!(code, 0);
    let xml_file = write_temp(tmp.path(), "merged.cdx.xml", &xml);
    python_ok(
        XML_VALIDATE,
        &[xml_file],
        "merged XML SBOM fails the validator",
    );
}

#[test]
fn diff_shows_added_removed_and_changed_packages() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A modified copy of npm-v2: lodash updated, typescript removed, left-pad added.
    let mut lock =
        json(&std::fs::read_to_string(dir("npm-v2/package-lock.json")).expect("fixture"));
    let packages = lock["packages"].as_object_mut().expect("packages");
    packages.remove("node_modules/typescript");
    packages["node_modules/lodash"]["version"] = "4.17.22".into();
    packages.insert(
        "node_modules/left-pad".into(),
        serde_json::json!({"version": "1.3.0"}),
    );
    let root_pkg = &mut packages[""];
    root_pkg["devDependencies"] = serde_json::json!({});
    root_pkg["dependencies"]["left-pad"] = "^1.3.0".into();
    lock.as_object_mut().expect("lock").remove("dependencies");
    let modified = tmp.path().join("modified");
    std::fs::create_dir(&modified).expect("mkdir");
    write_temp(
        &modified,
        "package-lock.json",
        &serde_json::to_string_pretty(&lock).expect("json"),
    );
    let (old, _) = sbom("npm-v2", "cyclonedx-json");
    let old_file = write_temp(tmp.path(), "old.cdx.json", &old);
    let (new, _, code) = run_sbom(&[modified.as_os_str(), "-f".as_ref(), "spdx-json".as_ref()]);
    assert_eq!(code, 0);
    let new_file = write_temp(tmp.path(), "new.spdx.json", &new);

    let (stdout, stderr, code) =
        run_sbom(&["diff".as_ref(), old_file.as_os_str(), new_file.as_os_str()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout,
        "+ pkg:npm/left-pad@1.3.0\n- pkg:npm/typescript@5.2.2\n~ pkg:npm/lodash 4.17.21 -> 4.17.22\n"
    );
    let (stdout, _, code) = run_sbom(&[
        "diff".as_ref(),
        old_file.as_os_str(),
        new_file.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        json(&stdout),
        serde_json::json!({
            "added": ["pkg:npm/left-pad@1.3.0"],
            "removed": ["pkg:npm/typescript@5.2.2"],
            "changed": [{"package": "pkg:npm/lodash", "from": ["4.17.21"], "to": ["4.17.22"]}]
        })
    );
    // Reversed: the other way round.
    let (stdout, _, code) =
        run_sbom(&["diff".as_ref(), new_file.as_os_str(), old_file.as_os_str()]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "+ pkg:npm/typescript@5.2.2\n- pkg:npm/left-pad@1.3.0\n~ pkg:npm/lodash 4.17.22 -> 4.17.21\n"
    );
}

#[test]
fn diff_of_the_same_packages_exits_0_and_bad_input_exits_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The same project as CycloneDX and as SPDX: no difference.
    let (cdx, _) = sbom("npm-v3-workspaces", "cyclonedx-json");
    let (spdx, _) = sbom("npm-v3-workspaces", "spdx-json");
    let cdx_file = write_temp(tmp.path(), "a.cdx.json", &cdx);
    let spdx_file = write_temp(tmp.path(), "a.spdx.json", &spdx);
    let (stdout, stderr, code) =
        run_sbom(&["diff".as_ref(), cdx_file.as_os_str(), spdx_file.as_os_str()]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    let (stdout, _, code) = run_sbom(&[
        "diff".as_ref(),
        cdx_file.as_os_str(),
        cdx_file.as_os_str(),
        "-f".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        json(&stdout),
        serde_json::json!({"added": [], "removed": [], "changed": []})
    );

    let malformed = write_temp(
        tmp.path(),
        "broken.json",
        "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n  \"components\": [}\n",
    );
    let (stdout, stderr, code) =
        run_sbom(&["diff".as_ref(), cdx_file.as_os_str(), malformed.as_os_str()]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(&format!(
            "error: {}:4:18: expected value",
            malformed.display()
        )),
        "{stderr}"
    );
    let not_sbom = dir("npm-v2/package-lock.json");
    let (_, stderr, code) =
        run_sbom(&["merge".as_ref(), cdx_file.as_os_str(), not_sbom.as_os_str()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("package-lock.json: not a CycloneDX or SPDX JSON document"),
        "{stderr}"
    );
    let missing = tmp.path().join("missing.json");
    let (_, stderr, code) = run_sbom(&["diff".as_ref(), missing.as_os_str(), cdx_file.as_os_str()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.json: cannot read"), "{stderr}");
    // The subcommands leave `chainproof sbom [PATH]` as it was.
    let (stdout, _, code) = run_sbom(&[dir("npm-v2").as_os_str()]);
    assert_eq!(code, 0);
    assert_eq!(
        json(&stdout)["metadata"]["component"]["purl"],
        "pkg:npm/service@2.0.0"
    );
    let (stdout, _, code) = run_sbom(&["--help".as_ref()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("merge") && stdout.contains("diff") && stdout.contains("[PATH]"));
}
