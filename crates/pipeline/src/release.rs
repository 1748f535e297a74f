//! Release pipelines: what a workflow or GitLab pipeline publishes (packages, images, releases)
//! and whether it signs or attests it (Sigstore signatures, in-toto/SLSA attestations). The
//! `unsigned-release` rule and `chainproof check`'s "release signing" summary read [`releases`];
//! the command and step classifiers are public for other rules.
//!
//! Signing is a property of the whole pipeline: a sign job after the publish job covers it. A
//! GitHub workflow's signing includes the local reusable workflows it calls (and, for a reusable
//! workflow, its callers in the repository) and the local composite actions its steps use. What
//! chainproof cannot read (a remote reusable workflow, an included GitLab project or remote file,
//! an unresolvable include) is listed in [`Release::unknown`]: it may sign, so the rule stays quiet.

use chainproof_core::Span;

use crate::github::{Job, Step, Uses, Workflow, ref_version};
use crate::gitlab::{GlJob, IncludeKind, Pipeline};
use crate::rules::Cx;
use crate::script::{Command, Line, Word, basename, commands, gitlab_lines, parse};
use crate::yaml::Node;

/// How deep local composite actions and local reusable workflows are followed.
const MAX_DEPTH: usize = 4;

/// Something a pipeline publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// What publishes, for messages: `` `npm publish` ``, `` `softprops/action-gh-release` ``,
    /// `` `release:` (a GitLab release) ``.
    pub what: String,
    /// The step, command or `release:` key that publishes.
    pub span: Span,
}

/// Whether something signs (a Sigstore or cosign signature) or attests (an in-toto/SLSA
/// attestation, npm provenance, PyPI attestations) what the pipeline publishes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signing {
    pub signs: bool,
    pub attests: bool,
}

impl Signing {
    pub const SIGNS: Signing = Signing {
        signs: true,
        attests: false,
    };
    pub const ATTESTS: Signing = Signing {
        signs: false,
        attests: true,
    };

    /// Signs or attests.
    pub fn any(self) -> bool {
        self.signs || self.attests
    }

    fn or(self, other: Signing) -> Signing {
        Signing {
            signs: self.signs || other.signs,
            attests: self.attests || other.attests,
        }
    }
}

/// One pipeline file (a GitHub workflow or a GitLab pipeline/component) and what it publishes.
#[derive(Debug, Clone)]
pub struct Release {
    pub file: u32,
    /// The file as lint shows it (relative to the working directory).
    pub path: String,
    /// `github` or `gitlab`.
    pub platform: &'static str,
    /// Empty: the pipeline publishes nothing chainproof recognises.
    pub publishes: Vec<Publish>,
    pub signing: Signing,
    /// Parts chainproof could not read that may sign or attest (empty: it read everything).
    pub unknown: Vec<String>,
}

impl Release {
    pub fn publishes(&self) -> bool {
        !self.publishes.is_empty()
    }

    /// Publishes, nothing signs or attests, and chainproof read everything that could.
    pub fn unsigned(&self) -> bool {
        self.publishes() && !self.signing.any() && self.unknown.is_empty()
    }
}

/// What one script, step or job does.
#[derive(Debug, Default)]
struct Facts {
    publishes: Vec<Publish>,
    signing: Signing,
    unknown: Vec<String>,
}

impl Facts {
    fn add(&mut self, other: Facts) {
        self.publishes.extend(other.publishes);
        self.signing = self.signing.or(other.signing);
        for u in other.unknown {
            if !self.unknown.contains(&u) {
                self.unknown.push(u);
            }
        }
    }
}

/// Every workflow and GitLab pipeline of the run, in file order (those that publish nothing too).
pub fn releases(cx: &Cx<'_, '_>) -> Vec<Release> {
    let mut out: Vec<Release> = cx
        .repo
        .workflows
        .iter()
        .map(|wf| workflow(cx, wf))
        .chain(cx.repo.pipelines.iter().map(|p| gitlab(cx, p)))
        .collect();
    out.sort_by_key(|r| r.file);
    out
}

fn path_of(cx: &Cx<'_, '_>, file: u32) -> String {
    cx.sources
        .get(file)
        .map(|f| f.path.clone())
        .unwrap_or_default()
}

