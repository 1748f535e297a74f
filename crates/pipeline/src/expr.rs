//! GitHub Actions expressions: finding `${{ ... }}` in strings, the context references inside them,
//! and which of those an attacker controls.

use std::sync::LazyLock;

use chainproof_core::Span;
use regex::Regex;

use crate::rules::Cx;
use crate::yaml::{Kind, Node};

/// One `${{ ... }}` occurrence: byte range in the string (including the delimiters) and the inner text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr<'a> {
    pub start: usize,
    pub end: usize,
    pub inner: &'a str,
}

impl<'a> Expr<'a> {
    /// The whole `${{ ... }}` text.
    pub fn raw<'s>(&self, s: &'s str) -> &'s str {
        &s[self.start..self.end]
    }
}

/// Every `${{ ... }}` in `s`. An opening without a closing `}}` is returned with `end == s.len()`
/// and `inner` up to the end, so syntax checks can report it; string literals may contain `}}`.
pub fn find_exprs(s: &str) -> Vec<Expr<'_>> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(pos) = s[i..].find("${{") {
        let start = i + pos;
        let mut j = start + 3;
        let mut in_str = false;
        let mut end = None;
        while j < bytes.len() {
            match bytes[j] {
                b'\'' => {
                    // '' inside a literal is an escaped quote.
                    if in_str && bytes.get(j + 1) == Some(&b'\'') {
                        j += 2;
                        continue;
                    }
                    in_str = !in_str;
                }
                b'}' if !in_str && bytes.get(j + 1) == Some(&b'}') => {
                    end = Some(j + 2);
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        match end {
            Some(e) => {
                out.push(Expr {
                    start,
                    end: e,
                    inner: s[start + 3..e - 2].trim(),
                });
                i = e;
            }
            None => {
                out.push(Expr {
                    start,
                    end: s.len(),
                    inner: s[start + 3..].trim(),
                });
                break;
            }
        }
    }
    out
}

/// Whether `s` has an unterminated `${{`.
pub fn is_unterminated(s: &str, e: &Expr<'_>) -> bool {
    e.end == s.len() && !s.ends_with("}}")
}

static CONTEXT_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:^|[^\w.'\-])
        ((?:github|env|steps|needs|inputs|matrix|secrets|vars|jobs|job|runner|strategy)
         (?:\.[A-Za-z_*][\w\-*]*|\[\s*'[^']*'\s*\]|\[[^\]]*\])*)",
    )
    .unwrap_or_else(|e| panic!("context regex: {e}"))
});

static STRING_LIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"'(?:[^']|'')*'").unwrap_or_else(|e| panic!("string regex: {e}")));

/// The context references in an expression, normalised: `github.event['issue'].title` becomes
/// `github.event.issue.title`. References inside string literals are ignored.
pub fn context_refs(inner: &str) -> Vec<String> {
    // Blank out string literals, except those used as an index (`github.event['issue']`).
    let mut without_strings = String::with_capacity(inner.len());
    let mut last = 0;
    for m in STRING_LIT.find_iter(inner) {
        let before = inner[..m.start()].trim_end();
        without_strings.push_str(&inner[last..m.start()]);
        without_strings.push_str(if before.ends_with('[') {
            m.as_str()
        } else {
            "''"
        });
        last = m.end();
    }
    without_strings.push_str(&inner[last..]);
    CONTEXT_REF
        .captures_iter(&without_strings)
        .filter_map(|c| c.get(1))
        .map(|m| normalise(m.as_str()))
        .collect()
}

fn normalise(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            let mut inside = String::new();
            for d in chars.by_ref() {
                if d == ']' {
                    break;
                }
                inside.push(d);
            }
            let inside = inside.trim().trim_matches('\'');
            out.push('.');
            out.push_str(if inside.chars().all(|c| c.is_ascii_digit()) {
                "*"
            } else {
                inside
            });
        } else {
            out.push(c);
        }
    }
    out.to_ascii_lowercase()
}

/// How far an attacker controls a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Taint {
    /// Known to be attacker-controllable text (titles, bodies, branch names, commit messages...).
    Attacker,
    /// An event field chainproof does not know; possibly attacker-controllable.
    Unknown,
}

