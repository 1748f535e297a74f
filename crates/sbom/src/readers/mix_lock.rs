//! `mix.lock` (Elixir's Mix): one Elixir map literal from a dependency's app name to a tuple, read
//! with a small tolerant reader for Elixir terms (maps, tuples, lists, keywords, strings, atoms,
//! numbers; `#` comments).
//!
//! - `{:hex, :package, "version", "inner", [:mix], [deps], "repo", "outer"}` (older lockfiles end
//!   earlier): a Hex package. The outer checksum is the SHA-256 of the whole package tarball
//!   (hexpm/specifications, `package_tarball.md`) and becomes the hash; the deprecated inner
//!   checksum (over the tarball's parts) is kept as the property `hex-inner-checksum`. A repository
//!   other than `hexpm` is the property `repo`; an organisation's repository on hex.pm
//!   (`hexpm:acme`) is also the purl namespace (`pkg:hex/acme/private_lib@0.2.0`, as the purl
//!   spec's `hex` type says). Each dependency
//!   `{:app, "requirement", [hex: :package, optional: bool, ...]}` is an edge to that app's entry.
//! - `{:git, "url", "revision", opts}`: a Git dependency, with no version; the properties `git`,
//!   `git-revision` and, from `opts`, `git-ref` (`branch`, `tag` or `ref`).
//!
//! The root is `app:` and `version:` of the `mix.exs` beside the lockfile; the tuples of its
//! `deps` list are the direct dependencies, dev-only when their `only:` leaves out `:prod`.
//! Without a readable `mix.exs` the root is named after the directory and the packages no other
//! package depends on count as direct.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Component, Ecosystem, Hash, HashAlg, InputError, Lockfile, Scope};

/// `mix.lock`.
pub const READER: super::Reader = super::Reader {
    format: "mix.lock",
    matches: |name| name == "mix.lock",
    parse: |input| {
        let manifest = input.sibling("mix.exs");
        parse(input.rel, input.text, manifest.as_deref(), input.dir_name)
    },
};

/// An Elixir term; keyword pairs (`key: value`) are two-element tuples with an atom first.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Str(String),
    Atom(String),
    /// Numbers, `true`/`false`/`nil` and other bare words, as written.
    Word(String),
    Tuple(Vec<Term>),
    List(Vec<Term>),
    Map(Vec<(Term, Term)>),
}

impl Term {
    fn str(&self) -> Option<&str> {
        match self {
            Term::Str(s) => Some(s),
            _ => None,
        }
    }

