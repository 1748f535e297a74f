//! Go module versions: SemVer with a `v` prefix (`v1.2.3`), `+incompatible` (build metadata, ignored
//! for ordering) and pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`,
//! `v1.2.4-0.20191109021931-daa7c04131f5`), which are pre-releases and order by SemVer rules. OSV
//! records Go versions without the `v`; both spellings are accepted.

use super::semver;

pub(crate) fn parse(text: &str) -> Result<semver::Key, String> {
    semver::parse(text, 3, false)
}