// Fields of webhook payloads that anyone who opens an issue, a pull request or a fork controls.
static ATTACKER_FIELDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?x)^github\.(?:
        head_ref
      | event\.(?:
          (?:issue|pull_request|discussion|release|milestone)\.(?:title|body|name|tag_name)
        | (?:comment|review|review_comment|discussion_comment)\.body
        | pull_request\.head\.(?:ref|label|repo\.(?:default_branch|description|homepage|name|full_name))
        | pull_request\.head\.repo\.owner\.(?:login|name|email)
        | (?:head_commit|commits\.[^.]+|workflow_run\.head_commit)\.(?:message|author\.(?:name|email)|committer\.(?:name|email))
        | pages\.[^.]+\.page_name
        | workflow_run\.(?:head_branch|display_title|name|head_repository\.(?:description|name|full_name|default_branch))
        | workflow_run\.pull_requests\.[^.]+\.head\.ref
        | (?:check_suite|check_run\.check_suite)\.head_branch
        | check_run\.(?:output\.(?:title|summary|text)|name)
        | ref
        | inputs\..+
        | client_payload(?:\..+)?
        | (?:head_commit|commits)(?:\.[^.]+)?
        | workflow_run(?:\.head_commit)?
        | issue | pull_request | comment | discussion | review
      )$
    )$")
    .unwrap_or_else(|e| panic!("taint regex: {e}"))
});

// Event fields that are numbers, hashes, URLs of the base repository, or logins (which cannot hold
// shell metacharacters).
static SAFE_FIELDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?x)^github\.(?:
        (?:sha|ref_name|ref_type|ref_protected|base_ref|repository|repository_id|repository_owner|repository_owner_id
          |run_id|run_number|run_attempt|job|workflow|workflow_ref|workflow_sha|action|action_path|action_ref
          |actor|actor_id|triggering_actor|event_name|server_url|api_url|graphql_url|workspace|token|retention_days
          |secret_source|path|env|output|state|step_summary|ref|repositoryurl|job_workflow_sha)
      | event\.(?:
          number | action | after | before | forced | created | deleted | compare
        | (?:.*\.)?(?:id|node_id|number|sha|url|html_url|created_at|updated_at|closed_at|merged_at|state|locked|draft|merged
                     |login|type|site_admin|size|distinct|private|fork|author_association|additions|deletions|changed_files
                     |commits|comments|review_comments|mergeable|rebaseable|maintainer_can_modify|full_name_base|conclusion|status
                     |run_number|run_attempt|event|path|workflow_id|check_suite_id|default_branch_base|visibility)
        | repository\..+ | organization\..+ | sender\.(?:login|id|type) | installation\..+ | enterprise\..+
        | pull_request\.base\..+ | pull_request\.(?:labels|assignees|requested_reviewers)\..+\.(?:name|login)
        | inputs\.__never__
      )
    )$")
    .unwrap_or_else(|e| panic!("safe regex: {e}"))
});

/// Classify a normalised `github.*` reference. `None` means not attacker-controllable.
pub fn github_taint(r: &str) -> Option<Taint> {
    if !r.starts_with("github.") {
        return None;
    }
    // `github.event.inputs.*` come from `workflow_dispatch`, which needs write access.
    if r.starts_with("github.event.inputs.") {
        return None;
    }
    if ATTACKER_FIELDS.is_match(r) && !r.starts_with("github.event.ref") {
        return Some(Taint::Attacker);
    }
    if r == "github.event.ref" {
        // Pushed branch or tag name: anyone with push access to a fork... only on push events in this repo.
        return None;
    }
    if SAFE_FIELDS.is_match(r) {
        return None;
    }
    if r.starts_with("github.event.") || r == "github.event" {
        return Some(Taint::Unknown);
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Where expressions are in a document.

/// One expression in a scalar: `text` is the scalar's value, `inner` the expression's byte range
/// in it, `raw` the range of the whole `${{ ... }}` (equal to `inner` for a bare `if:`).
#[derive(Debug, Clone)]
pub struct Site<'n> {
    pub node: &'n Node,
    pub text: &'n str,
    pub inner: (usize, usize),
    pub raw: (usize, usize),
    /// `${{` without a closing `}}`.
    pub unterminated: bool,
}

impl<'n> Site<'n> {
    pub fn inner_text(&self) -> &'n str {
        &self.text[self.inner.0..self.inner.1]
    }

    /// The source span of `len` bytes at `offset` (bytes into `text`), when the expression is
    /// written verbatim in the file; the scalar's span otherwise.
    pub fn span(&self, cx: &Cx<'_, '_>, offset: usize, len: usize) -> Span {
        let raw = &self.text[self.raw.0..self.raw.1];
        if raw.is_empty() {
            return self.node.span;
        }
        let nth = self.text[..self.raw.0].matches(raw).count();
        let base = cx.locate(self.node, raw, nth);
        if cx.text(base) == raw {
            base.sub(offset.saturating_sub(self.raw.0), len.max(1))
        } else {
            self.node.span
        }
    }
}

