//! A small reader for the POSIX shell scripts of CI jobs (GitHub `run:`, GitLab `script:`): it
//! splits a script into pipelines of simple commands with their words, redirections and
//! here-documents, keeping byte offsets so findings can point at the exact text.
//!
//! It is not a shell: compound commands (`if`, `for`, `{ }`, `( )`) are flattened into the
//! commands they contain, and command substitutions stay inside their word (parse them with
//! [`parse_at`] when a rule needs to look inside). Also here: which shell a GitHub step runs,
//! interpreters and downloaders, which variable names look like secrets, shell variables assigned
//! from tainted data ([`Assigned`]), and a cruder line-based split ([`command_lines`]).

use chainproof_core::Span;

use crate::github::Step;
use crate::gitlab::GlJob;
use crate::rules::{Cx, Scope};
use crate::yaml::Node;

/// A word of a command as written (quotes included), with its byte offset in the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: &'a str,
    pub start: usize,
}

/// A parameter expansion `$NAME` / `${NAME...}` inside a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expansion<'a> {
    pub name: &'a str,
    /// Byte range of the whole `$NAME` / `${...}` in the script.
    pub start: usize,
    pub end: usize,
    /// Inside double quotes (no word splitting).
    pub quoted: bool,
    /// Inside a command or process substitution (`$(...)`, `` `...` ``, `<(...)`).
    pub in_substitution: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubKind {
    /// `$(...)` or `$((...))`.
    Command,
    /// `` `...` ``.
    Backtick,
    /// `<(...)`.
    ProcessIn,
    /// `>(...)`.
    ProcessOut,
}

/// A command or process substitution inside a word; `inner` starts at byte `start` of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Substitution<'a> {
    pub kind: SubKind,
    pub inner: &'a str,
    pub start: usize,
}

impl<'a> Substitution<'a> {
    /// The pipelines inside the substitution, with offsets in the whole script.
    pub fn parse(&self) -> Vec<Pipe<'a>> {
        parse_at(self.inner, self.start)
    }
}

/// A redirection: `>`, `>>`, `<`, `<<`, `<<<`, `&>`, `>&`...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirect<'a> {
    /// The file descriptor written before the operator (`2` in `2>/dev/null`).
    pub fd: Option<&'a str>,
    pub op: &'a str,
    pub target: Option<Word<'a>>,
}

impl Redirect<'_> {
    /// Whether this sends standard output to a file (not to the log).
    pub fn stdout_to_file(&self) -> bool {
        let out = matches!(self.op, ">" | ">>" | ">|" | "&>" | "&>>");
        let fd_ok = self.fd.is_none_or(|f| f == "1") || self.op.starts_with('&');
        let target = self.target.map(|t| t.value()).unwrap_or_default();
        out && fd_ok && !matches!(target.as_str(), "/dev/stdout" | "/dev/stderr" | "/dev/tty")
    }

    /// Whether this writes (or appends) output to its target.
    pub fn is_output(&self) -> bool {
        matches!(self.op, ">" | ">>" | ">|" | "&>" | "&>>")
    }
}

/// The body of a here-document (`<<EOF ... EOF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heredoc<'a> {
    pub body: &'a str,
    pub start: usize,
    /// The delimiter was quoted (`<<'EOF'`): the body is not expanded.
    pub quoted: bool,
}

/// A simple command: words, redirections and here-documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command<'a> {
    pub words: Vec<Word<'a>>,
    pub redirects: Vec<Redirect<'a>>,
    pub heredocs: Vec<Heredoc<'a>>,
    /// Byte range of the command in the script (words and redirections, not here-document bodies).
    pub start: usize,
    pub end: usize,
}

/// Commands joined by `|`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipe<'a> {
    pub commands: Vec<Command<'a>>,
}

/// Parse a script into its pipelines.
pub fn parse(script: &str) -> Vec<Pipe<'_>> {
    parse_at(script, 0)
}

/// Parse `text`, a piece of a larger script that starts at byte `base` of it.
pub fn parse_at(text: &str, base: usize) -> Vec<Pipe<'_>> {
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        base,
        pipes: Vec::new(),
        pipe: Vec::new(),
        cmd: Command::default(),
        pending: Vec::new(),
        test: false,
    };
    p.run();
    p.pipes
}

/// Every command of the pipelines, in order.
pub fn commands<'p, 'a>(pipes: &'p [Pipe<'a>]) -> impl Iterator<Item = &'p Command<'a>> {
    pipes.iter().flat_map(|p| p.commands.iter())
}

struct PendingHeredoc {
    pipe: usize,
    cmd: usize,
    delimiter: String,
    quoted: bool,
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    base: usize,
    pipes: Vec<Pipe<'a>>,
    pipe: Vec<Command<'a>>,
    cmd: Command<'a>,
    pending: Vec<PendingHeredoc>,
    /// Inside `[[ ... ]]`, where `&&`, `||`, `<`, `>`, `(` and `)` belong to the test (and to
    /// `=~` regexes), not to the shell.
    test: bool,
}

fn is_delim(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')'
    )
}

/// Skip a single-quoted string; `i` is just after the opening quote.
fn skip_single(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\'' {
        i += 1;
    }
    (i + 1).min(b.len())
}

/// Deepest nesting of quotes and substitutions the skip functions follow (they recurse into each
/// other: `"$("$(...`); past it the rest of the script is treated as one opaque word.
const MAX_SKIP_DEPTH: usize = 64;

/// Skip a double-quoted string; `i` is just after the opening quote.
fn skip_double(b: &[u8], i: usize) -> usize {
    skip_double_at(b, i, 0)
}

fn skip_double_at(b: &[u8], mut i: usize, depth: usize) -> usize {
    if depth > MAX_SKIP_DEPTH {
        return b.len();
    }
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'`' => i = skip_backtick(b, i + 1),
            b'$' if b.get(i + 1) == Some(&b'(') => i = skip_paren_at(b, i + 2, depth + 1),
            b'$' if b.get(i + 1) == Some(&b'{') => i = skip_brace_at(b, i + 2, depth + 1),
            _ => i += 1,
        }
    }
    b.len()
}