    fn atom(&self) -> Option<&str> {
        match self {
            Term::Atom(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a keyword list.
    fn keyword(&self, key: &str) -> Option<&Term> {
        let Term::List(items) = self else {
            return None;
        };
        items.iter().find_map(|i| match i {
            Term::Tuple(kv) => match kv.as_slice() {
                [Term::Atom(k), v] if k == key => Some(v),
                _ => None,
            },
            _ => None,
        })
    }
}

/// A recursive-descent reader over the bytes of Elixir term text.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

/// Deeper nesting than any lockfile needs is refused rather than overflowing the stack.
const MAX_DEPTH: usize = 64;

type Failure = (usize, String);

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn at(&self, offset: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + offset).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else if b == b'#' {
                while let Some(c) = self.peek() {
                    if c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn fail<T>(&self, msg: impl Into<String>) -> Result<T, Failure> {
        Err((self.pos, msg.into()))
    }

    fn expect(&mut self, b: u8) -> Result<(), Failure> {
        self.skip_space();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            self.fail(format!("expected `{}`", b as char))
        }
    }

    fn is_word_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'?' | b'!' | b'@' | b'-' | b'+')
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(Self::is_word_byte) {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or("").to_string()
    }

    fn string(&mut self) -> Result<String, Failure> {
        let start = self.pos;
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            let Some(rest) = self.text.get(self.pos..) else {
                return Err((start, "unterminated string".into()));
            };
            let mut chars = rest.chars();
            match chars.next() {
                None => return Err((start, "unterminated string".into())),
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    let escaped = chars.next().ok_or((start, "unterminated string".into()))?;
                    out.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        c => c,
                    });
                    self.pos += 1 + escaped.len_utf8();
                }
                Some(c) => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// Items up to `close`, each a term or a `key: value` / `"key": value` / `k => v` pair.
    fn items(&mut self, close: u8) -> Result<Vec<(Term, Option<Term>)>, Failure> {
        let mut out = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(out);
            }
            let item = self.item()?;
            out.push(item);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {}
                None => return self.fail(format!("expected `{}`", close as char)),
                Some(_) => return self.fail(format!("expected `,` or `{}`", close as char)),
            }
        }
    }

    /// A term, or a key with its value.
    fn item(&mut self) -> Result<(Term, Option<Term>), Failure> {
        self.skip_space();
        // `key: value` with a bare key.
        if self
            .peek()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        {
            let save = self.pos;
            let w = self.word();
            if self.peek() == Some(b':') && self.at(1).is_some_and(|b| b.is_ascii_whitespace()) {
                self.pos += 1;
                let v = self.term()?;
                return Ok((Term::Atom(w), Some(v)));
            }
            self.pos = save;
        }
        let t = self.term()?;
        // `"key": value`.
        if matches!(t, Term::Str(_))
            && self.peek() == Some(b':')
            && self.at(1).is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
            let v = self.term()?;
            let Term::Str(k) = t else {
                return self.fail("expected a key");
            };
            return Ok((Term::Atom(k), Some(v)));
        }
        self.skip_space();
        if self.peek() == Some(b'=') && self.at(1) == Some(b'>') {
            self.pos += 2;
            let v = self.term()?;
            return Ok((t, Some(v)));
        }
        Ok((t, None))
    }

    fn term(&mut self) -> Result<Term, Failure> {
        self.skip_space();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("nested too deeply");
        }
        let t = match self.peek() {
            Some(b'%') => {
                self.pos += 1;
                self.expect(b'{')?;
                let items = self.items(b'}')?;
                Term::Map(
                    items
                        .into_iter()
                        .map(|(k, v)| (k, v.unwrap_or(Term::Word("nil".into()))))
                        .collect(),
                )
            }
            Some(open @ (b'{' | b'[')) => {
                self.pos += 1;
                let close = if open == b'{' { b'}' } else { b']' };
                let items = self
                    .items(close)?
                    .into_iter()
                    .map(|(k, v)| match v {
                        Some(v) => Term::Tuple(vec![k, v]),
                        None => k,
                    })
                    .collect();
                if open == b'{' {
                    Term::Tuple(items)
                } else {
                    Term::List(items)
                }
            }
            Some(b'"') => Term::Str(self.string()?),
            Some(b':') => {
                self.pos += 1;
                if self.peek() == Some(b'"') {
                    Term::Atom(self.string()?)
                } else {
                    let w = self.word();
                    if w.is_empty() {
                        return self.fail("expected an atom after `:`");
                    }
                    Term::Atom(w)
                }
            }
            Some(b) if Self::is_word_byte(b) => Term::Word(self.word()),
            Some(_) => return self.fail("unexpected character"),
            None => return self.fail("unexpected end of file"),
        };
        self.depth -= 1;
        Ok(t)
    }
}

/// Parse one term from the whole text (trailing space and comments allowed).
fn read_term(text: &str) -> Result<Term, Failure> {
    let mut r = Reader {
        text,
        pos: 0,
        depth: 0,
    };
    let t = r.term()?;
    r.skip_space();
    if r.peek().is_some() {
        return r.fail("unexpected text after the lockfile's map");
    }
    Ok(t)
}

/// What `mix.exs` says: app, version, and the deps list (app -> dev only).
struct MixExs {
    app: Option<String>,
    version: Option<String>,
    deps: Option<BTreeMap<String, bool>>,
}

/// The term starting at the first `[` after `from` in `text`, when it reads as one.
fn list_after(text: &str, from: usize) -> Option<Term> {
    let start = from + text.get(from..)?.find('[')?;
    let mut r = Reader {
        text,
        pos: start,
        depth: 0,
    };
    r.term().ok()
}

fn read_mix_exs(text: &str) -> MixExs {
    let after = |key: &str| -> Option<Term> {
        let i = text.find(key)? + key.len();
        let mut r = Reader {
            text,
            pos: i,
            depth: 0,
        };
        r.term().ok()
    };
    let app = after("app:").and_then(|t| t.atom().map(String::from));
    // `version: "1.0.0"`, or `version: @version` with `@version "1.0.0"` above.
    let version = after("version:").and_then(|t| match t {
        Term::Str(s) => Some(s),
        Term::Word(w) if w.starts_with('@') => {
            after(&format!("{w} ")).and_then(|t| t.str().map(String::from))
        }
        _ => None,
    });
    let deps = ["defp deps do", "def deps do", "defp deps,", "defp deps()"]
        .iter()
        .find_map(|k| text.find(k).map(|i| i + k.len()))
        .and_then(|i| list_after(text, i))
        .and_then(|t| match t {
            Term::List(items) => Some(items),
            _ => None,
        })
        .map(|items| {
            items
                .iter()
                .filter_map(|d| {
                    let Term::Tuple(parts) = d else {
                        return None;
                    };
                    let name = parts.first()?.atom()?.to_string();
                    let only = parts.iter().find_map(|p| match p {
                        Term::Tuple(kv) => match kv.as_slice() {
                            [Term::Atom(k), v] if k == "only" => Some(v.clone()),
                            _ => None,
                        },
                        Term::List(_) => p.keyword("only").cloned(),
                        _ => None,
                    });
                    let dev = match only {
                        Some(Term::Atom(env)) => env != "prod",
                        Some(Term::List(envs)) => !envs.iter().any(|e| e.atom() == Some("prod")),
                        _ => false,
                    };
                    Some((name, dev))
                })
                .collect()
        });
    MixExs { app, version, deps }
}