/// Keys whose value is an expression even without `${{ }}`.
fn is_condition_key(key: &str) -> bool {
    matches!(key, "if" | "pre-if" | "post-if")
}

fn sites_of<'n>(node: &'n Node, key: Option<&str>, out: &mut Vec<Site<'n>>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &node.kind {
        Kind::Scalar(text, _) => {
            let text: &str = text;
            let exprs = find_exprs(text);
            if exprs.is_empty() {
                if key.is_some_and(is_condition_key) && !node.is_null() {
                    let trimmed_start = text.len() - text.trim_start().len();
                    let end = text.trim_end().len();
                    if end > trimmed_start {
                        out.push(Site {
                            node,
                            text,
                            inner: (trimmed_start, end),
                            raw: (trimmed_start, end),
                            unterminated: false,
                        });
                    }
                }
                return;
            }
            for e in exprs {
                let unterminated = !text[e.start..e.end].ends_with("}}") || e.end - e.start < 5;
                let body_end = if unterminated { e.end } else { e.end - 2 };
                let body = &text[e.start + 3..body_end];
                let inner_start = e.start + 3 + (body.len() - body.trim_start().len());
                out.push(Site {
                    node,
                    text,
                    inner: (inner_start, inner_start + body.trim().len()),
                    raw: (e.start, e.end),
                    unterminated,
                });
            }
        }
        Kind::Seq(items) => items.iter().for_each(|i| sites_of(i, None, out, depth + 1)),
        Kind::Map(entries) => {
            for (k, v) in entries {
                sites_of(v, k.as_str(), out, depth + 1);
            }
        }
    }
}

/// Every expression under `node` (values only; bare `if:` conditions included).
pub fn expression_sites(node: &Node) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    sites_of(node, None, &mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_expressions_with_braces_in_strings() {
        let s = "echo ${{ format('{0}}}', github.head_ref) }} and ${{github.sha}}";
        let e = find_exprs(s);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].inner, "format('{0}}}', github.head_ref)");
        assert_eq!(e[1].raw(s), "${{github.sha}}");
    }

    #[test]
    fn unterminated() {
        let s = "echo ${{ github.sha";
        let e = find_exprs(s);
        assert!(is_unterminated(s, &e[0]));
    }

    #[test]
    fn context_refs_are_normalised_and_skip_literals() {
        let r = context_refs(
            "github.event['issue'].title || 'github.event.issue.body' && steps.x.outputs.y",
        );
        assert_eq!(r, vec!["github.event.issue.title", "steps.x.outputs.y"]);
        assert_eq!(
            context_refs("toJSON(github.event.commits[0].message)"),
            vec!["github.event.commits.*.message"]
        );
    }

    #[test]
    fn classification() {
        for t in [
            "github.event.issue.title",
            "github.event.pull_request.body",
            "github.head_ref",
            "github.event.pull_request.head.ref",
            "github.event.commits.*.message",
            "github.event.head_commit.author.email",
            "github.event.workflow_run.head_branch",
            "github.event.comment.body",
        ] {
            assert_eq!(github_taint(t), Some(Taint::Attacker), "{t}");
        }
        for t in [
            "github.sha",
            "github.event.pull_request.number",
            "github.event.pull_request.head.sha",
            "github.event.issue.user.login",
            "github.repository",
            "github.event.inputs.name",
            "github.event.repository.name",
            "github.event.pull_request.base.ref",
        ] {
            assert_eq!(github_taint(t), None, "{t}");
        }
        assert_eq!(
            github_taint("github.event.something_new"),
            Some(Taint::Unknown)
        );
    }
}
