//! Matching components against OSV records, with OSV's semantics
//! (<https://ossf.github.io/osv-schema/#evaluation>):
//!
//! - an `affected` entry applies when its ecosystem equals the component's and its name equals
//!   the component's (PyPI names compared after PEP 503 normalisation);
//! - the version is affected when it is listed in `versions`, or inside a `SEMVER`/`ECOSYSTEM`
//!   range: events sorted by version (`introduced: "0"` before everything), walked in order
//!   (`introduced` opens, `fixed` closes at, `last_affected` closes after), and below one of the
//!   range's `limit`s when it has any. `GIT` and unknown range types are skipped and the next
//!   range is still evaluated;
//! - withdrawn records are skipped; records that alias each other are one finding;
//! - a component with no OSV ecosystem, an ecosystem (release: `Debian:13`, not only `Debian`)
//!   the source has no records for, no version, or a version that does not parse is "not
//!   checked", never clean; so is a component against an advisory whose range has an event
//!   that does not parse.

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

use chainproof_sbom::Sbom;
use serde::Serialize;

use crate::ecosystem::{self, base, canonical, normalize_name};
use crate::osv::{Affected, Event, RangeType, Vulnerability};
use crate::severity::{self, Severity};
use crate::version::{self, Scheme, Version};

/// A source of OSV records: the offline [`crate::db::Db`] or an online client.
pub trait Advisories {
    /// The OSV ecosystems covered (families: `Debian`, not `Debian:12`).
    fn ecosystems(&self) -> Vec<String>;

    /// Whether packages of this ecosystem (with its release) can be checked at all.
    fn covers(&self, osv_ecosystem: &str) -> bool {
        let family = base(osv_ecosystem);
        self.ecosystems().iter().any(|e| e == family)
    }

    /// The records naming this package (withdrawn ones included; the matcher skips them).
    fn advisories(&self, osv_ecosystem: &str, name: &str) -> Vec<&Vulnerability>;
}

/// One package to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Query {
    pub purl: String,
    /// `None`: no OSV ecosystem for this package type.
    pub osv_ecosystem: Option<String>,
    /// The ecosystem's full name (`@scope/x`, `group:artifact`, `github.com/a/b`).
    pub name: String,
    /// Empty when unknown.
    pub version: String,
}

