//! Maven's version order specification (<https://maven.apache.org/pom.html#version-order-specification>),
//! as OSV uses it: tokens split at `.`, `-` and digit/letter transitions (a transition counts as `-`),
//! case-insensitive, aliases (`ga`/`final`/`release` = "", `cr` = `rc`, `a1`/`b1`/`m1` = alpha/beta/
//! milestone), trailing null tokens trimmed at the end and before every `-`; then compared padded
//! with nulls: `.qualifier < -qualifier < -number < .number`, known qualifiers in the order
//! alpha < beta < milestone < rc < snapshot < "" < sp < other (lexical).

use std::cmp::Ordering;

use super::Num;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key(Vec<Token>);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Prefix {
    Start,
    Dot,
    Dash,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Value {
    Num(Num),
    Str(Box<str>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Token {
    prefix: Prefix,
    value: Value,
    /// A padding token (never stored in a key).
    null: bool,
}

const KEYWORDS: &[&str] = &["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

fn keyword_rank(value: &Value) -> usize {
    match value {
        Value::Str(s) => KEYWORDS
            .iter()
            .position(|k| *k == &**s)
            .unwrap_or(KEYWORDS.len()),
        Value::Num(_) => KEYWORDS.len(),
    }
}

impl Token {
    fn same(&self, other: &Token) -> bool {
        self.prefix == other.prefix && self.value == other.value
    }

    fn is_trimmable(&self) -> bool {
        match &self.value {
            Value::Num(n) => n.is_zero(),
            Value::Str(s) => s.is_empty(),
        }
    }

    /// The null token that pads the other version where this one has `self`.
    fn null_for(&self) -> Token {
        match self.prefix {
            Prefix::Dash => Token {
                prefix: Prefix::Dash,
                value: Value::Str("".into()),
                null: true,
            },
            Prefix::Dot | Prefix::Start => {
                // `sp` is the only qualifier after "": pad with "" for it, 0 otherwise.
                let value = match &self.value {
                    Value::Str(s) if &**s == "sp" => Value::Str("".into()),
                    _ => Value::Num(Num::ZERO),
                };
                Token {
                    prefix: self.prefix,
                    value,
                    null: true,
                }
            }
        }
    }

    fn order(&self) -> u8 {
        match (&self.value, self.prefix) {
            (Value::Num(_), Prefix::Dash) => 2,
            (Value::Num(_), _) => 3,
            (Value::Str(_), Prefix::Dash) => 1,
            (Value::Str(_), _) => 0,
        }
    }

    fn less(&self, other: &Token) -> bool {
        if self.prefix != other.prefix {
            return self.order() < other.order();
        }
        if let (Value::Num(a), Value::Num(b)) = (&self.value, &other.value) {
            return a < b;
        }
        if matches!(self.value, Value::Num(_)) && !self.null {
            return false;
        }
        if matches!(other.value, Value::Num(_)) && !other.null {
            return true;
        }
        let (l, r) = (keyword_rank(&self.value), keyword_rank(&other.value));
        if l == KEYWORDS.len() && r == KEYWORDS.len() {
            return text(&self.value) < text(&other.value);
        }
        l < r
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Num(Num::Small(n)) => n.to_string(),
        Value::Num(Num::Big(s)) => s.to_string(),
        Value::Str(s) => s.to_string(),
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        for i in 0..a.len().max(b.len()) {
            let (left, right) = match (a.get(i), b.get(i)) {
                (Some(l), Some(r)) => (l.clone(), r.clone()),
                (None, Some(r)) => (r.null_for(), r.clone()),
                (Some(l), None) => (l.clone(), l.null_for()),
                (None, None) => break,
            };
            if left.same(&right) {
                continue;
            }
            return if left.less(&right) {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        Ordering::Equal
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(crate) fn parse(text: &str) -> Result<Key, String> {
    let lower = text.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return Err("empty version".into());
    }
    let mut tokens = Vec::new();
    let mut prefix = Prefix::Start;
    for raw in lower.split_inclusive(['.', '-']) {
        let (body, next) = match raw.as_bytes().last() {
            Some(b'.') => (&raw[..raw.len() - 1], Some(Prefix::Dot)),
            Some(b'-') => (&raw[..raw.len() - 1], Some(Prefix::Dash)),
            _ => (raw, None),
        };
        // Split the body at digit/non-digit transitions; later pieces count as `-`.
        let bytes = body.as_bytes();
        let mut start = 0;
        let mut first = true;
        loop {
            let digit = bytes.get(start).is_some_and(u8::is_ascii_digit);
            let mut end = start;
            while bytes.get(end).is_some_and(|b| b.is_ascii_digit() == digit) {
                end += 1;
            }
            let piece = body.get(start..end).unwrap_or("");
            let followed_by_more = end < bytes.len();
            let value = if piece.is_empty() {
                Value::Num(Num::ZERO)
            } else if digit {
                Value::Num(Num::from_digits(piece))
            } else {
                Value::Str(
                    match piece {
                        "cr" => "rc",
                        "ga" | "final" | "release" => "",
                        "a" if followed_by_more => "alpha",
                        "b" if followed_by_more => "beta",
                        "m" if followed_by_more => "milestone",
                        p => p,
                    }
                    .into(),
                )
            };
            tokens.push(Token {
                prefix: if first { prefix } else { Prefix::Dash },
                value,
                null: false,
            });
            first = false;
            start = end;
            if start >= bytes.len() {
                break;
            }
        }
        if let Some(p) = next {
            prefix = p;
        }
    }
    // A trailing separator leaves an empty last piece: `1.` is `1.0`, `1-` is `1-0`.
    if lower.ends_with(['.', '-']) {
        tokens.push(Token {
            prefix,
            value: Value::Num(Num::ZERO),
            null: false,
        });
    }
    // Trim trailing nulls, at the end and before each `-`, right to left.
    let mut i = tokens.len() as isize - 1;
    while i > 0 {
        let idx = i as usize;
        if tokens.get(idx).is_some_and(Token::is_trimmable) {
            tokens.remove(idx);
            i -= 1;
            continue;
        }
        while i >= 0
            && tokens
                .get(i as usize)
                .is_some_and(|t| t.prefix != Prefix::Dash)
        {
            i -= 1;
        }
        i -= 1;
    }
    Ok(Key(tokens))
}
