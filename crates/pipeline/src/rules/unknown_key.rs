use chainproof_core::Finding;

use super::{Cx, Rule, declare_rule};
use crate::github::{Action, ActionKind, Workflow};
use crate::gitlab::{GLOBAL_KEYWORDS, Pipeline};
use crate::suggest::{closest, suggestion};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds keys that are not part of the documented schema: in GitHub workflows (top level,
    /// jobs, reusable-workflow call jobs, steps, `strategy`, `defaults`, `concurrency`,
    /// `environment`, `container`, `services`, `workflow_call`/`workflow_dispatch` declarations),
    /// in `action.yml` files (top level, `runs` for the action's kind, `inputs`, `outputs`,
    /// `branding`), and in GitLab CI files (job keywords, `default:`, `workflow:`, `rules:` items,
    /// `include:` entries, `needs:` items, `artifacts:`, `cache:`, `environment:`, `image:`,
    /// `services:`, `retry:`, `inherit:`, `trigger:`, `release:`). The message names the closest
    /// known key when the unknown one looks like a typo (`runs_on` → `runs-on`).
    ///
    /// In GitLab every top-level key that is not a global keyword is a job, so a misspelt global
    /// keyword (`variable:`) silently becomes a job; chainproof reports such keys when none of
    /// their entries are job keywords. Hidden keys (`.template`) are checked when they look like
    /// job templates (at least one job keyword); other hidden keys are plain YAML anchors, and so
    /// is a hidden key holding one `rules:` item (`.skip: &skip {if: ..., when: never}`).
    ///
    /// ## Why is this bad
    /// GitHub rejects a workflow with an unknown key, but only when it runs; GitLab ignores
    /// nothing either, yet a misspelt keyword inside a *hidden* template or an included file is
    /// often noticed only when a job misbehaves. Security settings are the worst to lose this way:
    /// a misspelt `permissions` or `rules` leaves the default (broad token, job always runs) in
    /// place without any error.
    ///
    /// ## Example
    /// ```yaml
    /// jobs:
    ///   build:
    ///     runs_on: ubuntu-latest
    ///     permisions: {contents: read}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-latest
    ///     permissions: {contents: read}
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions
    /// - https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions
    /// - https://docs.gitlab.com/ci/yaml/
    UnknownKey {
        id: "unknown-key",
        title: "key not in the documented schema",
        severity: Medium,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions schema (workflow-v1.0 of actions/languageservices and the metadata docs).

const WORKFLOW_KEYS: &[&str] = &[
    "name",
    "run-name",
    "description",
    "on",
    "permissions",
    "env",
    "defaults",
    "concurrency",
    "jobs",
];

const JOB_KEYS: &[&str] = &[
    "name",
    "permissions",
    "needs",
    "if",
    "runs-on",
    "snapshot",
    "environment",
    "concurrency",
    "outputs",
    "env",
    "defaults",
    "steps",
    "timeout-minutes",
    "cancel-timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
];

const CALL_JOB_KEYS: &[&str] = &[
    "name",
    "uses",
    "with",
    "secrets",
    "strategy",
    "needs",
    "if",
    "permissions",
    "concurrency",
];

const STEP_KEYS: &[&str] = &[
    "id",
    "if",
    "name",
    "uses",
    "run",
    "working-directory",
    "shell",
    "with",
    "env",
    "continue-on-error",
    "timeout-minutes",
    "background",
    "wait",
    "wait-all",
    "cancel",
];

/// Keys of a composite action's steps.
const COMPOSITE_STEP_KEYS: &[&str] = &[
    "id",
    "if",
    "name",
    "uses",
    "run",
    "working-directory",
    "shell",
    "with",
    "env",
    "continue-on-error",
    "timeout-minutes",
];

const STRATEGY_KEYS: &[&str] = &["fail-fast", "max-parallel", "matrix"];
const DEFAULTS_KEYS: &[&str] = &["run"];
const DEFAULTS_RUN_KEYS: &[&str] = &["shell", "working-directory"];
const CONCURRENCY_KEYS: &[&str] = &["group", "cancel-in-progress", "queue"];
const ENVIRONMENT_KEYS: &[&str] = &["name", "url", "deployment"];
const CONTAINER_KEYS: &[&str] = &["image", "credentials", "env", "ports", "volumes", "options"];
const CALL_INPUT_KEYS: &[&str] = &["description", "required", "default", "type"];
const DISPATCH_INPUT_KEYS: &[&str] = &["description", "required", "default", "type", "options"];
const CALL_OUTPUT_KEYS: &[&str] = &["description", "value"];
const CALL_SECRET_KEYS: &[&str] = &["description", "required"];

const ACTION_KEYS: &[&str] = &[
    "name",
    "author",
    "description",
    "inputs",
    "outputs",
    "runs",
    "branding",
];
const ACTION_INPUT_KEYS: &[&str] = &["description", "required", "default", "deprecationMessage"];
const ACTION_OUTPUT_KEYS: &[&str] = &["description"];
const COMPOSITE_OUTPUT_KEYS: &[&str] = &["description", "value"];
const BRANDING_KEYS: &[&str] = &["icon", "color"];
const RUNS_NODE_KEYS: &[&str] = &["using", "main", "pre", "pre-if", "post", "post-if"];
const RUNS_DOCKER_KEYS: &[&str] = &[
    "using",
    "image",
    "env",
    "entrypoint",
    "pre-entrypoint",
    "post-entrypoint",
    "args",
    "pre-if",
    "post-if",
];
const RUNS_COMPOSITE_KEYS: &[&str] = &["using", "steps"];

// ---------------------------------------------------------------------------------------------
// GitLab CI schema (https://docs.gitlab.com/ci/yaml/ and GitLab's own ci.json).

/// Job keywords.
pub(crate) const GITLAB_JOB_KEYS: &[&str] = &[
    "after_script",
    "allow_failure",
    "artifacts",
    "before_script",
    "cache",
    "coverage",
    "dast_configuration",
    "dependencies",
    "environment",
    "except",
    "extends",
    "hooks",
    "identity",
    "id_tokens",
    "image",
    "inherit",
    "inputs",
    "interruptible",
    "manual_confirmation",
    "needs",
    "only",
    "pages",
    "parallel",
    "publish",
    "release",
    "resource_group",
    "retry",
    "rules",
    "run",
    "script",
    "secrets",
    "services",
    "stage",
    "start_in",
    "tags",
    "timeout",
    "trigger",
    "variables",
    "when",
];

const GITLAB_DEFAULT_KEYS: &[&str] = &crate::gitlab::DEFAULT_KEYWORDS;
const GITLAB_WORKFLOW_KEYS: &[&str] = &["name", "rules", "auto_cancel"];
const GITLAB_WORKFLOW_RULE_KEYS: &[&str] = &[
    "if",
    "changes",
    "exists",
    "variables",
    "when",
    "auto_cancel",
];
const GITLAB_RULE_KEYS: &[&str] = &[
    "if",
    "changes",
    "exists",
    "variables",
    "when",
    "start_in",
    "allow_failure",
    "needs",
    "interruptible",
];
const GITLAB_INCLUDE_KEYS: &[&str] = &[
    "local",
    "project",
    "ref",
    "file",
    "template",
    "component",
    "remote",
    "integrity",
    "rules",
    "inputs",
    "cache",
];
const GITLAB_INCLUDE_RULE_KEYS: &[&str] = &["if", "changes", "exists", "when"];
const GITLAB_NEEDS_KEYS: &[&str] = &[
    "job",
    "artifacts",
    "optional",
    "pipeline",
    "project",
    "ref",
    "parallel",
];
const GITLAB_ARTIFACTS_KEYS: &[&str] = &[
    "paths",
    "exclude",
    "expose_as",
    "name",
    "untracked",
    "when",
    "access",
    "public",
    "expire_in",
    "reports",
];
const GITLAB_CACHE_KEYS: &[&str] = &[
    "key",
    "paths",
    "policy",
    "unprotect",
    "untracked",
    "when",
    "fallback_keys",
];
const GITLAB_ENVIRONMENT_KEYS: &[&str] = &[
    "name",
    "url",
    "on_stop",
    "action",
    "auto_stop_in",
    "kubernetes",
    "deployment_tier",
];
const GITLAB_IMAGE_KEYS: &[&str] = &["name", "entrypoint", "docker", "kubernetes", "pull_policy"];
const GITLAB_SERVICE_KEYS: &[&str] = &[
    "name",
    "alias",
    "entrypoint",
    "command",
    "variables",
    "pull_policy",
    "docker",
    "kubernetes",
];
const GITLAB_RETRY_KEYS: &[&str] = &["max", "when", "exit_codes"];
const GITLAB_INHERIT_KEYS: &[&str] = &["default", "variables"];
const GITLAB_TRIGGER_KEYS: &[&str] = &[
    "project", "branch", "strategy", "inputs", "forward", "include",
];
const GITLAB_RELEASE_KEYS: &[&str] = &[
    "tag_name",
    "tag_message",
    "description",
    "name",
    "ref",
    "milestones",
    "released_at",
    "assets",
];

struct Ctx<'c, 'x, 'y> {
    cx: &'c Cx<'x, 'y>,
    out: &'c mut Vec<Finding>,
}

impl Ctx<'_, '_, '_> {
    fn report(&mut self, key: &Node, message: String) {
        self.out.push(self.cx.finding(
            &UnknownKey::INFO,
            key.span,
            "not a known key here",
            message,
        ));
    }

    /// Check the keys of `node` (when it is a mapping) against `known`; `what` names the place.
    fn check(&mut self, node: &Node, known: &[&str], what: &str) {
        for (k, _) in node.entries() {
            let Some(name) = k.as_str() else { continue };
            if known.contains(&name) || k.tag.is_some() {
                continue;
            }
            let hint = suggestion(name, known.iter().copied());
            self.report(k, format!("`{name}` is not a valid key of {what}{hint}"));
        }
    }

    fn check_each_value(&mut self, node: Option<&Node>, known: &[&str], what: &str) {
        for (_, v) in node.map(Node::entries).unwrap_or_default() {
            if v.is_map() {
                self.check(v, known, what);
            }
        }
    }
}

