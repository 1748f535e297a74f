//! Parameter value types that end up in YAML and shell text. Each string type accepts only
//! characters that are inert in both (no quotes, spaces, `$`, `#`, `:` followed by a space,
//! newlines, backslashes...), checked when the value is deserialized; its JSON Schema carries the
//! same rule as a `pattern` (a unit test checks that both agree).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// One path segment or name part: starts with a letter, digit or `_`, then letters, digits, `_`,
/// `-`, and single dots between them (so never `..`).
fn is_segment(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(is_alnum(first) || first == '_') {
        return false;
    }
    !s.contains("..")
        && !s.ends_with('.')
        && s.chars()
            .all(|c| is_alnum(c) || matches!(c, '_' | '-' | '.'))
}

macro_rules! safe_string {
    ($(#[$meta:meta])* $name:ident, $what:literal, $pattern:literal, $max:literal, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The JSON Schema `pattern` of this type.
            pub const PATTERN: &'static str = $pattern;
            /// The JSON Schema `maxLength` of this type (in bytes: the values are ASCII).
            pub const MAX_LENGTH: usize = $max;

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                let check: fn(&str) -> bool = $check;
                if check(&value) {
                    Ok(Self(value))
                } else {
                    Err(format!(
                        concat!("{:?} is not ", $what, " (pattern {})"),
                        value, $pattern
                    ))
                }
            }
        }

        impl From<&str> for $name {
            /// For defaults and examples written in the code (checked by the unit tests).
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::try_from(s).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "pattern": $pattern, "maxLength": $max })
            }
        }
    };
}

safe_string!(
    /// A toolchain version or channel (`1.90.0`, `stable`, `22`, `3.12`).
    Version,
    "a version (letters, digits, `.`, `_`, `+`, `-`, starting with a letter or digit, at most 64 characters)",
    r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$",
    64,
    |s| {
        !s.is_empty()
            && s.len() <= 64
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars().all(|c| is_alnum(c) || matches!(c, '.' | '_' | '+' | '-'))
    }
);

safe_string!(
    /// A chainproof release version, for the comment next to the pinned commit (`v0.4.0`, `0.4.0`).
    ReleaseVersion,
    "a release version (`v1.2.3` or `1.2.3`, optionally with a `-pre` or `+build` suffix)",
    r"^v?[0-9][0-9A-Za-z.+-]{0,63}$",
    65,
    |s| {
        let rest = s.strip_prefix('v').unwrap_or(s);
        rest.len() <= 64
            && rest.starts_with(|c: char| c.is_ascii_digit())
            && rest.chars().all(|c| is_alnum(c) || matches!(c, '.' | '+' | '-'))
    }
);

safe_string!(
    /// A full commit SHA (40 lowercase hexadecimal digits).
    CommitSha,
    "a full commit SHA (40 lowercase hexadecimal digits)",
    r"^[0-9a-f]{40}$",
    40,
    |s| s.len() == 40 && s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
);

safe_string!(
    /// A path relative to the repository root, `.` for the root itself: segments of letters,
    /// digits, `_`, `-` and single dots, separated by `/` (no `..`, no leading `/` or `.`).
    RelPath,
    "a relative path (`.`, or `/`-separated names of letters, digits, `_`, `-` and single dots; no `..`)",
    r"^(\.|[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*(/[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*)*)$",
    255,
    |s| s == "." || (s.len() <= 255 && s.split('/').all(is_segment))
);

safe_string!(
    /// A branch name: `/`-separated names of letters, digits, `_`, `-` and single dots.
    Branch,
    "a branch name (`/`-separated names of letters, digits, `_`, `-` and single dots)",
    r"^[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*(/[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*)*$",
    255,
    |s| s.len() <= 255 && s.split('/').all(is_segment)
);

safe_string!(
    /// A container image pinned by digest: `name[:tag]@sha256:<64 hex digits>`.
    PinnedImage,
    "a container image pinned by digest (`registry/name:tag@sha256:<64 hex digits>`)",
    r"^[a-z0-9][A-Za-z0-9._/:-]*@sha256:[0-9a-f]{64}$",
    327,
    |s| {
        let Some((name, digest)) = s.split_once("@sha256:") else {
            return false;
        };
        digest.len() == 64
            && digest.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.len() <= 255
            && name.chars().all(|c| is_alnum(c) || matches!(c, '.' | '_' | '/' | ':' | '-'))
    }
);

safe_string!(
    /// An image repository on the GitHub container registry: `ghcr.io/<owner>/<name>`, lowercase.
    GhcrImage,
    "an image repository on ghcr.io (`ghcr.io/<owner>/<name>`, lowercase letters, digits, `.`, `_`, `-`)",
    r"^ghcr\.io(/[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*){2,}$",
    263,
    |s| {
        let Some(rest) = s.strip_prefix("ghcr.io/") else {
            return false;
        };
        rest.split('/').count() >= 2
            && rest.len() <= 255
            && rest.split('/').all(|seg| {
                is_segment(seg)
                    && !seg.starts_with('_')
                    && seg.chars().all(|c| !c.is_ascii_uppercase())
            })
    }
);

safe_string!(
    /// The GitLab instance of the components: `$CI_SERVER_FQDN` (the instance running the
    /// pipeline) or a host name with an optional port.
    ComponentHost,
    "`$CI_SERVER_FQDN` or a host name (lowercase letters, digits, `.`, `-`, optional `:port`)",
    r"^(\$CI_SERVER_FQDN|[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*(:[0-9]{1,5})?)$",
    259,
    |s| {
        if s == "$CI_SERVER_FQDN" {
            return true;
        }
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
            && s.len() <= 259
            && is_segment(host)
            && !host.contains('_')
            && host.chars().all(|c| !c.is_ascii_uppercase())
    }
);