// --- commands ------------------------------------------------------------------------------------

fn args(argv: &[Word<'_>]) -> Vec<String> {
    argv.iter().map(Word::value).collect()
}

fn has_flag(args: &[String], names: &[&str]) -> bool {
    args.iter().any(|a| {
        names
            .iter()
            .any(|n| a == n || a.starts_with(&format!("{n}=")))
    })
}

fn truthy(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

/// Whether a container image destination is a registry (not an `oci-archive:`, `docker-archive:`,
/// `dir:`, `oci:` or `containers-storage:` transport of buildah/podman/skopeo).
fn registry_destination(dest: &str) -> bool {
    let local = [
        "oci-archive:",
        "docker-archive:",
        "dir:",
        "oci:",
        "containers-storage:",
        "docker-daemon:",
    ];
    !local.iter().any(|t| dest.starts_with(t))
}

/// The values of `-o`/`--output` (`-o V`, `-oV`, `--output V`, `--output=V`), each split at commas.
fn output_parts(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = if a == "-o" || a == "--output" {
            it.next().cloned()
        } else if let Some(v) = a.strip_prefix("--output=") {
            Some(v.to_owned())
        } else {
            a.strip_prefix("-o")
                .filter(|v| !v.is_empty() && !a.starts_with("--"))
                .map(str::to_owned)
        };
        if let Some(v) = value {
            out.extend(v.split(',').map(|p| p.trim().to_owned()));
        }
    }
    out
}

/// Whether GoReleaser's arguments skip publishing: `--snapshot`, `--skip-publish`, `--skip=publish`
/// or `--skip publish` (also in a comma list: `--skip=validate,publish`).
fn goreleaser_skips_publish(args: &[String]) -> bool {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let skipped = if a == "--snapshot" || a == "--skip-publish" {
            return true;
        } else if a == "--skip" {
            it.next().cloned().unwrap_or_default()
        } else if let Some(v) = a.strip_prefix("--skip=") {
            v.to_owned()
        } else {
            continue;
        };
        if skipped.split(',').any(|p| p.trim() == "publish") {
            return true;
        }
    }
    false
}

/// Whether GoReleaser's arguments run `release`: `release`, nothing, or only flags
/// (`goreleaser --clean` is `goreleaser release --clean`).
fn goreleaser_releases(args: &[String]) -> bool {
    match args.first() {
        None => true,
        Some(first) => first == "release" || first.starts_with('-'),
    }
}

/// The positional arguments after the program (those not starting with `-`).
fn positional(args: &[String]) -> impl Iterator<Item = &str> {
    args.iter()
        .skip(1)
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
}

