//! Routes of the fake GitLab REST API (`/api/v4`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::model::{FakeRepo, Pull};
use super::{Ctx, Flavor, error, own_url, paginate};

type Q = Query<BTreeMap<String, String>>;

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route("/api/v4/user", get(user))
        .route("/api/v4/version", get(version))
        .route("/api/v4/groups/{group}/projects", get(group_projects))
        .route("/api/v4/users/{user}/projects", get(user_projects))
        .route("/api/v4/projects/{id}", get(project).put(update_project))
        .route("/api/v4/projects/{id}/repository/tree", get(tree))
        .route(
            "/api/v4/projects/{id}/repository/files/{path}/raw",
            get(raw_file),
        )
        .route(
            "/api/v4/projects/{id}/repository/branches",
            post(create_branch),
        )
        .route(
            "/api/v4/projects/{id}/repository/branches/{branch}",
            get(branch),
        )
        .route(
            "/api/v4/projects/{id}/repository/commits",
            post(create_commit),
        )
        .route(
            "/api/v4/projects/{id}/merge_requests",
            get(list_mrs).post(create_mr),
        )
        .route(
            "/api/v4/projects/{id}/merge_requests/{iid}",
            get(get_mr).put(update_mr),
        )
        .route(
            "/api/v4/projects/{id}/protected_branches",
            get(list_protected).post(protect),
        )
        .route(
            "/api/v4/projects/{id}/protected_branches/{name}",
            get(get_protected).delete(unprotect),
        )
        .route(
            "/api/v4/projects/{id}/variables",
            get(list_variables).post(create_variable),
        )
        .route(
            "/api/v4/projects/{id}/variables/{key}",
            get(get_variable)
                .put(update_variable)
                .delete(delete_variable),
        )
        .route(
            "/api/v4/projects/{id}/push_rule",
            get(get_push_rule).post(set_push_rule).put(set_push_rule),
        )
}

fn msg(status: StatusCode, message: &str) -> Response {
    error(Flavor::Gitlab, status, message)
}

fn with_project(ctx: &Ctx, id: &str, f: impl FnOnce(&mut FakeRepo) -> Response) -> Response {
    ctx.state.with_model(|m| match m.project_mut(id) {
        Some(r) => f(r),
        None => msg(StatusCode::NOT_FOUND, "404 Project Not Found"),
    })
}

async fn user() -> Response {
    axum::Json(json!({"id": 1, "username": "fake", "name": "Fake User", "state": "active"}))
        .into_response()
}

async fn version() -> Response {
    axum::Json(json!({"version": "17.0.0-fake", "revision": "fake"})).into_response()
}

fn project_json(r: &FakeRepo) -> Value {
    let (ns, path) = r.full_name.rsplit_once('/').unwrap_or(("", &r.full_name));
    json!({
        "id": r.id,
        "name": path,
        "path": path,
        "path_with_namespace": r.full_name,
        "namespace": {"full_path": ns},
        "default_branch": if r.refs.is_empty() { Value::Null } else { json!(r.default_branch) },
        "empty_repo": r.refs.is_empty(),
        "topics": r.topics,
        "tag_list": r.topics,
        "archived": r.archived,
        "visibility": r.visibility,
        "web_url": format!("https://gitlab.example/{}", r.full_name),
        "only_allow_merge_if_pipeline_succeeds": r.only_allow_merge_if_pipeline_succeeds,
    })
}

async fn group_projects(
    State(ctx): State<Ctx>,
    Path(group): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let subgroups = q.get("include_subgroups").is_some_and(|v| v == "true");
    // GitLab's default is `with_shared=true`: projects shared with the group are listed too.
    let shared = q.get("with_shared").is_none_or(|v| v != "false");
    let archived = q.get("archived").cloned();
    let (exists, items): (bool, Vec<Value>) = ctx.state.with_model(|m| {
        let prefix = format!("{group}/");
        let exists = m.repos.keys().any(|k| k.starts_with(&prefix));
        let items = m
            .repos
            .values()
            .filter(|r| {
                let ns = r.owner();
                ns == group
                    || (subgroups && ns.starts_with(&prefix))
                    || (shared && r.shared_with.contains(&group))
            })
            .filter(|r| {
                archived
                    .as_deref()
                    .is_none_or(|a| (a == "true") == r.archived)
            })
            .map(project_json)
            .collect();
        (exists, items)
    });
    if !exists {
        return msg(StatusCode::NOT_FOUND, "404 Group Not Found");
    }
    paginate(Flavor::Gitlab, items, &q, &own_url(&headers, &uri))
}

