//! Routes of the fake GitHub REST API.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::{Value, json};

use super::model::{FakeRepo, Object, ObjectKind, Pull};
use super::{Ctx, Flavor, error, own_url, paginate};

type Q = Query<BTreeMap<String, String>>;

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route("/orgs/{org}/repos", get(org_repos))
        .route("/users/{user}/repos", get(user_repos))
        .route("/user", get(authenticated_user))
        .route("/user/repos", get(own_repos))
        .route("/repos/{owner}/{repo}/branches", get(list_branches))
        .route("/repos/{owner}/{repo}", get(repository))
        .route(
            "/repos/{owner}/{repo}/git/trees",
            axum::routing::post(create_tree),
        )
        .route("/repos/{owner}/{repo}/git/trees/{*sha}", get(get_tree))
        .route(
            "/repos/{owner}/{repo}/git/commits",
            axum::routing::post(create_commit),
        )
        .route("/repos/{owner}/{repo}/git/commits/{sha}", get(get_commit))
        .route("/repos/{owner}/{repo}/git/ref/{*name}", get(get_ref))
        .route(
            "/repos/{owner}/{repo}/git/refs",
            axum::routing::post(create_ref),
        )
        .route(
            "/repos/{owner}/{repo}/git/refs/{*name}",
            get(get_ref).patch(update_ref),
        )
        .route("/repos/{owner}/{repo}/branches/{*branch}", get(branch))
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(get_contents).put(put_contents),
        )
        .route(
            "/repos/{owner}/{repo}/pulls",
            get(list_pulls).post(create_pull),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            get(get_pull).patch(update_pull),
        )
        .route(
            "/repos/{owner}/{repo}/rulesets",
            get(list_rulesets).post(create_ruleset),
        )
        .route(
            "/repos/{owner}/{repo}/rulesets/{id}",
            get(get_ruleset).put(update_ruleset).delete(delete_ruleset),
        )
        .route(
            "/repos/{owner}/{repo}/rules/branches/{*branch}",
            get(branch_rules),
        )
}

fn not_found() -> Response {
    error(Flavor::Github, StatusCode::NOT_FOUND, "Not Found")
}

fn unprocessable(message: &str) -> Response {
    error(Flavor::Github, StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// Runs `f` on `owner/repo`, or answers 404.
fn with_repo(
    ctx: &Ctx,
    owner: &str,
    repo: &str,
    f: impl FnOnce(&mut FakeRepo) -> Response,
) -> Response {
    ctx.state
        .with_model(|m| match m.repo_mut(&format!("{owner}/{repo}")) {
            Some(r) => f(r),
            None => not_found(),
        })
}

fn repo_json(r: &FakeRepo) -> Value {
    json!({
        "id": r.id,
        "name": r.name(),
        "full_name": r.full_name,
        "owner": {"login": r.owner()},
        "private": r.visibility != "public",
        "visibility": r.visibility,
        "default_branch": r.default_branch,
        "topics": r.topics,
        "archived": r.archived,
        "custom_properties": r.properties,
        "html_url": format!("https://github.example/{}", r.full_name),
    })
}

async fn org_repos(
    State(ctx): State<Ctx>,
    Path(owner): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if owner == ctx.state.login() {
        return not_found();
    }
    let items: Vec<Value> = ctx.state.with_model(|m| {
        m.repos
            .values()
            .filter(|r| r.owner() == owner)
            .map(repo_json)
            .collect()
    });
    if items.is_empty() {
        return not_found();
    }
    paginate(Flavor::Github, items, &q, &own_url(&headers, &uri))
}

/// `GET /users/{user}/repos`: public repositories only.
async fn user_repos(
    State(ctx): State<Ctx>,
    Path(owner): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (exists, items): (bool, Vec<Value>) = ctx.state.with_model(|m| {
        let mine: Vec<&FakeRepo> = m.repos.values().filter(|r| r.owner() == owner).collect();
        (
            !mine.is_empty(),
            mine.into_iter()
                .filter(|r| r.visibility == "public")
                .map(repo_json)
                .collect(),
        )
    });
    if !exists {
        return not_found();
    }
    paginate(Flavor::Github, items, &q, &own_url(&headers, &uri))
}

async fn authenticated_user(State(ctx): State<Ctx>) -> Response {
    axum::Json(json!({"login": ctx.state.login(), "id": 1, "type": "User"})).into_response()
}

/// `GET /user/repos?affiliation=owner`: the authenticated user's repositories, private ones included.
async fn own_repos(State(ctx): State<Ctx>, Query(q): Q, headers: HeaderMap, uri: Uri) -> Response {
    let login = ctx.state.login();
    let items: Vec<Value> = ctx.state.with_model(|m| {
        m.repos
            .values()
            .filter(|r| r.owner() == login)
            .map(repo_json)
            .collect()
    });
    paginate(Flavor::Github, items, &q, &own_url(&headers, &uri))
}

async fn list_branches(
    State(ctx): State<Ctx>,
    Path((o, r)): Path<(String, String)>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let url = own_url(&headers, &uri);
    with_repo(&ctx, &o, &r, |repo| {
        let items: Vec<Value> = repo
            .refs
            .iter()
            .filter_map(|(name, sha)| {
                let b = name.strip_prefix("heads/")?;
                Some(json!({"name": b, "commit": {"sha": sha}}))
            })
            .collect();
        paginate(Flavor::Github, items, &q, &url)
    })
}

async fn repository(State(ctx): State<Ctx>, Path((o, r)): Path<(String, String)>) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        axum::Json(repo_json(repo)).into_response()
    })
}