/// What a command publishes (`npm publish`, `docker push`...), `None` when it publishes nothing
/// (dry runs, pushes to a local archive included). Dry-run flags are per tool: `-n` is
/// `--dry-run` for cargo but notes for `gh release create` and no-symbols for `dotnet nuget push`.
pub fn publishing_command(c: &Command<'_>) -> Option<String> {
    let a = args(c.argv());
    let prog = basename(a.first()?).to_owned();
    let sub = |i: usize| a.get(i).map(String::as_str).unwrap_or("");
    let flag = |names: &[&str]| has_flag(&a, names);
    let (what, dry) = match prog.as_str() {
        "npm" | "pnpm" if sub(1) == "publish" => (format!("{prog} publish"), flag(&["--dry-run"])),
        "yarn" if sub(1) == "publish" || sub(1) == "npm" && sub(2) == "publish" => {
            ("yarn publish".into(), flag(&["--dry-run"]))
        }
        "cargo" if sub(1) == "publish" => ("cargo publish".into(), flag(&["--dry-run", "-n"])),
        "twine" if sub(1) == "upload" => ("twine upload".into(), false),
        p if (p.starts_with("python") || p == "py")
            && sub(1) == "-m"
            && sub(2) == "twine"
            && sub(3) == "upload" =>
        {
            ("twine upload".into(), false)
        }
        "uv" | "poetry" if sub(1) == "publish" => (format!("{prog} publish"), flag(&["--dry-run"])),
        "gem" if sub(1) == "push" => ("gem push".into(), false),
        "docker" if sub(1) == "push" || sub(1) == "image" && sub(2) == "push" => {
            ("docker push".into(), false)
        }
        "docker" if sub(1) == "manifest" && sub(2) == "push" => {
            ("docker manifest push".into(), false)
        }
        "docker"
            if (sub(1) == "build" || sub(1) == "buildx" && sub(2) == "build")
                && (flag(&["--push"])
                    || output_parts(&a)
                        .iter()
                        .any(|p| p == "type=registry" || p == "push=true")) =>
        {
            ("docker build --push".into(), false)
        }
        "docker" if sub(1) == "buildx" && sub(2) == "bake" && flag(&["--push"]) => {
            ("docker buildx bake --push".into(), false)
        }
        "buildah" | "podman" if sub(1) == "push" || sub(1) == "manifest" && sub(2) == "push" => {
            let positional: Vec<&String> = a[1..]
                .iter()
                .filter(|x| !x.starts_with('-') && *x != "push" && *x != "manifest")
                .collect();
            if positional.last().is_some_and(|d| !registry_destination(d)) {
                return None;
            }
            (format!("{prog} push"), false)
        }
        // Kaniko's `/kaniko/executor --destination REF` pushes (not with `--no-push`).
        "executor" | "kaniko" if flag(&["--destination", "-d"]) => (
            "kaniko --destination".into(),
            a.iter().any(|x| x == "--no-push" || x == "--no-push=true"),
        ),
        "gh" if sub(1) == "release" && matches!(sub(2), "create" | "upload") => {
            (format!("gh release {}", sub(2)), false)
        }
        "glab" if sub(1) == "release" && matches!(sub(2), "create" | "upload") => {
            (format!("glab release {}", sub(2)), false)
        }
        "release-cli" if positional(&a).any(|x| x == "create") => {
            ("release-cli create".into(), false)
        }
        "goreleaser" if goreleaser_releases(&a[1..]) => {
            ("goreleaser release".into(), goreleaser_skips_publish(&a))
        }
        "mvn" | "mvnw" if positional(&a).any(|x| x == "deploy" || x.ends_with(":deploy")) => (
            "mvn deploy".into(),
            a.iter().any(|x| x == "-Dmaven.deploy.skip=true"),
        ),
        "gradle" | "gradlew"
            if positional(&a).any(|t| {
                let task = t.rsplit(':').next().unwrap_or(t);
                task.starts_with("publish") && !task.contains("MavenLocal")
            }) =>
        {
            ("gradle publish".into(), flag(&["--dry-run", "-m"]))
        }
        "semantic-release" => ("semantic-release".into(), flag(&["--dry-run", "-d"])),
        "npx"
            if positional(&a)
                .any(|p| p == "semantic-release" || p.starts_with("semantic-release@")) =>
        {
            ("semantic-release".into(), flag(&["--dry-run", "-d"]))
        }
        "ko" if matches!(sub(1), "build" | "publish" | "resolve" | "apply" | "create") => (
            format!("ko {}", sub(1)),
            flag(&["--local", "-L"]) || a.iter().any(|x| x == "--push=false"),
        ),
        "dotnet" if sub(1) == "nuget" && sub(2) == "push" => ("dotnet nuget push".into(), false),
        "nuget" if sub(1) == "push" => ("nuget push".into(), false),
        _ => return None,
    };
    (!dry).then_some(what)
}

