use chainproof_core::Finding;

use super::{Cx, Rule, declare_rule};
use crate::expr::expression_sites;
use crate::github::{Action, Workflow};
use crate::suggest::suggestion;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Parses every GitHub Actions expression (`${{ ... }}` anywhere in a workflow or
    /// `action.yml`, and the bare expressions of `if:`, `pre-if:` and `post-if:`) with a small
    /// tokenizer and parser, and reports: a `${{` without its closing `}}`, unbalanced
    /// parentheses or brackets, unterminated string literals, double-quoted strings (expressions
    /// only have single-quoted ones), `=`, `&` or `|` used for `==`, `&&` or `||`, a missing
    /// operand or operator, unknown functions (the known ones are `contains`, `startsWith`,
    /// `endsWith`, `format`, `join`, `toJSON`, `fromJSON`, `hashFiles`, `success`, `always`,
    /// `cancelled`, `failure` and `case`), calls with the wrong number of arguments, and unknown
    /// top-level contexts (the known ones are `github`, `env`, `vars`, `job`, `jobs`, `steps`,
    /// `runner`, `secrets`, `strategy`, `matrix`, `needs` and `inputs`).
    ///
    /// ## Why is this bad
    /// GitHub rejects the workflow when it is triggered, or, for expressions in `if:`, may
    /// silently evaluate a broken condition as a non-empty string, which is *true*: a guard such as
    /// `if: github.actor == "dependabot[bot]"` never runs as written.
    ///
    /// ## Example
    /// ```yaml
    /// - if: ${{ github.ref == "refs/heads/main" }}
    ///   run: echo ${{ secret.TOKEN }}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// - if: ${{ github.ref == 'refs/heads/main' }}
    ///   run: echo "$TOKEN"
    ///   env:
    ///     TOKEN: ${{ secrets.TOKEN }}
    /// ```
    ///
    /// ## References
    /// - https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/evaluate-expressions-in-workflows-and-actions
    /// - https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/accessing-contextual-information-about-workflow-runs
    ExpressionSyntax {
        id: "expression-syntax",
        title: "invalid GitHub Actions expression",
        severity: High,
        confidence: High,
        platforms: ["github"],
        fixable: false,
    }
}

/// Top-level contexts of GitHub Actions expressions.
pub(crate) const CONTEXTS: [&str; 12] = [
    "github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix",
    "needs", "inputs",
];

/// Built-in functions with their minimum and maximum number of arguments.
const FUNCTIONS: [(&str, usize, usize); 13] = [
    ("contains", 2, 2),
    ("startsWith", 2, 2),
    ("endsWith", 2, 2),
    ("format", 1, usize::MAX),
    ("join", 1, 2),
    ("toJSON", 1, 1),
    ("fromJSON", 1, 1),
    ("hashFiles", 1, usize::MAX),
    ("success", 0, usize::MAX),
    ("always", 0, 0),
    ("cancelled", 0, 0),
    ("failure", 0, usize::MAX),
    ("case", 3, usize::MAX),
];

