use std::sync::LazyLock;

use chainproof_core::{Edit, Finding, Fix, Span};
use regex::Regex;

use super::{Cx, Rule, Scope, declare_rule};
use crate::expr::find_exprs;
use crate::github::{Job, Step, Workflow};
use crate::yaml::{Node, Style};

declare_rule! {
    /// ## What it does
    /// Finds `if:` conditions that are always true although they look like real checks:
    ///
    /// - a block scalar (`if: |` or `if: >`) holding `${{ ... }}`: the kept trailing newline makes
    ///   the result a string such as `"false\n"`;
    /// - `${{ ... }}` mixed with other text (`if: ${{ a }} && ${{ b }}`, `if: "${{ a }} "`): the
    ///   result is a string;
    /// - an `||` with an operand that is always true (`x || true`, `always() || false`,
    ///   `x || 'yes'`), which makes the rest irrelevant.
    ///
    /// A plain `if: true`, `if: ${{ true }}` or `if: always()` says what it does and is not
    /// reported.
    ///
    /// ## Why is this bad
    /// GitHub converts the condition's result to a boolean, and every non-empty string is true.
    /// The step or job runs every time, also when the check was meant to keep it away from forks,
    /// bots or other branches.
    ///
    /// ## Example
    /// ```yaml
    /// - if: |
    ///     ${{ github.event.pull_request.head.repo.full_name == github.repository }}
    ///   run: ./deploy.sh
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// - if: github.event.pull_request.head.repo.full_name == github.repository
    ///   run: ./deploy.sh
    /// ```
    /// or keep the block scalar and strip the newline with `|-` / `>-` (what `--fix` does).
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/evaluate-expressions-in-workflows-and-actions#about-expressions
    /// - https://github.com/actions/runner/issues/1173
    UnsoundCondition {
        id: "unsound-condition",
        title: "`if:` condition that is always true",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: true,
    }
}

/// Why a condition is always true.
#[derive(Debug, PartialEq, Eq)]
enum Unsound {
    /// Block scalar: the newline after `}}` is part of the value.
    BlockScalar,
    /// Text outside the `${{ }}`.
    MixedText,
    /// `a || <always true>`; the operand as written.
    OrTrue(String),
}

/// Split `expr` at top-level `||` (outside parentheses and string literals).
fn top_level_or(expr: &str) -> Vec<&str> {
    let bytes = expr.as_bytes();
    let mut parts = Vec::new();
    let (mut depth, mut in_str, mut start, mut i) = (0i32, false, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_str = !in_str,
            b'(' | b'[' if !in_str => depth += 1,
            b')' | b']' if !in_str => depth -= 1,
            b'|' if !in_str && depth == 0 && bytes.get(i + 1) == Some(&b'|') => {
                parts.push(&expr[start..i]);
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&expr[start..]);
    parts
}

/// Whether an operand always evaluates to a truthy value.
fn always_true(operand: &str) -> bool {
    let mut o = operand.trim();
    while let Some(inner) = o.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        // Only strip parentheses that enclose the whole operand.
        if top_level_or(inner).len() > 1 || (inner.contains(')') && !balanced(inner)) {
            break;
        }
        o = inner.trim();
    }
    let lower = o.to_ascii_lowercase();
    match lower.as_str() {
        "true" | "always()" | "!false" | "!0" | "!''" | "!null" => true,
        _ if lower.len() > 2 && lower.starts_with('\'') && lower.ends_with('\'') => true,
        _ => o.parse::<f64>().is_ok_and(|n| n != 0.0 && !n.is_nan()),
    }
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn unsound(value: &str, style: Style) -> Option<Unsound> {
    let exprs = find_exprs(value);
    let inner = match exprs.as_slice() {
        [] => value,
        [e] if e.start == 0 && e.end == value.len() => e.inner,
        [e] if matches!(style, Style::Literal | Style::Folded)
            && value[..e.start].trim().is_empty()
            && value[e.end..].trim().is_empty() =>
        {
            return Some(Unsound::BlockScalar);
        }
        _ => return Some(Unsound::MixedText),
    };
    let parts = top_level_or(inner);
    if parts.len() < 2 {
        return None;
    }
    parts
        .iter()
        .find(|p| always_true(p))
        .map(|p| Unsound::OrTrue(p.trim().to_owned()))
}

impl UnsoundCondition {
    fn check(&self, cx: &Cx<'_, '_>, node: &Node, out: &mut Vec<Finding>) {
        let Some(cond) = node.get("if") else { return };
        let (Some(value), Some(style)) = (cond.as_str(), cond.style()) else {
            return;
        };
        let Some(why) = unsound(value, style) else {
            return;
        };
        let (label, message) = match &why {
            Unsound::BlockScalar => (
                "always true",
                format!(
                    "this block scalar keeps the newline after `}}}}`, so the condition evaluates to a string such as \"false\\n\", which is always true; write the expression on the `if:` line or use `{}-`",
                    if style == Style::Folded { ">" } else { "|" }
                ),
            ),
            Unsound::MixedText => (
                "always true",
                "text outside `${{ }}` turns the condition into a string, which is always true; put the whole condition inside one `${{ }}` (or drop the braces)".to_owned(),
            ),
            Unsound::OrTrue(op) => (
                "always true",
                format!(
                    "`|| {op}` makes this condition always true, whatever the rest says; remove it or use `always()` explicitly"
                ),
            ),
        };
        // Block scalars run to the next key: point at the condition's text only.
        let source = cx.text(cond.span);
        let span = Span::new(
            cond.span.file,
            cond.span.start,
            cond.span.start + source.trim_end().len(),
        );
        let fix = (why == Unsound::BlockScalar)
            .then(|| strip_chomping(cx, cond))
            .flatten();
        out.push(cx.finding(&Self::INFO, span, label, message).fix(fix));
    }
}

static BLOCK_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bif\s*:\s*([|>])[1-9]?\s*(?:#.*)?$")
        .unwrap_or_else(|e| panic!("header regex: {e}"))
});

