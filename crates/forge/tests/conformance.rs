//! Every trait operation against the three implementations: local git repositories, the fake GitHub
//! and the fake GitLab (real clients over HTTP on 127.0.0.1).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chainproof_forge::fake::{FakeGithub, FakeGitlab, FakeServer};
use chainproof_forge::{
    ChangeRequest, CommitRequest, FileChange, Forge, ForgeConfig, GITLAB_PIPELINE_CHECK,
    LocalForge, Protection, blob_sha, connect,
};

const SEED: &[(&str, &str)] = &[
    ("README.md", "# app\n"),
    ("old.txt", "to be deleted\n"),
    ("src/main.rs", "fn main() {}\n"),
];

fn change(path: &str, content: Option<&str>) -> FileChange {
    FileChange {
        path: path.into(),
        content: content.map(str::to_string),
    }
}

/// Runs the shared scenario; returns (old main head, new main commit) for the caller's parent check.
async fn scenario(forge: &dyn Forge, repo: &str) -> (String, String, String) {
    // Inventory.
    let repos = forge.list_repositories("acme").await.expect("list");
    let app = repos
        .iter()
        .find(|r| r.full_name == repo)
        .unwrap_or_else(|| panic!("{repo} listed in {repos:?}"));
    assert_eq!(app.topics, vec!["rust".to_string()]);
    assert!(!app.archived);
    let r = forge.repository(repo).await.expect("repository");
    assert_eq!(r.default_branch, "main");

    // Tree: blob ids are git's.
    let tree = forge
        .tree(repo, "main")
        .await
        .expect("tree")
        .expect("main exists");
    let expected: BTreeMap<String, String> = SEED
        .iter()
        .map(|(p, c)| (p.to_string(), blob_sha(c.as_bytes())))
        .collect();
    assert_eq!(tree.files, expected);
    assert!(!tree.commit.is_empty());
    assert!(
        forge
            .tree(repo, "no-such-branch")
            .await
            .expect("tree")
            .is_none()
    );

    // Read.
    assert_eq!(
        forge
            .read_file(repo, "main", "src/main.rs")
            .await
            .expect("read")
            .as_deref(),
        Some("fn main() {}\n")
    );
    assert_eq!(
        forge
            .read_file(repo, "main", "missing.txt")
            .await
            .expect("read"),
        None
    );

    // One multi-file commit on main: update, create nested, delete.
    let old_tree = tree.commit.clone();
    let new = forge
        .commit(&CommitRequest {
            repo: repo.into(),
            branch: "main".into(),
            base: None,
            message: "chainproof: pipelines".into(),
            files: vec![
                change("README.md", Some("# app\nsecured\n")),
                change(".github/workflows/ci.yml", Some("on: push\n")),
                change("old.txt", None),
            ],
        })
        .await
        .expect("commit");
    let after = forge.tree(repo, "main").await.expect("tree").expect("main");
    assert_ne!(after.commit, old_tree);
    let want: BTreeMap<String, String> = [
        ("README.md", "# app\nsecured\n"),
        (".github/workflows/ci.yml", "on: push\n"),
        ("src/main.rs", "fn main() {}\n"),
    ]
    .iter()
    .map(|(p, c)| (p.to_string(), blob_sha(c.as_bytes())))
    .collect();
    assert_eq!(after.files, want);

    // Same content again: no new commit.
    let again = forge
        .commit(&CommitRequest {
            repo: repo.into(),
            branch: "main".into(),
            base: None,
            message: "no-op".into(),
            files: vec![change("README.md", Some("# app\nsecured\n"))],
        })
        .await
        .expect("no-op commit");
    assert_eq!(again, new, "an unchanged commit must return the head");

    // New branch from base.
    let branch_commit = forge
        .commit(&CommitRequest {
            repo: repo.into(),
            branch: "chainproof/ci".into(),
            base: Some("main".into()),
            message: "chainproof: ci".into(),
            files: vec![change("ci.yml", Some("jobs: {}\n"))],
        })
        .await
        .expect("branch commit");
    let branch = forge
        .tree(repo, "chainproof/ci")
        .await
        .expect("tree")
        .expect("branch");
    assert_eq!(branch.files.get("ci.yml"), Some(&blob_sha(b"jobs: {}\n")));
    assert_eq!(branch.files.len(), 4);
    assert!(
        !forge
            .tree(repo, "main")
            .await
            .expect("tree")
            .expect("main")
            .files
            .contains_key("ci.yml")
    );

    // Change request: open, then update (no duplicate), then find.
    assert!(
        forge
            .find_change_request(repo, "chainproof/ci")
            .await
            .expect("find")
            .is_none()
    );
    let mut cr = ChangeRequest {
        repo: repo.into(),
        head: "chainproof/ci".into(),
        base: "main".into(),
        title: "Secure pipelines".into(),
        body: "first".into(),
    };
    let opened = forge.open_change_request(&cr).await.expect("open");
    assert_eq!(opened.state, "open");
    assert_eq!(opened.head, "chainproof/ci");
    cr.title = "Secure pipelines (v2)".into();
    let updated = forge.open_change_request(&cr).await.expect("update");
    assert_eq!(
        updated.number, opened.number,
        "updating must not open a second request"
    );
    let found = forge
        .find_change_request(repo, "chainproof/ci")
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.number, opened.number);
    assert_eq!(found.state, "open");

    // Protection.
    assert_eq!(
        forge.protection(repo, "main").await.expect("protection"),
        None
    );
    let p = Protection {
        branch: "main".into(),
        required_checks: vec!["chainproof-lint".into(), "chainproof-sbom".into()],
        require_signed_commits: true,
    };
    forge
        .set_protection(repo, &p)
        .await
        .expect("set protection");
    let got = forge
        .protection(repo, "main")
        .await
        .expect("protection")
        .expect("protected");
    if forge.kind() == "gitlab" {
        assert_eq!(got.required_checks, vec![GITLAB_PIPELINE_CHECK.to_string()]);
    } else {
        assert_eq!(got.required_checks, p.required_checks);
    }
    assert!(got.require_signed_commits);
    // Setting again updates in place.
    let p2 = Protection {
        require_signed_commits: false,
        ..p.clone()
    };
    forge
        .set_protection(repo, &p2)
        .await
        .expect("update protection");
    let got = forge
        .protection(repo, "main")
        .await
        .expect("protection")
        .expect("protected");
    assert!(!got.require_signed_commits);
    forge.remove_protection(repo, "main").await.expect("remove");
    assert_eq!(
        forge.protection(repo, "main").await.expect("protection"),
        None
    );

    // commit_new_files: an existing file with other content is refused, nothing is written; the same
    // content is fine. Checked on the branch, and on the base when the branch is missing.
    let before = forge.tree(repo, "main").await.expect("tree").expect("main");
    let seeded = before
        .files
        .keys()
        .next()
        .cloned()
        .expect("main has a file");
    for (branch, base) in [("main", None), ("chainproof/new", Some("main".to_string()))] {
        let err = forge
            .commit_new_files(&CommitRequest {
                repo: repo.into(),
                branch: branch.into(),
                base,
                message: "clobber".into(),
                files: vec![
                    change(&seeded, Some("other\n")),
                    change("new.txt", Some("n\n")),
                ],
            })
            .await
            .expect_err("an existing file with other content");
        assert!(
            matches!(&err, chainproof_forge::ForgeError::Conflict { message, .. }
                if message.starts_with(chainproof_forge::EXISTING_FILES) && message.contains(&seeded)),
            "{err}"
        );
    }
    assert_eq!(forge.tree(repo, "main").await.expect("tree"), Some(before));
    assert!(
        forge
            .tree(repo, "chainproof/new")
            .await
            .expect("tree")
            .is_none()
    );

    (old_tree, new, branch_commit)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A non-bare repository made with the git CLI, with a dirty worktree that must stay untouched.
