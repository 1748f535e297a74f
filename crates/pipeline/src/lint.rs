//! The lint run: find pipeline files, parse them in parallel, build the models, run every enabled
//! rule, then apply inline ignores and the configuration.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chainproof_core::{Config, Finding, InputError, Report, SourceFile, SourceMap};
use rayon::prelude::*;
use regex::Regex;

use crate::github::{Action, Workflow};
use crate::gitlab::{IncludeLoader, Pipeline, split_spec};
use crate::registry::RULES;
use crate::rules::{Cx, Repo};
use crate::yaml::{self, MAX_FILE_BYTES, Node};

/// What kind of pipeline file a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Workflow,
    Action,
    Gitlab,
}

/// One file to lint.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    /// Repository root it belongs to (local `uses:` and `include:` resolve against it).
    pub root: PathBuf,
    pub kind: FileKind,
}

#[derive(Debug, Default, Clone)]
pub struct LintOptions {
    pub config: Config,
}

/// The result of a lint run: the report, the files it read (for snippets and fixes), and what
/// each pipeline publishes and how it signs (`chainproof check`'s release summary).
pub struct Lint {
    pub report: Report,
    pub sources: SourceMap,
    pub releases: Vec<crate::release::Release>,
}

fn display(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_deref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// `path` relative to `root`, `/`-separated. Both sides are compared canonically, so `.github/workflows`
/// given from inside a repository still yields `.github/workflows/ci.yml`.
fn rel(root: &Path, path: &Path) -> String {
    let direct = path.strip_prefix(root).ok().map(Path::to_path_buf);
    let shown = direct.or_else(|| {
        let root = std::fs::canonicalize(root).ok()?;
        let path = std::fs::canonicalize(path).ok()?;
        path.strip_prefix(&root).ok().map(Path::to_path_buf)
    });
    shown
        .as_deref()
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The repository root of a file or directory: the nearest ancestor (itself included, for a
/// directory) holding `.git` or `.github`, else the directory itself. Absolute.
fn root_of(path: &Path) -> PathBuf {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let abs = std::fs::canonicalize(&dir).unwrap_or(dir);
    abs.ancestors()
        .find(|anc| anc.join(".git").exists() || anc.join(".github").is_dir())
        .map_or_else(|| abs.clone(), Path::to_path_buf)
}

/// Classify a file named on the command line.
pub fn classify(path: &Path) -> FileKind {
    let s = path.to_string_lossy().replace('\\', "/");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "action.yml" || name == "action.yaml" {
        FileKind::Action
    } else if s.contains(".github/workflows/") {
        FileKind::Workflow
    } else if name.ends_with("gitlab-ci.yml")
        || name.ends_with("gitlab-ci.yaml")
        || s.contains("/templates/")
        || s.starts_with("templates/")
    {
        FileKind::Gitlab
    } else {
        // Sniff: GitHub workflows have top-level `jobs:` and `on:`.
        let head = std::fs::read_to_string(path).unwrap_or_default();
        let has = |k: &str| head.lines().any(|l| l.starts_with(k));
        if has("jobs:") && (has("on:") || has("\"on\":") || has("'on':")) {
            FileKind::Workflow
        } else if has("runs:") {
            FileKind::Action
        } else {
            FileKind::Gitlab
        }
    }
}

/// Pipeline files under a repository root: `.github/workflows/*`, every `action.yml`, every
/// `.gitlab-ci.yml`, and GitLab component templates (`templates/*.yml` with a `spec:` header).
/// Honours `.gitignore`; skips `.git`, `target` and `node_modules`.
pub fn discover(root: &Path, exclude: &[String]) -> Vec<Target> {
    discover_in(root, root, exclude)
}

/// Pipeline files under `dir`, which is inside the repository at `root` (paths are classified by
/// their place in the repository, so `chainproof lint .github/workflows` works).
pub fn discover_in(dir: &Path, root: &Path, exclude: &[String]) -> Vec<Target> {
    let exclude: Vec<Regex> = exclude.iter().map(|p| glob_regex(p)).collect();
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| {
            !matches!(
                e.file_name().to_str(),
                Some(".git" | "target" | "node_modules")
            )
        })
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let r = rel(root, path);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
        let kind = if !yaml {
            continue;
        } else if r.starts_with(".github/workflows/")
            && !r[".github/workflows/".len()..].contains('/')
        {
            FileKind::Workflow
        } else if name == "action.yml" || name == "action.yaml" {
            FileKind::Action
        } else if name == ".gitlab-ci.yml"
            || name == ".gitlab-ci.yaml"
            || is_component_template(&r, path)
        {
            FileKind::Gitlab
        } else {
            continue;
        };
        if exclude.iter().any(|re| re.is_match(&r)) {
            continue;
        }
        out.push(Target {
            path: path.to_path_buf(),
            root: root.to_path_buf(),
            kind,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn is_component_template(rel: &str, path: &Path) -> bool {
    let in_templates = rel.starts_with("templates/") || rel.contains("/templates/");
    in_templates
        && std::fs::read_to_string(path)
            .is_ok_and(|t| t.lines().next().is_some_and(|l| l.trim_end() == "spec:"))
}

/// Turn command-line paths into targets: files as given (always linted), directories searched
/// without the `exclude` globs (relative to the repository root).
pub fn targets(paths: &[PathBuf], exclude: &[String]) -> Result<Vec<Target>, InputError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(discover_in(p, &root_of(p), exclude));
        } else if p.is_file() {
            out.push(Target {
                path: p.clone(),
                root: root_of(p),
                kind: classify(p),
            });
        } else {
            return Err(InputError {
                file: display(p),
                line: 0,
                column: 0,
                message: "no such file or directory".into(),
            });
        }
    }
    Ok(out)
}

struct Parsed {
    file: u32,
    target: Target,
    rel: String,
    docs: Vec<Node>,
}

/// A file that could not be read as text; `pos` is the 1-based line and column of the problem.
struct ReadError {
    message: String,
    pos: Option<(usize, usize)>,
}

impl From<ReadError> for String {
    fn from(e: ReadError) -> String {
        match e.pos {
            Some((l, c)) => format!("{} at {l}:{c}", e.message),
            None => e.message,
        }
    }
}

fn read(path: &Path) -> Result<String, ReadError> {
    let plain = |message: String| ReadError { message, pos: None };
    let meta = std::fs::metadata(path).map_err(|e| plain(e.to_string()))?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(plain(format!(
            "file is larger than {} MiB",
            MAX_FILE_BYTES >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| plain(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        ReadError {
            message: "not valid UTF-8".into(),
            pos: Some((line, column)),
        }
    })
}

fn error_at(sources: &SourceMap, file: u32, offset: usize, message: String) -> InputError {
    let f = sources.get(file);
    let pos = f.map(|f| f.pos(offset));
    InputError {
        file: f.map(|f| f.path.clone()).unwrap_or_default(),
        line: pos.map_or(0, |p| p.line),
        column: pos.map_or(0, |p| p.column),
        message,
    }
}

/// Reads `include: local` files relative to a repository root, adding them to the source map.
struct Loader<'s> {
    root: PathBuf,
    sources: &'s mut SourceMap,
    errors: &'s mut Vec<InputError>,
    cache: HashMap<String, (u32, Node)>,
}

impl IncludeLoader for Loader<'_> {
    fn load(&mut self, path: &str) -> Result<(u32, Node), String> {
        if let Some(hit) = self.cache.get(path) {
            return Ok(hit.clone());
        }
        if path.split('/').any(|c| c == "..") {
            return Err("path leaves the repository".into());
        }
        let full = self.root.join(path);
        // A symbolic link may point at any file of the machine running the linter (a runner's
        // `/proc/self/environ`, whose lines an error snippet would print); GitLab itself reads
        // includes from the repository only.
        if let (Ok(real), Ok(root)) = (
            std::fs::canonicalize(&full),
            std::fs::canonicalize(&self.root),
        ) {
            if !real.starts_with(&root) {
                return Err("path leaves the repository (symbolic link)".into());
            }
        }
        let text = read(&full)?;
        let id = self
            .sources
            .add(SourceFile::new(display(&full), text.clone()));
        match yaml::parse(&text, id) {
            Ok(docs) => {
                let (_, body) = split_spec(&docs);
                let node = body
                    .cloned()
                    .unwrap_or_else(|| Node::scalar("", chainproof_core::Span::new(id, 0, 0)));
                self.cache.insert(path.to_owned(), (id, node.clone()));
                Ok((id, node))
            }
            Err(e) => {
                self.errors.push(error_at(
                    self.sources,
                    id,
                    e.offset,
                    format!("invalid YAML: {}", e.message),
                ));
                Err("invalid YAML".into())
            }
        }
    }

    fn glob(&mut self, pattern: &str) -> Vec<String> {
        let re = glob_regex(pattern);
        let mut out: Vec<String> = ignore::WalkBuilder::new(&self.root)
            .hidden(false)
            .build()
            .flatten()
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .map(|e| rel(&self.root, e.path()))
            .filter(|r| re.is_match(r))
            .collect();
        out.sort();
        out
    }
}

pub use chainproof_core::glob::glob_regex;

static IGNORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"#\s*(chainproof|zizmor):\s*ignore\[([^\]]*)\]")
        .unwrap_or_else(|e| panic!("ignore regex: {e}"))
});

