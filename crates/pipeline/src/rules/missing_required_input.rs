use chainproof_core::{Finding, Severity};

use super::{Cx, Rule, Scope, declare_rule};
use crate::github::{Action, Job, Step, Uses, Workflow};
use crate::suggest::suggestion;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Checks calls of local composite actions (`uses: ./path`) and local reusable workflows
    /// (`uses: ./.github/workflows/x.yml`) against what the callee declares:
    ///
    /// - an input declared `required: true` without a `default` that the caller does not pass
    ///   (and, for reusable workflows, a required secret that is neither passed nor inherited);
    /// - an input (or secret) the caller passes that the callee does not declare;
    /// - a job calling a local workflow that has no `on: workflow_call`.
    ///
    /// Reusable workflows are checked by GitHub when the caller runs: a missing required input or
    /// an undeclared one fails the run, so both are high. Actions are not checked: a missing
    /// required input reaches the action as an empty string (high: the action runs with a wrong
    /// value), and an undeclared one is only a warning in the log (medium).
    ///
    /// ## Why is this bad
    /// The mistake shows only when the workflow runs, and for actions it does not even fail: a
    /// missing `token` or `environment` input silently becomes `""`, and a misspelt input name
    /// (`dry_run` for `dry-run`) leaves a safety switch at its default.
    ///
    /// ## Example
    /// ```yaml
    /// # .github/actions/deploy/action.yml declares `environment` (required) and `dry-run`
    /// - uses: ./.github/actions/deploy
    ///   with:
    ///     dry_run: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// - uses: ./.github/actions/deploy
    ///   with:
    ///     environment: staging
    ///     dry-run: true
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions#inputs
    /// - https://docs.github.com/en/actions/sharing-automations/reusing-workflows#using-inputs-and-secrets-in-a-reusable-workflow
    MissingRequiredInput {
        id: "missing-required-input",
        title: "call of a local action or workflow with missing or unknown inputs",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

fn is_required(decl: &Node) -> bool {
    let r = decl.get("required");
    r.and_then(Node::as_bool) == Some(true) || r.and_then(Node::as_str) == Some("true")
}

fn declared_names(decls: Option<&Node>) -> Vec<&str> {
    decls
        .map(|d| d.entries().iter().filter_map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default()
}

fn passes(with: Option<&Node>, name: &str) -> bool {
    with.is_some_and(|w| {
        w.entries()
            .iter()
            .any(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
    })
}

struct Call<'n> {
    /// What is called, for messages (`./.github/actions/deploy`).
    callee: String,
    /// Who calls, for messages (`step 2 of job build`).
    caller: String,
    uses: &'n Node,
    with: Option<&'n Node>,
}

/// Report missing required and undeclared entries of one kind (`input` or `secret`).
#[allow(clippy::too_many_arguments)]
fn check_entries(
    cx: &Cx<'_, '_>,
    call: &Call<'_>,
    kind: &str,
    decls: Option<(&Node, &Node)>,
    passed: Option<&Node>,
    missing_severity: Severity,
    unknown_severity: Severity,
    consequence: &str,
    out: &mut Vec<Finding>,
) {
    let (decls_key, decls) = (decls.map(|d| d.0), decls.map(|d| d.1));
    let default_note = if kind == "secret" {
        ""
    } else {
        " without a default"
    };
    for (k, decl) in decls.map(Node::entries).unwrap_or_default() {
        let Some(name) = k.as_str() else { continue };
        if !is_required(decl) || decl.get("default").is_some() || passes(passed, name) {
            continue;
        }
        out.push(
            cx.finding(
                &MissingRequiredInput::INFO,
                call.uses.span,
                format!("`{name}` is not passed"),
                format!(
                    "{} calls `{}` without the {kind} `{name}`, which is declared `required: true`{default_note}; {consequence}",
                    call.caller, call.callee
                ),
            )
            .severity(missing_severity)
            .related(cx.loc(k.span, format!("{kind} `{name}` is declared here"))),
        );
    }
    let names = declared_names(decls);
    for (k, _) in passed.map(Node::entries).unwrap_or_default() {
        let Some(name) = k.as_str() else { continue };
        if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        let hint = suggestion(name, names.iter().copied());
        let declared = if names.is_empty() {
            format!("; it declares no {kind}s")
        } else {
            hint
        };
        let mut f = cx
            .finding(
                &MissingRequiredInput::INFO,
                k.span,
                format!("not declared by `{}`", call.callee),
                format!(
                    "{} passes `{name}`, but `{}` declares no {kind} `{name}`{declared}",
                    call.caller, call.callee
                ),
            )
            .severity(unknown_severity);
        if let Some(d) = decls_key {
            f = f.related(cx.loc(d.span, format!("the declared {kind}s")));
        }
        out.push(f);
    }
}

/// The directory prefix (as shown to the user) of the repository a file belongs to: its
/// display path minus its repository-relative path.
fn root_prefix(cx: &Cx<'_, '_>, file: u32, rel: &str) -> Option<String> {
    let shown = &cx.sources.get(file)?.path;
    shown.strip_suffix(rel).map(str::to_owned)
}

/// The local action `./dir` in the caller's repository (several repositories can be linted at
/// once; `Repo::local_action` does not tell them apart).
fn same_root_action<'r, 'a>(
    cx: &'r Cx<'_, 'a>,
    caller: (u32, &str),
    dir: &str,
) -> Option<&'r Action<'a>> {
    let prefix = root_prefix(cx, caller.0, caller.1);
    let dir = dir.trim_start_matches("./").trim_end_matches('/');
    let mut candidates = cx.repo.actions.iter().filter(|a| a.dir == dir);
    match prefix {
        Some(prefix) => candidates.find(|a| {
            cx.sources
                .get(a.file)
                .is_some_and(|f| f.path == format!("{prefix}{}", a.path))
        }),
        None => candidates.next(),
    }
}

fn same_root_workflow<'r, 'a>(
    cx: &'r Cx<'_, 'a>,
    caller: (u32, &str),
    path: &str,
) -> Option<&'r Workflow<'a>> {
    let prefix = root_prefix(cx, caller.0, caller.1);
    let path = path.trim_start_matches("./");
    let mut candidates = cx.repo.workflows.iter().filter(|w| w.path == path);
    match prefix {
        Some(prefix) => candidates.find(|w| {
            cx.sources
                .get(w.file)
                .is_some_and(|f| f.path == format!("{prefix}{}", w.path))
        }),
        None => candidates.next(),
    }
}

impl MissingRequiredInput {
    fn check_step(
        cx: &Cx<'_, '_>,
        from: (u32, &str),
        step: &Step<'_>,
        caller: String,
        out: &mut Vec<Finding>,
    ) {
        let Some(uses) = step.uses() else { return };
        let Some(Uses::Local(path)) = uses.as_str().and_then(Uses::parse) else {
            return;
        };
        let Some(action) = same_root_action(cx, from, path) else {
            return;
        };
        let call = Call {
            callee: format!("./{path}"),
            caller,
            uses,
            with: step.node.get("with"),
        };
        check_entries(
            cx,
            &call,
            "input",
            action.root.entry("inputs"),
            call.with,
            Severity::High,
            Severity::Medium,
            "GitHub does not enforce `required:` for actions, so the action receives an empty string",
            out,
        );
    }

    fn check_call(cx: &Cx<'_, '_>, wf: &Workflow<'_>, job: &Job<'_>, out: &mut Vec<Finding>) {
        let Some(uses) = job.uses() else { return };
        let Some(Uses::Local(path)) = uses.as_str().and_then(Uses::parse) else {
            return;
        };
        let Some(callee) = same_root_workflow(cx, (wf.file, &wf.path), path) else {
            return;
        };
        let caller = format!("job `{}`", job.id);
        let Some(trigger) = callee.trigger("workflow_call") else {
            out.push(cx.finding(
                &Self::INFO,
                uses.span,
                "not a reusable workflow",
                format!(
                    "{caller} calls `./{path}`, which has no `on: workflow_call` trigger, so it cannot be called"
                ),
            ));
            return;
        };
        let config = trigger.config;
        let call = Call {
            callee: format!("./{path}"),
            caller,
            uses,
            with: job.node.get("with"),
        };
        check_entries(
            cx,
            &call,
            "input",
            config.and_then(|c| c.entry("inputs")),
            call.with,
            Severity::High,
            Severity::High,
            "GitHub fails the run",
            out,
        );
        let secrets = job.node.get("secrets");
        if secrets.and_then(Node::as_str) == Some("inherit") {
            return;
        }
        check_entries(
            cx,
            &call,
            "secret",
            config.and_then(|c| c.entry("secrets")),
            secrets.filter(|s| s.is_map()),
            Severity::High,
            Severity::High,
            "GitHub fails the run (pass it under `secrets:`, or use `secrets: inherit`)",
            out,
        );
    }
}

impl Rule for MissingRequiredInput {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn job(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, job: &Job<'_>, out: &mut Vec<Finding>) {
        Self::check_call(cx, wf, job, out);
        for step in &job.steps {
            self.step(cx, Scope::Workflow { wf, job }, step, out);
        }
    }

    fn step(&self, cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>, out: &mut Vec<Finding>) {
        let (caller, from) = match scope {
            Scope::Workflow { wf, job } => (
                format!("{} of job `{}`", step.label(), job.id),
                (wf.file, wf.path.as_str()),
            ),
            Scope::Action(a) => (
                format!("{} of this action", step.label()),
                (a.file, a.path.as_str()),
            ),
        };
        Self::check_step(cx, from, step, caller, out);
    }
}
