//! `chainproof-fake-forge github|gitlab [--port P] [--repos N] [--owner acme] [--files a,b] [--token T]`
//!
//! Runs a fake forge (see `chainproof_forge::fake`) until killed, prints its URL on stdout, and serves
//! `GET /_fake/stats` (request counters as JSON). `--repos N` (alias `--seed N`) creates
//! `<owner>/repo-0001..N`, each with one commit holding `--files` (default `README.md`).

use std::io::Write;

use chainproof_forge::fake::{FakeGithub, FakeGitlab, FakeState};

const USAGE: &str = "usage: chainproof-fake-forge github|gitlab [--port P] [--repos N] [--owner acme] [--files README.md,ci.yml] [--token T]";

#[tokio::main]
async fn main() {
    if let Err(message) = run().await {
        eprintln!("chainproof-fake-forge: {message}\n{USAGE}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let kind = args.next().ok_or("missing github|gitlab")?;
    let (mut port, mut repos, mut owner, mut files, mut token) = (
        0u16,
        0usize,
        "acme".to_string(),
        vec!["README.md".to_string()],
        None,
    );
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--repos" | "--seed" => repos = value()?.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--owner" => owner = value()?,
            "--files" => {
                files = value()?
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "--token" => token = Some(value()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let state = FakeState::new();
    state.require_token(token.as_deref());
    for i in 1..=repos {
        let name = format!("repo-{i:04}");
        let contents: Vec<(String, String)> = files
            .iter()
            .map(|f| (f.clone(), format!("{f} of {owner}/{name}\n")))
            .collect();
        let refs: Vec<(&str, &str)> = contents
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        state.create_repo(&format!("{owner}/{name}"), &refs);
    }
    let addr = format!("127.0.0.1:{port}");
    let server = match kind.as_str() {
        "github" => FakeGithub::start_with(state, &addr).await,
        "gitlab" => FakeGitlab::start_with(state, &addr).await,
        other => return Err(format!("unknown forge {other}")),
    }
    .map_err(|e| format!("binding {addr}: {e}"))?;
    let mut out = std::io::stdout();
    writeln!(out, "{}", server.url()).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    tokio::select! {
        _ = server.run_forever() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
