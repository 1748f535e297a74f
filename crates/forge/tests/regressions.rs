//! Regressions found in review, each against the fake servers (or local git repositories): protection
//! removal restores only what chainproof changed, commits that delete absent files or touch executable
//! ones, concurrent edits, fork merge requests, shared projects, private user repositories, orphan
//! commits and hostile paths.

use chainproof_forge::fake::model::{CommitObject, Object, Pull};
use chainproof_forge::fake::{FakeGithub, FakeGitlab, FakeServer};
use chainproof_forge::{
    ChangeRequest, CommitRequest, FileChange, Forge, ForgeConfig, ForgeError, LocalForge,
    Protection, connect,
};
use serde_json::json;

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

fn change(path: &str, content: Option<&str>) -> FileChange {
    FileChange {
        path: path.into(),
        content: content.map(str::to_string),
    }
}

fn commit_req(branch: &str, base: Option<&str>, files: Vec<FileChange>) -> CommitRequest {
    CommitRequest {
        repo: "acme/app".into(),
        branch: branch.into(),
        base: base.map(str::to_string),
        message: "chainproof".into(),
        files,
    }
}

#[tokio::test]
async fn gitlab_remove_protection_restores_only_what_chainproof_changed() {
    let server = FakeGitlab::start().await;
    let state = server.state().clone();
    state.create_repo("acme/app", &[("README.md", "x\n")]);
    state.push_file("acme/app", "release", "r.txt", "r\n");
    // The owners protected main, require pipelines and signed commits already.
    state.with_model(|m| {
        let r = m.repo_mut("acme/app").expect("repo");
        r.protected_branches.insert(
            "main".into(),
            json!({"name": "main", "push_access_levels": [{"access_level": 30}]}),
        );
        r.only_allow_merge_if_pipeline_succeeds = true;
        r.push_rule = Some(json!({"id": 1, "reject_unsigned_commits": true}));
    });
    let forge = http_forge("gitlab", &server);

    // Nothing recorded: removing changes nothing.
    forge
        .remove_protection("acme/app", "main")
        .await
        .expect("remove without record");
    assert!(state.with_model(|m| {
        m.repo("acme/app")
            .expect("repo")
            .protected_branches
            .contains_key("main")
    }));

    let p = Protection {
        branch: "main".into(),
        required_checks: vec!["ci".into()],
        require_signed_commits: false,
    };
    forge
        .set_protection("acme/app", &p)
        .await
        .expect("set main");
    forge
        .set_protection(
            "acme/app",
            &Protection {
                branch: "release".into(),
                ..p.clone()
            },
        )
        .await
        .expect("set release");
    let (protected, pipeline, signed) = state.with_model(|m| {
        let r = m.repo("acme/app").expect("repo");
        (
            r.protected_branches.keys().cloned().collect::<Vec<_>>(),
            r.only_allow_merge_if_pipeline_succeeds,
            r.push_rule
                .as_ref()
                .map(|p| p["reject_unsigned_commits"] == json!(true)),
        )
    });
    assert_eq!(protected, vec!["main".to_string(), "release".to_string()]);
    assert!(pipeline);
    assert_eq!(signed, Some(false), "set turns signing off as asked");
    // The owners' access levels on main were left alone.
    assert_eq!(
        state.with_model(|m| {
            m.repo("acme/app").expect("repo").protected_branches["main"]
            ["push_access_levels"][0]["access_level"]
            .clone()
        }),
        json!(30)
    );

    forge
        .remove_protection("acme/app", "release")
        .await
        .expect("remove release");
    forge
        .remove_protection("acme/app", "main")
        .await
        .expect("remove main");
    let (protected, pipeline, signed, variables) = state.with_model(|m| {
        let r = m.repo("acme/app").expect("repo");
        (
            r.protected_branches.keys().cloned().collect::<Vec<_>>(),
            r.only_allow_merge_if_pipeline_succeeds,
            r.push_rule
                .as_ref()
                .map(|p| p["reject_unsigned_commits"] == json!(true)),
            r.variables.len(),
        )
    });
    assert_eq!(
        protected,
        vec!["main".to_string()],
        "main was protected before chainproof and stays; release was chainproof's"
    );
    assert!(pipeline, "the pipeline requirement existed before");
    assert_eq!(signed, Some(true), "signed commits were required before");
    assert_eq!(variables, 0, "the record is gone");
}

