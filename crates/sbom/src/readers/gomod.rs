//! `go.mod` (with the `go.sum` beside it). Since Go 1.17 a main module's `go.mod` lists every
//! module its build needs, so its `require` directives (single lines and blocks) are the selected
//! versions; `// indirect` marks the ones no package of the main module imports (transitive).
//! The root is the `module` line (`pkg:golang/<module path>`, no version). `go.mod` does not say
//! which module needs which, so the root depends on every requirement.
//!
//! `replace` directives: `old [version] => new version` makes the replacement the component (with
//! the property `replaces` = `old@required-version`); `old => ./dir` (a local directory) keeps the
//! old path without a version and records the directory as the property `local`. A replacement
//! naming a version applies to that version only. `exclude`, `retract`, `go`, `toolchain`,
//! `godebug`, `tool` and `ignore` do not change what is built and are ignored.
//!
//! Before Go 1.17 (a `go` line of 1.16 or earlier, or none, which Go reads as 1.16) `go.mod` lists
//! only part of the build list: the modules a dependency requires are not repeated. The root then
//! carries the property `incomplete`, and the modules whose zip `go.sum` lists (`h1:` lines not
//! ending in `/go.mod`; the `/go.mod`-only lines are modules whose `go.mod` was read but which are
//! not built) and that `go.mod` does not name become transitive components with the property
//! `from-go-sum` (the highest version when `go.sum` holds several). From Go 1.17 on, `go.sum` adds
//! no components.
//!
//! `go.sum`: the `h1:` value is the base64 SHA-256 of a summary of the module's files (one
//! `sha256  name` line per file of the module zip, the "dirhash" of `golang.org/x/mod`), not a
//! digest of any archive, so it is recorded as the property `go-sum-h1` rather than as a hash.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

/// `go.mod`.
pub const READER: super::Reader = super::Reader {
    format: "go.mod",
    matches: |name| name == "go.mod",
    parse: |input| {
        let sum = input.sibling("go.sum");
        let sum_rel = input.sibling_rel("go.sum");
        parse(
            input.rel,
            input.text,
            sum.as_deref().map(|s| (sum_rel.as_str(), s)),
            input.dir_name,
        )
    },
};

/// A token of a `go.mod` line and its byte offset.
#[derive(Debug)]
struct Token {
    at: usize,
    text: String,
}

/// One line: its tokens and its `//` comment (trimmed).
struct Line<'a> {
    at: usize,
    tokens: Vec<Token>,
    comment: Option<&'a str>,
}

/// Split one line (starting at byte `start` of the file) into tokens: `(`, `)` and `=>` stand
/// alone; `"..."` (with `\` escapes) and `` `...` `` are strings.
fn lex_line<'a>(
    file: &str,
    text: &str,
    start: usize,
    line: &'a str,
) -> Result<Line<'a>, InputError> {
    let mut tokens = Vec::new();
    let mut comment = None;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(b' ');
        match b {
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                comment = line.get(i + 2..).map(str::trim);
                break;
            }
            b'(' | b')' => {
                tokens.push(Token {
                    at: start + i,
                    text: (b as char).to_string(),
                });
                i += 1;
            }
            b'=' if bytes.get(i + 1) == Some(&b'>') => {
                tokens.push(Token {
                    at: start + i,
                    text: "=>".to_string(),
                });
                i += 2;
            }
            b'"' | b'`' => {
                let quote = b;
                let mut value = String::new();
                let mut j = i + 1;
                let mut closed = false;
                while let Some(&c) = bytes.get(j) {
                    if c == quote {
                        closed = true;
                        break;
                    }
                    if c == b'\\' && quote == b'"' {
                        j += 1;
                    }
                    j += 1;
                }
                if !closed {
                    return Err(InputError::at(file, text, start + i, "unterminated string"));
                }
                let raw = line.get(i + 1..j).unwrap_or("");
                if quote == b'"' {
                    let mut chars = raw.chars();
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            value.extend(chars.next());
                        } else {
                            value.push(c);
                        }
                    }
                } else {
                    value.push_str(raw);
                }
                tokens.push(Token {
                    at: start + i,
                    text: value,
                });
                i = j + 1;
            }
            _ => {
                let mut j = i;
                while let Some(&c) = bytes.get(j) {
                    let stop = matches!(c, b' ' | b'\t' | b'\r' | b'(' | b')' | b'"' | b'`')
                        || (c == b'/' && bytes.get(j + 1) == Some(&b'/'))
                        || (c == b'=' && bytes.get(j + 1) == Some(&b'>'));
                    if stop {
                        break;
                    }
                    j += 1;
                }
                tokens.push(Token {
                    at: start + i,
                    text: line.get(i..j).unwrap_or("").to_string(),
                });
                i = j;
            }
        }
    }
    Ok(Line {
        at: start,
        tokens,
        comment,
    })
}

