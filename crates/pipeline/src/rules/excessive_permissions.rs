use chainproof_core::{Confidence, Edit, Finding, Fix, Severity, Span};

use super::{Cx, Rule, declare_rule};
use crate::fix::insert_entries;
use crate::github::Workflow;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds `GITHUB_TOKEN` permissions broader than a workflow should have:
    ///
    /// - `permissions: write-all`, on the workflow or a job: **high**.
    /// - A workflow without a top-level `permissions:` whose jobs do not all declare their own:
    ///   **medium**. Those jobs get the default token, which is read-write on repositories created
    ///   before February 2023 and in organisations that kept the old default. Reusable workflows
    ///   (only `on: workflow_call`) are skipped: their caller's permissions apply.
    /// - Write scopes that matter (`contents`, `id-token`, `actions`, `packages`, `deployments`,
    ///   `pages`, `checks`, `statuses`, `security-events`) in a workflow triggered by
    ///   `pull_request_target`, `workflow_run` or `issue_comment`: **high**.
    ///
    /// `--fix` adds `permissions: {contents: read}` at the top of a workflow that has none (before
    /// `jobs:`); jobs that need more must then ask for it in their own `permissions:`.
    ///
    /// ## Why is this bad
    /// Every step, including third-party actions and anything they download, can use the token. A
    /// compromised dependency or an injection with a write token can push commits, rewrite
    /// releases, publish packages or mint cloud credentials (`id-token: write`). In workflows that
    /// outsiders can trigger, write scopes turn any mistake into a repository takeover.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// permissions: write-all
    /// jobs:
    ///   label:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - uses: actions/labeler@v5
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: pull_request_target
    /// permissions:
    ///   contents: read
    /// jobs:
    ///   label:
    ///     runs-on: ubuntu-latest
    ///     permissions:
    ///       contents: read
    ///       pull-requests: write
    ///     steps:
    ///       - uses: actions/labeler@v5
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#permissions
    /// - https://github.blog/changelog/2023-02-02-github-actions-updating-the-default-github_token-permissions-to-read-only/
    ExcessivePermissions {
        id: "excessive-permissions",
        title: "GITHUB_TOKEN permissions broader than needed",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: true,
    }
}

/// Write scopes that let a token change code, releases, packages, deployments or cloud access.
const RISKY_WRITE: [&str; 9] = [
    "actions",
    "checks",
    "contents",
    "deployments",
    "id-token",
    "packages",
    "pages",
    "security-events",
    "statuses",
];

/// The edit adding `permissions: contents: read` to a workflow: on its own lines before `jobs:`
/// (and the comments directly above it), else as the root mapping's first entry.
fn add_permissions(cx: &Cx<'_, '_>, wf: &Workflow<'_>) -> Option<Fix> {
    let lines = ["permissions:".to_owned(), "  contents: read".to_owned()];
    let file = cx.sources.get(wf.root.span.file)?;
    let text = &*file.text;
    let edit = match wf.root.entry("jobs") {
        Some((key, _)) if key.span.start == 0 || text[..key.span.start].ends_with('\n') => {
            // Keep comments that describe `jobs:` attached to it.
            let mut at = key.span.start;
            while at > 0 {
                let prev_start = text[..at - 1].rfind('\n').map_or(0, |i| i + 1);
                if text[prev_start..at].trim_start().starts_with('#') {
                    at = prev_start;
                } else {
                    break;
                }
            }
            Edit {
                file: file.path.clone(),
                start: at,
                end: at,
                replacement: lines.iter().map(|l| format!("{l}\n")).collect(),
            }
        }
        _ => insert_entries(cx, wf.root, &lines)?,
    };
    Some(Fix {
        description: "add `permissions: contents: read` to the workflow (jobs that need more declare their own)".into(),
        edits: vec![edit],
    })
}

fn entry_span(k: &Node, v: &Node) -> Span {
    Span::new(k.span.file, k.span.start, v.span.end.max(k.span.end))
}

impl ExcessivePermissions {
    fn write_all(&self, cx: &Cx<'_, '_>, perms: &Node, whose: &str, out: &mut Vec<Finding>) {
        if perms.as_str().map(str::trim) == Some("write-all") {
            out.push(cx.finding(
                &Self::INFO,
                perms.span,
                "every scope writable",
                format!(
                    "`permissions: write-all` gives {whose} a token that can write to every scope (code, releases, packages, caches, deployments); list only the scopes it needs"
                ),
            ));
        }
    }

    fn risky_writes(
        &self,
        cx: &Cx<'_, '_>,
        perms: &Node,
        whose: &str,
        trigger: &str,
        out: &mut Vec<Finding>,
    ) {
        for (k, v) in perms.entries() {
            let (Some(scope), Some("write")) = (k.as_str(), v.as_str().map(str::trim)) else {
                continue;
            };
            if !RISKY_WRITE.contains(&scope) {
                continue;
            }
            out.push(
                cx.finding(
                    &Self::INFO,
                    entry_span(k, v),
                    "write scope in a privileged workflow",
                    format!(
                        "{whose} has `{scope}: write` in a `{trigger}` workflow, which outsiders can trigger; move the write to a job that never handles their code or text, or drop it"
                    ),
                )
                .confidence(Confidence::Medium),
            );
        }
    }
}

impl Rule for ExcessivePermissions {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        let top = wf.root.get("permissions");
        let trigger = wf
            .privileged_triggers(&cx.repo.workflows)
            .first()
            .map(|t| t.name);
        if let Some(p) = top {
            self.write_all(cx, p, "every job of this workflow", out);
            if let Some(t) = trigger {
                self.risky_writes(cx, p, "the workflow", t, out);
            }
        }
        let mut defaulted = Vec::new();
        for job in &wf.jobs {
            match job.node.get("permissions") {
                Some(p) => {
                    let whose = format!("job `{}`", job.id);
                    self.write_all(cx, p, &whose, out);
                    if let Some(t) = trigger {
                        self.risky_writes(cx, p, &whose, t, out);
                    }
                }
                None => defaulted.push(job.id),
            }
        }
        let reusable_only =
            !wf.triggers.is_empty() && wf.triggers.iter().all(|t| t.name == "workflow_call");
        if top.is_some() || defaulted.is_empty() || reusable_only {
            return;
        }
        let Some((jobs_key, _)) = wf.root.entry("jobs") else {
            return;
        };
        let names: Vec<String> = defaulted.iter().map(|j| format!("`{j}`")).collect();
        let (noun, verb) = if names.len() == 1 {
            ("job", "runs")
        } else {
            ("jobs", "run")
        };
        out.push(
            cx.finding(
                &Self::INFO,
                jobs_key.span,
                "no `permissions:` for these jobs",
                format!(
                    "{noun} {} {verb} with the default GITHUB_TOKEN permissions, which are read-write on older repositories and organisations; declare `permissions:` for the workflow or each job",
                    names.join(", ")
                ),
            )
            .severity(Severity::Medium)
            .confidence(Confidence::Medium)
            .fix(add_permissions(cx, wf)),
        );
    }
}