#[tokio::test]
async fn gitlab_project_settings_are_restored_only_after_the_last_branch() {
    let server = FakeGitlab::start().await;
    let state = server.state().clone();
    state.create_repo("acme/app", &[("README.md", "x\n")]);
    state.push_file("acme/app", "release", "r.txt", "r\n");
    let forge = http_forge("gitlab", &server);
    let p = Protection {
        branch: "main".into(),
        required_checks: vec!["ci".into()],
        require_signed_commits: false,
    };
    forge.set_protection("acme/app", &p).await.expect("main");
    let release = Protection {
        branch: "release".into(),
        ..p.clone()
    };
    forge
        .set_protection("acme/app", &release)
        .await
        .expect("release");
    forge
        .remove_protection("acme/app", "main")
        .await
        .expect("remove main");
    assert_eq!(
        forge.protection("acme/app", "release").await.expect("read"),
        Some(Protection {
            required_checks: vec!["pipeline".into()],
            ..release.clone()
        }),
        "release still needs its pipeline"
    );
    forge
        .remove_protection("acme/app", "release")
        .await
        .expect("remove release");
    assert!(!state.with_model(|m| {
        m.repo("acme/app")
            .expect("repo")
            .only_allow_merge_if_pipeline_succeeds
    }));
    assert_eq!(
        forge.protection("acme/app", "release").await.expect("read"),
        None
    );
}

/// Makes `path` executable on `main` (one commit).
fn make_executable(server: &FakeServer, path: &str) {
    server.state().with_model(|m| {
        let r = m.repo_mut("acme/app").expect("repo");
        let head = r.refs["heads/main"].clone();
        let tree = r.commit(&head).expect("commit").tree.clone();
        let mut files = r.flat(&tree);
        files.get_mut(path).expect("file").0 = "100755".into();
        let tree = r.write_flat(&files);
        let c = r.put(Object::Commit(CommitObject {
            tree,
            parents: vec![head],
            message: "chmod +x".into(),
        }));
        r.refs.insert("heads/main".into(), c);
    });
}

fn mode_of(server: &FakeServer, path: &str) -> Option<String> {
    server.state().with_model(|m| {
        let r = m.repo("acme/app")?;
        let tree = r.commit(&r.refs["heads/main"])?.tree.clone();
        r.flat(&tree).remove(path).map(|(mode, _)| mode)
    })
}

#[tokio::test]
async fn github_commit_skips_absent_deletions_and_keeps_executable_modes() {
    let server = FakeGithub::start().await;
    server
        .state()
        .create_repo("acme/app", &[("run.sh", "echo 1\n"), ("old.txt", "o\n")]);
    make_executable(&server, "run.sh");
    let forge = http_forge("github", &server);
    let new = forge
        .commit(&commit_req(
            "main",
            None,
            vec![
                change("run.sh", Some("echo 2\n")),
                change("never-existed.yml", None),
                change("old.txt", None),
            ],
        ))
        .await
        .expect("deleting an absent file is not an error");
    assert_eq!(
        server.state().head("acme/app", "main").as_deref(),
        Some(new.as_str())
    );
    assert_eq!(mode_of(&server, "run.sh").as_deref(), Some("100755"));
    assert_eq!(
        server
            .state()
            .files("acme/app", "main")
            .into_keys()
            .collect::<Vec<_>>(),
        vec!["run.sh".to_string()]
    );
    // Only deletions of absent files: no commit at all.
    let again = forge
        .commit(&commit_req("main", None, vec![change("gone.txt", None)]))
        .await
        .expect("no-op");
    assert_eq!(again, new);
    assert_eq!(server.state().commit_count("acme/app", "main"), 3);
}

