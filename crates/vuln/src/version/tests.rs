//! Every scheme against the osv-scalibr vectors in `tests/data/version-ordering/` (see its README).

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use super::*;

fn hash_of(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Check every comparison of `file` under `scheme`; `skip` names lines deliberately not held.
fn check(file: &str, scheme: Scheme, skip: fn(&str) -> bool) -> usize {
    let path = format!(
        "{}/tests/data/version-ordering/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") || line.starts_with('#') {
            continue;
        }
        let Some((a, op, b)) = [" < ", " > ", " = "]
            .iter()
            .find_map(|op| line.split_once(op).map(|(a, b)| (a, op.trim(), b)))
        else {
            panic!("{path}:{}: no comparison in `{line}`", n + 1);
        };
        if skip(line) {
            continue;
        }
        let want = match op {
            "<" => Ordering::Less,
            ">" => Ordering::Greater,
            _ => Ordering::Equal,
        };
        let (va, vb) = match (parse(scheme, a), parse(scheme, b)) {
            (Ok(va), Ok(vb)) => (va, vb),
            (ra, rb) => {
                failures.push(format!(
                    "{}: {line}: parse {:?} {:?}",
                    n + 1,
                    ra.err(),
                    rb.err()
                ));
                continue;
            }
        };
        checked += 1;
        let (got, back) = (va.cmp(&vb), vb.cmp(&va));
        if got != want || back != want.reverse() {
            failures.push(format!("{}: {line}: got {got:?} (reverse {back:?})", n + 1));
        } else if want == Ordering::Equal
            && scheme != Scheme::Packagist
            && hash_of(&va) != hash_of(&vb)
        {
            failures.push(format!("{}: {line}: equal but hashes differ", n + 1));
        }
    }
    assert!(
        failures.is_empty(),
        "{file} under {scheme:?}: {} of {checked} wrong:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(checked > 0, "{file}: no comparisons read");
    checked
}

fn none(_: &str) -> bool {
    false
}

#[test]
fn semver_vectors() {
    check("semver-versions.txt", Scheme::SemVer, none);
}

#[test]
fn go_orders_like_semver() {
    check("semver-versions.txt", Scheme::Go, none);
}

/// Pub orders build metadata (`1.0.0 < 1.0.0+build`); OSV's Pub data never needs it and the scheme
/// is SemVer, which ignores build metadata: those lines are not held.
#[test]
fn pub_vectors_without_build_metadata() {
    check("pub-versions.txt", Scheme::SemVer, |line| {
        line.contains('+')
    });
}

#[test]
fn nuget_vectors() {
    check("nuget-versions.txt", Scheme::NuGet, none);
}

#[test]
fn pep440_vectors() {
    check("pypi-versions.txt", Scheme::Pep440, none);
    check("pypi-versions-generated.txt", Scheme::Pep440, none);
}

#[test]
fn maven_vectors() {
    check("maven-versions.txt", Scheme::Maven, none);
    check("maven-versions-generated.txt", Scheme::Maven, none);
}

#[test]
fn rubygems_vectors() {
    check("rubygems-versions.txt", Scheme::RubyGems, none);
    check("rubygems-versions-generated.txt", Scheme::RubyGems, none);
}

#[test]
fn packagist_vectors() {
    check("packagist-versions.txt", Scheme::Packagist, none);
    check("packagist-versions-generated.txt", Scheme::Packagist, none);
}

#[test]
fn debian_vectors() {
    check("debian-versions.txt", Scheme::Debian, none);
    check("debian-versions-generated.txt", Scheme::Debian, none);
}

#[test]
fn alpine_vectors() {
    check("alpine-versions.txt", Scheme::Alpine, none);
    check("alpine-versions-generated.txt", Scheme::Alpine, none);
}

#[test]
fn ecosystems_map_to_schemes_and_unknown_is_none() {
    for (eco, scheme) in [
        ("crates.io", Scheme::SemVer),
        ("npm", Scheme::SemVer),
        ("Pub", Scheme::SemVer),
        ("Hex", Scheme::SemVer),
        ("SwiftURL", Scheme::SemVer),
        ("PyPI", Scheme::Pep440),
        ("Go", Scheme::Go),
        ("Maven", Scheme::Maven),
        ("RubyGems", Scheme::RubyGems),
        ("NuGet", Scheme::NuGet),
        ("Packagist", Scheme::Packagist),
        ("Debian", Scheme::Debian),
        ("Debian:12", Scheme::Debian),
        ("Ubuntu:22.04:LTS", Scheme::Debian),
        ("Alpine:v3.18", Scheme::Alpine),
    ] {
        assert_eq!(Scheme::for_ecosystem(eco), Some(scheme), "{eco}");
    }
    for unknown in ["", "pypi", "CRAN", "Red Hat", "GIT", "Linux", "crates"] {
        assert_eq!(Scheme::for_ecosystem(unknown), None, "{unknown}");
    }
    assert_eq!(compare("CRAN", "1", "2"), None);
}

#[test]
fn compare_and_errors() {
    assert_eq!(compare("PyPI", "1.0", "1.0.0"), Some(Ordering::Equal));
    assert_eq!(compare("Maven", "1.0", "1"), Some(Ordering::Equal));
    assert_eq!(compare("npm", "1.0.0+a", "1.0.0+b"), Some(Ordering::Equal));
    assert_eq!(
        compare("Debian:12", "1:1.0", "2.0"),
        Some(Ordering::Greater)
    );
    assert_eq!(
        compare("Go", "v1.2.3+incompatible", "1.2.3"),
        Some(Ordering::Equal)
    );
    assert_eq!(
        compare(
            "Go",
            "0.0.0-20191109021931-daa7c04131f5",
            "0.0.0-20200101000000-aaaaaaaaaaaa"
        ),
        Some(Ordering::Less)
    );
    assert_eq!(
        compare("Go", "1.2.4-0.20191109021931-daa7c04131f5", "1.2.3"),
        Some(Ordering::Greater)
    );
    assert_eq!(compare("npm", "", "1"), None);
    let err = parse(Scheme::SemVer, "latest").unwrap_err();
    assert_eq!(err.version, "latest");
    assert!(err.to_string().contains("`latest`"), "{err}");
    assert!(parse(Scheme::Debian, "x:1.0").is_err());
    assert!(parse(Scheme::RubyGems, "1.0!").is_err());
    let v = parse(Scheme::Alpine, "1.2.3_rc1-r0").unwrap();
    assert_eq!((v.scheme(), v.as_str()), (Scheme::Alpine, "1.2.3_rc1-r0"));
}

#[test]
fn versions_sort_by_scheme_first() {
    let a = parse(Scheme::SemVer, "9.0.0").unwrap();
    let b = parse(Scheme::Pep440, "1.0").unwrap();
    assert_eq!(a.cmp(&b), Ordering::Less);
    assert_ne!(a, b);
}