/// Whether a command signs or attests: `chainproof sign|attest`, `cosign sign|sign-blob|attest|
/// attest-blob`, `sigstore sign` (sigstore-python), `npm publish --provenance` (also with
/// `NPM_CONFIG_PROVENANCE=true` before it), `twine upload --attestations`.
pub fn signing_command(c: &Command<'_>) -> Signing {
    let a = args(c.argv());
    let Some(prog) = a.first().map(|p| basename(p).to_owned()) else {
        return Signing::default();
    };
    let sub = |i: usize| a.get(i).map(String::as_str).unwrap_or("");
    let python_m = |module: &str| {
        (prog.starts_with("python") || prog == "py") && sub(1) == "-m" && sub(2) == module
    };
    match prog.as_str() {
        "chainproof" | "cosign" if matches!(sub(1), "sign" | "sign-blob") => Signing::SIGNS,
        "chainproof" | "cosign" if matches!(sub(1), "attest" | "attest-blob") => Signing::ATTESTS,
        "sigstore" if sub(1) == "sign" => Signing::SIGNS,
        _ if python_m("sigstore") && sub(3) == "sign" => Signing::SIGNS,
        "npm" | "pnpm" if sub(1) == "publish" => {
            let env = c.words.iter().filter_map(Word::assignment).any(|(n, v)| {
                n.eq_ignore_ascii_case("npm_config_provenance") && truthy(&v.value())
            });
            let flag = a
                .iter()
                .any(|x| x == "--provenance" || x == "--provenance=true");
            if env || flag {
                Signing::ATTESTS
            } else {
                Signing::default()
            }
        }
        "twine" if sub(1) == "upload" && has_flag(&a, &["--attestations"]) => Signing::ATTESTS,
        _ if python_m("twine") && sub(3) == "upload" && has_flag(&a, &["--attestations"]) => {
            Signing::ATTESTS
        }
        _ => Signing::default(),
    }
}

/// What one script (a `run:` or a GitLab script line) publishes and how it signs; `provenance`:
/// `NPM_CONFIG_PROVENANCE` is true in the environment, so `npm publish` attests.
fn script_facts(cx: &Cx<'_, '_>, line: Line<'_>, provenance: bool) -> Facts {
    let mut facts = Facts::default();
    let pipes = parse(line.text);
    for c in commands(&pipes) {
        let mut signing = signing_command(c);
        if let Some(what) = publishing_command(c) {
            if provenance && (what == "npm publish" || what == "pnpm publish") {
                signing = signing.or(Signing::ATTESTS);
            }
            facts.publishes.push(Publish {
                what: format!("`{what}`"),
                span: line.span(cx, c.start, c.end),
            });
        }
        facts.signing = facts.signing.or(signing);
    }
    facts
}

// --- GitHub --------------------------------------------------------------------------------------

fn env_true(node: Option<&Node>, name: &str) -> bool {
    node.and_then(|n| n.get("env"))
        .and_then(|e| {
            e.entries()
                .iter()
                .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
        })
        .and_then(|(_, v)| v.as_str())
        .is_some_and(truthy)
}

/// Whether `with: push:` of `docker/build-push-action` (or its `outputs:`) pushes: `true`, or an
/// expression (it pushes on some runs).
fn build_push_pushes(step: &Step<'_>) -> bool {
    let push = step
        .with("push")
        .and_then(Node::as_str)
        .is_some_and(|v| truthy(v) || v.contains("${{"));
    let outputs = step
        .with("outputs")
        .and_then(Node::as_str)
        .is_some_and(|o| o.contains("push=true") || o.contains("type=registry"));
    push || outputs
}