// ---------------------------------------------------------------------------------------------
// Tokenizer and parser.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'s> {
    Ident(&'s str),
    /// A property name after `.` (may start with a digit or contain `-`).
    Prop(&'s str),
    Number,
    Str,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    Comma,
    Star,
    Not,
    Op(&'static str),
}

/// A syntax error: byte offset and length in the expression text, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

fn err(offset: usize, len: usize, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        offset,
        len,
        message: message.into(),
    }
}

/// Split an expression into tokens with their byte ranges.
pub(crate) fn tokenize(s: &str) -> Result<Vec<(Tok<'_>, usize, usize)>, SyntaxError> {
    let b = s.as_bytes();
    let mut out: Vec<(Tok<'_>, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let after_dot = matches!(out.last(), Some((Tok::Dot, _, e)) if *e == i);
        let after_value = matches!(
            out.last(),
            Some((Tok::Ident(_) | Tok::Prop(_) | Tok::RBracket | Tok::RParen | Tok::Star, _, e)) if *e == i
        );
        let tok = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            _ if after_dot && (c.is_ascii_alphanumeric() || c == b'_' || c == b'-') => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    i += 1;
                }
                out.push((Tok::Prop(&s[start..i]), start, i));
                continue;
            }
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b'.' if after_value || !b.get(i + 1).is_some_and(u8::is_ascii_digit) => Tok::Dot,
            b',' => Tok::Comma,
            b'*' => Tok::Star,
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Op("!=")
            }
            b'!' => Tok::Not,
            b'=' if b.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Op("==")
            }
            b'=' => {
                return Err(err(i, 1, "`=` is not an operator; compare with `==`"));
            }
            b'<' | b'>' => {
                if b.get(i + 1) == Some(&b'=') {
                    i += 1;
                    Tok::Op(if c == b'<' { "<=" } else { ">=" })
                } else {
                    Tok::Op(if c == b'<' { "<" } else { ">" })
                }
            }
            b'&' if b.get(i + 1) == Some(&b'&') => {
                i += 1;
                Tok::Op("&&")
            }
            b'|' if b.get(i + 1) == Some(&b'|') => {
                i += 1;
                Tok::Op("||")
            }
            b'&' => {
                return Err(err(
                    i,
                    1,
                    "`&` is not an operator; use `&&` for a logical and",
                ));
            }
            b'|' => {
                return Err(err(
                    i,
                    1,
                    "`|` is not an operator; use `||` for a logical or",
                ));
            }
            b'\'' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => {
                            return Err(err(
                                start,
                                s.len() - start,
                                "unterminated string literal: a `'` is never closed (write `''` for a quote inside a string)",
                            ));
                        }
                        Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => break,
                        Some(_) => i += 1,
                    }
                }
                Tok::Str
            }
            b'"' => {
                let end = s[i + 1..].find('"').map_or(s.len(), |e| i + 2 + e);
                return Err(err(
                    i,
                    end - i,
                    "strings in expressions are written with single quotes; `\"` is not a string delimiter",
                ));
            }
            b'`' => {
                return Err(err(
                    i,
                    1,
                    "strings in expressions are written with single quotes; `` ` `` is not a string delimiter",
                ));
            }
            b'0'..=b'9' | b'-' | b'.' | b'+' => {
                if (c == b'-' || c == b'+')
                    && !b
                        .get(i + 1)
                        .is_some_and(|d| d.is_ascii_digit() || *d == b'.')
                {
                    return Err(err(
                        i,
                        1,
                        format!("`{}` is not an operator in expressions", c as char),
                    ));
                }
                i += 1;
                if c == b'0' && matches!(b.get(i), Some(b'x' | b'X' | b'o' | b'O')) {
                    i += 1;
                }
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'.'
                        || ((b[i] == b'-' || b[i] == b'+') && matches!(b[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                let text = &s[start..i];
                let body = text.trim_start_matches(['-', '+']);
                let valid = if let Some(h) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
                    !h.is_empty() && h.bytes().all(|d| d.is_ascii_hexdigit())
                } else if let Some(o) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
                    !o.is_empty() && o.bytes().all(|d| (b'0'..=b'7').contains(&d))
                } else {
                    body.parse::<f64>().is_ok()
                        && !body.contains(|d: char| d.is_ascii_alphabetic() && d != 'e' && d != 'E')
                };
                if !valid {
                    return Err(err(
                        start,
                        i - start,
                        format!("`{text}` is not a valid number"),
                    ));
                }
                out.push((Tok::Number, start, i));
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    i += 1;
                }
                out.push((Tok::Ident(&s[start..i]), start, i));
                continue;
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or('?');
                return Err(err(
                    i,
                    ch.len_utf8(),
                    format!("unexpected character `{ch}` in an expression"),
                ));
            }
        };
        i += 1;
        out.push((tok, start, i));
    }
    Ok(out)
}

struct Parser<'s, 't> {
    src: &'s str,
    toks: &'t [(Tok<'s>, usize, usize)],
    pos: usize,
    /// Nesting of parentheses and call arguments; hostile input nests deeper than the stack.
    depth: usize,
}

/// Deepest nesting accepted in an expression.
const MAX_NESTING: usize = 64;

fn describe(t: &Tok<'_>, text: &str) -> String {
    match t {
        Tok::Str => "a string".into(),
        Tok::Number => format!("the number `{text}`"),
        _ => format!("`{text}`"),
    }
}