/// Skip a backtick substitution; `i` is just after the opening backtick.
fn skip_backtick(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Skip to just after the `)` matching an opening `(`; `i` is just after it.
fn skip_paren(b: &[u8], i: usize) -> usize {
    skip_paren_at(b, i, 0)
}

fn skip_paren_at(b: &[u8], i: usize, nesting: usize) -> usize {
    skip_group(b, i, b'(', b')', nesting)
}

/// Skip to just after the `}` matching `${`; `i` is just after the brace.
fn skip_brace(b: &[u8], i: usize) -> usize {
    skip_brace_at(b, i, 0)
}

fn skip_brace_at(b: &[u8], i: usize, nesting: usize) -> usize {
    skip_group(b, i, b'{', b'}', nesting)
}

/// Skip to just after the `close` matching an `open` just before `i`, past quotes, escapes,
/// backticks and (inside braces) `$(...)`.
fn skip_group(b: &[u8], mut i: usize, open: u8, close: u8, nesting: usize) -> usize {
    if nesting > MAX_SKIP_DEPTH {
        return b.len();
    }
    let mut depth = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' => i = skip_single(b, i + 1),
            b'"' => i = skip_double_at(b, i + 1, nesting + 1),
            b'`' if open == b'(' => i = skip_backtick(b, i + 1),
            b'$' if open == b'{' && b.get(i + 1) == Some(&b'(') => {
                i = skip_paren_at(b, i + 2, nesting + 1);
            }
            c if c == open => {
                depth += 1;
                i += 1;
            }
            c if c == close => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

impl<'a> Parser<'a> {
    fn word_at(&self, start: usize, end: usize) -> Word<'a> {
        Word {
            text: &self.s[start..end],
            start: self.base + start,
        }
    }

    fn touch(&mut self, start: usize, end: usize) {
        let (s, e) = (self.base + start, self.base + end);
        if self.cmd.words.is_empty() && self.cmd.redirects.is_empty() {
            self.cmd.start = s;
        }
        self.cmd.end = self.cmd.end.max(e);
    }

    fn end_cmd(&mut self) {
        self.test = false;
        if !self.cmd.words.is_empty() || !self.cmd.redirects.is_empty() {
            self.pipe.push(std::mem::take(&mut self.cmd));
        } else {
            self.cmd = Command::default();
        }
    }

    fn end_pipe(&mut self) {
        self.end_cmd();
        if !self.pipe.is_empty() {
            let commands = std::mem::take(&mut self.pipe);
            self.pipes.push(Pipe { commands });
        }
    }

    /// The end of a word starting at `i`.
    fn read_word(&self, mut i: usize) -> usize {
        let b = self.b;
        let start = i;
        while i < b.len() {
            match b[i] {
                b'\\' if b.get(i + 1) == Some(&b'\n') => break,
                b'\\' => i += 2,
                b'\'' => i = skip_single(b, i + 1),
                b'"' => i = skip_double(b, i + 1),
                b'`' => i = skip_backtick(b, i + 1),
                b'$' if b.get(i + 1) == Some(&b'(') => i = skip_paren(b, i + 2),
                b'$' if b.get(i + 1) == Some(&b'{') => i = skip_brace(b, i + 2),
                b'$' if b.get(i + 1) == Some(&b'\'') => {
                    // ANSI-C quoting: backslash escapes inside.
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                // `NAME=(a b c)`: an array assignment is one word.
                b'(' if i > start && b[i - 1] == b'=' => i = skip_paren(b, i + 1),
                c if is_delim(c) => break,
                _ => i += 1,
            }
        }
        i.min(b.len())
    }

    fn redirect(&mut self, mut i: usize) -> usize {
        let b = self.b;
        let s = self.s;
        let op_start = i;
        let ops = [
            "&>>", "&>", "<<<", "<<-", "<<", ">>", ">|", ">&", "<&", "<>", ">", "<",
        ];
        let op = ops
            .iter()
            .find(|o| s[i..].starts_with(**o))
            .copied()
            .unwrap_or(">");
        i += op.len();
        // An fd written right before the operator (`2>`).
        let mut fd = None;
        if let Some(last) = self.cmd.words.last() {
            let local_end = last.start + last.text.len() - self.base;
            if local_end == op_start && last.text.bytes().all(|c| c.is_ascii_digit()) {
                fd = Some(last.text);
                self.cmd.words.pop();
            }
        }
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        let target_start = i;
        let target_end =
            if op.ends_with('&') && i < b.len() && (b[i].is_ascii_digit() || b[i] == b'-') {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'-') {
                    j += 1;
                }
                j
            } else {
                self.read_word(i)
            };
        let target = (target_end > target_start).then(|| self.word_at(target_start, target_end));
        if let (Some(t), true) = (target, op.starts_with("<<") && op != "<<<") {
            let raw = t.text;
            self.pending.push(PendingHeredoc {
                pipe: self.pipes.len(),
                cmd: self.pipe.len(),
                delimiter: unquote(raw),
                quoted: raw.contains(['\'', '"', '\\']),
            });
        }
        self.touch(op_start, target_end.max(i));
        self.cmd.redirects.push(Redirect {
            fd,
            op: &s[op_start..op_start + op.len()],
            target,
        });
        target_end.max(i)
    }

    fn heredocs(&mut self, mut i: usize) -> usize {
        let pending = std::mem::take(&mut self.pending);
        for h in pending {
            let body_start = i;
            let mut body_end = self.s.len();
            let mut next = self.s.len();
            while i < self.s.len() {
                let line_end = self.s[i..].find('\n').map_or(self.s.len(), |n| i + n);
                if self.s[i..line_end].trim() == h.delimiter {
                    body_end = i;
                    next = (line_end + 1).min(self.s.len());
                    break;
                }
                i = (line_end + 1).min(self.s.len());
                if line_end == self.s.len() {
                    break;
                }
            }
            i = next;
            let doc = Heredoc {
                body: &self.s[body_start..body_end],
                start: self.base + body_start,
                quoted: h.quoted,
            };
            if let Some(c) = self
                .pipes
                .get_mut(h.pipe)
                .and_then(|p| p.commands.get_mut(h.cmd))
            {
                c.heredocs.push(doc);
            }
        }
        i
    }

    fn run(&mut self) {
        let b = self.b;
        let mut i = 0;
        while i < b.len() {
            let next = b.get(i + 1).copied();
            match b[i] {
                b' ' | b'\t' | b'\r' => i += 1,
                b'\\' if next == Some(b'\n') => i += 2,
                b'&' | b'|' | b'<' | b'>' | b'(' | b')' if self.test => {
                    // An operator of `[[ ... ]]`: a word of the test command.
                    let end = if matches!(b[i], b'&' | b'|') && next == Some(b[i]) {
                        i + 2
                    } else {
                        i + 1
                    };
                    self.touch(i, end);
                    let w = self.word_at(i, end);
                    self.cmd.words.push(w);
                    i = end;
                }
                b'\n' => {
                    self.end_pipe();
                    i = self.heredocs(i + 1);
                }
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b';' | b'(' | b')' => {
                    self.end_pipe();
                    i += 1;
                }
                b'&' if next == Some(b'>') => i = self.redirect(i),
                b'&' => {
                    self.end_pipe();
                    i += if next == Some(b'&') { 2 } else { 1 };
                }
                b'|' if next == Some(b'|') => {
                    self.end_pipe();
                    i += 2;
                }
                b'|' => {
                    self.end_cmd();
                    i += if next == Some(b'&') { 2 } else { 1 };
                }
                b'<' | b'>' if next == Some(b'(') => {
                    // Process substitution: a word of its own.
                    let end = skip_paren(b, i + 2);
                    self.touch(i, end);
                    let w = self.word_at(i, end);
                    self.cmd.words.push(w);
                    i = end;
                }
                b'<' | b'>' => i = self.redirect(i),
                _ => {
                    let end = self.read_word(i).max(i + 1);
                    self.touch(i, end);
                    let w = self.word_at(i, end);
                    if w.text == "[[" && self.cmd.argv().is_empty() {
                        self.test = true;
                    } else if w.text == "]]" {
                        self.test = false;
                    }
                    self.cmd.words.push(w);
                    i = end;
                }
            }
        }
        self.end_pipe();
        if !self.pending.is_empty() {
            self.heredocs(b.len());
        }
    }
}

/// Remove quotes and backslash escapes (expansions stay as written).
pub fn unquote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut dq = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' if !dq => {
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    out.push(d);
                }
            }
            '"' => dq = !dq,
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(d) if !dq || matches!(d, '$' | '`' | '"' | '\\') => out.push(d),
                Some(d) => {
                    out.push('\\');
                    out.push(d);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn name_len(b: &[u8]) -> usize {
    if !b
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        return 0;
    }
    b.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Ordinary shell text: single quotes suppress expansion.
    Shell,
    /// A here-document body or similar: quotes are literal, `$` expands.
    Heredoc,
}