async fn get_tree(
    State(ctx): State<Ctx>,
    Path((o, r, sha)): Path<(String, String, String)>,
    Query(q): Q,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        if repo.refs.is_empty() {
            return error(
                Flavor::Github,
                StatusCode::CONFLICT,
                "Git Repository is empty.",
            );
        }
        let Some(tree) = repo.resolve_tree(&sha) else {
            return not_found();
        };
        let recursive = q
            .get("recursive")
            .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
        let entries: Vec<Value> = repo
            .walk(&tree, recursive)
            .into_iter()
            .map(|(path, mode, sha, is_tree)| {
                let mut e = json!({
                    "path": path,
                    "mode": if is_tree { "040000".to_string() } else { mode },
                    "type": if is_tree { "tree" } else if repo.kind(&sha) == Some(ObjectKind::Blob) { "blob" } else { "commit" },
                    "sha": sha,
                });
                if let Some(b) = repo.blob(&sha) {
                    e["size"] = json!(b.len());
                }
                e
            })
            .collect();
        axum::Json(json!({"sha": tree, "tree": entries, "truncated": false})).into_response()
    })
}

async fn create_tree(
    State(ctx): State<Ctx>,
    Path((o, r)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let mut files = match body.get("base_tree").and_then(Value::as_str) {
            Some(base) => {
                if repo.kind(base) != Some(ObjectKind::Tree) {
                    return unprocessable("base_tree is not a valid tree oid");
                }
                repo.flat(base)
            }
            None => BTreeMap::new(),
        };
        let Some(entries) = body.get("tree").and_then(Value::as_array) else {
            return unprocessable("Invalid request. \"tree\" wasn't supplied.");
        };
        for e in entries {
            let Some(path) = e.get("path").and_then(Value::as_str) else {
                return unprocessable("tree.path wasn't supplied");
            };
            let mode = e
                .get("mode")
                .and_then(Value::as_str)
                .unwrap_or("100644")
                .to_string();
            if let Some(content) = e.get("content").and_then(Value::as_str) {
                let sha = repo.put(Object::Blob(content.as_bytes().to_vec()));
                files.insert(path.to_string(), (mode, sha));
            } else {
                match e.get("sha") {
                    Some(Value::Null) => {
                        if files.remove(path).is_none() {
                            return unprocessable(&format!(
                                "GitRPC::BadObjectState: {path} does not exist"
                            ));
                        }
                    }
                    Some(Value::String(sha)) if repo.kind(sha) == Some(ObjectKind::Blob) => {
                        files.insert(path.to_string(), (mode, sha.clone()));
                    }
                    _ => return unprocessable("tree.sha is not a valid blob"),
                }
            }
        }
        let sha = repo.write_flat(&files);
        (
            StatusCode::CREATED,
            axum::Json(json!({"sha": sha, "truncated": false})),
        )
            .into_response()
    })
}

