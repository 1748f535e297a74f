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

#[test]
fn schemas_are_current() {
    check(
        "schemas/report.json",
        &chainproof_core::output::json::schema(),
    );
    let config = schemars::schema_for!(chainproof_core::Config);
    check(
        "schemas/config.json",
        &(serde_json::to_string_pretty(&config).expect("json") + "\n"),
    );
}