/// Deepest nesting of substitutions and `${..}` defaults followed; hostile scripts nest far deeper.
const MAX_SCAN_DEPTH: usize = 32;

/// Collect expansions (and, when `subs` is given, top-level substitutions) in `s`.
fn scan<'a>(
    s: &'a str,
    base: usize,
    mode: Mode,
    in_sub: bool,
    exps: &mut Vec<Expansion<'a>>,
    subs: Option<&mut Vec<Substitution<'a>>>,
) {
    scan_at(s, base, mode, in_sub, exps, subs, 0);
}

fn scan_at<'a>(
    s: &'a str,
    base: usize,
    mode: Mode,
    in_sub: bool,
    exps: &mut Vec<Expansion<'a>>,
    mut subs: Option<&mut Vec<Substitution<'a>>>,
    depth: usize,
) {
    if depth > MAX_SCAN_DEPTH {
        return;
    }
    let b = s.as_bytes();
    let mut dq = mode == Mode::Heredoc;
    let mut i = 0;
    let mut nested = |kind: SubKind, from: usize, to: usize, exps: &mut Vec<Expansion<'a>>| {
        let inner = &s[from..to];
        if let Some(v) = subs.as_deref_mut() {
            v.push(Substitution {
                kind,
                inner,
                start: base + from,
            });
        }
        scan_at(inner, base + from, Mode::Shell, true, exps, None, depth + 1);
    };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' if !dq => i = skip_single(b, i + 1),
            b'"' if mode == Mode::Shell => {
                dq = !dq;
                i += 1;
            }
            b'`' => {
                let end = skip_backtick(b, i + 1);
                let inner_end = if end > i + 1 && b.get(end - 1) == Some(&b'`') {
                    end - 1
                } else {
                    end
                };
                nested(SubKind::Backtick, i + 1, inner_end, exps);
                i = end;
            }
            b'<' | b'>' if !dq && b.get(i + 1) == Some(&b'(') => {
                let end = skip_paren(b, i + 2);
                let kind = if b[i] == b'<' {
                    SubKind::ProcessIn
                } else {
                    SubKind::ProcessOut
                };
                nested(kind, i + 2, end.saturating_sub(1).max(i + 2), exps);
                i = end;
            }
            b'$' => match b.get(i + 1) {
                Some(b'(') => {
                    let end = skip_paren(b, i + 2);
                    nested(
                        SubKind::Command,
                        i + 2,
                        end.saturating_sub(1).max(i + 2),
                        exps,
                    );
                    i = end;
                }
                Some(b'{') => {
                    let end = skip_brace(b, i + 2);
                    let mut n = i + 2;
                    while n < b.len() && matches!(b[n], b'#' | b'!') {
                        n += 1;
                    }
                    let len = name_len(&b[n..]);
                    if len > 0 {
                        exps.push(Expansion {
                            name: &s[n..n + len],
                            start: base + i,
                            end: base + end,
                            quoted: dq,
                            in_substitution: in_sub,
                        });
                    }
                    // `${A:-$B}`: the default may expand more.
                    let rest_end = end.saturating_sub(1).max(n + len);
                    if n + len < rest_end {
                        let rest = &s[n + len..rest_end];
                        let before = exps.len();
                        scan_at(
                            rest,
                            base + n + len,
                            Mode::Heredoc,
                            in_sub,
                            exps,
                            None,
                            depth + 1,
                        );
                        for e in &mut exps[before..] {
                            e.quoted = dq;
                        }
                    }
                    i = end;
                }
                _ => {
                    let len = name_len(&b[i + 1..]);
                    if len > 0 {
                        exps.push(Expansion {
                            name: &s[i + 1..i + 1 + len],
                            start: base + i,
                            end: base + i + 1 + len,
                            quoted: dq,
                            in_substitution: in_sub,
                        });
                    }
                    i += 1 + len;
                }
            },
            _ => i += 1,
        }
    }
}

impl<'a> Word<'a> {
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// The word with quotes and escapes removed.
    pub fn value(&self) -> String {
        unquote(self.text)
    }

    /// Parameter expansions in the word, those inside substitutions included.
    pub fn expansions(&self) -> Vec<Expansion<'a>> {
        let mut out = Vec::new();
        scan(self.text, self.start, Mode::Shell, false, &mut out, None);
        out
    }

    /// Top-level command and process substitutions in the word.
    pub fn substitutions(&self) -> Vec<Substitution<'a>> {
        let mut exps = Vec::new();
        let mut subs = Vec::new();
        scan(
            self.text,
            self.start,
            Mode::Shell,
            false,
            &mut exps,
            Some(&mut subs),
        );
        subs
    }

    /// A word without expansions or substitutions.
    pub fn is_literal(&self) -> bool {
        !self.text.contains(['$', '`']) && !self.text.starts_with(['<', '>'])
    }

    /// `NAME=value` (or `NAME+=value`): the name and the value part.
    pub fn assignment(&self) -> Option<(&'a str, Word<'a>)> {
        let eq = self.text.find('=')?;
        let name = self.text[..eq].trim_end_matches('+');
        is_name(name).then(|| {
            (
                name,
                Word {
                    text: &self.text[eq + 1..],
                    start: self.start + eq + 1,
                },
            )
        })
    }
}

impl<'a> Heredoc<'a> {
    /// Expansions in the body (none when the delimiter was quoted).
    pub fn expansions(&self) -> Vec<Expansion<'a>> {
        let mut out = Vec::new();
        if !self.quoted {
            scan(self.body, self.start, Mode::Heredoc, false, &mut out, None);
        }
        out
    }
}

const RESERVED: [&str; 12] = [
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "fi", "done",
];

/// The last path component of a program name (`/usr/bin/bash` -> `bash`).
pub fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

