//! Our own supply chain: `deny.toml` holds (banned crates, permissive licenses only, crates.io only),
//! the lock file is committed, and no system-TLS crate sneaks in.
//!
//! Needs cargo-deny: `scripts/install-cargo-deny.sh` (called by `scripts/install-test-tools.sh`)
//! puts it in `.tools/bin`; one on `PATH` works too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

use crate::support::root;

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn cargo_deny() -> PathBuf {
    let local = root().join(".tools/bin/cargo-deny");
    if local.is_file() {
        return local;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("cargo-deny"))
            .find(|p| p.is_file())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "cargo-deny is not installed (looked in .tools/bin and PATH): \
             run scripts/install-test-tools.sh (or scripts/install-cargo-deny.sh)"
        )
    })
}

fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    cmd.output()
        .unwrap_or_else(|e| panic!("could not run {shown}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// cargo-deny and `cargo tree --target all` read the graph with `cargo metadata`, which wants every
/// package of every platform in the lock file; a build fetched only this platform's. Fetch the rest
/// once (a no-op when cached).
fn fetched() {
    static FETCH: Once = Once::new();
    FETCH.call_once(|| {
        let fetch = run(Command::new(cargo())
            .args(["fetch", "--locked"])
            .current_dir(root()));
        assert!(
            fetch.status.success(),
            "cargo fetch failed: {}",
            text(&fetch)
        );
    });
}

#[test]
fn cargo_deny_bans_licenses_sources() {
    let deny = cargo_deny();
    let root = root();
    fetched();
    let out = run(Command::new(&deny)
        .args(["--offline", "check", "bans", "licenses", "sources"])
        .env("CARGO", cargo())
        .current_dir(&root));
    assert!(
        out.status.success(),
        "cargo deny check failed (policy in deny.toml): {}",
        text(&out)
    );
}

#[test]
fn lock_file_is_committed() {
    let root = root();
    assert!(
        root.join("Cargo.lock").is_file(),
        "Cargo.lock is missing: the binary's dependency versions must be pinned"
    );
    // In a git checkout, it must be tracked, not just present.
    if root.join(".git").exists() {
        let out = run(Command::new("git")
            .args(["ls-files", "--error-unmatch", "Cargo.lock"])
            .current_dir(&root));
        assert!(
            out.status.success(),
            "Cargo.lock is not tracked by git: {}",
            text(&out)
        );
    }
}

#[test]
fn no_system_tls_in_the_graph() {
    // The same ban deny.toml enforces, checked with cargo alone so it holds without cargo-deny.
    fetched();
    for krate in ["openssl-sys", "ring"] {
        let out = run(Command::new(cargo())
            .args([
                "tree",
                "--locked",
                "--offline",
                "--target",
                "all",
                "-i",
                krate,
            ])
            .current_dir(root()));
        // Either absent from Cargo.lock, or listed there (an optional dependency of a crate we use,
        // like quinn's ring) but built for no target: `cargo tree` then prints nothing.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let absent = !out.status.success() && stderr.contains("did not match any packages");
        let unused =
            out.status.success() && stdout.trim().is_empty() && stderr.contains("nothing to print");
        assert!(
            absent || unused,
            "{krate} is in the dependency graph: {}",
            text(&out)
        );
    }
}

#[test]
fn deny_toml_bans_what_we_promise() {
    let path: &Path = &root().join("deny.toml");
    let policy = std::fs::read_to_string(path).expect("deny.toml");
    for krate in [
        "openssl",
        "openssl-sys",
        "native-tls",
        "ring",
        "serde_yaml",
        "serde_yml",
        "libyml",
    ] {
        assert!(
            policy.contains(&format!("crate = \"{krate}\"")),
            "deny.toml does not ban {krate}"
        );
    }
    assert!(
        policy.contains("unknown-registry = \"deny\"") && policy.contains("unknown-git = \"deny\"")
    );
}
