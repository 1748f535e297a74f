//! `Gemfile.lock` (Bundler). The source sections (`GEM`, `GIT`, `PATH`, `PLUGIN SOURCE`) list
//! every locked gem under `specs:`, four spaces in, `name (version[-platform])`, with its own
//! dependencies six spaces in; `DEPENDENCIES` names what the Gemfile asks for (direct);
//! `CHECKSUMS` (Bundler 2.5+) gives `sha256=` digests of the `.gem` files. `PLATFORMS`,
//! `RUBY VERSION` and `BUNDLED WITH` are ignored.
//!
//! As in Bundler's own parser, everything after the first `-` of a version is the platform:
//! `nokogiri (1.15.4-x86_64-linux)` is `pkg:gem/nokogiri@1.15.4?platform=x86_64-linux`, a
//! component of its own beside other platforms' builds. Gems from `GIT` record the properties
//! `git` (the remote) and `git-revision`; gems from `PATH` record `path`. The root is the gem of a
//! `PATH` source at `.` (a Gemfile with `gemspec`), otherwise a component named after the
//! directory. Which gems are development-only lives in the Gemfile's groups, not in the lockfile,
//! so `dev` stays false.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Component, Ecosystem, Hash, HashAlg, InputError, Lockfile, Scope, purl};

/// `Gemfile.lock` (and `gems.locked`, Bundler's other name for it).
pub const READER: super::Reader = super::Reader {
    format: "Gemfile.lock",
    matches: |name| name == "Gemfile.lock" || name == "gems.locked",
    parse: |input| parse(input.rel, input.text, input.dir_name),
};

/// A locked gem.
struct Spec {
    name: String,
    version: String,
    platform: Option<String>,
    deps: Vec<String>,
    /// Index into the sources.
    source: usize,
}

#[derive(Default)]
struct Source {
    kind: String,
    remote: Option<String>,
    revision: Option<String>,
}

