//! `chainproof_repository_pipeline`: a rendered template, kept in sync in one repository.

use std::collections::BTreeMap;

use chainproof_forge::{
    ChangeRequest, CommitRequest, EXISTING_FILES, FileChange, Forge, ForgeError, blob_sha,
};
use rmpv::Value;

use crate::provider::{Cx, Diag, Planned, Resource, Result};
use crate::resources::{changed, confirm_gone, default_branch, required};
use crate::schema::{Attribute, Schema, Type};
use crate::value::{self, Field, field, opt_string, set, string, unknown};

pub const MODES: [&str; 2] = ["pull_request", "commit"];
const DEFAULT_MODE: &str = "pull_request";

pub struct RepositoryPipeline;

/// The template rendered for `values` (a JSON object as text; null means `{}`).
pub(crate) fn render(template: &str, values: Option<&str>) -> Result<BTreeMap<String, String>> {
    let values: serde_json::Value = match values {
        None => serde_json::json!({}),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            Diag::error(
                "values is not JSON",
                format!("{e}; write it with jsonencode({{ ... }})"),
            )
            .at("values")
        })?,
    };
    if !values.is_object() {
        return Err(Diag::error(
            "values is not a JSON object",
            "write it with jsonencode({ key = value, ... })",
        )
        .at("values"));
    }
    match chainproof_catalog::render(template, &values) {
        Ok(r) => Ok(r.files),
        Err(e) => {
            let attr = match e {
                chainproof_catalog::CatalogError::UnknownTemplate { .. } => "template",
                _ => "values",
            };
            Err(Diag::error(
                format!("cannot render template {template:?}"),
                e.to_string(),
            )
            .at(attr))
        }
    }
}

fn shas(files: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, c)| (p.clone(), blob_sha(c.as_bytes())))
        .collect()
}

/// Attributes whose change means writing files; any other change (`commit_message`, `template` with the
/// same rendering) is recorded without a request.
const WRITES: [&str; 4] = ["files", "mode", "branch", "pull_request_branch"];

fn writes_files(prior: &Value, planned: &Value) -> bool {
    matches!(prior, Value::Nil) || WRITES.iter().any(|a| changed(prior, planned, a))
}

/// A diagnostic at `template` when its platform is not the configured forge's (the local forge takes both).
fn check_platform(template: &str, forge_kind: &str) -> Result<()> {
    let Some(info) = chainproof_catalog::templates()
        .into_iter()
        .find(|t| t.name == template)
    else {
        return Ok(());
    };
    let platform = match info.platform {
        chainproof_catalog::Platform::Github => "github",
        chainproof_catalog::Platform::Gitlab => "gitlab",
    };
    if forge_kind == "local" || forge_kind == platform {
        return Ok(());
    }
    Err(Diag::error(
        format!("template {template:?} is for {platform}"),
        format!(
            "the provider is configured for forge = \"{forge_kind}\"; pick a {forge_kind}-* template \
(`chainproof templates list`)"
        ),
    )
    .at("template"))
}