/// The chainproof rule a zizmor audit id corresponds to, so `# zizmor: ignore[...]` comments a
/// project already triaged keep working after a switch. Ids zizmor and chainproof share map to
/// themselves.
fn from_zizmor(id: &str) -> &str {
    match id {
        "artipacked" => "persisted-git-credentials",
        "hardcoded-container-credentials" => "hardcoded-credentials",
        "github-env" => "env-injection",
        "adhoc-packages" => "unpinned-install",
        other => other,
    }
}

/// Whether an inline comment on the finding's line (or the line above it) ignores its rule.
fn ignored(sources: &SourceMap, f: &Finding) -> bool {
    let Some(file) = sources
        .find(&f.location.file)
        .and_then(|id| sources.get(id))
    else {
        return false;
    };
    let line = f.location.start.line;
    [line, line.saturating_sub(1)]
        .into_iter()
        .filter(|l| *l > 0)
        .any(|l| {
            let text = file.line_text(l);
            // The line above counts only when it is a comment line of its own.
            if l != line && !text.trim_start().starts_with('#') {
                return false;
            }
            IGNORE.captures_iter(text).any(|c| {
                let zizmor = c.get(1).is_some_and(|t| t.as_str() == "zizmor");
                c.get(2).is_some_and(|ids| {
                    ids.as_str().split(',').map(str::trim).any(|id| {
                        let id = if zizmor { from_zizmor(id) } else { id };
                        id == f.rule || (!zizmor && id == "all")
                    })
                })
            })
        })
}