/// `name`, `name (x)` or `name (x)!`: the name, what is in parentheses, and the `!`.
fn name_and_paren(s: &str) -> Option<(&str, Option<&str>, bool)> {
    let (s, bang) = match s.strip_suffix('!') {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    match s.split_once(" (") {
        Some((name, rest)) => {
            let inner = rest.strip_suffix(')')?;
            (!name.is_empty()).then_some((name, Some(inner), bang))
        }
        None => (!s.is_empty() && !s.contains(' ')).then_some((s, None, bang)),
    }
}

/// `1.15.4-x86_64-linux` -> (`1.15.4`, `x86_64-linux`); Bundler splits at the first `-`.
fn version_platform(v: &str) -> (&str, Option<&str>) {
    match v.split_once('-') {
        Some((ver, plat)) if !plat.is_empty() => (ver, Some(plat)),
        _ => (v, None),
    }
}

/// Parse `Gemfile.lock` text.
pub fn parse(file: &str, text: &str, dir_name: &str) -> Result<Lockfile, InputError> {
    let err = |at: usize, msg: String| InputError::at(file, text, at, msg);
    let mut sources: Vec<Source> = Vec::new();
    let mut specs: Vec<Spec> = Vec::new();
    let mut direct: BTreeSet<String> = BTreeSet::new();
    // (name, version, platform) -> sha256 hex.
    let mut checksums: BTreeMap<(String, String, Option<String>), String> = BTreeMap::new();
    let mut section = String::new();
    let mut sections = 0;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let at = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = line.get(indent..).unwrap_or("");
        if body.starts_with('\t') {
            return Err(err(
                at + indent,
                "tabs are not used in a Gemfile.lock".into(),
            ));
        }
        if indent == 0 {
            section = body.to_string();
            sections += 1;
            if matches!(body, "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE") {
                sources.push(Source {
                    kind: body.to_string(),
                    ..Source::default()
                });
            }
            continue;
        }
        let pos = at + indent;
        match section.as_str() {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                let source_idx = sources.len().saturating_sub(1);
                let Some(source) = sources.last_mut() else {
                    continue;
                };
                match indent {
                    2 => {
                        if let Some((key, value)) = body.split_once(": ") {
                            match key {
                                "remote" => source.remote = Some(value.to_string()),
                                "revision" => source.revision = Some(value.to_string()),
                                _ => {}
                            }
                        } else if body != "specs:" && !body.ends_with(':') {
                            return Err(err(pos, format!("expected `key: value`, found `{body}`")));
                        }
                    }
                    4 => {
                        let Some((name, Some(version), false)) = name_and_paren(body) else {
                            return Err(err(
                                pos,
                                format!("expected `name (version)`, found `{body}`"),
                            ));
                        };
                        let (version, platform) = version_platform(version);
                        specs.push(Spec {
                            name: name.to_string(),
                            version: version.to_string(),
                            platform: platform.filter(|p| *p != "ruby").map(String::from),
                            deps: Vec::new(),
                            source: source_idx,
                        });
                    }
                    6 => {
                        let (Some((name, _, false)), Some(spec)) =
                            (name_and_paren(body), specs.last_mut())
                        else {
                            return Err(err(pos, format!("unexpected dependency line `{body}`")));
                        };
                        spec.deps.push(name.to_string());
                    }
                    _ => return Err(err(pos, format!("unexpected indentation of `{body}`"))),
                }
            }
            "DEPENDENCIES" => {
                let Some((name, _, _)) = name_and_paren(body) else {
                    return Err(err(pos, format!("expected a gem name, found `{body}`")));
                };
                direct.insert(name.to_string());
            }
            "CHECKSUMS" => {
                let (spec, sums) = match body.split_once(") ") {
                    Some((spec, sums)) => (format!("{spec})"), sums),
                    None => (body.to_string(), ""),
                };
                let Some((name, Some(version), _)) =
                    name_and_paren(&spec).map(|(n, v, b)| (n.to_string(), v.map(String::from), b))
                else {
                    return Err(err(
                        pos,
                        format!("expected `name (version) sha256=...`, found `{body}`"),
                    ));
                };
                let (version, platform) = version_platform(&version);
                let sha256 = sums
                    .split(',')
                    .find_map(|s| s.trim().strip_prefix("sha256="))
                    .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
                if let Some(h) = sha256 {
                    checksums.insert(
                        (
                            name,
                            version.to_string(),
                            platform.filter(|p| *p != "ruby").map(String::from),
                        ),
                        h.to_ascii_lowercase(),
                    );
                }
            }
            _ => {}
        }
    }
    if sections == 0 || (sources.is_empty() && direct.is_empty()) {
        return Err(InputError::file(
            file,
            "not a Gemfile.lock: no GEM, GIT, PATH or DEPENDENCIES section",
        ));
    }

    let mut comps: Vec<Component> = specs
        .iter()
        .map(|s| {
            let mut c = Component::new(Ecosystem::Gem, &s.name, &s.version, file);
            if let Some(p) = &s.platform {
                c.purl = purl::build("gem", None, &s.name, &s.version, &[("platform", p)]);
                c = c.property("platform", p.clone());
            }
            let source = sources.get(s.source);
            match source.map(|src| (src.kind.as_str(), src)) {
                Some(("GIT", src)) => {
                    if let Some(r) = &src.remote {
                        c = c.property("git", r.clone());
                    }
                    if let Some(r) = &src.revision {
                        c = c.property("git-revision", r.clone());
                    }
                }
                Some(("PATH", src)) => {
                    c = c.property("path", src.remote.clone().unwrap_or_default());
                }
                _ => {}
            }
            let key = (s.name.clone(), s.version.clone(), s.platform.clone());
            if let Some(h) = checksums.get(&key) {
                c.hashes.insert(Hash {
                    alg: HashAlg::Sha256,
                    hex: h.clone(),
                });
            }
            if direct.contains(&s.name) {
                c.scope = Scope::Direct;
            }
            c
        })
        .collect();
    // Every platform's build of a gem answers for its name.
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in specs.iter().enumerate() {
        by_name.entry(s.name.as_str()).or_default().push(i);
    }
    let refs = |names: &mut dyn Iterator<Item = &str>| -> BTreeSet<String> {
        names
            .filter_map(|n| by_name.get(n))
            .flatten()
            .filter_map(|&i| comps.get(i).map(|c| c.purl.clone()))
            .collect()
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, s) in specs.iter().enumerate() {
        if let Some(c) = comps.get(i) {
            edges.insert(c.purl.clone(), refs(&mut s.deps.iter().map(String::as_str)));
        }
    }
    let root_idx = specs.iter().position(|s| {
        sources
            .get(s.source)
            .is_some_and(|src| src.kind == "PATH" && src.remote.as_deref() == Some("."))
    });
    let mut root = match root_idx.and_then(|i| comps.get(i)) {
        Some(c) => c.clone(),
        None => Component::new(Ecosystem::Gem, dir_name, "", file),
    };
    root.scope = Scope::Direct;
    root.properties.remove("path");
    let mut root_deps = refs(&mut direct.iter().map(String::as_str));
    root_deps.extend(edges.get(&root.purl).cloned().unwrap_or_default());
    root_deps.remove(&root.purl);
    // What the root gem itself needs is direct too.
    for c in &mut comps {
        if root_deps.contains(&c.purl) {
            c.scope = Scope::Direct;
        }
    }
    edges.insert(root.purl.clone(), root_deps);
    let components = comps.into_iter().filter(|c| c.purl != root.purl).collect();
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "GIT
  remote: https://github.com/rails/rails.git
  revision: 0123456789abcdef0123456789abcdef01234567
  branch: main
  specs:
    activesupport (7.2.0.alpha)
      concurrent-ruby (~> 1.0, >= 1.0.2)