fn check_github_step(c: &mut Ctx<'_, '_, '_>, step: &Node, known: &[&str], what: &str) {
    let has_uses = step.get("uses").is_some();
    let has_run = step.get("run").is_some();
    for (k, _) in step.entries() {
        let Some(name) = k.as_str() else { continue };
        if !known.contains(&name) {
            let mut hint = suggestion(name, known.iter().copied());
            if hint.is_empty() {
                if let Some(job_key) = closest(name, JOB_KEYS.iter().copied()) {
                    hint = format!(" (`{job_key}` is a job key, not a step key)");
                }
            }
            c.report(k, format!("`{name}` is not a valid key of {what}{hint}"));
        } else if has_uses && !has_run && matches!(name, "shell" | "working-directory") {
            c.report(
                k,
                format!("`{name}` only applies to `run:` steps; a `uses:` step does not accept it"),
            );
        } else if has_run && !has_uses && name == "with" {
            c.report(
                k,
                "`with:` only applies to `uses:` steps; pass values to a `run:` script through `env:`"
                    .into(),
            );
        }
    }
}

fn check_workflow(c: &mut Ctx<'_, '_, '_>, wf: &Workflow<'_>) {
    let root = wf.root;
    for (k, _) in root.entries() {
        let Some(name) = k.as_str() else { continue };
        if WORKFLOW_KEYS.contains(&name) || name == "true" {
            continue;
        }
        if JOB_KEYS.contains(&name) && name != "name" {
            c.report(
                k,
                format!(
                    "`{name}` is not a valid top-level key of a workflow; it belongs inside a job under `jobs:`"
                ),
            );
            continue;
        }
        let hint = suggestion(name, WORKFLOW_KEYS.iter().copied());
        c.report(
            k,
            format!("`{name}` is not a valid top-level key of a workflow{hint}"),
        );
    }
    if let Some(d) = root.get("defaults") {
        c.check(d, DEFAULTS_KEYS, "`defaults`");
        if let Some(r) = d.get("run") {
            c.check(r, DEFAULTS_RUN_KEYS, "`defaults.run`");
        }
    }
    if let Some(cc) = root.get("concurrency") {
        c.check(cc, CONCURRENCY_KEYS, "`concurrency`");
    }
    if let Some(call) = wf.trigger("workflow_call").and_then(|t| t.config) {
        c.check_each_value(
            call.get("inputs"),
            CALL_INPUT_KEYS,
            "a `workflow_call` input",
        );
        c.check_each_value(
            call.get("outputs"),
            CALL_OUTPUT_KEYS,
            "a `workflow_call` output",
        );
        c.check_each_value(
            call.get("secrets"),
            CALL_SECRET_KEYS,
            "a `workflow_call` secret",
        );
    }
    if let Some(d) = wf.trigger("workflow_dispatch").and_then(|t| t.config) {
        c.check_each_value(
            d.get("inputs"),
            DISPATCH_INPUT_KEYS,
            "a `workflow_dispatch` input",
        );
    }
    for job in &wf.jobs {
        let node = job.node;
        if job.uses().is_some() {
            for (k, _) in node.entries() {
                let Some(name) = k.as_str() else { continue };
                if CALL_JOB_KEYS.contains(&name) {
                    continue;
                }
                if JOB_KEYS.contains(&name) {
                    c.report(
                        k,
                        format!(
                            "`{name}` is not allowed in job `{}`, which calls a reusable workflow (`uses:`); set it in the called workflow instead",
                            job.id
                        ),
                    );
                } else {
                    let hint = suggestion(name, CALL_JOB_KEYS.iter().copied());
                    c.report(
                        k,
                        format!(
                            "`{name}` is not a valid key of job `{}` (a reusable-workflow call){hint}",
                            job.id
                        ),
                    );
                }
            }
        } else {
            for (k, _) in node.entries() {
                let Some(name) = k.as_str() else { continue };
                if JOB_KEYS.contains(&name) {
                    continue;
                }
                if matches!(name, "with" | "secrets") {
                    c.report(
                        k,
                        format!(
                            "`{name}` only applies to a job that calls a reusable workflow with `uses:`; job `{}` has no `uses:`",
                            job.id
                        ),
                    );
                } else {
                    let hint = suggestion(name, JOB_KEYS.iter().copied());
                    c.report(
                        k,
                        format!("`{name}` is not a valid key of job `{}`{hint}", job.id),
                    );
                }
            }
            if let Some(d) = node.get("defaults") {
                c.check(d, DEFAULTS_KEYS, "`defaults`");
                if let Some(r) = d.get("run") {
                    c.check(r, DEFAULTS_RUN_KEYS, "`defaults.run`");
                }
            }
            if let Some(e) = node.get("environment") {
                c.check(e, ENVIRONMENT_KEYS, "`environment`");
            }
            if let Some(ct) = node.get("container") {
                c.check(ct, CONTAINER_KEYS, "`container`");
            }
            c.check_each_value(node.get("services"), CONTAINER_KEYS, "a service container");
            for step in &job.steps {
                check_github_step(c, step.node, STEP_KEYS, "a step");
            }
        }
        if let Some(s) = node.get("strategy") {
            c.check(s, STRATEGY_KEYS, "`strategy`");
        }
        if let Some(cc) = node.get("concurrency") {
            c.check(cc, CONCURRENCY_KEYS, "`concurrency`");
        }
    }
}

