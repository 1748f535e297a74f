//! Version ordering per ecosystem, as each ecosystem defines it. The interface the matcher uses:
//! [`Scheme::for_ecosystem`] (OSV ecosystem name -> scheme, `None` when unknown) and [`parse`]
//! (text -> [`Version`], comparable with versions of the same scheme).
//!
//! Each scheme parses a text once into a key (`<scheme>.rs`); comparing two versions compares keys,
//! never text. The rules follow what OSV matching uses (osv-scalibr's `semantic` package, tested with
//! its vectors in `tests/data/version-ordering/`): lenient where the ecosystem's tools are lenient,
//! numbers of any length.
//!
//! Equality is each scheme's equality (`1.0 == 1.0.0` in PEP 440, `1 == 1.0` in Maven, build metadata
//! ignored in SemVer, `0:1.0 == 1.0` in Debian). Packagist's `version_compare` equality is not
//! transitive (`1.2.3.# == 1.2.3 == ...`), so Packagist versions hash by scheme only.

mod alpine;
mod debian;
mod go;
mod maven;
mod packagist;
mod pep440;
mod rubygems;
mod semver;

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// A version ordering scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// SemVer 2.0 (crates.io, npm, Pub, Hex, SwiftURL), lenient like OSV: a leading `v`, any
    /// number of numeric components (after the third they join the pre-release), big numbers.
    SemVer,
    /// PEP 440 (PyPI), with pre-PEP 440 ("legacy") versions ordered before every PEP 440 version.
    Pep440,
    /// Go modules: SemVer with `v`, `+incompatible` and pseudo-versions.
    Go,
    /// Maven's version order specification.
    Maven,
    /// RubyGems' `Gem::Version`.
    RubyGems,
    /// NuGet: SemVer 2 with four numeric parts and case-insensitive pre-release labels.
    NuGet,
    /// Packagist: PHP's `version_compare` as OSV uses it (a leading `v` dropped).
    Packagist,
    /// Debian and Ubuntu: dpkg ordering (`epoch:upstream-revision`, `~` first).
    Debian,
    /// Alpine: apk ordering (letters, `_alpha` ... `_p` suffixes, `-rN`).
    Alpine,
}

impl Scheme {
    /// The scheme of an OSV ecosystem name: "crates.io", "npm", "PyPI", "Go", "Maven", "RubyGems",
    /// "NuGet", "Packagist", "Pub", "Hex", "SwiftURL", "Debian" and "Debian:12", "Ubuntu:22.04",
    /// "Alpine:v3.18" ...; None when unknown (never guess).
    pub fn for_ecosystem(osv_ecosystem: &str) -> Option<Scheme> {
        // OSV ecosystems with a release carry it after the first ':' ("Debian:12", "Ubuntu:22.04:LTS",
        // "Alpine:v3.18"); the ordering is the base ecosystem's.
        let base = osv_ecosystem.split(':').next().unwrap_or(osv_ecosystem);
        Some(match base {
            "crates.io" | "npm" | "Pub" | "Hex" | "SwiftURL" => Scheme::SemVer,
            "PyPI" => Scheme::Pep440,
            "Go" => Scheme::Go,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "NuGet" => Scheme::NuGet,
            "Packagist" => Scheme::Packagist,
            "Debian" | "Ubuntu" => Scheme::Debian,
            "Alpine" => Scheme::Alpine,
            _ => return None,
        })
    }

    fn rank(self) -> u8 {
        self as u8
    }
}

/// A parsed version; Ord compares within one scheme (comparing across schemes is a caller bug: order
/// by scheme first).
#[derive(Clone, Debug)]
pub struct Version {
    scheme: Scheme,
    text: Box<str>,
    key: Key,
}

#[derive(Clone, Debug)]
enum Key {
    SemVer(semver::Key),
    Pep440(pep440::Key),
    Maven(maven::Key),
    RubyGems(rubygems::Key),
    Packagist(packagist::Key),
    Debian(debian::Key),
    Alpine(alpine::Key),
}

