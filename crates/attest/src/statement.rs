//! in-toto Statement v1 (`https://in-toto.io/Statement/v1`), carried in DSSE with payloadType
//! `application/vnd.in-toto+json`, and the predicates `chainproof attest` writes.
//!
//! | `--type` | predicateType | predicate |
//! |---|---|---|
//! | `slsaprovenance1` | `https://slsa.dev/provenance/v1` | `--predicate FILE`, or built from the CI job ([`provenance`]) |
//! | `cyclonedx` | `https://cyclonedx.org/bom` | the CycloneDX JSON document |
//! | `vuln` | `https://cosign.sigstore.dev/attestation/vuln/v1` | cosign's vuln predicate; a `chainproof scan --format json` report is wrapped as its `scanner.result` |
//! | `sarif` | `https://chainproof.dev/attestation/sarif/v1` | the SARIF 2.1.0 log (ours: no registered predicate type exists) |
//! | any URI | that URI | the file as is |
//!
//! SLSA provenance buildTypes: GitHub Actions uses GitHub's
//! `https://actions.github.io/buildtypes/workflow/v1` (the fields `actions/attest-build-provenance`
//! writes); GitLab CI uses ours, [`GITLAB_BUILD_TYPE`], documented on [`provenance`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
pub const COSIGN_VULN_V1: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
pub const SARIF_V1: &str = "https://chainproof.dev/attestation/sarif/v1";
pub const GITHUB_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";
pub const GITLAB_BUILD_TYPE: &str = "https://chainproof.dev/buildtypes/gitlab-ci/v1";

/// What `--type` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PredicateKind {
    SlsaProvenance1,
    CycloneDx,
    Vuln,
    Sarif,
    /// Any other predicate type URI.
    Custom(String),
}

impl PredicateKind {
    /// `slsaprovenance1`, `cyclonedx`, `vuln`, `sarif` (also `slsaprovenance`, `spdx`-less aliases
    /// cosign accepts for these), or a URI.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "slsaprovenance1" | "slsaprovenance" | "provenance" | SLSA_PROVENANCE_V1 => {
                Self::SlsaProvenance1
            }
            "cyclonedx" | CYCLONEDX => Self::CycloneDx,
            "vuln" | COSIGN_VULN_V1 => Self::Vuln,
            "sarif" | SARIF_V1 => Self::Sarif,
            uri if uri.contains("://") => Self::Custom(uri.to_owned()),
            _ => return None,
        })
    }

    pub fn predicate_type(&self) -> &str {
        match self {
            Self::SlsaProvenance1 => SLSA_PROVENANCE_V1,
            Self::CycloneDx => CYCLONEDX,
            Self::Vuln => COSIGN_VULN_V1,
            Self::Sarif => SARIF_V1,
            Self::Custom(u) => u,
        }
    }
}

/// One subject: a name and its digests (`sha256` hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    pub fn sha256(name: impl Into<String>, digest: &[u8; 32]) -> Self {
        Subject {
            name: name.into(),
            digest: BTreeMap::from([("sha256".to_owned(), crate::hex(digest))]),
        }
    }
}

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: Value,
}

impl Statement {
    pub fn new(subject: Vec<Subject>, predicate_type: &str, predicate: Value) -> Self {
        Statement {
            statement_type: STATEMENT_TYPE.to_owned(),
            subject,
            predicate_type: predicate_type.to_owned(),
            predicate,
        }
    }

