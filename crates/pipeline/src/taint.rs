//! Taint tracking for GitHub Actions: does attacker-controllable text reach an expression?
//! Follows `env:` variables, step outputs, job outputs, and inputs of reusable workflows and local
//! composite actions back to their callers in the same repository.

use chainproof_core::Span;

use crate::expr::{Taint, context_refs, find_exprs, github_taint};
use crate::github::{Step, Uses, Workflow};
use crate::rules::{Cx, Scope};
use crate::yaml::Node;

const MAX_DEPTH: usize = 6;

/// Where attacker data came from, for the message and related locations.
#[derive(Debug, Clone)]
pub struct Source {
    pub taint: Taint,
    /// The attacker-controlled context at the origin (`github.event.issue.title`).
    pub origin: String,
    /// How it got here, outermost first (`env.TITLE`, `inputs.title` ...), with spans.
    pub path: Vec<(String, Span)>,
}

impl Source {
    pub fn describe(&self) -> String {
        if self.path.is_empty() {
            format!("`{}`", self.origin)
        } else {
            let hops: Vec<&str> = self.path.iter().rev().map(|(s, _)| s.as_str()).collect();
            format!("`{}` via {}", self.origin, hops.join(" -> "))
        }
    }

    /// Add an outer hop (`env.TITLE`, `shell variable T`) where the data passed through.
    pub fn hop(mut self, name: String, span: Span) -> Source {
        self.path.insert(0, (name, span));
        self
    }
}

/// Actions whose outputs carry attacker-controlled text (file names, PR metadata).
const TAINTED_OUTPUT_ACTIONS: [&str; 4] = [
    "tj-actions/changed-files",
    "dorny/paths-filter",
    "tj-actions/branch-names",
    "8398a7/action-slack",
];

/// The strongest taint of any context referenced in `text`'s expressions.
pub fn text_taint(
    cx: &Cx<'_, '_>,
    scope: Scope<'_, '_>,
    step: Option<&Step<'_>>,
    text: &str,
) -> Option<Source> {
    text_taint_at(cx, scope, step, text, 0)
}

fn text_taint_at(
    cx: &Cx<'_, '_>,
    scope: Scope<'_, '_>,
    step: Option<&Step<'_>>,
    text: &str,
    depth: usize,
) -> Option<Source> {
    let mut best: Option<Source> = None;
    for e in find_exprs(text) {
        for r in context_refs(e.inner) {
            if let Some(s) = ref_taint(cx, scope, step, &r, depth) {
                if best.as_ref().is_none_or(|b| s.taint < b.taint) {
                    best = Some(s);
                }
            }
        }
    }
    best
}

fn node_taint(
    cx: &Cx<'_, '_>,
    scope: Scope<'_, '_>,
    step: Option<&Step<'_>>,
    node: &Node,
    depth: usize,
) -> Option<Source> {
    node.as_str()
        .and_then(|t| text_taint_at(cx, scope, step, t, depth))
}