#[tokio::test]
async fn github_protection_reads_only_our_ruleset() {
    let server = FakeGithub::start().await;
    server.state().create_repo("acme/app", &[("a", "a")]);
    server.state().with_model(|m| {
        let r = m.repo_mut("acme/app").expect("repo");
        r.rulesets.push(json!({
            "id": 77, "name": "org policy", "target": "branch", "enforcement": "active",
            "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
            "rules": [{"type": "required_signatures"},
                      {"type": "required_status_checks", "parameters": {"required_status_checks": [{"context": "theirs"}]}}],
        }));
        r.next_ruleset = 78;
    });
    let forge = http_forge("github", &server);
    assert_eq!(
        forge.protection("acme/app", "main").await.expect("read"),
        None,
        "someone else's ruleset is not ours"
    );
    let p = Protection {
        branch: "main".into(),
        required_checks: vec!["ours".into()],
        require_signed_commits: false,
    };
    forge.set_protection("acme/app", &p).await.expect("set");
    assert_eq!(
        forge.protection("acme/app", "main").await.expect("read"),
        Some(p.clone()),
        "no drift from the other ruleset"
    );
    forge
        .remove_protection("acme/app", "main")
        .await
        .expect("remove");
    assert_eq!(
        forge.protection("acme/app", "main").await.expect("read"),
        None
    );
    assert_eq!(
        server
            .state()
            .with_model(|m| m.repo("acme/app").expect("repo").rulesets.len()),
        1,
        "the other ruleset stays"
    );
}

#[tokio::test]
async fn gitlab_change_requests_from_forks_are_not_ours() {
    let server = FakeGitlab::start().await;
    let state = server.state().clone();
    state.create_repo("acme/app", &[("a", "a")]);
    state.push_file("acme/app", "chainproof/ci", "ci.yml", "x\n");
    state.with_model(|m| {
        m.repo_mut("acme/app").expect("repo").pulls.push(Pull {
            number: 1,
            head: "chainproof/ci".into(),
            base: "main".into(),
            title: "from a fork".into(),
            body: String::new(),
            state: "open".into(),
            source_project: Some(999),
        });
    });
    let forge = http_forge("gitlab", &server);
    assert_eq!(
        forge
            .find_change_request("acme/app", "chainproof/ci")
            .await
            .expect("find"),
        None
    );
    let opened = forge
        .open_change_request(&ChangeRequest {
            repo: "acme/app".into(),
            head: "chainproof/ci".into(),
            base: "main".into(),
            title: "ours".into(),
            body: String::new(),
        })
        .await
        .expect("open");
    assert_eq!(opened.number, 2);
    let titles: Vec<String> = state
        .change_requests("acme/app")
        .into_iter()
        .map(|c| c.3)
        .collect();
    assert_eq!(
        titles,
        vec!["from a fork".to_string(), "ours".to_string()],
        "the fork's MR was not edited"
    );
}

#[tokio::test]
async fn gitlab_group_listing_leaves_out_shared_projects() {
    let server = FakeGitlab::start().await;
    let state = server.state().clone();
    state.create_repo("acme/app", &[("a", "a")]);
    state.create_repo("other/lib", &[("a", "a")]);
    state.with_model(|m| {
        m.repo_mut("other/lib")
            .expect("repo")
            .shared_with
            .push("acme".into())
    });
    let forge = http_forge("gitlab", &server);
    let names: Vec<String> = forge
        .list_repositories("acme")
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.full_name)
        .collect();
    assert_eq!(names, vec!["acme/app".to_string()]);
}

#[tokio::test]
async fn gitlab_commit_does_not_overwrite_a_concurrent_edit() {
    let server = FakeGitlab::start().await;
    let state = server.state().clone();
    state.create_repo("acme/app", &[("README.md", "v1\n"), ("other.txt", "o\n")]);
    let forge = http_forge("gitlab", &server);
    forge.repository("acme/app").await.expect("warm up");

    // Someone edits README.md between our listing and our commit.
    state.before_next_write(|m| {
        m.repo_mut("acme/app")
            .expect("repo")
            .commit_files(
                "main",
                None,
                "manual",
                &[("README.md".into(), Some("manual\n".into()))],
            )
            .expect("manual edit");
    });
    let err = forge
        .commit(&commit_req(
            "main",
            None,
            vec![change("README.md", Some("ours\n"))],
        ))
        .await
        .expect_err("conflict");
    assert!(matches!(err, ForgeError::Conflict { .. }), "{err:?}");
    assert_eq!(
        state.file("acme/app", "main", "README.md").as_deref(),
        Some("manual\n")
    );

    // An edit of a file we do not touch is no conflict and is kept.
    state.before_next_write(|m| {
        m.repo_mut("acme/app")
            .expect("repo")
            .commit_files(
                "main",
                None,
                "manual",
                &[("other.txt".into(), Some("o2\n".into()))],
            )
            .expect("manual edit");
    });
    forge
        .commit(&commit_req(
            "main",
            None,
            vec![change("README.md", Some("ours\n"))],
        ))
        .await
        .expect("commit");
    assert_eq!(
        state.file("acme/app", "main", "README.md").as_deref(),
        Some("ours\n")
    );
    assert_eq!(
        state.file("acme/app", "main", "other.txt").as_deref(),
        Some("o2\n")
    );
}

