//! From the SBOM's ecosystems and purls to OSV ecosystem names, and OSV's package-name rules.

use std::borrow::Cow;

use chainproof_sbom::Ecosystem;

/// The OSV ecosystem of a component: its [`Ecosystem`] plus, for OS packages, the purl's
/// namespace and `distro` qualifier. `None` when OSV has no such ecosystem (generic, rpm) or the
/// distribution release is not known (a `deb`/`apk` purl without `distro`).
pub fn osv_ecosystem(ecosystem: Ecosystem, purl: &str) -> Option<String> {
    let name = match ecosystem {
        Ecosystem::Cargo => "crates.io",
        Ecosystem::Npm => "npm",
        Ecosystem::Pypi => "PyPI",
        Ecosystem::Golang => "Go",
        Ecosystem::Gem => "RubyGems",
        Ecosystem::Composer => "Packagist",
        Ecosystem::Nuget => "NuGet",
        Ecosystem::Maven => "Maven",
        Ecosystem::Pub => "Pub",
        Ecosystem::Hex => "Hex",
        Ecosystem::Swift => "SwiftURL",
        Ecosystem::Deb => return deb(purl),
        Ecosystem::Apk => return apk(purl),
        Ecosystem::Rpm | Ecosystem::Generic => return None,
    };
    Some(name.to_string())
}

/// `pkg:deb/debian/x@1?distro=debian-12` -> `Debian:12`; ubuntu `ubuntu-22.04` ->
/// `Ubuntu:22.04:LTS` (OSV names LTS releases, the even years' `.04`, with a `:LTS` suffix),
/// `ubuntu-24.10` -> `Ubuntu:24.10`.
fn deb(purl: &str) -> Option<String> {
    let distro = qualifier(purl, "distro")?;
    let namespace = namespace(purl);
    let (vendor, release) = distro.split_once('-')?;
    if release.is_empty() {
        return None;
    }
    match (vendor, namespace.as_deref()) {
        ("debian", None | Some("debian")) => {
            // Debian's OSV ecosystem names use the major release number only.
            let major = release.split('.').next().unwrap_or(release);
            major
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| format!("Debian:{major}"))
        }
        ("ubuntu", None | Some("ubuntu")) => ubuntu(release),
        _ => None,
    }
}

/// An Ubuntu release `YY.MM` as OSV names it: `Ubuntu:22.04:LTS`, `Ubuntu:23.10`.
fn ubuntu(release: &str) -> Option<String> {
    let (year, month) = release.split_once('.')?;
    let numeric = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(year) || !numeric(month) {
        return None;
    }
    let lts = month == "04" && year.parse::<u32>().is_ok_and(|y| y % 2 == 0);
    Some(if lts {
        format!("Ubuntu:{year}.{month}:LTS")
    } else {
        format!("Ubuntu:{year}.{month}")
    })
}

/// An OSV ecosystem name in the form used to compare two of them: Ubuntu's `:LTS` suffix is
/// dropped (`Ubuntu:22.04:LTS` and `Ubuntu:22.04` are the same release); other names as they are.
pub fn canonical(osv_ecosystem: &str) -> &str {
    if osv_ecosystem.starts_with("Ubuntu:") && !osv_ecosystem.starts_with("Ubuntu:Pro:") {
        osv_ecosystem.strip_suffix(":LTS").unwrap_or(osv_ecosystem)
    } else {
        osv_ecosystem
    }
}

/// `pkg:apk/alpine/x@1?distro=alpine-3.18.4` -> `Alpine:v3.18`.
fn apk(purl: &str) -> Option<String> {
    let distro = qualifier(purl, "distro")?;
    let release = distro.strip_prefix("alpine-")?;
    if namespace(purl).is_some_and(|ns| ns != "alpine") {
        return None;
    }
    let mut parts = release.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(major) && numeric(minor)).then(|| format!("Alpine:v{major}.{minor}"))
}

/// The value of a purl qualifier (percent-decoded).
fn qualifier(purl: &str, key: &str) -> Option<String> {
    let packageurl = purl.parse::<packageurl::PackageUrl>().ok()?;
    packageurl
        .qualifiers()
        .iter()
        .find(|(k, _)| k.as_ref() == key)
        .map(|(_, v)| v.to_string())
}

fn namespace(purl: &str) -> Option<String> {
    let packageurl = purl.parse::<packageurl::PackageUrl>().ok()?;
    packageurl.namespace().map(|n| n.to_ascii_lowercase())
}

/// The ecosystem part of an OSV ecosystem name (`Debian:12` -> `Debian`): the directory of the
/// offline database that holds it.
pub fn base(osv_ecosystem: &str) -> &str {
    osv_ecosystem
        .split_once(':')
        .map_or(osv_ecosystem, |(b, _)| b)
}

