//! The pipeline plugins (`actions/`, `gitlab-components/`) and this repository's own workflows,
//! checked and run by the real tools that `scripts/install-test-tools.sh` puts in `.tools/`:
//! jactionlint and shellcheck, check-jsonschema (GitHub, GitLab and SARIF 2.1.0 schemas), act in host
//! mode and gitlab-ci-local with the shell executor. A missing tool fails the test with the command
//! that installs it; nothing is skipped.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chainproof_pipeline::yaml::{self, Node};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::{
    INSTALL_HINT, chainproof, ci_vars, fixtures, path_with, root, test_tool, tools_bin,
};

/// Inputs that set no CLI option: they only steer the wrapper. Each is documented in the wrapper's
/// README and action.yml/template.
const WRAPPER_ONLY: &[(&str, &str)] = &[
    ("actions/setup", "version"),
    ("actions/setup", "profile"),
    ("actions/lint", "sarif-file"),
    ("actions/lint", "upload-sarif"),
    ("actions/lint", "version"),
    ("actions/lint", "profile"),
    ("gitlab-components/lint", "stage"),
    ("gitlab-components/lint", "version"),
    ("gitlab-components/lint", "image"),
    ("actions/sbom", "upload-artifact"),
    ("actions/sbom", "artifact-name"),
    ("actions/sbom", "version"),
    ("actions/sbom", "profile"),
    ("gitlab-components/sbom", "stage"),
    ("gitlab-components/sbom", "version"),
    ("gitlab-components/sbom", "image"),
    ("actions/scan", "update-db"),
    ("actions/scan", "sarif-file"),
    ("actions/scan", "upload-sarif"),
    ("actions/scan", "version"),
    ("actions/scan", "profile"),
    ("gitlab-components/scan", "stage"),
    ("gitlab-components/scan", "update_db"),
    ("gitlab-components/scan", "version"),
    ("gitlab-components/scan", "image"),
    ("actions/sign", "bundle-dir"),
    ("actions/sign", "bundle-suffix"),
    ("actions/sign", "version"),
    ("actions/sign", "profile"),
    ("gitlab-components/sign", "stage"),
    ("gitlab-components/sign", "bundle_dir"),
    ("gitlab-components/sign", "bundle_suffix"),
    ("gitlab-components/sign", "version"),
    ("gitlab-components/sign", "image"),
    ("gitlab-components/sign", "when_ref"),
    ("actions/verify", "version"),
    ("actions/verify", "profile"),
    ("gitlab-components/verify", "stage"),
    ("gitlab-components/verify", "version"),
    ("gitlab-components/verify", "image"),
    ("gitlab-components/verify", "when_ref"),
];

/// Inputs that set an option of another name, or of another subcommand: (wrapper, input,
/// subcommand, long flag or lower-case argument name). The sign wrappers run `chainproof attest`
/// when `type` is set.
const MAPPED: &[(&str, &str, &str, &str)] = &[
    ("actions/sign", "files", "sign", "file"),
    ("actions/sign", "type", "attest", "type"),
    ("actions/sign", "predicate", "attest", "predicate"),
    ("gitlab-components/sign", "files", "sign", "file"),
    ("gitlab-components/sign", "type", "attest", "type"),
    ("gitlab-components/sign", "predicate", "attest", "predicate"),
];

/// jactionlint's strictest profile. `self-repository` asks for `uses: $/path` instead of `./path`: that
/// syntax needs runner 2.336.0 or newer and act does not understand it, so our workflows keep `./`.
pub(crate) const JACTIONLINT: &[&str] = &[
    "--profile=pedantic",
    "--strict-exit",
    "--no-online",
    "--no-color",
    "--ignore=self-repository",
];

/// The commit the act fixture names `chainproof/chainproof` at (act maps it to this checkout).
const FAKE_SHA: &str = "0000000000000000000000000000000000000000";

// --- tools and processes ------------------------------------------------------------------------

/// An external test tool from `.tools/bin`, with `extra_path` and `.tools/bin` first on PATH and
/// nothing of the CI the tests run in (`CI`, `GITHUB_*`, `GITLAB_*`, `CI_*`, `RUNNER_*`, ...).
fn tool_with_path(name: &str, extra_path: &[&Path]) -> Command {
    let mut cmd = Command::new(test_tool(&format!("bin/{name}")));
    hermetic(&mut cmd, extra_path);
    cmd
}

pub(crate) fn tool(name: &str) -> Command {
    tool_with_path(name, &[])
}

pub(crate) fn hermetic(cmd: &mut Command, extra_path: &[&Path]) {
    let leaks = [
        "GITHUB_",
        "GITLAB_",
        "CI_",
        "RUNNER_",
        "ACTIONS_",
        "INPUT_",
        "CHAINPROOF_",
        "SETUP_",
        "LINT_",
        "SBOM_",
        "SCAN_",
        "SIGN_",
        "VERIFY_",
        "SIGSTORE_",
    ];
    for k in ci_vars(&["CI", "NO_COLOR"], &leaks) {
        cmd.env_remove(&k);
    }
    let mut path: Vec<PathBuf> = extra_path.iter().map(|p| p.to_path_buf()).collect();
    path.push(tools_bin());
    cmd.env("PATH", path_with(path));
    cmd.stdin(Stdio::null());
}

pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub(crate) fn assert_ok(cmd: &mut Command, what: &str) -> Run {
    let r = run(cmd);
    assert_eq!(r.code, Some(0), "{what} failed:\n{}", r.text());
    r
}

// --- files --------------------------------------------------------------------------------------

/// Files directly in `dir` (relative to the repository root) whose name passes `keep`, sorted.
fn files_in(dir: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(root().join(dir))
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| keep(n))
                .map(|n| format!("{dir}/{n}"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yml") || name.ends_with(".yaml")
}

fn workflows() -> Vec<String> {
    let w = files_in(".github/workflows", is_yaml);
    assert!(!w.is_empty(), "no workflow in .github/workflows");
    w
}

/// `actions/<name>` folders.
fn action_dirs() -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(root().join("actions"))
        .expect("actions/")
        .flatten()
        .filter(|e| e.path().join("action.yml").is_file())
        .filter_map(|e| e.file_name().to_str().map(|n| format!("actions/{n}")))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no action in actions/");
    out
}

fn action_files() -> Vec<String> {
    action_dirs()
        .into_iter()
        .map(|d| format!("{d}/action.yml"))
        .collect()
}

fn component_templates() -> Vec<String> {
    let t = files_in("gitlab-components/templates", is_yaml);
    assert!(!t.is_empty(), "no component in gitlab-components/templates");
    t
}

fn shell_scripts() -> Vec<String> {
    let mut out = Vec::new();
    for d in action_dirs() {
        out.extend(files_in(&d, |n| n.ends_with(".sh")));
    }
    out.extend(files_in("scripts", |n| n.ends_with(".sh")));
    out
}

fn read(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

fn parse_yaml(rel: &str) -> Vec<Node> {
    yaml::parse(&read(rel), 0).unwrap_or_else(|e| panic!("{rel}: {e:?}"))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn write_executable(path: &Path, text: &str) {
    fs::write(path, text).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// `git init` + one commit, with an `origin` whose default branch is known (gitlab-ci-local asks).
fn git_commit_all(dir: &Path) {
    let git = |args: &[&str]| {
        let mut cmd = crate::support::git(dir);
        hermetic(&mut cmd, &[]);
        cmd.args(args);
        assert_ok(&mut cmd, &format!("git {args:?}"));
    };
    git(&["init", "-q"]);
    git(&[
        "remote",
        "add",
        "origin",
        "git@gitlab.example.com:chainproof/fixture.git",
    ]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "fixture"]);
    git(&["update-ref", "refs/remotes/origin/main", "HEAD"]);
    git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/main",
    ]);
}

/// The cargo target directory of the binary under test (act's setup step rebuilds into it: a no-op).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_chainproof"))
        .ancestors()
        .nth(2)
        .expect("target dir")
        .to_path_buf()
}

/// A directory holding only `chainproof` (the binary under test), for PATH.
fn chainproof_bin_dir() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    symlink(
        env!("CARGO_BIN_EXE_chainproof"),
        dir.path().join("chainproof"),
    )
    .expect("symlink");
    dir
}

// --- YAML of actions and components ---------------------------------------------------------------

struct Input {
    name: String,
    description: String,
    default: Option<String>,
    kind: Option<String>,
    options: Vec<String>,
}

