use chainproof_core::Finding;

use super::{Cx, Rule, declare_rule};
use crate::github::{Action, ActionKind, Workflow};
use crate::gitlab::Pipeline;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Checks the shape of pipeline files: a GitHub workflow needs `on:` and a mapping of `jobs:`, each job
    /// `runs-on:` (or `uses:` for a reusable-workflow call), each step exactly one of `run:` and `uses:`;
    /// an `action.yml` needs `runs.using`; a GitLab job needs `script:` (or `trigger:`), and
    /// script keywords hold a string or a list of strings. A GitLab job without `script:` is not
    /// reported when the pipeline includes files chainproof cannot read (templates, other
    /// projects, components): it may override a job defined there.
    ///
    /// ## Why is this bad
    /// GitHub and GitLab reject these files, often only when the pipeline is triggered, and every other
    /// check can only guess what a malformed file means.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   build:
    ///     steps:
    ///       - run: make
    ///         uses: actions/checkout@v4
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: push
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@v4
    ///       - run: make
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax
    /// - https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax
    /// - https://docs.gitlab.com/ci/yaml/
    InvalidStructure {
        id: "invalid-structure",
        title: "pipeline file has an invalid structure",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

fn kind_name(n: &Node) -> &'static str {
    if n.is_map() {
        "a mapping"
    } else if n.is_seq() {
        "a list"
    } else if n.is_null() {
        "empty"
    } else {
        "a scalar"
    }
}

impl InvalidStructure {
    fn push(cx: &Cx<'_, '_>, out: &mut Vec<Finding>, node: &Node, label: &str, msg: String) {
        out.push(cx.finding(&Self::INFO, node.span, label, msg));
    }
}