impl<'a> Command<'a> {
    /// The words that run: leading `NAME=value` assignments, reserved words (`if`, `then`, `!`...)
    /// and wrappers (`sudo`, `env`, `time`, `nohup`, `exec`, `timeout`...) skipped.
    pub fn argv(&self) -> &[Word<'a>] {
        let w = &self.words;
        let mut i = 0;
        while i < w.len() {
            if w[i].assignment().is_some() || RESERVED.contains(&w[i].text) {
                i += 1;
                continue;
            }
            let prog = unquote(w[i].text);
            // `command -v x` asks where x is; it does not run it.
            if prog == "command"
                && w.get(i + 1)
                    .is_some_and(|n| n.text == "-v" || n.text == "-V")
            {
                break;
            }
            let opts_with_value: &[&str] = match basename(&prog) {
                "sudo" | "doas" => &[
                    "-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group",
                ],
                "env" => &["-u", "-C", "-S", "--unset", "--chdir", "--split-string"],
                "nice" => &["-n", "--adjustment"],
                "timeout" => &["-s", "-k", "--signal", "--kill-after"],
                "nohup" | "exec" | "builtin" | "stdbuf" | "command" => &["-a"],
                _ => break,
            };
            let is_timeout = basename(&prog) == "timeout";
            let is_env = basename(&prog) == "env";
            i += 1;
            while i < w.len()
                && (w[i].text.starts_with('-') || is_env && w[i].assignment().is_some())
            {
                let takes = opts_with_value.contains(&w[i].text);
                i += if takes { 2 } else { 1 };
            }
            if is_timeout && i < w.len() {
                i += 1; // the duration
            }
        }
        &w[i.min(w.len())..]
    }

    /// The program run, without its directory (`bash`, `curl`); `None` for a bare assignment.
    pub fn program(&self) -> Option<String> {
        self.argv().first().map(|w| basename(&w.value()).to_owned())
    }

    /// Variables this command assigns in the shell: `NAME=value` alone, or as arguments of
    /// `export`, `declare`, `local`, `readonly` and `typeset`.
    pub fn assignments(&self) -> Vec<(&'a str, Word<'a>)> {
        let argv = self.argv();
        if argv.is_empty() {
            return self.words.iter().filter_map(Word::assignment).collect();
        }
        let prog = argv[0].value();
        if matches!(
            prog.as_str(),
            "export" | "declare" | "local" | "readonly" | "typeset"
        ) {
            return argv[1..].iter().filter_map(Word::assignment).collect();
        }
        Vec::new()
    }

    /// Whether standard output goes to a file rather than the job log.
    pub fn stdout_to_file(&self) -> bool {
        self.redirects.iter().any(Redirect::stdout_to_file)
    }

    /// Every expansion in the command's words and unquoted here-documents.
    pub fn expansions(&self) -> Vec<Expansion<'a>> {
        let mut out: Vec<Expansion<'a>> = self.words.iter().flat_map(|w| w.expansions()).collect();
        for h in &self.heredocs {
            if !h.quoted {
                scan(h.body, h.start, Mode::Heredoc, false, &mut out, None);
            }
        }
        out
    }
}

/// Which shell a `run:` step uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Posix,
    PowerShell,
    Cmd,
    Python,
    Other,
}

impl Shell {
    /// Classify a `shell:` value (`bash`, `pwsh`, `bash -e {0}`...).
    pub fn of(shell: &str) -> Shell {
        let prog = shell.split_whitespace().next().unwrap_or("");
        match basename(prog) {
            "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" => Shell::Posix,
            "pwsh" | "powershell" => Shell::PowerShell,
            "cmd" => Shell::Cmd,
            p if p.starts_with("python") => Shell::Python,
            _ => Shell::Other,
        }
    }
}

/// The `shell:` in effect for a step (step, job `defaults`, workflow `defaults`), if any is set.
pub fn github_shell_value<'a>(scope: Scope<'_, 'a>, step: &Step<'a>) -> Option<&'a Node> {
    step.node.get("shell").or_else(|| match scope {
        Scope::Workflow { wf, job } => job
            .node
            .path(&["defaults", "run", "shell"])
            .or_else(|| wf.root.path(&["defaults", "run", "shell"])),
        Scope::Action(_) => None,
    })
}

/// The shell a GitHub step runs its `run:` with: the `shell:` in effect, else PowerShell on
/// Windows runners and bash elsewhere.
pub fn github_shell(scope: Scope<'_, '_>, step: &Step<'_>) -> Shell {
    if let Some(s) = github_shell_value(scope, step).and_then(Node::as_str) {
        return Shell::of(s);
    }
    if let Scope::Workflow { job, .. } = scope {
        if job
            .runs_on()
            .iter()
            .filter_map(|n| n.as_str())
            .any(|l| l.to_ascii_lowercase().starts_with("windows"))
        {
            return Shell::PowerShell;
        }
    }
    Shell::Posix
}

/// One script to analyse: a `run:` of a step or one line of a GitLab job's scripts.
#[derive(Debug, Clone, Copy)]
pub struct Line<'n> {
    pub node: &'n Node,
    pub text: &'n str,
}

impl<'n> Line<'n> {
    pub fn of(node: &'n Node) -> Option<Line<'n>> {
        node.as_str().map(|text| Line { node, text })
    }

    /// The span of `text[start..end]` (its first line) in the source file.
    pub fn span(&self, cx: &Cx<'_, '_>, start: usize, end: usize) -> Span {
        span_in(cx, self.node, self.text, start, end)
    }
}

/// A step's `run:` script.
pub fn github_line<'a>(step: &Step<'a>) -> Option<Line<'a>> {
    step.run().and_then(Line::of)
}

/// The lines of a GitLab job's `before_script`, `script` and `after_script`, in order
/// (`!reference` tags resolved).
pub fn gitlab_lines(job: &GlJob) -> Vec<Line<'_>> {
    job.script_lines()
        .into_iter()
        .filter_map(Line::of)
        .collect()
}

/// The span of `script[start..end]` (cut at its first line break) in the source of `node`, whose
/// value is `script`: the same text is counted so the right occurrence is found.
pub fn span_in(cx: &Cx<'_, '_>, node: &Node, script: &str, start: usize, end: usize) -> Span {
    let Some(piece) = script.get(start..end.min(script.len())) else {
        return node.span;
    };
    let needle = piece
        .lines()
        .next()
        .unwrap_or("")
        .trim_end()
        .trim_end_matches('\\')
        .trim_end();
    if needle.is_empty() {
        return node.span;
    }
    let nth = script
        .match_indices(needle)
        .take_while(|(i, _)| *i < start)
        .count();
    cx.locate(node, needle, nth)
}

/// The command lines of one script value, a cruder split than [`parse`] for rules that match
/// commands with regular expressions: continuation lines (`\` at the end) are joined, comment
/// and blank lines dropped, and each command keeps the byte offset of its first line in the value.
pub fn command_lines(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut offset = 0;
    for line in text.split('\n') {
        let start = offset;
        offset += line.len() + 1;
        let (body, continues) = match line.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (line, false),
        };
        match current.as_mut() {
            Some((_, cmd)) => {
                cmd.push(' ');
                cmd.push_str(body.trim());
            }
            None => current = Some((start, body.to_owned())),
        }
        if !continues {
            if let Some((s, c)) = current.take() {
                if !c.trim().is_empty() && !c.trim_start().starts_with('#') {
                    out.push((s, c));
                }
            }
        }
    }
    if let Some((s, c)) = current {
        if !c.trim().is_empty() {
            out.push((s, c));
        }
    }
    out
}

