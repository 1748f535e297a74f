//! Pull request mode on GitHub and GitLab, updates that write nothing, refusing to overwrite, 404s on
//! refresh, platform checks and `chainproof_required_checks` on the fakes, all with the real Terraform CLI.

use chainproof_forge::fake::{FakeGithub, FakeGitlab, FakeServer};
use chainproof_forge::{ForgeConfig, LocalForge};

use crate::support::{Tf, rendered, values_hcl};

const TEMPLATE: &str = "github-rust";

fn provider(kind: &str, server: &FakeServer) -> String {
    format!(
        "provider \"chainproof\" {{\n  forge    = \"{kind}\"\n  base_url = \"{}\"\n}}\n",
        server.url()
    )
}

fn pipeline(name: &str, repo: &str, template: &str, extra: &str) -> String {
    let values = values_hcl(template);
    format!(
        r#"
resource "chainproof_repository_pipeline" "{name}" {{
  repository = "{repo}"
  branch     = "main"
  template   = "{template}"
  values     = {values}
{extra}
}}
"#
    )
}

fn github_env() -> [(&'static str, &'static str); 1] {
    [("GITHUB_TOKEN", "test-token")]
}

/// Only `commit_message` changes after main moved on: nothing is written, and the result is what was
/// planned (before, apply returned main's new head: "Provider produced inconsistent result").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_message_only_update_writes_nothing() {
    let server = FakeGithub::start().await;
    let state = server.state().clone();
    state.create_repo("acme/api", &[("README.md", "hello\n")]);
    let base = provider("github", &server);
    let tf = Tf::new(
        &(base.clone() + &pipeline("api", "acme/api", TEMPLATE, "  mode = \"commit\"")),
        &github_env(),
    );
    tf.apply().await;
    let commits = state.commit_count("acme/api", "main");
    // Someone else commits to main.
    state.push_file("acme/api", "main", "README.md", "changed\n");
    tf.write(
        &(base
            + &pipeline(
                "api",
                "acme/api",
                TEMPLATE,
                "  mode = \"commit\"\n  commit_message = \"ci: chainproof\"",
            )),
    );
    let text = tf.plan(2).await;
    assert!(text.contains("1 to change"), "{text}");
    state.reset_requests();
    tf.apply().await;
    // The refresh lists the tree once; the update itself sends nothing.
    assert_eq!(state.requests(), 1, "{:?}", state.request_counts());
    assert_eq!(state.commit_count("acme/api", "main"), commits + 1);
    tf.plan(0).await;
}

/// Pull request mode: an open pull request is not drift; once merged or closed, main is the truth.
/// Drift on main is proposed again; destroy proposes the removal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_request_mode_drift_update_destroy_on_github() {
    let server = FakeGithub::start().await;
    let state = server.state().clone();
    state.create_repo("acme/api", &[("README.md", "hello\n")]);
    let base = provider("github", &server);
    let tf = Tf::new(
        &(base.clone() + &pipeline("api", "acme/api", TEMPLATE, "")),
        &github_env(),
    );
    tf.apply().await;
    let head = format!("chainproof/{TEMPLATE}");
    let expected = rendered(TEMPLATE);
    assert_eq!(state.change_requests("acme/api").len(), 1);
    state.reset_requests();
    tf.plan(0).await;
    // main differs: tree of main, the change request, tree of the head branch.
    assert_eq!(state.requests(), 3, "{:?}", state.request_counts());

    // Merged without the files reaching main (e.g. reverted, or closed): drift, not hidden by the branch.
    state.set_change_request_state("acme/api", 1, "merged");
    let text = tf.plan(2).await;
    assert!(text.contains("changed outside of Terraform"), "{text}");

    // A real merge: main holds the files; clean, and one request.
    for (path, content) in &expected {
        state.push_file("acme/api", "main", path, content);
    }
    state.reset_requests();
    tf.plan(0).await;
    assert_eq!(state.requests(), 1, "{:?}", state.request_counts());

    // Drift on main after the merge: proposed again in a new pull request.
    let workflow = expected.keys().next().expect("a file").clone();
    state.push_file("acme/api", "main", &workflow, "name: tampered\n");
    let text = tf.plan(2).await;
    assert!(text.contains("changed outside of Terraform"), "{text}");
    tf.apply().await;
    let prs = state.change_requests("acme/api");
    assert_eq!(prs.len(), 2, "{prs:?}");
    assert_eq!(prs[1].4, "open");
    assert_eq!(
        state.file("acme/api", &head, &workflow).as_ref(),
        expected.get(&workflow)
    );
    tf.plan(0).await;

    // Update (another message) changes nothing remotely.
    tf.write(
        &(base
            + &pipeline(
                "api",
                "acme/api",
                TEMPLATE,
                "  commit_message = \"ci: chainproof\"",
            )),
    );
    tf.apply().await;
    assert_eq!(state.change_requests("acme/api").len(), 2);

    // Destroy: the removal goes through the pull request branch; main is untouched until it merges.
    tf.expect(&["destroy", "-input=false", "-auto-approve"], 0)
        .await;
    let on_head = state.files("acme/api", &head);
    assert!(
        expected.keys().all(|p| !on_head.contains_key(p)),
        "{on_head:?}"
    );
    assert!(state.files("acme/api", "main").contains_key(&workflow));
}

