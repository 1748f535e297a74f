//! SemVer 2.0 precedence, lenient like OSV: a leading `v`, any number of numeric components
//! compared in order (missing ones are zeros, so `1.2.3.4` > `1.2.3` = `1.2.3.0`, as OSV's own
//! ordering vectors say), numbers of any size, build metadata ignored. After the numeric part only
//! `-pre` and `+build` may follow: `9fe1c3`, `1.2a` are not versions (read leniently they became
//! pre-releases and compared wrongly). NuGet uses it with case-insensitive labels.

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

/// `_max` is the scheme's usual number of components (3, NuGet 4); more are kept and compared.
pub(crate) fn parse(text: &str, _max: usize, fold_case: bool) -> Result<Key, String> {
    let rest = text.strip_prefix('v').unwrap_or(text);
    // The numeric core: dot-separated numbers, then the end, `-` (pre-release) or `+` (build).
    // Anything else (`9fe1c3`, `1.2a`, `1..2`) is not a version.
    let core_end = rest.find(['-', '+']).unwrap_or(rest.len());
    let core = rest.get(..core_end).unwrap_or("");
    let build = rest.get(core_end..).unwrap_or("").to_owned();
    let mut release = Vec::new();
    for part in core.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err("expected a numeric version such as 1.2.3".into());
        }
        release.push(Num::from_digits(part));
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

#[cfg(test)]
mod strict_core_tests {
    use super::parse;

    #[test]
    fn only_pre_release_or_build_may_follow_the_numbers() {
        assert!(parse("9fe1c3a0b", 3, false).is_err());
        // Extra numeric parts are release parts, never a pre-release.
        assert!(parse("1.2.3.4", 3, false).unwrap() > parse("1.2.3", 3, false).unwrap());
        assert!(parse("1.2.3.4", 3, false).unwrap() > parse("1.2.3-rc.1", 3, false).unwrap());
        assert_eq!(parse("1.2.3.0", 3, false), parse("1.2.3", 3, false));
        assert!(parse("1.2a", 3, false).is_err());
        assert!(parse("1..2", 3, false).is_err());
        assert!(parse("1.2.3.4", 4, true).is_ok());
        assert!(parse("1.2.3.4-beta", 4, true).unwrap() < parse("1.2.3.4", 4, true).unwrap());
        assert!(parse("v1.2.3-rc.1+build.5", 3, false).is_ok());
        assert!(parse("1.2", 3, false).is_ok());
        assert_eq!(parse("1.2.3+meta", 3, false), parse("1.2.3", 3, false));
    }
}
