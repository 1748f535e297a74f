//! pip requirements files: `requirements*.txt` and `*requirements.txt` (`requirements-dev.txt`,
//! `dev-requirements.txt`; files in a `requirements/` folder are read when another file includes
//! them).
//!
//! Lines are joined at a trailing `\` and end at a comment line, as pip does. A requirement
//! `name[extras]==version ; marker --hash=sha256:<hex>` is a component with its hashes; the
//! extras and the marker are kept as the properties `extras` and `marker` (a marker does not drop
//! the component: the file is read for every platform). Lines that do not pin one version
//! (`name>=1`, `name`) are components without a version, with the property `unpinned` (the
//! specifier). Editable lines (`-e path-or-url`) and direct references (`name @ url`, a bare VCS
//! or archive URL) are components with the property `editable` or `url`; the name comes from
//! `#egg=`, the archive's file name, the repository or the folder, the version only from an
//! archive's file name; an editable or URL requirement naming the project's own folder (`-e .`)
//! is the root, not a component. `--hash` digests are the component's hash when there is one,
//! else (one per wheel and sdist) the property `artifact-sha256`. `-r`/`--requirement` includes
//! are read relative to the including file and only inside the top file's directory (an
//! absolute path, one leaving that directory or a symbolic link out of it is an error; errors
//! quote no more of a file than the offending token); cycles and more than [`MAX_DEPTH`] levels
//! are errors, as is an include that cannot be read; their components name the included file as
//! evidence. `-c` constraints and other options are
//! not components.
//!
//! Direct or transitive: pip-compile writes `# via` annotations under each pin. In an annotated
//! file a package is direct when its `via` names a requirements input (`-r requirements.in`) or a
//! project (`demo (pyproject.toml)`), or when it has no annotation; a package required only by
//! other packages is transitive, and the packages named become its dependents in the graph. In a
//! file without annotations every requirement is direct. A `via` naming no package of the files
//! read names the project (`uv export` writes `# via demo-app`): direct too. A name in `via`
//! stands for every version of that name (`uv export` lists one per resolution fork).
//!
//! Development: every component listed in a file whose name has a `dev` or `test` word
//! (`requirements-dev.txt`, `test-requirements.txt`) is `dev` (a package also listed in another
//! file is not). The root is the `pyproject.toml` project beside the file, else a package named
//! after the directory.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

use super::python::{self, normalize};

/// How deep `-r` includes may nest.
pub const MAX_DEPTH: usize = 16;

/// Requirements files.
pub const READER: super::Reader = super::Reader {
    format: "requirements.txt",
    matches,
    parse: |input| {
        // Includes stay inside the top file's directory, symbolic links included.
        let top = std::fs::canonicalize(input.dir).ok();
        let read = |path: &str| {
            let real = std::fs::canonicalize(input.sibling_path(path)).ok()?;
            if !top.as_ref().is_some_and(|t| real.starts_with(t)) {
                return None;
            }
            super::read_capped(&real).ok()
        };
        let pyproject = input.sibling("pyproject.toml");
        parse(
            input.rel,
            input.text,
            input.dir_name,
            pyproject.as_deref(),
            &read,
        )
    },
};

/// `requirements*.txt` or `*requirements.txt`.
pub fn matches(name: &str) -> bool {
    name.ends_with(".txt")
        && (name.starts_with("requirements") || name.ends_with("requirements.txt"))
}

/// Parse a requirements file. `read` gives the text of another file by its path relative to this
/// file's directory (`-r` includes); `pyproject` is the `pyproject.toml` beside it, if any.
pub fn parse(
    file: &str,
    text: &str,
    dir_name: &str,
    pyproject: Option<&str>,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Lockfile, InputError> {
    let top_dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    let mut cx = Cx {
        read,
        top_dir,
        stack: Vec::new(),
        done: BTreeSet::new(),
        entries: Vec::new(),
        annotated: BTreeSet::new(),
        dir_name,
    };
    let own = file.rsplit_once('/').map_or(file, |(_, n)| n).to_string();
    cx.file(&own, file, text)?;

    let project = pyproject.and_then(python::project);
    let mut root = match project.as_ref().and_then(|p| p.name.as_deref()) {
        Some(name) => {
            let version = project.as_ref().and_then(|p| p.version.as_deref());
            Component::new(Ecosystem::Pypi, name, version.unwrap_or(""), file)
        }
        None => Component::new(Ecosystem::Pypi, dir_name, "", file),
    };
    root.scope = Scope::Direct;

    // Merge sightings of one purl; remember names for `via` edges.
    let mut by_purl: BTreeMap<String, Component> = BTreeMap::new();
    let mut by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in &cx.entries {
        by_name
            .entry(e.norm.clone())
            .or_default()
            .insert(e.comp.purl.clone());
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let root_deps = edges.entry(root.purl.clone()).or_default();
    let mut via_edges: Vec<(String, String)> = Vec::new();
    for e in cx.entries {
        let mut c = e.comp;
        let annotated = cx.annotated.contains(&e.file);
        // `via` naming no package of these files names the project (`uv export` writes
        // `# via demo-app`).
        let direct = !annotated
            || e.direct
            || e.via.is_empty()
            || e.via.iter().any(|p| !by_name.contains_key(p));
        c.scope = if direct {
            Scope::Direct
        } else {
            Scope::Transitive
        };
        if direct && c.purl != root.purl {
            root_deps.insert(c.purl.clone());
        }
        for parent in e.via {
            via_edges.push((parent, c.purl.clone()));
        }
        match by_purl.get_mut(&c.purl) {
            Some(seen) => {
                if c.scope == Scope::Direct {
                    seen.scope = Scope::Direct;
                }
                seen.dev &= c.dev;
                seen.hashes.extend(c.hashes);
                seen.sources.extend(c.sources);
                for (k, v) in c.properties {
                    seen.properties.entry(k).or_insert(v);
                }
            }
            None => {
                by_purl.insert(c.purl.clone(), c);
            }
        }
    }
    for (parent, child) in via_edges {
        for from in by_name.get(&parent).into_iter().flatten() {
            if *from != child {
                edges.entry(from.clone()).or_default().insert(child.clone());
            }
        }
    }
    by_purl.remove(&root.purl);
    for c in by_purl.values_mut() {
        python::artifact_hashes(c);
    }
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components: by_purl.into_values().collect(),
        edges,
    })
}