/// One vulnerability affecting one package version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The ecosystem-native id where there is one (RUSTSEC, PYSEC, GO, ...), else GHSA, else CVE.
    pub id: String,
    /// Every other id of the same vulnerability, sorted.
    pub aliases: Vec<String>,
    pub summary: String,
    pub purl: String,
    pub package: String,
    pub version: String,
    pub severity: Severity,
    /// The smallest version above the installed one that no merged record says is affected.
    pub fixed: Option<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotChecked {
    pub purl: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ScanResult {
    /// Sorted by package, version, id.
    pub findings: Vec<Finding>,
    pub not_checked: Vec<NotChecked>,
    /// Packages whose version was compared with the database.
    pub checked: usize,
}

/// One query per SBOM component (the root, the project itself, is not a dependency).
pub fn queries_from_sbom(sbom: &Sbom) -> Vec<Query> {
    sbom.components
        .values()
        .map(|c| {
            // Debian, Ubuntu and Alpine advisories name source packages (`openssl`, not
            // `libssl3`; apk's origin), at the source version; the image reader records both.
            let os = matches!(
                c.ecosystem,
                chainproof_sbom::Ecosystem::Deb | chainproof_sbom::Ecosystem::Apk
            );
            let property = |key: &str| os.then(|| c.properties.get(key)).flatten().cloned();
            // Other tools (Syft, Trivy) put the source in the purl: `upstream=openssl` or
            // `upstream=openssl@3.0.11-1` (also `source=`).
            let (qual_name, qual_version) = if os { upstream(&c.purl) } else { (None, None) };
            // Without one, the source is the binary package itself: dpkg's status omits `Source:`
            // and Syft omits `upstream=` exactly when the two names are equal.
            let name = property("source-package")
                .or(qual_name)
                .unwrap_or_else(|| c.name.clone());
            Query {
                purl: c.purl.clone(),
                osv_ecosystem: ecosystem::osv_ecosystem(c.ecosystem, &c.purl),
                name,
                version: property("source-version")
                    .or(qual_version)
                    .unwrap_or_else(|| c.version.clone()),
            }
        })
        .collect()
}

/// The source package (and version, when given) from a purl's `upstream` or `source` qualifier.
fn upstream(purl: &str) -> (Option<String>, Option<String>) {
    let Ok(p) = purl.parse::<packageurl::PackageUrl>() else {
        return (None, None);
    };
    let value = ["upstream", "source"].iter().find_map(|key| {
        p.qualifiers()
            .iter()
            .find(|(k, v)| k.as_ref() == *key && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    });
    match value {
        None => (None, None),
        Some(v) => match v.split_once('@') {
            Some((n, ver)) if !n.is_empty() => (
                Some(n.to_string()),
                (!ver.is_empty()).then(|| ver.to_string()),
            ),
            Some(_) => (None, None),
            None => (Some(v), None),
        },
    }
}

/// Checks every query against the source.
pub fn scan(source: &(impl Advisories + Sync), queries: &[Query]) -> ScanResult {
    // Queries are independent: checked in parallel, merged in order.
    let parts: Vec<ScanResult> = queries
        .par_iter()
        .map(|query| scan_one(source, query))
        .collect();
    let mut result = ScanResult::default();
    for part in parts {
        result.checked += part.checked;
        result.findings.extend(part.findings);
        result.not_checked.extend(part.not_checked);
    }
    result.findings.sort_by(|a, b| {
        (&a.package, &a.version, &a.purl, &a.id).cmp(&(&b.package, &b.version, &b.purl, &b.id))
    });
    result
}

/// One query's findings and what could not be checked.
fn scan_one(source: &impl Advisories, query: &Query) -> ScanResult {
    let mut result = ScanResult::default();
    let not_checked = |reason: String| NotChecked {
        purl: query.purl.clone(),
        reason,
    };
    let Some(eco) = query.osv_ecosystem.as_deref() else {
        result.not_checked.push(not_checked(
            "no OSV ecosystem for this package type".to_string(),
        ));
        return result;
    };
    if !source.covers(eco) {
        result.not_checked.push(not_checked(format!(
            "the vulnerability database has no {eco} advisories"
        )));
        return result;
    }
    if query.name.trim().is_empty() {
        result
            .not_checked
            .push(not_checked("no source package name".to_string()));
        return result;
    }
    if query.version.trim().is_empty() {
        result
            .not_checked
            .push(not_checked("no version".to_string()));
        return result;
    }
    let Some(scheme) = Scheme::for_ecosystem(eco) else {
        result
            .not_checked
            .push(not_checked(format!("no version ordering known for {eco}")));
        return result;
    };
    let installed = match version::parse(scheme, &query.version) {
        Ok(v) => v,
        Err(e) => {
            result.not_checked.push(not_checked(format!(
                "version `{}` is not a {eco} version: {e}",
                query.version
            )));
            return result;
        }
    };
    result.checked += 1;
    let package = Package {
        eco,
        name: &query.name,
        scheme,
    };
    let mut matched: Vec<Matched<'_>> = Vec::new();
    for vuln in source.advisories(eco, &query.name) {
        if vuln.withdrawn.is_some() {
            continue;
        }
        let entries: Vec<&Affected> = vuln
            .affected
            .iter()
            .filter(|a| package.applies(a))
            .collect();
        let mut affected = false;
        for a in &entries {
            match check_affected(a, scheme, &installed, &query.version) {
                Ok(true) => affected = true,
                Ok(false) => {}
                Err(event) => result.not_checked.push(not_checked(format!(
                    "advisory {}: range event {event} is not a {eco} version",
                    vuln.id
                ))),
            }
        }
        if affected {
            matched.push(Matched { vuln, entries });
        }
    }
    for group in group_aliases(matched) {
        result
            .findings
            .push(finding(query, &package, &installed, &group));
    }
    result
}

struct Package<'a> {
    eco: &'a str,
    name: &'a str,
    scheme: Scheme,
}

impl Package<'_> {
    fn applies(&self, affected: &Affected) -> bool {
        affected.package.as_ref().is_some_and(|p| {
            canonical(&p.ecosystem) == canonical(self.eco)
                && normalize_name(&p.ecosystem, &p.name) == normalize_name(self.eco, self.name)
        })
    }
}

