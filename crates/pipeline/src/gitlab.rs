//! The GitLab CI model: `.gitlab-ci.yml` with `include:local` files merged, `!reference` tags,
//! `extends` and `default:` resolved into effective jobs. Merged nodes keep the spans of the
//! file and line they came from, so a finding on an inherited `image:` points at the template.

use std::collections::HashMap;

use chainproof_core::Span;

use crate::lint::glob_regex;
use crate::yaml::{Kind, Node};

/// Top-level keys that are not jobs.
pub const GLOBAL_KEYWORDS: [&str; 12] = [
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
    "types",
];

/// The keys GitLab accepts in `default:`, as the CI/CD YAML reference documents them (its
/// `default` section, plus `identity`, which its own section and GitLab's CI schema allow in
/// `default:`). Jobs that do not set a key inherit it (see [`inherited_default`]).
pub const DEFAULT_KEYWORDS: [&str; 13] = [
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "identity",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
];

/// Whether jobs inherit `key` from `default:` (or from its deprecated global form): every
/// [`DEFAULT_KEYWORDS`] entry but `timeout`, which GitLab accepts there but ignores
/// (gitlab-org/gitlab#213634).
pub fn inherited_default(key: &str) -> bool {
    DEFAULT_KEYWORDS.contains(&key) && key != "timeout"
}

/// GitLab stops following `include` after this many files, and `extends` after this depth.
pub const MAX_INCLUDES: usize = 150;
pub const MAX_EXTENDS_DEPTH: usize = 11;

/// What an `include:` entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncludeKind {
    Local(String),
    Remote {
        url: String,
        integrity: bool,
    },
    Project {
        project: String,
        git_ref: Option<String>,
        has_ref: bool,
    },
    Template(String),
    Component(String),
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Include {
    /// The include entry (a scalar or a mapping).
    pub node: Node,
    pub kind: IncludeKind,
}

/// A job after `extends`, `!reference` and `default:` were applied.
#[derive(Debug, Clone)]
pub struct GlJob {
    pub name: String,
    /// The job's key where it is defined.
    pub key: Node,
    pub node: Node,
    /// Hidden jobs (`.name`) are templates: they never run.
    pub hidden: bool,
}

/// Something the model could not resolve (missing include, unknown `extends` target...).
#[derive(Debug, Clone)]
pub struct Problem {
    pub span: Span,
    pub kind: ProblemKind,
    /// The sentence for users (rules report it as is).
    pub message: String,
}

/// What kind of thing could not be resolved, so rules need not read messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// `include: local` names no existing file (or a glob matches none).
    IncludeNotFound,
    /// An included file could not be read or parsed.
    IncludeUnreadable,
    /// More than [`MAX_INCLUDES`] files.
    TooManyIncludes,
    /// `!reference [a, b]` names nothing.
    UnknownReference,
    /// `!reference` tags nested deeper than GitLab follows.
    ReferenceTooDeep,
    /// A job `extends` a job or template that is not defined; `target` is its name.
    UnknownExtends { target: String },
    /// `extends` chains that loop.
    ExtendsCycle,
    /// `extends` deeper than [`MAX_EXTENDS_DEPTH`].
    ExtendsTooDeep,
}

impl ProblemKind {
    /// Something named is not defined in the files chainproof read (it may be in an include it
    /// cannot read).
    pub fn is_missing_definition(&self) -> bool {
        matches!(
            self,
            ProblemKind::UnknownReference | ProblemKind::UnknownExtends { .. }
        )
    }

    /// An included file is missing or unreadable, so anything may be defined there.
    pub fn is_unreadable_include(&self) -> bool {
        matches!(
            self,
            ProblemKind::IncludeNotFound | ProblemKind::IncludeUnreadable
        )
    }
}

/// A whole GitLab pipeline (or a component template).
#[derive(Debug)]
pub struct Pipeline {
    pub file: u32,
    pub path: String,
    /// Top-level configuration after includes and `!reference` tags.
    pub config: Node,
    pub jobs: Vec<GlJob>,
    pub includes: Vec<Include>,
    /// The `spec:` header of a CI/CD component template.
    pub spec: Option<Node>,
    pub problems: Vec<Problem>,
    /// Files that were merged in (paths relative to the repository root).
    pub included_files: Vec<String>,
}

