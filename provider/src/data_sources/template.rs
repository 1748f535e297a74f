//! `chainproof_template`: a template rendered in memory, for review or for other resources.

use rmpv::Value;

use crate::provider::{Cx, DataSource, Diag, Result};
use crate::resources::pipeline::render;
use crate::schema::{Attribute, Schema, Type};
use crate::value::{self, field, set, string};

pub struct Template;

#[tonic::async_trait]
impl DataSource for Template {
    fn name(&self) -> &'static str {
        "chainproof_template"
    }

    fn schema(&self) -> Schema {
        Schema {
            description: "Renders a chainproof pipeline template without touching any repository: the files \
`chainproof_repository_pipeline` would write, for review (`terraform console`, outputs) or for other \
resources. Needs no forge access.",
            attributes: vec![
                Attribute::computed("id", Type::String, "The template name."),
                Attribute::required(
                    "template",
                    Type::String,
                    "Template name, e.g. `github-rust`.",
                ),
                Attribute::optional(
                    "values",
                    Type::String,
                    "Template parameters as a JSON object (`jsonencode({ ... })`). Default `{}`.",
                ),
                Attribute::computed(
                    "files",
                    Type::map(Type::String),
                    "Rendered files: repository-relative path to content.",
                ),
                Attribute::computed(
                    "blob_shas",
                    Type::map(Type::String),
                    "Rendered files: path to git blob SHA-1, as `chainproof_repository_pipeline` records them.",
                ),
            ],
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let values = field(config, "values");
        match (field(config, "template").str(), values.is_known()) {
            (Some(t), true) => render(t, values.str()).err().into_iter().collect(),
            _ => Vec::new(),
        }
    }

    async fn read(&self, _cx: &Cx, config: &Value) -> Result<Value> {
        let template = field(config, "template")
            .str()
            .ok_or_else(|| Diag::error("`template` is not known", "").at("template"))?;
        let files = render(template, field(config, "values").str())?;
        let mut state = config.clone();
        set(&mut state, "id", string(template));
        set(
            &mut state,
            "blob_shas",
            value::string_map(
                files
                    .iter()
                    .map(|(p, c)| (p.clone(), chainproof_forge::blob_sha(c.as_bytes()))),
            ),
        );
        set(&mut state, "files", value::string_map(&files));
        Ok(self.schema().normalize(&state))
    }
}