/// A `require` line.
struct Require {
    path: String,
    version: String,
    indirect: bool,
}

/// A `replace` line: `old [old_version] => new [new_version]`.
struct Replace {
    old: String,
    old_version: Option<String>,
    new: String,
    new_version: Option<String>,
}

fn is_local_path(p: &str) -> bool {
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || p.get(1..3) == Some(":\\")
}

/// The value of the root's property `incomplete` for a `go.mod` before Go 1.17.
pub const INCOMPLETE: &str = "go.mod before Go 1.17 lists only part of the build list";

/// What `go.mod` says, in file order.
#[derive(Default)]
struct GoMod {
    module: Option<String>,
    /// The `go` directive's version, as written.
    go: Option<String>,
    requires: Vec<Require>,
    replaces: Vec<Replace>,
}

fn parse_mod(file: &str, text: &str) -> Result<GoMod, InputError> {
    let err = |at: usize, msg: &str| InputError::at(file, text, at, msg);
    let mut out = GoMod::default();
    // The verb of the open block and where it opened.
    let mut block: Option<(String, usize)> = None;
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = start;
        start += raw.len();
        let content = raw.trim_end_matches('\n');
        let line = lex_line(file, text, line_start, content)?;
        let Some(first) = line.tokens.first() else {
            continue;
        };
        let (verb, args): (String, &[Token]) = match &block {
            Some((verb, _)) => {
                if first.text == ")" && line.tokens.len() == 1 {
                    block = None;
                    continue;
                }
                (verb.clone(), line.tokens.as_slice())
            }
            None => {
                let rest = line.tokens.get(1..).unwrap_or(&[]);
                if rest.len() == 1 && rest.first().is_some_and(|t| t.text == "(") {
                    block = Some((first.text.clone(), first.at));
                    continue;
                }
                (first.text.clone(), rest)
            }
        };
        let indirect = line.comment.is_some_and(|c| {
            c == "indirect" || c.starts_with("indirect;") || c.starts_with("indirect ")
        });
        match verb.as_str() {
            "module" => match args {
                [path] => out.module = Some(path.text.clone()),
                _ => return Err(err(line.at, "expected `module <path>`")),
            },
            "go" => {
                if let [version] = args {
                    out.go = Some(version.text.clone());
                }
            }
            "require" => match args {
                [path, version] if version.text.starts_with('v') => out.requires.push(Require {
                    path: path.text.clone(),
                    version: version.text.clone(),
                    indirect,
                }),
                [_, version] => {
                    return Err(err(
                        version.at,
                        &format!(
                            "`{}` is not a module version (it starts with v)",
                            version.text
                        ),
                    ));
                }
                _ => return Err(err(line.at, "expected `require <module> <version>`")),
            },
            "replace" => {
                let arrow = args.iter().position(|t| t.text == "=>");
                let (lhs, rhs) = match arrow {
                    Some(i) => (
                        args.get(..i).unwrap_or(&[]),
                        args.get(i + 1..).unwrap_or(&[]),
                    ),
                    None => return Err(err(line.at, "expected `replace <module> => <module>`")),
                };
                let (old, old_version) = match lhs {
                    [m] => (m.text.clone(), None),
                    [m, v] => (m.text.clone(), Some(v.text.clone())),
                    _ => return Err(err(line.at, "expected `<module> [version]` before `=>`")),
                };
                let (new, new_version) = match rhs {
                    [p] if is_local_path(&p.text) => (p.text.clone(), None),
                    [m] => {
                        return Err(err(
                            m.at,
                            &format!(
                                "replacement `{}` needs a version (or is a local path)",
                                m.text
                            ),
                        ));
                    }
                    [m, v] => (m.text.clone(), Some(v.text.clone())),
                    _ => return Err(err(line.at, "expected `<module> <version>` after `=>`")),
                };
                out.replaces.push(Replace {
                    old,
                    old_version,
                    new,
                    new_version,
                });
            }
            // Nothing else changes which modules are built.
            _ => {}
        }
    }
    if let Some((verb, at)) = block {
        return Err(err(at, &format!("`{verb} (` block is never closed")));
    }
    Ok(out)
}