async fn user_projects(
    State(ctx): State<Ctx>,
    Path(user): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let items: Vec<Value> = ctx.state.with_model(|m| {
        m.repos
            .values()
            .filter(|r| r.owner() == user)
            .map(project_json)
            .collect()
    });
    if items.is_empty() {
        return msg(StatusCode::NOT_FOUND, "404 User Not Found");
    }
    paginate(Flavor::Gitlab, items, &q, &own_url(&headers, &uri))
}

async fn project(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    with_project(&ctx, &id, |r| axum::Json(project_json(r)).into_response())
}

async fn update_project(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_project(&ctx, &id, |r| {
        if let Some(v) = body
            .get("only_allow_merge_if_pipeline_succeeds")
            .and_then(Value::as_bool)
        {
            r.only_allow_merge_if_pipeline_succeeds = v;
        }
        if let Some(v) = body.get("default_branch").and_then(Value::as_str) {
            r.default_branch = v.into();
        }
        axum::Json(project_json(r)).into_response()
    })
}

async fn tree(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let url = own_url(&headers, &uri);
    with_project(&ctx, &id, |r| {
        let reference = q
            .get("ref")
            .cloned()
            .unwrap_or_else(|| r.default_branch.clone());
        let Some(tree) = r.resolve_tree(&reference) else {
            return msg(StatusCode::NOT_FOUND, "404 Tree Not Found");
        };
        let recursive = q.get("recursive").is_some_and(|v| v == "true");
        let items: Vec<Value> = r
            .walk(&tree, recursive)
            .into_iter()
            .map(|(path, mode, sha, is_tree)| {
                json!({
                    "id": sha,
                    "name": path.rsplit('/').next().unwrap_or(&path),
                    "type": if is_tree { "tree" } else { "blob" },
                    "path": path,
                    "mode": if is_tree { "040000".to_string() } else { mode },
                })
            })
            .collect();
        paginate(Flavor::Gitlab, items, &q, &url)
    })
}

