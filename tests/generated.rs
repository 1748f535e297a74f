//! Generated files are committed; this test regenerates them in memory and fails when they are
//! stale. `UPDATE_GENERATED=1 cargo test` rewrites them.

use crate::support::root;

fn check(rel: &str, fresh: &str) {
    let path = root().join(rel);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, fresh).expect("write");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "{rel} is stale: run `UPDATE_GENERATED=1 cargo test` and commit it"
    );
}

/// `docs/rules.md`: the rule table and every rule's documentation.
fn rules_doc() -> String {
    let mut s = String::from(
        "# Rules\n\n<!-- generated from crates/pipeline/src/rules by tests/generated.rs; do not edit -->\n\n| id | severity | confidence | platforms | fix | title |\n|---|---|---|---|---|---|\n",
    );
    let infos = chainproof_pipeline::registry::infos();
    for r in &infos {
        s.push_str(&format!(
            "| [`{id}`](#{id}) | {} | {} | {} | {} | {} |\n",
            r.severity,
            r.confidence.as_str(),
            r.platforms.join(", "),
            if r.fixable { "yes" } else { "" },
            r.title,
            id = r.id
        ));
    }
    for r in &infos {
        s.push_str(&format!("\n## {}\n\n", r.id));
        for line in r.docs.lines() {
            let line = line.strip_prefix(' ').unwrap_or(line);
            // Rule docs use `##` headings; nest them under the rule's own heading.
            if line.starts_with('#') {
                s.push('#');
            }
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

#[test]
fn rules_doc_is_current() {
    check("docs/rules.md", &rules_doc());
}

#[test]
fn schemas_are_current() {
    check(
        "schemas/report.json",
        &chainproof_core::output::json::schema(),
    );
    check("schemas/scan.json", &chainproof_vuln::report::json_schema());
    check(
        "schemas/verify-policy.json",
        &chainproof_attest::Policy::json_schema(),
    );
    for t in chainproof_catalog::templates() {
        let schema = chainproof_catalog::schema(t.name).expect("schema");
        check(
            &format!("schemas/templates/{}.json", t.name),
            &(serde_json::to_string_pretty(&schema).expect("json") + "\n"),
        );
    }
    let config = schemars::schema_for!(chainproof_core::Config);
    check(
        "schemas/config.json",
        &(serde_json::to_string_pretty(&config).expect("json") + "\n"),
    );
}