/// `go.sum`: (module, version) -> `h1:` hash of the module (not of its `go.mod`).
fn parse_sum(text: &str) -> BTreeMap<(&str, &str), &str> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        if let (Some(m), Some(v), Some(h)) = (parts.next(), parts.next(), parts.next()) {
            if !v.ends_with("/go.mod") && h.starts_with("h1:") {
                out.insert((m, v), h);
            }
        }
    }
    out
}

/// Whether a `go` directive's version (`1.16`, `1.21.0`, `1.22rc1`) is before Go 1.17, when
/// `go.mod` started to list the whole build list. No `go` line means 1.16; a version that cannot
/// be read is taken as recent.
fn before_go_1_17(go: Option<&str>) -> bool {
    let Some(go) = go else {
        return true;
    };
    let mut parts = go.split('.');
    let number = |p: Option<&str>| -> Option<u64> {
        let p = p?;
        let end = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
        p.get(..end)?.parse().ok()
    };
    match (number(parts.next()), number(parts.next())) {
        (Some(major), _) if major != 1 => major < 1,
        (Some(_), Some(minor)) => minor < 17,
        _ => false,
    }
}

/// Semantic version order of two Go module versions (`v1.2.3`, `v1.2.3-pre`, pseudo-versions,
/// `+incompatible`): numbers compared as numbers, a release after its pre-releases.
fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn split(v: &str) -> (Vec<u64>, Option<&str>) {
        let v = v.trim_start_matches('v');
        let v = v.split_once('+').map_or(v, |(v, _)| v);
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        (
            core.split('.').map(|n| n.parse().unwrap_or(0)).collect(),
            pre,
        )
    }
    fn pre_cmp(a: &str, b: &str) -> std::cmp::Ordering {
        let mut ia = a.split('.');
        let mut ib = b.split('.');
        loop {
            match (ia.next(), ib.next()) {
                (None, None) => return std::cmp::Ordering::Equal,
                (None, Some(_)) => return std::cmp::Ordering::Less,
                (Some(_), None) => return std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => {
                    let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                        (Ok(m), Ok(n)) => m.cmp(&n),
                        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
                        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
                        (Err(_), Err(_)) => x.cmp(y),
                    };
                    if o.is_ne() {
                        return o;
                    }
                }
            }
        }
    }
    let (ca, pa) = split(a);
    let (cb, pb) = split(b);
    ca.cmp(&cb).then_with(|| match (pa, pb) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (Some(x), Some(y)) => pre_cmp(x, y),
    })
}