fn init_worktree_repo(dir: &Path) {
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    git(dir, &["init", "--quiet", "--initial-branch", "main"]);
    for (p, c) in SEED {
        std::fs::write(dir.join(p), c).expect("write");
    }
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "--no-gpg-sign", "-m", "init"]);
}

#[tokio::test]
async fn local_forge_non_bare_and_bare() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let dir = root.join("acme/app");
    init_worktree_repo(&dir);
    std::fs::write(dir.join("untracked.txt"), "mine\n").expect("write");
    let forge = connect(&ForgeConfig {
        kind: "local".into(),
        root: Some(root.into()),
        ..Default::default()
    })
    .expect("connect");
    let local = LocalForge::new(root);
    local
        .set_metadata("acme/app", &["rust"], false, &BTreeMap::new())
        .await
        .expect("metadata");
    let old_head = git(&dir, &["rev-parse", "main"]);
    let (_, new, branch) = scenario(forge.as_ref(), "acme/app").await;

    // Exactly one new commit on main whose parent is the old head.
    assert_eq!(git(&dir, &["rev-parse", "main"]), new);
    assert_eq!(git(&dir, &["rev-parse", &format!("{new}^")]), old_head);
    assert_eq!(git(&dir, &["rev-list", "--count", "main"]), "2");
    assert_eq!(git(&dir, &["rev-parse", &format!("{branch}^")]), new);
    // The worktree and the repository's index were not touched.
    assert_eq!(
        std::fs::read_to_string(dir.join("old.txt")).expect("still there"),
        "to be deleted\n"
    );
    assert!(dir.join("untracked.txt").exists());
    assert_eq!(git(&dir, &["ls-files"]).lines().count(), 3);

    // A bare repository works the same way and is listed next to the other.
    local
        .create_repository("acme/bare", "main", &[("a.txt", "a\n")])
        .await
        .expect("bare repo");
    let listed: Vec<String> = forge
        .list_repositories("acme")
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.full_name)
        .collect();
    assert_eq!(
        listed,
        vec!["acme/app".to_string(), "acme/bare".to_string()]
    );
    let c = forge
        .commit(&CommitRequest {
            repo: "acme/bare".into(),
            branch: "main".into(),
            base: None,
            message: "two".into(),
            files: vec![change("b/c.txt", Some("c\n")), change("a.txt", None)],
        })
        .await
        .expect("commit to bare");
    let tree = forge
        .tree("acme/bare", "main")
        .await
        .expect("tree")
        .expect("main");
    assert_eq!(tree.commit, c);
    assert_eq!(tree.files.keys().collect::<Vec<_>>(), vec!["b/c.txt"]);

    // Protections and change requests are recorded where the module doc says.
    assert!(root.join(".chainproof/protections.json").exists());
    assert!(dir.join(".git/chainproof/change-requests.json").exists());
}

