use chainproof_core::Finding;

use super::{Cx, Rule, declare_rule};
use crate::github::Uses;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Finds actions and reusable workflows from repositories that their owners archived, from a
    /// list bundled with chainproof (`actions/create-release`, `actions/upload-release-asset`,
    /// `actions/setup-ruby`, every `actions-rs/*` action, `gradle/gradle-build-action`, ...). The
    /// message names the maintained replacement when there is one.
    ///
    /// ## Why is this bad
    /// An archived repository gets no fixes: security bugs stay, its Node.js runtime goes out of
    /// support and the runner eventually refuses it. Archived accounts and repositories can also be
    /// deleted and their names registered again by someone else.
    ///
    /// ## Example
    /// ```yaml
    /// - uses: actions-rs/toolchain@v1
    ///   with:
    ///     toolchain: stable
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// - uses: dtolnay/rust-toolchain@<sha> # stable
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/repositories/archiving-a-github-repository/archiving-repositories
    /// - https://github.com/actions-rs/toolchain
    ArchivedUses {
        id: "archived-uses",
        title: "action from an archived repository",
        severity: Medium,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

/// Archived repositories (lower-case `owner/repo`) and what to use instead.
const ARCHIVED: &[(&str, &str)] = &[
    ("8398a7/action-slack", "slackapi/slack-github-action"),
    ("actions-rs/audit-check", "rustsec/audit-check"),
    ("actions-rs/cargo", "a `run: cargo ...` step"),
    ("actions-rs/clippy-check", "a `run: cargo clippy` step"),
    ("actions-rs/components-nightly", "dtolnay/rust-toolchain"),
    ("actions-rs/grcov", "a `run: grcov ...` step"),
    ("actions-rs/install", "taiki-e/install-action"),
    ("actions-rs/tarpaulin", "a `run: cargo tarpaulin` step"),
    ("actions-rs/toolchain", "dtolnay/rust-toolchain"),
    (
        "actions/create-release",
        "`gh release create` or softprops/action-gh-release",
    ),
    ("actions/setup-elixir", "erlef/setup-beam"),
    ("actions/setup-haskell", "haskell-actions/setup"),
    ("actions/setup-ruby", "ruby/setup-ruby"),
    (
        "actions/upload-release-asset",
        "`gh release upload` or softprops/action-gh-release",
    ),
    ("azure/container-scan", ""),
    (
        "azure/get-keyvault-secrets",
        "azure/login with `az keyvault secret show`",
    ),
    ("azure/k8s-actions", "azure/k8s-deploy"),
    ("azure/webapps-container-deploy", "azure/webapps-deploy"),
    ("cirrus-actions/rebase", ""),
    (
        "crazy-max/ghaction-docker-buildx",
        "docker/setup-buildx-action",
    ),
    ("delaguardo/setup-graalvm", "graalvm/setup-graalvm"),
    ("gradle/gradle-build-action", "gradle/actions/setup-gradle"),
    (
        "grafana/k6-action",
        "grafana/setup-k6-action and grafana/run-k6-action",
    ),
    ("haskell/actions", "haskell-actions/setup"),
    ("ilshidur/action-slack", "slackapi/slack-github-action"),
    (
        "jakejarvis/s3-sync-action",
        "`aws s3 sync` after aws-actions/configure-aws-credentials",
    ),
    (
        "marvinpinto/action-automatic-releases",
        "softprops/action-gh-release",
    ),
    ("marvinpinto/actions", "softprops/action-gh-release"),
    ("maxheld83/ghpages", "actions/deploy-pages"),
    (
        "mikepenz/gradle-dependency-submission",
        "gradle/actions/dependency-submission",
    ),
    ("paambaati/codeclimate-action", ""),
    ("repo-sync/pull-request", "`gh pr create`"),
    (
        "semgrep/semgrep-action",
        "the semgrep container with `semgrep ci`",
    ),
    (
        "sonarsource/sonarcloud-github-action",
        "SonarSource/sonarqube-scan-action",
    ),
    ("technote-space/get-diff-action", ""),
    ("tibdex/github-app-token", "actions/create-github-app-token"),
];

impl ArchivedUses {
    fn check(&self, cx: &Cx<'_, '_>, node: &Node, out: &mut Vec<Finding>) {
        let Some(text) = node.as_str() else { return };
        let Some(Uses::Repo { owner, repo, .. }) = Uses::parse(text) else {
            return;
        };
        let written = format!("{owner}/{repo}");
        let name = written.to_ascii_lowercase();
        let Some((_, instead)) = ARCHIVED.iter().find(|(a, _)| *a == name) else {
            return;
        };
        let advice = if instead.is_empty() {
            "replace it with a maintained alternative".to_owned()
        } else {
            format!("use {instead} instead")
        };
        out.push(cx.finding(
            &Self::INFO,
            cx.locate(node, &written, 0),
            "repository is archived",
            format!(
                "`{written}` is archived: it gets no security fixes or runtime updates; {advice}"
            ),
        ));
    }
}

impl Rule for ArchivedUses {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn uses(&self, cx: &Cx<'_, '_>, uses: &Node, _job_call: bool, out: &mut Vec<Finding>) {
        self.check(cx, uses, out);
    }
}

#[cfg(test)]
mod tests {
    use super::ARCHIVED;

    #[test]
    fn list_is_sorted_lower_case_and_unique() {
        let names: Vec<&str> = ARCHIVED.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert!(
            names
                .iter()
                .all(|n| *n == n.to_ascii_lowercase() && n.contains('/'))
        );
    }
}
