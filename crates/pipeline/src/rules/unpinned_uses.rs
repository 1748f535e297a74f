use chainproof_core::{Finding, Severity};

use super::{Cx, Rule, Scope, declare_rule};
use crate::github::{Job, Uses, Workflow, is_commit_sha, parse_version};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds `uses:` of actions and reusable workflows (in steps, in composite actions and at job
    /// level) that are not pinned to a full commit SHA.
    ///
    /// - A branch (`@main`), a ref that is not a version tag, or no ref at all: **high**. Every run
    ///   executes whatever was pushed last.
    /// - A version tag (`@v4`, `@v1.2.3`): **medium**. Tags are mutable too, but moving one is a
    ///   deliberate act of the maintainers (or of whoever steals their credentials), as in the
    ///   tj-actions/changed-files and reviewdog compromises of March 2025. A tag of GitHub's own
    ///   actions (`actions/*`, `github/*`) is **low**: moving it takes a compromise of the
    ///   platform that runs the job anyway.
    ///
    /// A ref that looks like an abbreviated SHA (`@a1b2c3d`) is reported as a branch: GitHub does
    /// not resolve short SHAs, it looks for a branch or tag of that name.
    ///
    /// Local actions (`./path`) and `docker://` images (see `unpinned-images`) are not reported,
    /// nor is a SHA pin without a `# v4.2.2` comment. Owners you trust to keep their tags can be
    /// listed in `chainproof.yml`: `allow-unpinned: [actions, my-org/*]`.
    ///
    /// A reusable workflow called by full name (`owner/repo/.github/workflows/x.yml@main`) when the
    /// linted repository has a reusable workflow at the same path may be this repository calling
    /// itself; chainproof cannot know the repository's name offline, so the message suggests the
    /// local form `./.github/workflows/x.yml`, which runs the version from the caller's commit.
    ///
    /// ## Why is this bad
    /// A tag or branch is a pointer the action's owner controls. Whoever can push to the action's
    /// repository can change the code your job runs, with your secrets and token, without any
    /// change in your repository. A full commit SHA is the only immutable reference.
    ///
    /// ## Example
    /// ```yaml
    /// steps:
    ///   - uses: actions/checkout@v4
    ///   - uses: some-org/deploy-action@main
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// steps:
    ///   - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    ///   - uses: some-org/deploy-action@8f4b7f84864484a7bf31766abe9204da3cbe65b3 # v1.4.0
    /// ```
    /// Dependabot and Renovate keep SHA pins and their version comments up to date.
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions
    /// - https://github.com/advisories/GHSA-mrrh-fwg8-r2c3
    UnpinnedUses {
        id: "unpinned-uses",
        title: "action or reusable workflow not pinned to a commit SHA",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

/// What a `uses:` ref is, when it is not a full commit SHA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    Missing,
    Branch,
    ShortSha,
    Tag,
}

/// Actions that publish versions as branches: `@1.75.0` there moves with every push to that branch.
const BRANCH_VERSIONED: [&str; 1] = ["dtolnay/rust-toolchain"];

/// A version-like tag: `v4`, `v1.2.3`, `1.2`, `v2.0.0-beta.1`.
fn is_version_tag(r: &str) -> bool {
    parse_version(r).is_some()
}

fn classify(git_ref: Option<&str>) -> Option<RefKind> {
    let Some(r) = git_ref.map(str::trim) else {
        return Some(RefKind::Missing);
    };
    if r.is_empty() {
        return Some(RefKind::Missing);
    }
    if is_commit_sha(r) {
        return None;
    }
    if is_version_tag(r) {
        return Some(RefKind::Tag);
    }
    if (7..40).contains(&r.len())
        && r.bytes().all(|b| b.is_ascii_hexdigit())
        && r.bytes().any(|b| b.is_ascii_alphabetic())
    {
        return Some(RefKind::ShortSha);
    }
    Some(RefKind::Branch)
}

impl UnpinnedUses {
    /// `caller` is the workflow of a job-level `uses:` (a reusable workflow call).
    fn check(
        &self,
        cx: &Cx<'_, '_>,
        node: &Node,
        caller: Option<&Workflow<'_>>,
        out: &mut Vec<Finding>,
    ) {
        let reusable = caller.is_some();
        let Some(text) = node.as_str() else { return };
        if text.contains("${{") {
            return;
        }
        let Some(Uses::Repo {
            owner,
            repo,
            path,
            git_ref,
        }) = Uses::parse(text)
        else {
            return;
        };
        let Some(mut kind) = classify(git_ref) else {
            return;
        };
        // Repositories whose version-like refs are branches, not tags (`dtolnay/rust-toolchain@1.75`).
        if kind == RefKind::Tag
            && BRANCH_VERSIONED
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&format!("{owner}/{repo}")))
        {
            kind = RefKind::Branch;
        }
        let name = match path {
            Some(p) => format!("{owner}/{repo}/{p}"),
            None => format!("{owner}/{repo}"),
        };
        if cx.config.allows_unpinned(&name) {
            return;
        }
        let what = if reusable {
            "reusable workflow"
        } else {
            "action"
        };
        let shown = text.trim();
        let r = git_ref.unwrap_or("").trim();
        // `owner/repo/.github/workflows/x.yml@main` where this repository has a reusable
        // `.github/workflows/x.yml`: probably this repository, called by its full name.
        let same_path = match (caller, path) {
            (Some(wf), Some(p)) => cx
                .repo
                .local_workflow_in(wf.repo, p)
                .filter(|w| w.is_reusable())
                .map(|_| p),
            _ => None,
        };
        let local_hint = same_path
            .map(|p| {
                format!(
                    " (or, if `{owner}/{repo}` is this repository, call `./{p}` to run the version from the caller's own commit)"
                )
            })
            .unwrap_or_default();
        let (severity, label, message) = match kind {
            RefKind::Missing => (
                Severity::High,
                "no ref".to_owned(),
                format!(
                    "{what} `{name}` has no `@ref`; pin it to the full commit SHA of a release"
                ),
            ),
            RefKind::Branch => (
                Severity::High,
                "branch, not a commit".to_owned(),
                format!(
                    "{what} `{shown}` follows the ref `{r}`, so every run executes whatever was last pushed there; pin a full commit SHA"
                ),
            ),
            RefKind::ShortSha => (
                Severity::High,
                "abbreviated SHA".to_owned(),
                format!(
                    "{what} `{shown}`: `{r}` looks like an abbreviated commit SHA, but GitHub only accepts full SHAs and resolves it as a branch or tag name; pin the full 40-character SHA"
                ),
            ),
            // GitHub's own actions: moving their tags takes a compromise of GitHub itself.
            RefKind::Tag if matches!(owner.to_ascii_lowercase().as_str(), "actions" | "github") => {
                (
                    Severity::Low,
                    "tag, not a commit".to_owned(),
                    format!(
                        "{what} `{shown}` is pinned to the tag `{r}`, which GitHub can move to different code; pin the commit SHA it points to and keep `# {r}` as a comment"
                    ),
                )
            }
            RefKind::Tag => (
                Severity::Medium,
                "tag, not a commit".to_owned(),
                format!(
                    "{what} `{shown}` is pinned to the tag `{r}`, which its maintainers (or whoever takes over their account) can move to different code; pin the commit SHA it points to and keep `# {r}` as a comment"
                ),
            ),
        };
        out.push(
            cx.finding(
                &Self::INFO,
                cx.locate(node, shown, 0),
                label,
                format!("{message}{local_hint}"),
            )
            .severity(severity),
        );
    }
}

