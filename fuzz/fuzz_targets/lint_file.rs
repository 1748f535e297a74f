//! The whole lint run on one arbitrary file, seen as a GitHub workflow, a composite action and a
//! GitLab CI file (with its local includes, `extends`, `!reference` resolution and every rule).
//! It must finish with findings or input errors, never panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use chainproof_pipeline::lint::{self, FileKind, LintOptions, Target};
use libfuzzer_sys::fuzz_target;

/// One scratch repository per fuzzing process, rewritten for every input.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("chainproof-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".github/workflows")).expect("scratch dir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let root = scratch();
    let files = [
        (".github/workflows/fuzz.yml", FileKind::Workflow),
        ("action.yml", FileKind::Action),
        (".gitlab-ci.yml", FileKind::Gitlab),
    ];
    let mut targets = Vec::new();
    for (rel, kind) in files {
        let path = root.join(rel);
        std::fs::write(&path, data).expect("write input");
        targets.push(Target {
            path,
            root: root.clone(),
            kind,
        });
    }
    let out = lint::lint(&targets, &LintOptions::default());
    // Every input error names a file; a parse error has a position in it.
    for e in &out.report.errors {
        assert!(!e.file.is_empty(), "{e:?}");
    }
});
