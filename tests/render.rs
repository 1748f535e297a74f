//! `chainproof render` and `chainproof templates list`, and the rendered pipelines checked by the
//! independent tools `scripts/install-test-tools.sh` puts in `.tools/`: jactionlint and
//! check-jsonschema (GitHub), gitlab-ci-local `--preview`/`--list` with our components resolved
//! offline, and check-jsonschema (GitLab), plus our own linter with zero findings at `info`. A
//! missing tool fails the test; nothing is skipped.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainproof_pipeline::yaml::{self, Node};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::plugins::{JACTIONLINT, check_component_inputs};
use crate::support::{chainproof, ci_vars, root};

/// The host the consumer repositories' `origin` names (gitlab-ci-local resolves `$CI_SERVER_FQDN`
/// and fetches other projects' components from it, over ssh).
const GITLAB_HOST: &str = "gitlab.example.com";

fn names() -> Vec<&'static str> {
    chainproof_catalog::templates()
        .iter()
        .map(|t| t.name)
        .collect()
}

// --- tools ---------------------------------------------------------------------------------------

/// A test tool as tests/plugins.rs runs it, with no git configuration but the tests'.
fn tool(name: &str) -> Command {
    let mut cmd = crate::plugins::tool(name);
    no_git_config(&mut cmd);
    cmd
}

/// No `GIT_*` variable of the machine, no global or system git configuration.
fn no_git_config(cmd: &mut Command) {
    for k in ci_vars(&[], &["GIT_"]) {
        cmd.env_remove(&k);
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null");
    cmd.env("GIT_CONFIG_NOSYSTEM", "1");
}

fn ok(cmd: &mut Command, what: &str) -> String {
    crate::plugins::assert_ok(cmd, what).stdout
}

fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = crate::support::git(dir);
    crate::plugins::hermetic(&mut cmd, &[]);
    no_git_config(&mut cmd);
    cmd.args(args);
    ok(&mut cmd, &format!("git {args:?}")).trim().to_owned()
}

// --- rendering -----------------------------------------------------------------------------------

/// Renders `name` with `values` through the CLI into a fresh directory.
fn render_cli(name: &str, values: &Value) -> TempDir {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("values.json");
    fs::write(&file, values.to_string()).expect("write");
    let dir = out.path().join("repo");
    let run = chainproof(out.path())
        .args(["render", "--template", name, "--values"])
        .arg(&file)
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("run");
    assert!(
        run.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    fs::remove_file(&file).expect("rm");
    out
}

fn repo(out: &TempDir) -> PathBuf {
    out.path().join("repo")
}

/// Our linter on `dir`: zero findings and zero errors at `--fail-on info`, `files` files linted.
fn lint_clean(dir: &Path, what: &str, files: usize) {
    let out = chainproof(dir)
        .args(["lint", ".", "--format", "json", "--fail-on", "info"])
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["findings"], json!([]), "{what}: {report:#}");
    assert_eq!(report["errors"], json!([]), "{what}: {report:#}");
    assert_eq!(
        report["files"].as_array().map(Vec::len),
        Some(files),
        "{what}: {report:#}"
    );
    assert_eq!(out.status.code(), Some(0), "{what}: {report:#}");
}

#[test]
fn every_template_renders_its_example_values_and_lints_clean() {
    for name in names() {
        let values = chainproof_catalog::example_values(name).expect("example");
        let out = render_cli(name, &values);
        let expected = if name.starts_with("github") {
            ".github/workflows/ci.yml"
        } else {
            ".gitlab-ci.yml"
        };
        let text = fs::read_to_string(repo(&out).join(expected))
            .unwrap_or_else(|e| panic!("{name}: {expected}: {e}"));
        let api = chainproof_catalog::render(name, &values).expect("render");
        assert_eq!(
            api.files[expected], text,
            "{name}: the CLI writes what the API renders"
        );
        for word in ["True", "False", "None"] {
            assert!(
                !text.contains(&format!(": {word}")) && !text.contains(&format!("\"{word}\"")),
                "{name}: a Python-style {word} in\n{text}"
            );
        }
        lint_clean(&repo(&out), name, 1);
        // Every switch off too.
        let mut values = values;
        values["sign_release"] = json!(false);
        if name.starts_with("github") {
            values["upload_sarif"] = json!(!values["upload_sarif"].as_bool().unwrap_or(false));
        }
        let out = render_cli(name, &values);
        lint_clean(&repo(&out), &format!("{name} (variant)"), 1);
    }
}

