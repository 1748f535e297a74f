//! `chainproof templates list [--format text|json]`: the secure pipeline templates.

use anyhow::Result;

use crate::Outcome;
use crate::cli::{TemplatesArgs, TemplatesCommand};

pub fn run(args: TemplatesArgs) -> Result<Outcome> {
    match args.command {
        TemplatesCommand::List(list) => {
            let templates = chainproof_catalog::templates();
            if list.format == "json" {
                println!("{}", serde_json::to_string_pretty(&templates)?);
            } else {
                for t in templates {
                    println!(
                        "{:<18} {:<7} {}",
                        t.name,
                        t.platform.as_str(),
                        t.description
                    );
                }
            }
        }
    }
    Ok(Outcome::Clean)
}
