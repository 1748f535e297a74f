//! `yarn.lock`, both formats:
//!
//! - classic (yarn 1): yarn's own indentation syntax. Each entry is headed by the descriptors it
//!   satisfies (`"a@^1", a@^1.1:`) and holds `version`, `resolved` (a tarball URL whose `#` fragment
//!   is the tarball's SHA-1), `integrity` (Subresource Integrity) and `dependencies` /
//!   `optionalDependencies` (name and range; `name@range` is the key of the entry it resolves to).
//!   The lockfile does not list the project nor its workspaces: the direct dependencies and the
//!   workspaces come from the `package.json` beside it (`workspaces` globs of the form `dir/*` or
//!   plain paths).
//! - berry (yarn 2 and later): YAML with `__metadata`; keys are descriptor lists
//!   (`"ms@npm:^2.1.3, ms@npm:^2.1.1"`), entries have `version`, `resolution` (the locator),
//!   `dependencies` (name -> range, the descriptor being `name@range`), `dependenciesMeta`
//!   (`optional`) and `checksum`. Workspaces are entries with a `workspace:` resolution
//!   (`linkType: soft`); their `dependencies` merge dev dependencies in, so the workspace's
//!   `package.json` says which are dev. `patch:` resolutions are the patched package's own name and
//!   version (a `yarn-patch` property names the patch). A patched and an unpatched build of one
//!   version share a purl: `yarn-patch` is set only when every dependent in the lockfile uses the
//!   patched build; when some use the original, the property is `yarn-patch-partial` instead.
//!   Parameters after `::` in a resolution (`::__archiveUrl=` of a private registry, `::locator=`
//!   of a relative `file:` path, `::version=&hash=` of a patch) are not part of the version; an
//!   archive URL is kept (decoded) as the `url` property. A workspace path leaving the lockfile's
//!   directory is an error (its `package.json` is never read). `checksum` is the SHA-512 of yarn's cache
//!   zip (checked against `.yarn/cache`: not the registry tarball's digest), so it is kept as the
//!   `yarn-checksum` property, never as a hash of the package. Peer dependencies are not resolved
//!   in the lockfile and give no edges.
//!
//! Dev and optional are computed on the graph: a package is dev when every path from the project
//! goes through a `devDependencies` entry of the root or of a workspace, optional when every path
//! goes through an optional dependency.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Deserialize;

use super::Input;
use crate::{Component, Ecosystem, Hash, HashAlg, InputError, Lockfile, Scope};

/// `yarn.lock`.
pub const READER: super::Reader = super::Reader {
    format: "yarn.lock",
    matches: |name| name == "yarn.lock",
    parse,
};

/// Read a `yarn.lock`, classic or berry (recognised by its `__metadata` entry).
pub fn parse(input: &Input<'_>) -> Result<Lockfile, InputError> {
    let manifest = input
        .sibling("package.json")
        .and_then(|t| Manifest::parse(&t));
    let berry = input
        .text
        .lines()
        .any(|l| l.trim_end() == "__metadata:" || l.starts_with("__metadata:"));
    if berry {
        parse_berry(input, manifest)
    } else {
        let workspaces = match &manifest {
            Some(m) => classic_workspaces(input, m),
            None => Vec::new(),
        };
        parse_classic(input, manifest, workspaces)
    }
}

// ---------------------------------------------------------------------------------------------
// Shared with pnpm.rs: manifests, lenient YAML scalars, and the graph that computes scope, dev
// and optional.

/// The parts of a `package.json` the JavaScript readers use.
#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Manifest {
    pub name: Option<String>,
    pub version: Option<String>,
    #[serde(default)]
    pub dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub dev_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub optional_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub workspaces: Option<serde_json::Value>,
    /// Yarn's forced resolutions (`"ms@npm:^2.1.3": "patch:..."`, `"debug/ms": "2.1.2"`).
    #[serde(default)]
    pub resolutions: BTreeMap<String, String>,
}

impl Manifest {
    /// A `package.json`, or `None` when it is not valid JSON of that shape.
    pub fn parse(text: &str) -> Option<Manifest> {
        serde_json::from_str(text).ok()
    }

    /// The kind of the dependency `name` declares (optional wins over prod; dev only when
    /// declared nowhere else).
    pub fn kind_of(&self, name: &str) -> Kind {
        if self.optional_dependencies.contains_key(name) {
            Kind::Optional
        } else if self.dependencies.contains_key(name) {
            Kind::Prod
        } else if self.dev_dependencies.contains_key(name) {
            Kind::Dev
        } else {
            Kind::Prod
        }
    }

    /// Every declared dependency with its range and kind.
    pub fn all_deps(&self) -> Vec<(&str, &str, Kind)> {
        let mut out: BTreeMap<&str, (&str, Kind)> = BTreeMap::new();
        for (n, r) in &self.dev_dependencies {
            out.insert(n, (r, Kind::Dev));
        }
        for (n, r) in &self.dependencies {
            out.insert(n, (r, Kind::Prod));
        }
        for (n, r) in &self.optional_dependencies {
            out.insert(n, (r, Kind::Optional));
        }
        out.into_iter().map(|(n, (r, k))| (n, r, k)).collect()
    }
}

/// How a dependency is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Prod,
    Dev,
    Optional,
}

/// A YAML scalar read as text whatever its type (`lockfileVersion: 5.4`, `version: 10`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lenient(pub String);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Lenient, E> {
                Ok(Lenient(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A YAML lockfile's text deserialised with serde-saphyr; errors carry the file, line and column.
/// The budget is raised from the defaults (sized for configuration files) to what lockfiles of
/// tens of MiB need; nesting stays capped.
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(
    input: &Input<'_>,
) -> Result<T, InputError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: 100_000_000,
            max_nodes: 50_000_000,
            max_depth: 64,
        },
    };
    serde_saphyr::from_str_with_options(input.text, options).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        // The message without the location and snippet serde-saphyr may append.
        let message = e.to_string();
        let message = strip_location(message.lines().next().unwrap_or("invalid YAML"));
        InputError {
            file: input.rel.to_string(),
            line: line.max(1),
            column: column.max(1),
            message,
        }
    })
}

/// serde-saphyr's `error: line 4 column 17: unclosed bracket` without what `InputError` says.
fn strip_location(message: &str) -> String {
    let m = message.strip_prefix("error: ").unwrap_or(message);
    let rest = m.strip_prefix("line ").and_then(|r| {
        let (_, after) = r.split_once(" column ")?;
        let (_, text) = after.split_once(": ")?;
        Some(text)
    });
    rest.unwrap_or(m).to_string()
}

/// The component graph of a JavaScript lockfile, before scopes and flags are computed.
pub(crate) struct Graph {
    file: String,
    root: Component,
    components: BTreeMap<String, Component>,
    edges: BTreeMap<String, BTreeSet<(String, Kind)>>,
    workspaces: BTreeSet<String>,
}