/// One requirement line.
struct Entry {
    comp: Component,
    /// Normalised name.
    norm: String,
    /// The file it was listed in (path relative to the top file's directory).
    file: String,
    /// `# via` names a requirements input or a project.
    direct: bool,
    /// Normalised names of the packages `# via` names.
    via: Vec<String>,
}

struct Cx<'a> {
    read: &'a dyn Fn(&str) -> Option<String>,
    /// The top file's directory (relative, output form).
    top_dir: &'a str,
    /// Files being read (paths relative to the top file's directory), outermost first.
    stack: Vec<String>,
    done: BTreeSet<String>,
    entries: Vec<Entry>,
    /// Files with pip-compile `# via` annotations.
    annotated: BTreeSet<String>,
    dir_name: &'a str,
}

/// A logical line: physical lines joined at `\`, with the offsets to map positions back.
struct Logical {
    text: String,
    /// (offset in `text`, offset in the file) where each physical piece starts.
    pieces: Vec<(usize, usize)>,
}

impl Logical {
    fn offset(&self, at: usize) -> usize {
        self.pieces
            .iter()
            .rev()
            .find(|(l, _)| *l <= at)
            .map_or(0, |(l, p)| p + (at - l))
    }
}

impl Cx<'_> {
    /// Read one file: `path` relative to the top file's directory, `rel` its output name.
    fn file(&mut self, path: &str, rel: &str, text: &str) -> Result<(), InputError> {
        self.stack.push(path.to_string());
        let dev = is_dev_file(path);
        let mut last: Option<usize> = None;
        let mut via_mode = false;
        let mut pending: Option<Logical> = None;
        let mut offset = 0;
        for raw in text.split_inclusive('\n') {
            let start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            let body = line.trim_start();
            if body.starts_with('#') {
                // A comment line ends a continuation, as in pip.
                if let Some(l) = pending.take() {
                    last = self.logical(path, rel, text, &l, dev)?;
                    via_mode = false;
                }
                let comment = body.get(1..).unwrap_or("");
                match via_start(comment) {
                    Some(rest) => {
                        via_mode = true;
                        self.annotated.insert(path.to_string());
                        self.via(last, rest);
                    }
                    None if via_mode && comment.starts_with("  ") && !comment.trim().is_empty() => {
                        self.via(last, comment);
                    }
                    None => via_mode = false,
                }
                continue;
            }
            let l = pending.get_or_insert_with(|| Logical {
                text: String::new(),
                pieces: Vec::new(),
            });
            l.pieces.push((l.text.len(), start));
            match line.strip_suffix('\\') {
                Some(part) => {
                    l.text.push_str(part);
                    l.text.push(' ');
                }
                None => {
                    l.text.push_str(line);
                    if let Some(l) = pending.take() {
                        if l.text.trim().is_empty() {
                            via_mode = false;
                            last = None;
                        } else {
                            last = self.logical(path, rel, text, &l, dev)?;
                            via_mode = false;
                        }
                    }
                }
            }
        }
        if let Some(l) = pending.take() {
            self.logical(path, rel, text, &l, dev)?;
        }
        self.stack.pop();
        self.done.insert(path.to_string());
        Ok(())
    }

    /// Record `# via` entries for the requirement at `last`.
    fn via(&mut self, last: Option<usize>, entries: &str) {
        let Some(entry) = last.and_then(|i| self.entries.get_mut(i)) else {
            return;
        };
        for item in entries.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item.starts_with("-r") || item.starts_with("--requirement") || item.contains('(') {
                entry.direct = true;
            } else if item.starts_with('-') {
                // `-c constraints.txt`: pinned there, asked for elsewhere.
            } else if let Some(name) = python::requirement_name(item) {
                entry.via.push(name);
            }
        }
    }

    /// Handle one logical line; the index of the entry it added, if any.
    fn logical(
        &mut self,
        path: &str,
        rel: &str,
        text: &str,
        l: &Logical,
        dev: bool,
    ) -> Result<Option<usize>, InputError> {
        let err = |at: usize, msg: String| InputError::at(rel, text, l.offset(at), msg);
        // A trailing comment (`#` at the start or after whitespace).
        let (content, comment) = split_comment(&l.text);
        let lead = content.len() - content.trim_start().len();
        let content = content.trim();
        if content.is_empty() {
            return Ok(None);
        }
        if content.starts_with('-') {
            let (opt, value, value_at) = option(content);
            let value_at = lead + value_at;
            return match opt {
                "-r" | "--requirement" => {
                    self.include(path, value, |m| err(value_at, m))?;
                    Ok(None)
                }
                "-e" | "--editable" => {
                    let target = value.split_whitespace().next().unwrap_or("");
                    if target.is_empty() {
                        return Err(err(lead, format!("`{opt}` needs a path or URL")));
                    }
                    Ok(self.url_entry(path, rel, None, target, "editable", dev))
                }
                // Constraints and index, build and hash options are not components.
                _ => Ok(None),
            };
        }
        // Requirement tokens end at the first option (`--hash=...`), as in pip.
        let mut req_end = content.len();
        let mut options: Vec<(usize, &str)> = Vec::new();
        let mut pos = 0;
        for token in content.split_whitespace() {
            let at = content
                .get(pos..)
                .and_then(|s| s.find(token))
                .map_or(pos, |i| pos + i);
            pos = at + token.len();
            if req_end == content.len() && token.starts_with('-') {
                req_end = at;
            }
            if req_end != content.len() {
                options.push((at, token));
            }
        }
        let req = content.get(..req_end).unwrap_or("").trim_end();
        let mut hashes = BTreeSet::new();
        let mut i = 0;
        while let Some(&(at, token)) = options.get(i) {
            i += 1;
            let value = if let Some(v) = token.strip_prefix("--hash=") {
                Some(v)
            } else if token == "--hash" {
                i += 1;
                options.get(i - 1).map(|(_, v)| *v)
            } else {
                None
            };
            if let Some(v) = value {
                let alg = v.split_once(':').map(|(a, _)| a.to_ascii_lowercase());
                let known = alg
                    .as_deref()
                    .is_some_and(|a| ["sha1", "sha256", "sha384", "sha512"].contains(&a));
                match python::hash(v) {
                    Some(h) => {
                        hashes.insert(h);
                    }
                    // md5 and other algorithms carry no digest we record.
                    None if alg.is_some() && !known => {}
                    None => {
                        return Err(err(
                            lead + at,
                            format!(
                                "`--hash` expects `<alg>:<hex digest>`, got `{}`",
                                quote_token(v)
                            ),
                        ));
                    }
                }
            }
        }
        let Some(idx) = self.requirement(path, rel, req, dev, |at, m| err(lead + at, m))? else {
            // The project itself (`-e .`): the root, not a component.
            return Ok(None);
        };
        if let Some(e) = self.entries.get_mut(idx) {
            e.comp.hashes.extend(hashes);
        }
        // `--annotation-style=line`: `name==1.0  # via -r requirements.in, rich`.
        if let Some(rest) = comment.and_then(via_start) {
            self.annotated.insert(path.to_string());
            self.via(Some(idx), rest);
        }
        Ok(Some(idx))
    }

    fn include(
        &mut self,
        path: &str,
        target: &str,
        err: impl Fn(String) -> InputError,
    ) -> Result<(), InputError> {
        let target = target.split_whitespace().next().unwrap_or("");
        if target.is_empty() {
            return Err(err("`-r` needs a file name".into()));
        }
        if target.contains("://") {
            return Err(err(format!(
                "`-r {target}` includes a URL; chainproof never fetches, so its requirements are not inventoried"
            )));
        }
        let absolute = target.starts_with(['/', '\\'])
            || target.get(1..2) == Some(":")
            || target.starts_with('~');
        let joined = match path.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{target}"),
            None => target.to_string(),
        };
        let inc = normalize_path(&joined);
        if absolute || inc == ".." || inc.starts_with("../") {
            let dir = if self.top_dir.is_empty() {
                "."
            } else {
                self.top_dir
            };
            return Err(err(format!(
                "`-r {}` points outside `{dir}`, the directory of the requirements file being read; chainproof reads includes only inside it",
                quote_token(target)
            )));
        }
        if self.stack.contains(&inc) {
            let mut chain = self.stack.clone();
            chain.push(inc);
            return Err(err(format!("include cycle: {}", chain.join(" -> "))));
        }
        if self.done.contains(&inc) {
            return Ok(());
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(err(format!(
                "`-r` includes nest more than {MAX_DEPTH} levels deep"
            )));
        }
        let Some(text) = (self.read)(&inc) else {
            return Err(err(format!("cannot read the included file `{target}`")));
        };
        let rel = if self.top_dir.is_empty() {
            inc.clone()
        } else {
            normalize_path(&format!("{}/{inc}", self.top_dir))
        };
        self.file(&inc, &rel, &text)
    }

    /// A requirement (`name[extras] spec ; marker`, `name @ url`, or a bare URL or path).
    fn requirement(
        &mut self,
        path: &str,
        rel: &str,
        req: &str,
        dev: bool,
        err: impl Fn(usize, String) -> InputError,
    ) -> Result<Option<usize>, InputError> {
        let len = python::name_len(req);
        if len == 0 || looks_like_url(req) {
            if looks_like_url(req) {
                let target = req.split_whitespace().next().unwrap_or(req);
                return Ok(self.url_entry(path, rel, None, target, "url", dev));
            }
            return Err(err(
                0,
                format!(
                    "expected a requirement, an option or a URL, found `{}`",
                    quote_token(req)
                ),
            ));
        }
        let name = req.get(..len).unwrap_or("");
        let mut rest_at = len;
        let mut rest = req.get(len..).unwrap_or("");
        let mut extras = None;
        let trimmed = rest.trim_start();
        if let Some(inner) = trimmed.strip_prefix('[') {
            let Some(close) = inner.find(']') else {
                return Err(err(len, "`[` of the extras is never closed".into()));
            };
            let list: Vec<&str> = inner
                .get(..close)
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            extras = Some(list.join(","));
            let skip = rest.len() - trimmed.len() + 1 + close + 1;
            rest_at += skip;
            rest = rest.get(skip..).unwrap_or("");
        }
        let after = rest.trim_start();
        if let Some(url) = after.strip_prefix('@') {
            // PEP 508 direct reference; a marker follows `;` after whitespace.
            let (url, marker) = match url.find(" ;").or_else(|| url.find("\t;")) {
                Some(i) => (url.get(..i).unwrap_or(""), url.get(i + 2..)),
                None => (url, None),
            };
            let url = url.trim();
            if url.is_empty() {
                return Err(err(rest_at, "`@` needs a URL".into()));
            }
            let i = self.url_entry(path, rel, Some(name), url, "url", dev);
            if let Some(e) = i.and_then(|i| self.entries.get_mut(i)) {
                set(&mut e.comp, "extras", extras);
                set(&mut e.comp, "marker", marker.map(|m| m.trim().to_string()));
            }
            return Ok(i);
        }
        let (spec, marker) = match rest.split_once(';') {
            Some((s, m)) => (s, Some(m.trim().to_string())),
            None => (rest, None),
        };
        let spec_at = rest_at + (spec.len() - spec.trim_start().len());
        let spec = spec.trim();
        let spec = spec
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or(spec)
            .trim();
        let mut version = "";
        if !spec.is_empty() {
            for clause in spec.split(',') {
                let c = clause.trim();
                let op_len = c.bytes().take_while(|b| b"=<>!~".contains(b)).count();
                let op = c.get(..op_len).unwrap_or("");
                let ok = ["==", "===", "!=", "<=", ">=", "<", ">", "~="].contains(&op)
                    && !c.get(op_len..).unwrap_or("").trim().is_empty();
                if !ok {
                    return Err(err(
                        spec_at,
                        format!(
                            "invalid version specifier `{}` for `{name}`",
                            quote_token(c)
                        ),
                    ));
                }
            }
            if let Some(v) = spec.strip_prefix("===").or_else(|| spec.strip_prefix("==")) {
                let v = v.trim();
                if !spec.contains(',') && !v.contains('*') {
                    version = v;
                }
            }
        }
        let mut c = Component::new(Ecosystem::Pypi, name, version, rel);
        c.dev = dev;
        if version.is_empty() {
            let spec = if spec.is_empty() { "any version" } else { spec };
            c = c.property("unpinned", spec);
        }
        set(&mut c, "extras", extras);
        set(&mut c, "marker", marker);
        Ok(Some(self.push(path, name, c)))
    }

    /// An editable or URL requirement; `kind` is the property (`editable` or `url`). `None` when
    /// it names the project itself (`-e .`, `file:.`): that is the root, not a component.
    fn url_entry(
        &mut self,
        path: &str,
        rel: &str,
        name: Option<&str>,
        target: &str,
        kind: &str,
        dev: bool,
    ) -> Option<usize> {
        if is_project_dir(path, target) {
            return None;
        }
        let (guess, version) = name_from_url(target);
        let name = name
            .map(str::to_string)
            .or(guess)
            .unwrap_or_else(|| self.dir_name.to_string());
        let mut c = Component::new(
            Ecosystem::Pypi,
            &name,
            version.as_deref().unwrap_or(""),
            rel,
        )
        .property(kind, target);
        c.dev = dev;
        Some(self.push(path, &name, c))
    }

    fn push(&mut self, path: &str, name: &str, comp: Component) -> usize {
        self.entries.push(Entry {
            comp,
            norm: normalize(name),
            file: path.to_string(),
            direct: false,
            via: Vec::new(),
        });
        self.entries.len() - 1
    }
}

