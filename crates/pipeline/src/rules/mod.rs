//! The rule trait, the context rules see, and the `declare_rule!` macro. Each rule lives in its
//! own file in this folder and is listed once in [`crate::registry`].

// One line per rule; keep sorted.
pub mod archived_uses;
pub mod artifact_poisoning;
pub mod artifacts_exposure;
pub mod bot_conditions;
pub mod cache_poisoning;
pub mod dangerous_triggers;
pub mod dind_service;
pub mod env_injection;
pub mod excessive_permissions;
pub mod expression_syntax;
pub mod hardcoded_credentials;
pub mod insecure_commands;
pub mod invalid_cron;
pub mod invalid_needs;
pub mod invalid_structure;
pub mod job_token_leak;
pub mod known_vulnerable_actions;
pub mod merge_request_secrets;
pub mod missing_required_input;
pub mod overprovisioned_secrets;
pub mod persisted_git_credentials;
pub mod remote_script_exec;
pub mod secrets_in_logs;
pub mod secrets_inherit;
pub mod self_hosted_runner;
pub mod shell_injection;
pub mod template_injection;
pub mod typosquat_uses;
pub mod undefined_reference;
pub mod unknown_key;
pub mod unpinned_images;
pub mod unpinned_includes;
pub mod unpinned_install;
pub mod unpinned_uses;
pub mod unprotected_deploy_gate;
pub mod unsigned_release;
pub mod unsound_condition;
pub mod untrusted_checkout;

use chainproof_core::{Config, Finding, Location, RuleInfo, SourceMap, Span};

use crate::github::{Action, Job, Step, Workflow};
use crate::gitlab::{GlJob, Pipeline};
use crate::yaml::Node;

/// Declare a rule struct whose doc comment is its documentation (`chainproof explain <id>`).
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $name:ident {
            id: $id:literal,
            title: $title:literal,
            severity: $sev:ident,
            confidence: $conf:ident,
            platforms: [$($platform:literal),+],
            fixable: $fixable:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const INFO: chainproof_core::RuleInfo = chainproof_core::RuleInfo {
                id: $id,
                title: $title,
                severity: chainproof_core::Severity::$sev,
                confidence: chainproof_core::Confidence::$conf,
                docs: concat!($($doc, "\n"),*),
                platforms: &[$($platform),+],
                fixable: $fixable,
            };
        }
    };
}
pub(crate) use declare_rule;

/// Everything in the analysed repository, for rules that follow data across files
/// (callers of reusable workflows and local actions, for example).
pub struct Repo<'a> {
    pub workflows: Vec<Workflow<'a>>,
    pub actions: Vec<Action<'a>>,
    pub pipelines: Vec<Pipeline>,
}

impl<'a> Repo<'a> {
    /// The local action a `uses: ./dir` names, in any repository of the run (prefer
    /// [`Repo::local_action_in`] when the caller's repository is known).
    pub fn local_action(&self, dir: &str) -> Option<&Action<'a>> {
        let dir = dir.trim_start_matches("./").trim_end_matches('/');
        self.actions.iter().find(|a| a.dir == dir)
    }

    /// The local action a `uses: ./dir` in repository `repo` names.
    pub fn local_action_in(&self, repo: u32, dir: &str) -> Option<&Action<'a>> {
        let dir = dir.trim_start_matches("./").trim_end_matches('/');
        self.actions.iter().find(|a| a.repo == repo && a.dir == dir)
    }

    /// The workflow a `uses: ./.github/workflows/x.yml` names, in any repository of the run.
    pub fn local_workflow(&self, path: &str) -> Option<&Workflow<'a>> {
        let path = path.trim_start_matches("./");
        self.workflows.iter().find(|w| w.path == path)
    }

    /// The workflow a `uses: ./.github/workflows/x.yml` in repository `repo` names.
    pub fn local_workflow_in(&self, repo: u32, path: &str) -> Option<&Workflow<'a>> {
        let path = path.trim_start_matches("./");
        self.workflows
            .iter()
            .find(|w| w.repo == repo && w.path == path)
    }
}

/// What a rule sees.
pub struct Cx<'r, 'a> {
    pub sources: &'r SourceMap,
    pub config: &'r Config,
    pub repo: &'r Repo<'a>,
}

impl Cx<'_, '_> {
    pub fn loc(&self, span: Span, label: impl Into<String>) -> Location {
        Location::resolve(self.sources, span, label)
    }

