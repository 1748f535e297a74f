//! `provider/docs/` is generated from the schema descriptions; this fails when the committed files are
//! stale. `UPDATE_GENERATED=1 cargo test -p terraform-provider-chainproof` rewrites them.

use crate::support::workspace_root;

#[test]
fn docs_are_current() {
    let dir = workspace_root().join("provider");
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (rel, fresh) in terraform_provider_chainproof::docs::generate() {
        let path = dir.join(&rel);
        if update {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &fresh).expect("write");
            continue;
        }
        if std::fs::read_to_string(&path).unwrap_or_default() != fresh {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "stale provider docs {stale:?}: run `UPDATE_GENERATED=1 cargo test -p terraform-provider-chainproof` and commit them"
    );
}

#[test]
fn every_attribute_is_documented() {
    let docs = terraform_provider_chainproof::docs::generate();
    for r in terraform_provider_chainproof::provider::resources() {
        let page = &docs[&format!(
            "docs/resources/{}.md",
            r.name().trim_start_matches("chainproof_")
        )];
        for a in r.schema().attributes {
            assert!(
                !a.description.is_empty(),
                "{}.{} has no description",
                r.name(),
                a.name
            );
            assert!(
                page.contains(&format!("`{}`", a.name)),
                "{} missing from its page",
                a.name
            );
        }
    }
}
