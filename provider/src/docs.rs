//! `provider/docs/` generated from the schema descriptions (Terraform Registry layout). The test
//! `tests/docs.rs` regenerates them in memory and fails when the committed files are stale.

use std::collections::BTreeMap;

use crate::config;
use crate::provider;
use crate::schema::{Kind, Schema};

fn attributes(s: &Schema) -> String {
    let mut out = String::new();
    let sections = [
        ("Required", &[Kind::Required][..]),
        ("Optional", &[Kind::Optional, Kind::OptionalComputed][..]),
        ("Read-only", &[Kind::Computed][..]),
    ];
    for (title, kinds) in sections {
        let attrs: Vec<_> = s
            .attributes
            .iter()
            .filter(|a| kinds.contains(&a.kind))
            .collect();
        if attrs.is_empty() {
            continue;
        }
        out.push_str(&format!("\n### {title}\n\n"));
        for a in attrs {
            let mut line = format!("- `{}` ({})", a.name, a.ty.display());
            if a.force_new {
                line.push_str(" *forces replacement*");
            }
            line.push_str(&format!(" {}\n", a.description.replace('\n', " ")));
            out.push_str(&line);
        }
    }
    out
}

/// Splits a description into its body and an optional `## Import` section (moved to the end).
fn split_import(description: &str) -> (&str, Option<&str>) {
    match description.split_once("## Import") {
        Some((body, import)) => (body.trim_end(), Some(import.trim())),
        None => (description, None),
    }
}

const HEADER: &str =
    "<!-- generated from the provider's schema by provider/tests/docs.rs; do not edit -->\n";

fn page(kind: &str, name: &str, s: &Schema, example: Option<&str>) -> String {
    let (body, import) = split_import(s.description);
    let mut out = format!("# {name} ({kind})\n\n{HEADER}\n{body}\n");
    if let Some(ex) = example {
        out.push_str(&format!(
            "\n## Example Usage\n\n```terraform\n{}\n```\n",
            ex.trim_end()
        ));
    }
    out.push_str("\n## Schema\n");
    out.push_str(&attributes(s));
    if let Some(import) = import {
        out.push_str(&format!("\n## Import\n\n{import}\n"));
    }
    out
}

/// Example configuration shown in the docs, per resource / data source.
fn example(name: &str) -> Option<&'static str> {
    Some(match name {
        "provider" => {
            r#"terraform {
  required_providers {
    chainproof = { source = "chainproof/chainproof" }
  }
}

# GITHUB_TOKEN (or CHAINPROOF_FORGE_TOKEN) comes from the environment.
provider "chainproof" {
  forge       = "github"
  concurrency = 8
}"#
        }
        "chainproof_repository_pipeline" => {
            r#"data "chainproof_repositories" "rust" {
  owner = "acme"
  topic = "rust"
}

# The inventory already knows each default branch: passing it saves a lookup per repository at apply.
resource "chainproof_repository_pipeline" "rust" {
  for_each   = { for r in data.chainproof_repositories.rust.repositories : r.full_name => r }
  repository = each.key
  branch     = each.value.default_branch
  template   = "github-rust"
  mode       = "pull_request"
  values = jsonencode({
    chainproof_sha     = "e345bb857c53f17dff268cf2a83eacfd87a3bbf6"
    chainproof_version = "v0.1.0"
  })
}"#
        }
        "chainproof_required_checks" => {
            r#"resource "chainproof_required_checks" "api" {
  repository             = "acme/api"
  checks                 = ["chainproof / lint"]
  require_signed_commits = true
}"#
        }
        "chainproof_repositories" => {
            r#"data "chainproof_repositories" "services" {
  owner            = "acme"
  name_regex       = "^acme/svc-"
  include_archived = false
}

output "services" {
  value = data.chainproof_repositories.services.full_names
}"#
        }
        "chainproof_template" => {
            r#"data "chainproof_template" "preview" {
  template = "github-rust"
  values = jsonencode({
    chainproof_sha     = "e345bb857c53f17dff268cf2a83eacfd87a3bbf6"
    chainproof_version = "v0.1.0"
  })
}

output "workflow" {
  value = data.chainproof_template.preview.files
}"#
        }
        _ => return None,
    })
}

/// Every generated file: path relative to `provider/` -> content.
pub fn generate() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let provider_schema = config::schema();
    let mut index = format!(
        "# chainproof provider\n\n{HEADER}\n{}\n\n## Example Usage\n\n```terraform\n{}\n```\n\n## Schema\n{}",
        provider_schema.description,
        example("provider").unwrap_or_default(),
        attributes(&provider_schema)
    );
    index.push_str("\n## Resources\n\n");
    for r in provider::resources() {
        index.push_str(&format!("- [`{0}`](resources/{0}.md)\n", r.name()));
        let short = r.name().trim_start_matches("chainproof_");
        files.insert(
            format!("docs/resources/{short}.md"),
            page("Resource", r.name(), &r.schema(), example(r.name())),
        );
    }
    index.push_str("\n## Data Sources\n\n");
    for d in provider::data_sources() {
        index.push_str(&format!("- [`{0}`](data-sources/{0}.md)\n", d.name()));
        let short = d.name().trim_start_matches("chainproof_");
        files.insert(
            format!("docs/data-sources/{short}.md"),
            page("Data Source", d.name(), &d.schema(), example(d.name())),
        );
    }
    files.insert("docs/index.md".to_owned(), index);
    files
}