/// Reads files named by `include: local`.
pub trait IncludeLoader {
    /// Parse a repository-relative file; returns its file id and first document (or the body after a `spec:` header).
    fn load(&mut self, path: &str) -> Result<(u32, Node), String>;
    /// Repository-relative files matching a glob (`configs/*.yml`, `**`).
    fn glob(&mut self, pattern: &str) -> Vec<String>;
}

/// Split a component template into its `spec:` header and body.
pub fn split_spec(docs: &[Node]) -> (Option<&Node>, Option<&Node>) {
    match docs {
        [header, body, ..] if header.get("spec").is_some() => (header.get("spec"), Some(body)),
        [only] if only.get("spec").is_some() && only.entries().len() == 1 => {
            (only.get("spec"), None)
        }
        [first, ..] => (None, Some(first)),
        [] => (None, None),
    }
}

impl IncludeKind {
    pub fn of(entry: &Node) -> IncludeKind {
        if let Some(s) = entry.as_str() {
            return if s.contains("://") {
                IncludeKind::Remote {
                    url: s.to_owned(),
                    integrity: false,
                }
            } else {
                IncludeKind::Local(s.to_owned())
            };
        }
        let s = |k: &str| entry.get(k).and_then(Node::as_str).map(str::to_owned);
        if let Some(l) = s("local") {
            IncludeKind::Local(l)
        } else if let Some(url) = s("remote") {
            IncludeKind::Remote {
                url,
                integrity: entry.get("integrity").is_some(),
            }
        } else if let Some(project) = s("project") {
            IncludeKind::Project {
                project,
                git_ref: s("ref"),
                has_ref: entry.get("ref").is_some(),
            }
        } else if let Some(t) = s("template") {
            IncludeKind::Template(t)
        } else if let Some(c) = s("component") {
            IncludeKind::Component(c)
        } else {
            IncludeKind::Unknown
        }
    }
}

fn include_entries(config: &Node) -> Vec<&Node> {
    match config.get("include") {
        Some(n) if n.is_seq() => n.items().iter().collect(),
        Some(n) if !n.is_null() => vec![n],
        _ => Vec::new(),
    }
}

/// GitLab's deep merge: mappings merge key by key, anything else is replaced by `over`.
pub fn deep_merge(base: &Node, over: &Node) -> Node {
    match (&base.kind, &over.kind) {
        (Kind::Map(b), Kind::Map(o)) => {
            let mut entries: Vec<(Node, Node)> = b.clone();
            for (k, v) in o {
                match entries.iter_mut().find(|(bk, _)| bk.as_str() == k.as_str()) {
                    Some(slot) => {
                        slot.1 = deep_merge(&slot.1, v);
                        slot.0 = k.clone();
                    }
                    None => entries.push((k.clone(), v.clone())),
                }
            }
            Node {
                kind: Kind::Map(entries),
                span: over.span,
                tag: over.tag.clone(),
            }
        }
        _ => over.clone(),
    }
}

fn without_key(node: &Node, key: &str) -> Node {
    match &node.kind {
        Kind::Map(m) => Node {
            kind: Kind::Map(
                m.iter()
                    .filter(|(k, _)| k.as_str() != Some(key))
                    .cloned()
                    .collect(),
            ),
            span: node.span,
            tag: node.tag.clone(),
        },
        _ => node.clone(),
    }
}

/// Replace `!reference [a, b]` tags by what they name; in sequences, referenced sequences are spliced.
fn resolve_references(
    node: &Node,
    config: &Node,
    depth: usize,
    problems: &mut Vec<Problem>,
) -> Node {
    if node.tag.as_deref() == Some("!reference") {
        let path: Vec<&str> = node.items().iter().filter_map(Node::as_str).collect();
        let target = path.iter().try_fold(config, |n, k| n.get(k));
        return match target {
            Some(t) if depth < 10 => resolve_references(t, config, depth + 1, problems),
            Some(_) => {
                problems.push(Problem {
                    span: node.span,
                    kind: ProblemKind::ReferenceTooDeep,
                    message: "`!reference` nested more than 10 levels".into(),
                });
                node.clone()
            }
            None => {
                problems.push(Problem {
                    span: node.span,
                    kind: ProblemKind::UnknownReference,
                    message: format!(
                        "`!reference [{}]` names nothing in this pipeline",
                        path.join(", ")
                    ),
                });
                node.clone()
            }
        };
    }
    match &node.kind {
        Kind::Scalar(..) => node.clone(),
        Kind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                let r = resolve_references(i, config, depth, problems);
                if i.tag.as_deref() == Some("!reference") && r.is_seq() {
                    out.extend(r.items().iter().cloned());
                } else {
                    out.push(r);
                }
            }
            Node {
                kind: Kind::Seq(out),
                span: node.span,
                tag: node.tag.clone(),
            }
        }
        Kind::Map(m) => Node {
            kind: Kind::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), resolve_references(v, config, depth, problems)))
                    .collect(),
            ),
            span: node.span,
            tag: node.tag.clone(),
        },
    }
}