#[tokio::test]
async fn local_forge_refuses_bad_input() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let local = LocalForge::new(tmp.path());
    local
        .create_repository("acme/app", "main", &[("a", "a")])
        .await
        .expect("repo");
    let bad = local
        .commit(&CommitRequest {
            repo: "acme/app".into(),
            branch: "main".into(),
            base: None,
            message: "x".into(),
            files: vec![change("../escape", Some("x"))],
        })
        .await
        .expect_err("path traversal refused");
    assert!(bad.to_string().contains("../escape"), "{bad}");
    let missing = local
        .tree("acme/none", "main")
        .await
        .expect_err("missing repo");
    assert!(missing.to_string().contains("acme/none"), "{missing}");
    let no_base = local
        .commit(&CommitRequest {
            repo: "acme/app".into(),
            branch: "feature".into(),
            base: Some("nope".into()),
            message: "x".into(),
            files: vec![change("a", Some("b"))],
        })
        .await
        .expect_err("missing base");
    assert!(no_base.to_string().contains("acme/app@nope"), "{no_base}");
}

fn http_forge(kind: &str, server: &FakeServer) -> Box<dyn Forge> {
    connect(&ForgeConfig {
        kind: kind.into(),
        base_url: Some(server.url().into()),
        token: Some("test-token".into()),
        concurrency: 4,
        ..Default::default()
    })
    .expect("connect")
}