impl Graph {
    pub fn new(file: &str, mut root: Component) -> Graph {
        root.scope = Scope::Direct;
        Graph {
            file: file.to_string(),
            root,
            components: BTreeMap::new(),
            edges: BTreeMap::new(),
            workspaces: BTreeSet::new(),
        }
    }

    pub fn root_ref(&self) -> String {
        self.root.purl.clone()
    }

    /// A component added before, to adjust.
    pub fn component_mut(&mut self, r: &str) -> Option<&mut Component> {
        self.components.get_mut(r)
    }

    /// Add a component (a second sighting of the same purl is merged in); its bom-ref.
    pub fn add(&mut self, c: Component) -> String {
        let r = c.purl.clone();
        if r == self.root.purl {
            return r;
        }
        match self.components.get_mut(&r) {
            Some(old) => {
                old.hashes.extend(c.hashes);
                old.licenses.extend(c.licenses);
                for (k, v) in c.properties {
                    old.properties.entry(k).or_insert(v);
                }
            }
            None => {
                self.components.insert(r.clone(), c);
            }
        }
        r
    }

    /// Add a workspace package: a component the root depends on, itself a starting point.
    pub fn add_workspace(&mut self, c: Component) -> String {
        let r = self.add(c);
        if r != self.root.purl {
            self.workspaces.insert(r.clone());
            let root = self.root.purl.clone();
            self.edge(&root, &r, Kind::Prod);
        }
        r
    }

    pub fn edge(&mut self, from: &str, to: &str, kind: Kind) {
        if from != to {
            self.edges
                .entry(from.to_string())
                .or_default()
                .insert((to.to_string(), kind));
        }
    }

    /// Direct: the workspaces and what the root or a workspace asks for. Dev: reachable, but not
    /// without a dev edge of the root or a workspace. Optional: reachable, but not without an
    /// optional edge.
    pub fn finish(self) -> Lockfile {
        let Graph {
            file,
            root,
            mut components,
            edges,
            workspaces,
        } = self;
        let starts: Vec<&str> = std::iter::once(root.purl.as_str())
            .chain(workspaces.iter().map(String::as_str))
            .collect();
        let is_start = |r: &str| r == root.purl || workspaces.contains(r);
        let reach = |follow: &dyn Fn(&str, Kind) -> bool| -> BTreeSet<String> {
            let mut seen: BTreeSet<String> = starts.iter().map(|s| s.to_string()).collect();
            let mut queue: VecDeque<String> = seen.iter().cloned().collect();
            while let Some(from) = queue.pop_front() {
                for (to, kind) in edges.get(&from).into_iter().flatten() {
                    if follow(&from, *kind) && seen.insert(to.clone()) {
                        queue.push_back(to.clone());
                    }
                }
            }
            seen
        };
        let reachable = reach(&|_, _| true);
        let not_dev = reach(&|from, k| !(k == Kind::Dev && is_start(from)));
        let required = reach(&|_, k| k != Kind::Optional);
        let mut direct: BTreeSet<&str> = workspaces.iter().map(String::as_str).collect();
        for s in &starts {
            direct.extend(edges.get(*s).into_iter().flatten().map(|(t, _)| t.as_str()));
        }
        for (r, c) in components.iter_mut() {
            if direct.contains(r.as_str()) {
                c.scope = Scope::Direct;
            }
            c.dev = reachable.contains(r) && !not_dev.contains(r);
            c.optional = reachable.contains(r) && !required.contains(r);
        }
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        out.entry(root.purl.clone()).or_default();
        for (from, to) in edges {
            out.entry(from)
                .or_default()
                .extend(to.into_iter().map(|(t, _)| t));
        }
        Lockfile {
            path: file,
            root,
            components: components.into_values().collect(),
            edges: out,
        }
    }
}

/// `name@range` split at the `@` that ends the name (a scope's leading `@` is part of it).
pub(crate) fn split_descriptor(d: &str) -> (&str, &str) {
    match d.get(1..).and_then(|rest| rest.find('@')) {
        Some(i) => (&d[..i + 1], &d[i + 2..]),
        None => (d, ""),
    }
}

/// The root component from the manifest (name, version), else the directory's name.
pub(crate) fn root_component(manifest: Option<&Manifest>, dir_name: &str, file: &str) -> Component {
    let name = manifest
        .and_then(|m| m.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| dir_name.to_string());
    let version = manifest.and_then(|m| m.version.clone()).unwrap_or_default();
    Component::new(Ecosystem::Npm, &name, &version, file)
}

