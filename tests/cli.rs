//! End-to-end behaviour of the binary: exit codes, formats, errors, fixes, config.

use std::fs;

use serde_json::Value;

use crate::support::{chainproof, fixtures, root};

const BAD: &str = "tests/fixtures/rules/template-injection/bad-direct.yml";
const GOOD: &str = "tests/fixtures/rules/template-injection/good.yml";

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

#[test]
fn exit_codes_follow_fail_on() {
    chainproof(&root()).args(["lint", GOOD]).assert().code(0);
    chainproof(&root()).args(["lint", BAD]).assert().code(1);
    chainproof(&root())
        .args(["lint", BAD, "--fail-on", "none"])
        .assert()
        .code(0);
    chainproof(&root())
        .args(["lint", BAD, "--fail-on", "critical"])
        .assert()
        .code(0);
    chainproof(&root())
        .args(["lint", BAD, "--fail-on", "bogus"])
        .assert()
        .code(2);
    chainproof(&root())
        .args(["lint", "does/not/exist.yml"])
        .assert()
        .code(2);
    chainproof(&root()).args(["frobnicate"]).assert().code(2);
}

#[test]
fn malformed_yaml_is_an_input_error_and_other_files_are_still_linted() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("broken.yml"),
        "on: push\njobs:\n  a: [unclosed\n",
    )
    .expect("write");
    fs::copy(root().join(BAD), dir.path().join("bad.yml")).expect("copy");
    let out = chainproof(dir.path())
        .args(["lint", "broken.yml", "bad.yml", "-f", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let report = json_of(&out.stdout);
    let err = &report["errors"][0];
    assert_eq!(err["file"], "broken.yml");
    assert!(err["line"].as_u64().unwrap_or(0) >= 3, "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("invalid YAML"),
        "{err}"
    );
    assert!(
        !report["findings"].as_array().expect("findings").is_empty(),
        "the good file was still linted"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yml:"), "{stderr}");
}

#[test]
fn hostile_inputs_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let cases = [
        ("bomb.gitlab-ci.yml", bomb),
        ("deep.gitlab-ci.yml", "[".repeat(200_000)),
        ("binary.gitlab-ci.yml", "\u{0}\u{1}\u{2}: [".to_owned()),
        ("tabs.gitlab-ci.yml", "a:\n\t- b\n".to_owned()),
    ];
    for (name, text) in &cases {
        fs::write(dir.path().join(name), text).expect("write");
    }
    fs::write(
        dir.path().join("huge.gitlab-ci.yml"),
        "# x\n".repeat(3_000_000),
    )
    .expect("write");
    let mut names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
    names.push("huge.gitlab-ci.yml");
    let out = chainproof(dir.path())
        .arg("lint")
        .args(&names)
        .args(["-f", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out.stdout);
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), cases.len() + 1, "{errors:#?}");
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap_or("").contains("larger than"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap_or("").contains("alias bomb"))
    );
}

#[test]
fn json_report_matches_its_schema() {
    let out = chainproof(&root())
        .args(["lint", BAD, "-f", "json"])
        .output()
        .expect("run");
    let report = json_of(&out.stdout);
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(root().join("schemas/report.json")).expect("schema"),
    )
    .expect("json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report["version"], 1);
    // Other rules may report earlier lines of the file: pick this rule's finding.
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "template-injection")
        .expect("a template-injection finding");
    assert_eq!(f["location"]["start"]["line"], 12);
    assert_eq!(f["location"]["start"]["column"], 28);
}

#[test]
fn sarif_is_ready_for_code_scanning() {
    let out = chainproof(&root())
        .args(["lint", BAD, "-f", "sarif"])
        .output()
        .expect("run");
    let sarif = json_of(&out.stdout);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.iter().any(|r| {
        r["id"] == "template-injection"
            && r["help"]["markdown"]
                .as_str()
                .is_some_and(|m| m.contains("## Use instead"))
    }));
    let res = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "template-injection")
        .expect("a template-injection result");
    assert_eq!(res["level"], "error");
    assert_eq!(res["properties"]["severity"], "high");
    assert!(rules[res["ruleIndex"].as_u64().expect("index") as usize]["id"] == res["ruleId"]);
    assert_eq!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        BAD
    );
    assert!(
        res["partialFingerprints"]["chainproof/v1"]
            .as_str()
            .is_some_and(|f| f.len() == 32)
    );
}

