//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root (tests run from it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

/// The built `chainproof` binary with a clean environment: nothing from the CI the tests run in
/// (`CI`, `GITHUB_*`, `GITLAB_*`, `CHAINPROOF_*`, `NO_COLOR`) leaks in.
pub fn chainproof(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainproof"));
    cmd.current_dir(cwd);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k == "CI"
            || k == "NO_COLOR"
            || k.starts_with("GITHUB_")
            || k.starts_with("GITLAB_")
            || k.starts_with("CHAINPROOF_")
        {
            cmd.env_remove(&k);
        }
    }
    cmd
}