/// `path` (relative to the lockfile's directory) with `.` and `..` resolved, or `None` when it is
/// absolute or leaves that directory.
pub(crate) fn contained_path(path: &str) -> Option<String> {
    let absolute = path.starts_with(['/', '\\']) || path.get(1..2) == Some(":");
    if absolute || path.starts_with('~') {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(if out.is_empty() {
        ".".to_string()
    } else {
        out.join("/")
    })
}

/// A workspace package from its `package.json` (`dir` relative to the lockfile); `name` (or the
/// folder's name) when it has none. An error message when `dir` leaves the lockfile's directory:
/// nothing outside it is read.
pub(crate) fn workspace_component(
    input: &Input<'_>,
    dir: &str,
    name: Option<&str>,
) -> Result<(Component, Option<Manifest>), String> {
    if contained_path(dir).is_none() {
        return Err(format!(
            "workspace `{dir}` is outside the lockfile's directory; chainproof reads nothing there"
        ));
    }
    let manifest = input
        .sibling(&format!("{dir}/package.json"))
        .and_then(|t| Manifest::parse(&t));
    let fallback = name.unwrap_or_else(|| dir.rsplit('/').next().unwrap_or(dir));
    let name = manifest
        .as_ref()
        .and_then(|m| m.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| fallback.to_string());
    let version = manifest
        .as_ref()
        .and_then(|m| m.version.clone())
        .unwrap_or_default();
    let c = Component::new(Ecosystem::Npm, &name, &version, input.rel)
        .property("workspace", dir.to_string());
    Ok((c, manifest))
}

/// Whether a range names something other than a registry version (a URL, a path, git, a GitHub
/// shorthand): such packages get a `url` property.
fn is_non_registry(range: &str) -> bool {
    range.contains(':') || range.contains('/') || range.starts_with('.')
}

// ---------------------------------------------------------------------------------------------
// Classic.

/// A node of yarn's classic syntax: `key value` or `key:` followed by more indented nodes.
#[derive(Debug)]
struct Node {
    /// A header's comma-separated keys; one key otherwise.
    keys: Vec<String>,
    at: usize,
    value: Value,
}

#[derive(Debug)]
enum Value {
    Scalar(String),
    Map(Vec<Node>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Value> {
        match &self.value {
            Value::Map(children) => children
                .iter()
                .find(|c| c.keys.iter().any(|k| k == key))
                .map(|c| &c.value),
            Value::Scalar(_) => None,
        }
    }

    fn scalar(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Scalar(s) => Some(s),
            Value::Map(_) => None,
        }
    }

    /// A `dependencies`-like block as (name, range) pairs.
    fn pairs(&self, key: &str) -> Vec<(&str, &str)> {
        match self.get(key) {
            Some(Value::Map(children)) => children
                .iter()
                .filter_map(|c| match (&c.value, c.keys.first()) {
                    (Value::Scalar(v), Some(k)) => Some((k.as_str(), v.as_str())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The deepest nesting the classic syntax needs is 3 (entry, `dependencies`, a dependency).
const MAX_CLASSIC_DEPTH: usize = 8;

/// Parse the classic syntax into nodes; errors carry a byte offset.
fn classic_nodes(text: &str) -> Result<Vec<Node>, (usize, String)> {
    struct Frame {
        indent: usize,
        keys: Vec<String>,
        at: usize,
        child_indent: Option<usize>,
        children: Vec<Node>,
    }
    fn close(stack: &mut Vec<Frame>) {
        if stack.len() < 2 {
            return;
        }
        if let Some(f) = stack.pop() {
            let node = Node {
                keys: f.keys,
                at: f.at,
                value: Value::Map(f.children),
            };
            if let Some(parent) = stack.last_mut() {
                parent.children.push(node);
            }
        }
    }
    let mut stack = vec![Frame {
        indent: 0,
        keys: Vec::new(),
        at: 0,
        child_indent: Some(0),
        children: Vec::new(),
    }];
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if body.starts_with('\t') {
            return Err((start + indent, "tab in indentation".into()));
        }
        while stack.len() > 1 && stack.last().is_some_and(|f| indent <= f.indent) {
            close(&mut stack);
        }
        let Some(top) = stack.last_mut() else {
            return Err((start, "internal: empty stack".into()));
        };
        match top.child_indent {
            None => top.child_indent = Some(indent),
            Some(i) if i != indent => {
                return Err((
                    start + indent,
                    format!("unexpected indentation ({indent} spaces, expected {i})"),
                ));
            }
            Some(_) => {}
        }
        let at = start + indent;
        let tokens = tokenize(body).map_err(|(o, m)| (at + o, m))?;
        if let Some(Token::Colon) = tokens.last() {
            // `key:` or `"a", b:` opens a block.
            let mut keys = Vec::new();
            for (i, t) in tokens[..tokens.len() - 1].iter().enumerate() {
                match (i % 2, t) {
                    (0, Token::Word(w)) => keys.push(w.clone()),
                    (1, Token::Comma) => {}
                    _ => return Err((at, "expected a key list ending in `:`".into())),
                }
            }
            if keys.is_empty() {
                return Err((at, "expected a key before `:`".into()));
            }
            if stack.len() > MAX_CLASSIC_DEPTH {
                return Err((at, "nested too deeply".into()));
            }
            stack.push(Frame {
                indent,
                keys,
                at,
                child_indent: None,
                children: Vec::new(),
            });
        } else {
            match tokens.as_slice() {
                [Token::Word(k), Token::Word(v)]
                | [Token::Word(k), Token::Colon, Token::Word(v)] => {
                    top.children.push(Node {
                        keys: vec![k.clone()],
                        at,
                        value: Value::Scalar(v.clone()),
                    });
                }
                _ => return Err((at, "expected `key value` or `key:`".into())),
            }
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    Ok(stack.pop().map(|f| f.children).unwrap_or_default())
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Colon,
    Comma,
}

/// One line's tokens: double-quoted strings (JSON escapes), bare words, `:` and `,`.
fn tokenize(line: &str) -> Result<Vec<Token>, (usize, String)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' => i += 1,
            b',' => {
                out.push(Token::Comma);
                i += 1;
            }
            b':' if bytes.get(i + 1).is_none_or(|b| *b == b' ') => {
                out.push(Token::Colon);
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                loop {
                    match bytes.get(j) {
                        None => return Err((i, "unterminated string".into())),
                        Some(b'\\') => j += 2,
                        Some(b'"') => break,
                        Some(_) => j += 1,
                    }
                }
                let quoted = line
                    .get(i..=j)
                    .ok_or((i, "unterminated string".to_string()))?;
                let s: String = serde_json::from_str(quoted)
                    .map_err(|e| (i, format!("invalid string: {e}")))?;
                out.push(Token::Word(s));
                i = j + 1;
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && bytes[i] != b' '
                    && bytes[i] != b','
                    && !(bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| *b == b' '))
                {
                    i += 1;
                }
                out.push(Token::Word(line.get(start..i).unwrap_or("").to_string()));
            }
        }
    }
    Ok(out)
}

/// The workspace folders a classic project's `package.json` names (`packages/*` or a path),
/// relative to the lockfile, sorted.
fn classic_workspaces(input: &Input<'_>, m: &Manifest) -> Vec<String> {
    let patterns: Vec<String> = match &m.workspaces {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Some(serde_json::Value::Object(o)) => o
            .get("packages")
            .and_then(|p| p.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut out = BTreeSet::new();
    for p in patterns {
        let p = p.trim_start_matches("./").trim_end_matches('/');
        if p.contains("..") || contained_path(p).is_none() {
            continue;
        }
        match p.strip_suffix("/*") {
            Some(parent) if !parent.contains('*') => {
                let Ok(entries) = std::fs::read_dir(input.sibling_path(parent)) else {
                    continue;
                };
                for e in entries.flatten() {
                    if e.path().join("package.json").is_file() {
                        out.insert(format!("{parent}/{}", e.file_name().to_string_lossy()));
                    }
                }
            }
            _ if !p.contains('*') && input.sibling_path(&format!("{p}/package.json")).is_file() => {
                out.insert(p.to_string());
            }
            _ => {}
        }
    }
    out.into_iter().collect()
}

fn parse_classic(
    input: &Input<'_>,
    manifest: Option<Manifest>,
    workspace_dirs: Vec<String>,
) -> Result<Lockfile, InputError> {
    let nodes = classic_nodes(input.text).map_err(|(at, m)| input.error_at(at, m))?;
    if nodes.is_empty() && !input.text.contains("yarn lockfile v1") {
        return Err(input.error_at(0, "not a yarn lockfile: no entries"));
    }
    let file = input.rel;
    let mut g = Graph::new(
        file,
        root_component(manifest.as_ref(), input.dir_name, file),
    );
    // descriptor -> bom-ref
    let mut by_descriptor: BTreeMap<&str, String> = BTreeMap::new();
    let mut refs = Vec::new();
    for n in &nodes {
        if !matches!(n.value, Value::Map(_)) {
            return Err(input.error_at(n.at, "expected an entry (`\"name@range\":` and a block)"));
        }
        let Some(first) = n.keys.first() else {
            continue;
        };
        let Some(version) = n.scalar("version") else {
            return Err(input.error_at(n.at, format!("entry `{first}` has no version")));
        };
        let (name, range) = split_descriptor(first);
        // An alias (`alias@npm:real@^1`) is the real package.
        let (name, range) = match range.strip_prefix("npm:") {
            Some(real) if real.get(1..).is_some_and(|r| r.contains('@')) => split_descriptor(real),
            Some(r) => (name, r),
            None => (name, range),
        };
        let mut c = Component::new(Ecosystem::Npm, name, version, file);
        if let Some(sri) = n.scalar("integrity") {
            c.hashes.extend(super::npm::integrity(sri));
        }
        let resolved = n.scalar("resolved");
        if let Some((url, fragment)) = resolved.and_then(|r| r.split_once('#')) {
            // A registry tarball's fragment is its SHA-1 (a git URL's is a commit).
            let tarball = url.starts_with("http") && url.ends_with(".tgz");
            if tarball && fragment.len() == 40 && fragment.bytes().all(|b| b.is_ascii_hexdigit()) {
                c.hashes.insert(Hash {
                    alg: HashAlg::Sha1,
                    hex: fragment.to_ascii_lowercase(),
                });
            }
        }
        if is_non_registry(range) {
            c = c.property("url", resolved.unwrap_or(range).to_string());
        }
        let r = g.add(c);
        for k in &n.keys {
            by_descriptor.insert(k.as_str(), r.clone());
        }
        refs.push((n, r));
    }
    // Workspaces (not in the lockfile), by name.
    let mut workspace_names: BTreeMap<String, String> = BTreeMap::new();
    let mut workspace_manifests = Vec::new();
    for dir in &workspace_dirs {
        let (c, m) = workspace_component(input, dir, None).map_err(|e| input.error(e))?;
        let name = c.name.clone();
        let r = g.add_workspace(c);
        workspace_names.insert(name, r.clone());
        workspace_manifests.push((r, m));
    }
    let lookup = |name: &str, range: &str| -> Option<String> {
        by_descriptor
            .get(format!("{name}@{range}").as_str())
            .cloned()
            .or_else(|| workspace_names.get(name).cloned())
    };
    let mut required: BTreeSet<String> = BTreeSet::new();
    for (n, from) in &refs {
        for (kind, key) in [
            (Kind::Prod, "dependencies"),
            (Kind::Optional, "optionalDependencies"),
        ] {
            for (name, range) in n.pairs(key) {
                if let Some(to) = lookup(name, range) {
                    required.insert(to.clone());
                    g.edge(from, &to, kind);
                }
            }
        }
    }
    let root = g.root_ref();
    match &manifest {
        Some(m) => {
            for (name, range, kind) in m.all_deps() {
                if let Some(to) = lookup(name, range) {
                    g.edge(&root, &to, kind);
                }
            }
        }
        None => {
            // Without package.json: the entries nothing else requires.
            for (_, r) in &refs {
                if !required.contains(r) {
                    g.edge(&root, r, Kind::Prod);
                }
            }
        }
    }
    for (from, m) in &workspace_manifests {
        for (name, range, kind) in m.iter().flat_map(Manifest::all_deps) {
            if let Some(to) = lookup(name, range) {
                g.edge(from, &to, kind);
            }
        }
    }
    Ok(g.finish())
}

// ---------------------------------------------------------------------------------------------
// Berry.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BerryEntry {
    version: Option<Lenient>,
    resolution: Option<Lenient>,
    #[serde(default)]
    dependencies: BTreeMap<String, Lenient>,
    #[serde(default)]
    dependencies_meta: BTreeMap<String, DepMeta>,
    checksum: Option<Lenient>,
    link_type: Option<Lenient>,
}

#[derive(Deserialize, Default)]
struct DepMeta {
    #[serde(default)]
    optional: Option<bool>,
}

/// `%3A` and friends in a `patch:` locator.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a berry resolution (`name@protocol:rest`) says: the package's name, the version the
/// resolution itself names (the npm version under a `patch:`), the patch, and a `url` for
/// sources other than the registry.
#[derive(Debug, PartialEq)]
struct Resolution {
    name: String,
    version: Option<String>,
    patch: Option<String>,
    url: Option<String>,
    workspace: Option<String>,
}

fn resolution(locator: &str) -> Resolution {
    let (name, reference) = split_descriptor(locator);
    // `npm:1.0.0::__archiveUrl=https%3A...`, `file:../x.tgz::locator=app%40workspace%3A.`,
    // `patch:...#p.patch::version=1&hash=ab`: the parameters are not part of the reference.
    let (reference, params) = reference.split_once("::").unwrap_or((reference, ""));
    let archive = params
        .split('&')
        .find_map(|kv| kv.strip_prefix("__archiveUrl="))
        .map(percent_decode);
    let mut r = Resolution {
        name: name.to_string(),
        version: None,
        patch: None,
        url: None,
        workspace: None,
    };
    if let Some(rest) = reference.strip_prefix("patch:") {
        // `patch:ms@npm%3A2.1.3#~/.yarn/patches/x.patch` (the `::` parameters cut above)
        let (inner, patch) = rest.split_once('#').unwrap_or((rest, ""));
        let inner = percent_decode(inner);
        let under = resolution(&inner);
        r.version = under.version;
        r.url = under.url;
        r.patch = Some(percent_decode(patch));
        if !under.name.is_empty() {
            r.name = under.name;
        }
    } else if let Some(v) = reference.strip_prefix("npm:") {
        r.version = Some(v.to_string());
    } else if let Some(path) = reference.strip_prefix("workspace:") {
        r.workspace = Some(path.to_string());
    } else if !reference.is_empty() {
        r.url = Some(reference.to_string());
    }
    if archive.is_some() {
        r.url = archive;
    }
    r
}

fn parse_berry(input: &Input<'_>, manifest: Option<Manifest>) -> Result<Lockfile, InputError> {
    let mut entries: BTreeMap<String, BerryEntry> = from_yaml(input)?;
    entries.remove("__metadata");
    let file = input.rel;
    let mut g = Graph::new(
        file,
        root_component(manifest.as_ref(), input.dir_name, file),
    );
    let root = g.root_ref();
    // descriptor -> (bom-ref, whether that entry is a patched build)
    let mut by_descriptor: BTreeMap<String, (String, bool)> = BTreeMap::new();
    // bom-ref, package name, entry, the workspace's manifest
    let mut nodes: Vec<(String, String, &BerryEntry, Option<Manifest>)> = Vec::new();
    // bom-ref -> the patch of its patched entry
    let mut patches: BTreeMap<String, String> = BTreeMap::new();
    for (key, e) in &entries {
        let Some(locator) = e.resolution.as_ref().map(|r| r.0.as_str()) else {
            return Err(input.error_at(
                offset_of_key(input.text, key),
                format!("entry `{key}` has no resolution"),
            ));
        };
        let res = resolution(locator);
        let (r, m) = match &res.workspace {
            Some(dir) if dir == "." || dir.is_empty() => (root.clone(), manifest.clone()),
            Some(dir) => {
                let (c, m) = workspace_component(input, dir, Some(&res.name))
                    .map_err(|e| input.error_at(offset_of_key(input.text, key), e))?;
                (g.add_workspace(c), m)
            }
            None => {
                let version = res
                    .version
                    .clone()
                    .filter(|v| !v.is_empty() && !v.contains(['^', '~', '*', ' ']))
                    .or_else(|| e.version.as_ref().map(|v| v.0.clone()))
                    .unwrap_or_default();
                let mut c = Component::new(Ecosystem::Npm, &res.name, &version, file);
                if let Some(p) = &res.patch {
                    patches.insert(c.purl.clone(), p.clone());
                }
                if let Some(u) = &res.url {
                    c = c.property("url", u.clone());
                }
                if let Some(sum) = &e.checksum {
                    c = c.property("yarn-checksum", sum.0.clone());
                }
                if e.link_type.as_ref().is_some_and(|l| l.0 == "soft") {
                    c = c.property("link", "true");
                }
                (g.add(c), None)
            }
        };
        let patched = res.patch.is_some();
        for d in key.split(',') {
            by_descriptor.insert(d.trim().to_string(), (r.clone(), patched));
        }
        nodes.push((r, res.name, e, m));
    }
    // A plain descriptor -> the entry of yarn's built-in patch of it
    // (`resolve@patch:resolve@npm%3A^1.22.8#optional!builtin<compat/resolve>`).
    let builtin: BTreeMap<String, (String, bool)> = by_descriptor
        .iter()
        .filter_map(|(d, target)| {
            let (name, reference) = split_descriptor(d);
            let (inner, patch) = reference.strip_prefix("patch:")?.split_once('#')?;
            let patch = patch.split("::").next().unwrap_or(patch);
            let is_builtin =
                patch.starts_with("optional!builtin<") || patch.starts_with("builtin<");
            let inner = percent_decode(inner);
            (is_builtin && split_descriptor(&inner).0 == name).then(|| (inner, target.clone()))
        })
        .collect();
    let resolutions = Resolutions::new(manifest.as_ref().map(|m| &m.resolutions));
    // Components some dependent uses unpatched.
    let mut unpatched_uses: BTreeSet<String> = BTreeSet::new();
    for (from, parent, e, m) in &nodes {
        for (name, range) in &e.dependencies {
            let range = range.0.as_str();
            // The root's `resolutions` replace a descriptor; dependents still name the original.
            let forced = resolutions.forced(parent, name, range);
            let to = [forced.unwrap_or(range), range]
                .into_iter()
                .flat_map(|range| [format!("{name}@{range}"), format!("{name}@npm:{range}")])
                .find_map(|d| {
                    // Yarn applies its built-in compat patches (`resolve`, `typescript`, ...)
                    // to every plain descriptor of the package.
                    builtin.get(&d).or_else(|| by_descriptor.get(&d))
                });
            let Some((to, patched)) = to else { continue };
            if !patched {
                unpatched_uses.insert(to.clone());
            }
            let meta_optional = e.dependencies_meta.iter().any(|(k, v)| {
                v.optional == Some(true) && (k == name || split_descriptor(k).0 == name)
            });
            let kind = if meta_optional {
                Kind::Optional
            } else {
                m.as_ref().map_or(Kind::Prod, |m| m.kind_of(name))
            };
            let to = to.clone();
            g.edge(from, &to, kind);
        }
    }
    for (r, patch) in patches {
        let name = if unpatched_uses.contains(&r) {
            "yarn-patch-partial"
        } else {
            "yarn-patch"
        };
        if let Some(c) = g.component_mut(&r) {
            c.properties.insert(name.to_string(), patch);
        }
    }
    Ok(g.finish())
}

/// One `resolutions` entry: the parent it applies under (any when `None`), the target's range
/// (any when empty) and the range forced.
struct Forced<'a> {
    parent: Option<String>,
    range: String,
    forced: &'a str,
}

/// The root's `resolutions`, parsed once, by target name, in key order. Keys are `name`,
/// `name@range`, `parent/name` or `**/name` (the parent may carry a range, ignored).
struct Resolutions<'a> {
    by_name: BTreeMap<String, Vec<Forced<'a>>>,
}

impl<'a> Resolutions<'a> {
    fn new(resolutions: Option<&'a BTreeMap<String, String>>) -> Resolutions<'a> {
        let mut by_name: BTreeMap<String, Vec<Forced<'a>>> = BTreeMap::new();
        for (key, forced) in resolutions.into_iter().flatten() {
            // `/`-separated names, a scope's `@s/` kept with its name.
            let mut names: Vec<String> = Vec::new();
            let mut pending: Option<&str> = None;
            for seg in key.split('/') {
                match pending.take() {
                    Some(scope) => names.push(format!("{scope}/{seg}")),
                    None if seg.starts_with('@') => pending = Some(seg),
                    None => names.push(seg.to_string()),
                }
            }
            let Some(target) = names.pop() else { continue };
            let (t_name, t_range) = split_descriptor(&target);
            let parent = match names.last().map(String::as_str) {
                None | Some("**") => None,
                Some(p) => Some(split_descriptor(p).0.to_string()),
            };
            by_name.entry(t_name.to_string()).or_default().push(Forced {
                parent,
                range: t_range.to_string(),
                forced: forced.as_str(),
            });
        }
        Resolutions { by_name }
    }

    /// The range forced on `name@range` required by `parent`.
    fn forced(&self, parent: &str, name: &str, range: &str) -> Option<&'a str> {
        self.by_name.get(name)?.iter().find_map(|f| {
            let parent_ok = f.parent.as_deref().is_none_or(|p| p == parent);
            let t = f.range.as_str();
            let range_ok = t.is_empty()
                || t == range
                || t.strip_prefix("npm:") == Some(range)
                || range.strip_prefix("npm:") == Some(t);
            (parent_ok && range_ok).then_some(f.forced)
        })
    }
}

/// Where a top-level key starts in the text (for errors about an entry), or 0.
fn offset_of_key(text: &str, key: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end();
        if l.trim_matches('"').trim_end_matches(':').trim_matches('"') == key {
            return offset;
        }
        offset += line.len();
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn read(text: &str, dir: &Path) -> Result<Lockfile, InputError> {
        parse(&Input {
            rel: "yarn.lock",
            text,
            dir,
            dir_name: "proj",
        })
    }

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@s/a@^1.0.0", "@s/a@^1.1":
  version "1.2.0"
  resolved "https://registry.yarnpkg.com/@s/a/-/a-1.2.0.tgz#0123456789abcdef0123456789abcdef01234567"
  integrity sha512-AAEC
  dependencies:
    b "^2"
  optionalDependencies:
    fsevents "~2.3.2"

b@^2:
  version "2.0.1"

tool@^3:
  version "3.0.0"
  dependencies:
    b "^2"
    c "1.0.0"

c@1.0.0:
  version "1.0.0"

fsevents@~2.3.2:
  version "2.3.3"

alias@npm:real@^4:
  version "4.1.0"

gitdep@git+https://github.com/o/r.git#abc:
  version "0.1.0"
  resolved "git+https://github.com/o/r.git#0123456789abcdef0123456789abcdef01234567"
"#;

    #[test]
    fn classic_entries_dev_optional_and_hashes() {
        let tmp = tempfile::tempdir().expect("tmp");
        write(
            tmp.path(),
            "package.json",
            r#"{"name":"app","version":"1.0.0","dependencies":{"@s/a":"^1.1","alias":"npm:real@^4","gitdep":"git+https://github.com/o/r.git#abc"},"devDependencies":{"tool":"^3"}}"#,
        );
        let l = read(CLASSIC, tmp.path()).expect("parses");
        assert_eq!(l.root.purl, "pkg:npm/app@1.0.0");
        let c = by_purl(&l);
        let a = c["pkg:npm/%40s/a@1.2.0"];
        assert_eq!(a.scope, Scope::Direct);
        assert!(!a.dev && !a.optional);
        let algs: Vec<_> = a.hashes.iter().map(|h| (h.alg, h.hex.as_str())).collect();
        assert_eq!(
            algs,
            [
                (HashAlg::Sha1, "0123456789abcdef0123456789abcdef01234567"),
                (HashAlg::Sha512, "000102")
            ]
        );
        // b is needed by a (prod) and by tool (dev): not dev.
        assert!(!c["pkg:npm/b@2.0.1"].dev);
        assert_eq!(c["pkg:npm/b@2.0.1"].scope, Scope::Transitive);
        assert!(c["pkg:npm/tool@3.0.0"].dev);
        assert!(c["pkg:npm/c@1.0.0"].dev);
        assert!(c["pkg:npm/fsevents@2.3.3"].optional);
        assert!(!c["pkg:npm/fsevents@2.3.3"].dev);
        assert!(c.contains_key("pkg:npm/real@4.1.0"));
        // A git fragment is a commit, not a digest.
        let git = c["pkg:npm/gitdep@0.1.0"];
        assert!(git.hashes.is_empty());
        assert!(git.properties["url"].starts_with("git+https://"));
        assert_eq!(
            l.edges["pkg:npm/%40s/a@1.2.0"],
            BTreeSet::from(["pkg:npm/b@2.0.1".into(), "pkg:npm/fsevents@2.3.3".into()])
        );
    }

    #[test]
    fn classic_without_manifest_roots_at_unrequired_entries() {
        let tmp = tempfile::tempdir().expect("tmp");
        let l = read(CLASSIC, tmp.path()).expect("parses");
        assert_eq!(l.root.purl, "pkg:npm/proj");
        let c = by_purl(&l);
        assert_eq!(c["pkg:npm/tool@3.0.0"].scope, Scope::Direct);
        assert!(!c["pkg:npm/tool@3.0.0"].dev);
        assert_eq!(c["pkg:npm/c@1.0.0"].scope, Scope::Transitive);
    }

    #[test]
    fn classic_workspaces_from_the_manifest() {
        let tmp = tempfile::tempdir().expect("tmp");
        write(
            tmp.path(),
            "package.json",
            r#"{"name":"mono","private":true,"workspaces":["packages/*"],"devDependencies":{"tool":"^3"}}"#,
        );
        write(
            tmp.path(),
            "packages/w/package.json",
            r#"{"name":"w","version":"0.2.0","dependencies":{"c":"1.0.0","v":"*"}}"#,
        );
        write(
            tmp.path(),
            "packages/v/package.json",
            r#"{"name":"v","version":"0.3.0"}"#,
        );
        let l = read(CLASSIC, tmp.path()).expect("parses");
        let c = by_purl(&l);
        assert_eq!(c["pkg:npm/w@0.2.0"].scope, Scope::Direct);
        // c is a dev package of the root but a prod one of the workspace.
        assert!(!c["pkg:npm/c@1.0.0"].dev);
        assert_eq!(c["pkg:npm/c@1.0.0"].scope, Scope::Direct);
        assert!(l.edges["pkg:npm/w@0.2.0"].contains("pkg:npm/v@0.3.0"));
        assert!(l.edges["pkg:npm/mono"].contains("pkg:npm/w@0.2.0"));
    }

    #[test]
    fn classic_syntax_errors_have_positions() {
        let tmp = tempfile::tempdir().expect("tmp");
        let e = read("a@^1:\n  version \"1.0.0\n", tmp.path()).expect_err("unterminated");
        assert_eq!((e.line, e.column), (2, 11), "{e}");
        assert!(e.message.contains("unterminated"), "{e}");
        let e =
            read("a@^1:\n  version \"1\"\n   resolved \"x\"\n", tmp.path()).expect_err("indent");
        assert_eq!((e.line, e.column), (3, 4), "{e}");
        let e = read("a@^1:\n  resolved \"x\"\n", tmp.path()).expect_err("no version");
        assert_eq!(e.to_string(), "yarn.lock:1:1: entry `a@^1` has no version");
        let e = read("hello\n", tmp.path()).expect_err("not a lockfile");
        assert_eq!(e.line, 1);
        let deep: String = (0..20)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i * 2)))
            .collect();
        assert!(
            read(&deep, tmp.path())
                .expect_err("deep")
                .message
                .contains("deeply")
        );
    }

    #[test]
    fn tokenizer_reads_quotes_and_colons() {
        assert_eq!(
            tokenize(r#""a@^1 || ^2", a@npm:b@1:"#).expect("ok"),
            [
                Token::Word("a@^1 || ^2".into()),
                Token::Comma,
                Token::Word("a@npm:b@1".into()),
                Token::Colon
            ]
        );
        assert_eq!(
            tokenize(r#"resolved "https://x/y.tgz#ab""#).expect("ok"),
            [
                Token::Word("resolved".into()),
                Token::Word("https://x/y.tgz#ab".into())
            ]
        );
    }

    #[test]
    fn berry_resolutions_patch_and_protocols() {
        let r = resolution(
            "ms@patch:ms@npm%3A2.1.3#~/.yarn/patches/ms-npm-2.1.3-81ff3cfac1.patch::version=2.1.3&hash=f487eb",
        );
        assert_eq!(
            r,
            Resolution {
                name: "ms".into(),
                version: Some("2.1.3".into()),
                patch: Some("~/.yarn/patches/ms-npm-2.1.3-81ff3cfac1.patch".into()),
                url: None,
                workspace: None,
            }
        );
        let r = resolution(
            "resolve@patch:resolve@npm%3A1.22.14#optional!builtin<compat/resolve>::version=1.22.14&hash=9bd1a5",
        );
        assert_eq!(
            (r.version.as_deref(), r.patch.as_deref()),
            (Some("1.22.14"), Some("optional!builtin<compat/resolve>"))
        );
        let r = resolution("@s/x@npm:1.0.0");
        assert_eq!(
            (r.name.as_str(), r.version.as_deref()),
            ("@s/x", Some("1.0.0"))
        );
        assert_eq!(
            resolution("@d/app@workspace:packages/app")
                .workspace
                .as_deref(),
            Some("packages/app")
        );
        assert_eq!(
            resolution("r@https://github.com/o/r.git#commit=abc")
                .url
                .as_deref(),
            Some("https://github.com/o/r.git#commit=abc")
        );
    }

    #[test]
    fn berry_resolutions_force_descriptors() {
        let r: BTreeMap<String, String> = [
            ("ms@npm:^2.1.3", "patch:ms@npm%3A2.1.3#p"),
            ("debug/@s/x", "1.0.0"),
            ("**/y", "2.0.0"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let r = Resolutions::new(Some(&r));
        assert_eq!(
            r.forced("debug", "ms", "npm:^2.1.3"),
            Some("patch:ms@npm%3A2.1.3#p")
        );
        assert_eq!(r.forced("debug", "ms", "npm:^2.0.0"), None);
        assert_eq!(r.forced("debug", "@s/x", "npm:^0.1"), Some("1.0.0"));
        assert_eq!(r.forced("other", "@s/x", "npm:^0.1"), None);
        assert_eq!(r.forced("any", "y", "npm:^1"), Some("2.0.0"));
        assert_eq!(r.forced("any", "z", "npm:^1"), None);
        // Parsed once, keyed by the target's name.
        assert_eq!(
            r.by_name.keys().map(String::as_str).collect::<Vec<_>>(),
            ["@s/x", "ms", "y"]
        );
        assert!(Resolutions::new(None).by_name.is_empty());
    }

    #[test]
    fn berry_resolution_parameters_are_not_the_version() {
        let r = resolution(
            "@corp/x@npm:1.2.3::__archiveUrl=https%3A%2F%2Fnpm.corp.example%2Fx%2F-%2Fx-1.2.3.tgz",
        );
        assert_eq!(
            (r.name.as_str(), r.version.as_deref(), r.url.as_deref()),
            (
                "@corp/x",
                Some("1.2.3"),
                Some("https://npm.corp.example/x/-/x-1.2.3.tgz")
            )
        );
        let r = resolution("local@file:../local.tgz::locator=app%40workspace%3A.");
        assert_eq!(
            (r.version, r.url.as_deref()),
            (None, Some("file:../local.tgz"))
        );
        // Inside a patch: the inner locator's own parameters.
        let r = resolution(
            "x@patch:x@npm%3A1.0.0%3A%3A__archiveUrl%3Dhttps%253A%252F%252Fr.example%252Fx.tgz#./p.patch::version=1.0.0&hash=ab&locator=app%40workspace%3A.",
        );
        assert_eq!(
            (
                r.name.as_str(),
                r.version.as_deref(),
                r.patch.as_deref(),
                r.url.as_deref()
            ),
            (
                "x",
                Some("1.0.0"),
                Some("./p.patch"),
                Some("https://r.example/x.tgz")
            )
        );
    }

    #[test]
    fn berry_workspaces_outside_the_lockfile_directory_are_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let top = tmp.path().join("repo");
        write(&top, "package.json", r#"{"name":"app"}"#);
        write(tmp.path(), "package.json", r#"{"name":"secret-name"}"#);
        for dir in ["..", "../..", "/etc", "packages/../../x"] {
            let text = format!(
                "__metadata:\n  version: 8\n\n\"w@workspace:{dir}\":\n  version: 0.0.0-use.local\n  resolution: \"w@workspace:{dir}\"\n"
            );
            let e = read(&text, &top).expect_err(dir);
            assert_eq!((e.line, e.column), (4, 1), "{dir}: {e}");
            assert!(e.message.contains("outside"), "{e}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
        assert_eq!(
            contained_path("packages/./a/../b").as_deref(),
            Some("packages/b")
        );
        assert_eq!(contained_path("a/.."), Some(".".into()));
        assert_eq!(contained_path("C:/x"), None);
    }

    #[test]
    fn berry_patch_property_only_when_every_use_is_patched() {
        let tmp = tempfile::tempdir().expect("tmp");
        // Only patched uses: the unpatched base entry yarn always lists uses nothing.
        let only_patched = BERRY.replace("  dependencies:\n    ms: ^2.1.3\n", "");
        assert_ne!(only_patched, BERRY);
        let l = read(&only_patched, tmp.path()).expect("parses");
        let ms = by_purl(&l)["pkg:npm/ms@2.1.3"].clone();
        assert_eq!(ms.properties["yarn-patch"], "~/.yarn/patches/ms.patch");
        assert!(!ms.properties.contains_key("yarn-patch-partial"));
        // `tool` uses the original build: the purl is shared, so the patch is partial.
        let l = read(BERRY, tmp.path()).expect("parses");
        let ms = by_purl(&l)["pkg:npm/ms@2.1.3"].clone();
        assert!(!ms.properties.contains_key("yarn-patch"), "{ms:?}");
        assert_eq!(
            ms.properties["yarn-patch-partial"],
            "~/.yarn/patches/ms.patch"
        );
    }

    const BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    "@d/w": "workspace:*"
    tool: "npm:^3"
  languageName: unknown
  linkType: soft

"@d/w@workspace:*, @d/w@workspace:packages/w":
  version: 0.0.0-use.local
  resolution: "@d/w@workspace:packages/w"
  dependencies:
    ms: "patch:ms@npm%3A2.1.3#~/.yarn/patches/ms.patch"
    opt: "npm:^1"
  dependenciesMeta:
    opt:
      optional: true
  languageName: unknown
  linkType: soft

"ms@npm:2.1.3":
  version: 2.1.3
  resolution: "ms@npm:2.1.3"
  checksum: 10c0/d924
  languageName: node
  linkType: hard

"ms@patch:ms@npm%3A2.1.3#~/.yarn/patches/ms.patch":
  version: 2.1.3
  resolution: "ms@patch:ms@npm%3A2.1.3#~/.yarn/patches/ms.patch::version=2.1.3&hash=f487eb"
  checksum: 10c0/b0d1
  languageName: node
  linkType: hard

"tool@npm:^3":
  version: 3.1.0
  resolution: "tool@npm:3.1.0"
  dependencies:
    ms: ^2.1.3
  languageName: node
  linkType: hard

"ms@npm:^2.1.3":
  version: 2.1.3
  resolution: "ms@npm:2.1.3"
  languageName: node
  linkType: hard

"opt@npm:^1":
  version: 1.0.0
  resolution: "opt@npm:1.0.0"
  languageName: node
  linkType: hard
"#;

    #[test]
    fn berry_workspaces_patches_dev_and_optional() {
        let tmp = tempfile::tempdir().expect("tmp");
        write(
            tmp.path(),
            "package.json",
            r#"{"name":"app","version":"1.0.0","workspaces":["packages/*"],"devDependencies":{"tool":"^3"}}"#,
        );
        write(
            tmp.path(),
            "packages/w/package.json",
            r#"{"name":"@d/w","version":"0.5.0","dependencies":{"ms":"^2.1.3"},"optionalDependencies":{"opt":"^1"}}"#,
        );
        let l = read(BERRY, tmp.path()).expect("parses");
        assert_eq!(l.root.purl, "pkg:npm/app@1.0.0");
        let c = by_purl(&l);
        assert_eq!(
            c.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:npm/%40d/w@0.5.0",
                "pkg:npm/ms@2.1.3",
                "pkg:npm/opt@1.0.0",
                "pkg:npm/tool@3.1.0"
            ]
        );
        let ms = c["pkg:npm/ms@2.1.3"];
        // `tool` uses ms unpatched, `@d/w` patched.
        assert_eq!(
            ms.properties["yarn-patch-partial"],
            "~/.yarn/patches/ms.patch"
        );
        assert!(
            ms.hashes.is_empty(),
            "a yarn checksum is not a package digest"
        );
        assert!(ms.properties["yarn-checksum"].starts_with("10c0/"));
        assert!(!ms.dev);
        assert_eq!(ms.scope, Scope::Direct);
        assert!(c["pkg:npm/tool@3.1.0"].dev);
        assert!(c["pkg:npm/opt@1.0.0"].optional);
        assert_eq!(c["pkg:npm/%40d/w@0.5.0"].scope, Scope::Direct);
        assert_eq!(
            l.edges["pkg:npm/app@1.0.0"],
            BTreeSet::from(["pkg:npm/%40d/w@0.5.0".into(), "pkg:npm/tool@3.1.0".into()])
        );
        assert!(l.edges["pkg:npm/tool@3.1.0"].contains("pkg:npm/ms@2.1.3"));
    }

    #[test]
    fn berry_errors_have_positions() {
        let tmp = tempfile::tempdir().expect("tmp");
        let e = read(
            "__metadata:\n  version: 8\n\"a@npm:1\":\n  version: [1\n",
            tmp.path(),
        )
        .expect_err("bad yaml");
        assert_eq!(
            e.to_string(),
            "yarn.lock:4:3: invalid type: sequence, expected a scalar"
        );
        let e = read(
            "__metadata:\n  version: 8\n\n\"a@npm:1\":\n  version: 1.0.0\n",
            tmp.path(),
        )
        .expect_err("no resolution");
        assert_eq!(
            e.to_string(),
            "yarn.lock:4:1: entry `a@npm:1` has no resolution"
        );
    }

    fn fixture(name: &str, file: &str) -> Lockfile {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/sbom")
            .join(name);
        super::super::read(&dir.join(file), file).expect("fixture parses")
    }

    /// The packages only chalk (a root dev dependency) pulls in.
    const CHALK_TREE: [&str; 6] = [
        "pkg:npm/ansi-styles@4.3.0",
        "pkg:npm/chalk@4.1.2",
        "pkg:npm/color-convert@2.0.1",
        "pkg:npm/color-name@1.1.4",
        "pkg:npm/has-flag@4.0.0",
        "pkg:npm/supports-color@7.2.0",
    ];

    #[test]
    fn real_classic_lockfile() {
        let l = fixture("yarn-v1", "yarn.lock");
        assert_eq!(l.root.purl, "pkg:npm/demo-app@1.0.0");
        let c = by_purl(&l);
        let dev: Vec<&str> = c
            .values()
            .filter(|c| c.dev)
            .map(|c| c.purl.as_str())
            .collect();
        assert_eq!(dev, CHALK_TREE);
        let optional: Vec<&str> = c
            .values()
            .filter(|c| c.optional)
            .map(|c| c.purl.as_str())
            .collect();
        assert_eq!(optional, ["pkg:npm/is-number@7.0.0"]);
        for comp in c.values() {
            let algs: Vec<HashAlg> = comp.hashes.iter().map(|h| h.alg).collect();
            assert_eq!(algs, [HashAlg::Sha1, HashAlg::Sha512], "{}", comp.purl);
        }
        assert!(l.edges["pkg:npm/debug@4.4.3"].contains("pkg:npm/ms@2.1.3"));
        assert_eq!(c["pkg:npm/loose-envify@1.4.0"].scope, Scope::Transitive);
    }

    #[test]
    fn real_berry_lockfile() {
        let l = fixture("yarn-berry", "yarn.lock");
        assert_eq!(l.root.purl, "pkg:npm/demo-monorepo@0.0.0");
        let c = by_purl(&l);
        let ms = c["pkg:npm/ms@2.1.3"];
        assert_eq!(
            ms.properties["yarn-patch"],
            "~/.yarn/patches/ms-npm-2.1.3-81ff3cfac1.patch"
        );
        // Dev for the app, but debug (lib, prod) needs it through the root's `resolutions`.
        assert!(!ms.dev);
        assert!(l.edges["pkg:npm/debug@4.4.3"].contains("pkg:npm/ms@2.1.3"));
        assert_eq!(
            c["pkg:npm/resolve@1.22.14"].properties["yarn-patch"],
            "optional!builtin<compat/resolve>"
        );
        assert!(c.values().all(|c| c.hashes.is_empty()));
        let dev: Vec<&str> = c
            .values()
            .filter(|c| c.dev)
            .map(|c| c.purl.as_str())
            .collect();
        assert_eq!(dev, CHALK_TREE);
        let optional: Vec<&str> = c
            .values()
            .filter(|c| c.optional)
            .map(|c| c.purl.as_str())
            .collect();
        assert_eq!(optional, ["pkg:npm/is-number@7.0.0"]);
        assert_eq!(
            l.edges["pkg:npm/%40demo/app@2.0.0"],
            BTreeSet::from([
                "pkg:npm/%40demo/lib@1.0.0".into(),
                "pkg:npm/ms@2.1.3".into(),
                "pkg:npm/react@18.2.0".into(),
                "pkg:npm/use-sync-external-store@1.2.0".into(),
            ])
        );
        assert_eq!(c["pkg:npm/resolve@1.22.14"].scope, Scope::Direct);
        assert_eq!(c["pkg:npm/hasown@2.0.4"].scope, Scope::Transitive);
    }
}