struct Matched<'a> {
    vuln: &'a Vulnerability,
    /// The record's `affected` entries for this package.
    entries: Vec<&'a Affected>,
}

/// A bound of a range: `introduced: "0"` is below every version, `limit: "*"` above.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    Bottom,
    At(Version),
    Top,
}

fn bound(scheme: Scheme, text: &str, zero_is_bottom: bool, star_is_top: bool) -> Option<Bound> {
    let text = text.trim();
    if zero_is_bottom && text == "0" {
        return Some(Bound::Bottom);
    }
    // `*` anywhere in a limit (`*`, `1.*`) means no limit.
    if star_is_top && text.contains('*') {
        return Some(Bound::Top);
    }
    version::parse(scheme, text).ok().map(Bound::At)
}

/// Whether `installed` (its text `raw`) is affected according to one `affected` entry; a range
/// with an event that does not parse counts as not affecting it (see [`check_affected`]).
pub fn is_affected(affected: &Affected, scheme: Scheme, installed: &Version, raw: &str) -> bool {
    check_affected(affected, scheme, installed, raw).unwrap_or(false)
}

/// Whether `installed` is affected according to one `affected` entry, or `Err(event)` naming the
/// first `SEMVER`/`ECOSYSTEM` range event that does not parse (the answer is unknown).
pub fn check_affected(
    affected: &Affected,
    scheme: Scheme,
    installed: &Version,
    raw: &str,
) -> Result<bool, String> {
    let listed = affected.versions.iter().any(|v| {
        v == raw
            || version::parse(scheme, v)
                .map(|v| v == *installed)
                .unwrap_or(false)
    });
    if listed {
        return Ok(true);
    }
    let mut any = false;
    for range in &affected.ranges {
        match range.kind {
            RangeType::Semver | RangeType::Ecosystem => {
                any |= in_range(&range.events, scheme, installed)?;
            }
            // Commit ranges say nothing about version numbers; later ranges are still evaluated.
            RangeType::Git | RangeType::Unknown => {}
        }
    }
    Ok(any)
}

/// OSV's evaluation of one range's events; `Err` names an event whose version does not parse
/// (ignoring it could leave the range never opened, a false "clean").
fn in_range(events: &[Event], scheme: Scheme, v: &Version) -> Result<bool, String> {
    // Rank breaks ties between events at the same version: introduced before the events that
    // close the range, so `introduced: X, fixed: X` is empty.
    let mut sorted: Vec<(Bound, u8, &Event)> = Vec::with_capacity(events.len());
    for e in events {
        let (rank, kind, text, b) = match e {
            Event::Introduced(t) => (0, "introduced", t, bound(scheme, t, true, false)),
            Event::LastAffected(t) => (1, "last_affected", t, bound(scheme, t, false, false)),
            Event::Fixed(t) => (2, "fixed", t, bound(scheme, t, false, false)),
            Event::Limit(t) => (3, "limit", t, bound(scheme, t, false, true)),
        };
        match b {
            Some(b) => sorted.push((b, rank, e)),
            None => return Err(format!("`{kind}: {text}`")),
        }
    }
    sorted.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));

    let at = Bound::At(v.clone());
    let limits: Vec<&Bound> = sorted
        .iter()
        .filter(|(_, _, e)| matches!(e, Event::Limit(_)))
        .map(|(b, _, _)| b)
        .collect();
    if !limits.is_empty() && !limits.iter().any(|limit| at < **limit) {
        return Ok(false);
    }
    let mut affected = false;
    for (b, _, e) in &sorted {
        match e {
            Event::Introduced(_) if at >= *b => affected = true,
            Event::Fixed(_) if at >= *b => affected = false,
            Event::LastAffected(_) if at > *b => affected = false,
            _ => {}
        }
    }
    Ok(affected)
}