/// Whether an editable or URL target names the project's own folder (the top file's directory):
/// `.`, `./`, `file:.`, `.[extras]`, `..` from a file in a subfolder.
fn is_project_dir(path: &str, target: &str) -> bool {
    let t = target.split('#').next().unwrap_or(target);
    let t = t
        .strip_prefix("file://")
        .or_else(|| t.strip_prefix("file:"))
        .unwrap_or(t);
    let t = t.split('[').next().unwrap_or(t);
    if t.is_empty() || t.contains("://") || t.starts_with('/') || !t.starts_with('.') {
        return false;
    }
    let joined = match path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{t}"),
        None => t.to_string(),
    };
    normalize_path(&joined).is_empty()
}

/// A piece of the file quoted in an error: its first word, cut short (an error never echoes
/// more of a file than the offending token).
fn quote_token(text: &str) -> String {
    let word = text.split_whitespace().next().unwrap_or("");
    match word.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", word.get(..i).unwrap_or("")),
        None => word.to_string(),
    }
}

fn set(c: &mut Component, name: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        c.properties.insert(name.to_string(), v);
    }
}

/// The rest of a comment that starts a `via` annotation (`# via rich`, `# via`).
fn via_start(comment: &str) -> Option<&str> {
    let rest = comment.trim_start().strip_prefix("via")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest)
}