/// What a `uses:` step of a known action publishes and how it signs.
fn action_facts(cx: &Cx<'_, '_>, step: &Step<'_>, node: &Node, name: &str) -> Facts {
    let mut facts = Facts::default();
    let is = |a: &str| name == a || name.strip_prefix(a).is_some_and(|r| r.starts_with('/'));
    let publish = |what: &str| Publish {
        what: format!("`{what}`"),
        span: node.span,
    };
    let with_str = |k: &str| step.with(k).and_then(Node::as_str).unwrap_or("").trim();
    if is("pypa/gh-action-pypi-publish") {
        facts.publishes.push(publish("pypa/gh-action-pypi-publish"));
        // Since v1.11 the action attests every distribution by default (trusted publishing only:
        // with an API token as `password` it does not). `release/v1` follows the newest v1.
        let no_attestations = step
            .with("attestations")
            .and_then(Node::as_str)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
            || !with_str("password").is_empty();
        if !no_attestations {
            let git_ref = node
                .as_str()
                .and_then(|u| u.split_once('@'))
                .map(|(_, r)| r);
            let version = git_ref.and_then(|r| ref_version(r, cx.trailing_comment(node)));
            match (git_ref, version) {
                (Some(r), _) if r.trim() == "release/v1" => facts.signing = Signing::ATTESTS,
                (_, Some(v)) => {
                    let minor = v.parts.get(1).copied().unwrap_or(0);
                    if v.major() > 1 || v.major() == 1 && (minor >= 11 || v.parts.len() == 1) {
                        facts.signing = Signing::ATTESTS;
                    }
                }
                (_, None) => facts.unknown.push(format!(
                    "cannot tell which version of pypa/gh-action-pypi-publish `{}` is (v1.11 and later attest)",
                    node.as_str().unwrap_or("")
                )),
            }
        }
    } else if is("softprops/action-gh-release")
        || is("ncipollo/release-action")
        || is("actions/upload-release-asset")
    {
        facts.publishes.push(publish(name));
    } else if is("docker/build-push-action") {
        if build_push_pushes(step) {
            facts.publishes.push(publish("docker/build-push-action"));
        }
    } else if is("goreleaser/goreleaser-action") {
        let a: Vec<String> = with_str("args")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if goreleaser_releases(&a) && !goreleaser_skips_publish(&a) {
            facts
                .publishes
                .push(publish("goreleaser/goreleaser-action"));
        }
    } else if is("chainproof/chainproof/actions/sign") {
        // With `type`, the action attests instead of signing the files themselves.
        facts.signing = if with_str("type").is_empty() {
            Signing::SIGNS
        } else {
            Signing::ATTESTS
        };
    } else if is("actions/attest-build-provenance")
        || is("actions/attest-sbom")
        || is("actions/attest")
        || is("slsa-framework/slsa-github-generator")
    {
        facts.signing = Signing::ATTESTS;
    } else if is("sigstore/gh-action-sigstore-python") {
        facts.signing = Signing::SIGNS;
    } else if is("sigstore/cosign-installer") {
        // cosign is installed to sign: by a later command or by a tool's configuration
        // (GoReleaser's `signs:`, a Makefile), which chainproof does not read.
        facts.signing = Signing::SIGNS;
    }
    facts
}

/// What a step (of a workflow job or a composite action) publishes and how it signs, local
/// composite actions followed.
fn step_facts(
    cx: &Cx<'_, '_>,
    repo: u32,
    step: &Step<'_>,
    provenance: bool,
    depth: usize,
) -> Facts {
    let provenance = provenance || env_true(Some(step.node), "NPM_CONFIG_PROVENANCE");
    if let Some(line) = step.run().and_then(Line::of) {
        return script_facts(cx, line, provenance);
    }
    let Some(node) = step.uses() else {
        return Facts::default();
    };
    let Some(text) = node.as_str() else {
        return Facts::default();
    };
    match Uses::parse(text) {
        Some(Uses::Local(dir)) => match cx.repo.local_action_in(repo, dir) {
            Some(action) if depth < MAX_DEPTH => {
                let mut facts = Facts::default();
                for s in &action.steps {
                    facts.add(step_facts(cx, repo, s, provenance, depth + 1));
                }
                // Point at the step that uses the action, naming what it runs.
                for p in &mut facts.publishes {
                    *p = Publish {
                        what: format!("{} (in `./{dir}`)", p.what),
                        span: node.span,
                    };
                }
                facts
            }
            Some(_) => Facts::default(),
            None => Facts {
                unknown: vec![format!(
                    "the local action `./{dir}` is not among the files chainproof read"
                )],
                ..Facts::default()
            },
        },
        Some(Uses::Repo { .. }) => {
            let name = step.action_name().unwrap_or_default();
            action_facts(cx, step, node, &name)
        }
        _ => Facts::default(),
    }
}

/// A job's own steps.
fn job_facts(cx: &Cx<'_, '_>, wf: &Workflow<'_>, job: &Job<'_>, depth: usize) -> Facts {
    let provenance = env_true(Some(wf.root), "NPM_CONFIG_PROVENANCE")
        || env_true(Some(job.node), "NPM_CONFIG_PROVENANCE");
    let mut facts = Facts::default();
    for step in &job.steps {
        facts.add(step_facts(cx, wf.repo, step, provenance, depth));
    }
    facts
}