fn check_action(c: &mut Ctx<'_, '_, '_>, action: &Action<'_>) {
    let root = action.root;
    c.check(root, ACTION_KEYS, "an action's metadata (`action.yml`)");
    for (_, v) in root.get("inputs").map(Node::entries).unwrap_or_default() {
        for (k, _) in v.entries() {
            let Some(name) = k.as_str() else { continue };
            if ACTION_INPUT_KEYS.contains(&name) {
                continue;
            }
            let msg = if name == "type" {
                "`type` is not a key of action inputs (it exists only for `workflow_call` and `workflow_dispatch` inputs); GitHub ignores it and passes every action input as a string".to_owned()
            } else {
                let hint = suggestion(name, ACTION_INPUT_KEYS.iter().copied());
                format!("`{name}` is not a valid key of an action input{hint}")
            };
            c.report(k, msg);
        }
    }
    let outputs = if action.kind == ActionKind::Composite {
        COMPOSITE_OUTPUT_KEYS
    } else {
        ACTION_OUTPUT_KEYS
    };
    for (_, v) in root.get("outputs").map(Node::entries).unwrap_or_default() {
        for (k, _) in v.entries() {
            let Some(name) = k.as_str() else { continue };
            if outputs.contains(&name) {
                continue;
            }
            if name == "value" {
                c.report(
                    k,
                    "`value` is only allowed in the outputs of composite actions; JavaScript and Docker actions set outputs with `$GITHUB_OUTPUT`".into(),
                );
            } else {
                let hint = suggestion(name, outputs.iter().copied());
                c.report(
                    k,
                    format!("`{name}` is not a valid key of an action output{hint}"),
                );
            }
        }
    }
    if let Some(b) = root.get("branding") {
        c.check(b, BRANDING_KEYS, "`branding`");
    }
    let Some(runs) = root.get("runs") else { return };
    let (known, what) = match action.kind {
        ActionKind::Composite => (RUNS_COMPOSITE_KEYS, "`runs` of a composite action"),
        ActionKind::Docker => (RUNS_DOCKER_KEYS, "`runs` of a Docker action"),
        ActionKind::Node => (RUNS_NODE_KEYS, "`runs` of a JavaScript action"),
        ActionKind::Unknown => return,
    };
    if action.kind != ActionKind::Composite {
        if let Some((k, _)) = runs.entry("steps") {
            c.report(
                k,
                format!(
                    "`steps` is not a valid key of {what}; only composite actions (`using: composite`) have steps"
                ),
            );
        }
    }
    for (k, _) in runs.entries() {
        let Some(name) = k.as_str() else { continue };
        if known.contains(&name) || name == "steps" {
            continue;
        }
        let hint = suggestion(name, known.iter().copied());
        c.report(k, format!("`{name}` is not a valid key of {what}{hint}"));
    }
    for step in &action.steps {
        check_github_step(c, step.node, COMPOSITE_STEP_KEYS, "a composite action step");
    }
}