/// Split off a trailing comment: `#` at the start or after whitespace (pip's rule; a `#` inside a
/// URL fragment such as `#egg=` is not a comment).
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace)) {
            return (line.get(..i).unwrap_or(""), line.get(i + 1..));
        }
    }
    (line, None)
}

/// An option line: its name (`-r`, `--requirement`), its value and where the value starts.
fn option(content: &str) -> (&str, &str, usize) {
    if content.starts_with("--") {
        let end = content
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(content.len());
        let name = content.get(..end).unwrap_or(content);
        let rest = content.get(end..).unwrap_or("");
        let rest = rest.strip_prefix('=').unwrap_or(rest);
        let value = rest.trim_start();
        (name, value.trim_end(), content.len() - value.len())
    } else {
        // `-r file` or `-rfile`.
        let name = content.get(..2).unwrap_or(content);
        let value = content.get(2..).unwrap_or("").trim_start();
        (name, value.trim_end(), content.len() - value.len())
    }
}

fn looks_like_url(req: &str) -> bool {
    let first = req.split_whitespace().next().unwrap_or("");
    first.contains("://")
        || first.starts_with("file:")
        || first.starts_with('.')
        || first.starts_with('/')
        || [".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2"]
            .iter()
            .any(|ext| first.ends_with(ext))
}

