//! Secure pipeline templates for GitHub Actions and GitLab CI/CD (`templates/` at the repository
//! root), their typed parameters, and rendering.
//!
//! # Why minijinja and not tera
//!
//! The design card named tera. Tera's delimiters are fixed (`{{ }}`, `{% %}`, `{# #}`), and it reads
//! GitHub's `${{ github.sha }}` as one of its own expressions ("Variable `github` is not defined"):
//! every GitHub expression would need a `{% raw %}` block around it, so the templates would read as
//! a thicket of raw blocks rather than as the workflow they produce, and forgetting one breaks the
//! render. minijinja lets us choose the delimiters (`SyntaxConfig`), so workflows keep their
//! expressions verbatim, and it is small (few dependencies, MSRV 1.70), with strict undefined
//! variables and `keep_trailing_newline`. The delimiters chosen clash with nothing in the output:
//!
//! | what | delimiters | why not the defaults |
//! |---|---|---|
//! | value | `[= name =]` | `{{ }}` is GitHub's `${{ }}`; `[[ ]]` is bash's test and GitLab's `$[[ inputs ]]` |
//! | block | `[% if x %]` | `{% %}` would be fine, but one family of brackets reads better |
//! | comment | `[# ... #]` | `{# #}` clashes with the shell's `${#var}` |
//!
//! # Values
//!
//! [`render`] first deserializes the values into the template's parameter struct
//! ([`params`]: unknown keys rejected, every string that reaches YAML or a shell restricted to inert
//! characters by [`types`]), then renders from the struct's serialized form (defaults filled in).
//! A value can therefore never add YAML structure or shell syntax to a rendered file.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub mod params;
pub mod types;

/// The forge a template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Github,
    Gitlab,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Github => "github",
            Platform::Gitlab => "gitlab",
        }
    }
}

/// A template of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateInfo {
    pub name: &'static str,
    pub platform: Platform,
    pub description: &'static str,
}

/// The files a template rendered: repository-relative path -> content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub template: String,
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("unknown template `{name}` (known: {known})")]
    UnknownTemplate { name: String, known: String },
    #[error("invalid values for template `{template}`: {at}{message}")]
    InvalidValues {
        template: String,
        /// `key: ` of the offending value, empty when the values as a whole are wrong.
        at: String,
        message: String,
    },
    #[error("template `{template}` failed to render {file}: {message}")]
    Render {
        template: String,
        file: String,
        message: String,
    },
}

/// One template: where its sources are, what it writes, and its parameter struct.
struct Entry {
    name: &'static str,
    platform: Platform,
    description: &'static str,
    /// (output path, template source name)
    files: &'static [(&'static str, &'static str)],
    schema: fn() -> schemars::Schema,
    example: fn() -> Value,
    normalize: fn(&str, &Value) -> Result<Value, CatalogError>,
}

/// Every template source, by the name templates include it under.
const SOURCES: &[(&str, &str)] = &[
    (
        "github/_macros.yml.j2",
        include_str!("../../../templates/github/_macros.yml.j2"),
    ),
    (
        "github/_header.yml.j2",
        include_str!("../../../templates/github/_header.yml.j2"),
    ),
    (
        "github/_chainproof_jobs.yml.j2",
        include_str!("../../../templates/github/_chainproof_jobs.yml.j2"),
    ),
    (
        "github/_release_files.yml.j2",
        include_str!("../../../templates/github/_release_files.yml.j2"),
    ),
    (
        "github/rust/ci.yml.j2",
        include_str!("../../../templates/github/rust/ci.yml.j2"),
    ),
    (
        "github/node/ci.yml.j2",
        include_str!("../../../templates/github/node/ci.yml.j2"),
    ),
    (
        "github/python/ci.yml.j2",
        include_str!("../../../templates/github/python/ci.yml.j2"),
    ),
    (
        "github/go/ci.yml.j2",
        include_str!("../../../templates/github/go/ci.yml.j2"),
    ),
    (
        "github/container/ci.yml.j2",
        include_str!("../../../templates/github/container/ci.yml.j2"),
    ),
    (
        "gitlab/_macros.yml.j2",
        include_str!("../../../templates/gitlab/_macros.yml.j2"),
    ),
    (
        "gitlab/_header.yml.j2",
        include_str!("../../../templates/gitlab/_header.yml.j2"),
    ),
    (
        "gitlab/_release.yml.j2",
        include_str!("../../../templates/gitlab/_release.yml.j2"),
    ),
    (
        "gitlab/rust/.gitlab-ci.yml.j2",
        include_str!("../../../templates/gitlab/rust/.gitlab-ci.yml.j2"),
    ),
    (
        "gitlab/node/.gitlab-ci.yml.j2",
        include_str!("../../../templates/gitlab/node/.gitlab-ci.yml.j2"),
    ),
    (
        "gitlab/python/.gitlab-ci.yml.j2",
        include_str!("../../../templates/gitlab/python/.gitlab-ci.yml.j2"),
    ),
    (
        "gitlab/go/.gitlab-ci.yml.j2",
        include_str!("../../../templates/gitlab/go/.gitlab-ci.yml.j2"),
    ),
    (
        "gitlab/container/.gitlab-ci.yml.j2",
        include_str!("../../../templates/gitlab/container/.gitlab-ci.yml.j2"),
    ),
];