/// The taint of one normalised context reference.
pub fn ref_taint(
    cx: &Cx<'_, '_>,
    scope: Scope<'_, '_>,
    step: Option<&Step<'_>>,
    r: &str,
    depth: usize,
) -> Option<Source> {
    if depth > MAX_DEPTH {
        return None;
    }
    let parts: Vec<&str> = r.split('.').collect();
    match parts.as_slice() {
        ["github", ..] => {
            // A payload field the workflow's triggers never carry is empty, not attacker text.
            if let Scope::Workflow { wf, .. } = scope {
                if !can_carry(wf, r) {
                    return None;
                }
            }
            github_taint(r).map(|taint| Source {
                taint,
                origin: r.to_owned(),
                path: Vec::new(),
            })
        }
        ["env", name, ..] => {
            let (key, v) = env_entry(scope, step, name)?;
            node_taint(cx, scope, step, v, depth + 1).map(|s| s.hop(format!("env.{key}"), v.span))
        }
        ["steps", id, "outputs", name, ..] => {
            let producer = scope
                .steps()
                .iter()
                .find(|s| s.id().is_some_and(|i| i.eq_ignore_ascii_case(id)))?;
            step_output_taint(cx, scope, producer, name, depth + 1).map(|s| {
                s.hop(
                    format!("steps.{id}.outputs.{name}"),
                    producer.run().unwrap_or(producer.node).span,
                )
            })
        }
        ["needs", job, "outputs", name, ..] => {
            let wf = scope.workflow()?;
            let j = wf.jobs.iter().find(|j| j.id.eq_ignore_ascii_case(job))?;
            let (_, v) = j
                .node
                .get("outputs")?
                .entries()
                .iter()
                .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))?;
            node_taint(cx, Scope::Workflow { wf, job: j }, None, v, depth + 1)
                .map(|s| s.hop(format!("needs.{job}.outputs.{name}"), v.span))
        }
        ["inputs", name, ..] => input_taint(cx, scope, name, depth + 1),
        _ => None,
    }
}

/// The events whose payload holds a context (`github.event.issue.*` comes with `issues` and
/// `issue_comment`); `None` when any event might (unknown fields, or contexts of every event).
fn events_carrying(r: &str) -> Option<&'static [&'static str]> {
    const PR: &[&str] = &[
        "pull_request",
        "pull_request_target",
        "pull_request_review",
        "pull_request_review_comment",
    ];
    let field = r.strip_prefix("github.event.").unwrap_or("");
    let first = field.split('.').next().unwrap_or("");
    Some(match (r, first) {
        ("github.head_ref", _) => PR,
        (_, "pull_request") => PR,
        (_, "issue") => &["issues", "issue_comment"],
        (_, "comment") => &[
            "issue_comment",
            "pull_request_review_comment",
            "commit_comment",
            "discussion_comment",
        ],
        (_, "review") => &["pull_request_review"],
        (_, "discussion") => &["discussion", "discussion_comment"],
        (_, "workflow_run") => &["workflow_run"],
        (_, "head_commit" | "commits") => &["push"],
        (_, "pages") => &["gollum"],
        (_, "release") => &["release"],
        (_, "milestone") => &["milestone"],
        (_, "check_suite") => &["check_suite"],
        (_, "check_run") => &["check_run"],
        (_, "client_payload") => &["repository_dispatch"],
        _ => return None,
    })
}

/// Whether some trigger of `wf` can put data into context `r`. Reusable workflows run with their
/// caller's event, so any event can.
fn can_carry(wf: &Workflow<'_>, r: &str) -> bool {
    if wf.is_reusable() {
        return true;
    }
    match events_carrying(r) {
        None => true,
        Some(events) => wf.triggers.iter().any(|t| events.contains(&t.name)),
    }
}

/// `env:` of the step, then the job, then the workflow.
fn env_value<'a>(scope: Scope<'_, 'a>, step: Option<&Step<'a>>, name: &str) -> Option<&'a Node> {
    env_entry(scope, step, name).map(|(_, v)| v)
}

/// The variable's name as written and its value.
fn env_entry<'a>(
    scope: Scope<'_, 'a>,
    step: Option<&Step<'a>>,
    name: &str,
) -> Option<(&'a str, &'a Node)> {
    let find = |n: Option<&'a Node>| {
        n.and_then(|e| {
            e.entries().iter().rev().find_map(|(k, v)| {
                k.as_str()
                    .filter(|k| k.eq_ignore_ascii_case(name))
                    .map(|k| (k, v))
            })
        })
    };
    if let Some(v) = find(step.and_then(|s| s.node.get("env"))) {
        return Some(v);
    }
    match scope {
        Scope::Workflow { wf, job } => {
            find(job.node.get("env")).or_else(|| find(wf.root.get("env")))
        }
        Scope::Action(_) => None,
    }
}