/// The name (and version, for archives) a URL or path names: `#egg=name`, a wheel or sdist file
/// name, a repository or a folder.
fn name_from_url(target: &str) -> (Option<String>, Option<String>) {
    let (base, fragment) = match target.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (target, None),
    };
    let egg = fragment.and_then(|f| {
        f.split('&')
            .find_map(|kv| kv.strip_prefix("egg="))
            .filter(|n| !n.is_empty())
    });
    let base = base.split('?').next().unwrap_or(base);
    let vcs = ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|p| base.starts_with(p));
    let last = base.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let last = if vcs {
        last.split('@').next().unwrap_or(last)
    } else {
        last
    };
    if let Some(stem) = last.strip_suffix(".whl") {
        // `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`
        let mut parts = stem.split('-');
        let name = parts.next().filter(|n| !n.is_empty());
        let version = parts.next().filter(|v| !v.is_empty());
        return (
            egg.map(str::to_string).or(name.map(str::to_string)),
            version.map(str::to_string),
        );
    }
    for ext in [".tar.gz", ".tar.bz2", ".tgz", ".zip"] {
        if let Some(stem) = last.strip_suffix(ext) {
            if let Some((n, v)) = stem.rsplit_once('-') {
                if v.starts_with(|c: char| c.is_ascii_digit()) && !n.is_empty() {
                    return (Some(egg.unwrap_or(n).to_string()), Some(v.to_string()));
                }
            }
        }
    }
    if let Some(egg) = egg {
        return (Some(egg.to_string()), None);
    }
    let last = last.strip_suffix(".git").unwrap_or(last);
    let named = python::name_len(last) == last.len() && !last.is_empty();
    (named.then(|| last.to_string()), None)
}

/// Whether a file holds development requirements: a `dev` or `test` word in its name.
fn is_dev_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.strip_suffix(".txt").unwrap_or(name);
    stem.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "dev" | "develop" | "development" | "test" | "tests" | "testing"
        )
    })
}

