//! The fake forges' git-object model: objects hashed as git hashes them, refs, pulls, rulesets.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::{object_sha, tree_object};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Blob,
    Tree,
    Commit,
}

#[derive(Debug, Clone)]
pub struct TreeEntry {
    pub name: String,
    /// `100644`, `100755`, `120000`, `40000` (tree), `160000` (submodule).
    pub mode: String,
    pub sha: String,
}

#[derive(Debug, Clone)]
pub struct CommitObject {
    pub tree: String,
    pub parents: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone)]
pub enum Object {
    Blob(Vec<u8>),
    Tree(Vec<TreeEntry>),
    Commit(CommitObject),
}

#[derive(Debug, Clone)]
pub struct Pull {
    pub number: u64,
    pub head: String,
    pub base: String,
    pub title: String,
    pub body: String,
    /// GitHub: `open`/`closed`/`merged`; GitLab states are mapped from these.
    pub state: String,
    /// GitLab: the project the source branch lives in when it is a fork (`None`: this project).
    pub source_project: Option<u64>,
}

/// One repository / project.
#[derive(Debug, Clone, Default)]
pub struct FakeRepo {
    pub id: u64,
    pub full_name: String,
    pub default_branch: String,
    pub topics: Vec<String>,
    pub archived: bool,
    pub visibility: String,
    pub properties: BTreeMap<String, String>,
    pub objects: HashMap<String, Object>,
    /// `heads/main` -> commit id.
    pub refs: BTreeMap<String, String>,
    pub pulls: Vec<Pull>,
    /// GitHub rulesets as posted (with `id`).
    pub rulesets: Vec<Value>,
    pub next_ruleset: u64,
    /// GitLab protected branches (name -> JSON).
    pub protected_branches: BTreeMap<String, Value>,
    pub only_allow_merge_if_pipeline_succeeds: bool,
    /// GitLab push rule (`None`: no rule yet).
    pub push_rule: Option<Value>,
    /// GitLab project CI/CD variables (key -> variable JSON).
    pub variables: BTreeMap<String, Value>,
    /// GitLab groups this project is shared with (listed by them unless `with_shared=false`).
    pub shared_with: Vec<String>,
    clock: u64,
}

/// All repositories of a fake forge.
#[derive(Debug, Default)]
pub struct Model {
    pub repos: BTreeMap<String, FakeRepo>,
    next_id: u64,
}

impl Model {
    pub fn repo(&self, full_name: &str) -> Option<&FakeRepo> {
        self.repos.get(full_name)
    }

    pub fn repo_mut(&mut self, full_name: &str) -> Option<&mut FakeRepo> {
        self.repos.get_mut(full_name)
    }

    /// A project by numeric id or full path (GitLab `:id`).
    pub fn project_mut(&mut self, id: &str) -> Option<&mut FakeRepo> {
        if let Ok(n) = id.parse::<u64>() {
            return self.repos.values_mut().find(|r| r.id == n);
        }
        self.repos.get_mut(id)
    }

    pub fn create_repo(&mut self, full_name: &str, branch: &str, files: &[(&str, &str)]) -> String {
        self.next_id += 1;
        let mut repo = FakeRepo {
            id: self.next_id,
            full_name: full_name.into(),
            default_branch: branch.into(),
            visibility: "private".into(),
            next_ruleset: 1,
            ..Default::default()
        };
        let mut head = String::new();
        if !files.is_empty() {
            let changes: Vec<(String, Option<String>)> = files
                .iter()
                .map(|(p, c)| ((*p).to_string(), Some((*c).to_string())))
                .collect();
            head = repo
                .commit_files(branch, None, "Initial commit", &changes)
                .unwrap_or_default();
        }
        self.repos.insert(full_name.into(), repo);
        head
    }
}

impl FakeRepo {
    pub fn owner(&self) -> &str {
        self.full_name
            .rsplit_once('/')
            .map(|(o, _)| o)
            .unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.full_name
            .rsplit_once('/')
            .map(|(_, n)| n)
            .unwrap_or(&self.full_name)
    }