/// The span of `needle` in a script line, searching from byte `from` of its value.
pub fn locate_from(cx: &Cx<'_, '_>, node: &Node, from: usize, needle: &str) -> Span {
    let text = node.as_str().unwrap_or("");
    let nth = text.get(..from).map_or(0, |t| t.matches(needle).count());
    cx.locate(node, needle, nth)
}

/// Shell variables a script assigns from tainted data (`T=$CI_COMMIT_MESSAGE`,
/// `export B="x $T"`), tracked command by command, generic over the taint type.
#[derive(Debug, Clone)]
pub struct Assigned<T> {
    vars: Vec<(String, T)>,
}

impl<T> Default for Assigned<T> {
    fn default() -> Self {
        Assigned { vars: Vec::new() }
    }
}

impl<T: Clone> Assigned<T> {
    /// The taint of `$name`: assigned earlier in the script, else `outer(name)`.
    pub fn get(&self, name: &str, outer: &dyn Fn(&str) -> Option<T>) -> Option<T> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, t)) => Some(t.clone()),
            None => outer(name),
        }
    }

    /// Record the assignments of a command; `wrap` adds the local hop to a source found in the value.
    pub fn update(
        &mut self,
        cmd: &Command<'_>,
        outer: &dyn Fn(&str) -> Option<T>,
        wrap: &dyn Fn(T, &str, usize, usize) -> T,
    ) {
        for (name, value) in cmd.assignments() {
            let found = value
                .expansions()
                .into_iter()
                .find_map(|e| self.get(e.name, outer).map(|t| (t, e)));
            self.vars.retain(|(n, _)| n != name);
            if let Some((t, _)) = found {
                self.vars
                    .push((name.to_owned(), wrap(t, name, value.start, value.end())));
            }
        }
    }
}

/// The taint of a shell variable `$name` in a step's `run:`: an `env:` value carrying attacker
/// text (see [`crate::taint::shell_var_taint`]), or, with `head_ref`, the runner's own
/// `GITHUB_HEAD_REF` (the pull request's branch name) in workflows pull requests trigger.
pub fn github_var_taint(
    cx: &Cx<'_, '_>,
    scope: Scope<'_, '_>,
    step: &Step<'_>,
    name: &str,
    head_ref: bool,
) -> Option<crate::taint::Source> {
    if let Some(s) = crate::taint::shell_var_taint(cx, scope, step, name) {
        return Some(s);
    }
    let pr = scope
        .workflow()
        .is_some_and(|wf| wf.has_trigger("pull_request") || wf.has_trigger("pull_request_target"));
    (head_ref && name == "GITHUB_HEAD_REF" && pr).then(|| crate::taint::Source {
        taint: crate::expr::Taint::Attacker,
        origin: "github.head_ref".into(),
        path: Vec::new(),
    })
}

/// What kind of code an interpreter runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Shell,
    Python,
    Perl,
    Ruby,
    Node,
    Php,
    PowerShell,
}

