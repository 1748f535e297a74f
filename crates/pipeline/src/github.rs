//! GitHub Actions models: workflows (including reusable ones) and `action.yml` metadata, as light
//! views over the spanned YAML tree so every rule can point at exact source.

use crate::yaml::Node;

/// A workflow file under `.github/workflows/`.
#[derive(Debug)]
pub struct Workflow<'a> {
    pub file: u32,
    /// Which repository of the run it belongs to (several can be linted at once).
    pub repo: u32,
    /// Path relative to the repository root (`.github/workflows/ci.yml`).
    pub path: String,
    pub root: &'a Node,
    pub triggers: Vec<Trigger<'a>>,
    pub jobs: Vec<Job<'a>>,
}

/// One event under `on:`.
#[derive(Debug)]
pub struct Trigger<'a> {
    pub name: &'a str,
    /// The event name's node (key or sequence item).
    pub node: &'a Node,
    /// Its configuration (`types`, `branches`, `inputs`...), if any.
    pub config: Option<&'a Node>,
}

impl Trigger<'_> {
    /// For `workflow_run`: whether it can follow a run that outsiders started, i.e. a workflow it
    /// names (looked up by `name:` or path in `workflows`) is externally triggerable. No
    /// `workflows:` filter, or a named workflow that is not in `workflows`, counts as yes.
    pub fn follows_untrusted_runs(&self, workflows: &[Workflow<'_>]) -> bool {
        let names = self
            .config
            .and_then(|c| c.get("workflows"))
            .map(|w| w.scalars())
            .unwrap_or_default();
        if names.is_empty() {
            return true;
        }
        names.iter().filter_map(|n| n.as_str()).any(|name| {
            let named: Vec<&Workflow<'_>> = workflows
                .iter()
                .filter(|w| {
                    w.root.get("name").and_then(Node::as_str).map(str::trim) == Some(name)
                        || w.path == name
                })
                .collect();
            named.is_empty() || named.iter().any(|w| w.externally_triggerable())
        })
    }
}

/// A job: either steps or a call of a reusable workflow (`uses:`).
#[derive(Debug)]
pub struct Job<'a> {
    pub id: &'a str,
    pub key: &'a Node,
    pub node: &'a Node,
    pub steps: Vec<Step<'a>>,
}

/// A step of a job or of a composite action.
#[derive(Debug)]
pub struct Step<'a> {
    pub index: usize,
    pub node: &'a Node,
}

/// What runs an `action.yml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Composite,
    Docker,
    Node,
    Unknown,
}

/// An action's metadata file (`action.yml` / `action.yaml`).
#[derive(Debug)]
pub struct Action<'a> {
    pub file: u32,
    /// Which repository of the run it belongs to.
    pub repo: u32,
    /// Path relative to the repository root (`actions/lint/action.yml`).
    pub path: String,
    /// The directory a caller names in `uses: ./<dir>`.
    pub dir: String,
    pub root: &'a Node,
    pub kind: ActionKind,
    pub steps: Vec<Step<'a>>,
}

fn steps_of(node: Option<&Node>) -> Vec<Step<'_>> {
    node.map(|s| {
        s.items()
            .iter()
            .enumerate()
            .map(|(index, node)| Step { index, node })
            .collect()
    })
    .unwrap_or_default()
}