    pub fn put(&mut self, object: Object) -> String {
        let (kind, body) = match &object {
            Object::Blob(b) => ("blob", b.clone()),
            Object::Tree(entries) => {
                let mut raw: Vec<(String, String, Vec<u8>)> = entries
                    .iter()
                    .map(|e| {
                        (
                            e.name.clone(),
                            e.mode.clone(),
                            crate::unhex(&e.sha).unwrap_or_default(),
                        )
                    })
                    .collect();
                ("tree", tree_object(&mut raw))
            }
            Object::Commit(c) => {
                self.clock += 1;
                let when = 1_700_000_000 + self.clock;
                let mut text = format!("tree {}\n", c.tree);
                for p in &c.parents {
                    text.push_str(&format!("parent {p}\n"));
                }
                text.push_str(&format!(
                    "author Fake <fake@example.com> {when} +0000\ncommitter Fake <fake@example.com> {when} +0000\n\n{}",
                    c.message
                ));
                ("commit", text.into_bytes())
            }
        };
        let sha = object_sha(kind, &body);
        self.objects.entry(sha.clone()).or_insert(object);
        sha
    }

    pub fn kind(&self, sha: &str) -> Option<ObjectKind> {
        Some(match self.objects.get(sha)? {
            Object::Blob(_) => ObjectKind::Blob,
            Object::Tree(_) => ObjectKind::Tree,
            Object::Commit(_) => ObjectKind::Commit,
        })
    }

    pub fn commit(&self, sha: &str) -> Option<&CommitObject> {
        match self.objects.get(sha)? {
            Object::Commit(c) => Some(c),
            _ => None,
        }
    }

    pub fn blob(&self, sha: &str) -> Option<&[u8]> {
        match self.objects.get(sha)? {
            Object::Blob(b) => Some(b),
            _ => None,
        }
    }

    /// A branch, tag or commit id -> commit id.
    pub fn resolve(&self, reference: &str) -> Option<String> {
        let reference = reference.strip_prefix("refs/").unwrap_or(reference);
        for key in [
            reference.to_string(),
            format!("heads/{reference}"),
            format!("tags/{reference}"),
        ] {
            if let Some(sha) = self.refs.get(&key) {
                return Some(sha.clone());
            }
        }
        (self.kind(reference) == Some(ObjectKind::Commit)).then(|| reference.to_string())
    }

    /// A branch, tag, commit or tree id -> tree id.
    pub fn resolve_tree(&self, reference: &str) -> Option<String> {
        if self.kind(reference) == Some(ObjectKind::Tree) {
            return Some(reference.to_string());
        }
        self.resolve(reference)
            .and_then(|c| self.commit(&c).map(|c| c.tree.clone()))
    }

    /// Every entry under `tree`, depth first: `(path, mode, sha, is_tree)`.
    pub fn walk(&self, tree: &str, recursive: bool) -> Vec<(String, String, String, bool)> {
        let mut out = Vec::new();
        self.walk_into(tree, "", recursive, &mut out);
        out
    }

    fn walk_into(
        &self,
        tree: &str,
        prefix: &str,
        recursive: bool,
        out: &mut Vec<(String, String, String, bool)>,
    ) {
        let Some(Object::Tree(entries)) = self.objects.get(tree) else {
            return;
        };
        for e in entries {
            let path = format!("{prefix}{}", e.name);
            let is_tree = e.mode == "40000";
            out.push((path.clone(), e.mode.clone(), e.sha.clone(), is_tree));
            if is_tree && recursive {
                self.walk_into(&e.sha, &format!("{path}/"), true, out);
            }
        }
    }

    /// Files (blobs) of a tree: path -> (mode, sha).
    pub fn flat(&self, tree: &str) -> BTreeMap<String, (String, String)> {
        self.walk(tree, true)
            .into_iter()
            .filter(|e| !e.3)
            .map(|(p, m, s, _)| (p, (m, s)))
            .collect()
    }

