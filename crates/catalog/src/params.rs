//! The typed parameters of each template: one struct per stack and platform. Unknown keys are
//! rejected, the doc comments are the descriptions in the generated JSON Schemas
//! (`schemas/templates/<name>.json`), and every string that reaches YAML or a shell has a type
//! from [`crate::types`] that admits only inert characters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::types::{
    Branch, CommitSha, ComponentHost, EnvironmentName, GhcrImage, LintFailOn, Minutes, PinnedImage,
    ProjectPath, PythonTestRunner, RelPath, ReleaseVersion, ScanFailOn, Version,
};

/// Defaults shared by the structs (serde and schemars read them from these functions).
mod d {
    use super::*;

    pub fn default_branch() -> Branch {
        "main".into()
    }
    pub fn root() -> RelPath {
        ".".into()
    }
    pub fn fail_on() -> LintFailOn {
        LintFailOn::High
    }
    pub fn scan_fail_on() -> ScanFailOn {
        ScanFailOn::High
    }
    pub fn timeout() -> Minutes {
        Minutes::new(30)
    }
    pub fn yes() -> bool {
        true
    }
    pub fn component_host() -> ComponentHost {
        "$CI_SERVER_FQDN".into()
    }
    pub fn component_project() -> ProjectPath {
        "chainproof/chainproof".into()
    }
    pub fn rust_toolchain() -> Version {
        "1.90.0".into()
    }
    pub fn node_version() -> Version {
        "22".into()
    }
    pub fn python_version() -> Version {
        "3.12".into()
    }
    pub fn requirements() -> RelPath {
        "requirements.txt".into()
    }
    pub fn build_requirements() -> RelPath {
        "requirements-build.txt".into()
    }
    pub fn release_environment() -> EnvironmentName {
        "release".into()
    }
    pub fn test_runner() -> PythonTestRunner {
        PythonTestRunner::Pytest
    }
    pub fn go_version() -> Version {
        "1.24".into()
    }
    pub fn dockerfile() -> RelPath {
        "Dockerfile".into()
    }
}

/// Declares a template's parameter struct with the fields every template of its platform has,
/// followed by the stack's own fields.
macro_rules! github_params {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Commit of chainproof/chainproof whose actions (lint, sbom, scan, setup) the workflow
            /// uses, pinned by its full SHA.
            pub chainproof_sha: CommitSha,
            /// The chainproof release that commit is, written as the comment next to each pin
            /// (`# v0.4.0`) so Dependabot and Renovate can update it.
            pub chainproof_version: ReleaseVersion,
            /// Branch whose pushes run the workflow (pull requests into it too).
            #[serde(default = "d::default_branch")]
            pub default_branch: Branch,
            /// Exit with 1 when a `chainproof lint` finding is at or above this severity.
            #[serde(default = "d::fail_on")]
            pub fail_on: LintFailOn,
            /// Exit with 1 when a vulnerability found by `chainproof scan` is at or above this
            /// severity.
            #[serde(default = "d::scan_fail_on")]
            pub scan_fail_on: ScanFailOn,
            /// Upload the lint and scan SARIF reports to GitHub code scanning (the two jobs then get
            /// `security-events: write`; private repositories need GitHub Advanced Security).
            #[serde(default)]
            pub upload_sarif: bool,
            /// On a pushed `v*` tag, build the release files (or push the image) and sign them and
            /// attest their SBOM (Sigstore, keyless): the build runs in a job with `contents: read`
            /// only, and the job that signs alone gets `id-token: write` and runs no project code.
            #[serde(default = "d::yes")]
            pub sign_release: bool,
            /// Deployment environment of the jobs that sign, push or publish a release. Its
            /// protection rules (Settings > Environments: required reviewers, the tags allowed to
            /// deploy) decide which tag pushes may use the ID token and the write permissions; an
            /// environment that does not exist is created without rules on first use.
            #[serde(default = "d::release_environment")]
            pub release_environment: EnvironmentName,
            /// Minutes each job may run.
            #[serde(default = "d::timeout")]
            pub timeout_minutes: Minutes,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
}