/// Parse `go.mod` text; `sum` is the relative path and text of the `go.sum` beside it, if any.
pub fn parse(
    file: &str,
    text: &str,
    sum: Option<(&str, &str)>,
    dir_name: &str,
) -> Result<Lockfile, InputError> {
    let gomod = parse_mod(file, text)?;
    let sums = sum.map(|(_, s)| parse_sum(s)).unwrap_or_default();
    let mut root = Component::new(
        Ecosystem::Golang,
        gomod.module.as_deref().unwrap_or(dir_name),
        "",
        file,
    );
    root.scope = Scope::Direct;
    let mut components: BTreeMap<String, Component> = BTreeMap::new();
    for r in &gomod.requires {
        // A replacement for this exact version wins over one for every version.
        let replace = gomod
            .replaces
            .iter()
            .rev()
            .find(|p| p.old == r.path && p.old_version.as_deref() == Some(r.version.as_str()))
            .or_else(|| {
                gomod
                    .replaces
                    .iter()
                    .rev()
                    .find(|p| p.old == r.path && p.old_version.is_none())
            });
        let mut c = match replace {
            Some(p) => match &p.new_version {
                Some(v) => Component::new(Ecosystem::Golang, &p.new, v, file)
                    .property("replaces", format!("{}@{}", r.path, r.version)),
                None => Component::new(Ecosystem::Golang, &r.path, "", file)
                    .property("local", p.new.clone()),
            },
            None => Component::new(Ecosystem::Golang, &r.path, &r.version, file),
        };
        if !c.properties.contains_key("local") {
            if let Some((sum_rel, h)) = sum.and_then(|(rel, _)| {
                sums.get(&(c.name.as_str(), c.version.as_str()))
                    .map(|h| (rel, *h))
            }) {
                c = c.property("go-sum-h1", h);
                c.sources.insert(sum_rel.to_string());
            }
        }
        c.scope = if r.indirect {
            Scope::Transitive
        } else {
            Scope::Direct
        };
        match components.get_mut(&c.purl) {
            Some(existing) if c.scope == Scope::Direct => existing.scope = Scope::Direct,
            Some(_) => {}
            None => {
                components.insert(c.purl.clone(), c);
            }
        }
    }
    if before_go_1_17(gomod.go.as_deref()) {
        root = root.property("incomplete", INCOMPLETE);
        if let Some((sum_rel, _)) = sum {
            // Modules go.mod already accounts for: required, replaced, or replacements.
            let mut named: BTreeSet<&str> =
                gomod.requires.iter().map(|r| r.path.as_str()).collect();
            named.extend(gomod.replaces.iter().map(|p| p.old.as_str()));
            named.extend(components.values().map(|c| c.name.as_str()));
            if let Some(m) = gomod.module.as_deref() {
                named.insert(m);
            }
            // One version per module, the highest, as minimal version selection picks.
            let mut extra: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
            for (&(module, version), &h) in &sums {
                if named.contains(module) {
                    continue;
                }
                match extra.get(module) {
                    Some((v, _)) if version_cmp(v, version).is_ge() => {}
                    _ => {
                        extra.insert(module, (version, h));
                    }
                }
            }
            let mut added = Vec::new();
            for (module, (version, h)) in extra {
                let mut c = Component::new(Ecosystem::Golang, module, version, sum_rel)
                    .property("from-go-sum", "true")
                    .property("go-sum-h1", h);
                c.scope = Scope::Transitive;
                added.push(c);
            }
            for c in added {
                components.entry(c.purl.clone()).or_insert(c);
            }
        }
    }
    components.remove(&root.purl);
    let edges = BTreeMap::from([(
        root.purl.clone(),
        components.keys().cloned().collect::<BTreeSet<_>>(),
    )]);
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components: components.into_values().collect(),
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOMOD: &str = r#"module example.com/app // Deprecated: use v2

go 1.22
toolchain go1.22.4

require github.com/google/uuid v1.6.0

require (
	golang.org/x/text v0.14.0 // indirect
	"github.com/pkg/errors" v0.9.1
	example.com/old v1.0.0
	example.com/pinned v1.2.0 // indirect
	example.com/mine v0.0.0-00010101000000-000000000000
)

exclude golang.org/x/text v0.13.0

replace example.com/old => example.com/new v1.1.0
replace (
	example.com/pinned v1.1.0 => example.com/other v9.9.9 // not the required version
	example.com/mine => ../mine
)
"#;

    const GOSUM: &str =
        "github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=
example.com/new v1.1.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
";

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn requires_indirect_and_replacements() {
        let l = parse("go.mod", GOMOD, Some(("go.sum", GOSUM)), "dir").expect("parses");
        assert_eq!(l.root.purl, "pkg:golang/example.com/app");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:golang/example.com/mine",
                "pkg:golang/example.com/new@v1.1.0",
                "pkg:golang/example.com/pinned@v1.2.0",
                "pkg:golang/github.com/google/uuid@v1.6.0",
                "pkg:golang/github.com/pkg/errors@v0.9.1",
                "pkg:golang/golang.org/x/text@v0.14.0",
            ]
        );
        assert_eq!(
            by["pkg:golang/golang.org/x/text@v0.14.0"].scope,
            Scope::Transitive
        );
        assert_eq!(
            by["pkg:golang/github.com/pkg/errors@v0.9.1"].scope,
            Scope::Direct
        );
        let new = by["pkg:golang/example.com/new@v1.1.0"];
        assert_eq!(new.properties["replaces"], "example.com/old@v1.0.0");
        assert_eq!(
            new.properties["go-sum-h1"],
            "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        );
        assert!(new.sources.contains("go.sum"));
        assert_eq!(
            by["pkg:golang/example.com/mine"].properties["local"],
            "../mine"
        );
        // A replacement of another version does not apply.
        assert!(
            by["pkg:golang/example.com/pinned@v1.2.0"]
                .properties
                .is_empty()
        );
        let uuid = by["pkg:golang/github.com/google/uuid@v1.6.0"];
        assert_eq!(
            uuid.properties["go-sum-h1"],
            "h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0="
        );
        // h1: is a dirhash, not an archive digest.
        assert!(uuid.hashes.is_empty());
        assert_eq!(l.edges["pkg:golang/example.com/app"].len(), 6);
    }

    #[test]
    fn without_go_sum_or_module_line() {
        let l = parse("go.mod", "require a.b/c v1.0.0\n", None, "proj").expect("parses");
        assert_eq!(l.root.purl, "pkg:golang/proj");
        assert_eq!(l.components.len(), 1);
        assert!(l.components.iter().all(|c| c.properties.is_empty()));
        // No `go` line means Go 1.16: a partial list.
        assert_eq!(l.root.properties["incomplete"], INCOMPLETE);
    }

    const OLD_GOMOD: &str = "module example.com/legacy

