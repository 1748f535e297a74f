use chainproof_core::Finding;

use super::{Cx, Rule, declare_rule};
use crate::github::Workflow;
use crate::gitlab::Pipeline;
use crate::release::{self, Release};

declare_rule! {
    /// ## What it does
    /// Finds pipelines that publish artifacts while no job of the pipeline signs or attests
    /// them. Publishing is `npm publish`, `cargo publish`, `twine upload`, `uv publish`,
    /// `poetry publish`, `gem push`, `docker push` (and `docker buildx build` with `--push` or a
    /// registry `--output`, `docker buildx bake --push`), kaniko's `--destination`,
    /// `buildah push`/`podman push` to a registry, `ko build`, `gh release create|upload`,
    /// `glab release create`, `release-cli create`, `mvn deploy`, `gradle publish`,
    /// `semantic-release` and `goreleaser` (unless `--snapshot` or `--skip=publish`) in a
    /// script, the actions `pypa/gh-action-pypi-publish`, `softprops/action-gh-release`,
    /// `ncipollo/release-action`, `actions/upload-release-asset`, `goreleaser/goreleaser-action`
    /// and `docker/build-push-action` with `push:`, and GitLab jobs with a `release:` keyword.
    /// Dry runs (`--dry-run`, and each tool's own short flag) publish nothing.
    ///
    /// Signing or attesting is `chainproof sign|attest` (and chainproof's `actions/sign` and
    /// chainproof's own `sign` GitLab component; another project's component named `sign` is
    /// not trusted), `cosign sign|attest` (or `sigstore/cosign-installer`, for tools
    /// whose configuration calls cosign), `sigstore sign` and `sigstore/gh-action-sigstore-python`,
    /// `actions/attest-build-provenance`, `actions/attest` and `actions/attest-sbom`, the
    /// `slsa-framework/slsa-github-generator` workflows, `npm publish --provenance` (or
    /// `NPM_CONFIG_PROVENANCE=true`), `twine upload --attestations`, and
    /// `pypa/gh-action-pypi-publish` v1.11 or later with trusted publishing (it attests by
    /// default). Any job of the pipeline counts, as do the local reusable workflows it calls, the
    /// workflows in the repository that call it, and local composite actions. A pipeline that
    /// calls a remote reusable workflow or includes a GitLab project, remote file or other
    /// component is not reported: chainproof cannot see whether that part signs
    /// (`chainproof check` says so). Signing done in a separate workflow that a `release` or
    /// `workflow_run` event triggers is not seen either: such a publishing workflow is reported
    /// (suppress it with `# chainproof: ignore[unsigned-release]`, naming the signing workflow).
    ///
    /// `actions/sign` without `version` builds chainproof from source in the signing job, so
    /// every build dependency runs with the job's OIDC token at hand: pin `version` (a
    /// checksummed release download) in production pipelines.
    ///
    /// ## Why is this bad
    /// Without a signature or provenance, users of the package, image or release file cannot
    /// check that it was built by this pipeline from this repository: a stolen registry token, a
    /// compromised maintainer machine or a tampered mirror publishes something that looks the
    /// same. Sigstore signatures and SLSA provenance tie each artifact to the workflow, commit
    /// and repository that built it, and `chainproof verify`, `cosign verify`, `npm audit
    /// signatures` and `gh attestation verify` check them.
    ///
    /// ## Example
    /// ```yaml
    /// jobs:
    ///   publish:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - uses: actions/checkout@v5
    ///       - run: npm ci && npm publish
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// jobs:
    ///   publish:
    ///     runs-on: ubuntu-latest
    ///     permissions:
    ///       contents: read
    ///       id-token: write # npm provenance is signed with the job's OIDC token
    ///     steps:
    ///       - uses: actions/checkout@v5
    ///       - run: npm ci && npm publish --provenance
    /// ```
    /// For release files and images, sign them in a job of their own (`chainproof sign`,
    /// `chainproof attest --type slsaprovenance1`, or `actions/attest-build-provenance`).
    ///
    /// ## References
    /// - https://slsa.dev/spec/v1.0/requirements
    /// - https://docs.sigstore.dev/
    /// - https://docs.npmjs.com/generating-provenance-statements
    /// - https://docs.pypi.org/attestations/
    /// - https://docs.github.com/en/actions/security-for-github-actions/using-artifact-attestations
    UnsignedRelease {
        id: "unsigned-release",
        title: "published artifacts are neither signed nor attested",
        severity: Medium,
        confidence: Medium,
        platforms: ["github", "gitlab"],
        fixable: false,
    }
}

fn report(cx: &Cx<'_, '_>, r: &Release, pipeline: &str, out: &mut Vec<Finding>) {
    if !r.unsigned() {
        return;
    }
    for p in &r.publishes {
        out.push(cx.finding(
            &UnsignedRelease::INFO,
            p.span,
            "published here",
            format!(
                "{} publishes, and no job of this {pipeline} signs or attests what it publishes: its users cannot check where it was built",
                p.what
            ),
        ));
    }
}

impl Rule for UnsignedRelease {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        report(cx, &release::workflow(cx, wf), "workflow", out);
    }

    fn gitlab(&self, cx: &Cx<'_, '_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        report(cx, &release::gitlab(cx, pipeline), "pipeline", out);
    }
}
