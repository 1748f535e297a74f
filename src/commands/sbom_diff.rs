//! `chainproof sbom merge` and `chainproof sbom diff`: SBOM documents (CycloneDX JSON, SPDX JSON)
//! read back with `chainproof_sbom::document`, then merged into one document or compared. A
//! document that cannot be read is an error naming the file (and line and column for malformed
//! JSON): exit code 2. `merge` carries the unreadable lockfiles the inputs recorded
//! (`chainproof:unreadable`) into the merged document, prints them and exits 2 when there are
//! any, as `chainproof sbom` does. `diff` exits 1 when the documents differ, like `diff(1)`.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use chainproof_sbom::document;
use chainproof_sbom::writers::Format;

use super::sbom::created;
use crate::Outcome;
use crate::cli::{SbomCommand, SbomDiffArgs, SbomMergeArgs};

pub fn run(command: &SbomCommand, deterministic: bool) -> Result<Outcome> {
    match command {
        SbomCommand::Merge(args) => merge(args, deterministic),
        SbomCommand::Diff(args) => diff(args),
    }
}

fn read(path: &Path) -> Result<chainproof_sbom::Sbom> {
    Ok(document::read_path(path, &path.display().to_string())?)
}

fn merge(args: &SbomMergeArgs, deterministic: bool) -> Result<Outcome> {
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let docs = args
        .inputs
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>>>()?;
    let sbom = document::merge(&args.name, docs);
    super::sbom::emit(
        format,
        &sbom,
        created(deterministic),
        args.output.as_deref(),
    )?;
    // Lockfiles the inputs recorded as unreadable are in the merged document too; as with
    // `chainproof sbom`, they make the inventory incomplete: exit code 2.
    for e in &sbom.errors {
        eprintln!("error: {e}");
    }
    Ok(if sbom.errors.is_empty() {
        Outcome::Clean
    } else {
        Outcome::InputError
    })
}

fn diff(args: &SbomDiffArgs) -> Result<Outcome> {
    let old = read(&args.old)?;
    let new = read(&args.new)?;
    let d = document::diff(&old, &new);
    let text = if args.format == "json" {
        d.to_json()
    } else {
        d.to_text()
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if d.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
      "metadata": {"component": {"bom-ref": "pkg:npm/a@1.0.0", "name": "a", "version": "1.0.0",
                                 "purl": "pkg:npm/a@1.0.0"}},
      "components": [{"bom-ref": "pkg:npm/x@1.0.0", "name": "x", "version": "1.0.0",
                      "purl": "pkg:npm/x@1.0.0"}],
      "dependencies": [{"ref": "pkg:npm/a@1.0.0", "dependsOn": ["pkg:npm/x@1.0.0"]}]}"#;

    const UNREADABLE: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
      "metadata": {"component": {"bom-ref": "pkg:npm/b@1.0.0", "name": "b", "version": "1.0.0",
                                 "purl": "pkg:npm/b@1.0.0"},
                   "properties": [{"name": "chainproof:unreadable",
                                   "value": "svc/yarn.lock:3:1: expected a package entry"}]},
      "components": []}"#;

    fn merged(inputs: &[(&str, &str)]) -> (Outcome, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let inputs = inputs
            .iter()
            .map(|(name, text)| {
                let p = dir.path().join(name);
                std::fs::write(&p, text).expect("write input");
                p
            })
            .collect();
        let output = dir.path().join("merged.cdx.json");
        let args = SbomMergeArgs {
            inputs,
            format: "cyclonedx-json".to_string(),
            output: Some(output.clone()),
            name: "merged".to_string(),
        };
        let outcome = merge(&args, true).expect("merges");
        let text = std::fs::read_to_string(&output).expect("written");
        (outcome, text)
    }

    #[test]
    fn merge_exits_2_when_an_input_recorded_an_unreadable_lockfile() {
        let (outcome, _) = merged(&[("a.json", CLEAN)]);
        assert!(matches!(outcome, Outcome::Clean));
        let (outcome, text) = merged(&[("a.json", CLEAN), ("b.json", UNREADABLE)]);
        assert!(matches!(outcome, Outcome::InputError));
        // The error is carried into the merged document.
        assert!(
            text.contains("svc/yarn.lock:3:1: expected a package entry"),
            "{text}"
        );
        assert!(text.contains("chainproof:unreadable"), "{text}");
    }
}