const GITHUB_WORKFLOW: &str = ".github/workflows/ci.yml";
const GITLAB_CI: &str = ".gitlab-ci.yml";

/// The one list of templates (sorted by name).
const REGISTRY: &[Entry] = &[
    Entry {
        name: "github-container",
        platform: Platform::Github,
        description: "Container image: build and scan on every change; on v* tags push the scanned image to ghcr.io, sign and attest its digest",
        files: &[(GITHUB_WORKFLOW, "github/container/ci.yml.j2")],
        schema: schema_of::<params::GithubContainer>,
        example: examples::github_container,
        normalize: normalize::<params::GithubContainer>,
    },
    Entry {
        name: "github-go",
        platform: Platform::Github,
        description: "Go module: vet, test, build; chainproof lint, SBOM and scan; signed release artifacts on v* tags, published as the GitHub release",
        files: &[(GITHUB_WORKFLOW, "github/go/ci.yml.j2")],
        schema: schema_of::<params::GithubGo>,
        example: examples::github_go,
        normalize: normalize::<params::GithubGo>,
    },
    Entry {
        name: "github-node",
        platform: Platform::Github,
        description: "npm project: npm ci without install scripts, test; chainproof lint, SBOM and scan; signed package on v* tags, published as the GitHub release",
        files: &[(GITHUB_WORKFLOW, "github/node/ci.yml.j2")],
        schema: schema_of::<params::GithubNode>,
        example: examples::github_node,
        normalize: normalize::<params::GithubNode>,
    },
    Entry {
        name: "github-python",
        platform: Platform::Github,
        description: "pip project: hash-checked install, tests; chainproof lint, SBOM and scan; signed wheel on v* tags, published as the GitHub release",
        files: &[(GITHUB_WORKFLOW, "github/python/ci.yml.j2")],
        schema: schema_of::<params::GithubPython>,
        example: examples::github_python,
        normalize: normalize::<params::GithubPython>,
    },
    Entry {
        name: "github-rust",
        platform: Platform::Github,
        description: "Cargo project: fmt, clippy, test; chainproof lint, SBOM and scan; signed release binaries on v* tags, published as the GitHub release",
        files: &[(GITHUB_WORKFLOW, "github/rust/ci.yml.j2")],
        schema: schema_of::<params::GithubRust>,
        example: examples::github_rust,
        normalize: normalize::<params::GithubRust>,
    },
    Entry {
        name: "gitlab-container",
        platform: Platform::Gitlab,
        description: "Container image built with Buildah (unprivileged): SBOM and scan of the image; on protected tags push the scanned image, sign and attest its digest",
        files: &[(GITLAB_CI, "gitlab/container/.gitlab-ci.yml.j2")],
        schema: schema_of::<params::GitlabContainer>,
        example: examples::gitlab_container,
        normalize: normalize::<params::GitlabContainer>,
    },
    Entry {
        name: "gitlab-go",
        platform: Platform::Gitlab,
        description: "Go module: vet, test, build; chainproof lint, SBOM and scan components; signed release artifacts on protected tags (a GitLab release with release_image, else job artifacts)",
        files: &[(GITLAB_CI, "gitlab/go/.gitlab-ci.yml.j2")],
        schema: schema_of::<params::GitlabGo>,
        example: examples::gitlab_go,
        normalize: normalize::<params::GitlabGo>,
    },
    Entry {
        name: "gitlab-node",
        platform: Platform::Gitlab,
        description: "npm project: npm ci without install scripts, test; chainproof lint, SBOM and scan components; signed package on protected tags (a GitLab release with release_image, else job artifacts)",
        files: &[(GITLAB_CI, "gitlab/node/.gitlab-ci.yml.j2")],
        schema: schema_of::<params::GitlabNode>,
        example: examples::gitlab_node,
        normalize: normalize::<params::GitlabNode>,
    },
    Entry {
        name: "gitlab-python",
        platform: Platform::Gitlab,
        description: "pip project: hash-checked install, tests; chainproof lint, SBOM and scan components; signed wheel on protected tags (a GitLab release with release_image, else job artifacts)",
        files: &[(GITLAB_CI, "gitlab/python/.gitlab-ci.yml.j2")],
        schema: schema_of::<params::GitlabPython>,
        example: examples::gitlab_python,
        normalize: normalize::<params::GitlabPython>,
    },
    Entry {
        name: "gitlab-rust",
        platform: Platform::Gitlab,
        description: "Cargo project: fmt, clippy, test; chainproof lint, SBOM and scan components; signed release binaries on protected tags (a GitLab release with release_image, else job artifacts)",
        files: &[(GITLAB_CI, "gitlab/rust/.gitlab-ci.yml.j2")],
        schema: schema_of::<params::GitlabRust>,
        example: examples::gitlab_rust,
        normalize: normalize::<params::GitlabRust>,
    },
];