PATH
  remote: .
  specs:
    myapp (0.1.0)
      nokogiri (>= 1.15)

PATH
  remote: vendor/local_gem
  specs:
    local_gem (0.0.1)

GEM
  remote: https://rubygems.org/
  specs:
    concurrent-ruby (1.2.2)
    mini_portile2 (2.8.5)
    nokogiri (1.15.4)
      mini_portile2 (~> 2.8.2)
      racc (~> 1.4)
    nokogiri (1.15.4-arm64-darwin)
      racc (~> 1.4)
    nokogiri (1.15.4-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.1)
    rake (13.1.0)

PLATFORMS
  arm64-darwin
  ruby
  x86_64-linux

DEPENDENCIES
  activesupport!
  local_gem!
  myapp!
  rake (~> 13.0)

CHECKSUMS
  nokogiri (1.15.4-x86_64-linux) sha256=6b63ff5defe48f30d1d3b3122f65255ca91df2caf5378c6e0482ce73ff46fb31
  rake (13.1.0) sha256=0000000000000000000000000000000000000000000000000000000000000abc

RUBY VERSION
   ruby 3.2.2p53

BUNDLED WITH
   2.5.3
";

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn platforms_sources_and_direct_dependencies() {
        let l = parse("Gemfile.lock", LOCK, "dir").expect("parses");
        assert_eq!(l.root.purl, "pkg:gem/myapp@0.1.0");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:gem/activesupport@7.2.0.alpha",
                "pkg:gem/concurrent-ruby@1.2.2",
                "pkg:gem/local_gem@0.0.1",
                "pkg:gem/mini_portile2@2.8.5",
                "pkg:gem/nokogiri@1.15.4",
                "pkg:gem/nokogiri@1.15.4?platform=arm64-darwin",
                "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux",
                "pkg:gem/racc@1.7.1",
                "pkg:gem/rake@13.1.0",
            ]
        );
        let linux = by["pkg:gem/nokogiri@1.15.4?platform=x86_64-linux"];
        assert_eq!(linux.version, "1.15.4");
        assert_eq!(linux.properties["platform"], "x86_64-linux");
        assert_eq!(linux.scope, Scope::Direct); // the root gem's own dependency
        let h = linux.hashes.iter().next().expect("checksum");
        assert_eq!((h.alg, &h.hex[..8]), (HashAlg::Sha256, "6b63ff5d"));
        assert!(by["pkg:gem/nokogiri@1.15.4"].hashes.is_empty());
        let rails = by["pkg:gem/activesupport@7.2.0.alpha"];
        assert_eq!(
            rails.properties["git"],
            "https://github.com/rails/rails.git"
        );
        assert_eq!(rails.properties["git-revision"].len(), 40);
        assert_eq!(
            by["pkg:gem/local_gem@0.0.1"].properties["path"],
            "vendor/local_gem"
        );
        assert_eq!(by["pkg:gem/racc@1.7.1"].scope, Scope::Transitive);
        assert_eq!(by["pkg:gem/rake@13.1.0"].scope, Scope::Direct);
        assert_eq!(
            l.edges["pkg:gem/nokogiri@1.15.4"],
            BTreeSet::from([
                "pkg:gem/mini_portile2@2.8.5".to_string(),
                "pkg:gem/racc@1.7.1".to_string()
            ])
        );
        // Every platform's nokogiri answers for the name.
        assert_eq!(l.edges["pkg:gem/myapp@0.1.0"].len(), 6);
    }

    #[test]
    fn root_named_after_the_directory_without_gemspec() {
        let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n\nDEPENDENCIES\n  rack\n";
        let l = parse("Gemfile.lock", lock, "site").expect("parses");
        assert_eq!(l.root.purl, "pkg:gem/site");
        assert_eq!(l.edges["pkg:gem/site"].len(), 1);
        assert_eq!(l.components.first().map(|c| c.scope), Some(Scope::Direct));
    }

    #[test]
    fn malformed_gemfile_lock_names_the_position() {
        let e = parse(
            "a/Gemfile.lock",
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack 3.0.8\n",
            "a",
        )
        .expect_err("no parentheses");
        assert_eq!(
            (e.file.as_str(), e.line, e.column),
            ("a/Gemfile.lock", 4, 5)
        );
        let e =
            parse("Gemfile.lock", "GEM\n  specs:\n   rack (1.0)\n", "a").expect_err("indentation");
        assert_eq!((e.line, e.column), (3, 4));
        let e = parse("Gemfile.lock", "{\"not\": \"a lockfile\"}\n", "a").expect_err("json");
        assert!(e.message.contains("not a Gemfile.lock"), "{e}");
    }
}