// --- GitHub ----------------------------------------------------------------------------------------

#[test]
fn github_templates_pass_jactionlint_and_the_workflow_schema() {
    // One repository holding every rendered workflow, twice: as rendered, and with our actions
    // turned into `./actions/<x>` (linked to this checkout) so jactionlint checks the inputs we pass.
    let dir = tempfile::tempdir().expect("tempdir");
    let wf = dir.path().join(".github/workflows");
    fs::create_dir_all(&wf).expect("mkdir");
    symlink(root().join("actions"), dir.path().join("actions")).expect("symlink");
    let mut files = Vec::new();
    for name in names().into_iter().filter(|n| n.starts_with("github")) {
        let values = chainproof_catalog::example_values(name).expect("example");
        let sha = values["chainproof_sha"].as_str().expect("sha").to_owned();
        let mut variants = vec![values.clone()];
        let mut other = values.clone();
        other["upload_sarif"] = json!(!values["upload_sarif"].as_bool().unwrap_or(false));
        other["working_directory"] = json!("app");
        if name == "github-container" {
            other
                .as_object_mut()
                .expect("map")
                .remove("working_directory");
            other["context"] = json!("docker/app");
            other["dockerfile"] = json!("docker/app/Containerfile");
        }
        variants.push(other);
        for (i, v) in variants.iter().enumerate() {
            let rendered = chainproof_catalog::render(name, v).expect("render");
            let text = &rendered.files[".github/workflows/ci.yml"];
            let file = format!(".github/workflows/{name}-{i}.yml");
            fs::write(dir.path().join(&file), text).expect("write");
            files.push(file);
            let mut local = text.clone();
            for action in ["lint", "sbom", "scan", "setup"] {
                local = local.replace(
                    &format!("chainproof/chainproof/actions/{action}@{sha} # v0.1.0"),
                    &format!("./actions/{action}"),
                );
            }
            assert!(!local.contains("chainproof/chainproof/"), "{local}");
            let file = format!(".github/workflows/{name}-{i}-local.yml");
            fs::write(dir.path().join(&file), local).expect("write");
            files.push(file);
        }
    }
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "rendered"]);
    ok(
        tool("jactionlint")
            .current_dir(dir.path())
            .args(JACTIONLINT)
            .args(&files),
        "jactionlint on the rendered GitHub templates",
    );
    ok(
        tool("check-jsonschema")
            .current_dir(dir.path())
            .args(["--builtin-schema", "vendor.github-workflows"])
            .args(&files),
        "check-jsonschema vendor.github-workflows on the rendered GitHub templates",
    );
}

// --- GitLab ----------------------------------------------------------------------------------------

/// A bare repository `chainproof/chainproof.git` under the returned directory, laid out as the
/// component project is published (`templates/` at its root, from gitlab-components/), and the SHA
/// of its commit. `uploadArchive.allowUnreachable` lets `git archive --remote` take a SHA.
fn component_project() -> (TempDir, String) {
    let root_dir = tempfile::tempdir().expect("tempdir");
    let work = root_dir.path().join("work");
    fs::create_dir_all(work.join("templates")).expect("mkdir");
    for entry in fs::read_dir(root().join("gitlab-components/templates")).expect("read_dir") {
        let entry = entry.expect("entry");
        fs::copy(entry.path(), work.join("templates").join(entry.file_name())).expect("copy");
    }
    git(&work, &["init", "-q"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "components"]);
    let sha = git(&work, &["rev-parse", "HEAD"]);
    let bare = root_dir.path().join("chainproof/chainproof.git");
    git(
        root_dir.path(),
        &[
            "clone",
            "-q",
            "--bare",
            &work.to_string_lossy(),
            &bare.to_string_lossy(),
        ],
    );
    git(&bare, &["config", "uploadArchive.allowUnreachable", "true"]);
    (root_dir, sha)
}