#[tonic::async_trait]
impl Resource for RepositoryPipeline {
    fn name(&self) -> &'static str {
        "chainproof_repository_pipeline"
    }

    fn schema(&self) -> Schema {
        Schema {
            description: "Renders a chainproof pipeline template into one repository and keeps it there.\n\n\
All rendered files are written in **one** commit (GitHub: Git Data API; GitLab: commits API with actions; \
local: one git commit), either straight to `branch` (`mode = \"commit\"`) or on `pull_request_branch` with a \
pull/merge request into `branch` (`mode = \"pull_request\"`, the default).\n\n\
Costs per repository (the `chainproof_repositories` example passes its `default_branch` as `branch`):\n\n\
* **Refresh** (every plan): one tree listing (GitLab: one request per 100 entries). The git blob SHA of every \
rendered file is compared with the listing, so a manual edit or deletion of a rendered file shows as drift in \
`terraform plan` (`-detailed-exitcode` exits 2) and the next apply restores it. In `pull_request` mode, while \
`branch` does not hold the rendering yet, the change request is looked up (one request) and, only while it is \
**open**, its branch is listed (one more): 3 requests while pull requests are open, 1 once merged. A merged or \
closed request never hides drift on `branch`.\n\
* **Apply** (`commit` mode): GitHub 5 requests with `branch` set (branch head, tree listing, tree, commit, ref \
update; 4 when nothing changes), GitLab 3 (head, listing, commit); one more when `branch` is unset (the \
default branch lookup). `pull_request` mode lists `branch` first (one request): when it already holds the \
rendering, nothing is committed and no pull/merge request is opened; otherwise the commit goes to \
`pull_request_branch` and the request is opened or updated. An update that only changes `commit_message` \
sends nothing.\n\n\
Creating never overwrites: when `branch` already has a rendered path with other content, apply fails with an \
error at `template` pointing to `terraform import` (files the provider did not write are never deleted by \
destroy unless imported).\n\n\
Destroying the resource removes the rendered files in one commit (or through a pull request in \
`pull_request` mode, only when `branch` has any of them).\n\n\
The template's platform must match the forge (`github-*` on GitHub, `gitlab-*` on GitLab; the local forge \
takes both).\n\n\
## Import\n\n\
Import takes `<repository>:<path>[,<path>...]`, the repository and the rendered files to adopt on its \
default branch, e.g. `terraform import chainproof_repository_pipeline.api acme/api:.github/workflows/chainproof.yml`. \
The first apply after an import records `template` and `values`, and commits only when the files differ \
from the rendering.",
            attributes: vec![
                Attribute::computed(
                    "id",
                    Type::String,
                    "`<repository>:<path>` of the first rendered file, the form `terraform import` takes.",
                ),
                Attribute::required(
                    "repository",
                    Type::String,
                    "Repository as `owner/name` (GitLab: the full project path). Changing it replaces the resource.",
                )
                .force_new(),
                Attribute::required(
                    "template",
                    Type::String,
                    "Template name, e.g. `github-rust` (`chainproof templates list` shows them all).",
                ),
                Attribute::optional(
                    "values",
                    Type::String,
                    "Template parameters as a JSON object, written with `jsonencode({ ... })`. Unknown keys \
are rejected; `chainproof render --template NAME` documents each parameter. Default `{}`.",
                ),
                Attribute::optional_computed(
                    "branch",
                    Type::String,
                    "Branch the pipeline lives on (default: the repository's default branch, looked up at apply). Changing it \
replaces the resource.",
                )
                .force_new(),
                Attribute::optional_computed(
                    "mode",
                    Type::String,
                    "`pull_request` (default): commit on `pull_request_branch` and open or update a pull/merge \
request into `branch`. `commit`: commit straight to `branch`.",
                ),
                Attribute::optional_computed(
                    "pull_request_branch",
                    Type::String,
                    "Head branch of the pull/merge request in `pull_request` mode (default \
`chainproof/<template>`); created from `branch` when missing.",
                ),
                Attribute::optional_computed(
                    "commit_message",
                    Type::String,
                    "Message of the commit (also the pull/merge request title). Default `ci: render chainproof \
template <template>`.",
                ),
                Attribute::computed(
                    "files",
                    Type::map(Type::String),
                    "Rendered files: repository-relative path to git blob SHA-1. After a refresh it holds what \
the repository has, so edits show as a difference here.",
                ),
                Attribute::computed(
                    "commit",
                    Type::String,
                    "SHA of the last commit the provider made (on `pull_request_branch` in `pull_request` mode).",
                ),
                Attribute::computed(
                    "pull_request_url",
                    Type::String,
                    "Web URL of the pull/merge request (`pull_request` mode).",
                ),
            ],
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let mut diags = Vec::new();
        if let Some(mode) = field(config, "mode").str() {
            if !MODES.contains(&mode) {
                diags.push(
                    Diag::error(
                        "invalid mode",
                        format!("mode = {mode:?}; expected \"pull_request\" or \"commit\""),
                    )
                    .at("mode"),
                );
            }
        }
        if let (Some(head), Some(branch)) = (
            field(config, "pull_request_branch").str(),
            field(config, "branch").str(),
        ) {
            if head == branch {
                diags.push(
                    Diag::error(
                        "pull_request_branch equals branch",
                        format!("{head:?}: the pull/merge request needs its own head branch"),
                    )
                    .at("pull_request_branch"),
                );
            }
        }
        if let Some(repo) = field(config, "repository").str() {
            if !repo.contains('/') || repo.starts_with('/') || repo.ends_with('/') {
                diags.push(
                    Diag::error(
                        "invalid repository",
                        format!("{repo:?} is not `owner/name`"),
                    )
                    .at("repository"),
                );
            }
        }
        let values = field(config, "values");
        if let (Some(template), true) = (field(config, "template").str(), values.is_known()) {
            if let Err(d) = render(template, values.str()) {
                diags.push(d);
            }
        }
        diags
    }

    async fn plan(
        &self,
        cx: &Cx,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> Result<Planned> {
        if matches!(proposed, Value::Nil) {
            return Ok(Planned {
                state: Value::Nil,
                requires_replace: Vec::new(),
            });
        }
        let mut planned = proposed.clone();
        let creating = matches!(prior, Value::Nil);
        let template = field(proposed, "template");

        if matches!(field(&planned, "mode"), Field::Null) {
            set(&mut planned, "mode", string(DEFAULT_MODE));
        }
        if matches!(field(&planned, "branch"), Field::Null) {
            // Resolved at apply: Terraform plans twice per apply (and in separate provider processes),
            // so resolving here would cost a request per plan and per repository.
            set(&mut planned, "branch", unknown());
        }
        let pr_mode = match field(&planned, "mode") {
            Field::Known(m) => Some(m.as_str() == Some("pull_request")),
            _ => None,
        };
        if matches!(field(config, "pull_request_branch"), Field::Null) {
            let v = match (pr_mode, template.str()) {
                (Some(false), _) => Value::Nil,
                (Some(true), Some(t)) => string(format!("chainproof/{t}")),
                // Mode or template unknown: so is the head branch.
                _ => unknown(),
            };
            set(&mut planned, "pull_request_branch", v);
        }
        if matches!(field(config, "commit_message"), Field::Null) {
            let v = match template.str() {
                Some(t) => string(format!("ci: render chainproof template {t}")),
                None => unknown(),
            };
            set(&mut planned, "commit_message", v);
        }

        if let (Some(t), Ok(forge)) = (template.str(), cx.forge()) {
            check_platform(t, forge.kind())?;
        }
        let values = field(proposed, "values");
        let files = match (template.str(), values.is_known()) {
            (Some(t), true) => value::string_map(shas(&render(t, values.str())?)),
            _ => unknown(),
        };
        set(&mut planned, "files", files);

        // What apply will write is only known after it: any update that writes files gets a new commit
        // (or none) and pull request. An update that writes nothing keeps both and costs no request.
        if writes_files(prior, &planned) {
            set(&mut planned, "commit", unknown());
            let url = match pr_mode {
                Some(false) => Value::Nil,
                _ => unknown(),
            };
            set(&mut planned, "pull_request_url", url);
        }
        if creating {
            set(&mut planned, "id", unknown());
        }

        let mut requires_replace = Vec::new();
        if !creating {
            for a in ["repository", "branch"] {
                if changed(prior, &planned, a) {
                    requires_replace.push(a);
                }
            }
        }
        Ok(Planned {
            state: self.schema().normalize(&planned),
            requires_replace,
        })
    }

    async fn apply(&self, cx: &Cx, prior: &Value, planned: &Value) -> Result<Value> {
        let forge = cx.forge()?;
        if matches!(planned, Value::Nil) {
            delete(forge, prior).await?;
            return Ok(Value::Nil);
        }
        if !writes_files(prior, planned) {
            // Only `commit_message` (or a template rendering the same files) changed: nothing to write.
            return Ok(self.schema().normalize(planned));
        }
        let creating = matches!(prior, Value::Nil);
        let repo = required(planned, "repository")?;
        let mut planned = planned.clone();
        if !matches!(field(&planned, "branch"), Field::Known(_)) {
            let b = default_branch(forge, repo).await?;
            set(&mut planned, "branch", string(b));
        }
        let template = required(&planned, "template")?.to_owned();
        // Left unknown at plan when `mode` or `template` were: their defaults, now that both are known.
        let pr_mode = field(&planned, "mode").str() != Some("commit");
        if matches!(field(&planned, "pull_request_branch"), Field::Unknown) {
            let v = if pr_mode {
                string(format!("chainproof/{template}"))
            } else {
                Value::Nil
            };
            set(&mut planned, "pull_request_branch", v);
        }
        if matches!(field(&planned, "commit_message"), Field::Unknown) {
            let v = string(format!("ci: render chainproof template {template}"));
            set(&mut planned, "commit_message", v);
        }
        let planned = &planned;
        let branch = required(planned, "branch")?;
        let template = template.as_str();
        check_platform(template, forge.kind())?;
        let message = required(planned, "commit_message")?;
        let rendered = render(template, field(planned, "values").str())?;
        let prior_files = field(prior, "files").string_map().unwrap_or_default();

        // Every rendered file goes into the commit (the forge makes no commit when nothing changes), so a
        // stale prior state can never leave a file out; files no longer rendered are deleted.
        let mut changes: Vec<FileChange> = rendered
            .iter()
            .map(|(path, content)| FileChange {
                path: path.clone(),
                content: Some(content.clone()),
            })
            .collect();
        changes.extend(
            prior_files
                .keys()
                .filter(|p| !rendered.contains_key(*p))
                .map(|p| FileChange {
                    path: p.clone(),
                    content: None,
                }),
        );

        let head = match pr_mode {
            false => None,
            true => Some(required(planned, "pull_request_branch")?),
        };
        let written = write(
            forge,
            Write {
                repo,
                branch,
                head,
                message: message.to_owned(),
                body: pr_body(template, &rendered),
                files: changes,
                creating,
            },
        )
        .await
        .map_err(|e| match e {
            ForgeError::Conflict { message, .. } if message.starts_with(EXISTING_FILES) => {
                Diag::error(
                    format!("{repo} already has files this template renders"),
                    format!(
                        "{message} (on {branch}). The provider does not overwrite files it did not write: \
adopt them with `terraform import <address> {repo}:<path>[,<path>...]` (the next apply then renders over them), \
or remove them first."
                    ),
                )
                .at("template")
            }
            e => Diag::forge(format!("writing the pipeline to {repo}"), e),
        })?;
        let mut state = planned.clone();
        set(&mut state, "commit", opt_string(written.commit));
        set(&mut state, "pull_request_url", opt_string(written.url));
        if !matches!(field(&state, "id"), Field::Known(_)) {
            let first = rendered
                .keys()
                .next()
                .map(String::as_str)
                .unwrap_or_default();
            set(&mut state, "id", string(format!("{repo}:{first}")));
        }
        Ok(self.schema().normalize(&state))
    }

    async fn read(&self, cx: &Cx, state: &Value) -> Result<Value> {
        let forge = cx.forge()?;
        let repo = required(state, "repository")?;
        let mut state = state.clone();
        let branch = match field(&state, "branch").str() {
            Some(b) => b.to_owned(),
            None => {
                let b = default_branch(forge, repo).await?;
                set(&mut state, "branch", string(&b));
                b
            }
        };
        let recorded = field(&state, "files").string_map().unwrap_or_default();
        let listing = format!("listing {repo} {branch}");
        let tree = match forge.tree(repo, &branch).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                confirm_gone(forge, repo, &listing, None).await?;
                return Ok(Value::Nil);
            }
            Err(e @ ForgeError::NotFound { .. }) => {
                confirm_gone(forge, repo, &listing, Some(e)).await?;
                return Ok(Value::Nil);
            }
            Err(e) => return Err(Diag::forge(listing, e)),
        };
        let observe = |files: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            recorded
                .keys()
                .filter_map(|p| files.get(p).map(|sha| (p.clone(), sha.clone())))
                .collect()
        };
        let mut observed = observe(&tree.files);
        let head = field(&state, "pull_request_branch")
            .str()
            .map(str::to_owned);
        if let (true, Some("pull_request"), Some(head)) =
            (observed != recorded, field(&state, "mode").str(), head)
        {
            // Only an **open** pull request whose branch holds exactly what was applied is not drift; once
            // it is merged or closed, main is the truth again.
            let cr = forge.find_change_request(repo, &head).await.map_err(|e| {
                Diag::forge(format!("finding the change request of {repo} {head}"), e)
            })?;
            if cr.is_some_and(|cr| cr.state == "open") {
                let head_tree = forge
                    .tree(repo, &head)
                    .await
                    .map_err(|e| Diag::forge(format!("listing {repo} {head}"), e))?;
                if head_tree.is_some_and(|t| observe(&t.files) == recorded) {
                    observed = recorded.clone();
                }
            }
        }
        if observed.is_empty() && field(&state, "template").str().is_none() {
            // An import of paths that do not exist.
            return Ok(Value::Nil);
        }
        set(&mut state, "files", value::string_map(observed));
        Ok(self.schema().normalize(&state))
    }

    async fn import(&self, _cx: &Cx, id: &str) -> Result<Value> {
        let (repo, paths) = id.split_once(':').ok_or_else(|| {
            Diag::error(
                "invalid import id",
                format!("{id:?}: expected `<owner>/<name>:<path>[,<path>...]`"),
            )
        })?;
        let paths: Vec<&str> = paths
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if !repo.contains('/') || paths.is_empty() {
            return Err(Diag::error(
                "invalid import id",
                format!("{id:?}: expected `<owner>/<name>:<path>[,<path>...]`"),
            ));
        }
        let mut state = Value::Map(Vec::new());
        set(&mut state, "id", string(format!("{repo}:{}", paths[0])));
        set(&mut state, "repository", string(repo));
        // Placeholder SHAs: the read that follows the import replaces them with what is there.
        set(
            &mut state,
            "files",
            value::string_map(paths.iter().map(|p| (*p, ""))),
        );
        Ok(self.schema().normalize(&state))
    }
}

