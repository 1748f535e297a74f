//! Unit tests of the catalog: every template renders its example values into YAML, and values
//! that could change the YAML or a script are rejected.

use serde_json::{Value, json};

use super::*;

fn names() -> Vec<&'static str> {
    templates().iter().map(|t| t.name).collect()
}

#[test]
fn ten_templates_sorted_one_per_stack_and_platform() {
    let names = names();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    for platform in ["github", "gitlab"] {
        for stack in ["container", "go", "node", "python", "rust"] {
            assert!(
                names.contains(&format!("{platform}-{stack}").as_str()),
                "{platform}-{stack}"
            );
        }
    }
    assert_eq!(names.len(), 10);
    for t in templates() {
        assert!(t.name.starts_with(t.platform.as_str()), "{}", t.name);
    }
}

#[test]
fn every_template_renders_its_example_values_into_yaml() {
    for name in names() {
        let values = example_values(name).expect("example");
        let rendered = render(name, &values).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rendered.template, name);
        assert_eq!(rendered.files.len(), 1, "{name}");
        for (path, text) in &rendered.files {
            let expected = if name.starts_with("github") {
                ".github/workflows/ci.yml"
            } else {
                ".gitlab-ci.yml"
            };
            assert_eq!(path, expected);
            for leftover in ["[=", "=]", "[%", "%]", "[#", "#]"] {
                assert!(
                    !text.contains(leftover),
                    "{name}: {leftover} left in\n{text}"
                );
            }
            assert!(
                text.ends_with('\n') && !text.ends_with("\n\n"),
                "{name}: one trailing newline"
            );
            let doc: Value =
                serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
            let sha = values["chainproof_sha"].as_str().expect("sha");
            assert!(
                text.contains(&format!("@{sha} # v0.1.0")),
                "{name}: pinned with a comment"
            );
            if name.starts_with("github") {
                assert_eq!(doc["permissions"], json!({}), "{name}");
                assert!(
                    text.contains("${{ github.workflow }}-${{ github.ref }}"),
                    "{name}: expressions kept"
                );
                for (id, job) in jobs(name, &doc) {
                    assert!(job["timeout-minutes"].is_number(), "{name}/{id}");
                    assert!(job["permissions"].is_object(), "{name}/{id}");
                }
            } else {
                assert_eq!(doc["include"].as_array().map(Vec::len), Some(3), "{name}");
            }
            assert_eq!(signing_jobs(name, &doc), expected_signers(name), "{name}");
        }
    }
}

// --- helpers over the rendered YAML --------------------------------------------------------------

/// The rendered file of `name` with `values`, parsed.
fn doc_of(name: &str, values: &Value) -> (String, Value) {
    let rendered = render(name, values).unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = rendered.files.values().next().expect("one file").clone();
    let doc = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
    (text, doc)
}