/// gitlab-ci-local in `repo`, with git fetches of `ssh://git@gitlab.example.com:22/<project>.git`
/// rewritten to the bare repositories under `projects` (no network).
fn gitlab_ci_local(repo: &Path, projects: &Path) -> Command {
    let mut cmd = tool("gitlab-ci-local");
    cmd.current_dir(repo)
        .env("GIT_CONFIG_COUNT", "1")
        .env(
            "GIT_CONFIG_KEY_0",
            format!("url.file://{}/.insteadOf", projects.display()),
        )
        .env("GIT_CONFIG_VALUE_0", format!("ssh://git@{GITLAB_HOST}:22/"));
    cmd
}

/// A rendered GitLab pipeline includes the lint, sbom and scan components and passes them only
/// inputs they have, with values among their `options`.
fn check_lint_sbom_scan_inputs(what: &str, gitlab_ci: &str) {
    let docs = yaml::parse(gitlab_ci, 0).expect("parse");
    let includes = docs[0].get("include").map(Node::items).unwrap_or_default();
    assert_eq!(includes.len(), 3, "{what}: lint, sbom and scan");
    assert!(
        includes.iter().all(|i| i.get("component").is_some()),
        "{what}: an include that is not a component"
    );
    check_component_inputs(what, gitlab_ci);
}

#[test]
fn gitlab_templates_pass_gitlab_ci_local_and_the_gitlab_schema() {
    let (projects, sha) = component_project();
    for name in names().into_iter().filter(|n| n.starts_with("gitlab")) {
        let mut values = chainproof_catalog::example_values(name).expect("example");
        values["chainproof_sha"] = json!(sha);
        let out = render_cli(name, &values);
        let dir = repo(&out);
        let text = fs::read_to_string(dir.join(".gitlab-ci.yml")).expect("read");
        check_lint_sbom_scan_inputs(name, &text);
        git(&dir, &["init", "-q"]);
        git(
            &dir,
            &[
                "remote",
                "add",
                "origin",
                &format!("git@{GITLAB_HOST}:example/app.git"),
            ],
        );
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", "rendered"]);
        git(&dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
        git(
            &dir,
            &[
                "symbolic-ref",
                "refs/remotes/origin/HEAD",
                "refs/remotes/origin/main",
            ],
        );
        let preview = ok(
            gitlab_ci_local(&dir, projects.path()).arg("--preview"),
            &format!("gitlab-ci-local --preview of {name}"),
        );
        for job in ["chainproof-lint:", "chainproof-sbom:", "chainproof-scan:"] {
            assert!(
                preview.contains(job),
                "{name}: {job} not included:\n{preview}"
            );
        }
        assert!(!preview.contains("$[["), "{name}: inputs left:\n{preview}");
        let image = values["chainproof_image"].as_str().expect("image");
        assert!(
            preview.contains(&format!("name: {image}")),
            "{name}: the components run in chainproof_image:\n{preview}"
        );
        let checked = tempfile::tempdir().expect("tempdir");
        fs::write(checked.path().join(".gitlab-ci.yml"), &preview).expect("write");
        ok(
            tool("check-jsonschema")
                .args(["--builtin-schema", "vendor.gitlab-ci"])
                .arg(checked.path().join(".gitlab-ci.yml")),
            &format!("check-jsonschema vendor.gitlab-ci on the preview of {name}"),
        );
        lint_clean(checked.path(), &format!("the preview of {name}"), 1);
        let list = ok(
            gitlab_ci_local(&dir, projects.path()).arg("--list"),
            &format!("gitlab-ci-local --list of {name}"),
        );
        for job in ["chainproof-lint", "chainproof-sbom", "chainproof-scan"] {
            assert!(list.contains(job), "{name}: {job} not listed:\n{list}");
        }
    }
}

// --- the CLI ---------------------------------------------------------------------------------------

#[test]
fn templates_list_prints_every_template_as_json_and_text() {
    let out = chainproof(&root())
        .args(["templates", "list", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    let listed: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(listed, names());
    assert_eq!(list[0]["platform"], "github");
    assert!(
        list[0]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    let text = chainproof(&root())
        .args(["templates", "list"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.lines().count(), 10, "{text}");
    assert!(
        text.contains("gitlab-python") && text.contains("gitlab "),
        "{text}"
    );
}

const SHA: &str = "e345bb857c53f17dff268cf2a83eacfd87a3bbf6";

fn render_args(dir: &Path) -> Vec<String> {
    vec![
        "render".into(),
        "--template".into(),
        "github-go".into(),
        "--param".into(),
        format!("chainproof_sha={SHA}"),
        "--param".into(),
        "chainproof_version=v0.1.0".into(),
        "--out".into(),
        dir.to_string_lossy().into_owned(),
    ]
}

#[test]
fn render_writes_the_files_and_refuses_to_overwrite_changed_ones() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let file = dir.join(".github/workflows/ci.yml");
    let run = chainproof(tmp.path())
        .args(render_args(&dir))
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("wrote "));
    let first = fs::read_to_string(&file).expect("written");
    assert!(
        first.contains(&format!("actions/scan@{SHA} # v0.1.0")),
        "{first}"
    );

    // The same values again: nothing changes, nothing is refused.
    let again = chainproof(tmp.path())
        .args(render_args(&dir))
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("unchanged "));

    // A hand edit (or other values) is not overwritten without --force.
    fs::write(&file, "# edited by hand\n").expect("edit");
    let mut args = render_args(&dir);
    args.extend(["--param".into(), "go_version=1.23".into()]);
    let refused = chainproof(tmp.path()).args(&args).output().expect("run");
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("--force") && err.contains("ci.yml"), "{err}");
    assert_eq!(
        fs::read_to_string(&file).expect("read"),
        "# edited by hand\n"
    );

    args.push("--force".into());
    let forced = chainproof(tmp.path()).args(&args).output().expect("run");
    assert_eq!(forced.status.code(), Some(0), "{forced:?}");
    let text = fs::read_to_string(&file).expect("read");
    assert!(text.contains("GO_VERSION: \"1.23\""), "{text}");
}

#[test]
fn render_reads_values_files_and_params_override_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let values = tmp.path().join("values.yaml");
    fs::write(
        &values,
        format!(
            "chainproof_sha: {SHA}\nchainproof_version: v0.1.0\nrust_toolchain: '1.85.0'\nupload_sarif: false\ntimeout_minutes: 20\n"
        ),
    )
    .expect("write");
    let dir = tmp.path().join("out");
    let run = chainproof(tmp.path())
        .args(["render", "--template", "github-rust", "--values"])
        .arg(&values)
        .args([
            "--param",
            "upload_sarif=true",
            "--param",
            "timeout_minutes=45",
        ])
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let text = fs::read_to_string(dir.join(".github/workflows/ci.yml")).expect("read");
    assert!(text.contains("RUSTUP_TOOLCHAIN: \"1.85.0\""), "{text}");
    assert!(text.contains("upload-sarif: \"true\""), "{text}");
    assert!(text.contains("security-events: write"), "{text}");
    assert!(text.contains("timeout-minutes: 45") && !text.contains("timeout-minutes: 20"));
}