    /// Writes nested trees for `files` (path -> (mode, sha)); returns the root tree id.
    pub fn write_flat(&mut self, files: &BTreeMap<String, (String, String)>) -> String {
        #[derive(Default)]
        struct Dir {
            files: Vec<(String, String, String)>,
            dirs: BTreeMap<String, Dir>,
        }
        let mut root = Dir::default();
        for (path, (mode, sha)) in files {
            let mut parts: Vec<&str> = path.split('/').collect();
            let Some(name) = parts.pop() else { continue };
            let mut dir = &mut root;
            for p in parts {
                dir = dir.dirs.entry(p.to_string()).or_default();
            }
            dir.files
                .push((name.to_string(), mode.clone(), sha.clone()));
        }
        fn write(repo: &mut FakeRepo, dir: Dir) -> String {
            let mut entries: Vec<TreeEntry> = dir
                .files
                .into_iter()
                .map(|(name, mode, sha)| TreeEntry { name, mode, sha })
                .collect();
            for (name, sub) in dir.dirs {
                let sha = write(repo, sub);
                entries.push(TreeEntry {
                    name,
                    mode: "40000".into(),
                    sha,
                });
            }
            // Store entries in git order so listings come out as git lists them.
            let mut raw: Vec<(String, String, Vec<u8>)> = entries
                .iter()
                .map(|e| (e.name.clone(), e.mode.clone(), Vec::new()))
                .collect();
            tree_object(&mut raw);
            let order: Vec<String> = raw.into_iter().map(|r| r.0).collect();
            entries.sort_by_key(|e| order.iter().position(|n| *n == e.name));
            repo.put(Object::Tree(entries))
        }
        write(self, root)
    }

    /// Files with content at a commit.
    pub fn files_at(&self, commit: &str) -> BTreeMap<String, String> {
        let Some(c) = self.commit(commit) else {
            return BTreeMap::new();
        };
        self.flat(&c.tree)
            .into_iter()
            .filter_map(|(p, (_, sha))| {
                Some((p, String::from_utf8_lossy(self.blob(&sha)?).into_owned()))
            })
            .collect()
    }

    /// One commit on `branch` (created from `start` when missing) applying `changes`; moves the ref.
    pub fn commit_files(
        &mut self,
        branch: &str,
        start: Option<&str>,
        message: &str,
        changes: &[(String, Option<String>)],
    ) -> Result<String, String> {
        let key = format!("heads/{branch}");
        let parent = match self.refs.get(&key) {
            Some(p) => Some(p.clone()),
            None => match start {
                Some(s) => Some(
                    self.resolve(s)
                        .ok_or_else(|| format!("{s} does not exist"))?,
                ),
                None => None,
            },
        };
        let mut files = match &parent {
            Some(p) => {
                let tree = self.commit(p).map(|c| c.tree.clone()).unwrap_or_default();
                self.flat(&tree)
            }
            None => BTreeMap::new(),
        };
        for (path, content) in changes {
            match content {
                Some(c) => {
                    let sha = self.put(Object::Blob(c.as_bytes().to_vec()));
                    let mode = files
                        .get(path)
                        .map(|(m, _)| m.clone())
                        .unwrap_or_else(|| "100644".into());
                    files.insert(path.clone(), (mode, sha));
                }
                None => {
                    files.remove(path);
                }
            }
        }
        let tree = self.write_flat(&files);
        let sha = self.put(Object::Commit(CommitObject {
            tree,
            parents: parent.into_iter().collect(),
            message: message.into(),
        }));
        self.refs.insert(key, sha.clone());
        Ok(sha)
    }

    /// The newest first-parent ancestor of `commit` (itself included) that changed `path` (GitLab's
    /// `last_for_path`); `None` when `path` does not exist there.
    pub fn last_commit_for_path(&self, commit: &str, path: &str) -> Option<String> {
        let blob_at = |c: &str| {
            let tree = self.commit(c)?.tree.clone();
            self.flat(&tree).remove(path).map(|(_, sha)| sha)
        };
        let mut cur = commit.to_string();
        let mine = blob_at(&cur)?;
        loop {
            let parent = self.commit(&cur)?.parents.first().cloned();
            match parent {
                Some(p) if blob_at(&p).as_ref() == Some(&mine) => cur = p,
                _ => return Some(cur),
            }
        }
    }

    /// Whether `ancestor` is reachable from `commit` (for fast-forward checks).
    pub fn is_ancestor(&self, ancestor: &str, commit: &str) -> bool {
        let mut stack = vec![commit.to_string()];
        let mut seen = std::collections::HashSet::new();
        while let Some(c) = stack.pop() {
            if c == ancestor {
                return true;
            }
            if !seen.insert(c.clone()) {
                continue;
            }
            if let Some(obj) = self.commit(&c) {
                stack.extend(obj.parents.iter().cloned());
            }
        }
        false
    }
}
