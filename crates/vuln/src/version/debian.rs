//! Debian (and Ubuntu) versions, dpkg's ordering: `[epoch:]upstream[-revision]`, the revision after
//! the last `-`; each part compared as alternating non-digit runs (character by character: `~` before
//! the end, the end before letters, letters before other characters) and numbers.

use std::cmp::Ordering;

use super::Num;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    epoch: Num,
    upstream: Part,
    revision: Part,
}

/// (non-digit run, number) pairs; trailing ("", 0) pairs dropped so equal parts are equal keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Part(Vec<(Box<str>, Num)>);

pub(crate) fn parse(text: &str) -> Result<Key, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty version".into());
    }
    let (epoch, rest) = match text.split_once(':') {
        Some((e, rest)) => (
            Num::parse(e).ok_or_else(|| format!("epoch `{e}` is not a number"))?,
            rest,
        ),
        None => (Num::ZERO, text),
    };
    let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
    if upstream.is_empty() {
        return Err("empty upstream version".into());
    }
    if let Some(c) = rest
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".+-~:_".contains(*c)))
    {
        return Err(format!("unexpected character `{c}`"));
    }
    Ok(Key {
        epoch,
        upstream: split(upstream),
        revision: split(revision),
    })
}

fn split(s: &str) -> Part {
    let bytes = s.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while bytes.get(i).is_some_and(|b| !b.is_ascii_digit()) {
            i += 1;
        }
        let word = s.get(start..i).unwrap_or("");
        let nstart = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        pairs.push((
            word.into(),
            Num::from_digits(s.get(nstart..i).unwrap_or("")),
        ));
    }
    while pairs
        .last()
        .is_some_and(|(w, n): &(Box<str>, Num)| w.is_empty() && n.is_zero())
    {
        pairs.pop();
    }
    Part(pairs)
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn cmp_word(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for i in 0..a.len().max(b.len()) {
        match order(a.get(i).copied()).cmp(&order(b.get(i).copied())) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        let empty: (Box<str>, Num) = ("".into(), Num::ZERO);
        for i in 0..self.0.len().max(other.0.len()) {
            let (aw, an) = self.0.get(i).unwrap_or(&empty);
            let (bw, bn) = other.0.get(i).unwrap_or(&empty);
            match cmp_word(aw, bw).then_with(|| an.cmp(bn)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.upstream.cmp(&other.upstream))
            .then_with(|| self.revision.cmp(&other.revision))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