#[test]
fn fingerprints_survive_unrelated_edits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = fs::read_to_string(root().join(BAD)).expect("read");
    fs::write(dir.path().join("a.yml"), &text).expect("write");
    let fp = |d: &std::path::Path| {
        let out = chainproof(d)
            .args(["lint", "a.yml", "-f", "json"])
            .output()
            .expect("run");
        let r = json_of(&out.stdout);
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    let before = fp(dir.path());
    fs::write(
        dir.path().join("a.yml"),
        format!("# a new comment\nname: renamed\n{text}"),
    )
    .expect("write");
    let after = fp(dir.path());
    assert_eq!(before, after);
    assert!(!before.is_empty());
}

#[test]
fn github_annotations_and_job_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = dir.path().join("summary.md");
    let out = chainproof(&root())
        .args(["lint", BAD, "-f", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with(&format!("::error file={BAD},line=12,col=28,"))),
        "{stdout}"
    );
    let md = fs::read_to_string(&summary).expect("summary written");
    assert!(
        md.contains("| high |") && md.contains("template-injection"),
        "{md}"
    );
}

#[test]
fn gitlab_code_quality() {
    let out = chainproof(&root())
        .args(["lint", BAD, "-f", "gitlab"])
        .output()
        .expect("run");
    let items = json_of(&out.stdout);
    let first = items
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["check_name"] == "template-injection")
        .expect("a template-injection item");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["location"]["path"], BAD);
    assert_eq!(first["location"]["positions"]["begin"]["line"], 12);
    assert!(first["fingerprint"].as_str().is_some_and(|f| !f.is_empty()));
}

#[test]
fn output_file_and_no_colour_when_piped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("r.json");
    chainproof(&root())
        .args(["lint", BAD, "-f", "json", "-o"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout("");
    assert!(json_of(&fs::read(&file).expect("written"))["findings"].is_array());
    let out = chainproof(&root())
        .args(["lint", BAD])
        .output()
        .expect("run");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains('\u{1b}'),
        "colour codes in piped output"
    );
}

#[test]
fn fix_then_relint_is_clean_and_keeps_comments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = fixtures().join("rules/template-injection/bad-direct.yml");
    let text = format!(
        "# leading comment\n{}",
        fs::read_to_string(src).expect("read")
    );
    fs::write(dir.path().join("w.yml"), &text).expect("write");
    chainproof(dir.path())
        .args(["lint", "w.yml", "--fix", "--fail-on", "none"])
        .assert()
        .code(0);
    let fixed = fs::read_to_string(dir.path().join("w.yml")).expect("read");
    assert!(fixed.starts_with("# leading comment\n"));
    assert!(
        fixed.contains("echo \"Thanks for ${PULL_REQUEST_TITLE}\""),
        "{fixed}"
    );
    assert!(
        fixed.contains("PULL_REQUEST_TITLE: ${{ github.event.pull_request.title }}"),
        "{fixed}"
    );
    assert!(fixed.contains("echo \"on ${BRANCH}\""), "{fixed}");
    let out = chainproof(dir.path())
        .args(["lint", "w.yml", "-f", "json", "--fail-on", "none"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let r = json_of(&out.stdout);
    let remaining: Vec<_> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "template-injection" && f["fix"].is_object())
        .collect();
    assert!(
        remaining.is_empty(),
        "fixable findings left: {remaining:#?}"
    );
    // github-script is not fixed automatically: it stays reported.
    assert!(
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "template-injection")
    );
}

#[test]
fn config_disables_rules_and_bad_config_names_the_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::copy(root().join(BAD), dir.path().join("w.yml")).expect("copy");
    fs::write(
        dir.path().join("chainproof.yml"),
        "disable: [template-injection]\n",
    )
    .expect("write");
    let out = chainproof(dir.path())
        .args(["lint", ".", "w.yml", "-f", "json"])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    assert!(
        r["findings"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["rule"] != "template-injection")
    );
    fs::write(
        dir.path().join("chainproof.yml"),
        "disable: []\nunknown-key: 1\n",
    )
    .expect("write");
    let out = chainproof(dir.path())
        .args(["lint", "w.yml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("chainproof.yml") && err.contains("unknown-key"),
        "{err}"
    );
}