fn pr_body(template: &str, rendered: &BTreeMap<String, String>) -> String {
    let mut body = format!(
        "Rendered from the chainproof template `{template}` by the chainproof Terraform provider.\n\nFiles:\n"
    );
    for path in rendered.keys() {
        body.push_str(&format!("- `{path}`\n"));
    }
    body
}

/// One write of the pipeline: a commit on `branch`, or on `head` with a pull/merge request into `branch`.
struct Write<'a> {
    repo: &'a str,
    branch: &'a str,
    /// Pull request mode: its head branch.
    head: Option<&'a str>,
    message: String,
    body: String,
    files: Vec<FileChange>,
    /// Refuse to overwrite files that exist with other content ([`Forge::commit_new_files`]).
    creating: bool,
}

/// What a [`write`] left: the commit made (or the branch's head when nothing changed) and the request.
struct Written {
    commit: Option<String>,
    url: Option<String>,
}

/// Whether `files` already holds every change of `changes`.
fn holds(files: &BTreeMap<String, String>, changes: &[FileChange]) -> bool {
    changes.iter().all(|f| match &f.content {
        Some(c) => files.get(&f.path) == Some(&blob_sha(c.as_bytes())),
        None => !files.contains_key(&f.path),
    })
}

/// The commit-then-pull-request flow of apply and destroy.
///
/// Commit mode: one commit on `branch` (the forge makes none when nothing changes).
/// Pull request mode: `branch` is listed first (one request). When it already holds the change there is
/// nothing to propose: no commit, no pull request (GitHub refuses one without commits). Otherwise one
/// commit on `head` (created from `branch` when missing) and the pull/merge request is opened or updated.
async fn write(forge: &dyn Forge, w: Write<'_>) -> std::result::Result<Written, ForgeError> {
    let commit = |branch: &str, base: Option<&str>, files: Vec<FileChange>| CommitRequest {
        repo: w.repo.to_owned(),
        branch: branch.to_owned(),
        base: base.map(str::to_owned),
        message: w.message.clone(),
        files,
    };
    let Some(head) = w.head else {
        let req = commit(w.branch, None, w.files);
        let sha = if w.creating {
            forge.commit_new_files(&req).await?
        } else {
            forge.commit(&req).await?
        };
        return Ok(Written {
            commit: Some(sha),
            url: None,
        });
    };
    let base = forge
        .tree(w.repo, w.branch)
        .await?
        .ok_or_else(|| ForgeError::NotFound {
            target: format!("{}@{}", w.repo, w.branch),
            message: "branch does not exist".into(),
        })?;
    if w.creating {
        // The listing just made answers the precondition: no second one.
        let req = commit(w.branch, None, w.files.clone());
        let clashes: Vec<&str> = req
            .files
            .iter()
            .filter(|f| {
                f.content.as_ref().is_some_and(|c| {
                    base.files
                        .get(&f.path)
                        .is_some_and(|id| *id != blob_sha(c.as_bytes()))
                })
            })
            .map(|f| f.path.as_str())
            .collect();
        if !clashes.is_empty() {
            return Err(ForgeError::Conflict {
                target: format!("{}@{}", w.repo, w.branch),
                message: format!("{EXISTING_FILES}: {}", clashes.join(", ")),
            });
        }
    }
    if holds(&base.files, &w.files) {
        return Ok(Written {
            commit: None,
            url: None,
        });
    }
    let sha = forge.commit(&commit(head, Some(w.branch), w.files)).await?;
    let cr = forge
        .open_change_request(&ChangeRequest {
            repo: w.repo.to_owned(),
            head: head.to_owned(),
            base: w.branch.to_owned(),
            title: w.message.clone(),
            body: w.body,
        })
        .await?;
    Ok(Written {
        commit: Some(sha),
        url: Some(cr.url),
    })
}