/// The jobs of a rendered pipeline: GitHub's `jobs:`, GitLab's top-level keys that are not
/// global keywords.
fn jobs(name: &str, doc: &Value) -> Vec<(String, Value)> {
    let map = if name.starts_with("github") {
        doc["jobs"].as_object().expect("jobs")
    } else {
        doc.as_object().expect("mapping")
    };
    map.iter()
        .filter(|(k, _)| {
            !["workflow", "stages", "default", "include", "variables"].contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The jobs that can get an OpenID Connect token: `id-token: write` (GitHub) or `id_tokens:`
/// (GitLab). The GitLab tokens must be for Sigstore.
fn signing_jobs(name: &str, doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (id, job) in jobs(name, doc) {
        if name.starts_with("github") {
            if job["permissions"]["id-token"] == "write" {
                out.push(id);
            } else {
                assert!(job["permissions"].get("id-token").is_none(), "{name}/{id}");
            }
        } else if let Some(tokens) = job.get("id_tokens") {
            assert_eq!(
                tokens,
                &json!({ "SIGSTORE_ID_TOKEN": { "aud": "sigstore" } }),
                "{name}/{id}"
            );
            out.push(id);
        }
    }
    out.sort();
    out
}

fn expected_signers(name: &str) -> Vec<String> {
    let id = match name {
        n if n.starts_with("github") => "sign",
        "gitlab-container" => "image-sign",
        _ => "release-sign",
    };
    vec![id.to_owned()]
}

/// The ids a job `needs` (GitHub: a string or a list; GitLab: names or `{job: name}`).
fn needs_of(job: &Value) -> Vec<String> {
    match job.get("needs") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().or_else(|| i["job"].as_str()))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Every job `id` needs, directly or through the jobs it needs.
fn needs_closure(all: &[(String, Value)], id: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut todo = vec![id.to_owned()];
    while let Some(next) = todo.pop() {
        // Jobs of the included components are not in the file; they need nothing of ours.
        let Some((_, job)) = all.iter().find(|(k, _)| *k == next) else {
            continue;
        };
        for n in needs_of(job) {
            if !seen.contains(&n) {
                seen.push(n.clone());
                todo.push(n);
            }
        }
    }
    seen
}

/// Everything a job runs: GitHub's `run:` texts and `uses:` references, GitLab's scripts.
fn job_commands(job: &Value) -> String {
    let mut out = String::new();
    for step in job["steps"].as_array().into_iter().flatten() {
        for key in ["run", "uses"] {
            if let Some(s) = step[key].as_str() {
                out.push_str(s);
                out.push('\n');
            }
        }
    }
    for key in ["before_script", "script", "after_script"] {
        for line in job[key].as_array().into_iter().flatten() {
            out.push_str(line.as_str().unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

/// Commands that run the project's own code (its build scripts, tests, Dockerfile...).
const PROJECT_CODE: &[&str] = &[
    "actions/checkout",
    "cargo ",
    "npm ",
    "pip ",
    "python ",
    "go build",
    "go test",
    "go vet",
    "docker build",
    "buildah build",
];

fn all_example_variants() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for name in names() {
        let values = example_values(name).expect("example");
        let mut other = values.clone();
        if name.starts_with("github") {
            other["upload_sarif"] = json!(!values["upload_sarif"].as_bool().unwrap_or(false));
            if name != "github-container" {
                other["publish_release"] = json!(false);
            }
        } else if name != "gitlab-container" {
            other.as_object_mut().expect("map").remove("release_image");
        }
        out.push((name, values));
        out.push((name, other));
    }
    out
}

#[test]
fn jobs_with_an_id_token_run_no_project_code_and_follow_the_tests() {
    for (name, values) in all_example_variants() {
        let (_, doc) = doc_of(name, &values);
        let all = jobs(name, &doc);
        let signers = signing_jobs(name, &doc);
        assert_eq!(signers, expected_signers(name), "{name}");
        let test_job = match name {
            "github-container" => "image",
            "gitlab-container" => "image-scan",
            _ => "build",
        };
        for (id, job) in &all {
            let commands = job_commands(job);
            if signers.contains(id) {
                for code in PROJECT_CODE {
                    assert!(
                        !commands.contains(code),
                        "{name}/{id} has an ID token and runs {code:?}:\n{commands}"
                    );
                }
                if name.starts_with("gitlab") {
                    assert_eq!(job["image"], values["chainproof_image"], "{name}/{id}");
                }
            }
            let is_release = if name.starts_with("github") {
                job["if"]
                    .as_str()
                    .is_some_and(|c| c.contains("refs/tags/v"))
            } else {
                job["stage"] == "release"
            };
            if is_release || signers.contains(id) {
                let closure = needs_closure(&all, id);
                assert!(
                    closure.iter().any(|n| n == test_job),
                    "{name}/{id} does not wait for {test_job}: {closure:?}"
                );
            }
            // Jobs with credentials run in the release environment (GitHub), those that run
            // project code never do (an environment's secrets would reach that code).
            if name.starts_with("github") {
                let perms = job["permissions"].as_object().expect("permissions");
                let writes = perms
                    .iter()
                    .any(|(k, v)| v == "write" && k != "security-events");
                assert_eq!(
                    job.get("environment").is_some(),
                    writes,
                    "{name}/{id}: environment exactly on the jobs that write or sign"
                );
                if writes {
                    assert_eq!(job["environment"], "release", "{name}/{id}");
                    assert!(!commands.contains("actions/checkout"), "{name}/{id}");
                }
            }
        }
        // The release files live in a directory of their own, never the project's dist/.
        let text = serde_json::to_string(&doc).expect("json");
        assert!(
            !text.contains("dist/") || text.contains("release-dist/"),
            "{name}"
        );
        assert!(!text.contains("rustup default"), "{name}");
    }
}

#[test]
fn the_release_environment_is_a_parameter() {
    let mut values = example_values("github-go").expect("example");
    values["release_environment"] = json!("prod-release");
    let (_, doc) = doc_of("github-go", &values);
    for id in ["sign", "publish"] {
        assert_eq!(doc["jobs"][id]["environment"], "prod-release", "{id}");
    }
    values["release_environment"] = json!("prod release");
    assert!(render("github-go", &values).is_err());
}

#[test]
fn publishing_is_one_job_with_the_only_write_permission_or_none() {
    for name in ["github-rust", "github-node", "github-python", "github-go"] {
        let mut values = example_values(name).expect("example");
        let (_, doc) = doc_of(name, &values);
        let publish = &doc["jobs"]["publish"];
        assert_eq!(
            publish["permissions"],
            json!({ "contents": "write" }),
            "{name}"
        );
        assert!(
            job_commands(publish).contains("gh release create"),
            "{name}"
        );
        assert_eq!(
            publish["steps"][1]["env"]["GH_TOKEN"], "${{ github.token }}",
            "{name}"
        );
        for (id, job) in jobs(name, &doc) {
            if id != "publish" {
                assert_ne!(job["permissions"]["contents"], "write", "{name}/{id}");
            }
        }
        values["publish_release"] = json!(false);
        let (_, doc) = doc_of(name, &values);
        assert!(doc["jobs"].get("publish").is_none(), "{name}");
    }
    for name in ["gitlab-rust", "gitlab-node", "gitlab-python", "gitlab-go"] {
        let mut values = example_values(name).expect("example");
        let (_, doc) = doc_of(name, &values);
        let publish = &doc["release-publish"];
        assert_eq!(publish["image"], values["release_image"], "{name}");
        assert_eq!(publish["release"]["tag_name"], "$CI_COMMIT_TAG", "{name}");
        assert_eq!(needs_of(publish), ["release-sign"], "{name}");
        assert_eq!(
            doc["release-sign"]["artifacts"]["reports"]["dotenv"],
            "release-sign.env"
        );
        values.as_object_mut().expect("map").remove("release_image");
        let (_, doc) = doc_of(name, &values);
        assert!(doc.get("release-publish").is_none(), "{name}");
        assert!(
            doc["release-sign"]["artifacts"].get("reports").is_none(),
            "{name}"
        );
    }
}

#[test]
fn the_container_release_pushes_the_scanned_archive_and_signs_its_digest() {
    let (text, doc) = doc_of(
        "github-container",
        &example_values("github-container").expect("e"),
    );
    let push = &doc["jobs"]["push"];
    assert_eq!(push["permissions"], json!({ "packages": "write" }));
    let commands = job_commands(push);
    assert!(
        commands.contains("docker load --input \"$RUNNER_TEMP/image/image.tar\""),
        "{commands}"
    );
    assert!(!commands.contains("docker build"), "{commands}");
    let sign = &doc["jobs"]["sign"];
    assert_eq!(
        sign["permissions"],
        json!({ "id-token": "write", "packages": "write" })
    );
    assert_eq!(needs_of(sign), ["push"]);
    let commands = job_commands(sign);
    assert!(
        commands.contains("chainproof sign \"$IMAGE_NAME@$IMAGE_DIGEST\""),
        "{commands}"
    );
    assert!(commands.contains("docker login ghcr.io"), "{commands}");
    assert!(
        text.contains("docker save --output \"$RUNNER_TEMP/image/image.tar\""),
        "{text}"
    );

    let (_, doc) = doc_of(
        "gitlab-container",
        &example_values("gitlab-container").expect("e"),
    );
    let script = job_commands(&doc["image-sign"]);
    assert!(
        script.contains("> \"$HOME/.docker/config.json\""),
        "{script}"
    );
    assert!(
        script.contains("chainproof sign \"$CI_REGISTRY_IMAGE@$digest\""),
        "{script}"
    );
    // The password goes through a pipe into a file, never to the log.
    for line in script
        .lines()
        .filter(|l| l.contains("CI_REGISTRY_PASSWORD"))
    {
        assert!(line.contains("| base64"), "{line}");
        assert!(!line.trim_start().starts_with("echo"), "{line}");
    }
}

#[test]
fn chainproof_is_built_with_stable_rust_whatever_the_project_uses() {
    for name in names().into_iter().filter(|n| n.starts_with("github")) {
        let (_, doc) = doc_of(name, &example_values(name).expect("example"));
        let mut actions = 0;
        for (id, job) in jobs(name, &doc) {
            for step in job["steps"].as_array().into_iter().flatten() {
                let uses = step["uses"].as_str().unwrap_or_default();
                if uses.starts_with("chainproof/chainproof/actions/") {
                    actions += 1;
                    assert_eq!(
                        step["env"]["RUSTUP_TOOLCHAIN"], "stable",
                        "{name}/{id}: {uses}"
                    );
                }
            }
        }
        assert!(actions >= 4, "{name}: {actions}");
    }
    let (_, doc) = doc_of(
        "github-rust",
        &example_values("github-rust").expect("example"),
    );
    for id in ["build", "release-build"] {
        assert_eq!(doc["jobs"][id]["env"]["RUSTUP_TOOLCHAIN"], "1.90.0", "{id}");
    }
}

#[test]
fn sarif_uploads_get_actions_read() {
    let mut values = example_values("github-go").expect("example");
    values["upload_sarif"] = json!(true);
    let (_, doc) = doc_of("github-go", &values);
    for id in ["lint", "scan"] {
        let perms = &doc["jobs"][id]["permissions"];
        assert_eq!(perms["security-events"], "write", "{id}");
        assert_eq!(perms["actions"], "read", "{id}");
    }
    values["upload_sarif"] = json!(false);
    let (text, _) = doc_of("github-go", &values);
    assert!(
        !text.contains("actions: read") && !text.contains("security-events"),
        "{text}"
    );
}

/// The tool-cache lookups, run by bash on a fake cache: `1.2` finds 1.2.x, never 1.20 or 1.2x.
#[cfg(unix)]
#[test]
fn tool_cache_lookups_match_whole_version_components() {
    let tmp = std::env::temp_dir().join(format!("chainproof-toolcache-{}", std::process::id()));
    for (name, dir, var, exe) in [
        ("github-go", "go", "GO_VERSION", "go"),
        ("github-node", "node", "NODE_VERSION", "node"),
        ("github-python", "Python", "PYTHON_VERSION", "python3"),
    ] {
        let (_, doc) = doc_of(name, &example_values(name).expect("example"));
        let step = doc["jobs"]["build"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["name"].as_str().is_some_and(|n| n.contains("tool cache")))
            .expect("tool cache step")
            .clone();
        let script = step["run"].as_str().expect("run");
        let script = script.replace("\"$found/x64/bin/python3\" -m venv", "true");
        let _ = std::fs::remove_dir_all(&tmp);
        for version in ["1.2.9", "1.20.1", "1.21.0"] {
            let bin = tmp.join(dir).join(version).join("x64/bin");
            std::fs::create_dir_all(&bin).expect("mkdir");
            let exe_path = bin.join(exe);
            std::fs::write(&exe_path, "#!/bin/sh\n").expect("write");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&exe_path, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        for (asked, expected) in [
            ("1.2", Some("1.2.9")),
            ("1.20", Some("1.20.1")),
            ("1", Some("1.21.0")),
            ("1.3", None),
            ("1.2.9", Some("1.2.9")),
        ] {
            let path_file = tmp.join("path");
            let _ = std::fs::remove_file(&path_file);
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(&script)
                .env("RUNNER_TOOL_CACHE", &tmp)
                .env("RUNNER_TEMP", &tmp)
                .env("GITHUB_PATH", &path_file)
                .env(var, asked)
                .output()
                .expect("bash");
            match expected {
                Some(v) => {
                    assert!(out.status.success(), "{name} {asked}: {out:?}");
                    let path = std::fs::read_to_string(&path_file).expect("GITHUB_PATH");
                    let want = if dir == "Python" {
                        tmp.join("venv/bin")
                    } else {
                        tmp.join(dir).join(v).join("x64/bin")
                    };
                    assert_eq!(path.trim(), want.to_string_lossy(), "{name} {asked}");
                    if dir != "Python" {
                        assert!(path.contains(&format!("/{v}/")), "{name} {asked}: {path}");
                    }
                }
                None => assert!(!out.status.success(), "{name} {asked}: matched a prefix"),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn python_wheels_are_built_without_isolation_from_hashed_build_requirements() {
    for name in ["github-python", "gitlab-python"] {
        let mut values = example_values(name).expect("example");
        let (text, _) = doc_of(name, &values);
        assert!(
            text.contains("BUILD_REQUIREMENTS: \"requirements-build.txt\""),
            "{name}"
        );
        let install = text
            .find("--require-hashes --requirement \"$BUILD_REQUIREMENTS\"")
            .expect("build requirements installed");
        let wheel = text
            .find("pip wheel . --no-deps --no-build-isolation")
            .expect("wheel without isolation");
        assert!(install < wheel, "{name}");
        values["build_requirements_file"] = json!("build/reqs.txt");
        let (text, _) = doc_of(name, &values);
        assert!(
            text.contains("BUILD_REQUIREMENTS: \"build/reqs.txt\""),
            "{name}"
        );
    }
}

#[test]
fn rendered_files_record_their_hash() {
    let values = example_values("gitlab-go").expect("example");
    let rendered = render("gitlab-go", &values).expect("render");
    let text = &rendered.files[".gitlab-ci.yml"];
    let (first, rest) = text.split_once('\n').expect("lines");
    let hash = first.strip_prefix(RENDER_MARK).expect("mark");
    assert_eq!(hash.len(), 64);
    assert!(is_unedited_render(text));
    assert!(!is_unedited_render(rest));
    assert!(!is_unedited_render(&text.replace("go vet", "go  vet")));
    assert!(!is_unedited_render(&format!("{text}# one more line\n")));
    assert!(!is_unedited_render(&format!("{RENDER_MARK}{hash}")));
}

#[test]
fn defaults_are_filled_in_and_sign_release_can_be_turned_off() {
    let mut values = example_values("github-rust").expect("example");
    values
        .as_object_mut()
        .expect("map")
        .remove("rust_toolchain");
    let resolved = resolve("github-rust", &values).expect("resolve");
    assert_eq!(resolved["rust_toolchain"], "1.90.0");
    assert_eq!(resolved["timeout_minutes"], 30);
    assert_eq!(resolved["working_directory"], ".");
    values["sign_release"] = json!(false);
    let text = &render("github-rust", &values).expect("render").files[".github/workflows/ci.yml"];
    assert!(!text.contains("id-token"), "{text}");
    assert!(!text.contains("release:"), "{text}");
}

/// With `working_directory: web/app`, every job of every template works in that directory, or is
/// one that by design does not (lint reads every workflow of the repository; sign and publish
/// handle only downloaded files).
#[test]
fn working_directory_reaches_every_job() {
    for name in names().into_iter().filter(|n| !n.ends_with("container")) {
        let mut values = example_values(name).expect("example");
        values["working_directory"] = json!("web/app");
        let (text, doc) = doc_of(name, &values);
        assert_eq!(
            doc.get("env")
                .or_else(|| doc.get("variables"))
                .map(|v| &v["APP_DIR"]),
            Some(&json!("web/app")),
            "{name}"
        );
        let mut unchecked = Vec::new();
        for (id, job) in jobs(name, &doc) {
            let commands = job_commands(&job);
            let in_dir = job["defaults"]["run"]["working-directory"] == "web/app"
                || commands.starts_with("cd \"$APP_DIR\"")
                || commands.contains("cd \"$CI_PROJECT_DIR/$APP_DIR\"");
            let path_input = job["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| s["with"]["path"] == "web/app");
            if !(in_dir || path_input) {
                unchecked.push(id);
            }
        }
        unchecked.sort();
        let expected: &[&str] = if name.starts_with("github") {
            &["lint", "publish", "sign"]
        } else {
            &["release-publish", "release-sign"]
        };
        assert_eq!(unchecked, expected, "{name}");
        if name.starts_with("gitlab") {
            // The components' jobs get it as their path input.
            assert_eq!(text.matches("path: \"web/app\"").count(), 2, "{name}");
        }
        // The source archive is made from the repository root, of the project directory only,
        // and says so in its name.
        assert!(text.contains("source-web-app-$"), "{name}");
        assert!(text.contains("archive --format=tar.gz"), "{name}");
        assert!(text.contains("HEAD -- \"$APP_DIR\""), "{name}");
    }
}

#[test]
fn unknown_keys_are_rejected_by_name() {
    for name in names() {
        let mut values = example_values(name).expect("example");
        values["rust_tolchain"] = json!("1.80");
        let err = render(name, &values).expect_err("unknown key").to_string();
        assert!(
            err.contains("unknown field `rust_tolchain`"),
            "{name}: {err}"
        );
    }
}

#[test]
fn missing_required_values_are_named() {
    let err = render(
        "gitlab-go",
        &json!({ "chainproof_sha": "e345bb857c53f17dff268cf2a83eacfd87a3bbf6" }),
    )
    .expect_err("missing")
    .to_string();
    assert!(err.contains("chainproof_version"), "{err}");
}

#[test]
fn injection_attempts_are_rejected_naming_the_key() {
    let cases = [
        (
            "github-rust",
            "rust_toolchain",
            json!("1.80\n  run: curl evil"),
        ),
        (
            "github-rust",
            "rust_toolchain",
            json!("1.80\"; curl evil; echo \""),
        ),
        ("github-node", "node_version", json!("$(curl evil)")),
        (
            "github-python",
            "requirements_file",
            json!("../../etc/passwd"),
        ),
        ("github-go", "working_directory", json!("/")),
        (
            "github-container",
            "image_name",
            json!("ghcr.io/x/y\n    permissions: write-all"),
        ),
        (
            "github-rust",
            "default_branch",
            json!("main\"]\n  workflow_dispatch:"),
        ),
        ("github-rust", "chainproof_sha", json!("main")),
        (
            "github-rust",
            "chainproof_version",
            json!("v1 # ${{ secrets.X }}"),
        ),
        ("gitlab-rust", "rust_image", json!("rust:1.90")),
        (
            "gitlab-rust",
            "component_host",
            json!("evil.example.com/x/y/lint@main #"),
        ),
        (
            "gitlab-python",
            "python_image",
            json!("python@sha256:00\nscript: [curl evil]"),
        ),
        ("github-rust", "fail_on", json!("warning")),
        ("github-rust", "timeout_minutes", json!(0)),
        ("github-rust", "timeout_minutes", json!("30")),
        ("github-rust", "upload_sarif", json!("yes")),
    ];
    for (name, key, bad) in cases {
        let mut values = example_values(name).expect("example");
        values[key] = bad.clone();
        let err = render(name, &values).expect_err("rejected");
        assert!(
            matches!(err, CatalogError::InvalidValues { .. }),
            "{name} {key}: {err}"
        );
        assert!(
            err.to_string().contains(&format!("{key}: ")),
            "{name} {key}={bad}: {err}"
        );
    }
}

#[test]
fn values_must_be_a_mapping() {
    assert!(render("github-go", &json!(["a"])).is_err());
    assert!(matches!(
        render("github-java", &json!({})),
        Err(CatalogError::UnknownTemplate { .. })
    ));
    assert!(parse_values("- a\n- b\n", true).is_err());
    assert_eq!(parse_values("", true).expect("empty"), json!({}));
    assert_eq!(parse_values("a: 1\n", true).expect("yaml"), json!({"a": 1}));
}

#[test]
fn params_are_typed_by_the_schema() {
    assert_eq!(
        parse_param("github-rust", "rust_toolchain", "1.80").expect("s"),
        json!("1.80")
    );
    assert_eq!(
        parse_param("github-rust", "upload_sarif", "true").expect("b"),
        json!(true)
    );
    assert_eq!(
        parse_param("github-rust", "timeout_minutes", "45").expect("n"),
        json!(45)
    );
    assert_eq!(
        parse_param("github-rust", "fail_on", "info").expect("e"),
        json!("info")
    );
    let err = parse_param("github-rust", "nope", "1")
        .expect_err("unknown")
        .to_string();
    assert!(
        err.contains("nope: unknown parameter") && err.contains("rust_toolchain"),
        "{err}"
    );
}

#[test]
fn schemas_describe_every_parameter_with_its_pattern() {
    for name in names() {
        let schema = schema(name).expect("schema");
        assert_eq!(schema["additionalProperties"], json!(false), "{name}");
        let props = schema["properties"].as_object().expect("properties");
        for (key, prop) in props {
            assert!(
                prop["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{name}.{key}"
            );
        }
        assert_eq!(
            props["chainproof_sha"]["pattern"], "^[0-9a-f]{40}$",
            "{name}"
        );
        let required: Vec<&str> = schema["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            required.contains(&"chainproof_sha") && required.contains(&"chainproof_version"),
            "{name}"
        );
        // The examples validate against the schema's required list and properties.
        let example = example_values(name).expect("example");
        for r in &required {
            assert!(example.get(r).is_some(), "{name}: example lacks {r}");
        }
        for k in example.as_object().expect("map").keys() {
            assert!(props.contains_key(k), "{name}: example key {k}");
        }
    }
}

/// The hand-written checks of `types` and the patterns in the schemas accept the same strings.
#[test]
fn patterns_agree_with_the_checks() {
    use crate::types::*;
    /// The schema's rule is its pattern and its maxLength.
    fn agree<T: TryFrom<String>>(pattern: &str, max: usize, samples: &[String]) {
        let re = regex::Regex::new(pattern).expect("regex");
        for s in samples {
            assert_eq!(
                re.is_match(s) && s.len() <= max,
                T::try_from(s.clone()).is_ok(),
                "{pattern} (maxLength {max}) on {s:?}"
            );
        }
    }
    let samples = [
        "",
        ".",
        "..",
        "a",
        "a.b",
        "a..b",
        "a/b",
        "a//b",
        "/a",
        "a/",
        ".a",
        "a.",
        "_a",
        "-a",
        "A",
        "1.90.0",
        "stable",
        "v0.1.0",
        "0.1.0-rc.1",
        "1.80\n",
        "a b",
        "a$b",
        "a:b",
        "a@b",
        "ghcr.io/a/b",
        "ghcr.io/a",
        "ghcr.io/A/b",
        "ghcr.io/a/b.c",
        "ghcr.io/a/_b",
        "$CI_SERVER_FQDN",
        "gitlab.com",
        "gitlab.com:443",
        "Gitlab.com",
        "host_name",
        "chainproof/chainproof",
        "a/b/c",
        "e345bb857c53f17dff268cf2a83eacfd87a3bbf6",
        "E345BB857C53F17DFF268CF2A83EACFD87A3BBF6",
        "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "reg.io:5000/a/b:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "x@sha256:0123",
        "X@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ];
    let long = |prefix: &str, n: usize, suffix: &str| format!("{prefix}{}{suffix}", "a".repeat(n));
    let hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let mut samples: Vec<String> = samples.iter().map(|s| (*s).to_owned()).collect();
    for n in [63, 64, 65, 253, 254, 255, 256] {
        samples.push(long("", n, ""));
        samples.push(long("v1", n, ""));
        samples.push(long("a/", n, ""));
        samples.push(long("ghcr.io/a/", n, ""));
        samples.push(long("", n, ":12345"));
        samples.push(long("", n, &format!("@sha256:{hex}")));
    }
    agree::<Version>(Version::PATTERN, Version::MAX_LENGTH, &samples);
    agree::<ReleaseVersion>(
        ReleaseVersion::PATTERN,
        ReleaseVersion::MAX_LENGTH,
        &samples,
    );
    agree::<CommitSha>(CommitSha::PATTERN, CommitSha::MAX_LENGTH, &samples);
    agree::<RelPath>(RelPath::PATTERN, RelPath::MAX_LENGTH, &samples);
    agree::<Branch>(Branch::PATTERN, Branch::MAX_LENGTH, &samples);
    agree::<PinnedImage>(PinnedImage::PATTERN, PinnedImage::MAX_LENGTH, &samples);
    agree::<GhcrImage>(GhcrImage::PATTERN, GhcrImage::MAX_LENGTH, &samples);
    agree::<ComponentHost>(ComponentHost::PATTERN, ComponentHost::MAX_LENGTH, &samples);
    agree::<ProjectPath>(ProjectPath::PATTERN, ProjectPath::MAX_LENGTH, &samples);
    agree::<EnvironmentName>(
        EnvironmentName::PATTERN,
        EnvironmentName::MAX_LENGTH,
        &samples,
    );
    // The generated schemas carry the length limit.
    let schema = schema("github-python").expect("schema");
    assert_eq!(schema["properties"]["working_directory"]["maxLength"], 255);
    assert_eq!(
        schema["properties"]["release_environment"]["maxLength"],
        255
    );
}