#[tokio::test]
async fn github_lists_the_authenticated_users_private_repositories() {
    let server = FakeGithub::start().await;
    let state = server.state().clone();
    state.set_login("me");
    state.create_repo("me/secret", &[("a", "a")]);
    state.create_repo("me/open", &[("a", "a")]);
    state.create_repo("someone/secret", &[("a", "a")]);
    state.create_repo("someone/open", &[("a", "a")]);
    state.with_model(|m| {
        for name in ["me/open", "someone/open"] {
            m.repo_mut(name).expect("repo").visibility = "public".into();
        }
    });
    // `someone` is a user too (not an organisation) in this test.
    let forge = http_forge("github", &server);
    let mine: Vec<String> = forge
        .list_repositories("me")
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.full_name)
        .collect();
    assert_eq!(mine, vec!["me/open".to_string(), "me/secret".to_string()]);
}

#[tokio::test]
async fn commit_without_base_never_makes_an_orphan_branch() {
    for kind in ["github", "gitlab"] {
        let server = if kind == "github" {
            FakeGithub::start().await
        } else {
            FakeGitlab::start().await
        };
        server.state().create_repo("acme/app", &[("a", "a")]);
        let forge = http_forge(kind, &server);
        let err = forge
            .commit(&commit_req("feature", None, vec![change("b", Some("b"))]))
            .await
            .expect_err("no base");
        assert!(matches!(err, ForgeError::Invalid { .. }), "{kind}: {err:?}");
        assert_eq!(server.state().head("acme/app", "feature"), None, "{kind}");
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let local = LocalForge::new(tmp.path());
    local
        .create_repository("acme/app", "main", &[("a", "a")])
        .await
        .expect("repo");
    let err = local
        .commit(&commit_req("feature", None, vec![change("b", Some("b"))]))
        .await
        .expect_err("no base");
    assert!(matches!(err, ForgeError::Invalid { .. }), "local: {err:?}");
    // An empty repository still takes a root commit.
    local
        .create_repository("acme/empty", "main", &[])
        .await
        .expect("empty repo");
    local
        .commit(&CommitRequest {
            repo: "acme/empty".into(),
            ..commit_req("main", None, vec![change("b", Some("b"))])
        })
        .await
        .expect("root commit in an empty repository");
}

#[tokio::test]
async fn hostile_paths_are_refused_and_odd_ones_work_locally() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let local = LocalForge::new(tmp.path());
    local
        .create_repository("acme/app", "main", &[("README.md", "keep\n")])
        .await
        .expect("repo");
    let injected = "a\n0 0000000000000000000000000000000000000000\tREADME.md";
    let err = local
        .commit(&commit_req("main", None, vec![change(injected, Some("x"))]))
        .await
        .expect_err("control characters");
    assert!(matches!(err, ForgeError::Invalid { .. }), "{err:?}");
    let odd = "dir with space/\"quoted\" é.txt";
    local
        .commit(&commit_req("main", None, vec![change(odd, Some("odd\n"))]))
        .await
        .expect("odd but valid path");
    let tree = local
        .tree("acme/app", "main")
        .await
        .expect("tree")
        .expect("main");
    let paths: Vec<&String> = tree.files.keys().collect();
    assert_eq!(paths, vec![&"README.md".to_string(), &odd.to_string()]);
    assert_eq!(
        local
            .read_file("acme/app", "main", odd)
            .await
            .expect("read")
            .as_deref(),
        Some("odd\n")
    );
    for kind in ["github", "gitlab"] {
        let server = if kind == "github" {
            FakeGithub::start().await
        } else {
            FakeGitlab::start().await
        };
        server
            .state()
            .create_repo("acme/app", &[("README.md", "keep\n")]);
        let forge = http_forge(kind, &server);
        let err = forge
            .commit(&commit_req("main", None, vec![change(injected, Some("x"))]))
            .await
            .expect_err("control characters");
        assert!(matches!(err, ForgeError::Invalid { .. }), "{kind}: {err:?}");
    }
}
