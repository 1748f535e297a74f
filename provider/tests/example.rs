//! `provider/examples/local/run.sh` runs end to end (plan, apply, no-change plan, drift plan exit 2).

use crate::support::{terraform_binary, workspace_root};

#[test]
fn local_example_runs() {
    let work = tempfile::tempdir().expect("tempdir");
    let script = workspace_root().join("provider/examples/local/run.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(work.path())
        .env("TERRAFORM", terraform_binary())
        .env(
            "CHAINPROOF_PROVIDER_BIN",
            env!("CARGO_BIN_EXE_terraform-provider-chainproof"),
        )
        .env("HOME", work.path())
        .output()
        .expect("run run.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "run.sh failed:\n{text}");
    assert!(text.contains("No changes."), "{text}");
    assert!(text.contains("changed outside of Terraform"), "{text}");
    assert!(text.contains("done: the example ran"), "{text}");
}
