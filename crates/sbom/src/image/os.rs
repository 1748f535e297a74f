//! Operating-system packages: `/etc/os-release`, the dpkg status database (Debian, Ubuntu and
//! distroless' `status.d/`), and apk's installed database (Alpine, Wolfi).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;

use crate::purl::build;
use crate::{Component, Ecosystem, InputError, Scope};

/// What `/etc/os-release` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID`, lowercase (`debian`, `ubuntu`, `alpine`).
    pub id: String,
    pub version_id: String,
    pub codename: String,
    pub pretty_name: String,
}

impl OsRelease {
    /// The purl `distro` qualifier: `debian-12`, `alpine-3.20.3`, `ubuntu-24.04`.
    pub fn distro(&self) -> String {
        let version = if self.version_id.is_empty() {
            &self.codename
        } else {
            &self.version_id
        };
        match (self.id.is_empty(), version.is_empty()) {
            (true, _) => String::new(),
            (false, true) => self.id.clone(),
            (false, false) => format!("{}-{version}", self.id),
        }
    }
}

/// `KEY=value` lines, values optionally quoted (shell-style, with backslash escapes).
pub fn os_release(text: &str) -> OsRelease {
    let mut out = OsRelease::default();
    for line in text.lines() {
        let Some((k, v)) = line.trim().split_once('=') else {
            continue;
        };
        let v = unquote(v.trim());
        match k.trim() {
            "ID" => out.id = v.to_ascii_lowercase(),
            "VERSION_ID" => out.version_id = v,
            "VERSION_CODENAME" => out.codename = v,
            "PRETTY_NAME" => out.pretty_name = v,
            _ => {}
        }
    }
    out
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(v);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Packages and their dependency edges, read from one database file.
#[derive(Debug, Default)]
pub struct Packages {
    pub components: Vec<Component>,
    /// bom-ref -> bom-refs.
    pub edges: BTreeMap<String, BTreeSet<String>>,
}

/// One stanza of a deb822-style file: fields in order, and the byte offset where it starts.
struct Stanza<'a> {
    offset: usize,
    fields: Vec<(&'a str, String)>,
}

impl Stanza<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Stanzas separated by blank lines; `Key: value` with continuation lines starting with a space
/// or tab.
fn stanzas<'a>(rel: &str, text: &'a str) -> Result<Vec<Stanza<'a>>, InputError> {
    let mut out = Vec::new();
    let mut current: Option<Stanza<'a>> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        if l.trim().is_empty() {
            if let Some(s) = current.take() {
                out.push(s);
            }
            continue;
        }
        if l.starts_with([' ', '\t']) {
            match current.as_mut().and_then(|s| s.fields.last_mut()) {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(l.trim());
                }
                None => {
                    return Err(InputError::at(
                        rel,
                        text,
                        at,
                        "continuation line outside a field",
                    ));
                }
            }
            continue;
        }
        let Some((k, v)) = l.split_once(':') else {
            return Err(InputError::at(rel, text, at, "expected `Field: value`"));
        };
        current
            .get_or_insert_with(|| Stanza {
                offset: at,
                fields: Vec::new(),
            })
            .fields
            .push((k.trim(), v.trim().to_string()));
    }
    out.extend(current);
    Ok(out)
}