fn commit_json(repo: &FakeRepo, sha: &str) -> Option<Value> {
    let c = repo.commit(sha)?;
    Some(json!({
        "sha": sha,
        "tree": {"sha": c.tree},
        "parents": c.parents.iter().map(|p| json!({"sha": p})).collect::<Vec<_>>(),
        "message": c.message,
    }))
}

async fn create_commit(
    State(ctx): State<Ctx>,
    Path((o, r)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let Some(tree) = body.get("tree").and_then(Value::as_str) else {
            return unprocessable("tree wasn't supplied");
        };
        if repo.kind(tree) != Some(ObjectKind::Tree) {
            return unprocessable("Tree SHA does not exist");
        }
        let mut parents = Vec::new();
        for p in body
            .get("parents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match p.as_str() {
                Some(p) if repo.kind(p) == Some(ObjectKind::Commit) => parents.push(p.to_string()),
                _ => return unprocessable("Parent SHA does not exist or is not a commit object"),
            }
        }
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let sha = repo.put(Object::Commit(super::model::CommitObject {
            tree: tree.into(),
            parents,
            message,
        }));
        let json = commit_json(repo, &sha).unwrap_or(Value::Null);
        (StatusCode::CREATED, axum::Json(json)).into_response()
    })
}

async fn get_commit(
    State(ctx): State<Ctx>,
    Path((o, r, sha)): Path<(String, String, String)>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| match commit_json(repo, &sha) {
        Some(j) => axum::Json(j).into_response(),
        None => not_found(),
    })
}

fn ref_json(name: &str, sha: &str) -> Value {
    json!({"ref": format!("refs/{name}"), "object": {"sha": sha, "type": "commit"}})
}

async fn get_ref(
    State(ctx): State<Ctx>,
    Path((o, r, name)): Path<(String, String, String)>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let name = name.trim_start_matches("refs/").to_string();
        match repo.refs.get(&name) {
            Some(sha) => axum::Json(ref_json(&name, sha)).into_response(),
            None => not_found(),
        }
    })
}

async fn create_ref(
    State(ctx): State<Ctx>,
    Path((o, r)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let (Some(name), Some(sha)) = (
            body.get("ref").and_then(Value::as_str),
            body.get("sha").and_then(Value::as_str),
        ) else {
            return unprocessable("ref and sha are required");
        };
        let Some(name) = name.strip_prefix("refs/").filter(|n| n.contains('/')) else {
            return unprocessable(
                "Reference name must start with 'refs/' and have at least two slashes",
            );
        };
        if repo.kind(sha) != Some(ObjectKind::Commit) {
            return unprocessable("Object does not exist");
        }
        if repo.refs.contains_key(name) {
            return unprocessable("Reference already exists");
        }
        repo.refs.insert(name.to_string(), sha.to_string());
        (StatusCode::CREATED, axum::Json(ref_json(name, sha))).into_response()
    })
}

async fn update_ref(
    State(ctx): State<Ctx>,
    Path((o, r, name)): Path<(String, String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let name = name.trim_start_matches("refs/").to_string();
        let Some(sha) = body.get("sha").and_then(Value::as_str) else {
            return unprocessable("sha wasn't supplied");
        };
        let force = body.get("force").and_then(Value::as_bool).unwrap_or(false);
        let Some(current) = repo.refs.get(&name).cloned() else {
            return unprocessable("Reference does not exist");
        };
        if repo.kind(sha) != Some(ObjectKind::Commit) {
            return unprocessable("Object does not exist");
        }
        if !force && !repo.is_ancestor(&current, sha) {
            return unprocessable("Update is not a fast forward");
        }
        repo.refs.insert(name.clone(), sha.to_string());
        axum::Json(ref_json(&name, sha)).into_response()
    })
}