    /// `f` with a related location for every hop of a taint path (where the data came from).
    pub fn with_path(&self, mut f: Finding, path: &[(String, Span)]) -> Finding {
        for (label, span) in path {
            f = f.related(self.loc(*span, label.clone()));
        }
        f
    }

    /// Start a finding of `rule` at `span`.
    pub fn finding(
        &self,
        rule: &RuleInfo,
        span: Span,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding::new(rule, self.loc(span, label), message)
    }

    /// The source text of a span.
    pub fn text(&self, span: Span) -> &str {
        self.sources
            .get(span.file)
            .and_then(|f| f.text.get(span.start..span.end))
            .unwrap_or("")
    }

    /// The span of the `nth` occurrence of `needle` in the source text of `node` (for an expression
    /// inside a block scalar, say); the node's own span when it is not found verbatim.
    pub fn locate(&self, node: &Node, needle: &str, nth: usize) -> Span {
        let text = self.text(node.span);
        text.match_indices(needle)
            .nth(nth)
            .map_or(node.span, |(i, _)| node.span.sub(i, needle.len()))
    }

    /// The comment after a one-line scalar on its line (`uses: x@<sha> # v4.2.2` gives
    /// `" v4.2.2"`), without the `#`.
    pub fn trailing_comment(&self, node: &Node) -> Option<&str> {
        let file = self.sources.get(node.span.file)?;
        let rest = file.text.get(node.span.end..)?;
        let line = rest.lines().next()?;
        let comment = line.trim_start().strip_prefix('#')?;
        Some(comment)
    }
}

/// Where a step is: a job of a workflow, or a composite action.
#[derive(Clone, Copy)]
pub enum Scope<'r, 'a> {
    Workflow {
        wf: &'r Workflow<'a>,
        job: &'r Job<'a>,
    },
    Action(&'r Action<'a>),
}

impl<'r, 'a> Scope<'r, 'a> {
    pub fn file(&self) -> u32 {
        match self {
            Scope::Workflow { wf, .. } => wf.file,
            Scope::Action(a) => a.file,
        }
    }

    pub fn steps(&self) -> &'r [Step<'a>] {
        match self {
            Scope::Workflow { job, .. } => &job.steps,
            Scope::Action(a) => &a.steps,
        }
    }

    pub fn workflow(&self) -> Option<&'r Workflow<'a>> {
        match self {
            Scope::Workflow { wf, .. } => Some(wf),
            Scope::Action(_) => None,
        }
    }
}

/// A rule. Override the hook at the level the rule works on; the defaults walk down the tree.
pub trait Rule: Sync + Send {
    fn info(&self) -> &'static RuleInfo;

    /// A whole workflow. Default: every job.
    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        for job in &wf.jobs {
            self.job(cx, wf, job, out);
        }
    }

    /// A job of a workflow. Default: its `uses:` if it calls a reusable workflow, then every step.
    fn job(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, job: &Job<'_>, out: &mut Vec<Finding>) {
        if let Some(u) = job.uses() {
            self.uses(cx, u, true, out);
        }
        for step in &job.steps {
            self.step(cx, Scope::Workflow { wf, job }, step, out);
        }
    }

    /// An `action.yml`. Default: every step of a composite action.
    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        for step in &action.steps {
            self.step(cx, Scope::Action(action), step, out);
        }
    }

    /// A step of a workflow job or composite action. Default: its `uses:`, if any.
    fn step(
        &self,
        cx: &Cx<'_, '_>,
        _scope: Scope<'_, '_>,
        step: &Step<'_>,
        out: &mut Vec<Finding>,
    ) {
        if let Some(u) = step.uses() {
            self.uses(cx, u, false, out);
        }
    }

    /// A `uses:` value: of a job calling a reusable workflow (`job_call`), or of a step (an
    /// action, a local action, `docker://`). Reached through the default `job` and `step` hooks.
    fn uses(&self, _cx: &Cx<'_, '_>, _uses: &Node, _job_call: bool, _out: &mut Vec<Finding>) {}

    /// A GitLab pipeline or component. Default: every job, hidden ones included (they are
    /// templates other jobs inherit from; findings point at where the text is).
    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        for job in &pipeline.jobs {
            self.gitlab_job(cx, pipeline, job, out);
        }
    }

    fn gitlab_job(
        &self,
        _cx: &Cx<'_, '_>,
        _pipeline: &Pipeline,
        _job: &GlJob,
        _out: &mut Vec<Finding>,
    ) {
    }
}