/// The dpkg status database (`/var/lib/dpkg/status`, or one file of distroless'
/// `/var/lib/dpkg/status.d/`): every package with files on disk, that is every `Status` but
/// `not-installed` and `config-files` (removed, configuration left behind). A package in another
/// state than `installed` (`unpacked`, `half-configured`, `half-installed`, `triggers-awaited`,
/// `triggers-pending`: an interrupted or deferred install) is listed with a `dpkg-status`
/// property. `Depends` and `Pre-Depends` become edges to the first installed alternative
/// (directly or through `Provides`), best effort.
pub fn dpkg(rel: &str, text: &str, os: &OsRelease) -> Result<Packages, InputError> {
    let namespace = match os.id.as_str() {
        "" => "debian".to_string(),
        id => id.to_string(),
    };
    let distro = os.distro();
    let mut out = Packages::default();
    // Package (and provided) name -> (arch, bom-ref).
    let mut by_name: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut pending: Vec<(String, String, String)> = Vec::new();
    let is_status_d = !rel.ends_with("/status");
    for s in stanzas(rel, text)? {
        let Some(name) = s.get("Package") else {
            return Err(InputError::at(
                rel,
                text,
                s.offset,
                "stanza without a `Package` field",
            ));
        };
        // status.d files of distroless carry no Status field: every stanza is installed.
        let status = match s.get("Status") {
            Some(st) => st.split_whitespace().nth(2),
            None if is_status_d => Some("installed"),
            None => None,
        };
        let Some(status) = status.filter(|st| !matches!(*st, "not-installed" | "config-files"))
        else {
            continue;
        };
        let Some(version) = s.get("Version") else {
            return Err(InputError::at(
                rel,
                text,
                s.offset,
                format!("package `{name}` has no `Version`"),
            ));
        };
        let arch = s.get("Architecture").unwrap_or("");
        let mut c = Component::new(Ecosystem::Deb, name, version, rel);
        c.purl = build(
            "deb",
            Some(&namespace),
            name,
            version,
            &[("arch", arch), ("distro", &distro)],
        );
        c.scope = Scope::Direct;
        let (src_name, src_version) = match s.get("Source") {
            Some(src) => match src.split_once('(') {
                Some((n, v)) => (n.trim(), v.trim().trim_end_matches(')').trim()),
                None => (src.trim(), version),
            },
            None => (name, version),
        };
        c = c
            .property("source-package", src_name)
            .property("source-version", src_version);
        if status != "installed" {
            c = c.property("dpkg-status", status);
        }
        by_name
            .entry(name.to_string())
            .or_default()
            .push((arch.to_string(), c.purl.clone()));
        for p in s.get("Provides").map(dep_names).unwrap_or_default() {
            if let Some(first) = p.first() {
                by_name
                    .entry(first.clone())
                    .or_default()
                    .push((arch.to_string(), c.purl.clone()));
            }
        }
        let deps = [s.get("Pre-Depends"), s.get("Depends")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(",");
        pending.push((c.purl.clone(), arch.to_string(), deps));
        out.edges.entry(c.purl.clone()).or_default();
        out.components.push(c);
    }
    for (from, arch, deps) in pending {
        for alternatives in dep_names(&deps) {
            let target = alternatives.iter().find_map(|n| {
                let candidates = by_name.get(n)?;
                candidates
                    .iter()
                    .find(|(a, _)| a == &arch)
                    .or_else(|| candidates.iter().find(|(a, _)| a == "all"))
                    .or_else(|| candidates.first())
                    .map(|(_, r)| r.clone())
            });
            if let Some(t) = target.filter(|t| t != &from) {
                out.edges.entry(from.clone()).or_default().insert(t);
            }
        }
    }
    Ok(out)
}

/// `a (>= 1), b | c:any, d [amd64]` -> `[[a], [b, c], [d]]`.
fn dep_names(field: &str) -> Vec<Vec<String>> {
    field
        .split(',')
        .map(|group| {
            group
                .split('|')
                .filter_map(|alt| {
                    let name = alt
                        .trim()
                        .split(|c: char| c.is_whitespace() || c == '(' || c == '[')
                        .next()?;
                    let name = name.split(':').next().unwrap_or(name);
                    (!name.is_empty()).then(|| name.to_string())
                })
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

/// apk's installed database (`/lib/apk/db/installed`): `P:` name, `V:` version, `A:` arch, `C:`
/// `Q1` + base64 of the SHA-1 of the package's control segment (its signed `.PKGINFO` part, not
/// the `.apk` file: a `apk-control-sha1` property, not a hash of the component), `o:` origin
/// (source package), `L:` license; `D:`
/// dependencies resolved through `P:` names and `p:` provides (`so:`, `cmd:`), best effort.
pub fn apk(rel: &str, text: &str, os: &OsRelease) -> Result<Packages, InputError> {
    let namespace = match os.id.as_str() {
        "" => "alpine".to_string(),
        id => id.to_string(),
    };
    let distro = os.distro();
    let mut out = Packages::default();
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut offset = 0;
    let mut records: Vec<(usize, Vec<(char, &str)>)> = Vec::new();
    let mut current: Option<(usize, Vec<(char, &str)>)> = None;
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        if l.is_empty() {
            records.extend(current.take());
            continue;
        }
        let mut chars = l.chars();
        let (Some(key), Some(':')) = (chars.next(), chars.next()) else {
            return Err(InputError::at(rel, text, at, "expected `X:value`"));
        };
        current
            .get_or_insert_with(|| (at, Vec::new()))
            .1
            .push((key, chars.as_str()));
    }
    records.extend(current);
    for (at, fields) in records {
        let get = |k: char| fields.iter().find(|(f, _)| *f == k).map(|(_, v)| *v);
        let Some(name) = get('P') else {
            return Err(InputError::at(rel, text, at, "package without a `P:` name"));
        };
        let Some(version) = get('V') else {
            return Err(InputError::at(
                rel,
                text,
                at,
                format!("package `{name}` has no `V:` version"),
            ));
        };
        let arch = get('A').unwrap_or("");
        let mut c = Component::new(Ecosystem::Apk, name, version, rel);
        c.purl = build(
            "apk",
            Some(&namespace),
            name,
            version,
            &[("arch", arch), ("distro", &distro)],
        );
        c.scope = Scope::Direct;
        if let Some(q1) = get('C').and_then(|c| c.strip_prefix("Q1")) {
            if let Ok(sha1) = base64::engine::general_purpose::STANDARD.decode(q1) {
                if sha1.len() == 20 {
                    let hex: String = sha1.iter().map(|b| format!("{b:02x}")).collect();
                    c = c.property("apk-control-sha1", hex);
                }
            }
        }
        if let Some(l) = get('L').filter(|l| !l.is_empty()) {
            c.licenses.insert(l.to_string());
        }
        if let Some(o) = get('o') {
            c = c.property("source-package", o);
        }
        by_name.insert(name.to_string(), c.purl.clone());
        for p in get('p').unwrap_or("").split_whitespace() {
            let provided = p.split('=').next().unwrap_or(p);
            by_name
                .entry(provided.to_string())
                .or_insert_with(|| c.purl.clone());
        }
        pending.push((c.purl.clone(), get('D').unwrap_or("").to_string()));
        out.edges.entry(c.purl.clone()).or_default();
        out.components.push(c);
    }
    for (from, deps) in pending {
        for d in deps.split_whitespace() {
            if d.starts_with('!') {
                continue;
            }
            let name = d.split(['<', '>', '=', '~']).next().unwrap_or(d);
            if let Some(t) = by_name.get(name).filter(|t| **t != from) {
                out.edges.entry(from.clone()).or_default().insert(t.clone());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debian() -> OsRelease {
        os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        )
    }

    #[test]
    fn os_release_and_distro() {
        let os = debian();
        assert_eq!(os.distro(), "debian-12");
        assert_eq!(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
        let sid = os_release("ID=debian\nVERSION_CODENAME=trixie\n");
        assert_eq!(sid.distro(), "debian-trixie");
        assert_eq!(
            os_release("ID='alpine'\nVERSION_ID=3.20.3\n").distro(),
            "alpine-3.20.3"
        );
    }

    #[test]
    fn dpkg_installed_sources_and_depends() {
        let text = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc\nVersion: 2.36-9+deb12u7\nDepends: libgcc-s1\nDescription: GNU C Library\n multi-line\n .\n description\n\n\
Package: libgcc-s1\nStatus: install ok installed\nArchitecture: amd64\nSource: gcc-12 (12.2.0-14)\nVersion: 12.2.0-14\nDepends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)\n\n\
Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0\n\n\
Package: mawk\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.3.4.20200120-3.1\nProvides: awk\n\n\
Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u6\nPre-Depends: awk | gawk\n";
        let p = dpkg("/var/lib/dpkg/status", text, &debian()).expect("parses");
        let purls: Vec<&str> = p.components.iter().map(|c| c.purl.as_str()).collect();
        assert_eq!(
            purls,
            [
                "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12",
                "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12",
                "pkg:deb/debian/mawk@1.3.4.20200120-3.1?arch=amd64&distro=debian-12",
                "pkg:deb/debian/base-files@12.4%2Bdeb12u6?arch=amd64&distro=debian-12",
            ]
        );
        assert_eq!(p.components[0].properties["source-package"], "glibc");
        assert_eq!(
            p.components[0].properties["source-version"],
            "2.36-9+deb12u7"
        );
        assert_eq!(p.components[1].properties["source-package"], "gcc-12");
        // libgcc-s1 -> libc6 (gcc-12-base is not installed here), base-files -> mawk via `awk`.
        assert_eq!(p.edges[purls[1]], BTreeSet::from([purls[0].to_string()]));
        assert_eq!(p.edges[purls[3]], BTreeSet::from([purls[2].to_string()]));
        let bad = dpkg(
            "/var/lib/dpkg/status",
            "Package: x\nno colon here\n",
            &debian(),
        )
        .expect_err("malformed");
        assert_eq!((bad.line, bad.column), (2, 1));
    }

    /// Packages with files on disk are listed whatever their state; only removed ones are not.
    #[test]
    fn dpkg_states_with_files_on_disk() {
        let states = [
            ("installed", true),
            ("unpacked", true),
            ("half-configured", true),
            ("half-installed", true),
            ("triggers-awaited", true),
            ("triggers-pending", true),
            ("config-files", false),
            ("not-installed", false),
        ];
        let text: String = states
            .iter()
            .map(|(st, _)| {
                format!(
                    "Package: p-{st}\nStatus: install ok {st}\nArchitecture: amd64\nVersion: 1\n\n"
                )
            })
            .collect();
        let p = dpkg("/var/lib/dpkg/status", &text, &debian()).expect("parses");
        let listed: Vec<(&str, Option<&str>)> = p
            .components
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.properties.get("dpkg-status").map(String::as_str),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("p-installed", None),
                ("p-unpacked", Some("unpacked")),
                ("p-half-configured", Some("half-configured")),
                ("p-half-installed", Some("half-installed")),
                ("p-triggers-awaited", Some("triggers-awaited")),
                ("p-triggers-pending", Some("triggers-pending")),
            ]
        );
    }

    #[test]
    fn apk_checksum_license_and_provides() {
        let text = "C:Q1Fx3Od5wDtFbmYkHXhG0DhHNeWRk=\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\n\n\
C:Q1deadbeef\nP:busybox\nV:1.36.1-r29\nA:x86_64\nL:GPL-2.0-only\nD:so:libc.musl-x86_64.so.1 !other\np:/bin/sh cmd:busybox=1.36.1-r29\n";
        let os = os_release("ID=alpine\nVERSION_ID=3.20.3\n");
        let p = apk("/lib/apk/db/installed", text, &os).expect("parses");
        let musl = &p.components[0];
        assert_eq!(
            musl.purl,
            "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3"
        );
        // The control segment's SHA-1 is no hash of the package: a property.
        assert!(musl.hashes.is_empty());
        assert_eq!(
            musl.properties["apk-control-sha1"],
            "171dce779c03b456e66241d7846d0384735e5919"
        );
        assert_eq!(musl.licenses.iter().next().map(String::as_str), Some("MIT"));
        // `so:libc.musl...` is not provided by anything listed here: no edge, no panic.
        assert!(p.edges[&p.components[1].purl].is_empty());
        assert!(!p.components[1].properties.contains_key("apk-control-sha1"));
    }
}