fn entry(name: &str) -> Option<&'static Entry> {
    REGISTRY.iter().find(|e| e.name == name)
}

fn unknown(name: &str) -> CatalogError {
    CatalogError::UnknownTemplate {
        name: name.to_owned(),
        known: REGISTRY
            .iter()
            .map(|e| e.name)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Every template, sorted by name.
pub fn templates() -> Vec<TemplateInfo> {
    let mut out: Vec<TemplateInfo> = REGISTRY
        .iter()
        .map(|e| TemplateInfo {
            name: e.name,
            platform: e.platform,
            description: e.description,
        })
        .collect();
    out.sort_by_key(|t| t.name);
    out
}

/// The JSON Schema (draft 2020-12) of a template's parameters.
pub fn schema(name: &str) -> Option<Value> {
    entry(name).map(|e| {
        let mut schema = (e.schema)().to_value();
        if let Some(obj) = schema.as_object_mut() {
            obj.insert(
                "$id".to_owned(),
                json!(format!(
                    "https://github.com/chainproof/chainproof/schemas/templates/{}.json",
                    e.name
                )),
            );
        }
        schema
    })
}

/// Values that render the template as documented (the tests render every template with them).
pub fn example_values(name: &str) -> Option<Value> {
    entry(name).map(|e| (e.example)())
}

/// Checks `values` against the template's parameter struct (unknown keys rejected, every value
/// typed and validated) and returns them with the defaults filled in.
pub fn resolve(name: &str, values: &Value) -> Result<Value, CatalogError> {
    let e = entry(name).ok_or_else(|| unknown(name))?;
    (e.normalize)(e.name, values)
}

/// Renders a template. Values are checked against the template's typed parameter struct (unknown
/// keys rejected) and the files are rendered from the struct's serialized form.
pub fn render(name: &str, values: &Value) -> Result<Rendered, CatalogError> {
    let e = entry(name).ok_or_else(|| unknown(name))?;
    let mut ctx = (e.normalize)(e.name, values)?;
    if let Some(obj) = ctx.as_object_mut() {
        // Values the templates derive, computed here once for all of them.
        let source_path = ["working_directory", "context"]
            .iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_str))
            .unwrap_or(".")
            .to_owned();
        let archive_name = if source_path == "." {
            "source".to_owned()
        } else {
            format!("source-{}", source_path.replace('/', "-"))
        };
        obj.insert("template_name".to_owned(), json!(e.name));
        obj.insert("source_path".to_owned(), json!(source_path));
        obj.insert("archive_name".to_owned(), json!(archive_name));
    }
    let ctx = minijinja::Value::from(minijinja::value::Serde(&ctx));
    let env = environment().map_err(|message| CatalogError::Render {
        template: e.name.to_owned(),
        file: String::new(),
        message,
    })?;
    let mut files = BTreeMap::new();
    for (out, source) in e.files {
        let fail = |err: minijinja::Error| CatalogError::Render {
            template: e.name.to_owned(),
            file: (*out).to_owned(),
            message: format!("{err:#}"),
        };
        let text = env
            .get_template(source)
            .and_then(|t| t.render(&ctx))
            .map_err(fail)?;
        files.insert((*out).to_owned(), stamp(&text));
    }
    Ok(Rendered {
        template: e.name.to_owned(),
        files,
    })
}

