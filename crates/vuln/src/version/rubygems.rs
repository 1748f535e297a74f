//! RubyGems' `Gem::Version`: `-` means `.pre.`; segments are runs of digits (numbers) or letters
//! (strings, case-sensitive); trailing zeros of the numeric part and of the rest are dropped
//! (`canonical_segments`); compared padded with 0, a string sorting before any number.

use std::cmp::Ordering;

use super::Num;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key(Vec<Segment>);

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Segment {
    Str(Box<str>),
    Num(Num),
}

pub(crate) fn parse(text: &str) -> Result<Key, String> {
    let text = text.trim();
    let text = if text.is_empty() { "0" } else { text };
    let text = text.replace('-', ".pre.");
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        if b.is_ascii_digit() {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            segments.push(Segment::Num(Num::from_digits(
                text.get(start..i).unwrap_or(""),
            )));
        } else if b.is_ascii_alphabetic() {
            while bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
                i += 1;
            }
            segments.push(Segment::Str(text.get(start..i).unwrap_or("").into()));
        } else if b == b'.' {
            i += 1;
        } else {
            return Err(format!("unexpected character `{}`", char::from(b)));
        }
    }
    if !matches!(segments.first(), Some(Segment::Num(_))) {
        return Err("a gem version starts with a number".into());
    }
    // canonical_segments: trim trailing zeros of the numeric prefix and of the rest separately.
    let split = segments
        .iter()
        .position(|s| matches!(s, Segment::Str(_)))
        .unwrap_or(segments.len());
    let mut rest = segments.split_off(split);
    let is_zero = |s: &Segment| matches!(s, Segment::Num(n) if n.is_zero());
    while segments.last().is_some_and(is_zero) {
        segments.pop();
    }
    while rest.last().is_some_and(is_zero) {
        rest.pop();
    }
    segments.append(&mut rest);
    Ok(Key(segments))
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Num(Num::ZERO);
        for i in 0..self.0.len().max(other.0.len()) {
            let a = self.0.get(i).unwrap_or(&zero);
            let b = other.0.get(i).unwrap_or(&zero);
            match a.cmp(b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
