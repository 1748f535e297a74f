//! plan / apply / no-change plan / drift / import / destroy with the real Terraform CLI, on the local
//! forge and on the fake GitHub and GitLab, with request counts from the fakes.

use std::collections::BTreeMap;

use chainproof_forge::fake::{FakeGithub, FakeGitlab, FakeServer};
use chainproof_forge::{CommitRequest, FileChange, Forge, ForgeConfig, LocalForge};

use crate::support::{Tf, VALUES, rendered, values_hcl};

const REPOS: [&str; 2] = ["acme/api", "acme/web"];
const TEMPLATE: &str = "github-rust";

enum Remote {
    Local(LocalForge),
    Fake(FakeServer),
}

impl Remote {
    async fn files(&self, repo: &str, branch: &str) -> BTreeMap<String, String> {
        match self {
            Remote::Fake(server) => server.state().files(repo, branch),
            Remote::Local(forge) => {
                let mut out = BTreeMap::new();
                let tree = forge
                    .tree(repo, branch)
                    .await
                    .expect("tree")
                    .unwrap_or_else(|| {
                        panic!("{repo} has no branch {branch}");
                    });
                for path in tree.files.keys() {
                    let content = forge
                        .read_file(repo, branch, path)
                        .await
                        .expect("read")
                        .expect("file");
                    out.insert(path.clone(), content);
                }
                out
            }
        }
    }

    async fn edit(&self, repo: &str, path: &str, content: &str) {
        match self {
            Remote::Fake(server) => {
                server
                    .state()
                    .push_file(repo, "main", path, content)
                    .expect("push");
            }
            Remote::Local(forge) => {
                forge
                    .commit(&CommitRequest {
                        repo: repo.into(),
                        branch: "main".into(),
                        base: None,
                        message: "manual edit".into(),
                        files: vec![FileChange {
                            path: path.into(),
                            content: Some(content.into()),
                        }],
                    })
                    .await
                    .expect("manual commit");
            }
        }
    }

    fn reset(&self) {
        if let Remote::Fake(server) = self {
            server.state().reset_requests();
        }
    }

    fn requests(&self) -> Option<u64> {
        match self {
            Remote::Fake(server) => Some(server.state().requests()),
            Remote::Local(_) => None,
        }
    }
}

/// Terraform's plan output with runs of whitespace collapsed (its column alignment varies).
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `branch` is set, as a rollout over `chainproof_repositories` does with `default_branch`: without it the
/// provider looks the default branch up at apply (one more request per repository).
fn pipelines(provider: &str, mode: &str) -> String {
    pipelines_of(provider, mode, TEMPLATE)
}

fn pipelines_of(provider: &str, mode: &str, template: &str) -> String {
    let values = values_hcl(template);
    let repos: Vec<String> = REPOS.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        r#"{provider}

resource "chainproof_repository_pipeline" "p" {{
  for_each   = toset([{}])
  repository = each.value
  branch     = "main"
  template   = "{template}"
  values     = {values}
  mode       = "{mode}"
}}
"#,
        repos.join(", ")
    )
}

