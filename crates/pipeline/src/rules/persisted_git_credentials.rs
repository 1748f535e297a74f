use chainproof_core::{Confidence, Finding, Fix, Severity};

use super::{Cx, Rule, Scope, declare_rule};
use crate::fix::insert_entries;
use crate::github::{Step, Uses};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds `actions/checkout` steps that leave the job's `GITHUB_TOKEN` in the checkout's git
    /// configuration (the default, `persist-credentials: true`), and rates it high when a later step of
    /// the same job uploads the workspace as an artifact, low when the job's `permissions:` (or the
    /// workflow's) grant no write scope.
    ///
    /// ## Why is this bad
    /// With persisted credentials, every later step (third-party actions, build scripts, test suites
    /// of dependencies) can read the token from `.git/config` and push with it. When the checkout
    /// directory is uploaded with `actions/upload-artifact`, the token is published in the artifact,
    /// which anyone who can read the repository's runs can download (the "ArtiPACKED" attack).
    /// `actions/checkout` v6 and later store the credential under `$RUNNER_TEMP` instead of
    /// `.git/config`, so uploads of the workspace no longer carry it, but later steps can still read it.
    ///
    /// ## Example
    /// ```yaml
    ///     steps:
    ///       - uses: actions/checkout@v4
    ///       - run: make dist
    ///       - uses: actions/upload-artifact@v4
    ///         with:
    ///           path: .
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       - uses: actions/checkout@v4
    ///         with:
    ///           persist-credentials: false
    /// ```
    /// `--fix` adds `persist-credentials: false`. Jobs that push afterwards should pass a token to that
    /// one step instead.
    ///
    /// ## References
    /// - https://github.com/actions/checkout#usage
    /// - https://unit42.paloaltonetworks.com/github-repo-artifacts-leak-tokens/
    PersistedGitCredentials {
        id: "persisted-git-credentials",
        title: "checkout leaves the job's token in the workspace",
        severity: Medium,
        confidence: High,
        platforms: ["github"],
        fixable: true,
    }
}

/// The major version a checkout reference names, when it says (`v4`, `v4.2.2`, or a SHA with a
/// `# v4.2.2` comment).
fn checkout_major(cx: &Cx<'_, '_>, uses: &Node) -> Option<u64> {
    let text = uses.as_str()?;
    Some(
        Uses::parse(text)?
            .version(cx.trailing_comment(uses))?
            .major(),
    )
}

/// Whether an `upload-artifact` step uploads the checkout (the workspace root, or the checkout's `path`).
fn uploads_checkout(step: &Step<'_>, checkout_path: Option<&str>) -> bool {
    if !step.uses_action("actions/upload-artifact") {
        return false;
    }
    let Some(paths) = step.with("path").and_then(Node::as_str) else {
        return false;
    };
    paths
        .lines()
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.starts_with('!'))
        .any(|p| {
            let p = p.trim_end_matches('/');
            let whole = matches!(
                p,
                "." | "./"
                    | "*"
                    | "**"
                    | "./*"
                    | "./**"
                    | "${{ github.workspace }}"
                    | "${{github.workspace}}"
            ) || p.starts_with(".git")
                || p.contains("/.git");
            whole
                || checkout_path.is_some_and(|c| {
                    p == c.trim_end_matches('/') || p == format!("./{}", c.trim_end_matches('/'))
                })
        })
}

/// Whether the job's `permissions:` (or the workflow's, when the job has none) grant no write
/// scope: `read-all`, `{}`, or only `read`/`none` values. Unknown (no `permissions:`, an
/// expression, an action) is not read-only.
fn read_only_token(scope: Scope<'_, '_>) -> bool {
    let Scope::Workflow { wf, job } = scope else {
        return false;
    };
    let Some(perms) = job
        .node
        .get("permissions")
        .or_else(|| wf.root.get("permissions"))
    else {
        return false;
    };
    if let Some(s) = perms.as_str() {
        return s.trim() == "read-all";
    }
    perms.is_map()
        && perms
            .entries()
            .iter()
            .all(|(_, v)| matches!(v.as_str().map(str::trim), Some("read" | "none")))
}