/// The language of an interpreter program (`bash`, `python3.12`, `node`...).
pub fn interpreter(program: &str) -> Option<Lang> {
    let p = basename(program);
    Some(match p {
        "sh" | "bash" | "zsh" | "dash" | "ksh" | "ash" | "mksh" | "fish" => Lang::Shell,
        "perl" => Lang::Perl,
        "ruby" => Lang::Ruby,
        "node" | "nodejs" => Lang::Node,
        "php" => Lang::Php,
        "pwsh" | "powershell" => Lang::PowerShell,
        _ if p.starts_with("python") || p == "pypy" || p == "pypy3" => {
            let rest = p.trim_start_matches("python").trim_start_matches("pypy");
            if rest.chars().all(|c| c.is_ascii_digit() || c == '.') {
                Lang::Python
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

/// Where an interpreter command takes its program from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFrom<'w, 'a> {
    /// Standard input (`sh`, `bash -s`, `python -`).
    Stdin,
    /// An argument (`bash -c '...'`, `python -c`, `node -e`); the word, if present.
    Inline(Option<&'w Word<'a>>),
    /// A script file or module (`bash x.sh`, `python -m pip`).
    File(&'w Word<'a>),
}

/// Where the interpreter `argv[0]` (of language `lang`) reads its code from.
pub fn code_from<'w, 'a>(lang: Lang, argv: &'w [Word<'a>]) -> CodeFrom<'w, 'a> {
    let mut i = 1;
    while i < argv.len() {
        let w = &argv[i];
        let v = w.value();
        if v == "-" {
            return CodeFrom::Stdin;
        }
        if v == "--" {
            return match argv.get(i + 1) {
                Some(f) if lang != Lang::Shell => CodeFrom::File(f),
                _ => CodeFrom::Stdin,
            };
        }
        let long = v.starts_with("--");
        let is_opt = v.starts_with('-') || lang == Lang::Shell && v.starts_with('+');
        if !is_opt {
            return CodeFrom::File(w);
        }
        let lower = v.to_ascii_lowercase();
        let inline = match lang {
            Lang::Shell => !long && v.starts_with('-') && v.contains('c'),
            Lang::Python => !long && (v.contains('c')),
            Lang::Perl => !long && (v.contains('e') || v.contains('E')),
            Lang::Ruby => !long && v.contains('e'),
            Lang::Node => matches!(v.as_str(), "-e" | "-p" | "--eval" | "--print" | "-pe"),
            Lang::Php => v == "-r",
            Lang::PowerShell => matches!(
                lower.as_str(),
                "-c" | "-command" | "-encodedcommand" | "-e" | "-ec"
            ),
        };
        if inline {
            return CodeFrom::Inline(argv.get(i + 1));
        }
        let module = match lang {
            Lang::Python => !long && v.contains('m'),
            Lang::PowerShell => matches!(lower.as_str(), "-file" | "-f"),
            _ => false,
        };
        if module {
            return match argv.get(i + 1) {
                Some(m) => CodeFrom::File(m),
                None => CodeFrom::Stdin,
            };
        }
        if lang == Lang::Shell && !long && v.starts_with('-') && v.contains('s') {
            return CodeFrom::Stdin;
        }
        let takes_value = match lang {
            Lang::Shell => !long && (v.ends_with('o') || v.ends_with('O')),
            Lang::Python => matches!(v.as_str(), "-W" | "-X" | "-Q"),
            Lang::Node => matches!(v.as_str(), "-r" | "--require" | "--import" | "--loader"),
            Lang::Ruby | Lang::Perl => matches!(v.as_str(), "-I" | "-r"),
            _ => false,
        };
        i += if takes_value { 2 } else { 1 };
    }
    CodeFrom::Stdin
}

/// What a download command does with what it fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Download<'a> {
    /// Written to standard output.
    Stdout { url: Option<Word<'a>> },
    /// Saved to a file (the name as given, or derived from the URL).
    File { file: String, url: Option<Word<'a>> },
}

fn url_basename(url: &str) -> String {
    let u = url.split(['?', '#']).next().unwrap_or(url);
    u.rsplit('/').next().unwrap_or(u).to_owned()
}

/// A `curl`, `wget` or HTTPie command, and where the download goes.
pub fn download<'a>(argv: &[Word<'a>]) -> Option<Download<'a>> {
    let prog = basename(&argv.first()?.value()).to_owned();
    let args = &argv[1..];
    match prog.as_str() {
        "curl" => {
            let mut out: Option<String> = None;
            let mut remote_name = false;
            let mut url = None;
            let mut head = false;
            let mut i = 0;
            while i < args.len() {
                let v = args[i].value();
                if let Some(long) = v.strip_prefix("--") {
                    let (name, inline) = match long.split_once('=') {
                        Some((n, val)) => (n, Some(val.to_owned())),
                        None => (long, None),
                    };
                    match name {
                        "output" => {
                            out = inline.or_else(|| args.get(i + 1).map(Word::value));
                            i += 1;
                        }
                        "remote-name" | "remote-name-all" => remote_name = true,
                        "head" => head = true,
                        "url" => {
                            url = args.get(i + 1).copied();
                            i += 1;
                        }
                        _ if CURL_LONG_WITH_VALUE.contains(&name) && inline.is_none() => i += 1,
                        _ => {}
                    }
                } else if v.len() > 1 && v.starts_with('-') {
                    let chars: Vec<char> = v[1..].chars().collect();
                    for (k, c) in chars.iter().enumerate() {
                        let rest: String = chars[k + 1..].iter().collect();
                        match c {
                            'o' => {
                                out = if rest.is_empty() {
                                    i += 1;
                                    args.get(i).map(Word::value)
                                } else {
                                    Some(rest)
                                };
                                break;
                            }
                            'O' => remote_name = true,
                            'I' => head = true,
                            c if "HdeuXAFTwmxbcKrECyYzUQ".contains(*c) => {
                                if rest.is_empty() {
                                    i += 1;
                                }
                                break;
                            }
                            _ => {}
                        }
                    }
                } else if url.is_none() {
                    url = Some(args[i]);
                }
                i += 1;
            }
            if head {
                return None;
            }
            match out {
                Some(f) if f != "-" && f != "/dev/stdout" => Some(Download::File { file: f, url }),
                _ if remote_name => Some(Download::File {
                    file: url.map(|u| url_basename(&u.value())).unwrap_or_default(),
                    url,
                }),
                _ => Some(Download::Stdout { url }),
            }
        }
        "wget" => {
            let mut out: Option<String> = None;
            let mut url = None;
            let mut i = 0;
            while i < args.len() {
                let v = args[i].value();
                if let Some(long) = v.strip_prefix("--") {
                    let (name, inline) = match long.split_once('=') {
                        Some((n, val)) => (n, Some(val.to_owned())),
                        None => (long, None),
                    };
                    if name == "output-document" {
                        out = inline.or_else(|| {
                            i += 1;
                            args.get(i).map(Word::value)
                        });
                    } else if WGET_LONG_WITH_VALUE.contains(&name) && inline.is_none() {
                        i += 1;
                    }
                } else if v.len() > 1 && v.starts_with('-') {
                    let chars: Vec<char> = v[1..].chars().collect();
                    for (k, c) in chars.iter().enumerate() {
                        let rest: String = chars[k + 1..].iter().collect();
                        match c {
                            'O' => {
                                out = if rest.is_empty() {
                                    i += 1;
                                    args.get(i).map(Word::value)
                                } else {
                                    Some(rest)
                                };
                                break;
                            }
                            c if "oaPUeTtwiBhH".contains(*c) => {
                                if rest.is_empty() {
                                    i += 1;
                                }
                                break;
                            }
                            _ => {}
                        }
                    }
                } else if url.is_none() {
                    url = Some(args[i]);
                }
                i += 1;
            }
            match out {
                Some(f) if f == "-" || f == "/dev/stdout" => Some(Download::Stdout { url }),
                Some(f) => Some(Download::File { file: f, url }),
                None => Some(Download::File {
                    file: url.map(|u| url_basename(&u.value())).unwrap_or_default(),
                    url,
                }),
            }
        }
        "http" | "https" | "xh" => {
            let to_file = args.iter().any(|a| {
                let v = a.value();
                v == "--download" || v == "-d" || v == "-o" || v.starts_with("--output")
            });
            let url = args.iter().find(|a| !a.value().starts_with('-')).copied();
            (!to_file).then_some(Download::Stdout { url })
        }
        _ => None,
    }
}

const CURL_LONG_WITH_VALUE: [&str; 24] = [
    "header",
    "data",
    "data-raw",
    "data-binary",
    "data-urlencode",
    "user",
    "request",
    "user-agent",
    "form",
    "upload-file",
    "write-out",
    "max-time",
    "proxy",
    "cookie",
    "cookie-jar",
    "config",
    "range",
    "cert",
    "retry",
    "retry-delay",
    "connect-timeout",
    "output-dir",
    "referer",
    "cacert",
];

const WGET_LONG_WITH_VALUE: [&str; 8] = [
    "output-file",
    "append-output",
    "directory-prefix",
    "user-agent",
    "header",
    "tries",
    "timeout",
    "input-file",
];

/// A reference to a variable, `$NAME` or `${NAME...}`, in a script or a GitLab variable value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarRef<'a> {
    pub name: &'a str,
    /// Byte range of `$NAME` / `${NAME}` (for `${NAME:-x}`, of `${NAME`).
    pub start: usize,
    pub end: usize,
}

impl<'a> VarRef<'a> {
    /// The reference as written: `$NAME`, `${NAME}` or `${NAME`.
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }
}

/// Every `$NAME` / `${NAME}` in `text`, without parsing the shell (quotes are not followed, so
/// `'$X'` counts too: this is for rules that ask which variables a line mentions).
pub fn var_refs(text: &str) -> Vec<VarRef<'_>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let braced = b.get(i + 1) == Some(&b'{');
        let from = if braced { i + 2 } else { i + 1 };
        let len = name_len(&b[from.min(b.len())..]);
        if len == 0 {
            i += 1;
            continue;
        }
        let mut end = from + len;
        if braced && b.get(end) == Some(&b'}') {
            end += 1;
        }
        out.push(VarRef {
            name: &text[from..from + len],
            start: i,
            end,
        });
        i = end;
    }
    out
}