impl<'a> Workflow<'a> {
    pub fn new(file: u32, path: String, root: &'a Node) -> Workflow<'a> {
        let mut triggers = Vec::new();
        // `on` may be read by YAML 1.1 parsers as `true`; saphyr keeps the text.
        if let Some(on) = root.get("on").or_else(|| root.get("true")) {
            match &on.kind {
                crate::yaml::Kind::Scalar(s, _) => triggers.push(Trigger {
                    name: s,
                    node: on,
                    config: None,
                }),
                crate::yaml::Kind::Seq(items) => {
                    for i in items {
                        if let Some(s) = i.as_str() {
                            triggers.push(Trigger {
                                name: s,
                                node: i,
                                config: None,
                            });
                        }
                    }
                }
                crate::yaml::Kind::Map(m) => {
                    for (k, v) in m {
                        if let Some(s) = k.as_str() {
                            triggers.push(Trigger {
                                name: s,
                                node: k,
                                config: (!v.is_null()).then_some(v),
                            });
                        }
                    }
                }
            }
        }
        let jobs = root
            .get("jobs")
            .map(|j| {
                j.entries()
                    .iter()
                    .filter_map(|(k, v)| {
                        Some(Job {
                            id: k.as_str()?,
                            key: k,
                            node: v,
                            steps: steps_of(v.get("steps")),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Workflow {
            file,
            repo: 0,
            path,
            root,
            triggers,
            jobs,
        }
    }

    pub fn has_trigger(&self, name: &str) -> bool {
        self.triggers.iter().any(|t| t.name == name)
    }

    pub fn trigger(&self, name: &str) -> Option<&Trigger<'a>> {
        self.triggers.iter().find(|t| t.name == name)
    }

    /// The triggers someone without write access can cause (forks, issues, comments), in order.
    pub fn external_triggers(&self) -> impl Iterator<Item = &Trigger<'a>> {
        self.triggers.iter().filter(|t| {
            matches!(
                t.name,
                "pull_request"
                    | "pull_request_target"
                    | "pull_request_review"
                    | "pull_request_review_comment"
                    | "issues"
                    | "issue_comment"
                    | "discussion"
                    | "discussion_comment"
                    | "workflow_run"
                    | "fork"
                    | "watch"
            )
        })
    }

    /// Whether someone without write access can start this workflow (forks, issues, comments).
    pub fn externally_triggerable(&self) -> bool {
        self.external_triggers().next().is_some()
    }

    /// Triggers that run with the base repository's secrets and a write token on events outsiders
    /// can cause: `pull_request_target`, `issue_comment`, and `workflow_run` when it can follow a
    /// run outsiders started ([`Trigger::follows_untrusted_runs`]; `workflows` are the workflows
    /// of the repository, to look the followed ones up).
    pub fn privileged_triggers(&self, workflows: &[Workflow<'_>]) -> Vec<&Trigger<'a>> {
        self.triggers
            .iter()
            .filter(|t| match t.name {
                "pull_request_target" | "issue_comment" => true,
                "workflow_run" => t.follows_untrusted_runs(workflows),
                _ => false,
            })
            .collect()
    }

    /// The job with this id.
    pub fn job(&self, id: &str) -> Option<&Job<'a>> {
        self.jobs.iter().find(|j| j.id == id)
    }

    pub fn is_reusable(&self) -> bool {
        self.has_trigger("workflow_call")
    }
}

impl<'a> Job<'a> {
    /// `uses:` of a reusable-workflow call job.
    pub fn uses(&self) -> Option<&'a Node> {
        self.node.get("uses")
    }

    pub fn step_by_id(&self, id: &str) -> Option<&Step<'a>> {
        self.steps.iter().find(|s| s.id() == Some(id))
    }

    /// `runs-on` labels (scalar, list, or `labels:` of a group).
    pub fn runs_on(&self) -> Vec<&'a Node> {
        match self.node.get("runs-on") {
            Some(r) if r.is_map() => r.get("labels").map(|l| l.scalars()).unwrap_or_default(),
            Some(r) => r.scalars(),
            None => Vec::new(),
        }
    }
}

impl<'a> Step<'a> {
    pub fn uses(&self) -> Option<&'a Node> {
        self.node.get("uses")
    }

    pub fn run(&self) -> Option<&'a Node> {
        self.node.get("run")
    }

    pub fn id(&self) -> Option<&'a str> {
        self.node.get("id").and_then(Node::as_str)
    }