macro_rules! gitlab_params {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Commit of the chainproof component project whose components (lint, sbom, scan) the
            /// pipeline includes, pinned by its full SHA.
            pub chainproof_sha: CommitSha,
            /// The chainproof release that commit is, written as the comment next to each include.
            pub chainproof_version: ReleaseVersion,
            /// GitLab instance serving the components: `$CI_SERVER_FQDN` (the one running the
            /// pipeline, with the component project mirrored there) or a host name.
            #[serde(default = "d::component_host")]
            pub component_host: ComponentHost,
            /// Path of the chainproof component project on that instance.
            #[serde(default = "d::component_project")]
            pub component_project: ProjectPath,
            /// Image that carries the chainproof binary on its PATH, pinned by digest: the
            /// components' jobs and the release signing job run in it.
            pub chainproof_image: PinnedImage,
            /// Default branch: its pipelines run, with merge-request and tag pipelines.
            #[serde(default = "d::default_branch")]
            pub default_branch: Branch,
            /// Exit with 1 when a `chainproof lint` finding is at or above this severity.
            #[serde(default = "d::fail_on")]
            pub fail_on: LintFailOn,
            /// Exit with 1 when a vulnerability found by `chainproof scan` is at or above this
            /// severity.
            #[serde(default = "d::scan_fail_on")]
            pub scan_fail_on: ScanFailOn,
            /// Sign the release artifacts and attest their SBOM (Sigstore, keyless, with a
            /// `SIGSTORE_ID_TOKEN` ID token) in pipelines of protected tags, after the tests
            /// passed; the signing job alone gets the ID token and runs no project code.
            #[serde(default = "d::yes")]
            pub sign_release: bool,
            /// Minutes each job may run.
            #[serde(default = "d::timeout")]
            pub timeout_minutes: Minutes,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
}

github_params!(
    /// Parameters of `github-rust`: a Cargo project on GitHub Actions.
    GithubRust {
        /// Directory of the Cargo project (or workspace), relative to the repository root.
        #[serde(default = "d::root")]
        working_directory: RelPath,
        /// Rust toolchain of the project's jobs, installed with rustup (preinstalled on
        /// ubuntu-24.04 runners) and selected with `RUSTUP_TOOLCHAIN`, so it wins over a
        /// rust-toolchain.toml. chainproof's own build uses the runner's stable toolchain.
        #[serde(default = "d::rust_toolchain")]
        rust_toolchain: Version,
        /// Publish the signed files as the GitHub release of the tag (`gh release`, in a
        /// `publish` job that alone has `contents: write`). false: they stay the `release`
        /// workflow artifact of the run (kept 90 days).
        #[serde(default = "d::yes")]
        publish_release: bool,
    }
);

github_params!(
    /// Parameters of `github-node`: an npm project on GitHub Actions.
    GithubNode {
        /// Directory holding package.json and package-lock.json, relative to the repository root.
        #[serde(default = "d::root")]
        working_directory: RelPath,
        /// Node.js version from the runner's tool cache (ubuntu-24.04 carries several majors;
        /// a version it lacks fails the job).
        #[serde(default = "d::node_version")]
        node_version: Version,
        /// Publish the signed files as the GitHub release of the tag (`gh release`, in a
        /// `publish` job that alone has `contents: write`). false: they stay the `release`
        /// workflow artifact of the run (kept 90 days).
        #[serde(default = "d::yes")]
        publish_release: bool,
    }
);

github_params!(
    /// Parameters of `github-python`: a pip project on GitHub Actions.
    GithubPython {
        /// Directory of the Python project, relative to the repository root.
        #[serde(default = "d::root")]
        working_directory: RelPath,
        /// Python version from the runner's tool cache (ubuntu-24.04 carries several; a version
        /// it lacks fails the job).
        #[serde(default = "d::python_version")]
        python_version: Version,
        /// Requirements file with hashes, installed with `pip install --require-hashes`
        /// (relative to the working directory).
        #[serde(default = "d::requirements")]
        requirements_file: RelPath,
        /// Requirements file with hashes of the build backend and its dependencies (setuptools,
        /// hatchling, ...; `pip-compile --generate-hashes`), installed with `--require-hashes`
        /// before `pip wheel --no-build-isolation`, so the wheel is built only by hash-checked
        /// packages (relative to the working directory).
        #[serde(default = "d::build_requirements")]
        build_requirements_file: RelPath,
        /// How the tests are run.
        #[serde(default = "d::test_runner")]
        test_runner: PythonTestRunner,
        /// Publish the signed files as the GitHub release of the tag (`gh release`, in a
        /// `publish` job that alone has `contents: write`). false: they stay the `release`
        /// workflow artifact of the run (kept 90 days).
        #[serde(default = "d::yes")]
        publish_release: bool,
    }
);

github_params!(
    /// Parameters of `github-go`: a Go module on GitHub Actions.
    GithubGo {
        /// Directory of the Go module, relative to the repository root.
        #[serde(default = "d::root")]
        working_directory: RelPath,
        /// Go version from the runner's tool cache (ubuntu-24.04 carries several; a version it
        /// lacks fails the job).
        #[serde(default = "d::go_version")]
        go_version: Version,
        /// Publish the signed files as the GitHub release of the tag (`gh release`, in a
        /// `publish` job that alone has `contents: write`). false: they stay the `release`
        /// workflow artifact of the run (kept 90 days).
        #[serde(default = "d::yes")]
        publish_release: bool,
    }
);