/// How the reusable workflows a workflow's jobs call sign; unknown for those chainproof cannot
/// read.
fn callee_signing(cx: &Cx<'_, '_>, wf: &Workflow<'_>, depth: usize) -> Facts {
    let mut facts = Facts::default();
    for job in &wf.jobs {
        let Some(text) = job.uses().and_then(Node::as_str) else {
            continue;
        };
        match Uses::parse(text) {
            Some(Uses::Local(path)) => match cx.repo.local_workflow_in(wf.repo, path) {
                Some(callee) if depth < MAX_DEPTH => {
                    let f = closure_signing(cx, callee, depth + 1);
                    facts.signing = facts.signing.or(f.signing);
                    facts.unknown.extend(f.unknown);
                }
                Some(_) => {}
                None => facts.unknown.push(format!(
                    "job `{}` calls `./{path}`, which is not among the files chainproof read",
                    job.id
                )),
            },
            Some(Uses::Repo { owner, repo, .. }) => {
                if format!("{owner}/{repo}")
                    .eq_ignore_ascii_case("slsa-framework/slsa-github-generator")
                {
                    facts.signing = facts.signing.or(Signing::ATTESTS);
                } else {
                    facts.unknown.push(format!(
                        "job `{}` calls the reusable workflow `{text}`, which chainproof does not read",
                        job.id
                    ));
                }
            }
            _ => {}
        }
    }
    facts
}

/// How a workflow and the local reusable workflows it calls sign.
fn closure_signing(cx: &Cx<'_, '_>, wf: &Workflow<'_>, depth: usize) -> Facts {
    let mut facts = Facts::default();
    for job in &wf.jobs {
        let f = job_facts(cx, wf, job, depth);
        facts.signing = facts.signing.or(f.signing);
        facts.unknown.extend(f.unknown);
    }
    let f = callee_signing(cx, wf, depth);
    facts.signing = facts.signing.or(f.signing);
    facts.unknown.extend(f.unknown);
    facts
}

/// A GitHub workflow: what its own jobs publish; how it, the local reusable workflows it calls
/// and (for a reusable workflow) its callers in the repository sign.
pub fn workflow(cx: &Cx<'_, '_>, wf: &Workflow<'_>) -> Release {
    let mut facts = Facts::default();
    for job in &wf.jobs {
        facts.add(job_facts(cx, wf, job, 0));
    }
    let callees = callee_signing(cx, wf, 0);
    facts.signing = facts.signing.or(callees.signing);
    let mut unknown = facts.unknown;
    for u in callees.unknown {
        if !unknown.contains(&u) {
            unknown.push(u);
        }
    }
    if wf.is_reusable() && !facts.signing.any() {
        for caller in cx.repo.workflows.iter().filter(|w| {
            w.repo == wf.repo
                && w.file != wf.file
                && w.jobs.iter().any(|j| {
                    j.uses()
                        .and_then(Node::as_str)
                        .and_then(Uses::parse)
                        .is_some_and(|u| u == Uses::Local(wf.path.as_str()))
                })
        }) {
            facts.signing = facts.signing.or(closure_signing(cx, caller, 1).signing);
        }
    }
    Release {
        file: wf.file,
        path: path_of(cx, wf.file),
        platform: "github",
        publishes: facts.publishes,
        signing: facts.signing,
        unknown,
    }
}

// --- GitLab --------------------------------------------------------------------------------------

/// A GitLab job: publishing commands in its scripts and a `release:` keyword; signing commands.
fn gitlab_job(cx: &Cx<'_, '_>, pipeline: &Pipeline, job: &GlJob) -> Facts {
    let provenance = job
        .variable(pipeline, "NPM_CONFIG_PROVENANCE")
        .and_then(Node::as_str)
        .is_some_and(truthy);
    let mut facts = Facts::default();
    for line in gitlab_lines(job) {
        facts.add(script_facts(cx, line, provenance));
    }
    if let Some((key, value)) = job.node.entry("release") {
        if !value.is_null() {
            facts.publishes.push(Publish {
                what: "`release:` (a GitLab release)".into(),
                span: key.span,
            });
        }
    }
    facts
}