/// Resolve `.` and `..` segments lexically (`a/../b/./c` -> `b/c`); leading `..` are kept.
fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !absolute {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(map: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = map
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |p: &str| map.get(p).cloned()
    }

    fn read(text: &str, others: &[(&str, &str)]) -> Result<Lockfile, InputError> {
        parse("app/requirements.txt", text, "app", None, &files(others))
    }

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    const HASH_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const HASH_B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    #[test]
    fn file_names() {
        for yes in [
            "requirements.txt",
            "requirements-dev.txt",
            "requirements_test.txt",
            "dev-requirements.txt",
        ] {
            assert!(matches(yes), "{yes}");
        }
        for no in [
            "requirements.in",
            "reqs.txt",
            "requirements.txt.bak",
            "base.txt",
        ] {
            assert!(!matches(no), "{no}");
        }
    }

    #[test]
    fn pins_with_continued_hashes() {
        let text = format!(
            "# header\n--index-url https://pypi.org/simple\n\nRequests_OAuthlib==1.3.1 \\\n    --hash=sha256:{HASH_A} \\\n    --hash sha256:{HASH_B}\nclick==8.1.7 --hash=md5:0123\n"
        );
        let l = read(&text, &[]).expect("parses");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            ["pkg:pypi/click@8.1.7", "pkg:pypi/requests-oauthlib@1.3.1"]
        );
        let r = by["pkg:pypi/requests-oauthlib@1.3.1"];
        // Two artifact digests: a property, not the component's hash.
        assert!(r.hashes.is_empty());
        assert!(r.properties["artifact-sha256"].contains(&HASH_B.to_ascii_lowercase()));
        assert!(by["pkg:pypi/click@8.1.7"].hashes.is_empty());
        assert_eq!(r.scope, Scope::Direct);
        assert_eq!(l.root.purl, "pkg:pypi/app");
        assert_eq!(l.edges["pkg:pypi/app"].len(), 2);
    }

    #[test]
    fn extras_markers_unpinned_editable_and_urls() {
        let text = "requests[socks, security]==2.31.0 ; python_version < \"3.8\"\n\
            rich>=13,<14\n\
            attrs\n\
            -e git+https://github.com/org/tool.git@v1.2#egg=tool_x\n\
            -e ./libs/helper\n\
            pip @ https://example.org/pip-24.0-py3-none-any.whl ; sys_platform == 'linux'\n\
            https://example.org/archive/six-1.16.0.tar.gz\n";
        let l = read(text, &[]).expect("parses");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:pypi/attrs",
                "pkg:pypi/helper",
                "pkg:pypi/pip@24.0",
                "pkg:pypi/requests@2.31.0",
                "pkg:pypi/rich",
                "pkg:pypi/six@1.16.0",
                "pkg:pypi/tool-x",
            ]
        );
        let r = by["pkg:pypi/requests@2.31.0"];
        assert_eq!(r.properties["extras"], "socks,security");
        assert_eq!(r.properties["marker"], "python_version < \"3.8\"");
        assert!(!r.properties.contains_key("unpinned"));
        assert_eq!(by["pkg:pypi/rich"].properties["unpinned"], ">=13,<14");
        assert_eq!(by["pkg:pypi/attrs"].properties["unpinned"], "any version");
        assert_eq!(
            by["pkg:pypi/tool-x"].properties["editable"],
            "git+https://github.com/org/tool.git@v1.2#egg=tool_x"
        );
        assert_eq!(
            by["pkg:pypi/helper"].properties["editable"],
            "./libs/helper"
        );
        assert_eq!(
            by["pkg:pypi/pip@24.0"].properties["marker"],
            "sys_platform == 'linux'"
        );
        assert!(by["pkg:pypi/six@1.16.0"].properties["url"].ends_with(".tar.gz"));
    }

    #[test]
    fn pip_compile_via_annotations_give_scopes_and_edges() {
        let text = format!(
            "certifi==2024.2.2 \\\n    --hash=sha256:{HASH_A}\n    # via requests\n\
             requests==2.31.0\n    # via\n    #   -r requirements.in\n    #   demo (pyproject.toml)\n\
             pygments==2.17.2\n    # via\n    #   -c constraints.txt\n    #   rich\n\
             rich==13.7.0  # via -r requirements.in\n\
             urllib3==2.2.0\n\n\
             click==8.1.7 ; python_version >= '3.10'\n    # via demo-app\n\n\
             # The following packages are considered to be unsafe:\n# pip\n"
        );
        let l = read(&text, &[]).expect("parses");
        let by = by_purl(&l);
        let scope = |p: &str| by[p].scope;
        assert_eq!(scope("pkg:pypi/certifi@2024.2.2"), Scope::Transitive);
        assert_eq!(scope("pkg:pypi/pygments@2.17.2"), Scope::Transitive);
        assert_eq!(scope("pkg:pypi/requests@2.31.0"), Scope::Direct);
        assert_eq!(scope("pkg:pypi/rich@13.7.0"), Scope::Direct);
        // No annotation in an annotated file: direct.
        assert_eq!(scope("pkg:pypi/urllib3@2.2.0"), Scope::Direct);
        // `uv export` names the project, which is not among the packages.
        assert_eq!(scope("pkg:pypi/click@8.1.7"), Scope::Direct);
        assert_eq!(
            l.edges["pkg:pypi/requests@2.31.0"],
            BTreeSet::from(["pkg:pypi/certifi@2024.2.2".to_string()])
        );
        assert_eq!(
            l.edges["pkg:pypi/rich@13.7.0"],
            BTreeSet::from(["pkg:pypi/pygments@2.17.2".to_string()])
        );
        assert_eq!(
            l.edges["pkg:pypi/app"],
            BTreeSet::from([
                "pkg:pypi/click@8.1.7".to_string(),
                "pkg:pypi/requests@2.31.0".to_string(),
                "pkg:pypi/rich@13.7.0".to_string(),
                "pkg:pypi/urllib3@2.2.0".to_string()
            ])
        );
    }

    #[test]
    fn includes_are_read_relative_to_the_including_file() {
        let l = read(
            "-r requirements/base.txt\n--requirement=requirements/dev.txt\n-c constraints.txt\nflask==3.0.0\n",
            &[
                ("requirements/base.txt", "-r ../common.txt\nclick==8.1.7\n"),
                ("requirements/dev.txt", "-r base.txt\npytest==8.0.0\nclick==8.1.7\n"),
                ("common.txt", "six==1.16.0\n"),
                ("constraints.txt", "never-read==1.0\n"),
            ],
        )
        .expect("parses");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:pypi/click@8.1.7",
                "pkg:pypi/flask@3.0.0",
                "pkg:pypi/pytest@8.0.0",
                "pkg:pypi/six@1.16.0"
            ]
        );
        assert_eq!(
            by["pkg:pypi/six@1.16.0"].sources,
            BTreeSet::from(["app/common.txt".to_string()])
        );
        let click = by["pkg:pypi/click@8.1.7"];
        assert_eq!(
            click.sources,
            BTreeSet::from([
                "app/requirements/base.txt".to_string(),
                "app/requirements/dev.txt".to_string()
            ])
        );
        // Listed in a dev file and a runtime file: not dev.
        assert!(!click.dev);
        assert!(by["pkg:pypi/pytest@8.0.0"].dev);
        assert!(!by["pkg:pypi/flask@3.0.0"].dev);
    }

    #[test]
    fn include_cycles_and_missing_includes_are_errors() {
        let e = read(
            "flask==3.0.0\n-r a.txt\n",
            &[("a.txt", "x==1\n-r b.txt\n"), ("b.txt", "-r a.txt\n")],
        )
        .expect_err("cycle");
        assert_eq!(e.file, "app/b.txt");
        assert_eq!((e.line, e.column), (1, 4));
        assert!(
            e.message
                .contains("requirements.txt -> a.txt -> b.txt -> a.txt"),
            "{e}"
        );
        let e = read("-r requirements.txt\n", &[]).expect_err("self include");
        assert!(e.message.contains("cycle"), "{e}");
        let e = read("ok==1\n-r missing.txt\n", &[]).expect_err("missing");
        assert_eq!(
            (e.file.as_str(), e.line, e.column),
            ("app/requirements.txt", 2, 4)
        );
        let e = read("-r https://example.org/r.txt\n", &[]).expect_err("url");
        assert!(e.message.contains("never fetches"), "{e}");
        // A chain deeper than the limit.
        let chain: Vec<(String, String)> = (0..=MAX_DEPTH)
            .map(|i| (format!("r{i}.txt"), format!("-r r{}.txt\n", i + 1)))
            .collect();
        let chain: Vec<(&str, &str)> = chain
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let e = read("-r r0.txt\n", &chain).expect_err("too deep");
        assert!(e.message.contains("levels deep"), "{e}");
    }

    #[test]
    fn malformed_lines_name_the_position() {
        let e = read("click==8.1.7\n  requests=2.0\n", &[]).expect_err("bad specifier");
        assert_eq!(
            e.to_string(),
            "app/requirements.txt:2:11: invalid version specifier `=2.0` for `requests`"
        );
        let e = read("ok==1\n!!!\n", &[]).expect_err("not a requirement");
        assert_eq!((e.line, e.column), (2, 1));
        let e = read("a[x==1\n", &[]).expect_err("extras");
        assert_eq!((e.line, e.column), (1, 2));
        let e = read("a==1 \\\n  --hash=sha256:zz\n", &[]).expect_err("hash");
        assert_eq!((e.line, e.column), (2, 3));
    }

    #[test]
    fn root_from_pyproject() {
        let l = parse(
            "requirements.txt",
            "a==1\n",
            "dir",
            Some("[project]\nname = \"Demo_App\"\nversion = \"0.3.0\"\n"),
            &files(&[]),
        )
        .expect("parses");
        assert_eq!(l.root.purl, "pkg:pypi/demo-app@0.3.0");
    }

    #[test]
    fn truncated_files_never_panic() {
        let text = format!(
            "-r a.txt\nrequests[socks]==2.0 ; python_version < \"3\" \\\n  --hash=sha256:{HASH_A}\n    # via\n    #   -r r.in\n-e git+https://h/x.git@v1#egg=x\npip @ https://h/pip-1.0-py3-none-any.whl ; os_name == 'nt'\nrich>=1\n"
        );
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = read(&text[..end], &[("a.txt", "-r a.txt\n")]);
        }
    }

    #[test]
    fn includes_never_leave_the_top_directory_nor_echo_their_target() {
        let secret = "root:x:0:0:secret-contents:/root:/bin/bash\n";
        for target in [
            "/etc/passwd",
            "../outside.txt",
            "sub/../../outside.txt",
            "~/x.txt",
        ] {
            let e = read(
                &format!("ok==1\n-r {target}\n"),
                &[("/etc/passwd", secret), ("../outside.txt", secret)],
            )
            .expect_err(target);
            assert_eq!(
                (e.file.as_str(), e.line, e.column),
                ("app/requirements.txt", 2, 4),
                "{target}: {e}"
            );
            assert!(e.message.contains("outside"), "{e}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
        // From an included file, `..` back to the top directory is fine, above it is not.
        let ok = read(
            "-r sub/a.txt\n",
            &[("sub/a.txt", "-r ../b.txt\n"), ("b.txt", "six==1.16.0\n")],
        )
        .expect("inside");
        assert_eq!(ok.components.len(), 1);
        let e = read(
            "-r sub/a.txt\n",
            &[("sub/a.txt", "-r ../../b.txt\n"), ("../b.txt", "six==1\n")],
        )
        .expect_err("above");
        assert_eq!((e.file.as_str(), e.line), ("app/sub/a.txt", 1));
        // An included file's bad line is quoted by its first token only.
        let e = read(
            "-r a.txt\n",
            &[("a.txt", "!secret-token and more secret words\n")],
        )
        .expect_err("bad line");
        assert!(e.message.ends_with("found `!secret-token`"), "{e}");
    }

    #[test]
    fn includes_through_symbolic_links_out_of_the_directory_are_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let top = tmp.path().join("app");
        std::fs::create_dir_all(&top).expect("mkdir");
        std::fs::write(tmp.path().join("outside.txt"), "leaked==1\n").expect("write");
        std::fs::write(top.join("inside.txt"), "six==1.16.0\n").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(tmp.path().join("outside.txt"), top.join("link.txt"))
            .expect("symlink");
        let run = |text: &str| {
            (READER.parse)(&super::super::Input {
                rel: "app/requirements.txt",
                text,
                dir: &top,
                dir_name: "app",
            })
        };
        let l = run("-r inside.txt\n").expect("inside");
        assert_eq!(l.components[0].purl, "pkg:pypi/six@1.16.0");
        #[cfg(unix)]
        {
            let e = run("-r link.txt\n").expect_err("symlink out");
            assert!(e.message.contains("cannot read"), "{e}");
        }
    }

    #[test]
    fn editable_project_itself_is_the_root() {
        for pyproject in [
            None,
            Some("[project]\nname = \"Demo_App\"\nversion = \"0.3.0\"\n"),
        ] {
            let l = parse(
                "app/requirements.txt",
                "-e .\n    # via -r requirements.in\n-e file:.#egg=x\nsix==1.16.0\n",
                "app",
                pyproject,
                &files(&[("sub/r.txt", "-e ..[dev]\n")]),
            )
            .expect("parses");
            assert_eq!(
                l.components
                    .iter()
                    .map(|c| c.purl.as_str())
                    .collect::<Vec<_>>(),
                ["pkg:pypi/six@1.16.0"],
                "{pyproject:?}"
            );
            for (from, to) in &l.edges {
                assert!(!to.contains(from), "self-edge on {from}");
            }
            assert_eq!(l.edges[&l.root.purl].len(), 1);
        }
        // `..` from a file in a subfolder is the project too; `./libs/x` is not.
        let l = read(
            "-r sub/r.txt\n-e ./libs/x\n",
            &[("sub/r.txt", "-e ..[dev]\n")],
        )
        .expect("parses");
        assert_eq!(
            l.components
                .iter()
                .map(|c| c.purl.as_str())
                .collect::<Vec<_>>(),
            ["pkg:pypi/x"]
        );
    }

    #[test]
    fn several_hashes_are_artifact_digests_not_the_component_hash() {
        let text = format!(
            "a==1 --hash=sha256:{HASH_B} --hash=sha256:{HASH_A}\nb==1 --hash=sha256:{HASH_A}\n"
        );
        let l = read(&text, &[]).expect("parses");
        let by = by_purl(&l);
        let a = by["pkg:pypi/a@1"];
        assert!(a.hashes.is_empty());
        assert_eq!(
            a.properties["artifact-sha256"],
            format!("{HASH_A} {}", HASH_B.to_ascii_lowercase())
        );
        assert_eq!(by["pkg:pypi/b@1"].hashes.len(), 1);
        assert!(
            !by["pkg:pypi/b@1"]
                .properties
                .contains_key("artifact-sha256")
        );
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalize_path("a/../b/./c"), "b/c");
        assert_eq!(normalize_path("../x.txt"), "../x.txt");
        assert_eq!(normalize_path("a/../../x.txt"), "../x.txt");
    }
}