go 1.16

require (
\tgithub.com/spf13/cobra v1.1.3
\texample.com/old v1.0.0
)

replace example.com/old => example.com/new v1.1.0
";

    const OLD_GOSUM: &str = "github.com/spf13/cobra v1.1.3 h1:xghbfqPkxzxP3C/f3n5y4Mb4AgMHOZtGXEtHiRiZ1KY=
github.com/spf13/cobra v1.1.3/go.mod h1:pGADOWyqRD/YMrPZigI/zbliZ2wVD/23d+is3pSWzOo=
github.com/spf13/pflag v1.0.5 h1:iy+VFUOCP1a+8yFto/drg2CJ5u0yRoB7fZw3DKv/JXA=
github.com/spf13/pflag v1.0.5/go.mod h1:McXfInJRrz4CZXVZOBLb0bTZqETkiAhM9Iw0y3An2Bg=
github.com/spf13/pflag v1.0.3/go.mod h1:DYY7MBk1bdzusC3SYhjObp+wFpr4gzcvqqNjLnInEg4=
github.com/inconshreveable/mousetrap v1.0.0 h1:Z8tu5sraLXCXIcARxBp/8cbvlwVa7Z1NHg9XEKhtSvM=
github.com/inconshreveable/mousetrap v1.0.0/go.mod h1:PxqpIOohrfYFl8Lp2ou8Q/AXuP5sKLvrKLH1IOfdfb8=
github.com/cpuguy83/go-md2man/v2 v2.0.0/go.mod h1:maD7wRr/U5Z6m/iR4s+kqSMx2CaBsrgA7czyZG/E6dU=
golang.org/x/sys v0.0.0-20190412213103-97732733099d h1:+R4KGOnez64A81RvjARKc4UT5/tI9ujCIVX+P5KiHuI=
golang.org/x/sys v0.0.0-20200930185726-fdedc70b468f h1:+Nyd8tzPX9R7BWHguqsrbFdRx3WQ/1ib8I44HXV5yTA=
golang.org/x/sys v0.0.0-20200930185726-fdedc70b468f/go.mod h1:h1NjWce9XRLGQEsW7wpKNCjG9DtNlClVuFLEZdDNbEs=
example.com/new v1.1.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
example.com/old v1.0.0 h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=
";

    #[test]
    fn before_go_1_17_go_sum_fills_in_the_build_list() {
        let l = parse("go.mod", OLD_GOMOD, Some(("go.sum", OLD_GOSUM)), "d").expect("parses");
        assert_eq!(l.root.properties["incomplete"], INCOMPLETE);
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:golang/example.com/new@v1.1.0",
                "pkg:golang/github.com/inconshreveable/mousetrap@v1.0.0",
                "pkg:golang/github.com/spf13/cobra@v1.1.3",
                "pkg:golang/github.com/spf13/pflag@v1.0.5",
                "pkg:golang/golang.org/x/sys@v0.0.0-20200930185726-fdedc70b468f",
            ]
        );
        let pflag = by["pkg:golang/github.com/spf13/pflag@v1.0.5"];
        assert_eq!(pflag.scope, Scope::Transitive);
        assert_eq!(pflag.properties["from-go-sum"], "true");
        assert_eq!(
            pflag.properties["go-sum-h1"],
            "h1:iy+VFUOCP1a+8yFto/drg2CJ5u0yRoB7fZw3DKv/JXA="
        );
        assert_eq!(pflag.sources, BTreeSet::from(["go.sum".to_string()]));
        let cobra = by["pkg:golang/github.com/spf13/cobra@v1.1.3"];
        assert_eq!(cobra.scope, Scope::Direct);
        assert!(!cobra.properties.contains_key("from-go-sum"));
        assert!(
            !by["pkg:golang/example.com/new@v1.1.0"]
                .properties
                .contains_key("from-go-sum")
        );
        assert_eq!(l.edges["pkg:golang/example.com/legacy"].len(), 5);

        // The same files with `go 1.17`: go.mod is the whole list, go.sum adds nothing.
        let new = OLD_GOMOD.replace("go 1.16", "go 1.17");
        let l = parse("go.mod", &new, Some(("go.sum", OLD_GOSUM)), "d").expect("parses");
        assert!(!l.root.properties.contains_key("incomplete"));
        assert_eq!(l.components.len(), 2);
        // Without go.sum the root still says the list is partial.
        let l = parse("go.mod", OLD_GOMOD, None, "d").expect("parses");
        assert_eq!(l.root.properties["incomplete"], INCOMPLETE);
        assert_eq!(l.components.len(), 2);
    }

    #[test]
    fn go_versions_and_module_version_order() {
        for (go, old) in [
            (None, true),
            (Some("1.16"), true),
            (Some("1.12"), true),
            (Some("1.17"), false),
            (Some("1.21.0"), false),
            (Some("1.22rc1"), false),
            (Some("1.9"), true),
            (Some("junk"), false),
        ] {
            assert_eq!(before_go_1_17(go), old, "{go:?}");
        }
        use std::cmp::Ordering::*;
        assert_eq!(version_cmp("v1.10.0", "v1.9.9"), Greater);
        assert_eq!(version_cmp("v1.0.0", "v1.0.0-rc.1"), Greater);
        assert_eq!(version_cmp("v1.0.0-rc.2", "v1.0.0-rc.10"), Less);
        assert_eq!(
            version_cmp(
                "v0.0.0-20200930185726-fdedc70b468f",
                "v0.0.0-20190412213103-97732733099d"
            ),
            Greater
        );
        assert_eq!(version_cmp("v2.0.0+incompatible", "v2.0.0"), Equal);
    }

    #[test]
    fn malformed_go_mod_names_the_position() {
        let e = parse(
            "m/go.mod",
            "module x\n\nrequire (\n\ta.b/c 1.0.0\n)\n",
            None,
            "m",
        )
        .expect_err("bad version");
        assert_eq!((e.file.as_str(), e.line, e.column), ("m/go.mod", 4, 8));
        let e = parse("go.mod", "module x\nrequire (\n\ta.b/c v1.0.0\n", None, "m")
            .expect_err("unclosed");
        assert_eq!((e.line, e.column), (2, 1));
        let e = parse("go.mod", "module x\nreplace a.b/c => d.e/f\n", None, "m")
            .expect_err("replacement without version");
        assert_eq!((e.line, e.column), (2, 18));
        let e = parse("go.mod", "module \"x\n", None, "m").expect_err("string");
        assert_eq!((e.line, e.column), (1, 8));
    }
}
