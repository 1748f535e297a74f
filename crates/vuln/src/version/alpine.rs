//! Alpine (apk) versions: `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`
//! (<https://gitlab.alpinelinux.org/alpine/apk-tools/-/blob/master/doc/apk-package.5.scd>), compared
//! as OSV does: numbers (after the first, a component with a leading zero compares as text), then the
//! letter (none first), then suffixes (`_alpha` < `_beta` < `_pre` < `_rc` < none < `_cvs` < `_svn`
//! < `_git` < `_hg` < `_p`), then `-rN`; the commit hash is ignored. Text apk cannot read
//! ("invalid") sorts before valid text of equal parts; two invalid texts compare as strings.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use super::{Num, trim_zeros};

#[derive(Clone, Debug)]
pub(crate) struct Key {
    original: Box<str>,
    invalid: bool,
    components: Vec<Component>,
    letter: Option<u8>,
    suffixes: Vec<Suffix>,
    revision: Num,
    remainder: bool,
}

#[derive(Clone, Debug)]
struct Component {
    text: Box<str>,
    value: Num,
    first: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Suffix {
    weight: u8,
    number: Num,
}

const SUFFIXES: &[&str] = &[
    "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p",
];
const NO_SUFFIX: u8 = 4;

pub(crate) fn parse(text: &str) -> Result<Key, String> {
    if text.is_empty() {
        return Err("empty version".into());
    }
    let b = text.as_bytes();
    let mut i = 0;
    // numbers: ((\d+)\.?)*
    let mut components = Vec::new();
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let t = text.get(start..i).unwrap_or("");
        components.push(Component {
            text: t.into(),
            value: Num::from_digits(t),
            first: components.is_empty(),
        });
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                // `1.` leaves an empty component.
                components.push(Component {
                    text: "".into(),
                    value: Num::ZERO,
                    first: false,
                });
            }
        }
    }
    let mut letter = None;
    if let Some(&c) = b.get(i) {
        if c.is_ascii_lowercase() {
            letter = Some(c);
            i += 1;
        }
    }
    let mut suffixes = Vec::new();
    'suffixes: while b.get(i) == Some(&b'_') {
        let rest = text.get(i + 1..).unwrap_or("");
        // "p" last: the longer names that start with it ("pre") are tried first.
        for (weight, name) in SUFFIXES.iter().enumerate() {
            if name.is_empty() || !rest.starts_with(name) {
                continue;
            }
            let mut j = i + 1 + name.len();
            let start = j;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            let number = Num::from_digits(text.get(start..j).unwrap_or(""));
            suffixes.push(Suffix {
                weight: weight as u8,
                number,
            });
            i = j;
            continue 'suffixes;
        }
        break;
    }
    if b.get(i) == Some(&b'~') {
        let start = i + 1;
        let mut j = start;
        while b
            .get(j)
            .is_some_and(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
        {
            j += 1;
        }
        if j > start {
            i = j;
        }
    }
    let mut invalid = false;
    let mut revision = Num::ZERO;
    if i < b.len() {
        if text.get(i..).is_some_and(|r| r.starts_with("-r")) {
            let start = i + 2;
            let mut j = start;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            revision = Num::from_digits(text.get(start..j).unwrap_or(""));
            i = j;
        } else {
            invalid = true;
        }
    }
    Ok(Key {
        original: text.into(),
        invalid,
        components,
        letter,
        suffixes,
        revision,
        remainder: i < b.len(),
    })
}

impl Key {
    /// Hash only what every pair of equal keys shares: numeric values (trailing zeros dropped),
    /// letter, suffixes (trailing "no suffix" dropped), revision, whether text remains.
    pub(crate) fn hash_eq_classes<H: Hasher>(&self, state: &mut H) {
        let mut values: Vec<Num> = self.components.iter().map(|c| c.value.clone()).collect();
        trim_zeros(&mut values);
        values.hash(state);
        self.letter.hash(state);
        let mut suffixes = self.suffixes.clone();
        while suffixes
            .last()
            .is_some_and(|s| s.weight == NO_SUFFIX && s.number.is_zero())
        {
            suffixes.pop();
        }
        suffixes.hash(state);
        self.revision.hash(state);
        self.remainder.hash(state);
    }
}

fn cmp_component(a: Option<&Component>, b: Option<&Component>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b))
            if !a.first && !b.first && (a.text.starts_with('0') || b.text.starts_with('0')) =>
        {
            a.text.cmp(&b.text)
        }
        (a, b) => {
            let zero = Num::ZERO;
            a.map_or(&zero, |c| &c.value)
                .cmp(b.map_or(&zero, |c| &c.value))
        }
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.invalid && other.invalid {
            return self.original.cmp(&other.original);
        }
        for i in 0..self.components.len().max(other.components.len()) {
            match cmp_component(self.components.get(i), other.components.get(i)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match self.letter.cmp(&other.letter) {
            Ordering::Equal => {}
            o => return o,
        }
        let none = Suffix {
            weight: NO_SUFFIX,
            number: Num::ZERO,
        };
        for i in 0..self.suffixes.len().max(other.suffixes.len()) {
            match self
                .suffixes
                .get(i)
                .unwrap_or(&none)
                .cmp(other.suffixes.get(i).unwrap_or(&none))
            {
                Ordering::Equal => {}
                o => return o,
            }
        }
        self.revision
            .cmp(&other.revision)
            .then_with(|| other.remainder.cmp(&self.remainder))
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