/// Whether a variable name looks like it holds a secret, the one definition every rule uses:
/// - a word that names a secret: `NPM_TOKEN`, `TOKEN`, `GITHUB_ACCESS_TOKEN`, `DB_PASSWORD`,
///   `MYSECRET`, `CLIENT_SECRET`, `AWS_CREDENTIALS`, `GH_PAT`, `PASSPHRASE`, `DOCKERHUB_PASS`
///   (`PASS` only as the last word);
/// - `KEY` after a word that makes it secret: `API_KEY`, `AWS_SECRET_ACCESS_KEY`,
///   `SSH_PRIVATE_KEY`, `DEPLOY_KEY` (not `CACHE_KEY`, `PUBLIC_KEY`, or a bare `KEY`);
/// - `AUTH` as the last word after another (`NPM_AUTH`, `REGISTRY_AUTH`, `NPM_CONFIG__AUTH`);
/// - files of credentials referenced by name: `KUBECONFIG`, `KUBE_CONFIG`, `PROD_KUBECONFIG`,
///   `DOCKER_AUTH_CONFIG`.
///
/// Not names about a secret: a last word such as `_URL`, `_FILE`, `_ID`, `_LENGTH`,
/// `_ENABLED` (`TOKEN_URL`, `PASSWORD_FILE`, `AWS_ACCESS_KEY_ID`, `PASSWORD_LENGTH`,
/// `SECRET_SCANNING_ENABLED`), switches (`SKIP_AUTH`, `USE_TOKEN`, `REQUIRE_PASSWORD`), or
/// words that merely contain one (`TOKENIZER`, `BYPASS`, `PATH`).
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if NOT_SECRET_SUFFIX.contains(last) || upper == "PWD" || upper == "OLDPWD" {
        return false;
    }
    if upper == "DOCKER_AUTH_CONFIG" {
        return true;
    }
    if parts.len() > 1 && SWITCH_PREFIX.contains(first) {
        return false;
    }
    let secretish = |p: &str| {
        matches!(
            p,
            "TOKEN"
                | "PASSWORD"
                | "PASSWD"
                | "SECRET"
                | "SECRETS"
                | "APIKEY"
                | "CREDENTIALS"
                | "CREDENTIAL"
                | "CREDS"
                | "PAT"
                | "PASSPHRASE"
                | "PRIVATEKEY"
                | "ACCESSTOKEN"
                | "AUTHTOKEN"
                | "KUBECONFIG"
        ) || p.ends_with("TOKEN") && p.len() > 5
            || p.ends_with("PASSWORD")
            || p.ends_with("SECRET")
            || p.ends_with("KUBECONFIG")
    };
    for (k, p) in parts.iter().enumerate() {
        if secretish(p) || *p == "PWD" && parts.len() > 1 {
            return true;
        }
        if *p == "KEY" && k > 0 && KEY_QUALIFIERS.contains(&parts[k - 1]) {
            return true;
        }
        if *p == "CONFIG" && k > 0 && parts[k - 1] == "KUBE" {
            return true;
        }
    }
    let last_after_another = |word: &str| parts.len() > 1 && *last == word;
    last_after_another("PASS") || last_after_another("AUTH")
}

/// Words before `KEY` that make it a secret key.
const KEY_QUALIFIERS: &[&str] = &[
    "API",
    "SECRET",
    "PRIVATE",
    "ACCESS",
    "SIGNING",
    "ENCRYPTION",
    "AUTH",
    "DEPLOY",
    "SSH",
    "GPG",
    "PGP",
    "MASTER",
    "LICENSE",
    "CLIENT",
    "APP",
    "SERVICE",
    "ACCOUNT",
    "STORE",
];

/// First words that make a name a switch about a secret (`SKIP_AUTH`, `USE_TOKEN`).
const SWITCH_PREFIX: &[&str] = &[
    "SKIP", "USE", "ENABLE", "DISABLE", "NO", "REQUIRE", "WITH", "WITHOUT", "ALLOW", "FORCE", "IS",
    "HAS",
];