/// A hidden key that holds one `rules:` item for anchors (`.skip: &skip {if: ..., when: never}`),
/// not a job template: only rule keys, at least one of them a condition.
fn is_rule_anchor(node: &Node) -> bool {
    let keys: Vec<&str> = node
        .entries()
        .iter()
        .filter_map(|(k, _)| k.as_str())
        .collect();
    keys.iter().all(|k| GITLAB_RULE_KEYS.contains(k))
        && keys
            .iter()
            .any(|k| matches!(*k, "if" | "changes" | "exists"))
}

fn job_keyword_count(node: &Node) -> usize {
    node.entries()
        .iter()
        .filter(|(k, _)| k.as_str().is_some_and(|n| GITLAB_JOB_KEYS.contains(&n)))
        .count()
}

fn check_gitlab_rules(c: &mut Ctx<'_, '_, '_>, rules: Option<&Node>, known: &[&str], what: &str) {
    for r in rules.map(Node::items).unwrap_or_default() {
        if r.is_map() {
            c.check(r, known, what);
        }
    }
}

fn check_gitlab_job(c: &mut Ctx<'_, '_, '_>, name: &str, job: &Node) {
    for (k, _) in job.entries() {
        let Some(key) = k.as_str() else { continue };
        if GITLAB_JOB_KEYS.contains(&key) || k.tag.is_some() {
            continue;
        }
        let place = if name.starts_with('.') {
            format!("template `{name}`")
        } else {
            format!("job `{name}`")
        };
        let msg = if matches!(key, "stages" | "workflow" | "include" | "default") {
            format!("`{key}` is a global keyword and cannot be used inside {place}")
        } else {
            let hint = suggestion(key, GITLAB_JOB_KEYS.iter().copied());
            format!("`{key}` is not a GitLab CI job keyword (in {place}){hint}")
        };
        c.report(k, msg);
    }
    check_gitlab_rules(c, job.get("rules"), GITLAB_RULE_KEYS, "a `rules:` item");
    for n in job.get("needs").map(Node::items).unwrap_or_default() {
        if n.is_map() {
            c.check(n, GITLAB_NEEDS_KEYS, "a `needs:` item");
        }
    }
    check_gitlab_common(c, job);
    if let Some(e) = job.get("environment") {
        c.check(e, GITLAB_ENVIRONMENT_KEYS, "`environment`");
    }
    if let Some(r) = job.get("inherit") {
        c.check(r, GITLAB_INHERIT_KEYS, "`inherit`");
    }
    if let Some(t) = job.get("trigger") {
        c.check(t, GITLAB_TRIGGER_KEYS, "`trigger`");
    }
    if let Some(r) = job.get("release") {
        c.check(r, GITLAB_RELEASE_KEYS, "`release`");
    }
}

