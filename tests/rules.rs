//! Per-rule fixtures: `tests/fixtures/rules/<rule-id>/good*` must give no finding of that rule,
//! every `bad-*` at least one, and the text users see for `bad-*` is snapshotted. A fixture is a
//! YAML file (a workflow, an action.yml or a GitLab CI file, recognised by content) or a directory
//! holding a small repository (for rules that follow data across files).

use std::path::{Path, PathBuf};

use chainproof_core::output::{self, Format, Output};
use chainproof_pipeline::lint::{Target, targets};
use chainproof_pipeline::{LintOptions, lint, registry};

use crate::support::{fixtures, root};

fn lint_rule(rule: &str, path: &Path) -> (usize, String) {
    let rel = path.strip_prefix(root()).unwrap_or(path).to_path_buf();
    let ts: Vec<Target> = targets(&[rel], &[]).expect("fixture exists");
    let mut result = lint::lint(&ts, &LintOptions::default());
    assert!(
        result.report.errors.is_empty(),
        "{}: input errors {:?}",
        path.display(),
        result.report.errors
    );
    result.report.findings.retain(|f| f.rule == rule);
    let n = result.report.findings.len();
    let mut buf = Vec::new();
    let infos = registry::infos();
    let out = Output {
        report: &result.report,
        sources: &result.sources,
        rules: &infos,
        color: false,
    };
    output::write(Format::Text, &out, &mut buf).expect("write");
    (n, String::from_utf8(buf).expect("utf8"))
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn every_rule_has_fixtures_and_they_behave() {
    std::env::set_current_dir(root()).expect("cd");
    let mut failures = Vec::new();
    // `CHAINPROOF_TEST_RULES=id,id` limits the run to some rules while working on them.
    let only: Option<Vec<String>> = std::env::var("CHAINPROOF_TEST_RULES")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    for info in registry::infos() {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|id| id == info.id))
        {
            continue;
        }
        let dir = fixtures().join("rules").join(info.id);
        let all = cases(&dir);
        let goods: Vec<_> = all.iter().filter(|p| name(p).starts_with("good")).collect();
        let bads: Vec<_> = all.iter().filter(|p| name(p).starts_with("bad")).collect();
        if goods.is_empty() || bads.is_empty() {
            failures.push(format!(
                "{}: needs good* and bad-* fixtures in {}",
                info.id,
                dir.display()
            ));
            continue;
        }
        for g in goods {
            let (n, text) = lint_rule(info.id, g);
            if n != 0 {
                failures.push(format!(
                    "{}: {} should have no finding, got:\n{text}",
                    info.id,
                    g.display()
                ));
            }
        }
        for b in bads {
            let (n, text) = lint_rule(info.id, b);
            if n == 0 {
                failures.push(format!(
                    "{}: {} should have a finding",
                    info.id,
                    b.display()
                ));
                continue;
            }
            let snap = format!(
                "{}__{}",
                info.id,
                name(b).trim_end_matches(".yml").trim_end_matches(".yaml")
            );
            insta::with_settings!({ snapshot_path => root().join("tests/snapshots/rules"), prepend_module_to_snapshot => false, omit_expression => true }, {
                insta::assert_snapshot!(snap, text);
            });
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The list of rule ids is a public contract: ids are never renamed or reused.
#[test]
fn rule_ids() {
    let ids: Vec<String> = registry::infos()
        .iter()
        .map(|r| format!("{} {} {}", r.id, r.severity, r.platforms.join(",")))
        .collect();
    insta::with_settings!({ snapshot_path => root().join("tests/snapshots"), prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!("rule_ids", ids.join("\n"));
    });
    let mut sorted: Vec<&str> = registry::infos().iter().map(|r| r.id).collect();
    let n = sorted.len();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(n, sorted.len(), "duplicate rule ids");
    for r in registry::infos() {
        assert!(
            r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} is not kebab-case",
            r.id
        );
        for h in [
            "## What it does",
            "## Why is this bad",
            "## Example",
            "## Use instead",
        ] {
            assert!(r.docs.contains(h), "{}: docs lack `{h}`", r.id);
        }
    }
}