/// Last words that make a name about a secret rather than the secret itself.
const NOT_SECRET_SUFFIX: &[&str] = &[
    "ID",
    "LIFETIME",
    "DURATION",
    "IDS",
    "NAME",
    "NAMES",
    "FILE",
    "PATH",
    "URL",
    "URI",
    "ENDPOINT",
    "ARN",
    "REF",
    "TYPE",
    "HEADER",
    "KIND",
    "LENGTH",
    "LEN",
    "SIZE",
    "ENABLED",
    "ENABLE",
    "VERSION",
    "DIR",
    "REGION",
    "USER",
    "USERNAME",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TTL",
    "FORMAT",
    "SCOPE",
    "SCOPES",
    "PREFIX",
    "SUFFIX",
    "HOST",
    "PORT",
    "MODE",
    "VAR",
    "ENV",
    "LOCATION",
    "LABEL",
    "AUDIENCE",
    "ISSUER",
    "TIMEOUT",
    "PROVIDER",
    "SOURCE",
    "REQUIRED",
    "FINGERPRINT",
    "KEYRING",
    "COUNT",
    "POLICY",
    "METHOD",
    "ROTATION",
    "PATTERN",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words<'a>(c: &Command<'a>) -> Vec<&'a str> {
        c.words.iter().map(|w| w.text).collect()
    }

    #[test]
    fn splits_pipelines_and_commands() {
        let s = "curl -fsSL https://x.sh | sudo bash -s -- --yes && echo done; ls\n# comment | sh\nmake";
        let p = parse(s);
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].commands.len(), 2);
        assert_eq!(
            words(&p[0].commands[0]),
            vec!["curl", "-fsSL", "https://x.sh"]
        );
        assert_eq!(p[0].commands[1].program().as_deref(), Some("bash"));
        assert_eq!(words(&p[1].commands[0]), vec!["echo", "done"]);
        assert_eq!(words(&p[3].commands[0]), vec!["make"]);
        let c = &p[0].commands[0];
        assert_eq!(&s[c.start..c.end], "curl -fsSL https://x.sh");
    }

    #[test]
    fn double_bracket_tests_are_one_command() {
        // `||`, `&&`, `<`, `(` inside `[[ ]]` belong to the test, not to the shell.
        let p = parse("if [[ \"$A\" == x || \"$B\" < y && ( -n $C ) ]]; then echo a || echo b; fi");
        assert_eq!(p[0].commands.len(), 1);
        assert_eq!(p[0].commands[0].program().as_deref(), Some("[["));
        assert_eq!(p[0].commands[0].words.last().map(|w| w.text), Some("]]"));
        assert!(p[0].commands[0].redirects.is_empty());
        assert_eq!(p.len(), 4, "{p:?}");
        let p = parse("[[ $V =~ ^(a|b)$ ]] && $CMD");
        assert_eq!(p.len(), 2);
        assert_eq!(words(&p[1].commands[0]), vec!["$CMD"]);
        // Outside a test the operators are the shell's again.
        let p = parse("test \"$A\" || echo x");
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn continuations_quotes_and_substitutions() {
        let s = "docker run \\\n  -e \"A=$(echo 'a) b' | tr a b)\" \\\n  img | tee log";
        let p = parse(s);
        assert_eq!(p.len(), 1);
        assert_eq!(
            words(&p[0].commands[0]),
            vec![
                "docker",
                "run",
                "-e",
                "\"A=$(echo 'a) b' | tr a b)\"",
                "img"
            ]
        );
        let subs = p[0].commands[0].words[3].substitutions();
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].inner, "echo 'a) b' | tr a b");
        let inner = subs[0].parse();
        assert_eq!(inner[0].commands.len(), 2);
        assert_eq!(
            &s[inner[0].commands[1].start..inner[0].commands[1].end],
            "tr a b"
        );
    }

    #[test]
    fn redirects_and_heredocs() {
        let s = "echo \"X=$T\" >> \"$GITHUB_ENV\" 2>/dev/null\ncat <<EOF > out\nA=$B\nEOF\ncat <<'E' | sh\n$C\nE\nnext";
        let p = parse(s);
        let c = &p[0].commands[0];
        assert_eq!(words(c), vec!["echo", "\"X=$T\""]);
        assert_eq!(c.redirects[0].op, ">>");
        assert_eq!(c.redirects[0].target.unwrap().value(), "$GITHUB_ENV");
        assert_eq!(c.redirects[1].fd, Some("2"));
        assert!(c.stdout_to_file());
        let cat = &p[1].commands[0];
        assert_eq!(cat.heredocs[0].body, "A=$B\n");
        assert_eq!(cat.expansions()[0].name, "B");
        let quoted = &p[2].commands[0];
        assert!(quoted.heredocs[0].quoted);
        assert!(quoted.expansions().is_empty());
        assert_eq!(p[3].commands[0].program().as_deref(), Some("next"));
        assert!(!parse("echo x >&2")[0].commands[0].stdout_to_file());
    }

    #[test]
    fn expansions_know_their_quoting() {
        let w = parse("eval \"$A\"'$B'${C:-$D}$(echo $E)")[0].commands[0].words[1];
        let e = w.expansions();
        let names: Vec<_> = e
            .iter()
            .map(|x| (x.name, x.quoted, x.in_substitution))
            .collect();
        assert_eq!(
            names,
            vec![
                ("A", true, false),
                ("C", false, false),
                ("D", false, false),
                ("E", false, true)
            ]
        );
        assert_eq!(
            &"eval \"$A\"'$B'${C:-$D}$(echo $E)"[e[1].start..e[1].end],
            "${C:-$D}"
        );
    }

    #[test]
    fn argv_skips_wrappers() {
        let p = parse("FOO=1 sudo -E -u root env A=b timeout 5m bash -x install.sh");
        let c = &p[0].commands[0];
        assert_eq!(c.argv()[0].text, "bash");
        assert_eq!(
            parse("if ! curl x; then")[0].commands[0]
                .program()
                .as_deref(),
            Some("curl")
        );
        let a = parse("export A=\"$B\" C")[0].commands[0].assignments();
        assert_eq!(a[0].0, "A");
        assert_eq!(a[0].1.text, "\"$B\"");
        assert_eq!(parse("X=$(date)")[0].commands[0].assignments()[0].0, "X");
    }

    #[test]
    fn interpreters_and_code_sources() {
        let code = |s: &str| {
            let p = parse(s);
            let argv = p[0].commands[0].argv().to_vec();
            let lang = interpreter(&argv[0].value()).unwrap();
            match code_from(lang, &argv) {
                CodeFrom::Stdin => "stdin".to_owned(),
                CodeFrom::Inline(w) => format!("inline {}", w.map_or("", |w| w.text)),
                CodeFrom::File(f) => format!("file {}", f.text),
            }
        };
        assert_eq!(code("bash"), "stdin");
        assert_eq!(code("sh -s -- --prefix /x"), "stdin");
        assert_eq!(code("bash -ec 'x'"), "inline 'x'");
        assert_eq!(code("bash -x install.sh"), "file install.sh");
        assert_eq!(code("python3 -c 'import sys'"), "inline 'import sys'");
        assert_eq!(code("python -m json.tool"), "file json.tool");
        assert_eq!(code("perl -ne 'print'"), "inline 'print'");
        assert_eq!(code("node -"), "stdin");
        assert!(interpreter("python3.12").is_some());
        assert!(interpreter("python-config").is_none());
    }

    #[test]
    fn downloads() {
        fn d(s: &str) -> Option<Download<'_>> {
            let p = parse(s);
            download(p[0].commands[0].argv())
        }
        assert!(matches!(
            d("curl -fsSL https://x/i.sh"),
            Some(Download::Stdout { .. })
        ));
        assert!(matches!(
            d("wget -qO- https://x/i.sh"),
            Some(Download::Stdout { .. })
        ));
        assert!(matches!(
            d("wget -q -O - https://x/i.sh"),
            Some(Download::Stdout { .. })
        ));
        assert!(matches!(
            d("curl -sSLo inst.sh https://x/i.sh"),
            Some(Download::File { file, url: Some(u) }) if file == "inst.sh" && u.text == "https://x/i.sh"
        ));
        assert!(
            matches!(d("curl -LO https://x/i.sh?x=1"), Some(Download::File { file, .. }) if file == "i.sh")
        );
        assert!(
            matches!(d("wget https://x/i.sh"), Some(Download::File { file, .. }) if file == "i.sh")
        );
        assert!(matches!(
            d("curl -H 'A: b' -o - https://x"),
            Some(Download::Stdout { .. })
        ));
        assert_eq!(d("curl -I https://x"), None);
        assert_eq!(d("git clone x"), None);
    }

    #[test]
    fn secret_names() {
        for n in [
            "NPM_TOKEN",
            "GITHUB_TOKEN",
            "DB_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "API_KEY",
            "MY_API_KEY",
            "APIKEY",
            "SSH_PRIVATE_KEY",
            "CI_JOB_TOKEN",
            "CI_DEPLOY_PASSWORD",
            "token",
            "TOKEN",
            "SECRET",
            "PASSWORD",
            "GH_PAT",
            "PAT",
            "NODE_AUTH_TOKEN",
            "SONAR_TOKEN",
            "DOCKERHUB_PASS",
            "MYSECRET",
            "client-secret",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "KUBECONFIG",
            "KUBE_CONFIG",
            "PROD_KUBECONFIG",
            "DOCKER_AUTH_CONFIG",
            "NPM_AUTH",
            "REGISTRY_AUTH",
            "NPM_CONFIG__AUTH",
            "SECRET_KEY_BASE",
        ] {
            assert!(secret_name(n), "{n}");
        }
        for n in [
            "PWD",
            "TOKEN_URL",
            "PASSWORD_FILE",
            "AWS_ACCESS_KEY_ID",
            "CACHE_KEY",
            "SECRET_NAME",
            "PUBLIC_KEY",
            "KEY",
            "BYPASS",
            "PASS_THROUGH",
            "TOKENIZER",
            "MAX_TOKENS",
            "TOKEN_COUNT",
            "PASSWORD_LENGTH",
            "PASSWORD_POLICY",
            "SECRET_SCANNING_ENABLED",
            "KUBECONFIG_PATH",
            "AUTH",
            "AUTH_URL",
            "AUTH_METHOD",
            "SKIP_AUTH",
            "USE_TOKEN",
            "REQUIRE_PASSWORD",
            "OAUTH",
            "GPG_KEY_ID",
            "PATH",
            "PATCH",
            "DOCKER_CONFIG",
        ] {
            assert!(!secret_name(n), "{n}");
        }
    }

    #[test]
    fn variable_references() {
        let t = "a $NPM_TOKEN ${B}x ${C:-d} $$ $1 ${";
        let r: Vec<(&str, &str)> = var_refs(t).iter().map(|v| (v.name, v.text(t))).collect();
        assert_eq!(
            r,
            [("NPM_TOKEN", "$NPM_TOKEN"), ("B", "${B}"), ("C", "${C")]
        );
    }
}