async fn branch(
    State(ctx): State<Ctx>,
    Path((o, r, b)): Path<(String, String, String)>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let Some(sha) = repo.refs.get(&format!("heads/{b}")).cloned() else {
            return error(Flavor::Github, StatusCode::NOT_FOUND, "Branch not found");
        };
        let c = repo.commit(&sha).cloned();
        axum::Json(json!({
            "name": b,
            "commit": {
                "sha": sha,
                "commit": {"tree": {"sha": c.as_ref().map(|c| c.tree.clone())}, "message": c.map(|c| c.message)},
            },
            "protected": false,
        }))
        .into_response()
    })
}

async fn get_contents(
    State(ctx): State<Ctx>,
    Path((o, r, path)): Path<(String, String, String)>,
    Query(q): Q,
    headers: HeaderMap,
) -> Response {
    let raw = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("raw"));
    with_repo(&ctx, &o, &r, |repo| {
        let reference = q
            .get("ref")
            .cloned()
            .unwrap_or_else(|| repo.default_branch.clone());
        let Some(tree) = repo.resolve_tree(&reference) else {
            return error(
                Flavor::Github,
                StatusCode::NOT_FOUND,
                &format!("No commit found for the ref {reference}"),
            );
        };
        let Some((_, sha)) = repo.flat(&tree).remove(&path) else {
            return not_found();
        };
        let content = repo.blob(&sha).unwrap_or_default().to_vec();
        if raw {
            return (
                StatusCode::OK,
                [("content-type", "application/vnd.github.raw")],
                content,
            )
                .into_response();
        }
        axum::Json(json!({
            "type": "file",
            "encoding": "base64",
            "size": content.len(),
            "name": path.rsplit('/').next().unwrap_or(&path),
            "path": path,
            "sha": sha,
            "content": base64::engine::general_purpose::STANDARD.encode(&content),
        }))
        .into_response()
    })
}

/// The Contents API write: one commit per file (what `github_repository_file` does).
async fn put_contents(
    State(ctx): State<Ctx>,
    Path((o, r, path)): Path<(String, String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let Some(encoded) = body.get("content").and_then(Value::as_str) else {
            return unprocessable("Invalid request.\n\n\"content\" wasn't supplied.");
        };
        let Ok(content) =
            base64::engine::general_purpose::STANDARD.decode(encoded.replace('\n', ""))
        else {
            return unprocessable("content is not valid Base64");
        };
        let branch = body
            .get("branch")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| repo.default_branch.clone());
        let current = repo
            .refs
            .get(&format!("heads/{branch}"))
            .cloned()
            .and_then(|c| repo.commit(&c).map(|c| c.tree.clone()))
            .and_then(|t| repo.flat(&t).remove(&path))
            .map(|(_, sha)| sha);
        let given = body.get("sha").and_then(Value::as_str);
        match (&current, given) {
            (Some(_), None) => {
                return unprocessable("Invalid request.\n\n\"sha\" wasn't supplied.");
            }
            (Some(cur), Some(g)) if cur != g => {
                return error(
                    Flavor::Github,
                    StatusCode::CONFLICT,
                    &format!("{path} does not match {g}"),
                );
            }
            _ => {}
        }
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("update")
            .to_string();
        let text = String::from_utf8_lossy(&content).into_owned();
        match repo.commit_files(&branch, None, &message, &[(path.clone(), Some(text))]) {
            Ok(commit) => {
                let blob = crate::blob_sha(&content);
                let status = if current.is_some() {
                    StatusCode::OK
                } else {
                    StatusCode::CREATED
                };
                (
                    status,
                    axum::Json(
                        json!({"content": {"path": path, "sha": blob}, "commit": {"sha": commit}}),
                    ),
                )
                    .into_response()
            }
            Err(e) => unprocessable(&e),
        }
    })
}