fn glob_like(p: &str) -> bool {
    p.contains('*')
}

impl Pipeline {
    /// Build the pipeline whose root document is `root` (already parsed from `path`).
    pub fn build(file: u32, path: &str, docs: &[Node], loader: &mut dyn IncludeLoader) -> Pipeline {
        let (spec, body) = split_spec(docs);
        let root = body
            .cloned()
            .unwrap_or_else(|| Node::scalar("", Span::new(file, 0, 0)));
        let mut problems = Vec::new();
        let mut includes = Vec::new();
        let mut included_files = Vec::new();

        // Breadth-first over local includes; each included file's top level is merged under the
        // including file (the including file wins).
        let mut merged_includes: Option<Node> = None;
        let mut queue: Vec<Node> = include_entries(&root).into_iter().cloned().collect();
        let mut seen = vec![path.trim_start_matches('/').to_owned()];
        while let Some(entry) = (!queue.is_empty()).then(|| queue.remove(0)) {
            let kind = IncludeKind::of(&entry);
            includes.push(Include {
                node: entry.clone(),
                kind: kind.clone(),
            });
            let IncludeKind::Local(local) = kind else {
                continue;
            };
            let local = local.trim_start_matches('/').to_owned();
            let files = if glob_like(&local) {
                loader.glob(&local)
            } else {
                vec![local.clone()]
            };
            if files.is_empty() {
                problems.push(Problem {
                    span: entry.span,
                    kind: ProblemKind::IncludeNotFound,
                    message: format!("`include: local` matches no file: {local}"),
                });
            }
            for f in files {
                if seen.contains(&f) {
                    continue;
                }
                if seen.len() >= MAX_INCLUDES {
                    problems.push(Problem {
                        span: entry.span,
                        kind: ProblemKind::TooManyIncludes,
                        message: format!("more than {MAX_INCLUDES} included files"),
                    });
                    break;
                }
                seen.push(f.clone());
                match loader.load(&f) {
                    Ok((_, doc)) => {
                        queue.extend(include_entries(&doc).into_iter().cloned());
                        let doc = without_key(&doc, "include");
                        merged_includes = Some(match merged_includes {
                            Some(m) => deep_merge(&m, &doc),
                            None => doc,
                        });
                        included_files.push(f);
                    }
                    Err(e) => problems.push(Problem {
                        span: entry.span,
                        kind: ProblemKind::IncludeUnreadable,
                        message: format!("cannot include `{f}`: {e}"),
                    }),
                }
            }
        }
        let raw = match merged_includes {
            Some(m) if root.is_map() => deep_merge(&m, &root),
            Some(m) => m,
            None => root,
        };
        let config = resolve_references(&raw, &raw, 0, &mut problems);
        let jobs = build_jobs(&config, &mut problems);
        // One report per problem: templates inherited by many jobs would repeat theirs.
        let mut seen = std::collections::HashSet::new();
        problems
            .retain(|p| seen.insert((p.span.file, p.span.start, p.span.end, p.message.clone())));
        Pipeline {
            file,
            path: path.to_owned(),
            config,
            jobs,
            includes,
            spec: spec.cloned(),
            problems,
            included_files,
        }
    }

    /// Global `variables:` value of `name`.
    pub fn variable(&self, name: &str) -> Option<&Node> {
        self.config
            .get("variables")
            .and_then(|v| v.get(name))
            .map(|v| v.get("value").unwrap_or(v))
    }

    /// Whether this file is a CI/CD component template (has a `spec:` header).
    pub fn is_component(&self) -> bool {
        self.spec.is_some()
    }

