//! `chainproof key generate --output PREFIX`: PREFIX.key (cosign-compatible encrypted ECDSA P-256,
//! mode 0600) and PREFIX.pub. The password comes from CHAINPROOF_PASSWORD or COSIGN_PASSWORD (an empty
//! value is an empty password); there is no prompt.

use anyhow::Result;
use chainproof_attest::keys;

use crate::Outcome;
use crate::cli::{KeyArgs, KeyCommand};

pub fn run(args: KeyArgs) -> Result<Outcome> {
    match args.command {
        KeyCommand::Generate(g) => {
            let env = |k: &str| std::env::var(k).ok();
            let password = keys::password_from_env(&env)?;
            let key = keys::generate_files(&g.output, &password)?;
            let prefix = g.output.display();
            println!(
                "wrote {prefix}.key (encrypted, mode 0600) and {prefix}.pub (public key sha256 {})",
                key.hint()
            );
            Ok(Outcome::Clean)
        }
    }
}