    pub fn with(&self, input: &str) -> Option<&'a Node> {
        self.node.get("with").and_then(|w| w.get(input))
    }

    /// The action named by `uses:` without its ref (`actions/checkout`), lower-cased.
    pub fn action_name(&self) -> Option<String> {
        let u = self.uses()?.as_str()?;
        Some(u.split('@').next().unwrap_or(u).to_ascii_lowercase())
    }

    /// Whether this step uses `owner/repo` (any path or ref).
    pub fn uses_action(&self, owner_repo: &str) -> bool {
        self.action_name().is_some_and(|n| {
            n == owner_repo
                || n.strip_prefix(owner_repo)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// A short name for messages: the step's `id`, `name`, or its index.
    pub fn label(&self) -> String {
        if let Some(id) = self.id() {
            return format!("step `{id}`");
        }
        if let Some(n) = self.node.get("name").and_then(Node::as_str) {
            return format!("step \"{n}\"");
        }
        if let Some(u) = self.uses().and_then(Node::as_str) {
            let name = u.split('@').next().unwrap_or(u);
            return format!("step {} (`{name}`)", self.index + 1);
        }
        format!("step {}", self.index + 1)
    }

    /// How to name the step in a message: its id or name, else the action it uses
    /// ("the `actions/checkout` step"), else its position.
    pub fn describe(&self) -> String {
        if self.id().is_some() || self.node.get("name").is_some() {
            return self.label();
        }
        match self.action_name() {
            Some(a) => format!("the `{a}` step"),
            None => self.label(),
        }
    }
}

impl<'a> Action<'a> {
    pub fn new(file: u32, path: String, root: &'a Node) -> Action<'a> {
        let runs = root.get("runs");
        let using = runs
            .and_then(|r| r.get("using"))
            .and_then(Node::as_str)
            .unwrap_or("");
        let kind = match using {
            "composite" => ActionKind::Composite,
            "docker" => ActionKind::Docker,
            u if u.starts_with("node") => ActionKind::Node,
            _ => ActionKind::Unknown,
        };
        let steps = if kind == ActionKind::Composite {
            steps_of(runs.and_then(|r| r.get("steps")))
        } else {
            Vec::new()
        };
        let dir = path
            .rsplit_once('/')
            .map(|(d, _)| d.to_owned())
            .unwrap_or_default();
        Action {
            file,
            repo: 0,
            path,
            dir,
            root,
            kind,
            steps,
        }
    }
}

/// A parsed `uses:` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uses<'s> {
    /// `./path` in this repository.
    Local(&'s str),
    /// `docker://image`.
    Docker(&'s str),
    /// `owner/repo[/path]@ref`.
    Repo {
        owner: &'s str,
        repo: &'s str,
        path: Option<&'s str>,
        git_ref: Option<&'s str>,
    },
}

impl<'s> Uses<'s> {
    pub fn parse(s: &'s str) -> Option<Uses<'s>> {
        let s = s.trim();
        if let Some(p) = s.strip_prefix("./") {
            return Some(Uses::Local(p.trim_end_matches('/')));
        }
        if let Some(i) = s.strip_prefix("docker://") {
            return Some(Uses::Docker(i));
        }
        let (name, git_ref) = match s.split_once('@') {
            Some((n, r)) => (n, Some(r)),
            None => (s, None),
        };
        let mut parts = name.splitn(3, '/');
        let owner = parts.next().filter(|o| !o.is_empty())?;
        let repo = parts.next().filter(|r| !r.is_empty())?;
        Some(Uses::Repo {
            owner,
            repo,
            path: parts.next(),
            git_ref,
        })
    }
}

/// A directory in a step's `with: path:` (or a command's output directory) relative to the
/// workspace: `./pr/`, `${{ github.workspace }}/pr` and `$GITHUB_WORKSPACE/pr` are all `pr`;
/// `None` for the workspace itself (`.`, `./`, `${{ github.workspace }}`, `$GITHUB_WORKSPACE`).
/// Paths outside the workspace (`/tmp/x`, `${{ runner.temp }}/x`) are returned as written.
pub fn workspace_path(p: &str) -> Option<String> {
    let mut p = p.trim();
    let roots = ["$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}"];
    let rest = roots
        .iter()
        .find_map(|r| p.strip_prefix(r))
        .or_else(|| {
            let inner = p.strip_prefix("${{")?;
            let (expr, after) = inner.split_once("}}")?;
            (expr.trim() == "github.workspace").then_some(after)
        })
        .filter(|rest| rest.is_empty() || rest.starts_with('/'));
    if let Some(rest) = rest {
        p = rest.trim_start_matches('/');
    }
    let mut p = p.trim_end_matches('/');
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.trim_start_matches('/');
    }
    (!p.is_empty() && p != ".").then(|| p.to_owned())
}

/// The version a `uses:` ref names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefVersion {
    /// `v4` is `[4]` (a moving major tag), `v4.2` is `[4, 2]`, `v4.2.2` is `[4, 2, 2]`.
    pub parts: Vec<u64>,
    /// Read from the comment after a commit SHA (`@<sha> # v4.2.2`), which nothing checks.
    pub from_comment: bool,
}

impl RefVersion {
    pub fn major(&self) -> u64 {
        self.parts.first().copied().unwrap_or(0)
    }

    /// A full release (`v4.2.2`) rather than a moving major or minor tag.
    pub fn is_exact(&self) -> bool {
        self.parts.len() >= 3
    }
}

/// A version number (`v4`, `V4.2`, `4.2.2`, `v35.7.7-sec`) as its numbers; `None` for anything
/// else (a branch, a SHA, a date-like `2024-01-01` is `[2024]`, so callers that read free text
/// use [`ref_version`]).
pub fn parse_version(r: &str) -> Option<Vec<u64>> {
    let r = r.strip_prefix(['v', 'V']).unwrap_or(r);
    let core = r.split(['-', '+']).next()?;
    let parts: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty() && p.len() <= 4)
}

/// The version a `uses:` ref names: the ref itself (`v4`, `v4.2.2`, `4.2`), or, for a commit
/// SHA, the version in the comment written after it on the same line (`# v4.2.2`,
/// `# tag=v4.2.2`, `# ratchet:actions/checkout@v4`), given as `comment` (without the `#`, see
/// [`crate::rules::Cx::trailing_comment`]).
pub fn ref_version(git_ref: &str, comment: Option<&str>) -> Option<RefVersion> {
    let git_ref = git_ref.trim();
    if !is_commit_sha(git_ref) {
        return parse_version(git_ref).map(|parts| RefVersion {
            parts,
            from_comment: false,
        });
    }
    comment?.split_whitespace().find_map(|word| {
        let word = word.rsplit(['@', '=']).next().unwrap_or(word);
        let versionish = word.starts_with(['v', 'V']) || word.contains('.');
        let parts = parse_version(word).filter(|_| versionish)?;
        Some(RefVersion {
            parts,
            from_comment: true,
        })
    })
}

impl Uses<'_> {
    /// The version this reference names (see [`ref_version`]); `None` for local and Docker uses.
    pub fn version(&self, comment: Option<&str>) -> Option<RefVersion> {
        match self {
            Uses::Repo {
                git_ref: Some(r), ..
            } => ref_version(r, comment),
            _ => None,
        }
    }
}

/// A full 40-hex (SHA-1) or 64-hex (SHA-256) commit id.
pub fn is_commit_sha(r: &str) -> bool {
    (r.len() == 40 || r.len() == 64) && r.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_parsing() {
        assert_eq!(
            Uses::parse("./actions/lint"),
            Some(Uses::Local("actions/lint"))
        );
        assert_eq!(
            Uses::parse("org/repo/.github/workflows/x.yml@v1"),
            Some(Uses::Repo {
                owner: "org",
                repo: "repo",
                path: Some(".github/workflows/x.yml"),
                git_ref: Some("v1")
            })
        );
        assert_eq!(
            Uses::parse("docker://alpine:3"),
            Some(Uses::Docker("alpine:3"))
        );
        assert!(is_commit_sha("0123456789abcdef0123456789abcdef01234567"));
        assert!(!is_commit_sha("v4"));
    }

    #[test]
    fn workspace_paths() {
        for root in [
            ".",
            "./",
            "",
            "${{ github.workspace }}",
            "${{github.workspace}}/",
            "$GITHUB_WORKSPACE",
            "${GITHUB_WORKSPACE}/",
        ] {
            assert_eq!(workspace_path(root), None, "{root}");
        }
        for sub in [
            "pr",
            "./pr/",
            "${{ github.workspace }}/pr",
            "$GITHUB_WORKSPACE/pr/",
            "${GITHUB_WORKSPACE}/./pr",
        ] {
            assert_eq!(workspace_path(sub).as_deref(), Some("pr"), "{sub}");
        }
        assert_eq!(
            workspace_path("${{ github.workspace }}/a/b").as_deref(),
            Some("a/b")
        );
        assert_eq!(workspace_path("/tmp/pr").as_deref(), Some("/tmp/pr"));
        assert_eq!(
            workspace_path("$GITHUB_WORKSPACE_DIR/x").as_deref(),
            Some("$GITHUB_WORKSPACE_DIR/x")
        );
        assert_eq!(
            workspace_path("${{ runner.temp }}/pr").as_deref(),
            Some("${{ runner.temp }}/pr")
        );
    }

    #[test]
    fn ref_versions() {
        let sha = "11bd71901bbe5b1630ceea73d27597364c9af683";
        let v = |r: &str, c: Option<&str>| ref_version(r, c).map(|v| (v.parts, v.from_comment));
        assert_eq!(v("v4", None), Some((vec![4], false)));
        assert_eq!(v("v4.2.2", None), Some((vec![4, 2, 2], false)));
        assert_eq!(v("4.2", None), Some((vec![4, 2], false)));
        assert_eq!(v("v35.7.7-sec", None), Some((vec![35, 7, 7], false)));
        assert_eq!(v("main", None), None);
        assert_eq!(v("releases/v2", None), None);
        assert_eq!(v(sha, None), None);
        assert_eq!(v(sha, Some(" v4.2.2")), Some((vec![4, 2, 2], true)));
        assert_eq!(v(sha, Some("v4")), Some((vec![4], true)));
        assert_eq!(v(sha, Some(" tag=v4.1.0")), Some((vec![4, 1, 0], true)));
        assert_eq!(
            v(sha, Some(" ratchet:actions/checkout@v3")),
            Some((vec![3], true))
        );
        assert_eq!(v(sha, Some(" pinned 2024-01-01")), None);
        assert_eq!(v(sha, Some(" 4.2.2")), Some((vec![4, 2, 2], true)));
        let uses = Uses::parse("actions/checkout@v4.2.2");
        assert_eq!(
            uses.and_then(|u| u.version(None)).map(|v| v.major()),
            Some(4)
        );
        assert_eq!(Uses::parse("./x").and_then(|u| u.version(None)), None);
    }
}