#[test]
fn render_rejects_unknown_templates_keys_and_unsafe_values_with_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "render".into(),
                "--template".into(),
                "github-cobol".into(),
                "--out".into(),
                dir.to_string_lossy().into_owned(),
            ],
            "unknown template `github-cobol`",
        ),
        (
            [
                render_args(&dir),
                vec!["--param".into(), "go_verison=1.23".into()],
            ]
            .concat(),
            "go_verison: unknown parameter",
        ),
        (
            [
                render_args(&dir),
                vec!["--param".into(), "go_version=1.80\n  run: curl evil".into()],
            ]
            .concat(),
            "go_version: ",
        ),
        (
            [
                render_args(&dir),
                vec!["--param".into(), "working_directory=../elsewhere".into()],
            ]
            .concat(),
            "working_directory: ",
        ),
        (
            [
                render_args(&dir),
                vec!["--param".into(), "timeout_minutes=forever".into()],
            ]
            .concat(),
            "timeout_minutes: ",
        ),
        (
            vec![
                "render".into(),
                "--template".into(),
                "github-go".into(),
                "--param".into(),
                "chainproof_version=v0.1.0".into(),
                "--out".into(),
                dir.to_string_lossy().into_owned(),
            ],
            "chainproof_sha",
        ),
    ];
    for (args, expected) in cases {
        let out = chainproof(tmp.path()).args(&args).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(expected),
            "{args:?}: expected {expected:?} in {err}"
        );
    }
    assert!(!dir.exists(), "nothing is written for rejected values");

    // A values file must be JSON or YAML by its name, and a mapping.
    let bad = tmp.path().join("values.txt");
    fs::write(&bad, "{}").expect("write");
    let out = chainproof(tmp.path())
        .args(["render", "--template", "github-go", "--values"])
        .arg(&bad)
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let list = tmp.path().join("values.json");
    fs::write(&list, "[1, 2]").expect("write");
    let out = chainproof(tmp.path())
        .args(["render", "--template", "github-go", "--values"])
        .arg(&list)
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mapping"));
}