github_params!(
    /// Parameters of `github-container`: a container image built on GitHub Actions and pushed to
    /// the GitHub container registry on release tags.
    GithubContainer {
        /// Image repository the release is pushed to (`ghcr.io/<owner>/<name>`, lowercase).
        image_name: GhcrImage,
        /// Dockerfile, relative to the repository root.
        #[serde(default = "d::dockerfile")]
        dockerfile: RelPath,
        /// Build context, relative to the repository root.
        #[serde(default = "d::root")]
        context: RelPath,
    }
);

gitlab_params!(
    /// Parameters of `gitlab-rust`: a Cargo project on GitLab CI/CD.
    GitlabRust {
        /// Directory of the Cargo project (or workspace), relative to the repository root.
        #[serde(default = "d::root")]
        working_directory: RelPath,
        /// Image with the Rust toolchain (cargo, clippy, rustfmt), pinned by digest.
        rust_image: PinnedImage,
        /// Image with GitLab's release-cli, pinned by digest: when set, a `release-publish` job
        /// creates the GitLab release of the tag, linking the signed files. Unset: they stay the
        /// job artifacts of `release-sign` (kept 1 year).
        #[serde(default)]
        release_image: Option<PinnedImage>,
    }
);

gitlab_params!(
    /// Parameters of `gitlab-node`: an npm project on GitLab CI/CD.
    GitlabNode {
        /// Directory holding package.json and package-lock.json, relative to the repository root.
        #[serde(default = "d::root")]
        working_directory: RelPath,
        /// Image with Node.js and npm, pinned by digest.
        node_image: PinnedImage,
        /// Image with GitLab's release-cli, pinned by digest: when set, a `release-publish` job
        /// creates the GitLab release of the tag, linking the signed files. Unset: they stay the
        /// job artifacts of `release-sign` (kept 1 year).
        #[serde(default)]
        release_image: Option<PinnedImage>,
    }
);

gitlab_params!(
    /// Parameters of `gitlab-python`: a pip project on GitLab CI/CD.
    GitlabPython {
        /// Directory of the Python project, relative to the repository root.
        #[serde(default = "d::root")]
        working_directory: RelPath,
        /// Image with Python and pip, pinned by digest.
        python_image: PinnedImage,
        /// Requirements file with hashes, installed with `pip install --require-hashes`
        /// (relative to the working directory).
        #[serde(default = "d::requirements")]
        requirements_file: RelPath,
        /// Requirements file with hashes of the build backend and its dependencies (setuptools,
        /// hatchling, ...; `pip-compile --generate-hashes`), installed with `--require-hashes`
        /// before `pip wheel --no-build-isolation`, so the wheel is built only by hash-checked
        /// packages (relative to the working directory).
        #[serde(default = "d::build_requirements")]
        build_requirements_file: RelPath,
        /// How the tests are run.
        #[serde(default = "d::test_runner")]
        test_runner: PythonTestRunner,
        /// Image with GitLab's release-cli, pinned by digest: when set, a `release-publish` job
        /// creates the GitLab release of the tag, linking the signed files. Unset: they stay the
        /// job artifacts of `release-sign` (kept 1 year).
        #[serde(default)]
        release_image: Option<PinnedImage>,
    }
);

gitlab_params!(
    /// Parameters of `gitlab-go`: a Go module on GitLab CI/CD.
    GitlabGo {
        /// Directory of the Go module, relative to the repository root.
        #[serde(default = "d::root")]
        working_directory: RelPath,
        /// Image with the Go toolchain, pinned by digest.
        go_image: PinnedImage,
        /// Image with GitLab's release-cli, pinned by digest: when set, a `release-publish` job
        /// creates the GitLab release of the tag, linking the signed files. Unset: they stay the
        /// job artifacts of `release-sign` (kept 1 year).
        #[serde(default)]
        release_image: Option<PinnedImage>,
    }
);

gitlab_params!(
    /// Parameters of `gitlab-container`: a container image built with Buildah (no Docker daemon,
    /// no privileged service) and pushed to the project's container registry on protected tags.
    GitlabContainer {
        /// Image with Buildah, pinned by digest (the build runs unprivileged: vfs storage,
        /// chroot isolation).
        buildah_image: PinnedImage,
        /// Dockerfile, relative to the repository root.
        #[serde(default = "d::dockerfile")]
        dockerfile: RelPath,
        /// Build context, relative to the repository root.
        #[serde(default = "d::root")]
        context: RelPath,
    }
);
