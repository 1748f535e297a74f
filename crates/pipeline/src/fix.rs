//! Minimal text edits for `--fix`: they touch only the bytes that must change, so comments and
//! formatting elsewhere survive, and applying them twice is a no-op after a re-lint.

use std::collections::BTreeMap;

use chainproof_core::{Edit, Fix, SourceMap};

use crate::rules::Cx;
use crate::yaml::Node;

/// Column (0-based, in bytes) of the start of `node` on its line, and whether only whitespace precedes it.
fn column(cx: &Cx<'_, '_>, node: &Node) -> Option<(usize, bool)> {
    let file = cx.sources.get(node.span.file)?;
    let line_start = file.text[..node.span.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let before = &file.text[line_start..node.span.start];
    Some((before.len(), before.chars().all(|c| c == ' ')))
}

/// An edit inserting `lines` (already without indentation) as entries of the block mapping `map`,
/// indented like its keys. `None` for flow mappings or an empty map.
pub fn insert_entries(cx: &Cx<'_, '_>, map: &Node, lines: &[String]) -> Option<Edit> {
    let file = cx.sources.get(map.span.file)?;
    let entries = map.entries();
    let (first_key, _) = entries.first()?;
    if cx.text(map.span).starts_with('{') {
        return None;
    }
    let (indent, _) = column(cx, first_key)?;
    let block: String = lines
        .iter()
        .map(|l| format!("{}{l}\n", " ".repeat(indent)))
        .collect();
    // Before the first key that starts its own line...
    for (k, _) in entries {
        if let Some((col, own_line)) = column(cx, k) {
            if own_line && col == indent {
                let at = k.span.start - col;
                return Some(Edit {
                    file: file.path.clone(),
                    start: at,
                    end: at,
                    replacement: block,
                });
            }
        }
    }
    // ...or after the line where the mapping's last value ends.
    let (_, last) = entries.last()?;
    let text = &file.text;
    let end = text[..last.span.end.min(text.len())].trim_end().len();
    let at = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    let block = if at == text.len() && !text.ends_with('\n') {
        format!("\n{block}")
    } else {
        block
    };
    Some(Edit {
        file: file.path.clone(),
        start: at,
        end: at,
        replacement: block,
    })
}

/// An environment variable name for an expression: `github.event.issue.title` -> `ISSUE_TITLE`.
pub fn env_name(reference: &str) -> String {
    let trimmed = reference
        .strip_prefix("github.event.")
        .or_else(|| reference.strip_prefix("github."))
        .unwrap_or(reference);
    let mut s: String = trimmed
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_').to_owned();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V_{s}")
    } else {
        s
    }
}

/// Apply the fixes of several findings; identical edits are applied once, overlapping ones skipped.
/// Returns the new text of every changed file, keyed by the displayed path.
pub fn apply(sources: &SourceMap, fixes: &[&Fix]) -> BTreeMap<String, String> {
    let mut by_file: BTreeMap<&str, Vec<&Edit>> = BTreeMap::new();
    for f in fixes {
        for e in &f.edits {
            by_file.entry(e.file.as_str()).or_default().push(e);
        }
    }
    let mut out = BTreeMap::new();
    for (path, mut edits) in by_file {
        let Some(id) = sources.find(path) else {
            continue;
        };
        let Some(file) = sources.get(id) else {
            continue;
        };
        edits.sort_by_key(|e| (e.start, e.end));
        edits.dedup();
        let mut text = String::with_capacity(file.text.len() + 256);
        let mut pos = 0;
        for e in edits {
            if e.start < pos || e.end > file.text.len() {
                continue; // overlaps an edit already applied; a later run picks it up.
            }
            text.push_str(&file.text[pos..e.start]);
            text.push_str(&e.replacement);
            pos = e.end;
        }
        text.push_str(&file.text[pos..]);
        out.insert(path.to_owned(), text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::env_name;

    #[test]
    fn env_names() {
        assert_eq!(env_name("github.event.issue.title"), "ISSUE_TITLE");
        assert_eq!(env_name("github.head_ref"), "HEAD_REF");
        assert_eq!(env_name("steps.x.outputs.y"), "STEPS_X_OUTPUTS_Y");
        assert_eq!(
            env_name("github.event.commits.*.message"),
            "COMMITS_MESSAGE"
        );
    }
}
