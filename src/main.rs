//! `chainproof`: the CLI. Exit codes are decided here and only here:
//!
//! - 0: no finding at or above `--fail-on`
//! - 1: findings at or above `--fail-on`
//! - 2: usage error, or an input that could not be analysed (malformed YAML, unreadable file, bad config)

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;

/// What a command concluded; mapped to the process exit code in `main`.
pub enum Outcome {
    Clean,
    Findings,
    InputError,
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        cli::Command::Lint(args) => commands::lint::run(args),
        cli::Command::Check(args) => commands::check::run(args),
        cli::Command::Explain(args) => commands::explain::run(args),
        cli::Command::Sbom(args) => commands::sbom::run(args),
        cli::Command::Scan(args) => commands::scan::run(args),
        cli::Command::Db(args) => commands::db::run(args),
        cli::Command::Render(args) => commands::render::run(args),
        cli::Command::Templates(args) => commands::templates::run(args),
        cli::Command::Sign(args) => commands::sign::run(args),
        cli::Command::Attest(args) => commands::attest::run(args),
        cli::Command::Verify(args) => commands::verify::run(args),
        cli::Command::Key(args) => commands::key::run(args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Ok(Outcome::InputError) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