/// How a component a pipeline includes signs; `None` when chainproof cannot tell. Only
/// chainproof's own `sign` component counts: `.../chainproof/chainproof/sign` (attesting with its
/// `type` input), or `$CI_SERVER_FQDN/$CI_PROJECT_PATH/sign` when the component's template
/// (`templates/sign.yml` or `templates/sign/template.yml`) is among the files read and signs.
/// Any other component, whatever its name (`sign`, `lint`, `verify`...), may or may not sign.
fn component_signing(
    cx: &Cx<'_, '_>,
    pipeline: &Pipeline,
    component: &str,
    include: &Node,
) -> Option<Signing> {
    let path = component.split('@').next().unwrap_or(component).trim();
    if path.ends_with("/chainproof/chainproof/sign") || path == "chainproof/chainproof/sign" {
        let ty = include
            .path(&["inputs", "type"])
            .and_then(Node::as_str)
            .unwrap_or("")
            .trim();
        return Some(if ty.is_empty() {
            Signing::SIGNS
        } else {
            Signing::ATTESTS
        });
    }
    let own = [
        "$CI_SERVER_FQDN/$CI_PROJECT_PATH/",
        "${CI_SERVER_FQDN}/${CI_PROJECT_PATH}/",
    ];
    let name = own.iter().find_map(|p| path.strip_prefix(p))?;
    if name != "sign" {
        return None;
    }
    let template = cx.repo.pipelines.iter().find(|p| {
        p.file != pipeline.file
            && p.spec.is_some()
            && (p.path.ends_with("templates/sign.yml")
                || p.path.ends_with("templates/sign/template.yml"))
    })?;
    let mut signing = Signing::default();
    for job in template.jobs.iter().filter(|j| !j.hidden) {
        signing = signing.or(gitlab_job(cx, template, job).signing);
    }
    signing.any().then_some(signing)
}