/// Whether a shell variable `$NAME` used in a step's `run:` holds attacker text.
pub fn shell_var_taint(
    cx: &Cx<'_, '_>,
    scope: Scope<'_, '_>,
    step: &Step<'_>,
    name: &str,
) -> Option<Source> {
    let v = env_value(scope, Some(step), name)?;
    node_taint(cx, scope, Some(step), v, 1).map(|s| s.hop(format!("env.{name}"), v.span))
}

fn step_output_taint(
    cx: &Cx<'_, '_>,
    scope: Scope<'_, '_>,
    producer: &Step<'_>,
    name: &str,
    depth: usize,
) -> Option<Source> {
    if let Some(run) = producer.run().and_then(Node::as_str) {
        if !run.contains("GITHUB_OUTPUT") && !run.contains("set-output") {
            return None;
        }
        let value = output_value_text(run, name)?;
        if let Some(s) = text_taint_at(cx, scope, Some(producer), &value, depth) {
            return Some(s);
        }
        // `echo "name=$TITLE" >> "$GITHUB_OUTPUT"` with TITLE from a tainted env var.
        for var in shell_vars(&value) {
            if let Some(v) = env_value(scope, Some(producer), var) {
                if let Some(s) = node_taint(cx, scope, Some(producer), v, depth + 1) {
                    return Some(s.hop(format!("env.{var}"), v.span));
                }
            }
        }
        return None;
    }
    let action = producer.action_name()?;
    if TAINTED_OUTPUT_ACTIONS.iter().any(|a| action == *a) {
        return Some(Source {
            taint: Taint::Attacker,
            origin: format!(
                "{action} outputs (file and branch names chosen by the author of the change)"
            ),
            path: Vec::new(),
        });
    }
    if action == "actions/github-script" {
        return producer
            .with("script")
            .and_then(|s| node_taint(cx, scope, Some(producer), s, depth));
    }
    None
}

/// The text a `run:` script writes as output `name`: what follows `name=` on the lines that set it,
/// or the whole script for forms that cannot be cut out (`name<<EOF` here-documents,
/// `::set-output name=...`). `None` when the script never sets it.
fn output_value_text(run: &str, name: &str) -> Option<String> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let at_word = |line: &str, i: usize| line[..i].chars().next_back().is_none_or(|c| !is_ident(c));
    let mut found = Vec::new();
    for line in run.lines() {
        for (i, _) in line.match_indices(name) {
            let rest = &line[i + name.len()..];
            if !at_word(line, i) {
                continue;
            }
            if rest.starts_with("<<") || line[..i].ends_with("name=") {
                return Some(run.to_owned());
            }
            if let Some(v) = rest.strip_prefix('=') {
                found.push(v.to_owned());
            }
        }
    }
    (!found.is_empty()).then(|| found.join("\n"))
}

