//! Attacker-controlled CI/CD variables in GitLab pipelines: predefined variables whose value the
//! author of a commit, branch or merge request chooses, and user `variables:` defined from them.
//!
//! GitLab expands `$VAR` in the shell (unlike GitHub's `${{ }}`), so these values are only
//! dangerous where the shell treats data as code (`eval`, `sh -c "..."`) or where they are written
//! into files other jobs trust (dotenv reports).
//!
//! Also here: the predefined variables holding credentials GitLab creates for a job
//! ([`masked_builtin_credential`], [`job_scoped_credential`]).

use chainproof_core::Span;

use crate::gitlab::{GlJob, Pipeline};
use crate::taint::shell_vars;
use crate::yaml::Node;

/// Predefined variables an attacker chooses, and whether they can hold line breaks.
const ATTACKER_VARIABLES: [(&str, bool); 11] = [
    ("CI_MERGE_REQUEST_TITLE", false),
    ("CI_MERGE_REQUEST_DESCRIPTION", true),
    ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", false),
    ("CI_COMMIT_MESSAGE", true),
    ("CI_COMMIT_TITLE", false),
    ("CI_COMMIT_DESCRIPTION", true),
    ("CI_COMMIT_REF_NAME", false),
    ("CI_COMMIT_BRANCH", false),
    ("CI_COMMIT_AUTHOR", false),
    ("CI_COMMIT_TAG_MESSAGE", true),
    ("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", false),
];

/// Whether a predefined variable holds attacker-chosen text; `Some(true)` when it can span lines.
pub fn predefined(name: &str) -> Option<bool> {
    if let Some((_, multiline)) = ATTACKER_VARIABLES.iter().find(|(n, _)| *n == name) {
        return Some(*multiline);
    }
    // Pull requests of external repositories (GitHub/Bitbucket mirrors): branch names and the like.
    if let Some(rest) = name.strip_prefix("CI_EXTERNAL_PULL_REQUEST_") {
        if !rest.ends_with("_SHA") && !rest.ends_with("IID") && !rest.starts_with("TARGET_") {
            return Some(false);
        }
    }
    None
}

/// Predefined variables holding credentials GitLab itself creates for a job, as opposed to
/// variables someone stored in the project settings. GitLab masks all of them in job logs.
/// `true` marks the job-scoped ones, which expire when the job ends: the job token
/// (`CI_JOB_TOKEN`, its old name `CI_BUILD_TOKEN`, and `CI_REGISTRY_PASSWORD` /
/// `CI_DEPENDENCY_PROXY_PASSWORD`, which hold the same value) and the job's JWTs (removed in
/// GitLab 17.0). `CI_DEPLOY_PASSWORD` is the password of the project's `gitlab-deploy-token`, a
/// long-lived stored credential.
const BUILTIN_CREDENTIALS: [(&str, bool); 8] = [
    ("CI_JOB_TOKEN", true),
    ("CI_BUILD_TOKEN", true),
    ("CI_REGISTRY_PASSWORD", true),
    ("CI_DEPENDENCY_PROXY_PASSWORD", true),
    ("CI_JOB_JWT", true),
    ("CI_JOB_JWT_V1", true),
    ("CI_JOB_JWT_V2", true),
    ("CI_DEPLOY_PASSWORD", false),
];

/// A credential GitLab creates and masks in job logs (see [`BUILTIN_CREDENTIALS`]).
pub fn masked_builtin_credential(name: &str) -> bool {
    BUILTIN_CREDENTIALS.iter().any(|(n, _)| *n == name)
}

/// A credential GitLab creates for the job alone, which expires when the job ends (the job
/// token under any of its names, the job JWTs): not a stored secret worth stealing for later.
pub fn job_scoped_credential(name: &str) -> bool {
    BUILTIN_CREDENTIALS
        .iter()
        .any(|(n, scoped)| *n == name && *scoped)
}

/// Where attacker text in a variable comes from.
#[derive(Debug, Clone)]
pub struct GlSource {
    /// The predefined variable at the origin (`CI_MERGE_REQUEST_TITLE`).
    pub origin: String,
    /// It can contain line breaks (commit messages, descriptions).
    pub multiline: bool,
    /// How it got here, outermost first (`variables.TITLE`, `shell variable T`), with spans.
    pub path: Vec<(String, Span)>,
}

impl GlSource {
    pub fn describe(&self) -> String {
        if self.path.is_empty() {
            format!("`${}`", self.origin)
        } else {
            let hops: Vec<&str> = self.path.iter().rev().map(|(s, _)| s.as_str()).collect();
            format!("`${}` via {}", self.origin, hops.join(" -> "))
        }
    }