/// The first line of every rendered file: `# chainproof-render: sha256=<hex>`, the SHA-256 of the
/// rest of the file. A file whose rest still has that hash is an unedited rendering.
pub const RENDER_MARK: &str = "# chainproof-render: sha256=";

/// `body` with the [`RENDER_MARK`] line of its hash in front.
fn stamp(body: &str) -> String {
    format!("{RENDER_MARK}{}\n{body}", sha256_hex(body.as_bytes()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `text` is a file `render` wrote and nobody edited since: its first line is the
/// [`RENDER_MARK`] line and the rest of the file still has the hash it records. `chainproof render`
/// replaces such files (an older rendering) without `--force`.
pub fn is_unedited_render(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(RENDER_MARK) else {
        return false;
    };
    let Some((hash, body)) = rest.split_once('\n') else {
        return false;
    };
    hash.len() == 64 && hash == sha256_hex(body.as_bytes())
}

/// The JSON Schema type (`string`, `boolean`, `integer`, `array`, ...) of a template parameter,
/// `None` when the template has no such parameter. `chainproof render --param k=v` reads `v` by it.
pub fn param_type(name: &str, key: &str) -> Option<String> {
    let schema = schema(name)?;
    let prop = schema.get("properties")?.get(key)?;
    // Everything without a single `type` is a string: enums, references to string definitions,
    // and optional strings (`"type": ["string", "null"]`).
    Some(
        prop.get("type")
            .and_then(Value::as_str)
            .unwrap_or("string")
            .to_owned(),
    )
}

/// The parameter names of a template, in declaration order.
pub fn param_names(name: &str) -> Vec<String> {
    schema(name)
        .and_then(|s| s.get("properties").and_then(Value::as_object).cloned())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Parses a values file: JSON, or YAML (by `yaml`).
pub fn parse_values(text: &str, yaml: bool) -> Result<Value, String> {
    let value: Value = if yaml {
        serde_saphyr::from_str(text).map_err(|e| e.to_string())?
    } else {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    };
    match value {
        Value::Object(_) => Ok(value),
        Value::Null => Ok(Value::Object(Default::default())),
        other => Err(format!(
            "the values must be a mapping of parameter names to values, not {}",
            kind(&other)
        )),
    }
}

/// Reads the text of a `--param key=value` as the parameter's schema type: strings verbatim,
/// booleans, numbers and arrays as YAML scalars and flow sequences (`true`, `30`, `[a, b]`).
pub fn parse_param(template: &str, key: &str, raw: &str) -> Result<Value, CatalogError> {
    let invalid = |message: String| CatalogError::InvalidValues {
        template: template.to_owned(),
        at: format!("{key}: "),
        message,
    };
    let Some(ty) = param_type(template, key) else {
        let names = param_names(template);
        return Err(invalid(format!(
            "unknown parameter (parameters: {})",
            names.join(", ")
        )));
    };
    if ty == "string" {
        return Ok(Value::String(raw.to_owned()));
    }
    let value: Value = serde_saphyr::from_str(raw)
        .map_err(|e| invalid(format!("{raw:?} is not a YAML {ty}: {e}")))?;
    Ok(value)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn schema_of<T: schemars::JsonSchema>() -> schemars::Schema {
    schemars::schema_for!(T)
}

fn normalize<T: DeserializeOwned + Serialize>(
    template: &str,
    values: &Value,
) -> Result<Value, CatalogError> {
    let invalid = |at: String, message: String| CatalogError::InvalidValues {
        template: template.to_owned(),
        at,
        message,
    };
    if !values.is_object() {
        return Err(invalid(
            String::new(),
            format!("expected a mapping of parameters, not {}", kind(values)),
        ));
    }
    let typed: T = serde_path_to_error::deserialize(values).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." || path.is_empty() {
            String::new()
        } else {
            format!("{path}: ")
        };
        invalid(at, e.into_inner().to_string())
    })?;
    serde_json::to_value(&typed).map_err(|e| invalid(String::new(), e.to_string()))
}

/// The template environment: custom delimiters, strict undefined variables, trailing newlines
/// kept, block lines trimmed. `Err` holds the first template that does not compile.
fn environment() -> Result<&'static Environment<'static>, String> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .block_delimiters("[%", "%]")
            .variable_delimiters("[=", "=]")
            .comment_delimiters("[#", "#]")
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| format!("template syntax: {e}"))?;
        env.set_syntax(syntax);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, text) in SOURCES {
            env.add_template(name, text)
                .map_err(|e| format!("{name}: {e:#}"))?;
        }
        Ok(env)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Example values of each template.
