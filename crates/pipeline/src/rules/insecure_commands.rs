use chainproof_core::{Confidence, Finding, Severity, Span};

use super::{Cx, Rule, declare_rule};
use crate::github::{Action, Step, Workflow};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds `ACTIONS_ALLOW_UNSECURE_COMMANDS: true` in workflow, job or step `env:` (and in
    /// composite actions), and uses of the deprecated `::set-env` and `::add-path` workflow
    /// commands in `run:` scripts.
    ///
    /// ## Why is this bad
    /// GitHub disabled `set-env` and `add-path` in 2020 (CVE-2020-15228) because any process that
    /// writes to the log can use them: a test, a dependency, a tool printing a pull request
    /// title or a file name. A line such as `::set-env name=NODE_OPTIONS::--require /tmp/x.js`
    /// then runs code in every later step. `ACTIONS_ALLOW_UNSECURE_COMMANDS` turns them back on.
    /// Without it, the commands fail the step.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    ///   ACTIONS_ALLOW_UNSECURE_COMMANDS: true
    /// steps:
    ///   - run: echo "::add-path::$HOME/.tool/bin"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// steps:
    ///   - run: echo "$HOME/.tool/bin" >> "$GITHUB_PATH"
    /// ```
    /// and `echo "NAME=value" >> "$GITHUB_ENV"` instead of `::set-env`.
    ///
    /// ## References
    /// - https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/
    /// - https://github.com/advisories/GHSA-mfwh-5m23-j46w
    InsecureCommands {
        id: "insecure-commands",
        title: "insecure workflow commands enabled or used",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

const FLAG: &str = "ACTIONS_ALLOW_UNSECURE_COMMANDS";

/// The `ACTIONS_ALLOW_UNSECURE_COMMANDS` entry of an `env:` map, if it enables the commands;
/// the confidence is lower when the value is an expression.
fn enabling(env: Option<&Node>) -> Option<(&Node, &Node, Confidence)> {
    let (k, v) = env?
        .entries()
        .iter()
        .find(|(k, _)| k.as_str().is_some_and(|n| n.eq_ignore_ascii_case(FLAG)))?;
    if v.as_bool() == Some(true)
        || v.as_str()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("true"))
    {
        Some((k, v, Confidence::High))
    } else if v.as_str().is_some_and(|s| s.contains("${{")) {
        Some((k, v, Confidence::Medium))
    } else {
        None
    }
}

fn flag_finding(
    cx: &Cx<'_, '_>,
    k: &Node,
    v: &Node,
    confidence: Confidence,
    level: &str,
) -> Finding {
    cx.finding(
        &InsecureCommands::INFO,
        Span::new(k.span.file, k.span.start, v.span.end.max(k.span.end)),
        "re-enables `set-env` and `add-path`",
        format!(
            "`{FLAG}` in the `env:` of {level} re-enables the `set-env` and `add-path` workflow commands, so anything that prints to the log can set environment variables or PATH for later steps"
        ),
    )
    .confidence(confidence)
}

fn commands_in_run(
    cx: &Cx<'_, '_>,
    step: &Step<'_>,
    enabled: Option<&Node>,
    in_action: bool,
    out: &mut Vec<Finding>,
) {
    let Some(run) = step.run() else { return };
    let Some(text) = run.as_str() else { return };
    for (needle, what, instead) in [
        (
            "::set-env",
            "set-env",
            "`echo \"NAME=value\" >> \"$GITHUB_ENV\"`",
        ),
        (
            "::add-path::",
            "add-path",
            "`echo \"$DIR\" >> \"$GITHUB_PATH\"`",
        ),
    ] {
        for (nth, _) in text.match_indices(needle).enumerate() {
            let span = cx.locate(run, needle, nth);
            let mut f = match enabled {
                Some(_) => cx.finding(
                    &InsecureCommands::INFO,
                    span,
                    "insecure workflow command",
                    format!(
                        "`{what}` is enabled here by `{FLAG}`, and any text printed to the log can use it to change the environment of later steps; use {instead}"
                    ),
                ),
                None if in_action => cx
                    .finding(
                        &InsecureCommands::INFO,
                        span,
                        "deprecated workflow command",
                        format!(
                            "`{what}` is disabled on GitHub and fails the step unless the calling workflow sets `{FLAG}`, which makes it unsafe; use {instead}"
                        ),
                    )
                    .severity(Severity::Medium),
                None => cx
                    .finding(
                        &InsecureCommands::INFO,
                        span,
                        "deprecated workflow command",
                        format!(
                            "`{what}` is disabled on GitHub and fails this step (enabling it with `{FLAG}` would be unsafe); use {instead}"
                        ),
                    )
                    .severity(Severity::Low),
            };
            if let Some(e) = enabled {
                f = f.related(cx.loc(e.span, "enabled here"));
            }
            out.push(f);
        }
    }
}

impl Rule for InsecureCommands {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let wf_flag = enabling(wf.root.get("env"));
        if let Some((k, v, c)) = wf_flag {
            out.push(flag_finding(cx, k, v, c, "the workflow"));
        }
        for job in &wf.jobs {
            let job_flag = enabling(job.node.get("env"));
            if let Some((k, v, c)) = job_flag {
                out.push(flag_finding(cx, k, v, c, &format!("job `{}`", job.id)));
            }
            for step in &job.steps {
                let step_flag = enabling(step.node.get("env"));
                if let Some((k, v, c)) = step_flag {
                    out.push(flag_finding(cx, k, v, c, &step.label()));
                }
                let enabled = step_flag.or(job_flag).or(wf_flag).map(|(k, _, _)| k);
                commands_in_run(cx, step, enabled, false, out);
            }
        }
    }

    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        let runs_flag = enabling(action.root.path(&["runs", "env"]));
        if let Some((k, v, c)) = runs_flag {
            out.push(flag_finding(cx, k, v, c, "the action"));
        }
        for step in &action.steps {
            let step_flag = enabling(step.node.get("env"));
            if let Some((k, v, c)) = step_flag {
                out.push(flag_finding(cx, k, v, c, &step.label()));
            }
            let enabled = step_flag.or(runs_flag).map(|(k, _, _)| k);
            commands_in_run(cx, step, enabled, true, out);
        }
    }
}