safe_string!(
    /// A GitLab project path: `group[/subgroup...]/project`.
    ProjectPath,
    "a GitLab project path (`group/project`, names of letters, digits, `_`, `-` and single dots)",
    r"^[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*(/[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*)+$",
    255,
    |s| s.len() <= 255 && s.split('/').count() >= 2 && s.split('/').all(is_segment)
);

safe_string!(
    /// A GitHub deployment environment name (letters, digits, `_`, `.`, `-`).
    EnvironmentName,
    "an environment name (letters, digits, `_`, `.` and `-`, starting with a letter, digit or `_`, at most 255 characters)",
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$",
    255,
    |s| {
        !s.is_empty()
            && s.len() <= 255
            && s.starts_with(|c: char| is_alnum(c) || c == '_')
            && s.chars().all(|c| is_alnum(c) || matches!(c, '_' | '.' | '-'))
    }
);

/// Minutes a job may run before it is cancelled (1 to 360).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Minutes(u16);

impl Minutes {
    pub const fn new(n: u16) -> Self {
        Self(n)
    }
}

impl<'de> Deserialize<'de> for Minutes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        if (1..=360).contains(&n) {
            Ok(Self(n as u16))
        } else {
            Err(serde::de::Error::custom(format!(
                "{n} is not between 1 and 360 minutes"
            )))
        }
    }
}

impl JsonSchema for Minutes {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Minutes")
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "maximum": 360 })
    }
}

/// Severity at or above which `chainproof lint` fails the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LintFailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    None,
}

/// Severity at or above which `chainproof scan` fails the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScanFailOn {
    Low,
    Medium,
    High,
    Critical,
    None,
}

/// How the Python tests are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PythonTestRunner {
    /// `python -m pytest` (pytest must be in the requirements).
    Pytest,
    /// `python -m unittest discover`.
    Unittest,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T: TryFrom<String>>(s: &str) -> bool {
        T::try_from(s.to_owned()).is_ok()
    }

    #[test]
    fn strings_that_could_inject_are_rejected() {
        for bad in [
            "1.80\n  run: curl evil",
            "1.80 ",
            "$(id)",
            "`id`",
            "a;b",
            "a\"b",
            "a'b",
            "a#b",
            "a: b",
            "",
            "a\\b",
            "${{ github.event.issue.title }}",
        ] {
            assert!(!ok::<Version>(bad), "Version {bad:?}");
            assert!(!ok::<RelPath>(bad), "RelPath {bad:?}");
            assert!(!ok::<Branch>(bad), "Branch {bad:?}");
            assert!(!ok::<PinnedImage>(bad), "PinnedImage {bad:?}");
            assert!(!ok::<GhcrImage>(bad), "GhcrImage {bad:?}");
            assert!(!ok::<ComponentHost>(bad), "ComponentHost {bad:?}");
            assert!(!ok::<ProjectPath>(bad), "ProjectPath {bad:?}");
            assert!(!ok::<ReleaseVersion>(bad), "ReleaseVersion {bad:?}");
            assert!(!ok::<CommitSha>(bad), "CommitSha {bad:?}");
            assert!(!ok::<EnvironmentName>(bad), "EnvironmentName {bad:?}");
        }
    }

    #[test]
    fn paths_never_climb_out() {
        for bad in [
            "..", "../x", "a/../b", "/etc", ".github", "a/", "a//b", "a/..",
        ] {
            assert!(!ok::<RelPath>(bad), "{bad:?}");
        }
        for good in [
            ".",
            "app",
            "services/api",
            "docker/app.Dockerfile",
            "requirements-dev.txt",
        ] {
            assert!(ok::<RelPath>(good), "{good:?}");
        }
    }

    #[test]
    fn typical_values_are_accepted() {
        for v in [
            "1.90.0",
            "stable",
            "22",
            "3.12",
            "1.24",
            "nightly-2025-01-01",
        ] {
            assert!(ok::<Version>(v), "{v}");
        }
        assert!(ok::<ReleaseVersion>("v0.1.0"));
        assert!(ok::<ReleaseVersion>("0.1.0-rc.1"));
        assert!(ok::<CommitSha>("08c6903cd8c0fde910a37f88322edcfb5dd907a8"));
        assert!(!ok::<CommitSha>("08C6903CD8C0FDE910A37F88322EDCFB5DD907A8"));
        assert!(!ok::<CommitSha>("08c6903"));
        assert!(ok::<PinnedImage>(
            "registry.example.com:5000/ci/rust:1.90@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        ));
        assert!(!ok::<PinnedImage>("rust:1.90"));
        assert!(ok::<GhcrImage>("ghcr.io/example/app"));
        assert!(!ok::<GhcrImage>("ghcr.io/Example/app"));
        assert!(!ok::<GhcrImage>("docker.io/example/app"));
        assert!(ok::<ComponentHost>("$CI_SERVER_FQDN"));
        assert!(ok::<ComponentHost>("gitlab.example.com:8443"));
        assert!(!ok::<ComponentHost>("$CI_JOB_TOKEN"));
        assert!(ok::<ProjectPath>("chainproof/chainproof"));
        assert!(!ok::<ProjectPath>("chainproof"));
        assert!(ok::<Branch>("release/1.x"));
    }
}