async fn raw_file(
    State(ctx): State<Ctx>,
    Path((id, path)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    with_project(&ctx, &id, |r| {
        let reference = q
            .get("ref")
            .cloned()
            .unwrap_or_else(|| r.default_branch.clone());
        let Some(tree) = r.resolve_tree(&reference) else {
            return msg(StatusCode::NOT_FOUND, "404 Commit Not Found");
        };
        match r
            .flat(&tree)
            .remove(&path)
            .and_then(|(_, sha)| r.blob(&sha).map(<[u8]>::to_vec))
        {
            Some(content) => (
                StatusCode::OK,
                [("content-type", "text/plain; charset=utf-8")],
                content,
            )
                .into_response(),
            None => msg(StatusCode::NOT_FOUND, "404 File Not Found"),
        }
    })
}

fn commit_json(r: &FakeRepo, sha: &str) -> Value {
    let c = r.commit(sha);
    json!({
        "id": sha,
        "short_id": sha.get(..8).unwrap_or(sha),
        "message": c.map(|c| c.message.clone()),
        "title": c.map(|c| c.message.lines().next().unwrap_or("").to_string()),
        "parent_ids": c.map(|c| c.parents.clone()).unwrap_or_default(),
        "web_url": format!("https://gitlab.example/{}/-/commit/{sha}", r.full_name),
    })
}

fn branch_json(r: &FakeRepo, name: &str, sha: &str) -> Value {
    json!({
        "name": name,
        "commit": commit_json(r, sha),
        "protected": r.protected_branches.contains_key(name),
        "default": name == r.default_branch,
    })
}

async fn branch(State(ctx): State<Ctx>, Path((id, b)): Path<(String, String)>) -> Response {
    with_project(&ctx, &id, |r| {
        match r.refs.get(&format!("heads/{b}")).cloned() {
            Some(sha) => axum::Json(branch_json(r, &b, &sha)).into_response(),
            None => msg(StatusCode::NOT_FOUND, "404 Branch Not Found"),
        }
    })
}

async fn create_branch(State(ctx): State<Ctx>, Path(id): Path<String>, Query(q): Q) -> Response {
    with_project(&ctx, &id, |r| {
        let (Some(name), Some(from)) = (q.get("branch"), q.get("ref")) else {
            return msg(StatusCode::BAD_REQUEST, "branch and ref are missing");
        };
        if r.refs.contains_key(&format!("heads/{name}")) {
            return msg(StatusCode::BAD_REQUEST, "Branch already exists");
        }
        let Some(sha) = r.resolve(from) else {
            return msg(StatusCode::BAD_REQUEST, "Invalid reference name");
        };
        r.refs.insert(format!("heads/{name}"), sha.clone());
        (StatusCode::CREATED, axum::Json(branch_json(r, name, &sha))).into_response()
    })
}

/// `POST /projects/:id/repository/commits`: one commit from create/update/delete actions; actions that
/// do not match the branch's files fail the whole commit with 400, as GitLab does.
async fn create_commit(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_project(&ctx, &id, |r| {
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let Some(branch) = s("branch") else {
            return msg(StatusCode::BAD_REQUEST, "branch is missing");
        };
        let message = s("commit_message").unwrap_or_default();
        let start = s("start_branch");
        let exists = r.refs.contains_key(&format!("heads/{branch}"));
        if exists && start.is_some() {
            return msg(
                StatusCode::BAD_REQUEST,
                &format!("A branch called '{branch}' already exists"),
            );
        }
        if !exists && start.is_none() && !r.refs.is_empty() {
            return msg(
                StatusCode::BAD_REQUEST,
                "You can only create or edit files when you are on a branch",
            );
        }
        let base = if exists {
            Some(branch.clone())
        } else {
            start.clone()
        };
        let current = match &base {
            Some(b) => match r.resolve_tree(b) {
                Some(t) => r.flat(&t),
                None => {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        &format!("Invalid start branch {b}"),
                    );
                }
            },
            None => BTreeMap::new(),
        };
        let head = base.as_deref().and_then(|b| r.resolve(b));
        let mut changes = Vec::new();
        for a in body
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let action = a.get("action").and_then(Value::as_str).unwrap_or("");
            let Some(path) = a.get("file_path").and_then(Value::as_str) else {
                return msg(StatusCode::BAD_REQUEST, "actions[file_path] is missing");
            };
            let content = a.get("content").and_then(Value::as_str).map(str::to_string);
            let present = current.contains_key(path);
            match action {
                "create" if present => {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        "A file with this name already exists",
                    );
                }
                "update" | "delete" if !present => {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        "A file with this name doesn't exist",
                    );
                }
                "update" | "delete" if changed_since(r, head.as_deref(), path, a) => {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "You are attempting to {action} a file `{path}` that has changed since you started editing it."
                        ),
                    );
                }
                "create" | "update" => {
                    changes.push((path.to_string(), Some(content.unwrap_or_default())))
                }
                "delete" => changes.push((path.to_string(), None)),
                other => {
                    return msg(
                        StatusCode::BAD_REQUEST,
                        &format!("action {other} is not supported"),
                    );
                }
            }
        }
        if changes.is_empty() {
            return msg(StatusCode::BAD_REQUEST, "actions is empty");
        }
        match r.commit_files(&branch, start.as_deref(), &message, &changes) {
            Ok(sha) => (StatusCode::CREATED, axum::Json(commit_json(r, &sha))).into_response(),
            Err(e) => msg(StatusCode::BAD_REQUEST, &e),
        }
    })
}

/// GitLab's `file_has_changed?`: with `last_commit_id`, the file's last commit on the branch must be
/// its last commit as of that id.
fn changed_since(r: &FakeRepo, head: Option<&str>, path: &str, action: &Value) -> bool {
    let Some(given) = action.get("last_commit_id").and_then(Value::as_str) else {
        return false;
    };
    let (Some(head), Some(given)) = (head, r.resolve(given)) else {
        return false;
    };
    match (
        r.last_commit_for_path(head, path),
        r.last_commit_for_path(&given, path),
    ) {
        (Some(now), Some(then)) => now != then,
        _ => false,
    }
}