/// Parse `mix.lock` text; `manifest` is the `mix.exs` beside it, if any.
pub fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
    dir_name: &str,
) -> Result<Lockfile, InputError> {
    let term = read_term(text).map_err(|(at, msg)| InputError::at(file, text, at, msg))?;
    let Term::Map(entries) = term else {
        return Err(InputError::at(file, text, 0, "expected a map `%{...}`"));
    };
    let mut comps: BTreeMap<String, Component> = BTreeMap::new();
    // app -> the apps it depends on.
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in &entries {
        let app = match key {
            Term::Atom(a) | Term::Str(a) => a.clone(),
            _ => continue,
        };
        let Term::Tuple(parts) = value else {
            continue;
        };
        let kind = parts.first().and_then(Term::atom);
        let c = match kind {
            Some("hex") => {
                let package = parts.get(1).and_then(Term::atom).unwrap_or(&app);
                let version = parts.get(2).and_then(Term::str).unwrap_or("");
                let mut c = Component::new(Ecosystem::Hex, package, version, file);
                if let Some(inner) = parts.get(3).and_then(Term::str) {
                    c = c.property("hex-inner-checksum", inner.to_ascii_lowercase());
                }
                if let Some(repo) = parts.get(6).and_then(Term::str) {
                    if repo != "hexpm" {
                        c = c.property("repo", repo);
                    }
                    // An organisation's private repository on hex.pm: the purl namespace (purl
                    // spec, `hex` type).
                    if let Some(org) = repo.strip_prefix("hexpm:").filter(|o| !o.is_empty()) {
                        c.purl = crate::purl::build("hex", Some(org), package, version, &[]);
                    }
                }
                if let Some(outer) = parts.get(7).and_then(Term::str) {
                    if outer.len() == 64 && outer.bytes().all(|b| b.is_ascii_hexdigit()) {
                        c.hashes.insert(Hash {
                            alg: HashAlg::Sha256,
                            hex: outer.to_ascii_lowercase(),
                        });
                    }
                }
                if let Some(Term::List(ds)) = parts.get(5) {
                    let names = ds
                        .iter()
                        .filter_map(|d| match d {
                            Term::Tuple(t) => t.first().and_then(Term::atom).map(String::from),
                            _ => None,
                        })
                        .collect();
                    deps.insert(app.clone(), names);
                }
                c
            }
            Some("git") => {
                let mut c = Component::new(Ecosystem::Hex, &app, "", file);
                if let Some(url) = parts.get(1).and_then(Term::str) {
                    c = c.property("git", url);
                }
                if let Some(rev) = parts.get(2).and_then(Term::str) {
                    c = c.property("git-revision", rev);
                }
                if let Some(opts) = parts.get(3) {
                    if let Some(r) = ["branch", "tag", "ref"]
                        .iter()
                        .find_map(|k| opts.keyword(k).and_then(Term::str))
                    {
                        c = c.property("git-ref", r);
                    }
                }
                c
            }
            // Not a package source this reader knows: keep the app, say what it was.
            other => Component::new(Ecosystem::Hex, &app, "", file)
                .property("source", other.unwrap_or("unknown")),
        };
        comps.insert(app, c);
    }

    let mix = manifest.map(read_mix_exs);
    let direct: BTreeMap<String, bool> = match mix.as_ref().and_then(|m| m.deps.clone()) {
        Some(d) => d,
        None => {
            let required: BTreeSet<&String> = deps.values().flatten().collect();
            comps
                .keys()
                .filter(|a| !required.contains(a))
                .map(|a| (a.clone(), false))
                .collect()
        }
    };
    // Dev-only: reachable only through dev-only direct dependencies.
    let reach = |starts: &mut dyn Iterator<Item = &String>| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = starts.cloned().collect();
        while let Some(a) = todo.pop() {
            if seen.insert(a.clone()) {
                todo.extend(deps.get(&a).into_iter().flatten().cloned());
            }
        }
        seen
    };
    let runtime = reach(&mut direct.iter().filter(|(_, dev)| !**dev).map(|(a, _)| a));
    let dev_reach = reach(&mut direct.iter().filter(|(_, dev)| **dev).map(|(a, _)| a));
    for (app, c) in &mut comps {
        if direct.contains_key(app) {
            c.scope = Scope::Direct;
        }
        c.dev = dev_reach.contains(app) && !runtime.contains(app);
    }

    let purl = |a: &String| comps.get(a).map(|c| c.purl.clone());
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (app, c) in &comps {
        let to = deps
            .get(app)
            .into_iter()
            .flatten()
            .filter_map(purl)
            .collect();
        edges.insert(c.purl.clone(), to);
    }
    let name = mix
        .as_ref()
        .and_then(|m| m.app.clone())
        .unwrap_or_else(|| dir_name.to_string());
    let version = mix
        .as_ref()
        .and_then(|m| m.version.clone())
        .unwrap_or_default();
    let mut root = Component::new(Ecosystem::Hex, &name, &version, file);
    root.scope = Scope::Direct;
    edges.insert(root.purl.clone(), direct.keys().filter_map(purl).collect());
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components: comps.into_values().collect(),
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"%{
  "decimal": {:hex, :decimal, "2.1.1", "5611dca5d4b2c3dd497dec8f68751f1f1a54755e8ed2a966c2633cf885973ad6", [:mix], [], "hexpm", "53cfe5f497ed0e7771ae1a475575603d77425099ba5faef9394932b35020ffcc"},
  "ecto": {:hex, :ecto, "3.11.1", "4b4972b717e7ca83d30121b12998f5fcdc62ba0ed4f20fd390f16f3270d85c3e", [:mix], [{:decimal, "~> 2.0", [hex: :decimal, repo: "hexpm", optional: false]}, {:jason, "~> 1.0", [hex: :jason, repo: "hexpm", optional: true]}, {:telemetry, "~> 0.4 or ~> 1.0", [hex: :telemetry, repo: "hexpm", optional: false]}], "hexpm", "ebd3d3772cd0dfcd8d772659e41ed527c28b2a8bde4b00fe03e0463da0f1983b"},
  "jason": {:hex, :jason, "1.4.1", "af1504e35f629ddcdd6addb3513c3853991f694921b1b9368b0bd32beb9f1b63", [:mix], [{:decimal, "~> 1.0 or ~> 2.0", [hex: :decimal, repo: "hexpm", optional: true]}], "hexpm", "fbb01ecdfd565b56261302f7e1fcc27c4fb8f32d56eab74db621fc154604a7a1"},
  "telemetry": {:hex, :telemetry, "1.2.1", "68fdfe8d8f05a8428483a97d7aab2f268aaff24b49e0f599faa091f1d4e7f61c", [:rebar3], [], "hexpm", "dad9ce9d8effc621708f99eac538ef1cbe05d6a874dd741de2e689c47feafed5"},
  # an old-style entry without outer checksum
  "old": {:hex, :old_pkg, "0.1.0", "ABCDEF", [:mix], []},
  "credo": {:hex, :credo, "1.7.5", "643213503b1c766ec0496d828c90c424471ea54da77c8a168c725686377b9545", [:mix], [{:bunt, "~> 0.2.1 or ~> 1.0", [hex: :bunt, repo: "hexpm", optional: false]}], "hexpm", "f799e9b5cd1891577d8c773d245668aa74a2fcd15eb277f51a0131690ebfb3fd"},
  "bunt": {:hex, :bunt, "1.0.0", "081c2c665f086849e6d57900292b3a161727ab40431219529f13c4ddcf3e7a44", [:mix], [], "hexpm", "dc5f86aa08a5f6fa6b8096f0735c4e76d54ae5c9fa2c143e5a1fc7c1cd9bb6b5"},
  "private_lib": {:hex, :private_lib, "0.2.0", "00", [:mix], [], "hexpm:acme", "1111111111111111111111111111111111111111111111111111111111111111"},
  "my_fork": {:git, "https://github.com/acme/my_fork.git", "0d3aa1f2ea57b1da6c2e2a7d1f3b2f6c6b3d1c9e", [branch: "main"]},
}
"#;

    const MIX_EXS: &str = r#"defmodule Shop.MixProject do
  use Mix.Project

  @version "0.4.2"

  def project do
    [app: :shop, version: @version, deps: deps()]
  end

  # Run "mix help deps" to learn about dependencies.
  defp deps do
    [
      {:ecto, "~> 3.11"},
      {:private_lib, "~> 0.2", organization: "acme"},
      {:my_fork, git: "https://github.com/acme/my_fork.git", branch: "main"},
      {:credo, "~> 1.7", only: [:dev, :test], runtime: false},
      {:old, "~> 0.1", hex: :old_pkg}
    ]
  end
