//! Package URLs (<https://github.com/package-url/purl-spec>), built with the `packageurl` crate:
//! it percent-encodes (`@` of npm scopes -> `%40`) and applies the per-type rules (PyPI names
//! lowercased with `_` -> `-`).

use packageurl::PackageUrl;

use crate::Ecosystem;

/// Split an ecosystem's full package name into the purl namespace (the CycloneDX group) and the
/// short name: `@scope/name` (npm), `github.com/owner/repo` (Go, Swift: namespace up to the last
/// `/`), `vendor/name` (Composer), `group:artifact` (Maven).
pub fn split(ecosystem: Ecosystem, name: &str) -> (Option<&str>, &str) {
    let split = match ecosystem {
        Ecosystem::Npm => name.split_once('/').filter(|(s, _)| s.starts_with('@')),
        Ecosystem::Golang | Ecosystem::Swift => name.rsplit_once('/'),
        Ecosystem::Composer => name.split_once('/'),
        Ecosystem::Maven => name.split_once(':'),
        _ => None,
    };
    match split {
        Some((ns, n)) if !ns.is_empty() && !n.is_empty() => (Some(ns), n),
        _ => (None, name),
    }
}

/// The purl of a package; `version` may be empty (no `@version`). The namespace comes from
/// [`split`].
pub fn purl(ecosystem: Ecosystem, name: &str, version: &str) -> String {
    let (namespace, short) = split(ecosystem, name);
    build(ecosystem.purl_type(), namespace, short, version, &[])
}

/// A purl from its parts (OS packages: namespace `debian`, qualifiers `arch` and `distro`).
pub fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let built = PackageUrl::new(ty, name).and_then(|mut p| {
        if let Some(ns) = namespace {
            p.with_namespace(ns)?;
        }
        if !version.is_empty() {
            p.with_version(version)?;
        }
        for (k, v) in qualifiers {
            if !v.is_empty() {
                p.add_qualifier(*k, *v)?;
            }
        }
        Ok(p.to_string())
    });
    // Only an empty name is refused; fall back to a purl that still parses.
    built.unwrap_or_else(|_| format!("pkg:{ty}/unknown"))
}

/// A purl for another ecosystem by type name (PyPI and friends arrive with later readers).
pub fn purl_of_type(ty: &str, name: &str, version: &str) -> Option<String> {
    let mut p = PackageUrl::new(ty, name).ok()?;
    if !version.is_empty() {
        p.with_version(version).ok()?;
    }
    Some(p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_scope_is_an_encoded_namespace() {
        assert_eq!(
            purl(Ecosystem::Npm, "@scope/name", "1.0.0"),
            "pkg:npm/%40scope/name@1.0.0"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "left-pad", "1.3.0"),
            "pkg:npm/left-pad@1.3.0"
        );
    }

    #[test]
    fn cargo_purls() {
        assert_eq!(
            purl(Ecosystem::Cargo, "serde_json", "1.0.140"),
            "pkg:cargo/serde_json@1.0.140"
        );
        assert_eq!(purl(Ecosystem::Cargo, "x", ""), "pkg:cargo/x");
    }

    #[test]
    fn namespaced_ecosystems() {
        assert_eq!(
            purl(Ecosystem::Golang, "github.com/gorilla/mux", "v1.8.0"),
            "pkg:golang/github.com/gorilla/mux@v1.8.0"
        );
        assert_eq!(
            purl(
                Ecosystem::Maven,
                "org.apache.commons:commons-lang3",
                "3.12.0"
            ),
            "pkg:maven/org.apache.commons/commons-lang3@3.12.0"
        );
        assert_eq!(
            purl(Ecosystem::Composer, "laravel/framework", "v10.0.0"),
            "pkg:composer/laravel/framework@v10.0.0"
        );
        assert_eq!(
            purl(Ecosystem::Pypi, "Django_Rest", "3.0"),
            "pkg:pypi/django-rest@3.0"
        );
        assert_eq!(
            build(
                "deb",
                Some("debian"),
                "libssl3",
                "3.0.11-1~deb12u2",
                &[("arch", "amd64"), ("distro", "debian-12")]
            ),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
    }

    #[test]
    fn pypi_names_are_normalised() {
        assert_eq!(
            purl_of_type("pypi", "Django_Rest", "3.0").as_deref(),
            Some("pkg:pypi/django-rest@3.0")
        );
    }
}