fn inputs_of(map: Option<&Node>) -> Vec<Input> {
    let Some(map) = map else { return Vec::new() };
    map.entries()
        .iter()
        .map(|(k, v)| Input {
            name: k.as_str().unwrap_or_default().to_owned(),
            description: v
                .get("description")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_owned(),
            default: v.get("default").and_then(Node::as_str).map(str::to_owned),
            kind: v.get("type").and_then(Node::as_str).map(str::to_owned),
            options: v
                .get("options")
                .map(|o| {
                    o.items()
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

fn action_inputs(dir: &str) -> Vec<Input> {
    let docs = parse_yaml(&format!("{dir}/action.yml"));
    inputs_of(docs[0].get("inputs"))
}

fn action_outputs(dir: &str) -> Vec<(String, String)> {
    let docs = parse_yaml(&format!("{dir}/action.yml"));
    docs[0]
        .get("outputs")
        .map(|o| {
            o.entries()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap_or_default().to_owned(),
                        v.get("description")
                            .and_then(Node::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn component_inputs(template: &str) -> Vec<Input> {
    let docs = parse_yaml(template);
    inputs_of(docs[0].path(&["spec", "inputs"]))
}

/// The `script:` of the component's job, as the shell sees it.
fn component_script(template: &str) -> String {
    let docs = parse_yaml(template);
    assert_eq!(
        docs.len(),
        2,
        "{template}: a spec document and a job document"
    );
    let (_, job) = &docs[1].entries()[0];
    job.get("script")
        .expect("script")
        .items()
        .iter()
        .filter_map(Node::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

// --- the CLI's own description of itself -----------------------------------------------------------

struct CliOption {
    help: String,
    default: Option<String>,
    values: Vec<String>,
}

/// Options and arguments of `chainproof <args> --help`, by long flag name (`fail-on`) or argument
/// name in lower case (`paths`).
fn cli_options(args: &[&str]) -> BTreeMap<String, CliOption> {
    let out = chainproof(&root())
        .args(args)
        .arg("--help")
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut opts = BTreeMap::new();
    let lines: Vec<&str> = help.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let (name, rest) = if let Some(arg) = t.strip_prefix('[').or_else(|| t.strip_prefix('<')) {
            let end = arg.find([']', '>']).unwrap_or(0);
            (arg[..end].to_lowercase(), &arg[end..])
        } else if t.starts_with('-') {
            let Some(at) = t.find("--") else { continue };
            let name: String = t[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (name, &t[at..])
        } else {
            continue;
        };
        let mut text = match rest.find("  ") {
            Some(gap) => rest[gap..].trim().to_owned(),
            // clap's next-line layout (chosen when the flags are long): the help is the next line.
            None => match lines.get(n + 1).map(|l| l.trim()) {
                Some(next) if !next.is_empty() && !next.starts_with('-') => next.to_owned(),
                _ => continue,
            },
        };
        let mut default = None;
        let mut values = Vec::new();
        while let Some(open) = text.rfind(" [") {
            let tail = text[open + 2..].trim_end_matches(']').to_owned();
            if let Some(d) = tail.strip_prefix("default: ") {
                default = Some(d.to_owned());
            } else if let Some(v) = tail.strip_prefix("possible values: ") {
                values = v.split(", ").map(str::to_owned).collect();
            } else {
                break;
            }
            text.truncate(open);
        }
        opts.insert(
            name,
            CliOption {
                help: text,
                default,
                values,
            },
        );
    }
    assert!(
        opts.len() > 3,
        "could not read `chainproof {args:?} --help`:\n{help}"
    );
    opts
}

fn subcommands() -> Vec<String> {
    let out = chainproof(&root()).arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect()
}

// --- (a) jactionlint and shellcheck --------------------------------------------------------------

/// jactionlint ([`JACTIONLINT`]) accepts `files` of `dir`.
fn jactionlint<S: AsRef<std::ffi::OsStr>>(dir: &Path, files: &[S], what: &str) {
    assert_ok(
        tool("jactionlint")
            .current_dir(dir)
            .args(JACTIONLINT)
            .args(files),
        &format!("jactionlint on {what}"),
    );
}

#[test]
fn jactionlint_accepts_our_workflows_and_actions() {
    let files = [workflows(), action_files()].concat();
    jactionlint(&root(), &files, "our workflows and actions");
}

#[test]
fn shellcheck_accepts_our_scripts_and_the_component_script() {
    let scripts = shell_scripts();
    assert!(scripts.len() >= 4, "{scripts:?}");
    assert_ok(
        tool("shellcheck")
            .current_dir(root())
            .args(["--external-sources", "--severity=style"])
            .args(&scripts),
        "shellcheck",
    );
    // The component's job script runs under the image's POSIX sh (busybox in Alpine).
    let dir = tempfile::tempdir().expect("tempdir");
    for template in component_templates() {
        let file = dir.path().join("script.sh");
        fs::write(&file, component_script(&template)).expect("write");
        assert_ok(
            tool("shellcheck")
                .args(["--shell=sh", "--severity=style"])
                .arg(&file),
            &format!("shellcheck of the script of {template}"),
        );
    }
}

// --- (b) schemas ---------------------------------------------------------------------------------

#[test]
fn github_schemas_accept_our_workflows_and_actions() {
    assert_ok(
        tool("check-jsonschema")
            .current_dir(root())
            .args(["--builtin-schema", "vendor.github-workflows"])
            .args(workflows()),
        "check-jsonschema vendor.github-workflows",
    );
    assert_ok(
        tool("check-jsonschema")
            .current_dir(root())
            .args(["--builtin-schema", "vendor.github-actions"])
            .args(action_files()),
        "check-jsonschema vendor.github-actions",
    );
}

/// The YAML blocks of the actions' READMEs, with `chainproof/chainproof/actions/<x>@<full commit SHA>`
/// turned into `./actions/<x>` so jactionlint checks their inputs against our action.yml.
#[test]
fn readme_usage_blocks_are_valid_workflows() {
    let repo = tempfile::tempdir().expect("tempdir");
    let wf = repo.path().join(".github/workflows");
    fs::create_dir_all(&wf).expect("mkdir");
    symlink(root().join("actions"), repo.path().join("actions")).expect("symlink");
    let mut n = 0;
    for dir in action_dirs() {
        for mut block in yaml_blocks(&read(&format!("{dir}/README.md"))) {
            for d in action_dirs() {
                block = block.replace(
                    &format!("chainproof/chainproof/{d}@<full commit SHA>"),
                    &format!("./{d}"),
                );
            }
            n += 1;
            fs::write(wf.join(format!("readme-{n}.yml")), block).expect("write");
        }
    }
    assert!(n >= 3, "expected usage blocks in the actions' READMEs");
    git_commit_all(repo.path());
    let files: Vec<String> = (1..=n)
        .map(|i| format!(".github/workflows/readme-{i}.yml"))
        .collect();
    assert_ok(
        tool("check-jsonschema")
            .current_dir(repo.path())
            .args(["--builtin-schema", "vendor.github-workflows"])
            .args(&files),
        "check-jsonschema on the README usage blocks",
    );
    assert_ok(
        tool("jactionlint")
            .current_dir(repo.path())
            .args(JACTIONLINT)
            .args(&files),
        "jactionlint on the README usage blocks",
    );
    let lint = chainproof(repo.path())
        .arg("lint")
        .args(&files)
        .args(["--fail-on", "info", "--no-color"])
        .output()
        .expect("run");
    assert!(
        lint.status.success(),
        "chainproof reports findings in the README usage blocks:\n{}",
        String::from_utf8_lossy(&lint.stdout)
    );
}

/// The bodies of the ```yaml blocks of a Markdown file.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("```yaml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("closing fence");
        out.push(body[..end].to_owned());
        rest = &body[end + 3..];
    }
    out
}

/// gitlab-ci-local accepts unknown component inputs (GitLab rejects them): check the names, and
/// the values of inputs with `options`, against the component's `spec:inputs`.
pub(crate) fn check_component_inputs(what: &str, gitlab_ci: &str) {
    let docs = yaml::parse(gitlab_ci, 0).unwrap_or_else(|e| panic!("{what}: {e:?}"));
    let mut seen = 0;
    for include in docs[0].get("include").map(Node::items).unwrap_or_default() {
        let Some(component) = include.get("component").and_then(Node::as_str) else {
            continue;
        };
        let name = component.rsplit('/').next().unwrap_or_default();
        let name = name.split('@').next().unwrap_or_default();
        let template = format!("gitlab-components/templates/{name}.yml");
        assert!(
            root().join(&template).is_file(),
            "{what}: no component {name}"
        );
        let spec = component_inputs(&template);
        for (k, v) in include.get("inputs").map(Node::entries).unwrap_or_default() {
            let key = k.as_str().unwrap_or_default();
            let Some(input) = spec.iter().find(|i| i.name == key) else {
                panic!("{what}: `{key}` is not an input of {template}");
            };
            if !input.options.is_empty() {
                let value = v.as_str().unwrap_or_default().to_owned();
                assert!(
                    input.options.contains(&value),
                    "{what}: {key}: {value} is not one of {:?}",
                    input.options
                );
            }
        }
        seen += 1;
    }
    assert!(seen > 0, "{what} includes no component");
}

/// gitlab-ci-local with the binary under test on PATH (the component uses it when `version` is empty).
fn gitlab_ci_local(repo: &Path, bin: &TempDir) -> Command {
    let mut cmd = tool_with_path("gitlab-ci-local", &[bin.path()]);
    cmd.current_dir(repo);
    cmd
}

/// A repository holding our component templates in `templates/` and what `fill` puts next to
/// them, committed, so that `component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA`
/// resolves offline.
fn component_repo_with(fill: impl FnOnce(&Path)) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &root().join("gitlab-components/templates"),
        &dir.path().join("templates"),
    );
    fill(dir.path());
    git_commit_all(dir.path());
    dir
}

/// Our component templates, the vulnerable fixture and `gitlab_ci` as `.gitlab-ci.yml`, committed.
fn component_repo(gitlab_ci: &str) -> TempDir {
    component_repo_with(|dir| {
        copy_dir(
            &fixtures().join("plugins/vulnerable"),
            &dir.join("vulnerable"),
        );
        fs::write(dir.join(".gitlab-ci.yml"), gitlab_ci).expect("write");
    })
}

/// `from` (which `file` must hold) replaced by `to` in `file`.
fn replace_in(file: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(file).expect("read");
    assert!(text.contains(from), "{text}");
    fs::write(file, text.replace(from, to)).expect("write");
}

/// GitLab's schema accepts the rendered pipeline `preview` (of `what`) and our linter finds nothing
/// in it at `info`.
fn assert_gitlab_schema_and_lint_clean(preview: &str, what: &str) {
    let out = tempfile::tempdir().expect("tempdir");
    fs::write(out.path().join(".gitlab-ci.yml"), preview).expect("write");
    assert_ok(
        tool("check-jsonschema")
            .args(["--builtin-schema", "vendor.gitlab-ci"])
            .arg(out.path().join(".gitlab-ci.yml")),
        &format!("check-jsonschema vendor.gitlab-ci on {what}"),
    );
    let lint = chainproof(out.path())
        .args(["lint", ".gitlab-ci.yml", "--fail-on", "info", "--no-color"])
        .output()
        .expect("run");
    assert!(
        lint.status.success(),
        "chainproof reports findings in {what}:\n{}",
        String::from_utf8_lossy(&lint.stdout)
    );
}

/// The `.gitlab-ci.yml` of `repo` (the `consumer`) passes only inputs the components have;
/// gitlab-ci-local's preview of it holds every one of `expected` and no input left uninterpolated,
/// and passes [`assert_gitlab_schema_and_lint_clean`] as `what`.
fn check_rendered_component(
    repo: &Path,
    bin: &TempDir,
    consumer: &str,
    what: &str,
    expected: &[&str],
) {
    check_component_inputs(
        consumer,
        &fs::read_to_string(repo.join(".gitlab-ci.yml")).expect("read"),
    );
    let preview = assert_ok(
        gitlab_ci_local(repo, bin).arg("--preview"),
        "gitlab-ci-local --preview",
    )
    .stdout;
    for expected in expected {
        assert!(preview.contains(expected), "{expected}:\n{preview}");
    }
    assert!(!preview.contains("$[["), "{preview}");
    assert_gitlab_schema_and_lint_clean(&preview, what);
}

/// gitlab-ci-local runs `job` of `repo` in the shell executor: it must pass or fail as `passes`
/// says (`what` names the case). Returns the log.
fn run_component_job(repo: &Path, bin: &TempDir, job: &str, passes: bool, what: &str) -> String {
    let r = run(gitlab_ci_local(repo, bin).args(["--force-shell-executor", job]));
    let log = r.text();
    if passes {
        assert_eq!(r.code, Some(0), "{what} must pass:\n{log}");
        assert!(log.contains(&format!("PASS  {job}")), "{log}");
    } else {
        assert_ne!(r.code, Some(0), "{what} must fail:\n{log}");
        assert!(log.contains(&format!("FAIL  {job}")), "{log}");
    }
    log
}

fn consumer_gitlab_ci(fail_on: &str, version: Option<&str>) -> String {
    let text =
        fs::read_to_string(fixtures().join("plugins/gitlab-repo/.gitlab-ci.yml")).expect("read");
    let mut text = text.replace("fail_on: high", &format!("fail_on: {fail_on}"));
    if let Some(v) = version {
        text.push_str(&format!("      version: \"{v}\"\n"));
    }
    text
}

#[test]
fn gitlab_schema_accepts_the_rendered_component_and_our_linter_finds_nothing_in_it() {
    let bin = chainproof_bin_dir();
    let mut cases = vec![
        (
            "the component project's own .gitlab-ci.yml".to_owned(),
            read("gitlab-components/.gitlab-ci.yml"),
            "CHAINPROOF_LINT_FAIL_ON: info".to_owned(),
        ),
        (
            "the fixture consumer".to_owned(),
            consumer_gitlab_ci("high", None),
            "CHAINPROOF_LINT_PATHS: vulnerable/issue-greeter.yml".to_owned(),
        ),
    ];
    for (n, mut block) in yaml_blocks(&read("gitlab-components/README.md"))
        .into_iter()
        .enumerate()
    {
        let mut job = String::from("chainproof-lint:");
        for template in component_templates() {
            let name = Path::new(&template)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let placeholder =
                format!("$CI_SERVER_FQDN/<group>/<component project>/{name}@<full commit SHA>");
            if block.contains(&placeholder) {
                job = format!("chainproof-{name}:");
                block = block.replace(
                    &placeholder,
                    &format!("$CI_SERVER_FQDN/$CI_PROJECT_PATH/{name}@$CI_COMMIT_SHA"),
                );
            }
        }
        cases.push((
            format!("usage block {} of gitlab-components/README.md", n + 1),
            block,
            job,
        ));
    }
    assert!(
        cases.len() >= 4,
        "usage blocks in gitlab-components/README.md"
    );
    for (what, gitlab_ci, _) in &cases {
        check_component_inputs(what, gitlab_ci);
    }
    for (what, gitlab_ci, interpolated) in cases {
        let repo = component_repo(&gitlab_ci);
        let preview = assert_ok(gitlab_ci_local(repo.path(), &bin).arg("--preview"), &what).stdout;
        assert!(
            preview.contains("chainproof-")
                && preview.contains(&interpolated)
                && !preview.contains("$[["),
            "{what}: the component was not included and interpolated:\n{preview}"
        );
        assert_gitlab_schema_and_lint_clean(&preview, &format!("the rendered pipeline of {what}"));
    }
}

// --- (c) act runs the lint action -----------------------------------------------------------------

/// `owner/repo@sha` of a `uses:` in an action.yml (so the act stub follows pin bumps).
fn pinned_uses(action: &str, owner_repo: &str) -> String {
    let text = read(action);
    let at = text
        .find(&format!("uses: {owner_repo}"))
        .unwrap_or_else(|| panic!("{action} does not use {owner_repo}"));
    let line = text[at + 6..].lines().next().unwrap_or_default();
    let sha = line.split('@').nth(1).unwrap_or_default();
    let sha: String = sha.chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(
        sha.len(),
        40,
        "{action}: {line} is not pinned by a full SHA"
    );
    let repo: String = owner_repo.split('/').take(2).collect::<Vec<_>>().join("/");
    format!("{repo}@{sha}")
}

struct ActRepo {
    repo: TempDir,
    remote: TempDir,
    cache: TempDir,
}

/// The fixture `tests/fixtures/plugins/<fixture>`, changed by `prepare`, committed, with `actions`
/// linked to this checkout's actions/, and a stand-in for a download of
/// `chainproof/chainproof@FAKE_SHA` holding the same link. The setup script resolves links
/// (`cd -P`), so both builds happen in this checkout, into the warm target directory.
fn act_fixture_repo(fixture: &str, prepare: impl FnOnce(&Path)) -> ActRepo {
    let repo = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixtures().join("plugins").join(fixture), repo.path());
    prepare(repo.path());
    symlink(root().join("actions"), repo.path().join("actions")).expect("symlink");
    git_commit_all(repo.path());
    let remote = tempfile::tempdir().expect("tempdir");
    symlink(root().join("actions"), remote.path().join("actions")).expect("symlink");
    ActRepo {
        repo,
        remote,
        cache: tempfile::tempdir().expect("tempdir"),
    }
}

/// The lint fixture repository, with the vulnerable workflows in `vulnerable/`.
fn act_repo() -> ActRepo {
    act_fixture_repo("github-repo", |repo| {
        copy_dir(
            &fixtures().join("plugins/vulnerable"),
            &repo.join("vulnerable"),
        );
    })
}

/// A fixture without its `.gitlab-ci.yml` (for act).
fn without_gitlab_ci(repo: &Path) {
    fs::remove_file(repo.join(".gitlab-ci.yml")).expect("rm");
}

/// act dispatching `.github/workflows/<workflow>` of `r`, jobs on `runs_on` run on this machine,
/// the setup action building into the warm target directory.
fn act_workflow(r: &ActRepo, workflow: &str, runs_on: &str) -> Command {
    let mut cmd = tool("act");
    cmd.current_dir(r.repo.path())
        .args([
            "workflow_dispatch",
            "-W",
            &format!(".github/workflows/{workflow}"),
        ])
        .args(["-P", &format!("{runs_on}=-self-hosted")])
        .args([
            "--env",
            &format!("CARGO_TARGET_DIR={}", target_dir().display()),
        ])
        .arg("--action-cache-path")
        .arg(r.cache.path())
        .args(["--container-daemon-socket", "-"]);
    cmd
}

/// Offline `uses:`: `owner_repo` (pinned in `action`) served by the fixture `stub`, and
/// `chainproof/chainproof@FAKE_SHA` by `r.remote`.
fn offline_uses<'a>(
    cmd: &'a mut Command,
    r: &ActRepo,
    action: &str,
    owner_repo: &str,
    stub: &str,
) -> &'a mut Command {
    let pinned = pinned_uses(action, owner_repo);
    let stub = fixtures().join("plugins").join(stub);
    cmd.args([
        "--local-repository",
        &format!("{pinned}={}", stub.display()),
    ])
    .args([
        "--local-repository",
        &format!(
            "chainproof/chainproof@{FAKE_SHA}={}",
            r.remote.path().display()
        ),
    ])
}

fn act(r: &ActRepo, fail_on: &str) -> Run {
    let mut cmd = act_workflow(r, "lint.yml", "ubuntu-latest");
    offline_uses(
        &mut cmd,
        r,
        "actions/lint/action.yml",
        "github/codeql-action/upload-sarif",
        "codeql-action-stub",
    );
    run(cmd.args(["--input", &format!("fail-on={fail_on}")]))
}

/// The number after `label` in act's log.
fn number_after(log: &str, label: &str) -> Option<u64> {
    let at = log.find(label)? + label.len();
    log[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn act_runs_the_lint_action_on_a_known_finding() {
    let r = act_repo();
    let annotation = "::error file=vulnerable/issue-greeter.yml,line=11,col=31,endLine=11,endColumn=62,title=attacker-controllable text expanded into code (template-injection)::`github.event.issue.title` reaches the `run:` script";

    let high = act(&r, "high");
    let log = high.text();
    assert_ne!(high.code, Some(0), "fail-on high must fail:\n{log}");
    assert_eq!(
        log.matches(annotation).count(),
        2,
        "the annotation of both jobs (local and remote action):\n{log}"
    );
    assert_eq!(log.matches("Job failed").count(), 2, "{log}");
    assert!(
        log.contains("Building chainproof from") && log.contains("profile dev"),
        "{log}"
    );
    assert!(
        log.contains("upload-sarif stub: ") && log.contains("category chainproof"),
        "the SARIF upload runs before the failing step:\n{log}"
    );
    assert!(
        log.contains("| template-injection") || log.contains("`template-injection`"),
        "job summary:\n{log}"
    );

    let none = act(&r, "none");
    let log = none.text();
    assert_eq!(none.code, Some(0), "fail-on none must pass:\n{log}");
    for job in ["local", "remote"] {
        let n = number_after(&log, &format!("{job} findings output: "));
        assert!(
            n.is_some_and(|n| n > 0),
            "{job}: the findings output must be > 0:\n{log}"
        );
    }
    assert_eq!(log.matches("Job succeeded").count(), 2, "{log}");
}

// --- (d) gitlab-ci-local runs the component ------------------------------------------------------

fn code_quality(repo: &Path) -> Vec<Value> {
    let path = repo.join("gl-code-quality-report.json");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no Code Quality report {}: {e}", path.display()));
    serde_json::from_str::<Vec<Value>>(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn gitlab_ci_local_runs_the_component_on_a_known_finding() {
    let bin = chainproof_bin_dir();
    for (fail_on, passes) in [("high", false), ("none", true)] {
        let repo = component_repo(&consumer_gitlab_ci(fail_on, None));
        let log = run_component_job(
            repo.path(),
            &bin,
            "chainproof-lint",
            passes,
            &format!("fail_on {fail_on}"),
        );
        assert!(
            log.contains("error[template-injection]")
                && log.contains("vulnerable/issue-greeter.yml:11:31"),
            "the text report in the job log:\n{log}"
        );
        let report = code_quality(repo.path());
        assert_eq!(report.len(), 1, "{report:?}");
        let issue = &report[0];
        assert_eq!(issue["type"], "issue");
        assert_eq!(issue["check_name"], "template-injection");
        assert_eq!(issue["severity"], "critical");
        assert_eq!(issue["location"]["path"], "vulnerable/issue-greeter.yml");
        assert_eq!(issue["location"]["positions"]["begin"]["line"], 11);
        assert_eq!(issue["location"]["positions"]["begin"]["column"], 31);
        assert!(
            issue["description"]
                .as_str()
                .is_some_and(|d| d.contains("github.event.issue.title")),
            "{issue}"
        );
        assert!(
            issue["fingerprint"].as_str().is_some_and(|f| !f.is_empty()),
            "{issue}"
        );
    }
}

#[test]
fn the_component_refuses_a_version_without_a_stored_checksum() {
    let bin = chainproof_bin_dir();
    let repo = component_repo(&consumer_gitlab_ci("high", Some("1.0.0")));
    let r =
        run(gitlab_ci_local(repo.path(), &bin).args(["--force-shell-executor", "chainproof-lint"]));
    let log = r.text();
    assert_ne!(r.code, Some(0), "{log}");
    assert!(
        log.contains("no SHA-256 for version 1.0.0")
            && log.contains("refusing to download an unverified binary"),
        "{log}"
    );
    assert!(
        !log.contains("chainproof 0.1"),
        "no chainproof may run:\n{log}"
    );
}

#[test]
fn the_component_project_pipeline_runs_the_component_at_its_own_commit() {
    let bin = chainproof_bin_dir();
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("gitlab-components"), dir.path());
    git_commit_all(dir.path());
    let r = run(gitlab_ci_local(dir.path(), &bin).args(["--force-shell-executor"]));
    let log = r.text();
    assert_eq!(r.code, Some(0), "{log}");
    assert!(log.contains("PASS  chainproof-lint"), "{log}");
    assert!(
        code_quality(dir.path()).is_empty(),
        "the component project has findings:\n{log}"
    );
}

// --- (e) SARIF --------------------------------------------------------------------------------------

fn sarif_schema() -> PathBuf {
    let schema = root().join(".tools/schemas/sarif-2.1.0.json");
    assert!(
        schema.is_file(),
        "the SARIF 2.1.0 schema is missing ({}): {INSTALL_HINT}",
        schema.display()
    );
    schema
}

fn validate_sarif(file: &Path) -> Run {
    run(tool("check-jsonschema")
        .arg("--schemafile")
        .arg(sarif_schema())
        .arg(file))
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("report.sarif");
    chainproof(&fixtures().join("plugins"))
        .args([
            "lint",
            "vulnerable/issue-greeter.yml",
            "--format",
            "sarif",
            "--output",
        ])
        .arg(&sarif)
        .assert()
        .code(1);
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(&sarif).expect("read")).expect("json");
    assert!(
        doc["runs"][0]["results"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{doc}"
    );
    let r = validate_sarif(&sarif);
    assert_eq!(r.code, Some(0), "{}", r.text());

    // Not a rubber stamp: a result with a level SARIF does not define is rejected.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    let bad = dir.path().join("broken.sarif");
    fs::write(&bad, broken.to_string()).expect("write");
    assert_ne!(
        validate_sarif(&bad).code,
        Some(0),
        "check-jsonschema accepted an invalid SARIF file"
    );
}

/// Every rule's fixtures in one SARIF log: related locations, fixes and all rule metadata.
#[test]
fn sarif_of_every_rule_fixture_validates() {
    let rules = fixtures().join("rules");
    let mut files = Vec::new();
    for rule in fs::read_dir(&rules).expect("rules").flatten() {
        for f in fs::read_dir(rule.path()).into_iter().flatten().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if f.path().is_file() && is_yaml(&name) {
                files.push(f.path());
            }
        }
    }
    files.sort();
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("rules.sarif");
    let out = chainproof(&rules)
        .arg("lint")
        .args(&files)
        .args(["--format", "sarif", "--fail-on", "none", "--output"])
        .arg(&sarif)
        .output()
        .expect("run");
    assert!(sarif.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = validate_sarif(&sarif);
    assert_eq!(r.code, Some(0), "{}", r.text());
}

// --- (f) parity with the CLI --------------------------------------------------------------------

/// Every input of every action and component is a `chainproof <command>` option (kebab-case in
/// actions, snake_case in components) with the CLI's help text, default and values, or a wrapper-only
/// input listed in WRAPPER_ONLY; every action folder but `setup`, and every component, is a subcommand.
#[test]
fn every_input_maps_to_a_cli_flag_and_every_wrapper_to_a_subcommand() {
    let commands = subcommands();
    assert!(commands.contains(&"lint".to_owned()), "{commands:?}");
    let mut wrappers: Vec<(String, String, Vec<Input>)> = Vec::new();
    for dir in action_dirs() {
        let name = dir.trim_start_matches("actions/").to_owned();
        if name != "setup" {
            assert!(
                commands.contains(&name),
                "{dir} is not a chainproof subcommand ({commands:?})"
            );
        }
        let inputs = action_inputs(&dir);
        wrappers.push((dir, name, inputs));
    }
    for template in component_templates() {
        let name = Path::new(&template)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        assert!(
            commands.contains(&name),
            "{template} is not a chainproof subcommand ({commands:?})"
        );
        let inputs = component_inputs(&template);
        for i in &inputs {
            assert!(
                !i.name.contains('-'),
                "{template}: component inputs are snake_case: {}",
                i.name
            );
            assert!(i.kind.is_some(), "{template}: input {} has no type", i.name);
            assert!(
                i.default.is_some(),
                "{template}: input {} has no default",
                i.name
            );
        }
        wrappers.push((format!("gitlab-components/{name}"), name, inputs));
    }

    let mut used_wrapper_only = Vec::new();
    for (wrapper, command, inputs) in &wrappers {
        assert!(
            !inputs.is_empty() || wrapper == "actions/setup",
            "{wrapper} has no inputs"
        );
        let cli = if commands.contains(command) {
            cli_options(&[command])
        } else {
            BTreeMap::new()
        };
        for input in inputs {
            assert!(
                !input.description.trim().is_empty(),
                "{wrapper}: input {} has no description",
                input.name
            );
            if WRAPPER_ONLY.contains(&(wrapper.as_str(), input.name.as_str())) {
                used_wrapper_only.push((wrapper.clone(), input.name.clone()));
                continue;
            }
            let mapped = MAPPED
                .iter()
                .find(|(w, i, _, _)| w == wrapper && *i == input.name);
            let other;
            let (command, cli, flag) = match mapped {
                Some((_, _, c, f)) if c != command => {
                    other = cli_options(&[c]);
                    ((*c).to_owned(), &other, (*f).to_owned())
                }
                Some((_, _, _, f)) => (command.clone(), &cli, (*f).to_owned()),
                None => (command.clone(), &cli, input.name.replace('_', "-")),
            };
            let Some(opt) = cli.get(&flag) else {
                panic!(
                    "{wrapper}: input `{}` is neither an option of `chainproof {command}` ({:?}) nor listed in WRAPPER_ONLY",
                    input.name,
                    cli.keys().collect::<Vec<_>>()
                );
            };
            let description = input
                .description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                description.contains(&opt.help),
                "{wrapper}: the description of `{}` must repeat the CLI's help text:\n  CLI:   {}\n  input: {description}",
                input.name,
                opt.help
            );
            if let Some(d) = &opt.default {
                assert_eq!(
                    input.default.as_deref(),
                    Some(d.as_str()),
                    "{wrapper}: default of `{}`",
                    input.name
                );
            }
            if !input.options.is_empty() {
                assert_eq!(
                    input.options, opt.values,
                    "{wrapper}: options of `{}`",
                    input.name
                );
            }
        }
    }
    for (wrapper, input) in WRAPPER_ONLY {
        assert!(
            used_wrapper_only
                .iter()
                .any(|(w, i)| w == wrapper && i == input),
            "WRAPPER_ONLY lists {wrapper} `{input}`, which is no input any more"
        );
        let readme = if wrapper.starts_with("gitlab-components/") {
            read("gitlab-components/README.md")
        } else {
            read(&format!("{wrapper}/README.md"))
        };
        assert!(
            readme.contains(&format!("`{input}`")),
            "{wrapper}/README.md does not document `{input}`"
        );
    }
}

// --- (g) our own pipelines are clean ------------------------------------------------------------

#[test]
fn chainproof_finds_nothing_in_our_pipelines() {
    let mut paths = workflows();
    paths.push("actions".into());
    paths.push("gitlab-components".into());
    let out = chainproof(&root())
        .arg("lint")
        .args(&paths)
        .args(["--format", "json", "--fail-on", "info"])
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let text = chainproof(&root())
        .arg("lint")
        .args(&paths)
        .arg("--no-color")
        .output()
        .expect("run");
    assert!(
        report["findings"].as_array().is_some_and(Vec::is_empty)
            && report["errors"].as_array().is_some_and(Vec::is_empty),
        "our pipelines must be clean:\n{}",
        String::from_utf8_lossy(&text.stdout)
    );
    let files: Vec<&str> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for f in [workflows(), action_files(), component_templates()].concat() {
        assert!(files.contains(&f.as_str()), "{f} was not linted: {files:?}");
    }
    assert!(
        files.contains(&"gitlab-components/.gitlab-ci.yml"),
        "{files:?}"
    );
}

// --- setup: fails closed ---------------------------------------------------------------------------

struct Shims {
    dir: TempDir,
    curl_log: PathBuf,
}

/// `uname` reporting `os`/`arch`, and a `curl` that logs its URL and serves `archive`.
fn shims(os: &str, arch: &str, archive: Option<&Path>) -> Shims {
    let dir = tempfile::tempdir().expect("tempdir");
    write_executable(
        &dir.path().join("uname"),
        &format!(
            "#!/bin/sh\ncase \"$1\" in -s) echo {os} ;; -m) echo {arch} ;; *) echo {os} ;; esac\n"
        ),
    );
    let curl_log = dir.path().join("curl.log");
    let serve = archive.map_or("exit 22".to_owned(), |a| {
        format!("cp '{}' \"$out\"", a.display())
    });
    write_executable(
        &dir.path().join("curl"),
        &format!(
            "#!/bin/sh\nout=''; url=''\nwhile [ $# -gt 0 ]; do\n  case \"$1\" in\n    --output) out=\"$2\"; shift 2 ;;\n    --proto | --retry) shift 2 ;;\n    -*) shift ;;\n    *) url=\"$1\"; shift ;;\n  esac\ndone\necho \"$url\" >> '{}'\n{serve}\n",
            curl_log.display()
        ),
    );
    Shims { dir, curl_log }
}

/// Run a copy of actions/setup (without the chainproof source around it) with `checksums`.
fn setup_copy(checksums: &str, shims: &Shims, version: &str) -> (Run, TempDir) {
    let work = tempfile::tempdir().expect("tempdir");
    let action = work.path().join("copy/actions/setup");
    copy_dir(&root().join("actions/setup"), &action);
    fs::write(action.join("checksums.txt"), checksums).expect("write");
    let out = work.path().join("github_output");
    let path_file = work.path().join("github_path");
    let mut cmd = Command::new("bash");
    hermetic(&mut cmd, &[shims.dir.path()]);
    cmd.arg(action.join("install.sh"))
        .env("SETUP_VERSION", version)
        .env("RUNNER_TEMP", work.path())
        .env("GITHUB_OUTPUT", &out)
        .env("GITHUB_PATH", &path_file);
    (run(&mut cmd), work)
}

#[test]
fn setup_fails_closed() {
    let sums = read("actions/setup/checksums.txt");
    for line in sums
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert!(
            f.len() == 3 && f[2].len() == 64 && f[2].chars().all(|c| c.is_ascii_hexdigit()),
            "actions/setup/checksums.txt: `<version> <platform> <sha256>` expected: {line}"
        );
    }
    let linux = shims("Linux", "x86_64", None);

    // A version without a stored sum: nothing is downloaded.
    let (r, _w) = setup_copy(&sums, &linux, "1.0.0");
    assert_eq!(r.code, Some(1), "{}", r.text());
    assert!(
        r.text()
            .contains("no SHA-256 for chainproof 1.0.0 on x86_64-unknown-linux-musl"),
        "{}",
        r.text()
    );
    assert!(!linux.curl_log.exists(), "curl ran");

    // No `latest`, no ranges.
    for v in ["latest", "v1.0.0", "1"] {
        let (r, _w) = setup_copy(&sums, &linux, v);
        assert_eq!(r.code, Some(1), "{v}: {}", r.text());
        assert!(
            r.text().contains("version must be an exact release"),
            "{v}: {}",
            r.text()
        );
    }

    // Unknown platforms.
    let plan9 = shims("Plan9", "mips", None);
    let line = format!("1.0.0 x86_64-unknown-linux-musl {}\n", "0".repeat(64));
    let (r, _w) = setup_copy(&line, &plan9, "1.0.0");
    assert_eq!(r.code, Some(1), "{}", r.text());
    assert!(
        r.text()
            .contains("no chainproof release is built for Plan9/mips"),
        "{}",
        r.text()
    );
    assert!(!plan9.curl_log.exists(), "curl ran");

    // No version and no source around the action.
    let (r, _w) = setup_copy(&sums, &linux, "");
    assert_eq!(r.code, Some(1), "{}", r.text());
    assert!(
        r.text().contains("has no chainproof source"),
        "{}",
        r.text()
    );
}

#[test]
fn setup_downloads_only_an_archive_matching_its_stored_sum() {
    // A release archive holding a stand-in binary.
    let rel = tempfile::tempdir().expect("tempdir");
    write_executable(
        &rel.path().join("chainproof"),
        "#!/bin/sh\necho 'chainproof 9.9.9'\n",
    );
    let archive = rel.path().join("release.tar.gz");
    let mut tar = Command::new("tar");
    tar.arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(rel.path())
        .arg("chainproof");
    assert_ok(&mut tar, "tar");
    let sha = {
        let mut cmd = Command::new("sha256sum");
        cmd.arg(&archive);
        assert_ok(&mut cmd, "sha256sum")
            .stdout
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let shim = shims("Linux", "aarch64", Some(&archive));

    // The sum matches: installed, on PATH, path output.
    let sums = format!("9.9.9 aarch64-unknown-linux-musl {sha}\n");
    let (r, work) = setup_copy(&sums, &shim, "9.9.9");
    assert_eq!(r.code, Some(0), "{}", r.text());
    let url = fs::read_to_string(&shim.curl_log).expect("curl log");
    assert_eq!(
        url.trim(),
        "https://github.com/chainproof/chainproof/releases/download/v9.9.9/chainproof-9.9.9-aarch64-unknown-linux-musl.tar.gz"
    );
    let bindir = work.path().join("chainproof-bin");
    let output = fs::read_to_string(work.path().join("github_output")).expect("output");
    assert_eq!(
        output.trim(),
        format!("path={}", bindir.join("chainproof").display())
    );
    let path = fs::read_to_string(work.path().join("github_path")).expect("path");
    assert_eq!(path.trim(), bindir.display().to_string());
    assert!(r.text().contains("chainproof 9.9.9"), "{}", r.text());

    // Another sum: the archive is rejected and deleted.
    let wrong = format!("9.9.9 aarch64-unknown-linux-musl {}\n", "ab".repeat(32));
    let (r, work) = setup_copy(&wrong, &shim, "9.9.9");
    assert_eq!(r.code, Some(1), "{}", r.text());
    assert!(r.text().contains("SHA-256 mismatch"), "{}", r.text());
    assert!(
        !work.path().join("chainproof-bin").exists(),
        "installed a rejected binary"
    );
}

// --- generated README tables ----------------------------------------------------------------------

fn cell(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn action_table(dir: &str) -> String {
    let mut s = String::from("| input | default | description |\n|---|---|---|\n");
    for i in action_inputs(dir) {
        let default = match i.default.as_deref() {
            None | Some("") => String::new(),
            Some(d) => format!("`{d}`"),
        };
        s.push_str(&format!(
            "| `{}` | {default} | {} |\n",
            i.name,
            cell(&i.description)
        ));
    }
    let outputs = action_outputs(dir);
    if !outputs.is_empty() {
        s.push_str("\n| output | description |\n|---|---|\n");
        for (name, description) in outputs {
            s.push_str(&format!("| `{name}` | {} |\n", cell(&description)));
        }
    }
    s
}

fn component_table(template: &str) -> String {
    let mut s = String::from("| input | type | default | description |\n|---|---|---|---|\n");
    for i in component_inputs(template) {
        let default = match i.default.as_deref() {
            None | Some("") => String::new(),
            Some(d) => format!("`{d}`"),
        };
        let mut description = cell(&i.description);
        if !i.options.is_empty() {
            description.push_str(&format!(
                " One of: {}.",
                i.options
                    .iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s.push_str(&format!(
            "| `{}` | {} | {default} | {description} |\n",
            i.name,
            i.kind.as_deref().unwrap_or("string")
        ));
    }
    s
}

/// Replace what lies between the `<!-- generated: ... -->` line and `<!-- end generated -->`.
fn with_generated(readme: &str, table: &str) -> Option<String> {
    let start = readme.find("<!-- generated:")?;
    let body = start + readme[start..].find('\n')? + 1;
    let end = body + readme[body..].find("<!-- end generated -->")?;
    Some(format!("{}{table}{}", &readme[..body], &readme[end..]))
}

#[test]
fn readme_input_tables_are_current() {
    let mut docs: Vec<(String, String)> = action_dirs()
        .into_iter()
        .map(|d| (format!("{d}/README.md"), action_table(&d)))
        .collect();
    let tables: Vec<String> = component_templates()
        .iter()
        .map(|t| {
            let name = Path::new(t)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            format!("### `{name}`\n\n{}", component_table(t))
        })
        .collect();
    docs.push(("gitlab-components/README.md".into(), tables.join("\n")));
    for (rel, table) in docs {
        let current = read(&rel);
        let fresh = with_generated(&current, &table).unwrap_or_else(|| {
            panic!("{rel}: no `<!-- generated: ... -->` / `<!-- end generated -->` markers")
        });
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            fs::write(root().join(&rel), &fresh).expect("write");
        } else {
            assert!(
                current == fresh,
                "{rel}: the input table is stale: run `UPDATE_GENERATED=1 cargo test --test cli plugins::` and commit it"
            );
        }
    }
}

// --- the sbom action and component ---------------------------------------------------------------

/// What `tests/fixtures/plugins/sbom-repo/package-lock.json` (made by npm 11.19.1 with
/// `npm install --package-lock-only`) holds: debug 4.3.4 with its own nested ms 2.1.2, and ms 2.1.3
/// as a dev dependency of the root.
const SBOM_FIXTURE_ROOT: &str = "pkg:npm/sbom-plugin-fixture@1.0.0";
const SBOM_FIXTURE_PURLS: &[&str] = &[
    "pkg:npm/debug@4.3.4",
    "pkg:npm/ms@2.1.2",
    "pkg:npm/ms@2.1.3",
];

/// The purls of a CycloneDX document's components, sorted.
fn cyclonedx_purls(doc: &Value) -> Vec<String> {
    let mut purls: Vec<String> = doc["components"]
        .as_array()
        .unwrap_or_else(|| panic!("no components: {doc}"))
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_owned))
        .collect();
    purls.sort();
    purls
}

#[test]
fn jactionlint_accepts_the_sbom_action_and_its_act_workflow() {
    jactionlint(&root(), &["actions/sbom/action.yml"], "actions/sbom");
    // The fixture workflow, in a repository where `./actions/sbom` resolves to ours.
    let r = sbom_act_repo();
    jactionlint(
        r.repo.path(),
        &[".github/workflows/sbom.yml"],
        "the sbom act workflow",
    );
}

/// Our linter finds nothing in `files` at `info`, and lints every one of them.
fn assert_chainproof_finds_nothing(files: &[&str]) {
    let out = chainproof(&root())
        .arg("lint")
        .args(files)
        .args(["--format", "json", "--fail-on", "info"])
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["findings"], Value::Array(Vec::new()), "{report:#}");
    assert_eq!(report["errors"], Value::Array(Vec::new()), "{report:#}");
    let linted: Vec<&str> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(linted, files, "every file was linted");
}

#[test]
fn chainproof_finds_nothing_in_the_sbom_plugins() {
    assert_chainproof_finds_nothing(&[
        "actions/sbom/action.yml",
        "gitlab-components/templates/sbom.yml",
    ]);
}

/// The sbom fixture repository for act, laid out like [`act_repo`]'s.
fn sbom_act_repo() -> ActRepo {
    act_fixture_repo("sbom-repo", |_| {})
}

fn act_sbom(r: &ActRepo, strict: bool) -> Run {
    let mut cmd = act_workflow(r, "sbom.yml", "ubuntu-24.04");
    offline_uses(
        &mut cmd,
        r,
        "actions/sbom/action.yml",
        "actions/upload-artifact",
        "upload-artifact-stub",
    );
    run(cmd.args(["--input", &format!("strict={strict}")]))
}

/// The text after `label` on every line of act's log that has it, sorted.
fn values_after(log: &str, label: &str) -> Vec<String> {
    let mut out: Vec<String> = log
        .lines()
        .filter_map(|l| {
            l.find(label)
                .map(|at| l[at + label.len()..].trim().to_owned())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn act_runs_the_sbom_action_on_an_npm_lockfile() {
    let r = sbom_act_repo();
    let warning = "::warning title=chainproof sbom::tools/Gemfile: manifest without a lockfile; its dependencies are not listed";
    let mut expected: Vec<String> = SBOM_FIXTURE_PURLS.iter().map(|p| p.to_string()).collect();
    expected.push(SBOM_FIXTURE_ROOT.to_owned());
    expected.sort();

    let lenient = act_sbom(&r, false);
    let log = lenient.text();
    assert_eq!(lenient.code, Some(0), "strict false must pass:\n{log}");
    assert_eq!(log.matches("Job succeeded").count(), 2, "{log}");
    assert!(
        log.contains("Building chainproof from") && log.contains("profile dev"),
        "{log}"
    );
    // Local: CycloneDX JSON in the default file, uploaded by the pinned upload-artifact.
    assert_eq!(
        values_after(&log, "local sbom-file output: "),
        ["sbom.cdx.json"],
        "{log}"
    );
    for job in ["local", "remote"] {
        assert_eq!(
            number_after(&log, &format!("{job} components output: ")),
            Some(SBOM_FIXTURE_PURLS.len() as u64),
            "{job}: the components output:\n{log}"
        );
        // The root and the components, as the document lists them (CycloneDX for local, SPDX
        // packages for remote).
        assert_eq!(
            values_after(&log, &format!("{job} purl: ")),
            expected,
            "{job}: the SBOM's purls:\n{log}"
        );
    }
    assert!(
        log.contains("upload-artifact stub: sbom.cdx.json, name sbom, if-no-files-found error"),
        "the upload step:\n{log}"
    );
    assert_eq!(
        log.matches("upload-artifact stub: ").count(),
        1,
        "only the local job uploads:\n{log}"
    );
    assert_eq!(
        values_after(&log, "remote sbom-file output: "),
        ["bom.spdx.json"],
        "{log}"
    );
    assert_eq!(
        log.matches(warning).count(),
        2,
        "the manifest without a lockfile, as an annotation in both jobs:\n{log}"
    );

    // strict: the manifest without a lockfile fails both jobs, after the SBOM is uploaded.
    let strict = act_sbom(&r, true);
    let log = strict.text();
    assert_ne!(strict.code, Some(0), "strict true must fail:\n{log}");
    assert_eq!(log.matches("Job failed").count(), 2, "{log}");
    assert!(
        log.contains("upload-artifact stub: sbom.cdx.json"),
        "the upload runs before the failing step:\n{log}"
    );
    assert!(
        !log.contains("local components output: "),
        "the check step must not run after the failure:\n{log}"
    );
}

/// A repository holding our component templates and the sbom fixture, its `.gitlab-ci.yml` using
/// the sbom component with `strict`, committed.
fn sbom_component_repo(strict: bool) -> TempDir {
    component_repo_with(|dir| {
        copy_dir(&fixtures().join("plugins/sbom-repo"), dir);
        replace_in(
            &dir.join(".gitlab-ci.yml"),
            "strict: false",
            &format!("strict: {strict}"),
        );
    })
}

#[test]
fn gitlab_ci_local_runs_the_sbom_component_on_an_npm_lockfile() {
    let bin = chainproof_bin_dir();

    // The rendered job: GitLab's schema accepts it, our linter finds nothing, and it declares the
    // cyclonedx report under the name GitLab looks for.
    let repo = sbom_component_repo(false);
    check_rendered_component(
        repo.path(),
        &bin,
        "the sbom fixture consumer",
        "the rendered sbom component",
        &[
            "chainproof-sbom:",
            "CHAINPROOF_SBOM_FORMAT: spdx-json",
            "cyclonedx: gl-sbom-chainproof.cdx.json",
            "expire_in: 30 days",
        ],
    );

    for strict in [false, true] {
        let repo = sbom_component_repo(strict);
        let log = run_component_job(
            repo.path(),
            &bin,
            "chainproof-sbom",
            !strict,
            &format!("strict {strict}"),
        );
        assert!(
            log.contains("tools/Gemfile: manifest without a lockfile"),
            "the warning in the job log:\n{log}"
        );
        // The report is written (and kept) either way.
        let report = repo.path().join("gl-sbom-chainproof.cdx.json");
        let text = fs::read_to_string(&report)
            .unwrap_or_else(|e| panic!("no cyclonedx report {} ({e}):\n{log}", report.display()));
        let doc: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(doc["bomFormat"], "CycloneDX");
        assert_eq!(doc["specVersion"], "1.6");
        assert_eq!(doc["metadata"]["component"]["purl"], SBOM_FIXTURE_ROOT);
        assert_eq!(cyclonedx_purls(&doc), SBOM_FIXTURE_PURLS, "{doc:#}");
        // format: spdx-json adds the SPDX document beside the report.
        let spdx = repo.path().join("gl-sbom-chainproof.spdx.json");
        let spdx: Value = serde_json::from_str(
            &fs::read_to_string(&spdx)
                .unwrap_or_else(|e| panic!("no SPDX file {} ({e}):\n{log}", spdx.display())),
        )
        .expect("json");
        assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
        assert_eq!(
            spdx["packages"].as_array().map(Vec::len),
            Some(SBOM_FIXTURE_PURLS.len() + 1),
            "the root and the components: {spdx:#}"
        );
    }
}

// --- the scan action and component ---------------------------------------------------------------

/// What `tests/fixtures/plugins/scan-repo/package-lock.json` (made by npm 11.19.1 with
/// `npm install --package-lock-only`) pins, lodash 4.17.20, has in the fixture records of
/// `tests/fixtures/vuln/osv/npm`: one high and two medium vulnerabilities.
const SCAN_FIXTURE_IDS: &[&str] = &[
    "GHSA-29mw-wpgm-hmr9",
    "GHSA-35jh-r3h4-6jhm",
    "GHSA-xxjr-mmjv-4gpg",
];

/// The fixture records are real and dated: the plugins are run with this `max-db-age`.
const SCAN_OLD_OK: &str = "100000";

/// `dir/npm/all.zip` from the real OSV records of `tests/fixtures/vuln/osv/npm` (see its README),
/// the layout `chainproof db update` writes.
fn scan_db(dir: &Path) {
    let src = fixtures().join("vuln/osv/npm");
    let mut records: Vec<(String, String)> = fs::read_dir(&src)
        .expect("fixture records")
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, fs::read_to_string(e.path()).expect("read record"))
        })
        .collect();
    records.sort();
    assert!(!records.is_empty(), "no records in {}", src.display());
    let entries: Vec<(&str, &str)> = records
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    crate::scan::write_zip(dir, "npm", &entries);
}

#[test]
fn jactionlint_accepts_the_scan_action_and_its_act_workflow() {
    jactionlint(&root(), &["actions/scan/action.yml"], "actions/scan");
    let r = scan_act_repo();
    jactionlint(
        r.repo.path(),
        &[".github/workflows/scan.yml"],
        "the scan act workflow",
    );
}

#[test]
fn chainproof_finds_nothing_in_the_scan_plugins() {
    assert_chainproof_finds_nothing(&[
        "actions/scan/action.yml",
        "gitlab-components/templates/scan.yml",
        "tests/fixtures/plugins/scan-repo/.github/workflows/scan.yml",
        "tests/fixtures/plugins/scan-repo/.gitlab-ci.yml",
    ]);
}

/// The scan fixture repository for act, laid out like [`act_repo`]'s.
fn scan_act_repo() -> ActRepo {
    act_fixture_repo("scan-repo", without_gitlab_ci)
}

/// act on the scan workflow: the local job gets the database as the `db` input, the remote one
/// through `$CHAINPROOF_DB`; `max_db_age` days (the fixture records are dated: [`SCAN_OLD_OK`]).
fn act_scan(r: &ActRepo, db: &Path, fail_on: &str, max_db_age: &str) -> Run {
    let mut cmd = act_workflow(r, "scan.yml", "ubuntu-24.04");
    offline_uses(
        &mut cmd,
        r,
        "actions/scan/action.yml",
        "github/codeql-action/upload-sarif",
        "codeql-action-stub",
    );
    run(cmd
        .args(["--input", &format!("fail-on={fail_on}")])
        .args(["--input", &format!("db={}", db.display())])
        .args(["--input", &format!("max-db-age={max_db_age}")])
        .args(["--env", &format!("CHAINPROOF_DB={}", db.display())]))
}

#[test]
fn act_runs_the_scan_action_on_a_vulnerable_lodash() {
    let r = scan_act_repo();
    let db = tempfile::tempdir().expect("tempdir");
    scan_db(db.path());
    let ids: Vec<String> = SCAN_FIXTURE_IDS.iter().map(|i| i.to_string()).collect();

    // fail-on critical: the vulnerabilities (one high, two medium) are reported, the jobs pass.
    let lenient = act_scan(&r, db.path(), "critical", SCAN_OLD_OK);
    let log = lenient.text();
    assert_eq!(lenient.code, Some(0), "fail-on critical must pass:\n{log}");
    assert_eq!(log.matches("Job succeeded").count(), 2, "{log}");
    assert!(
        log.contains("Building chainproof from") && log.contains("profile dev"),
        "{log}"
    );
    for job in ["local", "remote"] {
        assert_eq!(
            number_after(&log, &format!("{job} findings output: ")),
            Some(SCAN_FIXTURE_IDS.len() as u64),
            "{job}: the findings output:\n{log}"
        );
        // django (PyPI, which the database does not cover) is not checked, and says so.
        assert!(
            number_after(&log, &format!("{job} not-checked output: ")).is_some_and(|n| n >= 1),
            "{job}: the not-checked output:\n{log}"
        );
    }
    assert!(
        log.contains("pkg:pypi/django@3.2.0: the vulnerability database has no PyPI advisories"),
        "the text report lists what was not checked:\n{log}"
    );
    assert_eq!(
        values_after(&log, "local sarif rule: "),
        ids,
        "the SARIF report:\n{log}"
    );
    assert!(
        log.contains("upload-sarif stub: ") && log.contains("category chainproof-scan"),
        "the SARIF upload:\n{log}"
    );
    assert_eq!(
        values_after(&log, "remote report-file output: "),
        ["gl-dependency-scanning-report.json"],
        "{log}"
    );
    assert_eq!(
        values_after(&log, "remote gitlab id: "),
        ids,
        "the gitlab report of the remote job:\n{log}"
    );
    assert!(
        log.contains("none at or above critical"),
        "the verdict:\n{log}"
    );

    // fail-on high: GHSA-35jh-r3h4-6jhm (high) fails both jobs, after the SARIF upload.
    let strict = act_scan(&r, db.path(), "high", SCAN_OLD_OK);
    let log = strict.text();
    assert_ne!(strict.code, Some(0), "fail-on high must fail:\n{log}");
    assert_eq!(log.matches("Job failed").count(), 2, "{log}");
    assert!(
        log.contains("some at or above high: failing"),
        "the verdict:\n{log}"
    );
    assert!(
        log.contains("upload-sarif stub: "),
        "the upload runs before the failing step:\n{log}"
    );
    assert!(
        !log.contains("local findings output: "),
        "the check step must not run after the failure:\n{log}"
    );

    // A stale database fails even with fail-on none: exit 2, as an annotation. Its age is when
    // it was downloaded (here: the zip's modification time, set to 2020).
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800);
    fs::File::options()
        .write(true)
        .open(db.path().join("npm/all.zip"))
        .and_then(|f| f.set_modified(old))
        .expect("age the database");
    let stale = act_scan(&r, db.path(), "none", "7");
    let log = stale.text();
    assert_ne!(stale.code, Some(0), "a stale database must fail:\n{log}");
    assert_eq!(log.matches("Job failed").count(), 2, "{log}");
    assert!(
        log.contains("::error title=chainproof scan::the vulnerability database in ")
            && log.contains("older than --max-db-age 7"),
        "the stale database as an annotation:\n{log}"
    );
}

/// A repository holding our component templates, the scan fixture and a database in `osv-db/`, its
/// `.gitlab-ci.yml` using the scan component with `fail_on`, committed.
fn scan_component_repo(fail_on: &str) -> TempDir {
    component_repo_with(|dir| {
        copy_dir(&fixtures().join("plugins/scan-repo"), dir);
        fs::remove_dir_all(dir.join(".github")).expect("rm");
        scan_db(&dir.join("osv-db"));
        replace_in(
            &dir.join(".gitlab-ci.yml"),
            "fail_on: high",
            &format!("fail_on: {fail_on}"),
        );
    })
}

#[test]
fn gitlab_ci_local_runs_the_scan_component_on_a_vulnerable_lodash() {
    let bin = chainproof_bin_dir();

    // The rendered job: GitLab's schema accepts it, our linter finds nothing, and it declares the
    // dependency_scanning report under the name GitLab's analyzers use.
    let repo = scan_component_repo("high");
    check_rendered_component(
        repo.path(),
        &bin,
        "the scan fixture consumer",
        "the rendered scan component",
        &[
            "chainproof-scan:",
            "CHAINPROOF_SCAN_DB: osv-db",
            "CHAINPROOF_SCAN_MAX_DB_AGE: '100000'",
            "dependency_scanning: gl-dependency-scanning-report.json",
            "when: always",
        ],
    );

    for (fail_on, passes) in [("high", false), ("critical", true)] {
        let repo = scan_component_repo(fail_on);
        let log = run_component_job(
            repo.path(),
            &bin,
            "chainproof-scan",
            passes,
            &format!("fail_on {fail_on}"),
        );
        // The text report in the job log.
        for id in SCAN_FIXTURE_IDS {
            assert!(log.contains(id), "{id} in the job log:\n{log}");
        }
        assert!(log.contains("pkg:pypi/django@3.2.0"), "{log}");
        // The report is written (and kept) either way.
        let report = repo.path().join("gl-dependency-scanning-report.json");
        let text = fs::read_to_string(&report).unwrap_or_else(|e| {
            panic!(
                "no dependency scanning report {} ({e}):\n{log}",
                report.display()
            )
        });
        let doc: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(doc["scan"]["type"], "dependency_scanning", "{doc:#}");
        let mut ids: Vec<&str> = doc["vulnerabilities"]
            .as_array()
            .expect("vulnerabilities")
            .iter()
            .filter_map(|v| v["identifiers"][0]["value"].as_str())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, SCAN_FIXTURE_IDS, "{doc:#}");
        for v in doc["vulnerabilities"].as_array().expect("vulnerabilities") {
            assert_eq!(v["location"]["file"], "package-lock.json", "{v:#}");
            assert_eq!(v["location"]["dependency"]["package"]["name"], "lodash");
            assert_eq!(v["location"]["dependency"]["version"], "4.17.20");
        }
        let messages = doc["scan"]["messages"].to_string();
        assert!(
            messages.contains("not checked: pkg:pypi/django@3.2.0"),
            "what was not checked is in the report: {messages}"
        );
    }
}

// --- the sign and verify actions and components --------------------------------------------------

/// The sign and verify plugins and the fixture pipelines that use them.
const SIGN_PLUGIN_FILES: &[&str] = &[
    "actions/sign/action.yml",
    "actions/verify/action.yml",
    "gitlab-components/templates/sign.yml",
    "gitlab-components/templates/verify.yml",
    "tests/fixtures/plugins/sign-repo/.github/workflows/sign.yml",
    "tests/fixtures/plugins/sign-repo/.gitlab-ci.yml",
];

const SIGSTORE_BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

#[test]
fn jactionlint_accepts_the_sign_and_verify_actions_and_their_act_workflow() {
    jactionlint(
        &root(),
        &["actions/sign/action.yml", "actions/verify/action.yml"],
        "actions/sign and actions/verify",
    );
    // The fixture workflow, in a repository where `./actions/sign` resolves to ours (jactionlint
    // checks the `with:` keys against our action.yml files).
    let r = sign_act_repo();
    jactionlint(
        r.repo.path(),
        &[".github/workflows/sign.yml"],
        "the sign act workflow",
    );
}

#[test]
fn chainproof_finds_nothing_in_the_sign_and_verify_plugins() {
    assert_chainproof_finds_nothing(SIGN_PLUGIN_FILES);
}

/// The keyless signing component asks GitLab for the Sigstore token; the verify component signs
/// nothing and asks for no token.
#[test]
fn the_sign_component_declares_its_id_token_and_verify_none() {
    let sign = parse_yaml("gitlab-components/templates/sign.yml");
    let (_, job) = &sign[1].entries()[0];
    assert_eq!(
        job.path(&["id_tokens", "SIGSTORE_ID_TOKEN", "aud"])
            .and_then(Node::as_str),
        Some("sigstore"),
        "gitlab-components/templates/sign.yml: id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore"
    );
    let verify = parse_yaml("gitlab-components/templates/verify.yml");
    let (_, job) = &verify[1].entries()[0];
    assert!(job.get("id_tokens").is_none(), "verify needs no token");
}

/// The stand-in, its test token (never a real one) and the temp dir holding its trust files.
fn sign_standin() -> (TempDir, crate::sigstore_standin::StandIn, String) {
    use crate::sigstore_standin::{StandIn, token};
    let work = tempfile::tempdir().expect("tempdir");
    let standin = StandIn::start(work.path());
    let token = token(work.path(), &[], "token");
    assert_eq!(token.split('.').count(), 3, "token.mjs printed {token:?}");
    (work, standin, token)
}

/// The sign fixture repository for act, laid out like [`act_repo`]'s.
fn sign_act_repo() -> ActRepo {
    act_fixture_repo("sign-repo", without_gitlab_ci)
}

/// act on the sign workflow against the stand-in, the test token in SIGSTORE_ID_TOKEN, verify
/// requiring `identity`.
fn act_sign(
    r: &ActRepo,
    standin: &crate::sigstore_standin::StandIn,
    token: &str,
    identity: &str,
) -> Run {
    let input = |k: &str, v: &Path| format!("{k}={}", v.display());
    run(act_workflow(r, "sign.yml", "ubuntu-24.04")
        .args([
            "--input",
            &input("signing-config", &standin.file("signing_config.json")),
        ])
        .args([
            "--input",
            &input("trusted-root", &standin.file("trusted_root.json")),
        ])
        .args(["--input", &format!("identity={identity}")])
        .args(["--env", &format!("SIGSTORE_ID_TOKEN={token}")]))
}

#[test]
fn act_runs_the_sign_and_verify_actions_against_the_sigstore_standin() {
    use crate::sigstore_standin::{IDENTITY, WRONG_IDENTITY};
    let (_work, standin, token) = sign_standin();
    let r = sign_act_repo();

    let good = act_sign(&r, &standin, &token, IDENTITY);
    let log = good.text();
    assert_eq!(good.code, Some(0), "sign then verify must pass:\n{log}");
    assert_eq!(log.matches("Job succeeded").count(), 1, "{log}");
    assert!(
        log.contains("Building chainproof from") && log.contains("profile dev"),
        "{log}"
    );
    // One bundle per file, next to it, v0.3; the attestation's in bundle-dir, SLSA provenance v1
    // built from act's GitHub variables.
    assert_eq!(
        values_after(&log, "sign bundle output: "),
        [
            "dist/app.txt.sigstore.json",
            "dist/release notes.txt.sigstore.json"
        ],
        "{log}"
    );
    assert_eq!(
        values_after(&log, "sign bundle media type: "),
        [SIGSTORE_BUNDLE_V03, SIGSTORE_BUNDLE_V03],
        "{log}"
    );
    assert_eq!(
        values_after(&log, "attest bundle output: "),
        ["attestations/app.txt.slsaprovenance1.sigstore.json"],
        "{log}"
    );
    assert_eq!(
        values_after(&log, "attest predicate type: "),
        ["https://slsa.dev/provenance/v1"],
        "{log}"
    );
    // Both files with their default bundles; one file with its signature and attestation.
    assert_eq!(
        values_after(&log, "verified files output: "),
        ["2"],
        "{log}"
    );
    assert_eq!(values_after(&log, "verified app output: "), ["2"], "{log}");
    // The token source is named, the token itself never printed.
    assert!(log.contains("SIGSTORE_ID_TOKEN"), "{log}");
    assert!(!log.contains(&token), "the token leaked into the log");

    // Another identity: the first verify step fails the job, nothing after it runs.
    let wrong = act_sign(&r, &standin, &token, WRONG_IDENTITY);
    let log = wrong.text();
    assert_ne!(wrong.code, Some(0), "a wrong identity must fail:\n{log}");
    assert_eq!(log.matches("Job failed").count(), 1, "{log}");
    assert!(
        log.contains("::error title=chainproof verify::") && log.contains("certificate identity"),
        "the rejection as an annotation:\n{log}"
    );
    assert!(
        !log.contains("verified files output: "),
        "the steps after the failing verify must not run:\n{log}"
    );
}

/// A repository holding our component templates, the sign fixture's `.gitlab-ci.yml` (verify
/// requiring `identity`) and the stand-in's signing config and trusted root in `trust/`, committed.
fn sign_component_repo(standin: &crate::sigstore_standin::StandIn, identity: &str) -> TempDir {
    use crate::sigstore_standin::IDENTITY;
    component_repo_with(|dir| {
        copy_dir(&fixtures().join("plugins/sign-repo"), dir);
        fs::remove_dir_all(dir.join(".github")).expect("rm");
        fs::create_dir_all(dir.join("trust")).expect("mkdir");
        for f in ["signing_config.json", "trusted_root.json"] {
            fs::copy(standin.file(f), dir.join("trust").join(f)).expect("copy");
        }
        replace_in(&dir.join(".gitlab-ci.yml"), IDENTITY, identity);
    })
}

#[test]
fn gitlab_ci_local_runs_the_sign_and_verify_components_against_the_sigstore_standin() {
    use crate::sigstore_standin::{IDENTITY, WRONG_IDENTITY};
    let (_work, standin, token) = sign_standin();
    let bin = chainproof_bin_dir();

    // The rendered jobs: GitLab's schema accepts them, our linter finds nothing, sign asks for the
    // Sigstore token and keeps the bundles.
    let repo = sign_component_repo(&standin, IDENTITY);
    check_rendered_component(
        repo.path(),
        &bin,
        "the sign fixture consumer",
        "the rendered sign and verify components",
        &[
            "chainproof-sign:",
            "chainproof-verify:",
            "SIGSTORE_ID_TOKEN:",
            "aud: sigstore",
            "CHAINPROOF_SIGN_FILES: dist/app.txt",
            "CHAINPROOF_SIGN_WHEN_REF: tags",
            "CHAINPROOF_VERIFY_TRUSTED_ROOT: trust/trusted_root.json",
            "'**/*.sigstore.json'",
        ],
    );

    for (identity, passes) in [(IDENTITY, true), (WRONG_IDENTITY, false)] {
        let repo = sign_component_repo(&standin, identity);
        let r = run(gitlab_ci_local(repo.path(), &bin)
            .arg("--force-shell-executor")
            .args(["--variable", &format!("SIGSTORE_ID_TOKEN={token}")])
            // when_ref defaults to tags: sign and verify run in a tag's pipeline only.
            .args(["--variable", "CI_COMMIT_TAG=v1.0.0"]));
        let log = r.text();
        assert!(log.contains("PASS  build"), "{log}");
        assert!(log.contains("PASS  chainproof-sign"), "{log}");
        assert!(
            log.contains("signed dist/app.txt: dist/app.txt.sigstore.json"),
            "{log}"
        );
        if passes {
            assert_eq!(r.code, Some(0), "{identity} must pass:\n{log}");
            assert!(log.contains("PASS  chainproof-verify"), "{log}");
            assert!(log.contains("verified dist/app.txt"), "{log}");
        } else {
            assert_ne!(r.code, Some(0), "{identity} must fail:\n{log}");
            assert!(log.contains("FAIL  chainproof-verify"), "{log}");
            assert!(log.contains("certificate identity"), "the reason:\n{log}");
        }
        assert!(!log.contains(&token), "the token leaked into the log");
        // The bundle is the sign job's artifact, copied back into the project.
        let bundle = repo.path().join("dist/app.txt.sigstore.json");
        let doc: Value = serde_json::from_str(
            &fs::read_to_string(&bundle)
                .unwrap_or_else(|e| panic!("no bundle {} ({e}):\n{log}", bundle.display())),
        )
        .expect("json");
        assert_eq!(doc["mediaType"], SIGSTORE_BUNDLE_V03, "{doc:#}");
    }

    // A branch pipeline (no tag): neither job runs, so no token is minted and no Rekor entry made.
    let repo = sign_component_repo(&standin, IDENTITY);
    let r = run(gitlab_ci_local(repo.path(), &bin)
        .arg("--force-shell-executor")
        .args(["--variable", &format!("SIGSTORE_ID_TOKEN={token}")]));
    let log = r.text();
    assert_eq!(r.code, Some(0), "{log}");
    assert!(log.contains("PASS  build"), "{log}");
    assert!(
        !log.contains("chainproof-sign"),
        "sign must not run:\n{log}"
    );
    assert!(
        !log.contains("chainproof-verify"),
        "verify must not run:\n{log}"
    );
    assert!(!repo.path().join("dist/app.txt.sigstore.json").exists());
}