/// Lint the targets.
pub fn lint(targets: &[Target], options: &LintOptions) -> Lint {
    let config = &options.config;
    let mut sources = SourceMap::default();
    let mut report = Report::default();

    let targets: Vec<&Target> = targets.iter().collect();

    // Read and parse in parallel; register files in a stable order.
    let texts: Vec<(usize, Result<String, ReadError>)> = targets
        .par_iter()
        .enumerate()
        .map(|(i, t)| (i, read(&t.path)))
        .collect();
    let mut pending = Vec::new();
    for (i, text) in texts {
        let t = targets[i];
        match text {
            Ok(text) => {
                let id = sources.add(SourceFile::new(display(&t.path), text));
                pending.push((id, t.clone()));
            }
            Err(e) => report.errors.push(InputError {
                file: display(&t.path),
                line: e.pos.map_or(0, |p| p.0),
                column: e.pos.map_or(0, |p| p.1),
                message: e.message,
            }),
        }
    }
    let parsed_results: Vec<(u32, Target, Result<Vec<Node>, yaml::ParseError>)> = pending
        .into_par_iter()
        .map(|(id, t)| {
            let text = sources.get(id).map(|f| f.text.clone()).unwrap_or_default();
            (id, t, yaml::parse(&text, id))
        })
        .collect();
    let mut parsed = Vec::new();
    for (file, target, res) in parsed_results {
        match res {
            Ok(docs) if docs.is_empty() => {}
            Ok(docs) => {
                let rel = rel(&target.root, &target.path);
                parsed.push(Parsed {
                    file,
                    target,
                    rel,
                    docs,
                });
            }
            Err(e) => report.errors.push(error_at(
                &sources,
                file,
                e.offset,
                format!("invalid YAML: {}", e.message),
            )),
        }
        if let Some(f) = sources.get(file) {
            report.files.push(f.path.clone());
        }
    }

    // GitLab pipelines need their local includes read: done sequentially, they add files.
    let mut pipelines = Vec::new();
    for p in parsed.iter().filter(|p| p.target.kind == FileKind::Gitlab) {
        let root = p
            .target
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let root = if p.rel.starts_with("templates/") || p.rel.contains("/templates/") {
            p.target.root.clone()
        } else {
            root
        };
        let mut loader = Loader {
            root,
            sources: &mut sources,
            errors: &mut report.errors,
            cache: HashMap::new(),
        };
        let pipeline = Pipeline::build(p.file, &p.rel, &p.docs, &mut loader);
        for f in &pipeline.included_files {
            let shown = display(&loader.root.join(f));
            if !report.files.contains(&shown) {
                report.files.push(shown);
            }
        }
        pipelines.push(pipeline);
    }

    let mut workflows = Vec::new();
    let mut actions = Vec::new();
    let mut roots: Vec<&Path> = Vec::new();
    for p in &parsed {
        let Some(root) = p.docs.first() else { continue };
        let repo = match roots.iter().position(|r| *r == p.target.root.as_path()) {
            Some(i) => i,
            None => {
                roots.push(&p.target.root);
                roots.len() - 1
            }
        };
        let repo = u32::try_from(repo).unwrap_or(u32::MAX);
        match p.target.kind {
            FileKind::Workflow => {
                let mut wf = Workflow::new(p.file, p.rel.clone(), root);
                wf.repo = repo;
                workflows.push(wf);
            }
            FileKind::Action => {
                let mut a = Action::new(p.file, p.rel.clone(), root);
                a.repo = repo;
                actions.push(a);
            }
            FileKind::Gitlab => {}
        }
    }
    let repo = Repo {
        workflows,
        actions,
        pipelines,
    };
    let cx = Cx {
        sources: &sources,
        config,
        repo: &repo,
    };

    let rules: Vec<_> = RULES
        .iter()
        .filter(|r| !config.is_disabled(r.info().id))
        .collect();
    let mut findings: Vec<Finding> = rules
        .par_iter()
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            for wf in &repo.workflows {
                rule.workflow(&cx, wf, &mut out);
            }
            for a in &repo.actions {
                rule.action(&cx, a, &mut out);
            }
            for p in &repo.pipelines {
                rule.gitlab(&cx, p, &mut out);
            }
            out
        })
        .collect();
    let releases = crate::release::releases(&cx);

    for f in &mut findings {
        if let Some(sev) = config.severity.get(&f.rule) {
            f.severity = *sev;
        }
    }
    let before = findings.len();
    findings.retain(|f| !ignored(&sources, f));
    report.suppressed = before - findings.len();
    report.findings = findings;
    report.finish();
    Lint {
        report,
        sources,
        releases,
    }
}
