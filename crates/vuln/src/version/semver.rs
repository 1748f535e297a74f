//! SemVer 2.0 precedence, lenient like OSV: a leading `v`, any number of numeric components (those
//! after `max` are appended to the pre-release as `.N`), numbers of any size, build metadata ignored.
//! NuGet uses it with four components and case-insensitive labels.

use super::{Num, trim_zeros};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key {
    release: Vec<Num>,
    pre: Pre,
}

/// Declaration order is precedence: any pre-release sorts before the release.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Pre {
    Some(Vec<Ident>),
    None,
}

/// Numeric identifiers sort before alphanumeric ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Ident {
    Num(Num),
    Str(Box<str>),
}

pub(crate) fn parse(text: &str, max: usize, fold_case: bool) -> Result<Key, String> {
    let rest = text.strip_prefix('v').unwrap_or(text);
    let mut release = Vec::new();
    let mut start = 0;
    let mut build_at = None;
    for (i, b) in rest.bytes().enumerate() {
        if b.is_ascii_digit() {
            continue;
        }
        if i > start {
            release.push(Num::from_digits(&rest[start..i]));
        }
        if b == b'.' {
            start = i + 1;
        } else {
            build_at = Some(i);
            break;
        }
    }
    if build_at.is_none() && rest.len() > start {
        release.push(Num::from_digits(&rest[start..]));
    }
    if release.is_empty() {
        return Err("expected a numeric version such as 1.2.3".into());
    }
    let mut build = build_at
        .and_then(|i| rest.get(i..))
        .unwrap_or("")
        .to_owned();
    if release.len() > max {
        for extra in release.drain(max..) {
            build.push('.');
            build.push_str(&match extra {
                Num::Small(n) => n.to_string(),
                Num::Big(s) => s.into(),
            });
        }
    }
    trim_zeros(&mut release);
    let pre = build.split('+').next().unwrap_or("");
    let pre = pre.strip_prefix('-').unwrap_or(pre);
    let pre = if pre.is_empty() {
        Pre::None
    } else {
        Pre::Some(
            pre.split('.')
                .map(|id| match Num::parse(id) {
                    Some(n) => Ident::Num(n),
                    None if fold_case => Ident::Str(id.to_ascii_lowercase().into()),
                    None => Ident::Str(id.into()),
                })
                .collect(),
        )
    };
    Ok(Key { release, pre })
}
