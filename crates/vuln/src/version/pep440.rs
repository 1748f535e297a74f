//! PEP 440 (<https://peps.python.org/pep-0440/>): epochs, release, pre (a/b/rc and their spellings),
//! post (including the implicit `-N`), dev, local versions, case-insensitive, normalised like
//! `packaging`. Texts that are not PEP 440 are "legacy" versions (setuptools' old ordering) and sort
//! before every PEP 440 version, as OSV does.

use super::{Num, trim_zeros};

/// Declaration order: legacy versions first.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    Legacy(String),
    Modern(Modern),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Modern {
    epoch: Num,
    release: Vec<Num>,
    pre: Pre,
    post: Option<Num>,
    dev: Dev,
    local: Vec<Local>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Pre {
    /// `1.0.dev0` (no pre, no post) sorts before `1.0a0`.
    DevOnly,
    /// Phase (0 alpha, 1 beta, 2 rc) and number.
    Some(u8, Num),
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Dev {
    Some(Num),
    None,
}

/// Alphanumeric local segments sort before numeric ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Local {
    Str(Box<str>),
    Num(Num),
}

pub(crate) fn parse(text: &str) -> Result<Key, String> {
    let lower = text.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return Err("empty version".into());
    }
    Ok(match modern(&lower) {
        Some(m) => Key::Modern(m),
        None => Key::Legacy(legacy(&lower)),
    })
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn digits(&mut self) -> Option<Num> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let run = self.s.get(start..self.pos)?;
        (!run.is_empty()).then(|| Num::from_digits(std::str::from_utf8(run).unwrap_or("")))
    }
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = self.s.get(self.pos..)?;
        let (i, w) = words
            .iter()
            .enumerate()
            .find(|(_, w)| rest.starts_with(w.as_bytes()))?;
        self.pos += w.len();
        Some(i)
    }
    fn sep(&mut self) {
        if matches!(self.peek(), Some(b'-' | b'_' | b'.')) {
            self.pos += 1;
        }
    }
    /// `[-_.]?[0-9]*` after a phase word: a separator followed by nothing but the end is consumed too.
    fn number_after_word(&mut self) -> Option<Num> {
        let save = self.pos;
        self.sep();
        if let Some(n) = self.digits() {
            return Some(n);
        }
        if !self.at_end() {
            self.pos = save;
        }
        None
    }
}

/// Longest spellings first, so that `alpha` is not read as `a` + `lpha`.
const PRE_WORDS: &[(&str, u8)] = &[
    ("alpha", 0),
    ("a", 0),
    ("beta", 1),
    ("b", 1),
    ("preview", 2),
    ("pre", 2),
    ("rc", 2),
    ("c", 2),
];

fn modern(s: &str) -> Option<Modern> {
    let mut c = Cursor {
        s: s.as_bytes(),
        pos: 0,
    };
    if c.peek() == Some(b'v') {
        c.pos += 1;
    }
    let first = c.digits()?;
    let mut epoch = Num::ZERO;
    let mut release = vec![first];
    if c.peek() == Some(b'!') {
        c.pos += 1;
        epoch = release.pop()?;
        release.push(c.digits()?);
    }
    while c.peek() == Some(b'.') && c.s.get(c.pos + 1).is_some_and(u8::is_ascii_digit) {
        c.pos += 1;
        release.push(c.digits()?);
    }
    trim_zeros(&mut release);

    // pre
    let mut pre = None;
    let save = c.pos;
    c.sep();
    let words: Vec<&str> = PRE_WORDS.iter().map(|(w, _)| *w).collect();
    match c.word(&words) {
        Some(i) => {
            let phase = PRE_WORDS.get(i).map_or(0, |(_, p)| *p);
            pre = Some((phase, c.number_after_word().unwrap_or(Num::ZERO)));
        }
        None => c.pos = save,
    }

    // post: `-N` or `[-_.]?(post|rev|r)[-_.]?N?`
    let mut post = None;
    let save = c.pos;
    if c.peek() == Some(b'-') && c.s.get(c.pos + 1).is_some_and(u8::is_ascii_digit) {
        c.pos += 1;
        post = c.digits();
    } else {
        c.sep();
        match c.word(&["post", "rev", "r"]) {
            Some(_) => post = Some(c.number_after_word().unwrap_or(Num::ZERO)),
            None => c.pos = save,
        }
    }

    // dev
    let mut dev = None;
    let save = c.pos;
    c.sep();
    match c.word(&["dev"]) {
        Some(_) => dev = Some(c.number_after_word().unwrap_or(Num::ZERO)),
        None => c.pos = save,
    }

    // local
    let mut local = Vec::new();
    if c.peek() == Some(b'+') {
        let rest = s.get(c.pos + 1..)?;
        for part in rest.split(['.', '_', '-']) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            local.push(match Num::parse(part) {
                Some(n) => Local::Num(n),
                None => Local::Str(part.into()),
            });
        }
        c.pos = s.len();
    }
    if !c.at_end() {
        return None;
    }
    let pre = match (pre, &post, &dev) {
        (None, None, Some(_)) => Pre::DevOnly,
        (Some((phase, n)), _, _) => Pre::Some(phase, n),
        (None, _, _) => Pre::None,
    };
    Some(Modern {
        epoch,
        release,
        pre,
        post,
        dev: dev.map_or(Dev::None, Dev::Some),
        local,
    })
}

/// setuptools' pre-PEP 440 `parse_version`: numbers zero-padded to 8, words prefixed with `*`,
/// `final` appended, some spellings normalised, trailing zeros and `final-` markers dropped before
/// words; compared as one string.
fn legacy(s: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut tokens: Vec<&str> = Vec::new();
    while let Some(&b) = bytes.get(i) {
        let kind = |b: u8| {
            if b.is_ascii_digit() {
                1
            } else if b.is_ascii_lowercase() {
                2
            } else {
                0
            }
        };
        let k = kind(b);
        if k == 0 {
            if b == b'-' {
                tokens.push("-");
            }
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).is_some_and(|&b| kind(b) == k) {
            i += 1;
        }
        tokens.push(s.get(start..i).unwrap_or(""));
    }
    tokens.push("final");
    for token in tokens {
        let token = match token {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            t => t,
        };
        let part = if token.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            format!("{token:0>8}")
        } else {
            format!("*{token}")
        };
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts.concat()
}