end
"#;

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn hex_and_git_dependencies() {
        let l = parse("mix.lock", LOCK, Some(MIX_EXS), "d").expect("parses");
        assert_eq!(l.root.purl, "pkg:hex/shop@0.4.2");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:hex/acme/private_lib@0.2.0",
                "pkg:hex/bunt@1.0.0",
                "pkg:hex/credo@1.7.5",
                "pkg:hex/decimal@2.1.1",
                "pkg:hex/ecto@3.11.1",
                "pkg:hex/jason@1.4.1",
                "pkg:hex/my_fork",
                "pkg:hex/old_pkg@0.1.0",
                "pkg:hex/telemetry@1.2.1",
            ]
        );
        let ecto = by["pkg:hex/ecto@3.11.1"];
        assert_eq!(ecto.scope, Scope::Direct);
        let h = ecto.hashes.iter().next().expect("outer checksum");
        assert_eq!((h.alg, &h.hex[..8]), (HashAlg::Sha256, "ebd3d377"));
        assert_eq!(ecto.properties["hex-inner-checksum"].len(), 64);
        assert_eq!(
            l.edges["pkg:hex/ecto@3.11.1"],
            BTreeSet::from([
                "pkg:hex/decimal@2.1.1".to_string(),
                "pkg:hex/jason@1.4.1".to_string(),
                "pkg:hex/telemetry@1.2.1".to_string(),
            ])
        );
        let git = by["pkg:hex/my_fork"];
        assert_eq!(git.properties["git"], "https://github.com/acme/my_fork.git");
        assert_eq!(git.properties["git-revision"].len(), 40);
        assert_eq!(git.properties["git-ref"], "main");
        assert_eq!(git.scope, Scope::Direct);
        assert!(by["pkg:hex/old_pkg@0.1.0"].hashes.is_empty());
        assert_eq!(
            by["pkg:hex/acme/private_lib@0.2.0"].properties["repo"],
            "hexpm:acme"
        );
        // Dev-only: credo (only: [:dev, :test]) and what only it needs.
        assert!(by["pkg:hex/credo@1.7.5"].dev);
        assert!(by["pkg:hex/bunt@1.0.0"].dev);
        assert_eq!(by["pkg:hex/bunt@1.0.0"].scope, Scope::Transitive);
        assert!(!by["pkg:hex/decimal@2.1.1"].dev);
        assert_eq!(l.edges["pkg:hex/shop@0.4.2"].len(), 5);
    }

    #[test]
    fn without_mix_exs_roots_of_the_graph_are_direct() {
        let l = parse("mix.lock", LOCK, None, "proj").expect("parses");
        assert_eq!(l.root.purl, "pkg:hex/proj");
        let by = by_purl(&l);
        assert_eq!(by["pkg:hex/ecto@3.11.1"].scope, Scope::Direct);
        assert_eq!(by["pkg:hex/decimal@2.1.1"].scope, Scope::Transitive);
        assert!(by.values().all(|c| !c.dev));
    }

    #[test]
    fn arrow_keys_and_quoted_atoms() {
        let l = parse(
            "mix.lock",
            "%{\"a\" => {:hex, :\"a\", \"1.0.0\", \"x\", [:mix], []}}",
            None,
            "p",
        )
        .expect("parses");
        assert_eq!(
            l.components.first().map(|c| c.purl.as_str()),
            Some("pkg:hex/a@1.0.0")
        );
    }

    #[test]
    fn malformed_mix_lock_names_the_position() {
        let e = parse(
            "app/mix.lock",
            "%{\n  \"a\": {:hex, :a, \"1.0.0\", \"x\", [:mix], []},\n  \"b\": {:hex, :b \"2.0\"}\n}\n",
            None,
            "app",
        )
        .expect_err("missing comma");
        assert_eq!((e.file.as_str(), e.line, e.column), ("app/mix.lock", 3, 18));
        let e = parse("mix.lock", "%{\"a\": {:hex, :a, \"1.0", None, "p").expect_err("truncated");
        assert_eq!((e.line, e.column), (1, 19));
        let e = parse("mix.lock", "[1, 2]", None, "p").expect_err("not a map");
        assert!(e.message.contains("map"), "{e}");
        let deep = "[".repeat(10_000);
        assert!(parse("mix.lock", &deep, None, "p").is_err());
    }
}