impl Version {
    /// The scheme this version was parsed with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.scheme
            .rank()
            .cmp(&other.scheme.rank())
            .then_with(|| match (&self.key, &other.key) {
                (Key::SemVer(a), Key::SemVer(b)) => a.cmp(b),
                (Key::Pep440(a), Key::Pep440(b)) => a.cmp(b),
                (Key::Maven(a), Key::Maven(b)) => a.cmp(b),
                (Key::RubyGems(a), Key::RubyGems(b)) => a.cmp(b),
                (Key::Packagist(a), Key::Packagist(b)) => a.cmp(b),
                (Key::Debian(a), Key::Debian(b)) => a.cmp(b),
                (Key::Alpine(a), Key::Alpine(b)) => a.cmp(b),
                // One scheme always parses to one kind of key.
                _ => Ordering::Equal,
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.scheme.hash(state);
        match &self.key {
            Key::SemVer(k) => k.hash(state),
            Key::Pep440(k) => k.hash(state),
            Key::Maven(k) => k.hash(state),
            Key::RubyGems(k) => k.hash(state),
            // Packagist equality is not transitive: nothing finer than the scheme is safe to hash.
            Key::Packagist(_) => {}
            Key::Debian(k) => k.hash(state),
            Key::Alpine(k) => k.hash_eq_classes(state),
        }
    }
}

/// A version text that does not parse under its scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version `{version}`: {message}")]
pub struct VersionError {
    pub version: String,
    pub message: String,
}

/// Parse `text` under `scheme`.
pub fn parse(scheme: Scheme, text: &str) -> Result<Version, VersionError> {
    let key = match scheme {
        Scheme::SemVer => semver::parse(text, 3, false).map(Key::SemVer),
        Scheme::Go => go::parse(text).map(Key::SemVer),
        Scheme::NuGet => semver::parse(text, 4, true).map(Key::SemVer),
        Scheme::Pep440 => pep440::parse(text).map(Key::Pep440),
        Scheme::Maven => maven::parse(text).map(Key::Maven),
        Scheme::RubyGems => rubygems::parse(text).map(Key::RubyGems),
        Scheme::Packagist => packagist::parse(text).map(Key::Packagist),
        Scheme::Debian => debian::parse(text).map(Key::Debian),
        Scheme::Alpine => alpine::parse(text).map(Key::Alpine),
    }
    .map_err(|message| VersionError {
        version: text.to_owned(),
        message,
    })?;
    Ok(Version {
        scheme,
        text: text.into(),
        key,
    })
}

/// Convenience: compare two texts under the ecosystem's scheme; None if the ecosystem is unknown or
/// either does not parse.
pub fn compare(osv_ecosystem: &str, a: &str, b: &str) -> Option<Ordering> {
    let scheme = Scheme::for_ecosystem(osv_ecosystem)?;
    let a = parse(scheme, a).ok()?;
    let b = parse(scheme, b).ok()?;
    Some(a.cmp(&b))
}

/// A non-negative integer of any length: `u64` when it fits, else its decimal digits without
/// leading zeros (longer is greater).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Num {
    Small(u64),
    Big(Box<str>),
}

impl Num {
    pub(crate) const ZERO: Num = Num::Small(0);

    /// `digits` holds ASCII digits only (empty is zero).
    pub(crate) fn from_digits(digits: &str) -> Num {
        let digits = digits.trim_start_matches('0');
        if digits.len() <= 19 {
            Num::Small(
                digits
                    .bytes()
                    .fold(0u64, |n, b| n * 10 + u64::from(b - b'0')),
            )
        } else {
            match digits.parse::<u64>() {
                Ok(n) => Num::Small(n),
                Err(_) => Num::Big(digits.into()),
            }
        }
    }

    /// The number when `s` is a non-empty run of ASCII digits.
    pub(crate) fn parse(s: &str) -> Option<Num> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| Num::from_digits(s))
    }

    pub(crate) fn is_zero(&self) -> bool {
        *self == Num::ZERO
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Num::Small(a), Num::Small(b)) => a.cmp(b),
            (Num::Small(_), Num::Big(_)) => Ordering::Less,
            (Num::Big(_), Num::Small(_)) => Ordering::Greater,
            (Num::Big(a), Num::Big(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Drop trailing zeros (padding with zeros compares equal).
pub(crate) fn trim_zeros(v: &mut Vec<Num>) {
    while v.last().is_some_and(Num::is_zero) {
        v.pop();
    }
}

#[cfg(test)]
mod tests;