/// Keys shared by jobs and `default:`.
fn check_gitlab_common(c: &mut Ctx<'_, '_, '_>, node: &Node) {
    if let Some(a) = node.get("artifacts") {
        c.check(a, GITLAB_ARTIFACTS_KEYS, "`artifacts`");
    }
    match node.get("cache") {
        Some(cache) if cache.is_seq() => {
            for item in cache.items() {
                c.check(item, GITLAB_CACHE_KEYS, "`cache`");
            }
        }
        Some(cache) => c.check(cache, GITLAB_CACHE_KEYS, "`cache`"),
        None => {}
    }
    if let Some(i) = node.get("image") {
        c.check(i, GITLAB_IMAGE_KEYS, "`image`");
    }
    for s in node.get("services").map(Node::items).unwrap_or_default() {
        c.check(s, GITLAB_SERVICE_KEYS, "a `services:` item");
    }
    if let Some(r) = node.get("retry") {
        c.check(r, GITLAB_RETRY_KEYS, "`retry`");
    }
}

fn check_pipeline(c: &mut Ctx<'_, '_, '_>, pipeline: &Pipeline) {
    let config = &pipeline.config;
    for (k, v) in config.entries() {
        let Some(name) = k.as_str() else { continue };
        if k.tag.is_some() {
            continue;
        }
        match name {
            "default" => {
                for (dk, _) in v.entries() {
                    let Some(key) = dk.as_str() else { continue };
                    if GITLAB_DEFAULT_KEYS.contains(&key) {
                        continue;
                    }
                    let msg = if GITLAB_JOB_KEYS.contains(&key) {
                        let (last, rest) = GITLAB_DEFAULT_KEYS.split_last().unwrap_or((&"", &[]));
                        format!(
                            "`{key}` cannot be set in `default:`; only {} and {last} can",
                            rest.join(", ")
                        )
                    } else {
                        let hint = suggestion(key, GITLAB_DEFAULT_KEYS.iter().copied());
                        format!("`{key}` is not a valid key of `default:`{hint}")
                    };
                    c.report(dk, msg);
                }
                check_gitlab_common(c, v);
            }
            "workflow" => {
                c.check(v, GITLAB_WORKFLOW_KEYS, "`workflow:`");
                check_gitlab_rules(
                    c,
                    v.get("rules"),
                    GITLAB_WORKFLOW_RULE_KEYS,
                    "a `workflow:rules` item",
                );
            }
            "include" => {}
            _ if GLOBAL_KEYWORDS.contains(&name) => {}
            _ if name.starts_with('.') => {
                if v.is_map() && job_keyword_count(v) > 0 && !is_rule_anchor(v) {
                    check_gitlab_job(c, name, v);
                }
            }
            _ if v.is_map() => {
                // A misspelt global keyword becomes a job; its entries then are not job keywords.
                if job_keyword_count(v) == 0 && !v.entries().is_empty() {
                    if let Some(global) = closest(name, GLOBAL_KEYWORDS.iter().copied()) {
                        c.report(
                            k,
                            format!(
                                "`{name}` is not a global keyword, so GitLab reads it as a job (and none of its keys are job keywords); did you mean `{global}`?"
                            ),
                        );
                        continue;
                    }
                }
                check_gitlab_job(c, name, v);
            }
            _ => {
                let msg = if GITLAB_JOB_KEYS.contains(&name) {
                    format!(
                        "`{name}` is a job keyword, not a global keyword; move it into a job (or into `default:`)"
                    )
                } else {
                    let hint = suggestion(name, GLOBAL_KEYWORDS.iter().copied());
                    format!("`{name}` is not a global keyword, and a job must be a mapping{hint}")
                };
                c.report(k, msg);
            }
        }
    }
    for inc in &pipeline.includes {
        if inc.node.is_map() {
            c.check(&inc.node, GITLAB_INCLUDE_KEYS, "an `include:` entry");
            check_gitlab_rules(
                c,
                inc.node.get("rules"),
                GITLAB_INCLUDE_RULE_KEYS,
                "an `include:rules` item",
            );
        }
    }
}

impl Rule for UnknownKey {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        check_workflow(&mut Ctx { cx, out }, wf);
    }

    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        check_action(&mut Ctx { cx, out }, action);
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        // Keys of a file included by two pipelines give identical findings; the report dedups them.
        check_pipeline(&mut Ctx { cx, out }, pipeline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_suggestions() {
        assert_eq!(
            closest("runs_on", JOB_KEYS.iter().copied()),
            Some("runs-on")
        );
        assert_eq!(
            closest("permisions", JOB_KEYS.iter().copied()),
            Some("permissions")
        );
        assert_eq!(
            closest("scirpt", GITLAB_JOB_KEYS.iter().copied()),
            Some("script")
        );
        assert_eq!(
            closest("completely-different", JOB_KEYS.iter().copied()),
            None
        );
        assert_eq!(
            closest("variable", GLOBAL_KEYWORDS.iter().copied()),
            Some("variables")
        );
        assert_eq!(closest("ab", ["if"]), None);
        assert_eq!(
            closest("timeout", JOB_KEYS.iter().copied()),
            Some("timeout-minutes")
        );
        assert_eq!(
            closest("cancel", CONCURRENCY_KEYS.iter().copied()),
            Some("cancel-in-progress")
        );
    }
}
