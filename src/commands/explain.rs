//! `chainproof explain [RULE]`: a rule's documentation, or the list of rules.

use anyhow::{Result, bail};
use chainproof_pipeline::registry;

use crate::Outcome;
use crate::cli::ExplainArgs;

pub fn run(args: ExplainArgs) -> Result<Outcome> {
    match args.rule {
        None => {
            for r in registry::infos() {
                println!(
                    "{:<32} {:<8} {:<14} {}",
                    r.id,
                    r.severity,
                    r.platforms.join(","),
                    r.title
                );
            }
        }
        Some(id) => {
            let Some(rule) = registry::find(&id) else {
                bail!("unknown rule `{id}`; `chainproof explain` lists them");
            };
            let i = rule.info();
            println!("# {}: {}\n", i.id, i.title);
            println!(
                "Default severity: {}. Confidence: {}. Platforms: {}. Fixable: {}.\n",
                i.severity,
                i.confidence.as_str(),
                i.platforms.join(", "),
                if i.fixable { "yes (--fix)" } else { "no" }
            );
            print!(
                "{}",
                i.docs
                    .lines()
                    .map(|l| l.strip_prefix(' ').unwrap_or(l))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            println!();
        }
    }
    Ok(Outcome::Clean)
}