impl PersistedGitCredentials {
    fn fix(cx: &Cx<'_, '_>, step: &Step<'_>) -> Option<Fix> {
        let edit = match step.node.get("with") {
            Some(with) if with.is_map() && !with.entries().is_empty() => {
                insert_entries(cx, with, &["persist-credentials: false".to_owned()])?
            }
            Some(_) => return None, // `with:` empty or in flow style: leave it to a human
            None => insert_entries(
                cx,
                step.node,
                &[
                    "with:".to_owned(),
                    "  persist-credentials: false".to_owned(),
                ],
            )?,
        };
        Some(Fix {
            description: "set `persist-credentials: false` on the checkout".into(),
            edits: vec![edit],
        })
    }
}

impl Rule for PersistedGitCredentials {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn step(&self, cx: &Cx<'_, '_>, scope: Scope<'_, '_>, step: &Step<'_>, out: &mut Vec<Finding>) {
        if !step.uses_action("actions/checkout") {
            return;
        }
        let Some(uses) = step.uses() else { return };
        let persist = step.with("persist-credentials");
        let explicit_true = match persist {
            None => false,
            Some(p) if p.as_bool() == Some(false) || p.as_str() == Some("false") => return,
            Some(p) if p.as_bool() == Some(true) || p.as_str() == Some("true") => true,
            Some(_) => return, // an expression: cannot tell
        };
        let checkout_path = step.with("path").and_then(Node::as_str);
        let later = scope.steps().iter().filter(|s| s.index > step.index);
        let upload = later.clone().find(|s| uploads_checkout(s, checkout_path));
        let in_workspace = checkout_major(cx, uses).is_none_or(|v| v < 6);
        let (severity, message) = match upload {
            Some(u) if in_workspace => (
                Severity::High,
                format!(
                    "the checkout keeps the job's GITHUB_TOKEN in `.git/config`, and {} uploads the checkout as an artifact that anyone who can read the workflow runs can download",
                    u.label()
                ),
            ),
            _ if explicit_true => return, // asked for on purpose, and not published
            // A token that can only read gives later steps little they could not read anyway.
            _ if read_only_token(scope) => (
                Severity::Low,
                "the checkout keeps the job's GITHUB_TOKEN (read-only under this job's `permissions:`) where every later step can read it; set `persist-credentials: false` unless a later step uses it".to_owned(),
            ),
            _ => (
                Severity::Medium,
                "the checkout keeps the job's GITHUB_TOKEN where every later step can read it; set `persist-credentials: false` unless a later step pushes with it".to_owned(),
            ),
        };
        let mut f = cx
            .finding(&Self::INFO, uses.span, "credentials persisted", message)
            .severity(severity)
            .confidence(Confidence::High);
        if let Some(u) = upload.filter(|_| in_workspace) {
            f = f.related(cx.loc(
                u.with("path").unwrap_or(u.node).span,
                "uploads the checkout",
            ));
        }
        if !explicit_true {
            f = f.fix(Self::fix(cx, step));
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::uploads_checkout;
    use crate::github::Step;
    use crate::yaml::parse;

    fn upload(path: &str) -> bool {
        let doc = parse(
            &format!("uses: actions/upload-artifact@v4\nwith:\n  path: {path}\n"),
            0,
        )
        .unwrap();
        uploads_checkout(
            &Step {
                index: 0,
                node: &doc[0],
            },
            Some("src"),
        )
    }

    #[test]
    fn workspace_uploads() {
        assert!(upload("."));
        assert!(upload("'${{ github.workspace }}'"));
        assert!(upload("src/"));
        assert!(upload("|\n    dist\n    ."));
        assert!(!upload("dist/"));
        assert!(!upload("target/release/app"));
    }
}
