//! Running Terraform against the built provider in a throw-away directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("provider/ has a parent")
        .to_path_buf()
}

/// `$TERRAFORM`, else `.tools/bin/terraform`; a missing binary fails the test (never a skip).
pub fn terraform_binary() -> PathBuf {
    let path = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools/bin/terraform"));
    assert!(
        path.is_file(),
        "terraform not found at {}: run scripts/install-test-tools.sh (or set TERRAFORM)",
        path.display()
    );
    path
}

pub const PROVIDER_SOURCE: &str = "chainproof/chainproof";

/// Values every GitHub/GitLab template needs (the chainproof pin).
pub const VALUES: &str = r#"jsonencode({ chainproof_sha = "e345bb857c53f17dff268cf2a83eacfd87a3bbf6", chainproof_version = "v0.1.0" })"#;

pub struct Output {
    pub code: i32,
    pub text: String,
}

/// A Terraform working directory with its own CLI configuration and its own copy of the provider
/// binary (so a concurrent `cargo build` replacing target/debug cannot pull it away mid-run).
pub struct Tf {
    _dir: tempfile::TempDir,
    pub work: PathBuf,
    cli_config: PathBuf,
    home: PathBuf,
    env: Vec<(String, String)>,
}

impl Tf {
    pub fn new(main_tf: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let plugins = dir.path().join("plugins");
        let work = dir.path().join("work");
        let home = dir.path().join("home");
        for d in [&plugins, &work, &home] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::copy(
            env!("CARGO_BIN_EXE_terraform-provider-chainproof"),
            plugins.join("terraform-provider-chainproof"),
        )
        .expect("copy the provider binary");
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                plugins.display()
            ),
        )
        .expect("write the CLI configuration");
        let tf = Self {
            _dir: dir,
            work,
            cli_config,
            home,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        tf.write(main_tf);
        tf
    }

    pub fn write(&self, main_tf: &str) {
        let header = format!(
            "terraform {{\n  required_providers {{\n    chainproof = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\n"
        );
        std::fs::write(self.work.join("main.tf"), header + main_tf).expect("write main.tf");
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = tokio::process::Command::new(terraform_binary());
        cmd.args(args)
            .current_dir(&self.work)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = tokio::time::timeout(std::time::Duration::from_secs(300), cmd.output())
            .await
            .expect("terraform finished within 5 minutes")
            .expect("run terraform");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Output {
            code: out.status.code().unwrap_or(-1),
            text,
        }
    }

    /// Runs and asserts the exit code, showing Terraform's output when it differs.
    pub async fn expect(&self, args: &[&str], code: i32) -> String {
        let mut full = args.to_vec();
        full.push("-no-color");
        let out = self.run(&full).await;
        assert_eq!(
            out.code,
            code,
            "terraform {} exited {} (expected {code}):\n{}",
            args.join(" "),
            out.code,
            out.text
        );
        out.text
    }

    pub async fn plan(&self, code: i32) -> String {
        self.expect(&["plan", "-input=false", "-detailed-exitcode"], code)
            .await
    }

    pub async fn apply(&self) -> String {
        self.expect(&["apply", "-input=false", "-auto-approve"], 0)
            .await
    }
}

/// GitLab templates need more parameters (pinned images): the catalog's example values for them.
fn gitlab_values(template: &str) -> Option<serde_json::Value> {
    template
        .starts_with("gitlab")
        .then(|| chainproof_catalog::example_values(template).expect("example values"))
}

/// `values` for `template` as HCL.
pub fn values_hcl(template: &str) -> String {
    match gitlab_values(template) {
        Some(v) => format!("<<EOT\n{v}\nEOT"),
        None => VALUES.to_owned(),
    }
}

/// The files a template renders for the test values.
pub fn rendered(template: &str) -> std::collections::BTreeMap<String, String> {
    let values = gitlab_values(template).unwrap_or_else(|| {
        serde_json::json!({
            "chainproof_sha": "e345bb857c53f17dff268cf2a83eacfd87a3bbf6",
            "chainproof_version": "v0.1.0",
        })
    });
    chainproof_catalog::render(template, &values)
        .expect("template renders")
        .files
}