impl Rule for InvalidStructure {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let root = wf.root;
        if !root.is_map() {
            Self::push(
                cx,
                out,
                root,
                "expected a mapping",
                format!("a workflow must be a mapping, not {}", kind_name(root)),
            );
            return;
        }
        if root.get("on").or_else(|| root.get("true")).is_none() {
            Self::push(
                cx,
                out,
                root,
                "no `on:`",
                "the workflow has no `on:` trigger, so it never runs".into(),
            );
        }
        let Some(jobs) = root.get("jobs") else {
            Self::push(
                cx,
                out,
                root,
                "no `jobs:`",
                "the workflow has no `jobs:`".into(),
            );
            return;
        };
        if !jobs.is_map() || jobs.entries().is_empty() {
            Self::push(
                cx,
                out,
                jobs,
                "expected a mapping of jobs",
                format!(
                    "`jobs:` must be a non-empty mapping, not {}",
                    kind_name(jobs)
                ),
            );
            return;
        }
        for (key, job) in jobs.entries() {
            let id = key.as_str().unwrap_or("?");
            if !job.is_map() {
                Self::push(
                    cx,
                    out,
                    job,
                    "expected a mapping",
                    format!("job `{id}` must be a mapping, not {}", kind_name(job)),
                );
                continue;
            }
            match (job.get("uses"), job.get("runs-on"), job.get("steps")) {
                (Some(_), _, Some(steps)) => Self::push(
                    cx,
                    out,
                    steps,
                    "not allowed here",
                    format!(
                        "job `{id}` calls a reusable workflow (`uses:`) and cannot have `steps:`"
                    ),
                ),
                (Some(_), _, None) => {}
                (None, runs_on, steps) => {
                    if runs_on.is_none() {
                        let msg = format!("job `{id}` has neither `runs-on:` nor `uses:`");
                        Self::push(cx, out, key, "no `runs-on:`", msg);
                    }
                    match steps {
                        Some(steps) => check_steps(cx, out, steps, &format!("job `{id}`")),
                        None => {
                            let msg = format!("job `{id}` has no `steps:`");
                            Self::push(cx, out, key, "no `steps:`", msg);
                        }
                    }
                }
            }
        }
    }

    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        let root = action.root;
        if !root.is_map() {
            Self::push(
                cx,
                out,
                root,
                "expected a mapping",
                format!("an action must be a mapping, not {}", kind_name(root)),
            );
            return;
        }
        let Some(runs) = root.get("runs") else {
            Self::push(
                cx,
                out,
                root,
                "no `runs:`",
                "the action has no `runs:`".into(),
            );
            return;
        };
        match runs.get("using") {
            None => Self::push(
                cx,
                out,
                runs,
                "no `using:`",
                "`runs:` has no `using:`".into(),
            ),
            Some(u) if action.kind == ActionKind::Unknown => Self::push(
                cx,
                out,
                u,
                "unknown runtime",
                format!(
                    "`using: {}` is not `composite`, `docker` or a `node*` runtime",
                    u.as_str().unwrap_or("?")
                ),
            ),
            Some(_) => {}
        }
        if action.kind == ActionKind::Composite {
            match runs.get("steps") {
                Some(steps) => check_steps(cx, out, steps, "the composite action"),
                None => Self::push(
                    cx,
                    out,
                    runs,
                    "no `steps:`",
                    "a composite action needs `runs.steps`".into(),
                ),
            }
        }
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        if !pipeline.config.is_map() && !pipeline.config.is_null() {
            Self::push(
                cx,
                out,
                &pipeline.config,
                "expected a mapping",
                format!(
                    "a GitLab CI file must be a mapping, not {}",
                    kind_name(&pipeline.config)
                ),
            );
            return;
        }
        // A job without `script:` may override one defined in a file chainproof cannot read
        // (`include: template: Jobs/SAST.gitlab-ci.yml` and a `sast:` job that sets `variables:`).
        let unseen_jobs = pipeline.has_external_includes()
            || pipeline
                .problems
                .iter()
                .any(|p| p.kind.is_unreadable_include());
        for job in &pipeline.jobs {
            let n = &job.node;
            if !job.hidden
                && !unseen_jobs
                && n.get("script").is_none()
                && n.get("trigger").is_none()
                && n.get("run").is_none()
            {
                Self::push(
                    cx,
                    out,
                    &job.key,
                    "no `script:`",
                    format!("job `{}` has no `script:` or `trigger:`", job.name),
                );
            }
            for key in ["script", "before_script", "after_script"] {
                if let Some(s) = n.get(key) {
                    if s.is_map() || s.items().iter().any(|i| i.is_map()) {
                        Self::push(
                            cx,
                            out,
                            s,
                            "expected a string or a list of strings",
                            format!(
                                "`{key}:` of job `{}` must be a string or a list of strings",
                                job.name
                            ),
                        );
                    }
                }
            }
        }
    }
}

fn check_steps(cx: &Cx<'_, '_>, out: &mut Vec<Finding>, steps: &Node, owner: &str) {
    if !steps.is_seq() {
        InvalidStructure::push(
            cx,
            out,
            steps,
            "expected a list",
            format!(
                "`steps:` of {owner} must be a list, not {}",
                kind_name(steps)
            ),
        );
        return;
    }
    for (i, step) in steps.items().iter().enumerate() {
        if !step.is_map() {
            InvalidStructure::push(
                cx,
                out,
                step,
                "expected a mapping",
                format!(
                    "step {} of {owner} must be a mapping, not {}",
                    i + 1,
                    kind_name(step)
                ),
            );
            continue;
        }
        match (step.get("run"), step.get("uses")) {
            (Some(_), Some(u)) => InvalidStructure::push(
                cx,
                out,
                u,
                "second action of the step",
                format!("step {} of {owner} has both `run:` and `uses:`", i + 1),
            ),
            (None, None) => InvalidStructure::push(
                cx,
                out,
                step,
                "neither `run:` nor `uses:`",
                format!("step {} of {owner} has neither `run:` nor `uses:`", i + 1),
            ),
            _ => {}
        }
    }
}