fn mr_json(r: &FakeRepo, p: &Pull) -> Value {
    json!({
        "id": r.id * 1000 + p.number,
        "iid": p.number,
        "project_id": r.id,
        "source_project_id": p.source_project.unwrap_or(r.id),
        "target_project_id": r.id,
        "title": p.title,
        "description": p.body,
        "state": match p.state.as_str() { "open" => "opened", other => other },
        "source_branch": p.head,
        "target_branch": p.base,
        "web_url": format!("https://gitlab.example/{}/-/merge_requests/{}", r.full_name, p.number),
    })
}

async fn list_mrs(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let url = own_url(&headers, &uri);
    with_project(&ctx, &id, |r| {
        let state = q.get("state").map(String::as_str).unwrap_or("all");
        let items: Vec<Value> = r
            .pulls
            .iter()
            .rev()
            .filter(|p| q.get("source_branch").is_none_or(|b| *b == p.head))
            .filter(|p| match state {
                "opened" => p.state == "open",
                "all" => true,
                other => p.state == other,
            })
            .map(|p| mr_json(r, p))
            .collect();
        paginate(Flavor::Gitlab, items, &q, &url)
    })
}

async fn create_mr(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_project(&ctx, &id, |r| {
        let s = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (head, base) = (s("source_branch"), s("target_branch"));
        for b in [&head, &base] {
            if !r.refs.contains_key(&format!("heads/{b}")) {
                return msg(StatusCode::NOT_FOUND, &format!("404 Branch {b} Not Found"));
            }
        }
        if r.pulls.iter().any(|p| {
            p.head == head && p.base == base && p.state == "open" && p.source_project.is_none()
        }) {
            return msg(
                StatusCode::CONFLICT,
                &format!(
                    "Another open merge request already exists for this source branch: !{head}"
                ),
            );
        }
        let number = r.pulls.iter().map(|p| p.number).max().unwrap_or(0) + 1;
        let p = Pull {
            number,
            head,
            base,
            title: s("title"),
            body: s("description"),
            state: "open".into(),
            source_project: None,
        };
        let json = mr_json(r, &p);
        r.pulls.push(p);
        (StatusCode::CREATED, axum::Json(json)).into_response()
    })
}

async fn get_mr(State(ctx): State<Ctx>, Path((id, iid)): Path<(String, u64)>) -> Response {
    with_project(&ctx, &id, |r| {
        match r.pulls.iter().find(|p| p.number == iid) {
            Some(p) => axum::Json(mr_json(r, p)).into_response(),
            None => msg(StatusCode::NOT_FOUND, "404 Not found"),
        }
    })
}

async fn update_mr(
    State(ctx): State<Ctx>,
    Path((id, iid)): Path<(String, u64)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_project(&ctx, &id, |r| {
        let Some(i) = r.pulls.iter().position(|p| p.number == iid) else {
            return msg(StatusCode::NOT_FOUND, "404 Not found");
        };
        let p = &mut r.pulls[i];
        if let Some(v) = body.get("title").and_then(Value::as_str) {
            p.title = v.into();
        }
        if let Some(v) = body.get("description").and_then(Value::as_str) {
            p.body = v.into();
        }
        if let Some(v) = body.get("target_branch").and_then(Value::as_str) {
            p.base = v.into();
        }
        if let Some(v) = body.get("state_event").and_then(Value::as_str) {
            p.state = if v == "close" {
                "closed".into()
            } else {
                "open".into()
            };
        }
        let p = r.pulls[i].clone();
        axum::Json(mr_json(r, &p)).into_response()
    })
}

fn protected_json(name: &str, push: u64, merge: u64) -> Value {
    json!({
        "name": name,
        "push_access_levels": [{"access_level": push}],
        "merge_access_levels": [{"access_level": merge}],
        "allow_force_push": false,
    })
}

async fn list_protected(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    with_project(&ctx, &id, |r| {
        axum::Json(Value::Array(
            r.protected_branches.values().cloned().collect(),
        ))
        .into_response()
    })
}