/// Runs `chainproof render` of github-go into `dir` with `extra` arguments.
fn render_go(tmp: &Path, dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = render_args(dir);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    chainproof(tmp).args(&args).output().expect("run")
}

#[test]
fn render_updates_unedited_older_renderings_without_force() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let file = dir.join(".github/workflows/ci.yml");
    let first = render_go(tmp.path(), &dir, &["--param", "go_version=1.24"]);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let text = fs::read_to_string(&file).expect("read");
    assert!(
        text.starts_with("# chainproof-render: sha256="),
        "the first line records the hash: {text}"
    );
    assert!(chainproof_catalog::is_unedited_render(&text));

    // Other values over an unedited rendering: updated without --force. A hard link to the old
    // file keeps the old text: the new one was written to a temporary file and renamed.
    let link = tmp.path().join("old-ci.yml");
    fs::hard_link(&file, &link).expect("link");
    let second = render_go(tmp.path(), &dir, &["--param", "go_version=1.23"]);
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    assert!(String::from_utf8_lossy(&second.stdout).contains("updated "));
    let updated = fs::read_to_string(&file).expect("read");
    assert!(updated.contains("GO_VERSION: \"1.23\""), "{updated}");
    assert_eq!(fs::read_to_string(&link).expect("read"), text);
    let leftovers: Vec<_> = fs::read_dir(dir.join(".github/workflows"))
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers, ["ci.yml"], "no temporary file left");

    // One character edited below the header: the hash no longer matches, --force is needed.
    let edited = updated.replace("go vet ./...", "go vet ./cmd/...");
    fs::write(&file, &edited).expect("edit");
    let refused = render_go(tmp.path(), &dir, &["--param", "go_version=1.22"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(fs::read_to_string(&file).expect("read"), edited);
    let forced = render_go(tmp.path(), &dir, &["--param", "go_version=1.22", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{forced:?}");
    assert!(String::from_utf8_lossy(&forced.stdout).contains("overwrote "));
}

#[test]
fn render_refuses_symbolic_links_anywhere_under_out() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).expect("mkdir");

    // A linked directory component, even with --force: nothing is written through it.
    let dir = tmp.path().join("out");
    fs::create_dir_all(&dir).expect("mkdir");
    symlink("../elsewhere", dir.join(".github")).expect("symlink");
    let out = render_go(tmp.path(), &dir, &["--force"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".github: is a symbolic link"), "{err}");
    assert_eq!(fs::read_dir(&elsewhere).expect("read_dir").count(), 0);

    // A linked directory deeper down.
    let dir = tmp.path().join("out2");
    fs::create_dir_all(dir.join(".github")).expect("mkdir");
    symlink(&elsewhere, dir.join(".github/workflows")).expect("symlink");
    let out = render_go(tmp.path(), &dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("workflows: is a symbolic link"));
    assert_eq!(fs::read_dir(&elsewhere).expect("read_dir").count(), 0);

    // The file itself, even when it points at a missing target.
    let dir = tmp.path().join("out3");
    fs::create_dir_all(dir.join(".github/workflows")).expect("mkdir");
    symlink(
        elsewhere.join("ci.yml"),
        dir.join(".github/workflows/ci.yml"),
    )
    .expect("symlink");
    let out = render_go(tmp.path(), &dir, &["--force"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!elsewhere.join("ci.yml").exists());

    // A component that is a file is an error, not "absent".
    let dir = tmp.path().join("out4");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join(".github"), "not a directory").expect("write");
    let out = render_go(tmp.path(), &dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a directory"));
}