/// A GitLab pipeline or component: what its jobs publish and how it signs, chainproof's `sign`
/// component included counting as signing (or attesting, with its `type` input).
pub fn gitlab(cx: &Cx<'_, '_>, pipeline: &Pipeline) -> Release {
    let mut facts = Facts::default();
    for job in pipeline.jobs.iter().filter(|j| !j.hidden) {
        facts.add(gitlab_job(cx, pipeline, job));
    }
    for inc in &pipeline.includes {
        match &inc.kind {
            IncludeKind::Component(c) => match component_signing(cx, pipeline, c, &inc.node) {
                Some(s) => facts.signing = facts.signing.or(s),
                None => facts.unknown.push(format!(
                    "includes the component `{c}`, which chainproof does not read"
                )),
            },
            IncludeKind::Remote { url, .. } => facts
                .unknown
                .push(format!("includes `{url}`, which chainproof does not read")),
            IncludeKind::Project { project, .. } => facts.unknown.push(format!(
                "includes files of the project `{project}`, which chainproof does not read"
            )),
            IncludeKind::Local(_) | IncludeKind::Template(_) | IncludeKind::Unknown => {}
        }
    }
    for p in &pipeline.problems {
        if p.kind.is_unreadable_include() || p.kind.is_missing_definition() {
            facts.unknown.push(p.message.clone());
        }
    }
    Release {
        file: pipeline.file,
        path: path_of(cx, pipeline.file),
        platform: "gitlab",
        publishes: facts.publishes,
        signing: facts.signing,
        unknown: facts.unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(script: &str) -> (Vec<String>, Signing) {
        let pipes = parse(script);
        let mut published = Vec::new();
        let mut signing = Signing::default();
        for c in commands(&pipes) {
            published.extend(publishing_command(c));
            signing = signing.or(signing_command(c));
        }
        (published, signing)
    }

    #[test]
    fn publishing_commands() {
        for (script, what) in [
            ("npm publish --access public", "npm publish"),
            ("cargo publish -p foo", "cargo publish"),
            ("twine upload dist/*", "twine upload"),
            ("python3 -m twine upload dist/*", "twine upload"),
            ("uv publish", "uv publish"),
            ("poetry publish --build", "poetry publish"),
            ("gem push pkg/x-1.0.gem", "gem push"),
            ("sudo docker push ghcr.io/o/x:1", "docker push"),
            ("docker buildx build --push -t x .", "docker build --push"),
            ("buildah push x docker://ghcr.io/o/x:1", "buildah push"),
            ("podman push ghcr.io/o/x:1", "podman push"),
            ("gh release create v1 dist/*", "gh release create"),
            ("gh release upload v1 x.tgz --clobber", "gh release upload"),
            ("goreleaser release --clean", "goreleaser release"),
            (
                "for f in ./*; do\n  gh release upload v1 \"$f\"\ndone",
                "gh release upload",
            ),
            // `-n` is notes for gh and no-symbols for dotnet, not a dry run.
            (
                "gh release create v1 -n 'notes' dist/*",
                "gh release create",
            ),
            ("dotnet nuget push x.nupkg -n -k $K", "dotnet nuget push"),
            (
                "docker buildx build --output=type=registry -t x .",
                "docker build --push",
            ),
            (
                "docker buildx build -o type=registry,name=ghcr.io/o/x .",
                "docker build --push",
            ),
            (
                "docker build --output type=image,name=x,push=true .",
                "docker build --push",
            ),
            ("docker buildx bake --push", "docker buildx bake --push"),
            (
                "/kaniko/executor --context . --destination ghcr.io/o/x:1",
                "kaniko --destination",
            ),
            ("release-cli create --tag-name v1", "release-cli create"),
            ("glab release create v1 dist/*", "glab release create"),
            ("mvn -B clean deploy", "mvn deploy"),
            ("./mvnw deploy -s settings.xml", "mvn deploy"),
            ("./gradlew publish", "gradle publish"),
            (
                "gradle :lib:publishAllPublicationsToSonatypeRepository",
                "gradle publish",
            ),
            ("npx semantic-release", "semantic-release"),
            ("npx --yes semantic-release@24", "semantic-release"),
            ("semantic-release --branches main", "semantic-release"),
            ("ko build ./cmd/app", "ko build"),
            ("goreleaser --clean", "goreleaser release"),
            ("goreleaser", "goreleaser release"),
            ("goreleaser release --skip=validate", "goreleaser release"),
        ] {
            assert_eq!(classify(script).0, vec![what.to_owned()], "{script}");
        }
        for script in [
            "npm publish --dry-run",
            "cargo publish --dry-run",
            "buildah push localhost/image:1 oci-archive:image.tar",
            "docker build -t x .",
            "gh release view v1",
            "goreleaser release --snapshot --clean",
            "goreleaser release --skip=publish",
            "goreleaser --clean --skip publish",
            "goreleaser release --skip=validate,publish",
            "goreleaser release --skip-publish",
            "goreleaser build --clean",
            "cargo publish -n",
            "docker buildx build -o type=local,dest=out .",
            "docker buildx bake",
            "/kaniko/executor --destination x --no-push",
            "mvn package",
            "mvn deploy -Dmaven.deploy.skip=true",
            "./gradlew publishToMavenLocal",
            "./gradlew build",
            "npx semantic-release --dry-run",
            "ko build --push=false ./cmd/app",
            "ko build --local ./cmd/app",
            "npm pack",
            "echo npm publish",
        ] {
            assert!(classify(script).0.is_empty(), "{script}");
        }
    }

    #[test]
    fn signing_commands() {
        assert_eq!(
            classify("for f in ./*; do chainproof sign \"$f\"; done").1,
            Signing::SIGNS
        );
        assert_eq!(
            classify("chainproof attest --type cyclonedx --predicate s.json x").1,
            Signing::ATTESTS
        );
        assert_eq!(
            classify("cosign sign --yes ghcr.io/o/x@sha256:1").1,
            Signing::SIGNS
        );
        assert_eq!(
            classify("cosign attest-blob --predicate p x").1,
            Signing::ATTESTS
        );
        assert_eq!(classify("python -m sigstore sign dist/*").1, Signing::SIGNS);
        assert_eq!(classify("npm publish --provenance").1, Signing::ATTESTS);
        assert_eq!(
            classify("NPM_CONFIG_PROVENANCE=true npm publish").1,
            Signing::ATTESTS
        );
        assert_eq!(classify("npm publish").1, Signing::default());
        assert_eq!(classify("cosign verify x").1, Signing::default());
        assert_eq!(
            classify("chainproof verify x --bundle b").1,
            Signing::default()
        );
    }
}
