//! `chainproof.yml`: the user's configuration. Unknown keys are errors that point into the file.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::finding::Severity;

/// File names looked up, in order, at the root of the analysed repository.
pub const CONFIG_FILES: [&str; 3] = [
    "chainproof.yml",
    ".chainproof.yml",
    ".github/chainproof.yml",
];

/// chainproof configuration (`chainproof.yml`).
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Rule ids that are not run at all.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Severity overrides per rule id.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Owners (GitHub organisations or users, GitLab groups) whose actions, reusable workflows,
    /// includes and components may be referenced by tag or branch instead of a full commit SHA.
    /// Entries are `owner` or `owner/repo`; `*` matches any single path segment (`actions/*`).
    #[serde(default)]
    pub allow_unpinned: Vec<String>,
    /// Paths (relative to the repository root, `/` separated, glob `*`/`**`) that are not linted.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A configuration file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl Config {
    /// Parse configuration text; errors name the file, line and column.
    pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
        let cfg: Config = serde_saphyr::from_str(text).map_err(|e| ConfigError {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Ok(cfg)
    }

    /// Load the first config file found under `root`, or the defaults.
    pub fn discover(root: &Path) -> Result<(Config, Option<String>), ConfigError> {
        for name in CONFIG_FILES {
            let p = root.join(name);
            if p.is_file() {
                let shown = p.display().to_string();
                let text = std::fs::read_to_string(&p).map_err(|e| ConfigError {
                    path: shown.clone(),
                    message: e.to_string(),
                })?;
                return Config::parse(&shown, &text).map(|c| (c, Some(shown)));
            }
        }
        Ok((Config::default(), None))
    }

    pub fn is_disabled(&self, rule: &str) -> bool {
        self.disable.iter().any(|d| d == rule)
    }

    /// Whether `reference` (`owner/repo[/path]`) is allowed to be unpinned.
    pub fn allows_unpinned(&self, reference: &str) -> bool {
        let parts: Vec<&str> = reference.split('/').collect();
        self.allow_unpinned.iter().any(|pat| {
            let pp: Vec<&str> = pat.split('/').collect();
            pp.len() <= parts.len()
                && pp
                    .iter()
                    .zip(&parts)
                    .all(|(p, s)| *p == "*" || p.eq_ignore_ascii_case(s))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_a_position() {
        let err = Config::parse("chainproof.yml", "disable: [a]\nseverty: {}\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("chainproof.yml"), "{msg}");
        assert!(msg.contains("severty"), "{msg}");
        assert!(msg.contains('2'), "line number missing: {msg}");
    }

    #[test]
    fn allow_list_matches_owner_and_wildcards() {
        let cfg = Config::parse("c", "allow-unpinned: [actions, 'myorg/*']\n").unwrap();
        assert!(cfg.allows_unpinned("actions/checkout"));
        assert!(cfg.allows_unpinned("myorg/tool/sub"));
        assert!(!cfg.allows_unpinned("evil/actions"));
    }
}