fn pull_json(repo: &FakeRepo, p: &Pull) -> Value {
    let merged = p.state == "merged";
    json!({
        "number": p.number,
        "html_url": format!("https://github.example/{}/pull/{}", repo.full_name, p.number),
        "state": if p.state == "open" { "open" } else { "closed" },
        "merged_at": if merged { json!("2024-01-01T00:00:00Z") } else { Value::Null },
        "title": p.title,
        "body": p.body,
        "head": {"ref": p.head, "label": format!("{}:{}", repo.owner(), p.head)},
        "base": {"ref": p.base},
    })
}

fn head_branch(head: &str) -> &str {
    head.split_once(':').map(|(_, b)| b).unwrap_or(head)
}

async fn list_pulls(
    State(ctx): State<Ctx>,
    Path((o, r)): Path<(String, String)>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let url = own_url(&headers, &uri);
    with_repo(&ctx, &o, &r, |repo| {
        let state = q.get("state").map(String::as_str).unwrap_or("open");
        let head = q.get("head").map(|h| head_branch(h).to_string());
        let items: Vec<Value> = repo
            .pulls
            .iter()
            .rev()
            .filter(|p| head.as_ref().is_none_or(|h| *h == p.head))
            .filter(|p| match state {
                "all" => true,
                "open" => p.state == "open",
                _ => p.state != "open",
            })
            .map(|p| pull_json(repo, p))
            .collect();
        paginate(Flavor::Github, items, &q, &url)
    })
}

async fn create_pull(
    State(ctx): State<Ctx>,
    Path((o, r)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let s = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let head = head_branch(&s("head")).to_string();
        let base = s("base");
        for b in [&head, &base] {
            if !repo.refs.contains_key(&format!("heads/{b}")) {
                return unprocessable(&format!("Validation Failed: {b} does not exist"));
            }
        }
        if repo
            .pulls
            .iter()
            .any(|p| p.head == head && p.base == base && p.state == "open")
        {
            return unprocessable(&format!(
                "A pull request already exists for {}:{head}.",
                repo.owner()
            ));
        }
        let number = repo.pulls.iter().map(|p| p.number).max().unwrap_or(0) + 1;
        let pull = Pull {
            number,
            head,
            base,
            title: s("title"),
            body: s("body"),
            state: "open".into(),
            source_project: None,
        };
        let json = pull_json(repo, &pull);
        repo.pulls.push(pull);
        (StatusCode::CREATED, axum::Json(json)).into_response()
    })
}

async fn get_pull(
    State(ctx): State<Ctx>,
    Path((o, r, n)): Path<(String, String, u64)>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        match repo.pulls.iter().find(|p| p.number == n) {
            Some(p) => axum::Json(pull_json(repo, p)).into_response(),
            None => not_found(),
        }
    })
}

async fn update_pull(
    State(ctx): State<Ctx>,
    Path((o, r, n)): Path<(String, String, u64)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let Some(i) = repo.pulls.iter().position(|p| p.number == n) else {
            return not_found();
        };
        let p = &mut repo.pulls[i];
        if let Some(t) = body.get("title").and_then(Value::as_str) {
            p.title = t.into();
        }
        if let Some(t) = body.get("body").and_then(Value::as_str) {
            p.body = t.into();
        }
        if let Some(t) = body.get("base").and_then(Value::as_str) {
            p.base = t.into();
        }
        if let Some(t) = body.get("state").and_then(Value::as_str) {
            p.state = t.into();
        }
        let p = repo.pulls[i].clone();
        axum::Json(pull_json(repo, &p)).into_response()
    })
}

async fn list_rulesets(
    State(ctx): State<Ctx>,
    Path((o, r)): Path<(String, String)>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let url = own_url(&headers, &uri);
    with_repo(&ctx, &o, &r, |repo| {
        let items: Vec<Value> = repo
            .rulesets
            .iter()
            .map(|r| json!({"id": r["id"], "name": r["name"], "target": r["target"], "enforcement": r["enforcement"], "source_type": "Repository", "source": repo.full_name}))
            .collect();
        paginate(Flavor::Github, items, &q, &url)
    })
}