/// GitLab merge request mode, and pull request mode with nothing to change (after an import): no empty
/// merge request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_request_mode_on_gitlab_and_no_empty_request() {
    let server = FakeGitlab::start().await;
    let state = server.state().clone();
    let template = "gitlab-rust";
    let expected = rendered(template);
    state.create_repo("acme/api", &[("README.md", "hello\n")]);
    let seeded: Vec<(&str, &str)> = expected
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .chain([("README.md", "hello\n")])
        .collect();
    state.create_repo("acme/web", &seeded);
    let config = provider("gitlab", &server)
        + &pipeline("api", "acme/api", template, "")
        + &pipeline("web", "acme/web", template, "");
    let tf = Tf::new(&config, &[("GITLAB_TOKEN", "test-token")]);
    let path = expected.keys().next().expect("a file").clone();
    tf.expect(
        &[
            "import",
            "-input=false",
            "chainproof_repository_pipeline.web",
            &format!("acme/web:{path}"),
        ],
        0,
    )
    .await;
    tf.apply().await;
    let head = format!("chainproof/{template}");
    let mrs = state.change_requests("acme/api");
    assert_eq!(mrs.len(), 1, "{mrs:?}");
    assert_eq!(
        (mrs[0].1.as_str(), mrs[0].2.as_str()),
        (head.as_str(), "main")
    );
    for (p, c) in &expected {
        assert_eq!(state.file("acme/api", &head, p).as_ref(), Some(c));
    }
    let show = tf
        .expect(&["state", "show", "chainproof_repository_pipeline.api"], 0)
        .await;
    assert!(show.contains("merge_requests/1"), "{show}");
    // acme/web already had the rendering: no merge request, no branch.
    assert!(state.change_requests("acme/web").is_empty());
    assert!(state.head("acme/web", &head).is_none());
    tf.plan(0).await;
}

/// Create never overwrites a file the repository already has with other content (and so destroy can
/// never delete it): an error at `template` pointing to `terraform import`, in both modes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_refuses_to_overwrite_existing_files() {
    let server = FakeGithub::start().await;
    let state = server.state().clone();
    let expected = rendered(TEMPLATE);
    let path = expected.keys().next().expect("a file").clone();
    for repo in ["acme/api", "acme/web"] {
        state.create_repo(repo, &[(path.as_str(), "name: mine\n")]);
    }
    let config = provider("github", &server)
        + &pipeline("api", "acme/api", TEMPLATE, "  mode = \"commit\"")
        + &pipeline("web", "acme/web", TEMPLATE, "");
    let tf = Tf::new(&config, &github_env());
    let out = tf
        .expect(&["apply", "-input=false", "-auto-approve"], 1)
        .await;
    assert!(
        out.contains("already has files this template renders"),
        "{out}"
    );
    assert!(out.contains("terraform import"), "{out}");
    assert!(out.contains(&path), "{out}");
    for repo in ["acme/api", "acme/web"] {
        assert_eq!(
            state.file(repo, "main", &path).as_deref(),
            Some("name: mine\n")
        );
        assert!(state.change_requests(repo).is_empty());
    }
}

/// A 404 on refresh drops the resource only when the repository is gone too; a missing branch of an
/// existing repository is an error, never a silent removal from the state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_on_refresh_needs_the_repository_gone() {
    let server = FakeGithub::start().await;
    let state = server.state().clone();
    for repo in ["acme/api", "acme/web"] {
        state.create_repo(repo, &[("README.md", "hello\n")]);
    }
    let config = provider("github", &server)
        + &pipeline("api", "acme/api", TEMPLATE, "  mode = \"commit\"")
        + &pipeline("web", "acme/web", TEMPLATE, "  mode = \"commit\"");
    let tf = Tf::new(&config, &github_env());
    tf.apply().await;
    let refs = state.with_model(|m| {
        m.repos.remove("acme/web");
        m.repo_mut("acme/api")
            .map(|r| std::mem::take(&mut r.refs))
            .unwrap_or_default()
    });
    let out = tf.plan(1).await;
    assert!(out.contains("listing acme/api main failed"), "{out}");
    // Once the branch is back, only the deleted repository is gone from the state.
    state.with_model(|m| {
        if let Some(r) = m.repo_mut("acme/api") {
            r.refs = refs;
        }
    });
    let out = tf.plan(2).await;
    assert!(out.contains("Plan: 1 to add, 0 to change"), "{out}");
}

