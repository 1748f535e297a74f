//! The `provider "chainproof"` block.

use std::path::PathBuf;

use chainproof_forge::ForgeConfig;
use rmpv::Value;

use crate::provider::Diag;
use crate::schema::{Attribute, Schema, Type};
use crate::value::{Field, field};

pub const FORGES: [&str; 3] = ["github", "gitlab", "local"];

pub fn schema() -> Schema {
    Schema {
        description: "Renders chainproof's secure pipeline templates into many repositories at once (all \
files in one commit, or through a pull/merge request), detects manual edits as drift from a single tree \
listing per repository, and requires the pipeline's checks and signed commits on protected branches.\n\n\
Works against GitHub, GitLab, or a local directory of git repositories (the offline default). The token is \
read from the environment only — `CHAINPROOF_FORGE_TOKEN`, else `GITHUB_TOKEN` (forge `github`) or \
`GITLAB_TOKEN` (forge `gitlab`) — and is never stored in state, plans or logs.",
        attributes: vec![
            Attribute::optional(
                "forge",
                Type::String,
                "Where the repositories live: `github`, `gitlab` or `local` (default `local`).",
            ),
            Attribute::optional(
                "base_url",
                Type::String,
                "API base URL: GitHub Enterprise (`https://ghe.example/api/v3`) or a self-managed GitLab \
(`https://gitlab.example`). Defaults to `https://api.github.com` / `https://gitlab.com`.",
            ),
            Attribute::optional(
                "root",
                Type::String,
                "Forge `local` only: the directory holding the repositories as `<owner>/<name>` git \
repositories (default: the working directory).",
            ),
            Attribute::optional(
                "concurrency",
                Type::Number,
                "Most forge requests in flight at once from one provider process (default 8). Terraform's \
own `-parallelism` (default 10) bounds how many resources are worked on at once.",
            ),
        ],
    }
}

/// Checks what can be checked before values are known.
pub fn validate(config: &Value) -> Vec<Diag> {
    let mut diags = Vec::new();
    if let Some(f) = field(config, "forge").str() {
        if !FORGES.contains(&f) {
            diags.push(
                Diag::error(
                    "unknown forge",
                    format!("forge = {f:?}; expected one of {}", FORGES.join(", ")),
                )
                .at("forge"),
            );
        }
    }
    if let Field::Known(_) = field(config, "concurrency") {
        match field(config, "concurrency").int() {
            Some(n) if (1..=256).contains(&n) => {}
            _ => diags.push(
                Diag::error(
                    "invalid concurrency",
                    "concurrency must be a whole number from 1 to 256",
                )
                .at("concurrency"),
            ),
        }
    }
    diags
}

/// The forge configuration, with the token taken from the environment.
pub fn forge_config(
    config: &Value,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ForgeConfig, Diag> {
    for name in ["forge", "base_url", "root", "concurrency"] {
        if !field(config, name).is_known() {
            return Err(Diag::error(
                "provider configuration not known",
                format!("`{name}` depends on a value known only after apply; the provider needs it to plan"),
            )
            .at(name));
        }
    }
    if let Some(d) = validate(config).into_iter().next() {
        return Err(d);
    }
    let kind = field(config, "forge").str().unwrap_or("local").to_owned();
    let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let token = match kind.as_str() {
        "github" => {
            nonempty(env("CHAINPROOF_FORGE_TOKEN")).or_else(|| nonempty(env("GITHUB_TOKEN")))
        }
        "gitlab" => {
            nonempty(env("CHAINPROOF_FORGE_TOKEN")).or_else(|| nonempty(env("GITLAB_TOKEN")))
        }
        _ => None,
    };
    let root = match kind.as_str() {
        "local" => Some(PathBuf::from(field(config, "root").str().unwrap_or("."))),
        _ => None,
    };
    Ok(ForgeConfig {
        kind,
        base_url: field(config, "base_url").str().map(str::to_owned),
        token,
        root,
        concurrency: field(config, "concurrency").int().unwrap_or(0).max(0) as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{set, string};

    fn cfg(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::Map(Vec::new());
        for (k, x) in pairs {
            set(&mut v, k, x.clone());
        }
        v
    }

    #[test]
    fn token_comes_from_the_environment() {
        let c = cfg(&[("forge", string("github"))]);
        let env = |k: &str| match k {
            "GITHUB_TOKEN" => Some("gh".to_owned()),
            "CHAINPROOF_FORGE_TOKEN" => Some(String::new()),
            _ => None,
        };
        let fc = forge_config(&c, env).expect("config");
        assert_eq!(fc.token.as_deref(), Some("gh"));
        let env2 = |k: &str| (k == "CHAINPROOF_FORGE_TOKEN").then(|| "cp".to_owned());
        assert_eq!(
            forge_config(&c, env2).expect("config").token.as_deref(),
            Some("cp")
        );
        // The token never shows in the configuration's Debug output.
        assert!(!format!("{:?}", forge_config(&c, env).expect("config")).contains("gh\""));
    }

    #[test]
    fn defaults_to_local_and_rejects_bad_values() {
        let fc = forge_config(&Value::Nil, |_| None).expect("config");
        assert_eq!(fc.kind, "local");
        assert_eq!(fc.root, Some(PathBuf::from(".")));
        let bad = cfg(&[("forge", string("bitbucket"))]);
        assert_eq!(validate(&bad)[0].attribute.as_deref(), Some("forge"));
        let bad = cfg(&[("concurrency", Value::from(0))]);
        assert_eq!(validate(&bad)[0].attribute.as_deref(), Some("concurrency"));
        let unknown = cfg(&[("root", crate::value::unknown())]);
        assert!(forge_config(&unknown, |_| None).is_err());
    }
}
