//! `chainproof_repositories`: the inventory of an organisation, group or local directory.

use rmpv::Value;

use crate::provider::{Cx, DataSource, Diag, Result};
use crate::schema::{Attribute, Schema, Type};
use crate::value::{field, set, string, string_list, string_map};

pub struct Repositories;

fn repository_type() -> Type {
    Type::Object(vec![
        ("full_name", Type::String),
        ("default_branch", Type::String),
        ("topics", Type::list(Type::String)),
        ("archived", Type::Bool),
        ("visibility", Type::String),
        ("properties", Type::map(Type::String)),
    ])
}

#[tonic::async_trait]
impl DataSource for Repositories {
    fn name(&self) -> &'static str {
        "chainproof_repositories"
    }

    fn schema(&self) -> Schema {
        Schema {
            description: "Lists the repositories of a GitHub organisation or user, a GitLab group (with \
subgroups) or a local directory, filtered by topic, name and archived state — the inventory to roll a \
pipeline out to with `for_each`.",
            attributes: vec![
                Attribute::computed("id", Type::String, "The owner."),
                Attribute::required(
                    "owner",
                    Type::String,
                    "Organisation or user (GitHub), group path (GitLab) or directory under `root` (local).",
                ),
                Attribute::optional(
                    "topic",
                    Type::String,
                    "Keep only repositories with this topic (GitLab: topic or tag).",
                ),
                Attribute::optional(
                    "name_regex",
                    Type::String,
                    "Keep only repositories whose `full_name` matches this regular expression (Rust `regex` syntax, unanchored).",
                ),
                Attribute::optional(
                    "include_archived",
                    Type::Bool,
                    "Include archived repositories (default `false`).",
                ),
                Attribute::computed(
                    "repositories",
                    Type::list(repository_type()),
                    "The matching repositories, sorted by `full_name`: `full_name`, `default_branch`, `topics`, \
`archived`, `visibility` (`public`, `private` or `internal`) and `properties` (GitHub custom properties).",
                ),
                Attribute::computed(
                    "full_names",
                    Type::list(Type::String),
                    "`full_name` of every matching repository, sorted (handy for `for_each = toset(...)`).",
                ),
            ],
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        match field(config, "name_regex").str().map(regex::Regex::new) {
            Some(Err(e)) => vec![Diag::error("invalid name_regex", e.to_string()).at("name_regex")],
            _ => Vec::new(),
        }
    }

    async fn read(&self, cx: &Cx, config: &Value) -> Result<Value> {
        let owner = field(config, "owner")
            .str()
            .ok_or_else(|| Diag::error("`owner` is not known", "").at("owner"))?;
        let regex =
            match field(config, "name_regex").str() {
                Some(r) => Some(regex::Regex::new(r).map_err(|e| {
                    Diag::error("invalid name_regex", e.to_string()).at("name_regex")
                })?),
                None => None,
            };
        let topic = field(config, "topic").str();
        let include_archived = field(config, "include_archived").bool().unwrap_or(false);
        let mut repos = cx.forge()?.list_repositories(owner).await.map_err(|e| {
            Diag::forge(format!("listing the repositories of {owner}"), e).at("owner")
        })?;
        repos.retain(|r| {
            (include_archived || !r.archived)
                && topic.is_none_or(|t| r.topics.iter().any(|x| x == t))
                && regex.as_ref().is_none_or(|re| re.is_match(&r.full_name))
        });
        repos.sort_by(|a, b| a.full_name.cmp(&b.full_name));
        let objects = repos
            .iter()
            .map(|r| {
                let mut o = Value::Map(Vec::new());
                set(&mut o, "full_name", string(&r.full_name));
                set(&mut o, "default_branch", string(&r.default_branch));
                set(&mut o, "topics", string_list(&r.topics));
                set(&mut o, "archived", Value::Boolean(r.archived));
                set(&mut o, "visibility", string(&r.visibility));
                set(&mut o, "properties", string_map(&r.properties));
                o
            })
            .collect();
        let mut state = config.clone();
        set(&mut state, "id", string(owner));
        set(&mut state, "repositories", Value::Array(objects));
        set(
            &mut state,
            "full_names",
            string_list(repos.iter().map(|r| r.full_name.as_str())),
        );
        Ok(self.schema().normalize(&state))
    }
}