/// A package name as OSV compares it in that ecosystem: PyPI names normalised as PEP 503 says
/// (lower case, runs of `-`, `_`, `.` become one `-`); NuGet and Packagist names are
/// case-insensitive (lower-cased); every other ecosystem compares exactly.
pub fn normalize_name<'a>(osv_ecosystem: &str, name: &'a str) -> Cow<'a, str> {
    match base(osv_ecosystem) {
        "PyPI" => {}
        "NuGet" | "Packagist" if name.bytes().any(|b| b.is_ascii_uppercase()) => {
            return Cow::Owned(name.to_lowercase());
        }
        _ => return Cow::Borrowed(name),
    }
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('-');
        }
        separator = false;
        out.push(c.to_ascii_lowercase());
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_ecosystems() {
        let cases = [
            (Ecosystem::Cargo, "crates.io"),
            (Ecosystem::Npm, "npm"),
            (Ecosystem::Pypi, "PyPI"),
            (Ecosystem::Golang, "Go"),
            (Ecosystem::Gem, "RubyGems"),
            (Ecosystem::Composer, "Packagist"),
            (Ecosystem::Nuget, "NuGet"),
            (Ecosystem::Maven, "Maven"),
            (Ecosystem::Pub, "Pub"),
            (Ecosystem::Hex, "Hex"),
            (Ecosystem::Swift, "SwiftURL"),
        ];
        for (eco, want) in cases {
            assert_eq!(osv_ecosystem(eco, "pkg:x/y@1").as_deref(), Some(want));
        }
        assert_eq!(osv_ecosystem(Ecosystem::Generic, "pkg:generic/x"), None);
        assert_eq!(osv_ecosystem(Ecosystem::Rpm, "pkg:rpm/fedora/x@1"), None);
    }

    #[test]
    fn os_ecosystems_from_qualifiers() {
        let deb = |p| osv_ecosystem(Ecosystem::Deb, p);
        assert_eq!(
            deb("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            deb("pkg:deb/debian/x@1?distro=debian-12.4").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            deb("pkg:deb/ubuntu/x@1?distro=ubuntu-22.04").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert_eq!(deb("pkg:deb/debian/x@1?arch=amd64"), None);
        assert_eq!(deb("pkg:deb/debian/x@1?distro=debian-trixie"), None);
        assert_eq!(
            osv_ecosystem(
                Ecosystem::Apk,
                "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.18.4"
            )
            .as_deref(),
            Some("Alpine:v3.18")
        );
        assert_eq!(
            osv_ecosystem(Ecosystem::Apk, "pkg:apk/wolfi/x@1?distro=wolfi-2024"),
            None
        );
    }

    #[test]
    fn ubuntu_lts_releases_carry_the_lts_suffix() {
        let deb = |p| osv_ecosystem(Ecosystem::Deb, p);
        assert_eq!(
            deb("pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?distro=ubuntu-24.04").as_deref(),
            Some("Ubuntu:24.04:LTS")
        );
        assert_eq!(
            deb("pkg:deb/ubuntu/x@1?distro=ubuntu-20.04").as_deref(),
            Some("Ubuntu:20.04:LTS")
        );
        assert_eq!(
            deb("pkg:deb/ubuntu/x@1?distro=ubuntu-23.04").as_deref(),
            Some("Ubuntu:23.04")
        );
        assert_eq!(
            deb("pkg:deb/ubuntu/x@1?distro=ubuntu-24.10").as_deref(),
            Some("Ubuntu:24.10")
        );
        assert_eq!(deb("pkg:deb/ubuntu/x@1?distro=ubuntu-jammy"), None);
        assert_eq!(canonical("Ubuntu:22.04:LTS"), "Ubuntu:22.04");
        assert_eq!(canonical("Ubuntu:Pro:18.04:LTS"), "Ubuntu:Pro:18.04:LTS");
        assert_eq!(canonical("Debian:12"), "Debian:12");
    }

    #[test]
    fn nuget_and_packagist_names_are_case_insensitive() {
        assert_eq!(
            normalize_name("NuGet", "Newtonsoft.Json"),
            "newtonsoft.json"
        );
        assert_eq!(
            normalize_name("Packagist", "Symfony/HTTP-Kernel"),
            "symfony/http-kernel"
        );
        assert_eq!(normalize_name("Maven", "Org.X:Y"), "Org.X:Y");
    }

    #[test]
    fn pep503_names() {
        assert_eq!(
            normalize_name("PyPI", "Django_Rest..Framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_name("PyPI", "zope.interface"), "zope-interface");
        assert_eq!(normalize_name("npm", "Foo_Bar"), "Foo_Bar");
        assert_eq!(base("Debian:12"), "Debian");
        assert_eq!(base("npm"), "npm");
    }
}