/// The whole life cycle; returns (apply requests, no-change plan requests) for the fakes.
async fn cycle(remote: &Remote, tf: &Tf, template: &str) -> (Option<u64>, Option<u64>) {
    let expected = rendered(template);
    let workflow = expected
        .keys()
        .next()
        .expect("the template renders a file")
        .clone();

    // 1. plan: two creations.
    let text = tf.plan(2).await;
    assert!(
        text.contains("Plan: 2 to add, 0 to change, 0 to destroy."),
        "{text}"
    );

    // 2. apply: every rendered file lands on main in one commit per repository.
    remote.reset();
    tf.apply().await;
    let apply_requests = remote.requests();
    if let Remote::Fake(s) = remote {
        eprintln!("apply routes: {:?}", s.state().request_counts());
    }
    for repo in REPOS {
        let files = remote.files(repo, "main").await;
        for (path, content) in &expected {
            assert_eq!(files.get(path), Some(content), "{repo}:{path} after apply");
        }
    }

    // 3. no-change plan: exit 0.
    remote.reset();
    let text = tf.plan(0).await;
    assert!(text.contains("No changes."), "{text}");
    let plan_requests = remote.requests();

    // 4. a manual edit is drift: exit 2, reported as a change outside Terraform.
    remote.edit("acme/api", &workflow, "name: tampered\n").await;
    let text = tf.plan(2).await;
    assert!(text.contains("changed outside of Terraform"), "{text}");
    assert!(text.contains(&workflow), "{text}");
    assert!(
        text.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{text}"
    );

    // 5. apply restores the rendered file; the next plan is clean again.
    tf.apply().await;
    assert_eq!(
        remote.files("acme/api", "main").await.get(&workflow),
        expected.get(&workflow)
    );
    tf.plan(0).await;

    // 6. import by `repo:path` after forgetting the resource.
    let addr = "chainproof_repository_pipeline.p[\"acme/api\"]";
    tf.expect(&["state", "rm", addr], 0).await;
    tf.expect(
        &[
            "import",
            "-input=false",
            addr,
            &format!("acme/api:{workflow}"),
        ],
        0,
    )
    .await;
    let text = tf.expect(&["state", "show", addr], 0).await;
    assert!(
        text.contains(&workflow),
        "imported state lists the file:\n{text}"
    );
    // The first plan records template and values; the files already match.
    let text = tf.plan(2).await;
    assert!(text.contains("1 to change"), "{text}");
    tf.apply().await;
    tf.plan(0).await;

    // 7. destroy removes the rendered files.
    tf.expect(&["destroy", "-input=false", "-auto-approve"], 0)
        .await;
    for repo in REPOS {
        let files = remote.files(repo, "main").await;
        assert!(
            !files.contains_key(&workflow),
            "{repo} still has {workflow} after destroy"
        );
    }
    (apply_requests, plan_requests)
}

