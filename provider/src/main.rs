//! `terraform-provider-chainproof`: started by Terraform, never by hand (see `provider/README.md`).

use std::process::ExitCode;

fn main() -> ExitCode {
    // One rustls crypto provider for the whole process (aws-lc-rs; `ring` is not in the build).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

    // Logs go to stderr, which Terraform shows with TF_LOG; stdout carries only the handshake.
    let level = match std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "trace" | "json" => "trace",
        "debug" => "debug",
        "info" => "info",
        "error" => "error",
        "off" => "off",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
            "{level},h2=warn,hyper=warn,tower=warn,rustls=warn"
        )))
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-chainproof: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(terraform_provider_chainproof::serve(|k| {
        std::env::var(k).ok()
    })) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-chainproof: {e:#}");
            ExitCode::FAILURE
        }
    }
}