/// Records that share an id or alias, directly or through others, form one group.
fn group_aliases(matched: Vec<Matched<'_>>) -> Vec<Vec<Matched<'_>>> {
    let n = matched.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            let grand = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(i) {
                *slot = grand;
            }
            i = p;
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, m) in matched.iter().enumerate() {
        for id in std::iter::once(&m.vuln.id).chain(&m.vuln.aliases) {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if let Some(slot) = parent.get_mut(a) {
                        *slot = b;
                    }
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<Matched<'_>>> = BTreeMap::new();
    for (i, m) in matched.into_iter().enumerate() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(m);
    }
    groups.into_values().collect()
}

/// How much an id is preferred as the finding's id in this ecosystem (lower is better).
fn id_rank(eco: &str, id: &str) -> u8 {
    let prefix = id.split('-').next().unwrap_or("");
    let native = match base(eco) {
        "crates.io" => "RUSTSEC",
        "PyPI" => "PYSEC",
        "Go" => "GO",
        "Debian" => "DSA",
        "Alpine" => "ALPINE",
        "Ubuntu" => "USN",
        _ => "GHSA",
    };
    if prefix == native {
        0
    } else if prefix == "GHSA" {
        1
    } else if prefix == "CVE" {
        3
    } else {
        2
    }
}

fn finding(
    query: &Query,
    package: &Package<'_>,
    installed: &Version,
    group: &[Matched<'_>],
) -> Finding {
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    for m in group {
        ids.insert(&m.vuln.id);
        ids.extend(m.vuln.aliases.iter().map(String::as_str));
    }
    // The chosen id belongs to a record we have (not only an alias), native first.
    let chosen = group
        .iter()
        .min_by(|a, b| {
            (id_rank(package.eco, &a.vuln.id), &a.vuln.id)
                .cmp(&(id_rank(package.eco, &b.vuln.id), &b.vuln.id))
        })
        .map(|m| m.vuln);
    let id = chosen.map(|v| v.id.clone()).unwrap_or_default();
    let aliases = ids
        .into_iter()
        .filter(|a| *a != id)
        .map(str::to_string)
        .collect();

    let summary = chosen
        .into_iter()
        .chain(group.iter().map(|m| m.vuln))
        .find_map(|v| {
            v.summary
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| {
                    v.details
                        .as_deref()
                        .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
                })
        })
        .unwrap_or("")
        .trim()
        .to_string();

    // The highest severity any merged record gives; unknown only when none knows.
    let severity = group
        .iter()
        .flat_map(|m| {
            let own = m.entries.iter().map(|a| severity::of(m.vuln, Some(a)));
            own.chain(std::iter::once(severity::of(m.vuln, None)))
        })
        .filter(|s| s.rating.is_some())
        .max_by(|a, b| {
            (a.rating, a.score.unwrap_or(-1.0))
                .partial_cmp(&(b.rating, b.score.unwrap_or(-1.0)))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .unwrap_or_default();

    let mut references = Vec::new();
    let mut seen = BTreeSet::new();
    for m in group {
        for r in &m.vuln.references {
            if seen.insert(r.url.as_str()) {
                references.push(r.url.clone());
            }
        }
    }

    Finding {
        id,
        aliases,
        summary,
        purl: query.purl.clone(),
        package: query.name.clone(),
        version: query.version.clone(),
        severity,
        fixed: smallest_fix(package.scheme, installed, group),
        references,
    }
}

/// The smallest `fixed` version above the installed one that none of the group's entries for
/// this package says is affected.
fn smallest_fix(scheme: Scheme, installed: &Version, group: &[Matched<'_>]) -> Option<String> {
    let mut candidates: Vec<(Version, &str)> = group
        .iter()
        .flat_map(|m| m.entries.iter())
        .flat_map(|a| a.ranges.iter())
        .filter(|r| matches!(r.kind, RangeType::Semver | RangeType::Ecosystem))
        .flat_map(|r| r.events.iter())
        .filter_map(|e| match e {
            Event::Fixed(t) => version::parse(scheme, t.trim()).ok().map(|v| (v, t.trim())),
            _ => None,
        })
        .filter(|(v, _)| v > installed)
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    candidates.dedup_by(|a, b| a.0 == b.0);
    candidates
        .into_iter()
        .find(|(v, text)| {
            !group
                .iter()
                .flat_map(|m| m.entries.iter())
                .any(|a| is_affected(a, scheme, v, text))
        })
        .map(|(_, text)| text.to_string())
}

#[cfg(test)]
mod source_package_tests {
    use chainproof_sbom::{Component, Ecosystem, Sbom};

    #[test]
    fn os_packages_are_queried_by_source_package() {
        let mut lib = Component::new(Ecosystem::Deb, "libssl3", "3.0.11-1~deb12u2+b1", "img");
        lib.purl = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2+b1?distro=debian-12".into();
        let lib = lib
            .property("source-package", "openssl")
            .property("source-version", "3.0.11-1~deb12u2");
        let npm = Component::new(Ecosystem::Npm, "left-pad", "1.3.0", "package-lock.json")
            .property("source-package", "ignored");
        let root = Component::new(Ecosystem::Generic, "img", "", "img");
        let sbom = Sbom {
            root,
            components: [lib, npm]
                .into_iter()
                .map(|c| (c.purl.clone(), c))
                .collect(),
            edges: Default::default(),
            files: vec![],
            errors: vec![],
            unlocked: vec![],
        };
        let q = super::queries_from_sbom(&sbom);
        let deb = q
            .iter()
            .find(|q| q.purl.starts_with("pkg:deb/"))
            .expect("deb");
        assert_eq!(
            (deb.name.as_str(), deb.version.as_str()),
            ("openssl", "3.0.11-1~deb12u2")
        );
        assert_eq!(deb.osv_ecosystem.as_deref(), Some("Debian:12"));
        let npm = q
            .iter()
            .find(|q| q.purl.starts_with("pkg:npm/"))
            .expect("npm");
        assert_eq!(npm.name, "left-pad");
    }
}

#[cfg(test)]
mod review_tests {
    use super::*;
    use chainproof_sbom::{Component, Ecosystem};

    /// Records in memory, covering their families.
    struct Mem(Vec<Vulnerability>);

    impl Advisories for Mem {
        fn ecosystems(&self) -> Vec<String> {
            let mut e: Vec<String> = self
                .0
                .iter()
                .flat_map(|v| &v.affected)
                .filter_map(|a| a.package.as_ref())
                .map(|p| base(&p.ecosystem).to_string())
                .collect();
            e.sort();
            e.dedup();
            e
        }

        fn advisories(&self, _eco: &str, _name: &str) -> Vec<&Vulnerability> {
            self.0.iter().collect()
        }
    }

    fn record(id: &str, eco: &str, name: &str, events: &str) -> Vulnerability {
        let json = format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"{eco}","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{events}]}}]}}]}}"#
        );
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    fn query(purl: &str, eco: Option<String>, name: &str, version: &str) -> Query {
        Query {
            purl: purl.into(),
            osv_ecosystem: eco,
            name: name.into(),
            version: version.into(),
        }
    }

    #[test]
    fn ubuntu_lts_packages_match_lts_records() {
        let purl = "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?distro=ubuntu-22.04";
        let eco = ecosystem::osv_ecosystem(Ecosystem::Deb, purl);
        let db = Mem(vec![
            record(
                "USN-1",
                "Ubuntu:22.04:LTS",
                "openssl",
                r#"{"introduced":"0"},{"fixed":"3.0.2-0ubuntu1.12"}"#,
            ),
            record(
                "USN-2",
                "Ubuntu:22.04",
                "openssl",
                r#"{"introduced":"0"},{"fixed":"3.0.2-0ubuntu1.11"}"#,
            ),
        ]);
        let r = scan(&db, &[query(purl, eco, "openssl", "3.0.2-0ubuntu1.10")]);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["USN-1", "USN-2"], "{r:?}");
    }

    #[test]
    fn an_unparsable_event_makes_the_component_not_checked() {
        let db = Mem(vec![record(
            "GHSA-x",
            "npm",
            "left-pad",
            r#"{"introduced":"not-a-version"},{"fixed":"2.0.0"}"#,
        )]);
        let r = scan(
            &db,
            &[query(
                "pkg:npm/left-pad@1.0.0",
                Some("npm".into()),
                "left-pad",
                "1.0.0",
            )],
        );
        assert!(r.findings.is_empty());
        assert_eq!(r.not_checked.len(), 1, "{r:?}");
        let reason = &r.not_checked[0].reason;
        assert!(
            reason.contains("GHSA-x") && reason.contains("introduced: not-a-version"),
            "{reason}"
        );
    }

    #[test]
    fn a_limit_with_a_star_anywhere_is_no_limit() {
        let db = Mem(vec![record(
            "GHSA-y",
            "npm",
            "x",
            r#"{"introduced":"0"},{"limit":"1.*"}"#,
        )]);
        let r = scan(
            &db,
            &[query("pkg:npm/x@5.0.0", Some("npm".into()), "x", "5.0.0")],
        );
        assert_eq!(r.findings.len(), 1, "{r:?}");
        assert!(r.not_checked.is_empty(), "{r:?}");
    }

    #[test]
    fn nuget_names_match_whatever_their_case() {
        let db = Mem(vec![record(
            "GHSA-n",
            "NuGet",
            "Newtonsoft.Json",
            r#"{"introduced":"0"},{"fixed":"13.0.1"}"#,
        )]);
        let r = scan(
            &db,
            &[query(
                "pkg:nuget/newtonsoft.json@12.0.3",
                Some("NuGet".into()),
                "newtonsoft.json",
                "12.0.3",
            )],
        );
        assert_eq!(r.findings.len(), 1, "{r:?}");
    }

    fn sbom_of(components: Vec<Component>) -> Sbom {
        Sbom {
            root: Component::new(Ecosystem::Generic, "img", "", "img"),
            components: components
                .into_iter()
                .map(|c| (c.purl.clone(), c))
                .collect(),
            edges: Default::default(),
            files: vec![],
            errors: vec![],
            unlocked: vec![],
        }
    }

    #[test]
    fn third_party_os_purls_are_queried_by_their_upstream_qualifier() {
        let mut a = Component::new(Ecosystem::Deb, "libssl3", "3.0.11-1~deb12u2", "sbom");
        a.purl =
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12"
                .into();
        let mut b = Component::new(Ecosystem::Deb, "libc6", "2.36-9+deb12u4", "sbom");
        b.purl =
            "pkg:deb/debian/libc6@2.36-9+deb12u4?upstream=glibc%402.36-9%2Bdeb12u3&distro=debian-12"
                .into();
        let mut c = Component::new(Ecosystem::Deb, "bash", "5.2.15-2+b2", "sbom");
        c.purl = "pkg:deb/debian/bash@5.2.15-2+b2?distro=debian-12".into();
        let mut d = Component::new(Ecosystem::Apk, "libcrypto3", "3.1.4-r0", "sbom");
        d.purl = "pkg:apk/alpine/libcrypto3@3.1.4-r0?distro=alpine-3.19.0&upstream=openssl".into();
        let q = queries_from_sbom(&sbom_of(vec![a, b, c, d]));
        let get = |p: &str| {
            q.iter()
                .find(|q| q.purl.contains(p))
                .map(|q| (q.name.as_str(), q.version.as_str()))
        };
        assert_eq!(get("libssl3"), Some(("openssl", "3.0.11-1~deb12u2")));
        assert_eq!(get("libc6"), Some(("glibc", "2.36-9+deb12u3")));
        assert_eq!(get("bash"), Some(("bash", "5.2.15-2+b2")));
        assert_eq!(get("libcrypto3"), Some(("openssl", "3.1.4-r0")));

        let bash: Vec<Query> = q.into_iter().filter(|q| q.purl.contains("bash")).collect();
        let db = Mem(vec![record(
            "DSA-1",
            "Debian:12",
            "bash",
            r#"{"introduced":"0"}"#,
        )]);
        let r = scan(&db, &bash);
        assert_eq!(r.findings.len(), 1, "{r:?}");
        assert_eq!(r.findings[0].id, "DSA-1");
    }
}