/// Shell variable names referenced as `$NAME` or `${NAME}` in a script.
pub fn shell_vars(script: &str) -> Vec<&str> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (start, braced) = if b.get(i + 1) == Some(&b'{') {
                (i + 2, true)
            } else {
                (i + 1, false)
            };
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j > start
                && (b[start].is_ascii_alphabetic() || b[start] == b'_')
                && (!braced || j < b.len())
            {
                out.push(&script[start..j]);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

fn input_taint(cx: &Cx<'_, '_>, scope: Scope<'_, '_>, name: &str, depth: usize) -> Option<Source> {
    let repo = cx.repo;
    match scope {
        Scope::Workflow { wf, .. } => {
            // Inputs of `workflow_dispatch` need write access; only `workflow_call` inputs come from callers.
            if !wf.is_reusable() {
                return None;
            }
            let mut callers = 0;
            for caller in &repo.workflows {
                for job in &caller.jobs {
                    let Some(Uses::Local(p)) =
                        job.uses().and_then(Node::as_str).and_then(Uses::parse)
                    else {
                        continue;
                    };
                    if p != wf.path || caller.repo != wf.repo {
                        continue;
                    }
                    callers += 1;
                    let Some(v) = job.node.get("with").and_then(|w| get_ci(w, name)) else {
                        continue;
                    };
                    if let Some(s) =
                        node_taint(cx, Scope::Workflow { wf: caller, job }, None, v, depth)
                    {
                        return Some(s.hop(
                            format!(
                                "inputs.{name} (passed by job `{}` of {})",
                                job.id, caller.path
                            ),
                            v.span,
                        ));
                    }
                }
            }
            unresolved_input(callers, name)
        }
        Scope::Action(action) => {
            let mut callers = 0;
            for caller in repo.workflows.iter().filter(|w| w.repo == action.repo) {
                for job in &caller.jobs {
                    for step in &job.steps {
                        if let Some(v) = local_call_input(step, &action.dir, name, &mut callers) {
                            if let Some(s) = node_taint(
                                cx,
                                Scope::Workflow { wf: caller, job },
                                Some(step),
                                v,
                                depth,
                            ) {
                                return Some(s.hop(
                                    format!(
                                        "inputs.{name} (passed by job `{}` of {})",
                                        job.id, caller.path
                                    ),
                                    v.span,
                                ));
                            }
                        }
                    }
                }
            }
            for other in repo.actions.iter().filter(|a| a.repo == action.repo) {
                for step in &other.steps {
                    if let Some(v) = local_call_input(step, &action.dir, name, &mut callers) {
                        if let Some(s) = node_taint(cx, Scope::Action(other), Some(step), v, depth)
                        {
                            return Some(
                                s.hop(format!("inputs.{name} (passed by {})", other.path), v.span),
                            );
                        }
                    }
                }
            }
            unresolved_input(callers, name)
        }
    }
}

fn local_call_input<'a>(
    step: &Step<'a>,
    dir: &str,
    name: &str,
    callers: &mut usize,
) -> Option<&'a Node> {
    let Some(Uses::Local(p)) = step.uses().and_then(Node::as_str).and_then(Uses::parse) else {
        return None;
    };
    if p != dir {
        return None;
    }
    *callers += 1;
    step.node.get("with").and_then(|w| get_ci(w, name))
}

/// Mapping lookup ignoring ASCII case (expression property names are case-insensitive).
fn get_ci<'a>(map: &'a Node, name: &str) -> Option<&'a Node> {
    map.entries()
        .iter()
        .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
        .map(|(_, v)| v)
}

/// No caller in this repository: the workflow or action is called from elsewhere, and what callers
/// pass is unknown. With callers that all pass trusted values, the input is clean.
fn unresolved_input(callers: usize, name: &str) -> Option<Source> {
    (callers == 0).then(|| Source {
        taint: Taint::Unknown,
        origin: format!("inputs.{name}, set by callers outside this repository"),
        path: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::shell_vars;

    #[test]
    fn output_values_are_cut_out_of_the_script() {
        use super::output_value_text;
        let run = "if [[ \"$T\" =~ x ]]; then\n  echo \"breaking=true\" >> $GITHUB_OUTPUT\nelse\n  echo \"breaking=false\" >> $GITHUB_OUTPUT\nfi";
        assert_eq!(
            output_value_text(run, "breaking").as_deref(),
            Some("true\" >> $GITHUB_OUTPUT\nfalse\" >> $GITHUB_OUTPUT")
        );
        assert_eq!(output_value_text(run, "other"), None);
        assert_eq!(output_value_text("echo \"nobreaking=1\"", "breaking"), None);
        let heredoc = "echo \"body<<EOF\" >> $GITHUB_OUTPUT\necho \"$B\" >> $GITHUB_OUTPUT";
        assert_eq!(output_value_text(heredoc, "body").as_deref(), Some(heredoc));
    }

    #[test]
    fn finds_shell_variables() {
        assert_eq!(shell_vars("echo \"$A\" ${B_2} $1 $$ ${C"), vec!["A", "B_2"]);
    }
}
