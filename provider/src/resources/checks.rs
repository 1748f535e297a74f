//! `chainproof_required_checks`: checks that must pass, and signed commits, on one branch.

use chainproof_forge::{ForgeError, Protection};
use rmpv::Value;

use crate::provider::{Cx, Diag, Planned, Resource, Result};
use crate::resources::{changed, confirm_gone, default_branch, required};
use crate::schema::{Attribute, Schema, Type};
use crate::value::{Field, field, set, string, string_list, unknown};

pub struct RequiredChecks;

#[tonic::async_trait]
impl Resource for RequiredChecks {
    fn name(&self) -> &'static str {
        "chainproof_required_checks"
    }

    fn schema(&self) -> Schema {
        Schema {
            description: "Requires status checks (the jobs of a chainproof pipeline) to pass, and optionally signed \
commits, before changes land on a branch.\n\n\
* GitHub: a repository ruleset named `chainproof: <branch>` with `required_status_checks` and \
`required_signatures` rules.\n\
* GitLab: a protected branch, *pipelines must succeed* and the push rule `reject_unsigned_commits`. GitLab \
cannot require single jobs: any non-empty `checks` means the whole pipeline must succeed. GitLab reads back \
`[\"pipeline\"]`, so a refresh compares emptiness only and keeps the configured names as long as the pipeline \
must succeed (no spurious difference). After `terraform import` on GitLab the state holds `[\"pipeline\"]` and \
the first plan shows it changing to the configured names; that apply sets the same protection again.\n\
* Local forge: recorded in `<root>/.chainproof/protections.json`.\n\n\
Refreshing costs one request per repository. A protection removed outside Terraform makes the next plan \
re-create it.\n\n\
## Import\n\n\
`terraform import chainproof_required_checks.api acme/api:main` (`<repository>:<branch>`).",
            attributes: vec![
                Attribute::computed("id", Type::String, "`<repository>:<branch>`."),
                Attribute::required(
                    "repository",
                    Type::String,
                    "Repository as `owner/name` (GitLab: the full project path). Changing it replaces the resource.",
                )
                .force_new(),
                Attribute::optional_computed(
                    "branch",
                    Type::String,
                    "Protected branch (default: the repository's default branch). Changing it replaces the resource.",
                )
                .force_new(),
                Attribute::required(
                    "checks",
                    Type::list(Type::String),
                    "Names of the status checks (job names) that must pass, e.g. `[\"chainproof / lint\"]`.",
                ),
                Attribute::optional_computed(
                    "require_signed_commits",
                    Type::Bool,
                    "Reject commits without a verified signature (default `false`).",
                ),
            ],
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let mut diags = Vec::new();
        if let Some(checks) = field(config, "checks").strings() {
            if checks.iter().any(|c| c.trim().is_empty()) {
                diags
                    .push(Diag::error("empty check name", "every check needs a name").at("checks"));
            }
        }
        diags
    }

    async fn plan(
        &self,
        _cx: &Cx,
        prior: &Value,
        proposed: &Value,
        _config: &Value,
    ) -> Result<Planned> {
        if matches!(proposed, Value::Nil) {
            return Ok(Planned {
                state: Value::Nil,
                requires_replace: Vec::new(),
            });
        }
        let mut planned = proposed.clone();
        let creating = matches!(prior, Value::Nil);
        if matches!(field(&planned, "branch"), Field::Null) {
            // Resolved at apply: Terraform plans twice per apply (and in separate provider processes),
            // so resolving here would cost a request per plan and per repository.
            set(&mut planned, "branch", unknown());
        }
        if matches!(field(&planned, "require_signed_commits"), Field::Null) {
            set(
                &mut planned,
                "require_signed_commits",
                Value::Boolean(false),
            );
        }
        let id = match (
            field(&planned, "repository").str(),
            field(&planned, "branch").str(),
        ) {
            (Some(r), Some(b)) => string(format!("{r}:{b}")),
            _ => unknown(),
        };
        set(&mut planned, "id", id);
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
            let (Some(repo), Some(branch)) = (
                field(prior, "repository").str(),
                field(prior, "branch").str(),
            ) else {
                return Ok(Value::Nil);
            };
            return match forge.remove_protection(repo, branch).await {
                Ok(()) | Err(ForgeError::NotFound { .. }) => Ok(Value::Nil),
                Err(e) => Err(Diag::forge(
                    format!("removing the protection of {repo} {branch}"),
                    e,
                )),
            };
        }
        let repo = required(planned, "repository")?;
        let mut planned = planned.clone();
        if !matches!(field(&planned, "branch"), Field::Known(_)) {
            let b = default_branch(forge, repo).await?;
            set(&mut planned, "branch", string(b));
        }
        let planned = &planned;
        let branch = required(planned, "branch")?;
        let checks = field(planned, "checks")
            .strings()
            .ok_or_else(|| Diag::error("`checks` is not known", "").at("checks"))?;
        let protection = Protection {
            branch: branch.to_owned(),
            required_checks: checks,
            require_signed_commits: field(planned, "require_signed_commits")
                .bool()
                .unwrap_or(false),
        };
        forge
            .set_protection(repo, &protection)
            .await
            .map_err(|e| Diag::forge(format!("protecting {repo} {branch}"), e))?;
        let mut state = planned.clone();
        set(&mut state, "id", string(format!("{repo}:{branch}")));
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
        let what = format!("reading the protection of {repo} {branch}");
        let p = match forge.protection(repo, &branch).await {
            Ok(Some(p)) => p,
            // Removed outside Terraform: the next plan re-creates it.
            Ok(None) => return Ok(Value::Nil),
            Err(e @ ForgeError::NotFound { .. }) => {
                confirm_gone(forge, repo, &what, Some(e)).await?;
                return Ok(Value::Nil);
            }
            Err(e) => return Err(Diag::forge(what, e)),
        };
        let recorded = field(&state, "checks").strings().unwrap_or_default();
        let same = |a: &[String], b: &[String]| {
            let mut a = a.to_vec();
            let mut b = b.to_vec();
            a.sort();
            a.dedup();
            b.sort();
            b.dedup();
            a == b
        };
        // GitLab stores "the pipeline must succeed" and reads back `["pipeline"]`: only emptiness compares.
        let gitlab_equivalent =
            forge.kind() == "gitlab" && !recorded.is_empty() && !p.required_checks.is_empty();
        if !(same(&recorded, &p.required_checks) || gitlab_equivalent) {
            set(&mut state, "checks", string_list(&p.required_checks));
        }
        // Computed with default `false`: an import reads `false`, which matches both an explicit `false`
        // and an unset attribute.
        set(
            &mut state,
            "require_signed_commits",
            Value::Boolean(p.require_signed_commits),
        );
        set(&mut state, "id", string(format!("{repo}:{branch}")));
        Ok(self.schema().normalize(&state))
    }

    async fn import(&self, _cx: &Cx, id: &str) -> Result<Value> {
        let (repo, branch) = id
            .rsplit_once(':')
            .filter(|(r, b)| r.contains('/') && !b.is_empty())
            .ok_or_else(|| {
                Diag::error(
                    "invalid import id",
                    format!("{id:?}: expected `<owner>/<name>:<branch>`"),
                )
            })?;
        let mut state = Value::Map(Vec::new());
        set(&mut state, "id", string(id));
        set(&mut state, "repository", string(repo));
        set(&mut state, "branch", string(branch));
        Ok(self.schema().normalize(&state))
    }
}
