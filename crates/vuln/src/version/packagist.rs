//! Packagist: PHP's `version_compare` as OSV applies it. A leading `v`/`V` is dropped; `-`, `_`, `+`
//! become `.`; a `.` goes between digits and other characters; parts compare numerically, or by
//! special form (`dev` < `alpha`/`a` < `beta`/`b` < `RC`/`rc` < `#` < `pl`/`p`, matched by prefix,
//! anything else ranking with `dev`), a number ranking as `#` against a form. A longer version wins
//! with a number next, else its next part is compared with `#`.

use std::cmp::Ordering;

use super::Num;

#[derive(Clone, Debug)]
pub(crate) struct Key(Vec<Part>);

#[derive(Clone, Debug)]
enum Part {
    Num(Num),
    /// Special-form weight.
    Form(u8),
}

const HASH: u8 = 4;

fn weight(part: &str) -> u8 {
    if part.starts_with("RC") {
        return 3;
    }
    ["dev", "a", "b", "rc", "#", "p"]
        .iter()
        .position(|f| part.starts_with(f))
        .map_or(0, |i| i as u8)
}

pub(crate) fn parse(text: &str) -> Result<Key, String> {
    if text.is_empty() {
        return Err("empty version".into());
    }
    let text = text.strip_prefix('v').unwrap_or(text);
    let text = text.strip_prefix('V').unwrap_or(text);
    let mut canonical = String::with_capacity(text.len() + 8);
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let c = if matches!(c, '-' | '_' | '+') { '.' } else { c };
        if let Some(p) = prev {
            let boundary = (p != '.' && c != '.') && (p.is_ascii_digit() != c.is_ascii_digit());
            if boundary {
                canonical.push('.');
            }
        }
        canonical.push(c);
        prev = Some(c);
    }
    let parts = canonical
        .split('.')
        .map(|p| match Num::parse(p) {
            Some(n) => Part::Num(n),
            None => Part::Form(weight(p)),
        })
        .collect();
    Ok(Key(parts))
}

fn cmp_part(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Num(a), Part::Num(b)) => a.cmp(b),
        (Part::Form(a), Part::Form(b)) => a.cmp(b),
        (Part::Num(_), Part::Form(b)) => HASH.cmp(b),
        (Part::Form(a), Part::Num(_)) => a.cmp(&HASH),
    }
}

/// The rest of the longer version against nothing: a number wins, else forms compare with `#`.
fn cmp_tail(tail: &[Part]) -> Ordering {
    for part in tail {
        match part {
            Part::Num(_) => return Ordering::Greater,
            Part::Form(w) => match w.cmp(&HASH) {
                Ordering::Equal => {}
                o => return o,
            },
        }
    }
    Ordering::Equal
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            match cmp_part(a, b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        let n = self.0.len().min(other.0.len());
        match self.0.len().cmp(&other.0.len()) {
            Ordering::Greater => cmp_tail(self.0.get(n..).unwrap_or(&[])),
            Ordering::Less => cmp_tail(other.0.get(n..).unwrap_or(&[])).reverse(),
            Ordering::Equal => Ordering::Equal,
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Key {}