async fn protect(State(ctx): State<Ctx>, Path(id): Path<String>, Query(q): Q) -> Response {
    with_project(&ctx, &id, |r| {
        let Some(name) = q.get("name") else {
            return msg(StatusCode::BAD_REQUEST, "name is missing");
        };
        if r.protected_branches.contains_key(name) {
            return msg(
                StatusCode::CONFLICT,
                "Protected branch 'main' already exists",
            );
        }
        let level = |k: &str| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(40);
        let json = protected_json(
            name,
            level("push_access_level"),
            level("merge_access_level"),
        );
        r.protected_branches.insert(name.clone(), json.clone());
        (StatusCode::CREATED, axum::Json(json)).into_response()
    })
}

async fn get_protected(
    State(ctx): State<Ctx>,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    with_project(&ctx, &id, |r| match r.protected_branches.get(&name) {
        Some(p) => axum::Json(p.clone()).into_response(),
        None => msg(StatusCode::NOT_FOUND, "404 Not found"),
    })
}

async fn unprotect(State(ctx): State<Ctx>, Path((id, name)): Path<(String, String)>) -> Response {
    with_project(&ctx, &id, |r| match r.protected_branches.remove(&name) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => msg(StatusCode::NOT_FOUND, "404 Not found"),
    })
}

async fn get_push_rule(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    with_project(&ctx, &id, |r| {
        axum::Json(r.push_rule.clone().unwrap_or(Value::Null)).into_response()
    })
}

async fn set_push_rule(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_project(&ctx, &id, |r| {
        let mut rule = r
            .push_rule
            .clone()
            .unwrap_or_else(|| json!({"id": r.id, "project_id": r.id}));
        if let Some(v) = body.get("reject_unsigned_commits").and_then(Value::as_bool) {
            rule["reject_unsigned_commits"] = json!(v);
        }
        r.push_rule = Some(rule.clone());
        (StatusCode::CREATED, axum::Json(rule)).into_response()
    })
}

async fn list_variables(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    with_project(&ctx, &id, |r| {
        axum::Json(Value::Array(r.variables.values().cloned().collect())).into_response()
    })
}

async fn get_variable(State(ctx): State<Ctx>, Path((id, key)): Path<(String, String)>) -> Response {
    with_project(&ctx, &id, |r| match r.variables.get(&key) {
        Some(v) => axum::Json(v.clone()).into_response(),
        None => msg(StatusCode::NOT_FOUND, "404 Variable Not Found"),
    })
}

fn variable_json(key: &str, body: &Value) -> Value {
    json!({
        "key": key,
        "value": body.get("value").and_then(Value::as_str).unwrap_or(""),
        "variable_type": body.get("variable_type").and_then(Value::as_str).unwrap_or("env_var"),
        "protected": body.get("protected").and_then(Value::as_bool).unwrap_or(false),
        "masked": body.get("masked").and_then(Value::as_bool).unwrap_or(false),
        "raw": body.get("raw").and_then(Value::as_bool).unwrap_or(false),
        "environment_scope": "*",
        "description": body.get("description").cloned().unwrap_or(Value::Null),
    })
}

async fn create_variable(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_project(&ctx, &id, |r| {
        let Some(key) = body.get("key").and_then(Value::as_str) else {
            return msg(StatusCode::BAD_REQUEST, "key is missing");
        };
        if r.variables.contains_key(key) {
            return error(
                Flavor::Gitlab,
                StatusCode::BAD_REQUEST,
                &format!("{key} has already been taken"),
            );
        }
        let v = variable_json(key, &body);
        r.variables.insert(key.to_string(), v.clone());
        (StatusCode::CREATED, axum::Json(v)).into_response()
    })
}

async fn update_variable(
    State(ctx): State<Ctx>,
    Path((id, key)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_project(&ctx, &id, |r| match r.variables.get_mut(&key) {
        Some(v) => {
            if let Some(value) = body.get("value").and_then(Value::as_str) {
                v["value"] = json!(value);
            }
            axum::Json(v.clone()).into_response()
        }
        None => msg(StatusCode::NOT_FOUND, "404 Variable Not Found"),
    })
}

async fn delete_variable(
    State(ctx): State<Ctx>,
    Path((id, key)): Path<(String, String)>,
) -> Response {
    with_project(&ctx, &id, |r| match r.variables.remove(&key) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => msg(StatusCode::NOT_FOUND, "404 Variable Not Found"),
    })
}