    /// Whether the pipeline pulls in configuration chainproof cannot read (remote, project,
    /// template or component includes: jobs and stages may be defined there).
    pub fn has_external_includes(&self) -> bool {
        self.includes
            .iter()
            .any(|i| !matches!(i.kind, IncludeKind::Local(_)))
    }
}

fn build_jobs(config: &Node, problems: &mut Vec<Problem>) -> Vec<GlJob> {
    let mut defaults: Vec<(Node, Node)> = Vec::new();
    for k in [
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
    ] {
        if let Some((kn, v)) = config.entry(k) {
            defaults.push((kn.clone(), v.clone()));
        }
    }
    if let Some(d) = config.get("default") {
        for (k, v) in d.entries() {
            defaults.retain(|(dk, _)| dk.as_str() != k.as_str());
            defaults.push((k.clone(), v.clone()));
        }
    }
    let mut extends = Extends {
        config,
        resolved: HashMap::new(),
    };
    let mut jobs = Vec::new();
    for (k, v) in config.entries() {
        let Some(name) = k.as_str() else { continue };
        if GLOBAL_KEYWORDS.contains(&name) || !v.is_map() {
            continue;
        }
        let mut node = extends.resolve(name, v, &mut vec![name.to_owned()], problems);
        let inherit = node.path(&["inherit", "default"]).cloned();
        let inherits = |key: &str| match &inherit {
            None => true,
            Some(i) if i.as_bool().is_some() => i.as_bool() == Some(true),
            Some(i) => i.items().iter().any(|x| x.as_str() == Some(key)),
        };
        if let Kind::Map(entries) = &mut node.kind {
            for (dk, dv) in &defaults {
                let Some(key) = dk.as_str() else { continue };
                if inherited_default(key)
                    && inherits(key)
                    && !entries.iter().any(|(ek, _)| ek.as_str() == Some(key))
                {
                    entries.push((dk.clone(), dv.clone()));
                }
            }
        }
        jobs.push(GlJob {
            name: name.to_owned(),
            key: k.clone(),
            node,
            hidden: name.starts_with('.'),
        });
    }
    jobs
}

/// Resolves `extends` chains, each job once: a diamond of templates would otherwise be walked
/// once per path (exponential in the depth).
struct Extends<'c> {
    config: &'c Node,
    resolved: HashMap<String, Node>,
}

impl Extends<'_> {
    fn resolve(
        &mut self,
        name: &str,
        job: &Node,
        chain: &mut Vec<String>,
        problems: &mut Vec<Problem>,
    ) -> Node {
        let Some(ext) = job.get("extends") else {
            return job.clone();
        };
        let mut base: Option<Node> = None;
        for parent in ext.scalars() {
            let Some(pname) = parent.as_str() else {
                continue;
            };
            if chain.iter().any(|c| c == pname) {
                problems.push(Problem {
                    span: parent.span,
                    kind: ProblemKind::ExtendsCycle,
                    message: format!("`extends` cycle: {} -> {pname}", chain.join(" -> ")),
                });
                continue;
            }
            if chain.len() > MAX_EXTENDS_DEPTH {
                problems.push(Problem {
                    span: parent.span,
                    kind: ProblemKind::ExtendsTooDeep,
                    message: format!("`extends` deeper than {MAX_EXTENDS_DEPTH} levels"),
                });
                continue;
            }
            let Some(pnode) = self.config.get(pname) else {
                problems.push(Problem {
                    span: parent.span,
                    kind: ProblemKind::UnknownExtends {
                        target: pname.to_owned(),
                    },
                    message: format!("job `{name}` extends `{pname}`, which is not defined"),
                });
                continue;
            };
            let resolved = match self.resolved.get(pname) {
                Some(r) => r.clone(),
                None => {
                    chain.push(pname.to_owned());
                    let r = self.resolve(pname, pnode, chain, problems);
                    chain.pop();
                    self.resolved.insert(pname.to_owned(), r.clone());
                    r
                }
            };
            base = Some(match base {
                Some(b) => deep_merge(&b, &resolved),
                None => resolved,
            });
        }
        let own = without_key(job, "extends");
        match base {
            Some(b) => without_key(&deep_merge(&b, &own), "extends"),
            None => own,
        }
    }
}

