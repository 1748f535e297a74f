use chainproof_core::{Confidence, Finding, Severity};

use super::{Cx, Rule, declare_rule};
use crate::github::Uses;
use crate::suggest::transposition_distance;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds `uses:` whose `owner/repo` is one or two edits (an inserted, deleted, replaced or
    /// swapped character) away from a popular action, without being it: `action/checkout`,
    /// `actons/setup-node`, `docker/login-actoin`. The list of popular actions is bundled.
    ///
    /// When the owner is the popular action's own owner (`actions/chekout`) the severity is low:
    /// nobody else can create a repository there, so the typo makes the job fail rather than run
    /// someone else's code.
    ///
    /// ## Why is this bad
    /// Anyone can register a GitHub user or organisation named like a popular owner with a typo,
    /// publish a repository that behaves like the real action, and add code that steals the
    /// secrets and token of every workflow that mistypes the name.
    ///
    /// ## Example
    /// ```yaml
    /// - uses: action/checkout@v4
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    /// ```
    ///
    /// ## References
    /// - https://www.orcasecurity.io/blog/typosquatting-in-github-actions
    /// - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions
    TyposquatUses {
        id: "typosquat-uses",
        title: "action name resembles a popular action",
        severity: High,
        confidence: Medium,
        platforms: ["github"],
        fixable: false,
    }
}

/// Widely used actions (lower-case `owner/repo`).
const POPULAR: [&str; 56] = [
    "actions/attest-build-provenance",
    "actions/cache",
    "actions/checkout",
    "actions/configure-pages",
    "actions/create-github-app-token",
    "actions/dependency-review-action",
    "actions/deploy-pages",
    "actions/download-artifact",
    "actions/github-script",
    "actions/labeler",
    "actions/setup-dotnet",
    "actions/setup-go",
    "actions/setup-java",
    "actions/setup-node",
    "actions/setup-python",
    "actions/stale",
    "actions/upload-artifact",
    "actions/upload-pages-artifact",
    "astral-sh/setup-uv",
    "aquasecurity/trivy-action",
    "aws-actions/amazon-ecr-login",
    "aws-actions/configure-aws-credentials",
    "azure/login",
    "codecov/codecov-action",
    "denoland/setup-deno",
    "docker/build-push-action",
    "docker/login-action",
    "docker/metadata-action",
    "docker/setup-buildx-action",
    "docker/setup-qemu-action",
    "dorny/paths-filter",
    "dtolnay/rust-toolchain",
    "github/codeql-action",
    "golangci/golangci-lint-action",
    "google-github-actions/auth",
    "google-github-actions/setup-gcloud",
    "googleapis/release-please-action",
    "gradle/actions",
    "hashicorp/setup-terraform",
    "jamesives/github-pages-deploy-action",
    "ossf/scorecard-action",
    "oven-sh/setup-bun",
    "peaceiris/actions-gh-pages",
    "peter-evans/create-pull-request",
    "pnpm/action-setup",
    "pypa/gh-action-pypi-publish",
    "release-drafter/release-drafter",
    "ruby/setup-ruby",
    "shivammathur/setup-php",
    "sigstore/cosign-installer",
    "slackapi/slack-github-action",
    "softprops/action-gh-release",
    "stefanzweifel/git-auto-commit-action",
    "step-security/harden-runner",
    "subosito/flutter-action",
    "swatinem/rust-cache",
];

/// The popular action `name` (lower-case `owner/repo`) imitates, with the edit distance.
fn lookalike(name: &str) -> Option<(&'static str, usize)> {
    if POPULAR.contains(&name) {
        return None;
    }
    POPULAR
        .iter()
        .map(|p| (*p, transposition_distance(name, p, 2)))
        .filter(|(p, d)| *d == 1 || (*d == 2 && p.len() >= 12))
        .min_by_key(|(_, d)| *d)
}

impl TyposquatUses {
    fn check(&self, cx: &Cx<'_, '_>, node: &Node, out: &mut Vec<Finding>) {
        let Some(text) = node.as_str() else { return };
        let Some(Uses::Repo { owner, repo, .. }) = Uses::parse(text) else {
            return;
        };
        let written = format!("{owner}/{repo}");
        let name = written.to_ascii_lowercase();
        let Some((popular, _)) = lookalike(&name) else {
            return;
        };
        let same_owner = popular.split('/').next() == Some(&*owner.to_ascii_lowercase());
        let span = cx.locate(node, &written, 0);
        let f = if same_owner {
            cx.finding(
                &Self::INFO,
                span,
                format!("did you mean `{popular}`?"),
                format!(
                    "`{written}` looks like a typo of `{popular}`; only the `{owner}` account can create it, so the job fails instead of running foreign code"
                ),
            )
            .severity(Severity::Low)
            .confidence(Confidence::High)
        } else {
            cx.finding(
                &Self::INFO,
                span,
                format!("resembles `{popular}`"),
                format!(
                    "`{written}` differs from the popular action `{popular}` by a typo; a look-alike repository runs its own code with this job's secrets and token"
                ),
            )
        };
        out.push(f);
    }
}

impl Rule for TyposquatUses {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn uses(&self, cx: &Cx<'_, '_>, uses: &Node, _job_call: bool, out: &mut Vec<Finding>) {
        self.check(cx, uses, out);
    }
}

#[cfg(test)]
mod tests {
    use super::{POPULAR, lookalike};
    use crate::suggest::transposition_distance;

    #[test]
    fn lookalikes() {
        assert_eq!(
            lookalike("action/checkout").map(|l| l.0),
            Some("actions/checkout")
        );
        assert_eq!(
            lookalike("actons/setup-node").map(|l| l.0),
            Some("actions/setup-node")
        );
        assert_eq!(
            lookalike("docker/login-actoin").map(|l| l.0),
            Some("docker/login-action")
        );
        // Real actions near popular ones are not look-alikes.
        for real in [
            "actions/setup-go",
            "actions/cache",
            "anchore/scan-action",
            "anchore/sbom-action",
            "azure/setup-helm",
            "azure/setup-kubectl",
            "azure/webapps-deploy",
            "docker/bake-action",
            "aquasecurity/setup-trivy",
            "actions/attest-sbom",
            "actions/jekyll-build-pages",
            "actions/add-to-project",
            "actions/setup-haskell",
            "peaceiris/actions-hugo",
            "peter-evans/create-or-update-comment",
            "peter-evans/find-comment",
            "gradle/gradle-build-action",
            "gradle/wrapper-validation-action",
            "super-linter/super-linter",
            "haskell-actions/setup",
            "erlef/setup-beam",
            "mlugg/setup-zig",
            "goto-bus-stop/setup-zig",
            "taiki-e/install-action",
            "orgname/checkout",
        ] {
            assert_eq!(lookalike(real), None, "{real}");
        }
    }

    #[test]
    fn popular_actions_are_far_apart() {
        for (i, a) in POPULAR.iter().enumerate() {
            assert_eq!(*a, a.to_ascii_lowercase());
            for b in &POPULAR[i + 1..] {
                assert!(
                    transposition_distance(a, b, 2) > 2,
                    "{a} and {b} are too close"
                );
            }
        }
    }
}
