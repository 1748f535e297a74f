//! Package URLs (<https://github.com/package-url/purl-spec>), built with the `packageurl` crate:
//! it percent-encodes (`@` of npm scopes -> `%40`) and applies the per-type rules (PyPI names
//! lowercased with `_` -> `-`).

use packageurl::PackageUrl;

use crate::Ecosystem;

/// The purl of a package; `version` may be empty (no `@version`). npm names carry their scope
/// (`@scope/name`), which becomes the namespace.
pub fn purl(ecosystem: Ecosystem, name: &str, version: &str) -> String {
    let ty = ecosystem.purl_type();
    let (namespace, name) = match ecosystem {
        Ecosystem::Npm => match name.split_once('/') {
            Some((scope, n)) if scope.starts_with('@') => (Some(scope), n),
            _ => (None, name),
        },
        _ => (None, name),
    };
    let built = PackageUrl::new(ty, name).and_then(|mut p| {
        if let Some(ns) = namespace {
            p.with_namespace(ns)?;
        }
        if !version.is_empty() {
            p.with_version(version)?;
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
    fn pypi_names_are_normalised() {
        assert_eq!(
            purl_of_type("pypi", "Django_Rest", "3.0").as_deref(),
            Some("pkg:pypi/django-rest@3.0")
        );
    }
}