impl GlJob {
    /// The value of variable `name` in this job: its own `variables:` entry, else the global one
    /// (the `value:` of the `{value: ..., description: ...}` form).
    pub fn variable<'a>(&'a self, pipeline: &'a Pipeline, name: &str) -> Option<&'a Node> {
        self.node
            .get("variables")
            .and_then(|v| v.get(name))
            .map(|v| v.get("value").unwrap_or(v))
            .or_else(|| pipeline.variable(name))
    }

    /// Script lines of `before_script`, `script` and `after_script` (nested arrays flattened).
    pub fn script_lines(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        for key in ["before_script", "script", "after_script"] {
            if let Some(s) = self.node.get(key) {
                flatten_scripts(s, &mut out, 0);
            }
        }
        out
    }

    /// Whether the job can run in a merge-request pipeline (MR code, possibly from a fork):
    /// `workflow:rules` and the job's `rules`/`only`/`except` evaluated first-match, as GitLab does.
    pub fn runs_on_merge_requests(&self, pipeline: &Pipeline) -> bool {
        crate::gitlab_rules::merge_request_reach(self, pipeline).is_some()
    }
}

/// Whether `name` names job `base` of a `parallel:` job (`build 1/3`, `build: [linux, amd64]`).
pub fn parallel_instance_of(name: &str) -> Option<&str> {
    if let Some((base, rest)) = name.rsplit_once(' ') {
        if rest.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }) {
            return Some(base);
        }
    }
    if let Some((base, rest)) = name.split_once(": [") {
        if rest.ends_with(']') {
            return Some(base);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Artifacts.

/// Turn a written path into a project-relative one; `None` when it is outside the project
/// directory (absolute, `~`, `$HOME`) or not a plain path.
pub fn project_relative(path: &str) -> Option<String> {
    let p = path.trim().trim_matches(|c| c == '"' || c == '\'');
    for prefix in [
        "$CI_PROJECT_DIR/",
        "${CI_PROJECT_DIR}/",
        "\"$CI_PROJECT_DIR\"/",
    ] {
        if let Some(rest) = p.strip_prefix(prefix) {
            return Some(rest.trim_start_matches("./").to_owned());
        }
    }
    if p.is_empty()
        || p.starts_with('/')
        || p.starts_with('~')
        || p.starts_with('$')
        || p.starts_with('&')
        || p.starts_with('(')
        || p.contains('`')
    {
        return None;
    }
    Some(p.trim_start_matches("./").to_owned())
}

/// An artifacts path that means "the whole project directory".
pub fn is_broad_path(p: &str) -> bool {
    let p = p.trim();
    let p = p
        .strip_prefix("$CI_PROJECT_DIR")
        .or_else(|| p.strip_prefix("${CI_PROJECT_DIR}"))
        .map_or(p, |rest| if rest.is_empty() { "." } else { rest });
    let p = p.trim_start_matches('/');
    let p = if p.is_empty() { "." } else { p };
    matches!(
        p,
        "." | "./" | "*" | "**" | "**/*" | "./*" | "./**" | "./**/*" | ".*"
    )
}

/// The artifact paths of a job, and whether untracked files are included.
pub fn artifact_paths(job: &GlJob) -> (Vec<&Node>, Option<&Node>) {
    let Some(a) = job.node.get("artifacts") else {
        return (Vec::new(), None);
    };
    let paths = a
        .get("paths")
        .map(|p| p.items().iter().filter(|n| n.as_str().is_some()).collect())
        .unwrap_or_default();
    let untracked = a.get("untracked").filter(|u| u.as_bool() == Some(true));
    (paths, untracked)
}

/// The artifacts entry that archives `file`, if any.
pub fn covering<'n>(
    paths: &[&'n Node],
    untracked: Option<&'n Node>,
    file: &str,
) -> Option<&'n Node> {
    for p in paths {
        let Some(path) = p.as_str() else { continue };
        if is_broad_path(path) {
            return Some(p);
        }
        let path = project_relative(path).unwrap_or_default();
        let dir = path.trim_end_matches('/');
        if dir.is_empty() {
            continue;
        }
        if file == dir
            || file.starts_with(&format!("{dir}/"))
            || (dir.contains('*') && glob_regex(dir).is_match(file))
        {
            return Some(p);
        }
    }
    // Untracked files do not include the `.git` directory.
    untracked.filter(|_| !file.starts_with(".git/") && !file.contains("/.git/"))
}

fn flatten_scripts<'a>(n: &'a Node, out: &mut Vec<&'a Node>, depth: usize) {
    match &n.kind {
        Kind::Scalar(..) => out.push(n),
        Kind::Seq(items) if depth < 10 => items
            .iter()
            .for_each(|i| flatten_scripts(i, out, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    struct NoFiles;
    impl IncludeLoader for NoFiles {
        fn load(&mut self, p: &str) -> Result<(u32, Node), String> {
            let text = match p {
                "ci/base.yml" => {
                    ".base:\n  image: alpine:3\n  script: [echo base]\nvariables:\n  A: from-include\n"
                }
                _ => return Err("no such file".into()),
            };
            Ok((1, parse(text, 1).map_err(|e| e.message)?.remove(0)))
        }
        fn glob(&mut self, _: &str) -> Vec<String> {
            Vec::new()
        }
    }

    #[test]
    fn includes_extends_references_and_defaults() {
        let src = "include: ci/base.yml\ndefault:\n  tags: [shared]\n.setup:\n  before_script: [echo setup]\nbuild:\n  extends: .base\n  before_script:\n    - !reference [.setup, before_script]\n    - echo more\nvariables:\n  A: main\n";
        let docs = parse(src, 0).unwrap();
        let p = Pipeline::build(0, ".gitlab-ci.yml", &docs, &mut NoFiles);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let build = p.jobs.iter().find(|j| j.name == "build").unwrap();
        assert_eq!(build.node.get("image").unwrap().as_str(), Some("alpine:3"));
        assert_eq!(
            build.node.get("image").unwrap().span.file,
            1,
            "inherited node keeps its file"
        );
        let lines: Vec<_> = build
            .script_lines()
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        assert_eq!(lines, vec!["echo setup", "echo more", "echo base"]);
        assert_eq!(build.node.get("tags").unwrap().items().len(), 1);
        assert_eq!(p.variable("A").unwrap().as_str(), Some("main"));
        assert!(p.jobs.iter().any(|j| j.hidden));
    }

    #[test]
    fn default_keywords_jobs_inherit() {
        let src = "default:\n  identity: google_cloud\n  timeout: 5m\n  interruptible: true\nbuild:\n  script: x\nsolo:\n  inherit:\n    default: [interruptible]\n  script: y\n";
        let docs = parse(src, 0).unwrap();
        let p = Pipeline::build(0, ".gitlab-ci.yml", &docs, &mut NoFiles);
        let build = p.jobs.iter().find(|j| j.name == "build").unwrap();
        assert_eq!(
            build.node.get("identity").and_then(Node::as_str),
            Some("google_cloud")
        );
        assert!(build.node.get("timeout").is_none(), "GitLab ignores it");
        let solo = p.jobs.iter().find(|j| j.name == "solo").unwrap();
        assert!(solo.node.get("identity").is_none());
        assert!(solo.node.get("interruptible").is_some());
    }

    #[test]
    fn parallel_names() {
        assert_eq!(parallel_instance_of("build 1/3"), Some("build"));
        assert_eq!(parallel_instance_of("build: [linux, amd64]"), Some("build"));
        assert_eq!(parallel_instance_of("build"), None);
        assert_eq!(parallel_instance_of("unit tests"), None);
    }

    #[test]
    fn missing_things_are_problems() {
        let src = "include: nope.yml\na:\n  extends: .missing\n  script: x\nb:\n  extends: c\n  script: x\nc:\n  extends: b\n  script: y\n";
        let docs = parse(src, 0).unwrap();
        let p = Pipeline::build(0, ".gitlab-ci.yml", &docs, &mut NoFiles);
        let msgs: Vec<_> = p.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(msgs.iter().any(|m| m.contains("nope.yml")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains(".missing")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("cycle")), "{msgs:?}");
        let kinds: Vec<_> = p.problems.iter().map(|p| &p.kind).collect();
        assert!(
            kinds.contains(&&ProblemKind::IncludeUnreadable),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&&ProblemKind::UnknownExtends {
                target: ".missing".into()
            }),
            "{kinds:?}"
        );
        assert!(kinds.contains(&&ProblemKind::ExtendsCycle), "{kinds:?}");
    }
}