async fn delete(forge: &dyn Forge, prior: &Value) -> Result<()> {
    let Some(repo) = field(prior, "repository").str() else {
        return Ok(());
    };
    let Some(branch) = field(prior, "branch").str() else {
        return Ok(());
    };
    let files = field(prior, "files").string_map().unwrap_or_default();
    if files.is_empty() {
        return Ok(());
    }
    let template = field(prior, "template").str().unwrap_or("pipeline");
    let head = match field(prior, "mode").str() {
        Some("commit") => None,
        _ => field(prior, "pull_request_branch").str(),
    };
    let result = write(
        forge,
        Write {
            repo,
            branch,
            head,
            message: format!("ci: remove chainproof template {template}"),
            body: "Removes the files rendered by the chainproof Terraform provider.".into(),
            files: files
                .keys()
                .map(|p| FileChange {
                    path: p.clone(),
                    content: None,
                })
                .collect(),
            creating: false,
        },
    )
    .await;
    match result {
        Ok(_) => Ok(()),
        // The repository or branch is gone, and the files with it.
        Err(ForgeError::NotFound { .. })
            if matches!(
                forge.repository(repo).await,
                Err(ForgeError::NotFound { .. })
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(Diag::forge(format!("removing the pipeline from {repo}"), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::is_unknown;

    fn config(values: Value) -> Value {
        let mut c = Value::Map(Vec::new());
        set(&mut c, "repository", string("acme/api"));
        set(&mut c, "template", string("no-such-template"));
        set(&mut c, "values", values);
        c
    }

    #[tokio::test]
    async fn unknown_values_plan_unknown_files_and_commit() {
        let c = config(unknown());
        let planned = RepositoryPipeline
            .plan(&Cx::default(), &Value::Nil, &c, &c)
            .await
            .expect("plan");
        let s = &planned.state;
        assert!(matches!(field(s, "files"), Field::Unknown));
        assert!(matches!(field(s, "commit"), Field::Unknown));
        assert!(matches!(field(s, "branch"), Field::Unknown));
        assert_eq!(field(s, "mode").str(), Some("pull_request"));
        assert_eq!(
            field(s, "pull_request_branch").str(),
            Some("chainproof/no-such-template")
        );
        assert!(planned.requires_replace.is_empty());
        // Every schema attribute is present in what goes back to Terraform.
        let Value::Map(entries) = s else {
            panic!("object")
        };
        assert_eq!(entries.len(), RepositoryPipeline.schema().attributes.len());
        assert!(is_unknown(&unknown()));
    }

    #[tokio::test]
    async fn unknown_mode_plans_unknown_pull_request_branch() {
        let mut c = config(unknown());
        set(&mut c, "mode", unknown());
        let planned = RepositoryPipeline
            .plan(&Cx::default(), &Value::Nil, &c, &c)
            .await
            .expect("plan");
        assert!(matches!(
            field(&planned.state, "pull_request_branch"),
            Field::Unknown
        ));
        assert!(matches!(
            field(&planned.state, "pull_request_url"),
            Field::Unknown
        ));
    }

    #[test]
    fn platform_must_match_the_forge() {
        assert!(check_platform("github-rust", "github").is_ok());
        assert!(check_platform("gitlab-rust", "local").is_ok());
        let d = check_platform("gitlab-rust", "github").expect_err("mismatch");
        assert_eq!(d.attribute.as_deref(), Some("template"));
        assert!(check_platform("github-rust", "gitlab").is_err());
    }

    #[tokio::test]
    async fn destroy_plans_null_and_bad_values_are_diagnosed() {
        let c = config(string("{}"));
        let planned = RepositoryPipeline
            .plan(&Cx::default(), &c, &Value::Nil, &Value::Nil)
            .await
            .expect("plan");
        assert_eq!(planned.state, Value::Nil);
        let d = render("github-rust", Some("[1]")).expect_err("not an object");
        assert_eq!(d.attribute.as_deref(), Some("values"));
        let d = render("github-rust", Some("{")).expect_err("not JSON");
        assert_eq!(d.attribute.as_deref(), Some("values"));
        let d = render("no-such-template", None).expect_err("unknown template");
        assert_eq!(d.attribute.as_deref(), Some("template"));
    }

    #[tokio::test]
    async fn import_id_is_repo_and_paths() {
        let s = RepositoryPipeline
            .import(&Cx::default(), "acme/api:a.yml, b.yml")
            .await
            .expect("import");
        assert_eq!(field(&s, "repository").str(), Some("acme/api"));
        assert_eq!(field(&s, "id").str(), Some("acme/api:a.yml"));
        let files = field(&s, "files").string_map().expect("files");
        assert_eq!(files.keys().collect::<Vec<_>>(), ["a.yml", "b.yml"]);
        for bad in ["acme/api", "api:x", "acme/api:"] {
            assert!(
                RepositoryPipeline
                    .import(&Cx::default(), bad)
                    .await
                    .is_err(),
                "{bad}"
            );
        }
    }
}