async fn fake_scenario(kind: &str, server: FakeServer) {
    let state = server.state().clone();
    let old_head = state.create_repo("acme/app", SEED);
    state.set_topics("acme/app", &["rust"]);
    state.create_repo("acme/other", &[("x", "y")]);
    let forge = http_forge(kind, &server);
    // Warm up (GitLab's client checks the token once), then count.
    forge.repository("acme/app").await.expect("repository");
    state.reset_requests();
    let tree = forge.tree("acme/app", "main").await.expect("tree");
    assert!(tree.is_some());
    assert_eq!(
        state.requests(),
        1,
        "a tree listing is one request: {:?}",
        state.request_counts()
    );

    let (_, new, branch) = scenario(forge.as_ref(), "acme/app").await;
    assert_eq!(
        state.head("acme/app", "main").as_deref(),
        Some(new.as_str())
    );
    assert_eq!(state.parents("acme/app", &new), vec![old_head]);
    assert_eq!(
        state.commit_count("acme/app", "main"),
        2,
        "exactly one new commit"
    );
    assert_eq!(state.parents("acme/app", &branch), vec![new]);
    assert_eq!(state.change_requests("acme/app").len(), 1);
    assert_eq!(
        state.change_requests("acme/app")[0].3,
        "Secure pipelines (v2)"
    );

    // Commit cost on an existing branch.
    state.reset_requests();
    forge
        .commit(&CommitRequest {
            repo: "acme/app".into(),
            branch: "main".into(),
            base: None,
            message: "more".into(),
            files: vec![change("a.txt", Some("a\n")), change("b.txt", Some("b\n"))],
        })
        .await
        .expect("commit");
    let cost = state.requests();
    // GitHub: branch, tree, commit, ref (the parent's listing comes from the cached `tree` read above);
    // GitLab: branch, listing, commit.
    let limit = if kind == "github" { 4 } else { 3 };
    assert!(
        cost <= limit,
        "commit took {cost} requests: {:?}",
        state.request_counts()
    );
}

#[tokio::test]
async fn github_against_fake() {
    fake_scenario("github", FakeGithub::start().await).await;
}

#[tokio::test]
async fn gitlab_against_fake() {
    fake_scenario("gitlab", FakeGitlab::start().await).await;
}

async fn many_repos(kind: &str, server: FakeServer) {
    for i in 0..150 {
        server
            .state()
            .create_repo(&format!("acme/r{i:03}"), &[("f", "x")]);
    }
    server.state().create_repo("other/x", &[("f", "x")]);
    let forge = http_forge(kind, &server);
    let repos = forge.list_repositories("acme").await.expect("list");
    assert_eq!(repos.len(), 150);
    assert!(repos.iter().all(|r| r.full_name.starts_with("acme/")));
}

#[tokio::test]
async fn github_pagination_over_100_repositories() {
    let server = FakeGithub::start().await;
    let state = server.state().clone();
    many_repos("github", server).await;
    assert_eq!(state.requests_matching("/orgs/{org}/repos"), 2);
}

#[tokio::test]
async fn gitlab_pagination_over_100_projects() {
    let server = FakeGitlab::start().await;
    let state = server.state().clone();
    many_repos("gitlab", server).await;
    assert_eq!(state.requests_matching("/groups/{group}/projects"), 2);
}

#[tokio::test]
async fn fake_requires_a_token_and_answers_conditional_requests() {
    let server = FakeGithub::start().await;
    server.state().create_repo("acme/app", SEED);
    let anonymous = connect(&ForgeConfig {
        kind: "github".into(),
        base_url: Some(server.url().into()),
        ..Default::default()
    })
    .expect("connect");
    let err = anonymous.tree("acme/app", "main").await.expect_err("401");
    assert!(
        matches!(err, chainproof_forge::ForgeError::Auth { .. }),
        "{err:?}"
    );

    let forge = http_forge("github", &server);
    let first = forge.tree("acme/app", "main").await.expect("tree");
    let second = forge.tree("acme/app", "main").await.expect("tree");
    assert_eq!(first, second);
    assert_eq!(
        server.state().not_modified(),
        1,
        "the second listing is a 304"
    );
}