/// The fix for a block scalar condition: `|` -> `|-`, `>` -> `>-` (strip the final newline).
fn strip_chomping(cx: &Cx<'_, '_>, cond: &Node) -> Option<Fix> {
    let file = cx.sources.get(cond.span.file)?;
    let text = &*file.text;
    // The header (`if: |`) is on the line before the content.
    let content_line = text[..cond.span.start].rfind('\n')?;
    let header_start = text[..content_line].rfind('\n').map_or(0, |i| i + 1);
    let header = &text[header_start..content_line];
    let m = BLOCK_HEADER.captures(header)?.get(1)?;
    let at = header_start + m.end();
    Some(Fix {
        description: format!("strip the final newline (`{}-`)", m.as_str()),
        edits: vec![Edit {
            file: file.path.clone(),
            start: at,
            end: at,
            replacement: "-".into(),
        }],
    })
}

impl Rule for UnsoundCondition {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn job(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, job: &Job<'_>, out: &mut Vec<Finding>) {
        self.check(cx, job.node, out);
        for step in &job.steps {
            self.step(cx, Scope::Workflow { wf, job }, step, out);
        }
    }

    fn step(
        &self,
        cx: &Cx<'_, '_>,
        _scope: Scope<'_, '_>,
        step: &Step<'_>,
        out: &mut Vec<Finding>,
    ) {
        self.check(cx, step.node, out);
    }
}

#[cfg(test)]
mod tests {
    use super::{Style, Unsound, top_level_or, unsound};

    #[test]
    fn or_split() {
        assert_eq!(
            top_level_or("a || (b || c) || 'x||y'"),
            vec!["a ", " (b || c) ", " 'x||y'"]
        );
    }

    #[test]
    fn conditions() {
        let plain = Style::Plain;
        assert_eq!(unsound("${{ a }}", plain), None);
        assert_eq!(unsound("a == 'b'", plain), None);
        assert_eq!(unsound("true", plain), None);
        assert_eq!(unsound("${{ true }}", plain), None);
        assert_eq!(unsound("always()", plain), None);
        assert_eq!(
            unsound("${{ a }}\n", Style::Literal),
            Some(Unsound::BlockScalar)
        );
        assert_eq!(
            unsound("${{ a }}", Style::Literal),
            None,
            "`|-` strips the newline"
        );
        assert_eq!(
            unsound("${{ a }} && ${{ b }}", plain),
            Some(Unsound::MixedText)
        );
        assert_eq!(
            unsound("${{ a }} ", Style::Double),
            Some(Unsound::MixedText)
        );
        assert_eq!(
            unsound("always() || false", plain),
            Some(Unsound::OrTrue("always()".into()))
        );
        assert_eq!(
            unsound("${{ github.event_name == 'push' || true }}", plain),
            Some(Unsound::OrTrue("true".into()))
        );
        assert_eq!(
            unsound("a || 'yes'", plain),
            Some(Unsound::OrTrue("'yes'".into()))
        );
        assert_eq!(unsound("a || ''", plain), None);
        assert_eq!(unsound("a || b", plain), None);
        assert_eq!(
            unsound("a || (true)", plain),
            Some(Unsound::OrTrue("(true)".into()))
        );
        assert_eq!(unsound("(a || b) && c", plain), None);
        assert_eq!(unsound("a || 0", plain), None);
        assert_eq!(unsound("a || 1", plain), Some(Unsound::OrTrue("1".into())));
    }
}