#[test]
fn explain_prints_rule_docs() {
    let out = chainproof(&root())
        .args(["explain", "template-injection"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("## Why is this bad") && text.contains("--fix"),
        "{text}"
    );
    chainproof(&root())
        .args(["explain", "no-such-rule"])
        .assert()
        .code(2);
    let list = chainproof(&root()).args(["explain"]).output().expect("run");
    assert!(String::from_utf8_lossy(&list.stdout).contains("template-injection"));
}

#[test]
fn check_runs_lint_and_says_what_it_skipped() {
    let out = chainproof(&root())
        .args([
            "check",
            "tests/fixtures/rules/template-injection/bad-repo",
            "-f",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let r = json_of(&out.stdout);
    assert!(!r["findings"].as_array().expect("f").is_empty());
    assert!(
        r["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .any(|s| s["what"] == "sbom")
    );
    let out = chainproof(&root())
        .args([
            "check",
            "tests/fixtures/rules/template-injection/bad-repo",
            "-f",
            "sarif",
        ])
        .output()
        .expect("run");
    let sarif = json_of(&out.stdout);
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(
        notes
            .as_array()
            .expect("notifications")
            .iter()
            .any(|n| n["level"] == "note"
                && n["message"]["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("skipped sbom"))),
        "{notes:#}"
    );
}

/// A repository for `check` with an SBOM: a clean workflow, an npm lockfile (npm 11, 3 packages),
/// a corrupt Cargo.lock and a Gemfile without a lockfile.
fn sbom_check_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    fs::create_dir_all(p.join(".github/workflows")).expect("mkdir");
    fs::copy(root().join(GOOD), p.join(".github/workflows/ci.yml")).expect("copy");
    fs::create_dir_all(p.join("web")).expect("mkdir");
    for f in ["package.json", "package-lock.json"] {
        fs::copy(
            fixtures().join("plugins/sbom-repo").join(f),
            p.join("web").join(f),
        )
        .expect("copy");
    }
    fs::create_dir_all(p.join("broken")).expect("mkdir");
    fs::copy(
        fixtures().join("sbom/mixed/broken/Cargo.lock"),
        p.join("broken/Cargo.lock"),
    )
    .expect("copy");
    fs::create_dir_all(p.join("api")).expect("mkdir");
    fs::write(
        p.join("api/Gemfile"),
        "source \"https://rubygems.org\"\ngem \"rake\"\n",
    )
    .expect("write");
    dir
}

#[test]
fn check_includes_the_sbom_and_reports_what_it_could_not_inventory() {
    let repo = sbom_check_repo();
    let out = chainproof(repo.path())
        .args(["check", ".", "-f", "json"])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    // The corrupt lockfile is an input error, as an unreadable workflow is: exit code 2.
    assert_eq!(out.status.code(), Some(2), "{r:#}");
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(root().join("schemas/report.json")).expect("schema"),
    )
    .expect("json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let invalid: Vec<String> = validator.iter_errors(&r).map(|e| e.to_string()).collect();
    assert!(invalid.is_empty(), "{invalid:#?}");
    assert_eq!(
        r["summary"],
        serde_json::json!([{
            "what": "sbom",
            "text": "3 component(s) (npm 3) from 1 lockfile(s); 1 lockfile(s) could not be read"
        }, {
            "what": "release signing",
            "text": "no pipeline publishes artifacts"
        }]),
        "{r:#}"
    );
    let errors = r["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{r:#}");
    assert_eq!(errors[0]["file"], "broken/Cargo.lock");
    assert!(errors[0]["line"].as_u64().is_some_and(|l| l > 0), "{r:#}");
    let skipped: Vec<(&str, &str)> = r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                s["what"].as_str().unwrap_or_default(),
                s["reason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        skipped.contains(&(
            "sbom",
            "api/Gemfile has no lockfile; its dependencies were not inventoried"
        )),
        "{skipped:?}"
    );
    assert_eq!(
        skipped.iter().filter(|(w, _)| *w == "sbom").count(),
        1,
        "the SBOM ran: only the unlocked manifest is skipped: {skipped:?}"
    );
    // Lint ran too.
    assert_eq!(r["files"], serde_json::json!([".github/workflows/ci.yml"]));

    // The text report shows the summary; paths are shown as lint shows them (from the working
    // directory).
    let parent = repo.path().parent().expect("parent");
    let name = repo
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    let out = chainproof(parent)
        .args(["check", name, "--no-color"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        format!("error: {name}/broken/Cargo.lock:"),
        "sbom: 3 component(s) (npm 3) from 1 lockfile(s); 1 lockfile(s) could not be read".into(),
        format!(
            "skipped: sbom ({name}/api/Gemfile has no lockfile; its dependencies were not inventoried)"
        ),
    ] {
        assert!(text.contains(&line), "{line}:\n{text}");
    }
}

#[test]
fn check_counts_sbom_components_by_ecosystem() {
    let repo = sbom_check_repo();
    fs::remove_dir_all(repo.path().join("broken")).expect("rm");
    fs::remove_dir_all(repo.path().join("api")).expect("rm");
    fs::create_dir_all(repo.path().join("core")).expect("mkdir");
    for f in ["Cargo.lock", "Cargo.toml"] {
        fs::copy(
            fixtures().join("sbom/cargo").join(f),
            repo.path().join("core").join(f),
        )
        .expect("copy");
    }
    // The cargo fixture's packages (its expected purls, without the root).
    let cargo = fs::read_to_string(fixtures().join("sbom/cargo/expected.purls"))
        .expect("read")
        .lines()
        .filter(|l| l.starts_with("pkg:cargo/") && !l.ends_with("(root)"))
        .count();
    let out = chainproof(repo.path())
        .args(["check", ".", "-f", "json"])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    assert_eq!(r["errors"], serde_json::json!([]));
    // Two lockfiles: each project's root is a component under the synthetic root.
    assert_eq!(
        r["summary"][0]["text"],
        format!(
            "{} component(s) (cargo {}, npm 4) from 2 lockfile(s)",
            cargo + 1 + 4,
            cargo + 1
        ),
        "{r:#}"
    );
    assert!(
        !r["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .any(|s| s["what"] == "sbom"),
        "{r:#}"
    );
}

/// `check` says which publishing pipelines sign and attest, which do not, and which it cannot
/// judge; and says so when nothing publishes.
#[test]
fn check_reports_release_signing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let wf = p.join(".github/workflows");
    fs::create_dir_all(&wf).expect("mkdir");
    let rules = fixtures().join("rules/unsigned-release");
    for (from, to) in [
        ("good.yml", "signed.yml"),
        ("bad-github.yml", "unsigned.yml"),
        ("good-unknown.yml", "remote.yml"),
        ("good-attest.yml", "attested.yml"),
        ("bad-github.yml", "unsigned2.yml"),
    ] {
        fs::copy(rules.join(from), wf.join(to)).expect("copy");
    }
    // Another project's `sign` component: chainproof cannot tell.
    fs::create_dir_all(p.join("ci")).expect("mkdir");
    fs::copy(
        rules.join("good-gitlab-other-component.yml"),
        p.join("ci/.gitlab-ci.yml"),
    )
    .expect("copy");
    fs::copy(
        rules.join("good-gitlab-local.yml"),
        p.join(".gitlab-ci.yml"),
    )
    .expect("copy");
    let out = chainproof(p)
        .args(["check", ".", "-f", "json"])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{r:#}");
    let release: Vec<&Value> = r["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .filter(|s| s["what"] == "release signing")
        .collect();
    assert_eq!(
        release,
        vec![&serde_json::json!({
            "what": "release signing",
            "text": "6 publishing pipeline(s): 1 signs and attests, \
                1 attests but does not sign (.github/workflows/attested.yml), \
                2 do not sign or attest (.github/workflows/unsigned.yml, .github/workflows/unsigned2.yml), \
                for 2 chainproof cannot tell (.github/workflows/remote.yml: job `sign` calls the \
                reusable workflow `example/workflows/.github/workflows/sign-image.yml@0123456789abcdef0123456789abcdef01234567`, \
                which chainproof does not read; ci/.gitlab-ci.yml: includes the component \
                `$CI_SERVER_FQDN/example/tools/sign@0123456789abcdef0123456789abcdef01234567`, \
                which chainproof does not read)"
        })],
        "{r:#}"
    );
    let unsigned: Vec<&Value> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "unsigned-release")
        .collect();
    assert_eq!(unsigned.len(), 8, "{r:#}");
    assert!(
        unsigned.iter().all(|f| matches!(
            f["location"]["file"].as_str(),
            Some(".github/workflows/unsigned.yml" | ".github/workflows/unsigned2.yml")
        )),
        "{r:#}"
    );

    // Nothing publishes: said so, in the text report too.
    for f in [
        "signed.yml",
        "unsigned.yml",
        "unsigned2.yml",
        "remote.yml",
        "attested.yml",
    ] {
        fs::remove_file(wf.join(f)).expect("rm");
    }
    fs::remove_dir_all(p.join("ci")).expect("rm");
    fs::copy(root().join(GOOD), wf.join("ci.yml")).expect("copy");
    let out = chainproof(p)
        .args(["check", ".", "--no-color"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("release signing: no pipeline publishes artifacts\n"),
        "{text}"
    );

    // A pipeline file that cannot be read is not counted, and the summary says so.
    fs::write(wf.join("broken.yml"), "jobs: [\n").expect("write");
    let out = chainproof(p)
        .args(["check", ".", "--no-color"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("release signing: no pipeline publishes artifacts; 1 pipeline file(s) could not be read and are not counted\n"),
        "{text}"
    );
}

/// This repository's own `chainproof check` is clean (its chainproof.yml excludes the fixtures).
#[test]
fn check_of_this_repository_is_clean() {
    let out = chainproof(&root())
        .args(["check", ".", "-f", "json"])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    assert_eq!(r["errors"], serde_json::json!([]), "{r:#}");
    let sbom = r["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|s| s["what"] == "sbom")
        .and_then(|s| s["text"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(sbom.contains("cargo "), "{r:#}");
}

#[test]
fn fix_inserts_missing_permissions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = fixtures().join("rules/excessive-permissions/bad-missing.yml");
    let original = fs::read_to_string(src).expect("read");
    fs::write(dir.path().join("w.yml"), &original).expect("write");
    chainproof(dir.path())
        .args(["lint", "w.yml", "--fix", "--fail-on", "none"])
        .assert()
        .code(0);
    let fixed = fs::read_to_string(dir.path().join("w.yml")).expect("read");
    assert!(
        fixed.contains("pull_request:\n\npermissions:\n  contents: read\n# The jobs\njobs:\n"),
        "{fixed}"
    );
    assert_eq!(
        fixed.replace("permissions:\n  contents: read\n", ""),
        original,
        "only the permissions block is added"
    );
    let out = chainproof(dir.path())
        .args(["lint", "w.yml", "-f", "json", "--fail-on", "none"])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    assert!(
        r["errors"].as_array().expect("errors").is_empty(),
        "the fixed file parses: {r}"
    );
    let left: Vec<_> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "excessive-permissions")
        .collect();
    assert!(left.is_empty(), "{left:#?}");
}

#[test]
fn secrets_never_reach_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    let password = "s3cr3t-Passw0rd-xyz";
    fs::write(
        dir.path().join("ci.yml"),
        format!(
            "on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    env:\n      API_TOKEN: {token}\n      DB_PASSWORD: {password}\n    steps:\n      - run: make\n"
        ),
    )
    .expect("write");
    for format in ["text", "json", "sarif", "github", "gitlab"] {
        let out = chainproof(dir.path())
            .args(["lint", "ci.yml", "--fail-on", "none", "-f", format])
            .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
            .output()
            .expect("run");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("hardcoded-credentials"), "{format}: {all}");
        assert!(
            !all.contains(token) && !all.contains(password),
            "{format} leaks a secret:\n{all}"
        );
    }
    let summary = fs::read_to_string(dir.path().join("summary.md")).expect("summary");
    assert!(!summary.contains(token) && !summary.contains(password));
}

#[test]
fn fix_sets_persist_credentials_false() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = fixtures().join("rules/persisted-git-credentials/bad-default.yml");
    fs::copy(src, dir.path().join("w.yml")).expect("copy");
    chainproof(dir.path())
        .args(["lint", "w.yml", "--fix", "--fail-on", "none"])
        .assert()
        .code(0);
    let fixed = fs::read_to_string(dir.path().join("w.yml")).expect("read");
    assert!(
        fixed.contains(
            "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n        with:\n          persist-credentials: false\n      - run: make test"
        ),
        "{fixed}"
    );
    assert!(
        fixed.contains("        with:\n          persist-credentials: false\n          repository: example/tools"),
        "{fixed}"
    );
    let out = chainproof(dir.path())
        .args(["lint", "w.yml", "-f", "json", "--fail-on", "none"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "the fixed file still parses");
    let r = json_of(&out.stdout);
    assert!(
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["rule"] != "persisted-git-credentials"),
        "{r:#}"
    );
}

#[test]
fn inline_ignores_including_zizmor_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("w.yml"),
        "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \"${{ github.event.issue.title }}\" # chainproof: ignore[template-injection] sanitised\n      # zizmor: ignore[template-injection]\n      - run: echo \"${{ github.event.issue.body }}\"\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # zizmor: ignore[artipacked]\n      - run: echo \"${{ github.event.issue.title }}\" # chainproof: ignore[unpinned-uses]\n",
    )
    .expect("write");
    let out = chainproof(dir.path())
        .args(["lint", "w.yml", "-f", "json"])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    let rules: Vec<(&str, u64)> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or(""),
                f["location"]["start"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![("template-injection", 11)],
        "only the last step, whose comment names another rule"
    );
    assert_eq!(r["suppressed"], 3);
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `--online --fix` pins tags and branches to SHAs, resolving them with `git ls-remote` against a
/// stand-in for github.com: local repositories behind a git `insteadOf` rewrite.
#[test]
fn online_fix_pins_refs_to_commit_shas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("work");
    fs::create_dir_all(&work).expect("mkdir");
    git(&work, &["init", "-q"]);
    fs::write(
        work.join("action.yml"),
        "name: deploy\nruns: {using: node20, main: x.js}\n",
    )
    .expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "one"]);
    git(&work, &["tag", "-a", "v1", "-m", "release 1"]);
    let v1 = git(&work, &["rev-parse", "v1^{commit}"]);
    fs::write(work.join("x.js"), "// two\n").expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "two"]);
    let main = git(&work, &["rev-parse", "HEAD"]);
    let remotes = dir.path().join("remotes/acme");
    fs::create_dir_all(&remotes).expect("mkdir");
    git(
        dir.path(),
        &["clone", "-q", "--bare", "work", "remotes/acme/deploy"],
    );

    let repo = dir.path().join("repo");
    fs::create_dir_all(&repo).expect("mkdir");
    fs::write(
        repo.join("w.yml"),
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: acme/deploy@v1\n      - uses: acme/deploy@main # follows main\n      - uses: acme/missing@v2\n",
    )
    .expect("write");
    let rewrite = format!("file://{}/", dir.path().join("remotes").display());
    let run = |args: &[&str]| {
        chainproof(&repo)
            .args(args)
            .env("GITHUB_TOKEN", "token-that-must-not-leak")
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", format!("url.{rewrite}.insteadOf"))
            .env("GIT_CONFIG_VALUE_0", "https://github.com/")
            .output()
            .expect("run")
    };
    // Without --online nothing is resolved: no pin fix is offered.
    let out = run(&["lint", "w.yml", "-f", "json", "--fail-on", "none"]);
    let r = json_of(&out.stdout);
    assert!(
        r["findings"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["fix"].is_null()),
        "{r:#}"
    );

    let out = run(&[
        "lint",
        "w.yml",
        "--online",
        "--fix",
        "-f",
        "json",
        "--fail-on",
        "none",
    ]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("token-that-must-not-leak"), "{all}");
    let fixed = fs::read_to_string(repo.join("w.yml")).expect("read");
    assert!(
        fixed.contains(&format!("      - uses: acme/deploy@{v1} # v1\n")),
        "{fixed}"
    );
    assert!(
        fixed.contains(&format!(
            "      - uses: acme/deploy@{main} # follows main\n"
        )),
        "{fixed}"
    );
    assert!(fixed.contains("      - uses: acme/missing@v2\n"), "{fixed}");
    let r = json_of(&out.stdout);
    let unpinned: Vec<_> = r["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter(|f| f["rule"] == "unpinned-uses")
        .collect();
    assert_eq!(
        unpinned.len(),
        1,
        "only the unresolvable one is left: {unpinned:#?}"
    );
    assert!(
        r["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .any(|s| s["what"]
                .as_str()
                .is_some_and(|w| w.contains("acme/missing@v2"))),
        "what could not be resolved is said: {r:#}"
    );
}