impl Rule for UnpinnedUses {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    /// A reusable-workflow call is checked here, where its workflow is known (the default `job`
    /// hook would pass only the node).
    fn job(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, job: &Job<'_>, out: &mut Vec<Finding>) {
        if let Some(u) = job.uses() {
            self.check(cx, u, Some(wf), out);
        }
        for step in &job.steps {
            self.step(cx, Scope::Workflow { wf, job }, step, out);
        }
    }

    fn uses(&self, cx: &Cx<'_, '_>, uses: &Node, job_call: bool, out: &mut Vec<Finding>) {
        // Job-level calls are checked by `job`.
        if !job_call {
            self.check(cx, uses, None, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use chainproof_core::{Config, SourceFile, SourceMap};

    use super::{RefKind, UnpinnedUses, classify};
    use crate::github::Workflow;
    use crate::rules::{Cx, Repo, Rule};

    #[test]
    fn allow_unpinned_is_honoured() {
        let text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: my-org/tools/lint@main\n      - uses: other/tool@v1\n";
        let mut sources = SourceMap::default();
        let id = sources.add(SourceFile::new("w.yml", text));
        let docs = crate::yaml::parse(text, id).unwrap();
        let wf = Workflow::new(id, "w.yml".into(), &docs[0]);
        let config =
            Config::parse("chainproof.yml", "allow-unpinned: [actions, 'my-org/*']\n").unwrap();
        let repo = Repo {
            workflows: Vec::new(),
            actions: Vec::new(),
            pipelines: Vec::new(),
        };
        let cx = Cx {
            sources: &sources,
            config: &config,
            repo: &repo,
        };
        let mut out = Vec::new();
        UnpinnedUses.workflow(&cx, &wf, &mut out);
        let flagged: Vec<&str> = out.iter().map(|f| f.location.snippet.as_str()).collect();
        assert_eq!(flagged, vec!["other/tool@v1"]);
    }

    #[test]
    fn refs_are_classified() {
        assert_eq!(classify(None), Some(RefKind::Missing));
        assert_eq!(classify(Some("v4")), Some(RefKind::Tag));
        assert_eq!(classify(Some("v1.2.3")), Some(RefKind::Tag));
        assert_eq!(classify(Some("1.2")), Some(RefKind::Tag));
        assert_eq!(classify(Some("v2.0.0-beta.1")), Some(RefKind::Tag));
        assert_eq!(classify(Some("main")), Some(RefKind::Branch));
        assert_eq!(classify(Some("release/v1")), Some(RefKind::Branch));
        assert_eq!(classify(Some("latest")), Some(RefKind::Branch));
        assert_eq!(classify(Some("v")), Some(RefKind::Branch));
        assert_eq!(classify(Some("a1b2c3d")), Some(RefKind::ShortSha));
        assert_eq!(classify(Some("1234567")), Some(RefKind::Tag));
        assert_eq!(
            classify(Some("11bd71901bbe5b1630ceea73d27597364c9af683")),
            None
        );
    }
}
