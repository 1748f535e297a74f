//! Helpers shared by the integration tests.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// What fixes a missing test tool.
pub const INSTALL_HINT: &str = "run scripts/install-test-tools.sh (scripts/test.sh runs it first)";

/// The repository root (tests run from it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

/// `.tools/bin`, where scripts/install-test-tools.sh puts the external test tools.
pub fn tools_bin() -> PathBuf {
    root().join(".tools/bin")
}

/// A test tool under `.tools/` (`bin/act`, `venv/bin/python`); a missing one fails the test with
/// the command that installs it.
pub fn test_tool(rel: &str) -> PathBuf {
    let path = root().join(".tools").join(rel);
    assert!(
        path.exists(),
        "the test tool `{rel}` is missing ({}): {INSTALL_HINT}",
        path.display()
    );
    path
}

/// The variables of this process that are one of `names` or start with one of `prefixes`: what a
/// test removes so that nothing of the CI it runs in leaks into a command.
pub fn ci_vars(names: &[&str], prefixes: &[&str]) -> Vec<String> {
    std::env::vars_os()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .filter(|k| names.contains(&k.as_str()) || prefixes.iter().any(|p| k.starts_with(p)))
        .collect()
}

/// PATH with `first` before this process's PATH.
pub fn path_with(mut first: Vec<PathBuf>) -> OsString {
    first.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(first).expect("PATH")
}

/// `git` in `dir` with a fixed test identity and default branch, unsigned commits, and no global
/// or system configuration.
pub fn git(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "user.name=chainproof tests",
            "-c",
            "user.email=tests@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ]);
    cmd
}

/// Runs `cmd` to completion (at most `timeout`), its stdout and stderr captured in
/// `dir/<label>.out` and `dir/<label>.err`; returns its status and both outputs.
pub fn run_logged(
    cmd: &mut std::process::Command,
    dir: &Path,
    label: &str,
    timeout: Duration,
) -> (ExitStatus, String) {
    let out_path = dir.join(format!("{label}.out"));
    let err_path = dir.join(format!("{label}.err"));
    cmd.stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(fs::File::create(&err_path).expect("stderr file"));
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{label}: cannot start {cmd:?}: {e}"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{label}: {cmd:?} did not finish in {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = format!(
        "{}{}",
        fs::read_to_string(&out_path).unwrap_or_default(),
        fs::read_to_string(&err_path).unwrap_or_default()
    );
    (status, output)
}

/// Stops a server the tests started, by PID: SIGTERM, then SIGKILL after 5 s.
pub fn stop(child: &mut Child) {
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The built `chainproof` binary with a clean environment: nothing from the CI the tests run in
/// (`CI`, `GITHUB_*`, `GITLAB_*`, `CHAINPROOF_*`, `NO_COLOR`) leaks in.
pub fn chainproof(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainproof"));
    cmd.current_dir(cwd);
    for k in ci_vars(&["CI", "NO_COLOR"], &["GITHUB_", "GITLAB_", "CHAINPROOF_"]) {
        cmd.env_remove(&k);
    }
    cmd
}