/// A GitLab template on GitHub (and the other way round) is refused at plan, at `template`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_platform_must_match_the_forge() {
    let server = FakeGithub::start().await;
    server
        .state()
        .create_repo("acme/api", &[("README.md", "hello\n")]);
    let config = provider("github", &server) + &pipeline("api", "acme/api", "gitlab-rust", "");
    let tf = Tf::new(&config, &github_env());
    let out = tf.plan(1).await;
    assert!(
        out.contains("template \"gitlab-rust\" is for gitlab"),
        "{out}"
    );
    assert!(server.state().change_requests("acme/api").is_empty());
}

/// `mode` unknown at plan: `pull_request_branch` is unknown too, and settles to null in commit mode
/// (before, it was planned `chainproof/<template>` and every later plan showed a change).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_mode_settles_pull_request_branch() {
    let root = tempfile::tempdir().expect("tempdir");
    let forge = LocalForge::new(root.path());
    for repo in ["acme/api", "acme/web"] {
        forge
            .create_repository(repo, "main", &[("README.md", "hello\n")])
            .await
            .expect("create");
    }
    let config = format!(
        "provider \"chainproof\" {{\n  root = \"{}\"\n}}\n",
        root.path().display()
    ) + &pipeline("api", "acme/api", TEMPLATE, "  mode = \"commit\"")
        + &pipeline(
            "web",
            "acme/web",
            TEMPLATE,
            "  mode = chainproof_repository_pipeline.api.commit == \"\" ? \"pull_request\" : \"commit\"",
        );
    let tf = Tf::new(&config, &[]);
    tf.apply().await;
    tf.plan(0).await;
}

fn checks(extra: &str) -> String {
    format!(
        r#"
resource "chainproof_required_checks" "api" {{
  repository = "acme/api"
  branch     = "main"
  checks     = ["chainproof / lint", "chainproof / scan"]
{extra}
}}
"#
    )
}

async fn protection(server: &FakeServer, kind: &str) -> Option<chainproof_forge::Protection> {
    let forge = chainproof_forge::connect(&ForgeConfig {
        kind: kind.into(),
        base_url: Some(server.url().into()),
        token: Some("test-token".into()),
        ..ForgeConfig::default()
    })
    .expect("client");
    forge
        .protection("acme/api", "main")
        .await
        .expect("protection")
}

/// `chainproof_required_checks` on the fake GitHub (a ruleset): create, clean plan, import with an
/// explicit `require_signed_commits = false` (no spurious difference), drift, destroy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_checks_on_fake_github() {
    let server = FakeGithub::start().await;
    server
        .state()
        .create_repo("acme/api", &[("README.md", "hello\n")]);
    let tf = Tf::new(
        &(provider("github", &server) + &checks("  require_signed_commits = false")),
        &github_env(),
    );
    tf.apply().await;
    let p = protection(&server, "github").await.expect("a ruleset");
    assert_eq!(
        p.required_checks,
        ["chainproof / lint", "chainproof / scan"]
    );
    assert!(!p.require_signed_commits);
    tf.plan(0).await;
    tf.expect(&["state", "rm", "chainproof_required_checks.api"], 0)
        .await;
    tf.expect(
        &[
            "import",
            "-input=false",
            "chainproof_required_checks.api",
            "acme/api:main",
        ],
        0,
    )
    .await;
    tf.plan(0).await;
    // Loosened outside Terraform.
    server.state().with_model(|m| {
        if let Some(r) = m.repo_mut("acme/api") {
            r.rulesets.clear();
        }
    });
    let text = tf.plan(2).await;
    assert!(text.contains("1 to add"), "{text}");
    tf.apply().await;
    tf.expect(&["destroy", "-input=false", "-auto-approve"], 0)
        .await;
    assert!(protection(&server, "github").await.is_none());
}

/// On the fake GitLab (a protected branch): GitLab reads back `["pipeline"]`, which must not show as a
/// difference from the configured job names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_checks_on_fake_gitlab() {
    let server = FakeGitlab::start().await;
    server
        .state()
        .create_repo("acme/api", &[("README.md", "hello\n")]);
    let tf = Tf::new(
        &(provider("gitlab", &server) + &checks("  require_signed_commits = true")),
        &[("GITLAB_TOKEN", "test-token")],
    );
    tf.apply().await;
    let p = protection(&server, "gitlab").await.expect("protected");
    assert_eq!(p.required_checks, [chainproof_forge::GITLAB_PIPELINE_CHECK]);
    assert!(p.require_signed_commits);
    tf.plan(0).await;
    tf.expect(&["destroy", "-input=false", "-auto-approve"], 0)
        .await;
    assert!(protection(&server, "gitlab").await.is_none());
}