impl<'s> Parser<'s, '_> {
    fn peek(&self) -> Option<&(Tok<'s>, usize, usize)> {
        self.toks.get(self.pos)
    }

    fn end_offset(&self) -> usize {
        self.src.trim_end().len()
    }

    fn text(&self, t: &(Tok<'s>, usize, usize)) -> &'s str {
        &self.src[t.1..t.2]
    }

    fn binary(
        &mut self,
        ops: &[&str],
        next: fn(&mut Self) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        next(self)?;
        while let Some((Tok::Op(op), _, _)) = self.peek() {
            if !ops.contains(op) {
                break;
            }
            self.pos += 1;
            next(self)?;
        }
        Ok(())
    }

    fn or(&mut self) -> Result<(), SyntaxError> {
        if self.depth >= MAX_NESTING {
            let at = self.peek().map_or_else(|| self.end_offset(), |t| t.1);
            return Err(err(
                at,
                1,
                format!("the expression nests more than {MAX_NESTING} levels"),
            ));
        }
        self.depth += 1;
        let r = self.binary(&["||"], Self::and);
        self.depth -= 1;
        r
    }

    fn and(&mut self) -> Result<(), SyntaxError> {
        self.binary(&["&&"], Self::equality)
    }

    fn equality(&mut self) -> Result<(), SyntaxError> {
        self.binary(&["==", "!="], Self::comparison)
    }

    fn comparison(&mut self) -> Result<(), SyntaxError> {
        self.binary(&["<", "<=", ">", ">="], Self::unary)
    }

    fn unary(&mut self) -> Result<(), SyntaxError> {
        while let Some((Tok::Not, _, _)) = self.peek() {
            self.pos += 1;
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<(), SyntaxError> {
        self.primary()?;
        loop {
            match self.peek().cloned() {
                Some((Tok::Dot, s, e)) => {
                    self.pos += 1;
                    match self.peek() {
                        Some((Tok::Prop(_) | Tok::Star, _, _)) => self.pos += 1,
                        _ => {
                            return Err(err(
                                s,
                                e - s,
                                "`.` must be followed by a property name or `*`",
                            ));
                        }
                    }
                }
                Some((Tok::LBracket, s, _)) => {
                    self.pos += 1;
                    if let Some((Tok::Star, _, _)) = self.peek() {
                        self.pos += 1;
                    } else {
                        self.or()?;
                    }
                    match self.peek() {
                        Some((Tok::RBracket, _, _)) => self.pos += 1,
                        _ => return Err(err(s, 1, "unbalanced brackets: `[` is never closed")),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn primary(&mut self) -> Result<(), SyntaxError> {
        let Some(tok) = self.peek().cloned() else {
            let at = self.end_offset();
            return Err(err(
                at.saturating_sub(1),
                1,
                "the expression ends where a value was expected",
            ));
        };
        let (t, s, e) = tok.clone();
        match t {
            Tok::LParen => {
                self.pos += 1;
                self.or()?;
                match self.peek() {
                    Some((Tok::RParen, _, _)) => {
                        self.pos += 1;
                        Ok(())
                    }
                    _ => Err(err(s, 1, "unbalanced parentheses: `(` is never closed")),
                }
            }
            Tok::Number | Tok::Str => {
                self.pos += 1;
                Ok(())
            }
            Tok::Ident(name) => {
                self.pos += 1;
                if let Some((Tok::LParen, _, _)) = self.peek() {
                    return self.call(name, s, e);
                }
                let lower = name.to_ascii_lowercase();
                if matches!(
                    lower.as_str(),
                    "true" | "false" | "null" | "nan" | "infinity"
                ) {
                    return Ok(());
                }
                if CONTEXTS.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                    return Ok(());
                }
                let names = FUNCTIONS.iter().map(|f| f.0);
                if FUNCTIONS.iter().any(|f| f.0.eq_ignore_ascii_case(name)) {
                    return Err(err(
                        s,
                        e - s,
                        format!("`{name}` is a function; call it with parentheses: `{name}(...)`"),
                    ));
                }
                let hint = suggestion(name, CONTEXTS.iter().copied().chain(names));
                Err(err(
                    s,
                    e - s,
                    format!(
                        "unknown context `{name}`{}",
                        if hint.is_empty() {
                            format!(" (known: {})", CONTEXTS.join(", "))
                        } else {
                            hint
                        }
                    ),
                ))
            }
            Tok::RParen => Err(err(
                s,
                1,
                "unbalanced parentheses: `)` without a matching `(`",
            )),
            Tok::RBracket => Err(err(s, 1, "unbalanced brackets: `]` without a matching `[`")),
            Tok::Op(op) => Err(err(s, e - s, format!("`{op}` needs a value on its left"))),
            _ => Err(err(
                s,
                e - s,
                format!(
                    "unexpected {} where a value was expected",
                    describe(&t, self.text(&tok))
                ),
            )),
        }
    }

    fn call(&mut self, name: &str, s: usize, e: usize) -> Result<(), SyntaxError> {
        let open = self.peek().map_or(e, |t| t.1);
        self.pos += 1; // `(`
        let mut args = 0usize;
        if let Some((Tok::RParen, _, _)) = self.peek() {
            self.pos += 1;
        } else {
            loop {
                self.or()?;
                args += 1;
                match self.peek() {
                    Some((Tok::Comma, _, _)) => self.pos += 1,
                    Some((Tok::RParen, _, _)) => {
                        self.pos += 1;
                        break;
                    }
                    Some(t) => {
                        let t = t.clone();
                        return Err(err(
                            t.1,
                            t.2 - t.1,
                            format!(
                                "expected `,` or `)` in the arguments of `{name}`, found {}",
                                describe(&t.0, self.text(&t))
                            ),
                        ));
                    }
                    None => {
                        return Err(err(
                            open,
                            1,
                            format!("unbalanced parentheses: the `(` of `{name}(` is never closed"),
                        ));
                    }
                }
            }
        }
        let Some(&(canonical, min, max)) =
            FUNCTIONS.iter().find(|f| f.0.eq_ignore_ascii_case(name))
        else {
            let hint = suggestion(name, FUNCTIONS.iter().map(|f| f.0));
            return Err(err(
                s,
                e - s,
                format!(
                    "unknown function `{name}`{}",
                    if hint.is_empty() {
                        "; the built-in functions are contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles, success, always, cancelled, failure and case".to_owned()
                    } else {
                        hint
                    }
                ),
            ));
        };
        if args < min || args > max {
            let expected = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(err(
                s,
                e - s,
                format!(
                    "`{canonical}` takes {expected} argument{}, but is called with {args}",
                    if expected == "1" { "" } else { "s" }
                ),
            ));
        }
        if canonical == "case" && args.is_multiple_of(2) {
            return Err(err(
                s,
                e - s,
                "`case` takes condition/value pairs and a final default value (an odd number of arguments)",
            ));
        }
        Ok(())
    }
}

/// Check one expression (the text between `${{` and `}}`, or a bare `if:` condition).
pub(crate) fn check(src: &str) -> Result<(), SyntaxError> {
    if src.trim().is_empty() {
        return Err(err(0, src.len(), "empty expression"));
    }
    let toks = tokenize(src)?;
    let mut p = Parser {
        src,
        toks: &toks,
        pos: 0,
        depth: 0,
    };
    p.or()?;
    match p.peek().cloned() {
        None => Ok(()),
        Some((Tok::RParen, s, _)) => Err(err(
            s,
            1,
            "unbalanced parentheses: `)` without a matching `(`",
        )),
        Some((Tok::RBracket, s, _)) => {
            Err(err(s, 1, "unbalanced brackets: `]` without a matching `[`"))
        }
        Some(t) => Err(err(
            t.1,
            t.2 - t.1,
            format!(
                "unexpected {} after a complete value; an operator (`==`, `&&`, `||`, ...) is missing",
                describe(&t.0, p.text(&t))
            ),
        )),
    }
}

impl ExpressionSyntax {
    fn check_node(cx: &Cx<'_, '_>, root: &Node, out: &mut Vec<Finding>) {
        for site in expression_sites(root) {
            if site.unterminated {
                // `${{ x == 'main }}`: the quote swallowed the closing braces.
                if let Err(e) = check(site.inner_text()) {
                    if e.message.starts_with("unterminated string") {
                        let at = site.inner.0 + e.offset;
                        out.push(cx.finding(
                            &Self::INFO,
                            site.span(cx, at, 1),
                            "string never closed",
                            "unterminated string literal: this `'` is never closed, so the closing `}}` is read as part of the string",
                        ));
                        continue;
                    }
                }
                let len = site.raw.1 - site.raw.0;
                out.push(cx.finding(
                    &Self::INFO,
                    site.span(cx, site.raw.0, 3.min(len)),
                    "never closed",
                    "`${{` is never closed with `}}`, so the rest of the value is not an expression",
                ));
                continue;
            }
            let inner = site.inner_text();
            if let Err(e) = check(inner) {
                let at = site.inner.0 + e.offset;
                let span = if inner.trim().is_empty() {
                    site.span(cx, site.raw.0, site.raw.1 - site.raw.0)
                } else {
                    site.span(cx, at, e.len)
                };
                out.push(cx.finding(&Self::INFO, span, "invalid expression", e.message));
            }
        }
    }
}

impl Rule for ExpressionSyntax {
    fn info(&self) -> &'static chainproof_core::RuleInfo {
        &Self::INFO
    }

    fn workflow(&self, cx: &Cx<'_, '_>, wf: &Workflow<'_>, out: &mut Vec<Finding>) {
        Self::check_node(cx, wf.root, out);
    }

    fn action(&self, cx: &Cx<'_, '_>, action: &Action<'_>, out: &mut Vec<Finding>) {
        Self::check_node(cx, action.root, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> String {
        check(s).err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn valid_expressions() {
        for ok in [
            "github.event.pull_request.head.repo.full_name != github.repository",
            "contains(github.event.issue.labels.*.name, 'bug') && !cancelled()",
            "startsWith(github.ref, 'refs/tags/v') || github.event_name == 'workflow_dispatch'",
            "fromJSON(steps.meta.outputs.json)['tags'][0]",
            "format('{0}-{1}', matrix.os, matrix.node-version)",
            "steps.build-step.outputs.artifact_path",
            "hashFiles('**/package-lock.json', '**/yarn.lock')",
            "(github.event_name == 'push') && (github.ref == 'refs/heads/main')",
            "matrix.version >= 3.10 && -1 < 0x1F && 1e3 > 2",
            "'it''s' == env.QUOTED",
            "case(github.ref == 'refs/heads/main', 'prod', 'dev')",
            "needs.build.result == 'success' && inputs.dry-run != true",
            "toJSON(github)",
            "success() && NULL == null",
            "github.event.commits[0].message",
            "secrets['MY_SECRET']",
            "vars.X || 'default'",
            "failure('build')",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn invalid_expressions() {
        assert!(msg("github.ref == \"refs/heads/main\"").contains("single quotes"));
        assert!(msg("github.ref = 'main'").contains("`==`"));
        assert!(msg("a & b").contains("`&&`"));
        assert!(msg("contains(github.ref, 'x'").contains("never closed"));
        assert!(msg("(github.ref == 'x'").contains("never closed"));
        assert!(msg("github.ref == 'x')").contains("without a matching"));
        assert!(msg("github.ref == 'unterminated").contains("unterminated string"));
        assert!(msg("secret.TOKEN").contains("did you mean `secrets`"));
        assert!(msg("foo.bar").contains("unknown context `foo`"));
        assert!(msg("startswith(github.ref)").contains("takes 2 arguments"));
        assert!(msg("startWith(github.ref, 'v')").contains("did you mean `startsWith`"));
        assert!(msg("github.ref 'main'").contains("operator"));
        assert!(msg("github.ref ==").contains("ends where a value"));
        assert!(msg("== 'a'").contains("needs a value on its left"));
        assert!(msg("github.").contains("property name"));
        assert!(msg("always").contains("call it with parentheses"));
        assert!(msg("case(github.ref, 1)").contains("takes at least 3"));
        assert!(msg("case(github.ref, 'a', 'b', 'c')").contains("odd number"));
        assert!(msg("  ").contains("empty"));
        assert!(msg("github.ref == 'a' ? 1 : 2").contains("unexpected character `?`"));
    }

    #[test]
    fn error_offsets() {
        let e = check("github.ref == \"main\"").unwrap_err();
        assert_eq!((e.offset, e.len), (14, 6));
        let e = check("x.y == 1").unwrap_err();
        assert_eq!((e.offset, e.len), (0, 1));
    }
}