    /// Does a subject carry this SHA-256 digest?
    pub fn covers(&self, digest: &[u8; 32]) -> bool {
        let hex = crate::hex(digest);
        self.subject.iter().any(|s| {
            s.digest
                .get("sha256")
                .is_some_and(|d| d.eq_ignore_ascii_case(&hex))
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PredicateError {
    #[error(
        "no --predicate for {0}: SLSA provenance is built from the CI environment only in GitHub \
         Actions (GITHUB_ACTIONS=true) or GitLab CI (GITLAB_CI=true); pass --predicate FILE elsewhere"
    )]
    NotInCi(String),
    #[error("--type {0} needs --predicate FILE")]
    Missing(String),
    #[error("the CI environment lacks {0}, which SLSA provenance needs")]
    MissingVar(&'static str),
    #[error("the identity token lacks the claim `{0}`, which SLSA provenance needs")]
    MissingClaim(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("the predicate {path} is not JSON: {reason}")]
    NotJson { path: String, reason: String },
}

/// The predicate for `kind` from the file's JSON (`None`: build provenance from `env`).
pub fn predicate(
    kind: &PredicateKind,
    file: Option<(&str, &[u8])>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, PredicateError> {
    predicate_with_claims(kind, file, env, None)
}

/// [`predicate`], with the keyless identity token's claims: provenance built without a file takes
/// the source and run from them ([`provenance`]).
pub fn predicate_with_claims(
    kind: &PredicateKind,
    file: Option<(&str, &[u8])>,
    env: &dyn Fn(&str) -> Option<String>,
    claims: Option<&Claims>,
) -> Result<Value, PredicateError> {
    let Some((path, bytes)) = file else {
        return match kind {
            PredicateKind::SlsaProvenance1 => provenance(env, claims),
            other => Err(PredicateError::Missing(other.predicate_type().to_owned())),
        };
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| PredicateError::NotJson {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(match kind {
        PredicateKind::Vuln if value.get("scanner").is_none() => wrap_scan(value),
        _ => value,
    })
}

/// cosign's vuln predicate around a scan report (`chainproof scan --format json`, or any JSON).
fn wrap_scan(report: Value) -> Value {
    let now = now_rfc3339();
    let version = report
        .get("tool_version")
        .cloned()
        .unwrap_or_else(|| json!(""));
    let source = report.get("source").cloned().unwrap_or_else(|| json!(""));
    json!({
        "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
        "scanner": {
            "uri": "https://github.com/chainproof/chainproof",
            "version": version,
            "db": {"uri": source, "version": ""},
            "result": report,
        },
        "metadata": {"scanStartedOn": now, "scanFinishedOn": now},
    })
}

fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// An identity token's claims (the JWT payload).
pub type Claims = serde_json::Map<String, Value>;

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// SLSA provenance v1 from the CI environment alone (key signing; see [`provenance`]).
pub fn provenance_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Value, PredicateError> {
    provenance(env, None)
}

/// SLSA provenance v1 for the running CI job.
///
/// **Where each value comes from.** When signing keylessly, `claims` are the identity token's: the
/// GitHub or GitLab fields below are taken from them (the CI provider signed them, and Fulcio
/// certifies the same claims as extensions that `verify` compares with the provenance), and a claim
/// that is missing is an error, never filled in from the environment. With a key (`claims` `None`,
/// or a token of another issuer) they come from the job's environment variables, which the job
/// itself controls: such provenance is only as trustworthy as the job and the key.
///
/// **GitHub Actions** (a token of `https://token.actions.githubusercontent.com`, or
/// `GITHUB_ACTIONS=true`), buildType `https://actions.github.io/buildtypes/workflow/v1` (what
/// `actions/attest-build-provenance` writes): `externalParameters.workflow` = {`ref`: claim `ref` /
/// `GITHUB_REF`, `repository`: `GITHUB_SERVER_URL/` + claim `repository` / `GITHUB_REPOSITORY`,
/// `path`: the workflow file of claim `workflow_ref` / `GITHUB_WORKFLOW_REF`};
/// `internalParameters.github` = {`event_name`, `repository_id`, `repository_owner_id`,
/// `runner_environment`} (claims of those names / `GITHUB_EVENT_NAME`, `GITHUB_REPOSITORY_ID`,
/// `GITHUB_REPOSITORY_OWNER_ID`, `RUNNER_ENVIRONMENT`; left out when unknown); `resolvedDependencies` =
/// the source at claim `sha` / `GITHUB_SHA`; builder id `GITHUB_SERVER_URL/` + claim `job_workflow_ref`
/// (the workflow that ran, a reusable one included; `GITHUB_WORKFLOW_REF` without a token); invocation
/// id the run attempt URL (claims `run_id`, `run_attempt` / `GITHUB_RUN_ID`, `GITHUB_RUN_ATTEMPT`).
/// `GITHUB_SERVER_URL` is the one value always from the environment (default `https://github.com`).
///
/// **GitLab CI** (a token with a `project_path` claim, or `GITLAB_CI=true`), buildType
/// `https://chainproof.dev/buildtypes/gitlab-ci/v1` (ours): `externalParameters` = {`source`:
/// {`repository`: the project URL, `ref`: `refs/heads/<branch>` or `refs/tags/<tag>`, `config`:
/// `CI_CONFIG_PATH` (default `.gitlab-ci.yml`)}, `pipeline_source`}; `internalParameters.gitlab` =
/// {`server_url`, `project_id`, `project_path`, `pipeline_id`, `job_id`, `job_name`, `runner_id`,
/// `runner_description`, `runner_environment`}; `resolvedDependencies` = the source at the commit;
/// builder id `<server>/<project_path>/-/runners/<runner_id>`; invocation id `CI_JOB_URL`; `startedOn`
/// `CI_JOB_STARTED_AT`. From the token's claims when keyless: the server (claim `iss`), `project_path`,
/// `project_id`, the ref (`ref` + `ref_type`), `sha`, `pipeline_id`, `pipeline_source`, `job_id`,
/// `runner_id`, `runner_environment`; the rest (`job_name`, `runner_description`, `config`, the job
/// URL and start time) always from the environment, as the job states them.
pub fn provenance(
    env: &dyn Fn(&str) -> Option<String>,
    claims: Option<&Claims>,
) -> Result<Value, PredicateError> {
    let mut v = provenance_with_nulls(env, claims)?;
    drop_nulls(&mut v);
    Ok(v)
}

/// Removes object members whose value is null (variables the CI did not set).
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A claim as a string (GitHub sends ids as strings, GitLab some as numbers).
fn claim(claims: &Claims, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One value from the token's claims (keyless) or from the environment (key signing).
struct Source<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    claims: Option<&'a Claims>,
}

impl Source<'_> {
    fn env(&self, k: &str) -> Option<String> {
        (self.env)(k).filter(|v| !v.is_empty())
    }
    fn get(&self, claim_name: &'static str, var: &'static str) -> Option<String> {
        match self.claims {
            Some(c) => claim(c, claim_name),
            None => self.env(var),
        }
    }
    fn need(&self, claim_name: &'static str, var: &'static str) -> Result<String, PredicateError> {
        self.get(claim_name, var).ok_or(match self.claims {
            Some(_) => PredicateError::MissingClaim(claim_name),
            None => PredicateError::MissingVar(var),
        })
    }
}

fn provenance_with_nulls(
    env: &dyn Fn(&str) -> Option<String>,
    claims: Option<&Claims>,
) -> Result<Value, PredicateError> {
    let iss = claims.and_then(|c| claim(c, "iss"));
    let github_token = iss.as_deref() == Some(GITHUB_ISSUER);
    let gitlab_token = !github_token && claims.is_some_and(|c| c.contains_key("project_path"));
    let plain = Source { env, claims: None };
    if github_token || (!gitlab_token && plain.env("GITHUB_ACTIONS").as_deref() == Some("true")) {
        let src = Source {
            env,
            claims: claims.filter(|_| github_token),
        };
        let server = plain
            .env("GITHUB_SERVER_URL")
            .unwrap_or_else(|| "https://github.com".into());
        let server = server.trim_end_matches('/');
        let repository = src.need("repository", "GITHUB_REPOSITORY")?;
        let git_ref = src.need("ref", "GITHUB_REF")?;
        let sha = src.need("sha", "GITHUB_SHA")?;
        let workflow_ref = src.need("workflow_ref", "GITHUB_WORKFLOW_REF")?;
        let job_workflow_ref = src
            .get("job_workflow_ref", "GITHUB_WORKFLOW_REF")
            .unwrap_or_else(|| workflow_ref.clone());
        // owner/repo/.github/workflows/x.yml@refs/heads/main -> .github/workflows/x.yml
        let path = workflow_ref
            .split_once("@refs/")
            .map_or(workflow_ref.as_str(), |(p, _)| p)
            .strip_prefix(&format!("{repository}/"))
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                PredicateError::Invalid(format!(
                    "the workflow ref {workflow_ref:?} does not name a workflow file of \
                     {repository} (OWNER/REPO/PATH@REF): cannot build the provenance's workflow path"
                ))
            })?
            .to_owned();
        let run_id = src.need("run_id", "GITHUB_RUN_ID")?;
        let attempt = src.need("run_attempt", "GITHUB_RUN_ATTEMPT")?;
        return Ok(json!({
            "buildDefinition": {
                "buildType": GITHUB_BUILD_TYPE,
                "externalParameters": {"workflow": {
                    "ref": git_ref,
                    "repository": format!("{server}/{repository}"),
                    "path": path,
                }},
                "internalParameters": {"github": {
                    "event_name": src.get("event_name", "GITHUB_EVENT_NAME"),
                    "repository_id": src.get("repository_id", "GITHUB_REPOSITORY_ID"),
                    "repository_owner_id": src.get("repository_owner_id", "GITHUB_REPOSITORY_OWNER_ID"),
                    "runner_environment": src.get("runner_environment", "RUNNER_ENVIRONMENT"),
                }},
                "resolvedDependencies": [{
                    "uri": format!("git+{server}/{repository}@{git_ref}"),
                    "digest": {"gitCommit": sha},
                }],
            },
            "runDetails": {
                "builder": {"id": format!("{server}/{job_workflow_ref}")},
                "metadata": {"invocationId": format!(
                    "{server}/{repository}/actions/runs/{run_id}/attempts/{attempt}"
                )},
            },
        }));
    }
    if gitlab_token || plain.env("GITLAB_CI").as_deref() == Some("true") {
        let src = Source {
            env,
            claims: claims.filter(|_| gitlab_token),
        };
        let server = match (&src.claims, iss) {
            (Some(_), Some(iss)) => iss,
            _ => plain
                .env("CI_SERVER_URL")
                .ok_or(PredicateError::MissingVar("CI_SERVER_URL"))?,
        };
        let server = server.trim_end_matches('/').to_owned();
        let project_path = src.need("project_path", "CI_PROJECT_PATH")?;
        let project_url = match src.claims {
            Some(_) => format!("{server}/{project_path}"),
            None => plain
                .env("CI_PROJECT_URL")
                .ok_or(PredicateError::MissingVar("CI_PROJECT_URL"))?,
        };
        let sha = src.need("sha", "CI_COMMIT_SHA")?;
        let git_ref = match src.claims {
            Some(c) => {
                let name = claim(c, "ref").ok_or(PredicateError::MissingClaim("ref"))?;
                match claim(c, "ref_type").as_deref() {
                    Some("tag") => format!("refs/tags/{name}"),
                    Some("branch") => format!("refs/heads/{name}"),
                    other => {
                        return Err(PredicateError::Invalid(format!(
                            "the identity token's ref_type is {other:?}, not branch or tag: cannot \
                             name the source ref"
                        )));
                    }
                }
            }
            None => match (plain.env("CI_COMMIT_TAG"), plain.env("CI_COMMIT_BRANCH")) {
                (Some(tag), _) => format!("refs/tags/{tag}"),
                (None, Some(branch)) => format!("refs/heads/{branch}"),
                // Merge request pipelines: the source branch.
                (None, None) => {
                    let name = plain
                        .env("CI_COMMIT_REF_NAME")
                        .ok_or(PredicateError::MissingVar("CI_COMMIT_REF_NAME"))?;
                    if name.starts_with("refs/") {
                        name
                    } else {
                        format!("refs/heads/{name}")
                    }
                }
            },
        };
        let runner_id = src.get("runner_id", "CI_RUNNER_ID");
        let mut metadata = json!({"invocationId": plain.env("CI_JOB_URL")});
        if let Some(started) = plain.env("CI_JOB_STARTED_AT") {
            metadata["startedOn"] = json!(started);
        }
        return Ok(json!({
            "buildDefinition": {
                "buildType": GITLAB_BUILD_TYPE,
                "externalParameters": {
                    "source": {
                        "repository": project_url,
                        "ref": git_ref,
                        "config": plain.env("CI_CONFIG_PATH").unwrap_or_else(|| ".gitlab-ci.yml".into()),
                    },
                    "pipeline_source": src.get("pipeline_source", "CI_PIPELINE_SOURCE"),
                },
                "internalParameters": {"gitlab": {
                    "server_url": server,
                    "project_id": src.get("project_id", "CI_PROJECT_ID"),
                    "project_path": project_path,
                    "pipeline_id": src.get("pipeline_id", "CI_PIPELINE_ID"),
                    "job_id": src.get("job_id", "CI_JOB_ID"),
                    "job_name": plain.env("CI_JOB_NAME"),
                    "runner_id": runner_id,
                    "runner_description": plain.env("CI_RUNNER_DESCRIPTION"),
                    "runner_environment": src.claims.and_then(|c| claim(c, "runner_environment")),
                }},
                "resolvedDependencies": [{
                    "uri": format!("git+{project_url}@{git_ref}"),
                    "digest": {"gitCommit": sha},
                }],
            },
            "runDetails": {
                "builder": {"id": format!(
                    "{server}/{project_path}/-/runners/{}",
                    runner_id.as_deref().unwrap_or("unknown")
                )},
                "metadata": metadata,
            },
        }));
    }
    Err(PredicateError::NotInCi("slsaprovenance1".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn github_provenance() {
        let e = env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_REF", "refs/tags/v1"),
            ("GITHUB_SHA", "abc"),
            (
                "GITHUB_WORKFLOW_REF",
                "o/r/.github/workflows/rel.yml@refs/tags/v1",
            ),
            ("GITHUB_RUN_ID", "9"),
            ("GITHUB_RUN_ATTEMPT", "1"),
        ]);
        let p = provenance_from_env(&e).expect("provenance");
        assert_eq!(p["buildDefinition"]["buildType"], GITHUB_BUILD_TYPE);
        assert_eq!(
            p["buildDefinition"]["externalParameters"]["workflow"]["path"],
            ".github/workflows/rel.yml"
        );
        assert_eq!(
            p["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
            "abc"
        );
        assert_eq!(
            p["runDetails"]["metadata"]["invocationId"],
            "https://github.com/o/r/actions/runs/9/attempts/1"
        );
        // Variables the CI did not set are left out, not written as null; the runner environment
        // is never guessed.
        let github = &p["buildDefinition"]["internalParameters"]["github"];
        assert!(github.get("event_name").is_none());
        assert!(github.get("runner_environment").is_none(), "{github}");
        assert_eq!(
            p["runDetails"]["builder"]["id"],
            "https://github.com/o/r/.github/workflows/rel.yml@refs/tags/v1"
        );
    }

    fn claims(v: Value) -> Claims {
        v.as_object().cloned().unwrap_or_default()
    }

    /// Keyless: the token's claims win over the job's environment, which it controls.
    #[test]
    fn github_provenance_from_token_claims() {
        let e = env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "evil/other"),
            ("GITHUB_REF", "refs/heads/evil"),
            ("GITHUB_SHA", "0000"),
            (
                "GITHUB_WORKFLOW_REF",
                "evil/other/.github/workflows/x.yml@refs/heads/evil",
            ),
            ("GITHUB_RUN_ID", "1"),
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("RUNNER_ENVIRONMENT", "github-hosted"),
        ]);
        let c = claims(json!({
            "iss": GITHUB_ISSUER, "repository": "o/r", "ref": "refs/heads/main", "sha": "abc",
            "workflow_ref": "o/r/.github/workflows/rel.yml@refs/heads/main",
            "job_workflow_ref": "o/shared/.github/workflows/build.yml@refs/tags/v2",
            "run_id": "9", "run_attempt": "2", "runner_environment": "self-hosted",
            "repository_id": "11", "repository_owner_id": "22", "event_name": "push",
        }));
        let p = provenance(&e, Some(&c)).expect("provenance");
        let def = &p["buildDefinition"];
        assert_eq!(
            def["externalParameters"]["workflow"]["path"],
            ".github/workflows/rel.yml"
        );
        assert_eq!(
            def["externalParameters"]["workflow"]["ref"],
            "refs/heads/main"
        );
        assert_eq!(def["resolvedDependencies"][0]["digest"]["gitCommit"], "abc");
        assert_eq!(
            def["internalParameters"]["github"]["runner_environment"],
            "self-hosted"
        );
        assert_eq!(def["internalParameters"]["github"]["repository_id"], "11");
        assert_eq!(
            p["runDetails"]["builder"]["id"],
            "https://github.com/o/shared/.github/workflows/build.yml@refs/tags/v2"
        );
        assert_eq!(
            p["runDetails"]["metadata"]["invocationId"],
            "https://github.com/o/r/actions/runs/9/attempts/2"
        );
        // A claim that is missing is an error, not filled in from the environment.
        let mut partial = c.clone();
        partial.remove("sha");
        assert!(matches!(
            provenance(&e, Some(&partial)),
            Err(PredicateError::MissingClaim("sha"))
        ));
        // A workflow ref that names no file of the repository is an error, not an empty path.
        let mut odd = c.clone();
        odd.insert(
            "workflow_ref".into(),
            json!("elsewhere/x/.github/workflows/a.yml@refs/heads/m"),
        );
        assert!(matches!(
            provenance(&e, Some(&odd)),
            Err(PredicateError::Invalid(_))
        ));
    }

    #[test]
    fn gitlab_provenance_from_token_claims() {
        let e = env(&[
            ("GITLAB_CI", "true"),
            ("CI_SERVER_URL", "https://evil.example"),
            ("CI_PROJECT_URL", "https://evil.example/e/p"),
            ("CI_PROJECT_PATH", "e/p"),
            ("CI_COMMIT_SHA", "0000"),
            ("CI_COMMIT_BRANCH", "evil"),
            ("CI_JOB_NAME", "release"),
        ]);
        let c = claims(json!({
            "iss": "https://gitlab.example", "project_path": "g/p", "project_id": 7,
            "ref": "v1.0", "ref_type": "tag", "sha": "def", "pipeline_id": "99",
            "runner_id": 12, "runner_environment": "gitlab-hosted",
        }));
        let p = provenance(&e, Some(&c)).expect("provenance");
        let def = &p["buildDefinition"];
        assert_eq!(
            def["externalParameters"]["source"]["repository"],
            "https://gitlab.example/g/p"
        );
        assert_eq!(def["externalParameters"]["source"]["ref"], "refs/tags/v1.0");
        assert_eq!(def["resolvedDependencies"][0]["digest"]["gitCommit"], "def");
        assert_eq!(def["internalParameters"]["gitlab"]["pipeline_id"], "99");
        assert_eq!(def["internalParameters"]["gitlab"]["project_id"], "7");
        assert_eq!(def["internalParameters"]["gitlab"]["job_name"], "release");
        assert_eq!(
            p["runDetails"]["builder"]["id"],
            "https://gitlab.example/g/p/-/runners/12"
        );
    }

    #[test]
    fn gitlab_provenance_and_missing_ci() {
        let e = env(&[
            ("GITLAB_CI", "true"),
            ("CI_SERVER_URL", "https://gitlab.example"),
            ("CI_PROJECT_URL", "https://gitlab.example/g/p"),
            ("CI_PROJECT_PATH", "g/p"),
            ("CI_COMMIT_SHA", "def"),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_RUNNER_ID", "12"),
        ]);
        let p = provenance_from_env(&e).expect("provenance");
        assert_eq!(p["buildDefinition"]["buildType"], GITLAB_BUILD_TYPE);
        assert_eq!(
            p["buildDefinition"]["externalParameters"]["source"]["ref"],
            "refs/heads/main"
        );
        assert_eq!(
            p["runDetails"]["builder"]["id"],
            "https://gitlab.example/g/p/-/runners/12"
        );
        assert!(matches!(
            provenance_from_env(&|_| None),
            Err(PredicateError::NotInCi(_))
        ));
        let e = env(&[("GITHUB_ACTIONS", "true")]);
        assert!(matches!(
            provenance_from_env(&e),
            Err(PredicateError::MissingVar("GITHUB_REPOSITORY"))
        ));
    }

    #[test]
    fn scan_reports_are_wrapped_in_cosign_vuln() {
        let report =
            br#"{"tool":"chainproof","tool_version":"0.1.0","source":"osv","findings":[]}"#;
        let p = predicate(&PredicateKind::Vuln, Some(("s.json", report)), &|_| None).expect("ok");
        assert_eq!(p["scanner"]["result"]["tool"], "chainproof");
        assert_eq!(p["scanner"]["version"], "0.1.0");
    }
}