fn report(forge: &str, apply: Option<u64>, plan: Option<u64>) {
    let n = REPOS.len() as u64;
    eprintln!(
        "{forge}: apply {} requests ({:.1}/repository), no-change plan {} requests ({:.1}/repository)",
        apply.unwrap_or(0),
        apply.unwrap_or(0) as f64 / n as f64,
        plan.unwrap_or(0),
        plan.unwrap_or(0) as f64 / n as f64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_forge_cycle() {
    let root = tempfile::tempdir().expect("tempdir");
    let forge = LocalForge::new(root.path());
    for repo in REPOS {
        forge
            .create_repository(repo, "main", &[("README.md", "hello\n")])
            .await
            .expect("create repository");
    }
    let provider = format!(
        "provider \"chainproof\" {{\n  forge = \"local\"\n  root  = \"{}\"\n}}",
        root.path().display()
    );
    let tf = Tf::new(&pipelines(&provider, "commit"), &[]);
    cycle(&Remote::Local(forge), &tf, TEMPLATE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_github_cycle_and_request_counts() {
    let server = FakeGithub::start().await;
    for repo in REPOS {
        server
            .state()
            .create_repo(repo, &[("README.md", "hello\n")]);
    }
    let provider = format!(
        "provider \"chainproof\" {{\n  forge    = \"github\"\n  base_url = \"{}\"\n}}",
        server.url()
    );
    let tf = Tf::new(
        &pipelines(&provider, "commit"),
        &[("GITHUB_TOKEN", "test-token")],
    );
    let remote = Remote::Fake(server);
    let (apply, plan) = cycle(&remote, &tf, TEMPLATE).await;
    report("github", apply, plan);
    let n = REPOS.len() as u64;
    assert!(
        plan.unwrap_or(u64::MAX) <= n,
        "no-change plan: {plan:?} requests for {n} repositories"
    );
    assert!(
        apply.unwrap_or(u64::MAX) <= 5 * n,
        "apply: {apply:?} requests for {n} repositories"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_gitlab_cycle_and_request_counts() {
    let server = FakeGitlab::start().await;
    for repo in REPOS {
        server
            .state()
            .create_repo(repo, &[("README.md", "hello\n")]);
    }
    let provider = format!(
        "provider \"chainproof\" {{\n  forge    = \"gitlab\"\n  base_url = \"{}\"\n}}",
        server.url()
    );
    let tf = Tf::new(
        &pipelines_of(&provider, "commit", "gitlab-rust"),
        &[("GITLAB_TOKEN", "test-token")],
    );
    let remote = Remote::Fake(server);
    let (apply, plan) = cycle(&remote, &tf, "gitlab-rust").await;
    report("gitlab", apply, plan);
    let n = REPOS.len() as u64;
    // The GitLab client checks its token once per provider process (`GET /api/v4/user`).
    assert!(
        plan.unwrap_or(u64::MAX) <= n + 1,
        "no-change plan: {plan:?} requests for {n} repositories"
    );
    assert!(
        apply.unwrap_or(u64::MAX) <= 5 * n + 1,
        "apply: {apply:?} requests for {n} repositories"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_request_mode_on_fake_github() {
    let server = FakeGithub::start().await;
    server
        .state()
        .create_repo("acme/api", &[("README.md", "hello\n")]);
    let config = format!(
        r#"provider "chainproof" {{
  forge    = "github"
  base_url = "{}"
}}

resource "chainproof_repository_pipeline" "api" {{
  repository = "acme/api"
  template   = "{TEMPLATE}"
  values     = {VALUES}
}}
"#,
        server.url()
    );
    let tf = Tf::new(&config, &[("GITHUB_TOKEN", "test-token")]);
    let text = tf.plan(2).await;
    assert!(
        squeeze(&text).contains("+ mode = \"pull_request\""),
        "{text}"
    );
    tf.apply().await;
    let expected = rendered(TEMPLATE);
    let state = server.state();
    let head = format!("chainproof/{TEMPLATE}");
    let prs = state.change_requests("acme/api");
    assert_eq!(prs.len(), 1, "{prs:?}");
    assert_eq!(
        (prs[0].1.as_str(), prs[0].2.as_str(), prs[0].4.as_str()),
        (head.as_str(), "main", "open")
    );
    // main is untouched until the pull request merges; its branch holds the files.
    assert!(
        state
            .files("acme/api", "main")
            .keys()
            .all(|p| !expected.contains_key(p))
    );
    for (path, content) in &expected {
        assert_eq!(state.file("acme/api", &head, path).as_ref(), Some(content));
    }
    // An open pull request with exactly the applied files is not drift.
    tf.plan(0).await;
    let show = tf
        .expect(&["state", "show", "chainproof_repository_pipeline.api"], 0)
        .await;
    assert!(show.contains("/pull/1"), "{show}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_checks_on_the_local_forge() {
    let root = tempfile::tempdir().expect("tempdir");
    let forge = LocalForge::new(root.path());
    forge
        .create_repository("acme/api", "main", &[("README.md", "hi\n")])
        .await
        .expect("create");
    let config = format!(
        r#"provider "chainproof" {{
  root = "{}"
}}

resource "chainproof_required_checks" "api" {{
  repository             = "acme/api"
  checks                 = ["chainproof / lint", "chainproof / scan"]
  require_signed_commits = true
}}
"#,
        root.path().display()
    );
    let tf = Tf::new(&config, &[]);
    tf.plan(2).await;
    tf.apply().await;
    let p = forge
        .protection("acme/api", "main")
        .await
        .expect("read")
        .expect("protected");
    assert_eq!(
        p.required_checks,
        ["chainproof / lint", "chainproof / scan"]
    );
    assert!(p.require_signed_commits);
    tf.plan(0).await;
    // Loosened outside Terraform: drift.
    forge
        .remove_protection("acme/api", "main")
        .await
        .expect("remove");
    let text = tf.plan(2).await;
    assert!(text.contains("1 to add"), "{text}");
    tf.apply().await;
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
    tf.expect(&["destroy", "-input=false", "-auto-approve"], 0)
        .await;
    assert!(
        forge
            .protection("acme/api", "main")
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_sources_on_fake_github() {
    let server = FakeGithub::start().await;
    let state = server.state();
    for repo in ["acme/api", "acme/web", "acme/old", "other/x"] {
        state.create_repo(repo, &[("README.md", "hi\n")]);
    }
    state.set_topics("acme/api", &["rust"]);
    state.set_topics("acme/old", &["rust"]);
    state.set_archived("acme/old", true);
    let config = format!(
        r#"provider "chainproof" {{
  forge    = "github"
  base_url = "{}"
}}

data "chainproof_repositories" "rust" {{
  owner = "acme"
  topic = "rust"
}}

data "chainproof_repositories" "all" {{
  owner            = "acme"
  name_regex       = "^acme/(api|old)$"
  include_archived = true
}}

data "chainproof_template" "preview" {{
  template = "{TEMPLATE}"
  values   = {VALUES}
}}

output "rust" {{ value = data.chainproof_repositories.rust.full_names }}
output "all" {{ value = data.chainproof_repositories.all.repositories }}
output "files" {{ value = data.chainproof_template.preview.files }}
"#,
        server.url()
    );
    let tf = Tf::new(&config, &[("GITHUB_TOKEN", "test-token")]);
    tf.apply().await;
    let out = tf.expect(&["output", "-json"], 0).await;
    let json: serde_json::Value = serde_json::from_str(&out).expect("output -json");
    assert_eq!(json["rust"]["value"], serde_json::json!(["acme/api"]));
    let all = json["all"]["value"].as_array().expect("list");
    let names: Vec<&str> = all.iter().filter_map(|r| r["full_name"].as_str()).collect();
    assert_eq!(names, ["acme/api", "acme/old"]);
    assert_eq!(all[1]["archived"], serde_json::json!(true));
    assert_eq!(all[0]["default_branch"], serde_json::json!("main"));
    let files: BTreeMap<String, String> =
        serde_json::from_value(json["files"]["value"].clone()).expect("files map");
    assert_eq!(files, rendered(TEMPLATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configuration_is_reported_by_validate() {
    let tf = Tf::new(
        r#"resource "chainproof_repository_pipeline" "bad" {
  repository = "acme/api"
  template   = "github-rust"
  values     = jsonencode({ no_such_parameter = true })
  mode       = "sideways"
}
"#,
        &[],
    );
    let text = tf.expect(&["validate"], 1).await;
    assert!(text.contains("invalid mode"), "{text}");
    assert!(
        text.contains("no_such_parameter") || text.contains("cannot render"),
        "{text}"
    );
}

#[test]
fn forge_config_type_is_shared() {
    // The provider builds its forge from the forge crate's own configuration type.
    let c = ForgeConfig {
        kind: "local".into(),
        ..ForgeConfig::default()
    };
    assert!(
        chainproof_forge::connect(&ForgeConfig {
            root: Some(".".into()),
            ..c
        })
        .is_ok()
    );
}

/// Plain gRPC (`TF_DISABLE_PLUGIN_TLS=1`, no client certificate) and values unknown at plan time: the
/// second pipeline's values depend on the first one's commit, so its files are only known after apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_grpc_and_unknown_values() {
    let root = tempfile::tempdir().expect("tempdir");
    let forge = LocalForge::new(root.path());
    for repo in REPOS {
        forge
            .create_repository(repo, "main", &[("README.md", "hello\n")])
            .await
            .expect("create repository");
    }
    let config = format!(
        r#"provider "chainproof" {{
  root = "{}"
}}

resource "chainproof_repository_pipeline" "api" {{
  repository = "acme/api"
  template   = "{TEMPLATE}"
  values     = {VALUES}
  mode       = "commit"
}}

resource "chainproof_repository_pipeline" "web" {{
  repository = "acme/web"
  template   = "{TEMPLATE}"
  mode       = "commit"
  values = jsonencode({{
    chainproof_sha     = chainproof_repository_pipeline.api.commit
    chainproof_version = "v0.1.0"
  }})
}}
"#,
        root.path().display()
    );
    let tf = Tf::new(&config, &[("TF_DISABLE_PLUGIN_TLS", "1")]);
    let text = tf.plan(2).await;
    assert!(text.contains("Plan: 2 to add"), "{text}");
    assert!(
        squeeze(&text).contains("+ files = (known after apply)"),
        "the dependent pipeline's files are unknown at plan:\n{text}"
    );
    tf.apply().await;
    tf.plan(0).await;
    // The local forge's tree id is the head commit: the one the provider made for acme/api.
    let api_head = forge
        .tree("acme/api", "main")
        .await
        .expect("tree")
        .expect("branch")
        .commit;
    let web = forge
        .read_file("acme/web", "main", ".github/workflows/ci.yml")
        .await
        .expect("read")
        .expect("rendered");
    assert!(
        web.contains(&api_head),
        "acme/web is pinned to acme/api's commit {api_head}:\n{web}"
    );
}