fn valid_ruleset(body: &Value) -> Result<(), Response> {
    if body.get("name").and_then(Value::as_str).is_none() {
        return Err(unprocessable("Invalid request: name is required"));
    }
    for rule in body
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match rule.get("type").and_then(Value::as_str) {
            Some("required_status_checks") => {
                if rule
                    .pointer("/parameters/required_status_checks")
                    .and_then(Value::as_array)
                    .is_none()
                {
                    return Err(unprocessable(
                        "required_status_checks needs parameters.required_status_checks",
                    ));
                }
            }
            Some(_) => {}
            None => return Err(unprocessable("rule type is required")),
        }
    }
    Ok(())
}

async fn create_ruleset(
    State(ctx): State<Ctx>,
    Path((o, r)): Path<(String, String)>,
    axum::Json(mut body): axum::Json<Value>,
) -> Response {
    if let Err(e) = valid_ruleset(&body) {
        return e;
    }
    with_repo(&ctx, &o, &r, |repo| {
        if repo.rulesets.iter().any(|r| r["name"] == body["name"]) {
            return unprocessable("Name must be unique");
        }
        body["id"] = json!(repo.next_ruleset);
        repo.next_ruleset += 1;
        repo.rulesets.push(body.clone());
        (StatusCode::CREATED, axum::Json(body)).into_response()
    })
}

async fn get_ruleset(
    State(ctx): State<Ctx>,
    Path((o, r, id)): Path<(String, String, u64)>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        match repo.rulesets.iter().find(|r| r["id"] == json!(id)) {
            Some(r) => axum::Json(r.clone()).into_response(),
            None => not_found(),
        }
    })
}

async fn update_ruleset(
    State(ctx): State<Ctx>,
    Path((o, r, id)): Path<(String, String, u64)>,
    axum::Json(mut body): axum::Json<Value>,
) -> Response {
    if let Err(e) = valid_ruleset(&body) {
        return e;
    }
    with_repo(&ctx, &o, &r, |repo| {
        match repo.rulesets.iter_mut().find(|r| r["id"] == json!(id)) {
            Some(existing) => {
                body["id"] = json!(id);
                *existing = body.clone();
                axum::Json(body).into_response()
            }
            None => not_found(),
        }
    })
}

async fn delete_ruleset(
    State(ctx): State<Ctx>,
    Path((o, r, id)): Path<(String, String, u64)>,
) -> Response {
    with_repo(&ctx, &o, &r, |repo| {
        let before = repo.rulesets.len();
        repo.rulesets.retain(|r| r["id"] != json!(id));
        if repo.rulesets.len() == before {
            not_found()
        } else {
            StatusCode::NO_CONTENT.into_response()
        }
    })
}

async fn branch_rules(
    State(ctx): State<Ctx>,
    Path((o, r, b)): Path<(String, String, String)>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let url = own_url(&headers, &uri);
    with_repo(&ctx, &o, &r, |repo| {
        let full = format!("refs/heads/{b}");
        let is_default = b == repo.default_branch;
        let mut items = Vec::new();
        for rs in &repo.rulesets {
            if rs.get("enforcement").and_then(Value::as_str) != Some("active") {
                continue;
            }
            let applies = rs
                .pointer("/conditions/ref_name/include")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|p| p == full || p == "~ALL" || (p == "~DEFAULT_BRANCH" && is_default));
            if !applies {
                continue;
            }
            for rule in rs
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let mut rule = rule.clone();
                rule["ruleset_source_type"] = json!("Repository");
                rule["ruleset_source"] = json!(repo.full_name);
                rule["ruleset_id"] = rs["id"].clone();
                items.push(rule);
            }
        }
        paginate(Flavor::Github, items, &q, &url)
    })
}