mod examples {
    use serde_json::{Value, json};

    /// A real commit of chainproof/chainproof (its actions and components exist there).
    const SHA: &str = "e345bb857c53f17dff268cf2a83eacfd87a3bbf6";
    const VERSION: &str = "v0.1.0";
    /// Placeholder digests: replace them with the digests of the images you checked
    /// (`skopeo inspect docker://IMAGE:TAG` or `docker buildx imagetools inspect IMAGE:TAG`).
    const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn image(name: &str) -> String {
        format!("registry.example.com/{name}@sha256:{DIGEST}")
    }

    fn github(extra: Value) -> Value {
        let mut v = json!({
            "chainproof_sha": SHA,
            "chainproof_version": VERSION,
            "default_branch": "main",
            "fail_on": "high",
        });
        merge(&mut v, extra);
        v
    }

    fn gitlab(extra: Value) -> Value {
        let mut v = json!({
            "chainproof_sha": SHA,
            "chainproof_version": VERSION,
            "chainproof_image": image("tools/chainproof:0.1.0"),
            "default_branch": "main",
        });
        merge(&mut v, extra);
        v
    }

    fn merge(into: &mut Value, extra: Value) {
        if let (Some(a), Value::Object(b)) = (into.as_object_mut(), extra) {
            a.extend(b);
        }
    }

    pub fn github_rust() -> Value {
        github(json!({ "rust_toolchain": "1.90.0" }))
    }
    pub fn github_node() -> Value {
        github(json!({ "node_version": "22" }))
    }
    pub fn github_python() -> Value {
        github(json!({ "python_version": "3.12", "test_runner": "pytest" }))
    }
    pub fn github_go() -> Value {
        github(json!({ "go_version": "1.24" }))
    }
    pub fn github_container() -> Value {
        github(json!({ "image_name": "ghcr.io/example/app", "upload_sarif": true }))
    }
    pub fn gitlab_rust() -> Value {
        gitlab(
            json!({ "rust_image": image("ci/rust:1.90.0"), "release_image": image("ci/release-cli:0.24.0") }),
        )
    }
    pub fn gitlab_node() -> Value {
        gitlab(
            json!({ "node_image": image("ci/node:22"), "release_image": image("ci/release-cli:0.24.0") }),
        )
    }
    pub fn gitlab_python() -> Value {
        gitlab(
            json!({ "python_image": image("ci/python:3.12"), "release_image": image("ci/release-cli:0.24.0") }),
        )
    }
    pub fn gitlab_go() -> Value {
        gitlab(
            json!({ "go_image": image("ci/golang:1.24"), "release_image": image("ci/release-cli:0.24.0") }),
        )
    }
    pub fn gitlab_container() -> Value {
        gitlab(json!({ "buildah_image": image("ci/buildah:1.41") }))
    }
}

#[cfg(test)]
mod tests;