    /// `$name` described as the subject of a sentence: "`$X`, which holds ... via ...," or, for the
    /// predefined variable itself, "`$X`, which the author of the commit or merge request chooses,".
    pub fn subject(&self, name: &str) -> String {
        if self.path.is_empty() && self.origin == name {
            format!("`${name}`, which the author of the commit or merge request chooses,")
        } else {
            format!("`${name}`, which holds {},", self.describe())
        }
    }

    /// Add an outer hop.
    pub fn hop(mut self, name: String, span: Span) -> GlSource {
        self.path.insert(0, (name, span));
        self
    }
}

/// The value node of a `variables:` entry (`NAME: value` or `NAME: {value: ..., expand: false}`)
/// and whether GitLab expands variables in it.
pub fn variable_value(v: &Node) -> (&Node, bool) {
    if v.is_map() {
        let expand = v.get("expand").and_then(Node::as_bool) != Some(false);
        (v.get("value").unwrap_or(v), expand)
    } else {
        (v, true)
    }
}

fn lookup<'a>(vars: Option<&'a Node>, name: &str) -> Option<(&'a Node, &'a Node)> {
    vars?
        .entries()
        .iter()
        .rev()
        .find(|(k, _)| k.as_str() == Some(name))
        .map(|(k, v)| (k, v))
}

/// The taint of `$name` in `job` (or at the top level when `job` is `None`): a predefined
/// attacker-controlled variable, or a job or global variable whose value expands one.
pub fn variable_taint(pipeline: &Pipeline, job: Option<&GlJob>, name: &str) -> Option<GlSource> {
    taint_at(pipeline, job, name, 0, false)
}

fn taint_at(
    pipeline: &Pipeline,
    job: Option<&GlJob>,
    name: &str,
    depth: usize,
    global_only: bool,
) -> Option<GlSource> {
    if depth > 8 {
        return None;
    }
    if let Some(multiline) = predefined(name) {
        return Some(GlSource {
            origin: name.to_owned(),
            multiline,
            path: Vec::new(),
        });
    }
    let job_vars = job
        .filter(|_| !global_only)
        .and_then(|j| j.node.get("variables"));
    let (entry, from_job) = match lookup(job_vars, name) {
        Some(e) => (e, true),
        None => (lookup(pipeline.config.get("variables"), name)?, false),
    };
    let (value, expand) = variable_value(entry.1);
    if !expand {
        return None;
    }
    let text = value.as_str()?;
    for r in shell_vars(text) {
        // `A: $A` in a job refers to the global `A`.
        let only_global = global_only || !from_job || r == name;
        if r == name && !from_job {
            continue;
        }
        if let Some(s) = taint_at(pipeline, job, r, depth + 1, only_global) {
            return Some(s.hop(format!("variables.{name}"), value.span));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitlab::IncludeLoader;
    use crate::yaml::parse;

    struct NoFiles;
    impl IncludeLoader for NoFiles {
        fn load(&mut self, _: &str) -> Result<(u32, Node), String> {
            Err("none".into())
        }
        fn glob(&mut self, _: &str) -> Vec<String> {
            Vec::new()
        }
    }

    #[test]
    fn predefined_variables() {
        assert_eq!(predefined("CI_COMMIT_MESSAGE"), Some(true));
        assert_eq!(predefined("CI_MERGE_REQUEST_TITLE"), Some(false));
        assert_eq!(
            predefined("CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME"),
            Some(false)
        );
        assert_eq!(
            predefined("CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA"),
            None
        );
        assert_eq!(predefined("CI_COMMIT_SHA"), None);
        assert_eq!(predefined("CI_COMMIT_REF_SLUG"), None);
    }

    #[test]
    fn user_variables_follow_their_definitions() {
        let src = "variables:\n  MSG: \"note: ${CI_COMMIT_MESSAGE}\"\n  SAFE: $CI_COMMIT_SHA\n  RAW:\n    value: $CI_COMMIT_TITLE\n    expand: false\njob:\n  variables:\n    T: $MSG\n  script: [x]\nother:\n  variables:\n    MSG: $MSG\n  script: [x]\n";
        let docs = parse(src, 0).unwrap();
        let p = Pipeline::build(0, ".gitlab-ci.yml", &docs, &mut NoFiles);
        let job = p.jobs.iter().find(|j| j.name == "job");
        let t = variable_taint(&p, job, "T").unwrap();
        assert_eq!(t.origin, "CI_COMMIT_MESSAGE");
        assert_eq!(
            t.describe(),
            "`$CI_COMMIT_MESSAGE` via variables.MSG -> variables.T"
        );
        let other = p.jobs.iter().find(|j| j.name == "other");
        assert_eq!(
            variable_taint(&p, other, "MSG").unwrap().describe(),
            "`$CI_COMMIT_MESSAGE` via variables.MSG -> variables.MSG"
        );
        assert!(variable_taint(&p, job, "SAFE").is_none());
        assert!(variable_taint(&p, job, "RAW").is_none());
        assert!(variable_taint(&p, None, "UNKNOWN").is_none());
    }
}
