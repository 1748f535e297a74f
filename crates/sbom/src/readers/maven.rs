//! Maven `pom.xml`, best effort: a POM declares dependencies, it does not lock them, and the
//! transitive graph needs Maven's resolver (parents, BOMs and artifacts from a repository), which
//! chainproof never runs. Every component, the root included, carries the property `best-effort`.
//!
//! Read: the `<dependencies>` of the project itself (not those of `<profiles>` or plugins), with
//! `${property}` values from `<properties>` and the project's own coordinates (`project.version`,
//! `project.groupId`, `project.parent.version`, ...), versions and scopes from the project's
//! `<dependencyManagement>` for dependencies that leave them out, and `groupId`/`version` inherited
//! from `<parent>` when the project leaves them out. Not read: the parent POM itself, imported BOMs
//! (`<scope>import</scope>`), settings and environment properties. A version that cannot be found
//! this way (a property defined elsewhere, a version managed by a parent or a BOM) or that is a
//! range is left empty, with the property `unresolved-version` saying what was declared.
//! Scope `test` and `provided` make a component `dev`; `<optional>true</optional>` makes it
//! optional; a `classifier` and a `type` other than `jar` become purl qualifiers. Every declared
//! dependency is direct. The root is the project's `groupId:artifactId:version`
//! (`pkg:generic/<artifactId>@<version>` when neither the project nor its parent has a `groupId`:
//! a Maven purl needs one).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};

use roxmltree::{Document, Node};

use crate::{Component, Ecosystem, InputError, Lockfile, Scope};

/// The value of the property `best-effort` on every component read from a POM.
pub const BEST_EFFORT: &str =
    "declared in pom.xml; transitive dependencies are not resolved without Maven";

/// How deep `${a}` -> `${b}` -> ... is followed, the longest value substitution may build, and
/// how many substitutions one POM may make in all.
const MAX_DEPTH: usize = 16;
const MAX_VALUE: usize = 4096;
const MAX_SUBSTITUTIONS: usize = 100_000;

/// A managed dependency's declared version and scope.
type Managed<'a> = (Option<&'a str>, Option<&'a str>);

/// `pom.xml`.
pub const READER: super::Reader = super::Reader {
    format: "pom.xml",
    matches: |name| name == "pom.xml",
    parse: |input| parse(input.rel, input.text),
};

/// A direct child element by local name (POM elements live in the POM namespace, or in none).
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The trimmed text of a child element, when present and not empty.
fn field<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name)
        .and_then(|c| c.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// `${name}` substitution from the POM's properties.
///
/// Each property is expanded at most once and remembered with its nesting depth, so a POM whose
/// properties each reference the next one many times (`<p1>${p2}${p2}...</p1>`) costs one expansion
/// per property rather than a number of substitutions exponential in the chain's length; a
/// reference back to a property being expanded (a cycle) fails at once. Every substitution, cached
/// or not, also spends from a budget shared by the whole POM.
struct Props {
    raw: BTreeMap<String, String>,
    /// Property -> its expansion and the nesting depth of its references, or the smallest depth
    /// at which it failed (`0`: it fails wherever it is used).
    memo: RefCell<BTreeMap<String, Memo>>,
    /// The properties being expanded (cycle detection).
    active: RefCell<BTreeSet<String>>,
    budget: Cell<usize>,
}

/// A property's expansion and the depth of its references, or the depth it failed at.
type Memo = Result<(String, usize), usize>;

/// Why an expansion failed.
enum Fail {
    /// Nested deeper than [`MAX_DEPTH`] from where it started; it may succeed from nearer the top.
    TooDeep,
    /// Unknown property, a cycle, too long a value or the budget spent: fails wherever it is used.
    Never,
}

impl Props {
    fn new(raw: BTreeMap<String, String>) -> Self {
        Props {
            raw,
            memo: RefCell::new(BTreeMap::new()),
            active: RefCell::new(BTreeSet::new()),
            budget: Cell::new(MAX_SUBSTITUTIONS),
        }
    }

    /// `s` with every `${name}` replaced; `None` when one is unknown (or the expansion runs away).
    fn expand(&self, s: &str) -> Option<String> {
        self.expand_at(s, 0).ok().map(|(value, _)| value)
    }

    /// `s` expanded at nesting depth `depth`, with the depth of its deepest reference below it.
    fn expand_at(&self, s: &str, depth: usize) -> Result<(String, usize), Fail> {
        if depth > MAX_DEPTH {
            return Err(Fail::TooDeep);
        }
        let mut out = String::new();
        let mut height = 0;
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(rest.get(..i).ok_or(Fail::Never)?);
            let after = rest.get(i + 2..).ok_or(Fail::Never)?;
            let end = after.find('}').ok_or(Fail::Never)?;
            let name = after.get(..end).ok_or(Fail::Never)?.trim();
            let spent = self.budget.get().checked_sub(1).ok_or(Fail::Never)?;
            self.budget.set(spent);
            let h = self.property(name, depth + 1, &mut out)?;
            height = height.max(h + 1);
            if out.len() > MAX_VALUE {
                return Err(Fail::Never);
            }
            rest = after.get(end + 1..).ok_or(Fail::Never)?;
        }
        out.push_str(rest);
        if out.len() > MAX_VALUE {
            return Err(Fail::Never);
        }
        Ok((out, height))
    }

    /// Append property `name`, expanded at nesting depth `depth`, to `out`; its height.
    fn property(&self, name: &str, depth: usize, out: &mut String) -> Result<usize, Fail> {
        match self.memo.borrow().get(name) {
            Some(Ok((value, height))) if depth + height <= MAX_DEPTH => {
                out.push_str(value);
                return Ok(*height);
            }
            Some(Ok(_)) => return Err(Fail::TooDeep),
            Some(Err(0)) => return Err(Fail::Never),
            Some(Err(failed_at)) if depth >= *failed_at => return Err(Fail::TooDeep),
            _ => {}
        }
        let raw = self.raw.get(name).ok_or(Fail::Never)?;
        if !self.active.borrow_mut().insert(name.to_string()) {
            return Err(Fail::Never);
        }
        let result = self.expand_at(raw, depth);
        self.active.borrow_mut().remove(name);
        let mut memo = self.memo.borrow_mut();
        match result {
            Ok((value, height)) => {
                out.push_str(&value);
                memo.insert(name.to_string(), Ok((value, height)));
                Ok(height)
            }
            Err(Fail::TooDeep) => {
                let at = match memo.get(name) {
                    Some(Err(prev)) => depth.min(*prev),
                    _ => depth,
                };
                memo.insert(name.to_string(), Err(at.max(1)));
                Err(Fail::TooDeep)
            }
            Err(Fail::Never) => {
                memo.insert(name.to_string(), Err(0));
                Err(Fail::Never)
            }
        }
    }
}

/// Parse `pom.xml` text.
pub fn parse(file: &str, text: &str) -> Result<Lockfile, InputError> {
    let doc = Document::parse(text).map_err(|e| xml_error(file, &e))?;
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        return Err(InputError::at(
            file,
            text,
            project.range().start,
            format!(
                "not a Maven POM: the root element is <{}>, not <project>",
                project.tag_name().name()
            ),
        ));
    }
    let parent = child(project, "parent");
    let parent_text = |name: &str| parent.and_then(|p| field(p, name));

    let mut props: BTreeMap<String, String> = BTreeMap::new();
    if let Some(p) = child(project, "properties") {
        for prop in p.children().filter(Node::is_element) {
            let value = prop.text().map(str::trim).unwrap_or("");
            props.insert(prop.tag_name().name().to_string(), value.to_string());
        }
    }
    let group_raw = field(project, "groupId").or_else(|| parent_text("groupId"));
    let artifact_raw = field(project, "artifactId");
    let version_raw = field(project, "version").or_else(|| parent_text("version"));
    let builtins = [
        ("groupId", group_raw),
        ("artifactId", artifact_raw),
        ("version", version_raw),
    ];
    for (name, value) in builtins {
        if let Some(v) = value {
            for prefix in ["project.", "pom.", ""] {
                props
                    .entry(format!("{prefix}{name}"))
                    .or_insert_with(|| v.to_string());
            }
        }
    }
    for name in ["groupId", "artifactId", "version"] {
        if let Some(v) = parent_text(name) {
            for prefix in ["project.parent.", "parent."] {
                props
                    .entry(format!("{prefix}{name}"))
                    .or_insert_with(|| v.to_string());
            }
        }
    }
    let props = Props::new(props);

    let root_group = group_raw.and_then(|g| props.expand(g)).unwrap_or_default();
    let root_artifact = artifact_raw.and_then(|a| props.expand(a)).ok_or_else(|| {
        InputError::at(
            file,
            text,
            project.range().start,
            "the POM has no <artifactId>",
        )
    })?;
    let root_version = version_raw
        .and_then(|v| props.expand(v))
        .unwrap_or_default();
    // A Maven purl needs the groupId as its namespace: without one the root is generic.
    let mut root = if root_group.is_empty() {
        Component::new(Ecosystem::Generic, &root_artifact, &root_version, file)
    } else {
        Component::new(
            Ecosystem::Maven,
            &format!("{root_group}:{root_artifact}"),
            &root_version,
            file,
        )
    }
    .property("best-effort", BEST_EFFORT);
    root.scope = Scope::Direct;

    // dependencyManagement: (groupId, artifactId) -> (version, scope), as declared.
    let mut managed: BTreeMap<(String, String), Managed<'_>> = BTreeMap::new();
    if let Some(deps) =
        child(project, "dependencyManagement").and_then(|m| child(m, "dependencies"))
    {
        for d in children(deps, "dependency") {
            let (Some(g), Some(a)) = (
                field(d, "groupId").and_then(|g| props.expand(g)),
                field(d, "artifactId").and_then(|a| props.expand(a)),
            ) else {
                continue;
            };
            if field(d, "scope") == Some("import") {
                continue;
            }
            managed.insert((g, a), (field(d, "version"), field(d, "scope")));
        }
    }

    let mut comps: BTreeMap<String, Component> = BTreeMap::new();
    if let Some(deps) = child(project, "dependencies") {
        for d in children(deps, "dependency") {
            let at = d.range().start;
            let group = field(d, "groupId").and_then(|g| props.expand(g));
            let artifact = field(d, "artifactId").and_then(|a| props.expand(a));
            let (Some(group), Some(artifact)) = (group, artifact) else {
                return Err(InputError::at(
                    file,
                    text,
                    at,
                    "a <dependency> without a resolvable <groupId> and <artifactId>",
                ));
            };
            let entry = managed.get(&(group.clone(), artifact.clone()));
            let declared = field(d, "version").or_else(|| entry.and_then(|e| e.0));
            let expanded = declared.and_then(|v| props.expand(v));
            let (version, unresolved) = match (declared, expanded) {
                (Some(_), Some(v)) if !v.starts_with(['[', '(']) && !v.is_empty() => (v, None),
                (Some(raw), Some(v)) => (
                    String::new(),
                    Some(if v.is_empty() { raw.to_string() } else { v }),
                ),
                (Some(raw), None) => (String::new(), Some(raw.to_string())),
                (None, _) => (
                    String::new(),
                    Some(
                        "not declared in this POM (managed by a parent POM or an imported BOM)"
                            .to_string(),
                    ),
                ),
            };
            let scope = field(d, "scope")
                .or_else(|| entry.and_then(|e| e.1))
                .and_then(|s| props.expand(s))
                .unwrap_or_else(|| "compile".to_string());
            let optional = field(d, "optional").and_then(|o| props.expand(o));
            let classifier = field(d, "classifier")
                .and_then(|c| props.expand(c))
                .unwrap_or_default();
            let kind = field(d, "type")
                .and_then(|t| props.expand(t))
                .filter(|t| t != "jar")
                .unwrap_or_default();

            let mut c = Component::new(
                Ecosystem::Maven,
                &format!("{group}:{artifact}"),
                &version,
                file,
            )
            .property("best-effort", BEST_EFFORT);
            c.purl = crate::purl::build(
                "maven",
                Some(&group),
                &artifact,
                &version,
                &[("classifier", &classifier), ("type", &kind)],
            );
            c.scope = Scope::Direct;
            c.dev = matches!(scope.as_str(), "test" | "provided");
            c.optional = optional.as_deref() == Some("true");
            if scope != "compile" {
                c = c.property("maven-scope", scope);
            }
            if let Some(u) = unresolved {
                c = c.property("unresolved-version", u);
            }
            match comps.get_mut(&c.purl) {
                Some(existing) => {
                    existing.dev &= c.dev;
                    existing.optional &= c.optional;
                }
                None => {
                    comps.insert(c.purl.clone(), c);
                }
            }
        }
    }
    comps.remove(&root.purl);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.insert(root.purl.clone(), comps.keys().cloned().collect());
    Ok(Lockfile {
        path: file.to_string(),
        root,
        components: comps.into_values().collect(),
        edges,
    })
}

fn xml_error(file: &str, e: &roxmltree::Error) -> InputError {
    let pos = e.pos();
    let message = e.to_string();
    let suffix = format!(" at {}:{}", pos.row, pos.col);
    let message = message.strip_suffix(&suffix).unwrap_or(&message);
    InputError {
        file: file.to_string(),
        line: pos.row as usize,
        column: pos.col as usize,
        message: format!("not well-formed XML: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pom(body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
{body}
</project>
"#
        )
    }

    fn by_purl(l: &Lockfile) -> BTreeMap<&str, &Component> {
        l.components.iter().map(|c| (c.purl.as_str(), c)).collect()
    }

    #[test]
    fn properties_are_substituted() {
        let text = pom(r#"
  <groupId>com.example</groupId>
  <artifactId>app</artifactId>
  <version>1.4.0</version>
  <properties>
    <jackson.major>2.15</jackson.major>
    <jackson.version>${jackson.major}.2</jackson.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>app-api</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>org.example</groupId>
      <artifactId>elsewhere</artifactId>
      <version>${defined.in.parent}</version>
    </dependency>
  </dependencies>"#);
        let l = parse("pom.xml", &text).expect("parses");
        assert_eq!(l.root.purl, "pkg:maven/com.example/app@1.4.0");
        assert_eq!(l.root.properties["best-effort"], BEST_EFFORT);
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:maven/com.example/app-api@1.4.0",
                "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2",
                "pkg:maven/org.example/elsewhere",
            ]
        );
        let unresolved = by["pkg:maven/org.example/elsewhere"];
        assert_eq!(unresolved.version, "");
        assert_eq!(
            unresolved.properties["unresolved-version"],
            "${defined.in.parent}"
        );
        assert!(
            l.components
                .iter()
                .all(|c| c.properties["best-effort"] == BEST_EFFORT && c.scope == Scope::Direct)
        );
        assert_eq!(l.edges["pkg:maven/com.example/app@1.4.0"].len(), 3);
    }

    #[test]
    fn self_referencing_properties_do_not_loop() {
        let text = pom(r#"
  <groupId>g</groupId><artifactId>a</artifactId><version>1</version>
  <properties><x>${y}</x><y>${x}</y></properties>
  <dependencies>
    <dependency><groupId>g</groupId><artifactId>b</artifactId><version>${x}</version></dependency>
  </dependencies>"#);
        let l = parse("pom.xml", &text).expect("parses");
        assert_eq!(l.components[0].properties["unresolved-version"], "${x}");
    }

    #[test]
    fn dependency_management_and_parent_inheritance() {
        let text = pom(r#"
  <parent>
    <groupId>org.acme</groupId>
    <artifactId>acme-parent</artifactId>
    <version>7.1.0</version>
  </parent>
  <artifactId>worker</artifactId>
  <properties><guava.version>32.1.3-jre</guava.version></properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.google.guava</groupId>
        <artifactId>guava</artifactId>
        <version>${guava.version}</version>
      </dependency>
      <dependency>
        <groupId>org.mockito</groupId>
        <artifactId>mockito-core</artifactId>
        <version>5.8.0</version>
        <scope>test</scope>
      </dependency>
      <dependency>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-dependencies</artifactId>
        <version>3.2.0</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId></dependency>
    <dependency><groupId>org.mockito</groupId><artifactId>mockito-core</artifactId></dependency>
    <dependency><groupId>org.acme</groupId><artifactId>acme-core</artifactId><version>${project.parent.version}</version></dependency>
    <dependency><groupId>org.springframework</groupId><artifactId>spring-web</artifactId></dependency>
  </dependencies>"#);
        let l = parse("pom.xml", &text).expect("parses");
        assert_eq!(l.root.purl, "pkg:maven/org.acme/worker@7.1.0");
        let by = by_purl(&l);
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            [
                "pkg:maven/com.google.guava/guava@32.1.3-jre",
                "pkg:maven/org.acme/acme-core@7.1.0",
                "pkg:maven/org.mockito/mockito-core@5.8.0",
                "pkg:maven/org.springframework/spring-web",
            ]
        );
        // The managed scope applies too.
        assert!(by["pkg:maven/org.mockito/mockito-core@5.8.0"].dev);
        assert!(!by["pkg:maven/com.google.guava/guava@32.1.3-jre"].dev);
        assert!(
            by["pkg:maven/org.springframework/spring-web"].properties["unresolved-version"]
                .contains("imported BOM")
        );
    }

    #[test]
    fn scopes_optional_ranges_and_qualifiers() {
        let text = pom(r#"
  <groupId>g</groupId><artifactId>a</artifactId><version>1.0</version>
  <dependencies>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>
    <dependency><groupId>jakarta.servlet</groupId><artifactId>jakarta.servlet-api</artifactId><version>6.0.0</version><scope>provided</scope></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version><scope>runtime</scope><optional>true</optional></dependency>
    <dependency><groupId>org.x</groupId><artifactId>ranged</artifactId><version>[1.0,2.0)</version></dependency>
    <dependency><groupId>org.x</groupId><artifactId>fixtures</artifactId><version>1.0</version><type>test-jar</type><classifier>tests</classifier><scope>test</scope></dependency>
  </dependencies>"#);
        let l = parse("pom.xml", &text).expect("parses");
        let by = by_purl(&l);
        assert!(by["pkg:maven/junit/junit@4.13.2"].dev);
        assert_eq!(
            by["pkg:maven/junit/junit@4.13.2"].properties["maven-scope"],
            "test"
        );
        assert!(by["pkg:maven/jakarta.servlet/jakarta.servlet-api@6.0.0"].dev);
        let slf4j = by["pkg:maven/org.slf4j/slf4j-api@2.0.9"];
        assert!(!slf4j.dev && slf4j.optional);
        assert_eq!(
            by["pkg:maven/org.x/ranged"].properties["unresolved-version"],
            "[1.0,2.0)"
        );
        assert!(by.contains_key("pkg:maven/org.x/fixtures@1.0?classifier=tests&type=test-jar"));
    }

    #[test]
    fn nested_empty_expansions_finish_fast() {
        // Each property references the next a thousand times and the last is empty: without
        // memoised expansion this is 1000^4 substitutions that each produce nothing, so no
        // length limit is ever reached.
        let refs = |p: &str| format!("${{{p}}}").repeat(1000);
        let text = pom(&format!(
            r#"
  <groupId>g</groupId><artifactId>a</artifactId><version>1</version>
  <properties>
    <p1>{}</p1><p2>{}</p2><p3>{}</p3><p4>{}</p4><p5></p5>
  </properties>
  <dependencies>
    <dependency><groupId>g${{p1}}</groupId><artifactId>b${{p1}}</artifactId><version>2${{p1}}</version></dependency>
  </dependencies>"#,
            refs("p2"),
            refs("p3"),
            refs("p4"),
            refs("p5"),
        ));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(parse("pom.xml", &text));
        });
        let l = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("finishes in well under 10 s")
            .expect("parses");
        assert_eq!(l.components[0].purl, "pkg:maven/g/b@2");
    }

    #[test]
    fn memoised_expansion_keeps_the_depth_limit() {
        // c0 -> c1 -> ... -> c17 = 9: from `${c2}` the value sits at depth 16 (allowed), from
        // `${c1}` at 17 (too deep), as without the cache, although c2.. were cached first.
        let chain: String = (0..=MAX_DEPTH)
            .map(|i| format!("<c{i}>${{c{}}}</c{i}>", i + 1))
            .collect();
        let text = pom(&format!(
            r#"
  <groupId>g</groupId><artifactId>a</artifactId><version>1</version>
  <properties>{chain}<c{}>9</c{}></properties>
  <dependencies>
    <dependency><groupId>g</groupId><artifactId>short</artifactId><version>${{c8}}</version></dependency>
    <dependency><groupId>g</groupId><artifactId>long</artifactId><version>${{c0}}</version></dependency>
    <dependency><groupId>g</groupId><artifactId>ok</artifactId><version>${{c2}}</version></dependency>
    <dependency><groupId>g</groupId><artifactId>edge</artifactId><version>${{c1}}</version></dependency>
  </dependencies>"#,
            MAX_DEPTH + 1,
            MAX_DEPTH + 1,
        ));
        let l = parse("pom.xml", &text).expect("parses");
        let by = by_purl(&l);
        assert!(by.contains_key("pkg:maven/g/short@9"));
        assert!(by.contains_key("pkg:maven/g/ok@9"));
        assert_eq!(
            by["pkg:maven/g/long"].properties["unresolved-version"],
            "${c0}"
        );
        assert_eq!(
            by["pkg:maven/g/edge"].properties["unresolved-version"],
            "${c1}"
        );
    }

    #[test]
    fn root_without_group_is_generic() {
        let text = pom("  <artifactId>tool</artifactId><version>0.3</version>");
        let l = parse("pom.xml", &text).expect("parses");
        assert_eq!(l.root.purl, "pkg:generic/tool@0.3");
        assert_eq!(l.edges["pkg:generic/tool@0.3"].len(), 0);
    }

    #[test]
    fn malformed_xml_names_the_position() {
        let e = parse(
            "svc/pom.xml",
            "<project>\n  <artifactId>a</artifactId>\n  <dependencies>\n</project>\n",
        )
        .expect_err("malformed");
        assert_eq!(e.file, "svc/pom.xml");
        assert_eq!(e.line, 4);
        assert!(e.column >= 1);
        assert!(e.message.starts_with("not well-formed XML"), "{e}");
        assert!(!e.message.ends_with(":1"), "{e}");
        let e = parse("pom.xml", "<settings/>").expect_err("not a POM");
        assert!(e.message.contains("<settings>"), "{e}");
        let e = parse(
            "pom.xml",
            "<project><artifactId>a</artifactId><dependencies>\n  <dependency><version>1</version></dependency></dependencies></project>",
        )
        .expect_err("no coordinates");
        assert_eq!((e.line, e.column), (2, 3));
        // No DTDs, so no entity expansion bombs.
        let e = parse(
            "pom.xml",
            "<!DOCTYPE p [<!ENTITY a \"aaaa\">]>\n<project><artifactId>&a;</artifactId></project>",
        )
        .expect_err("DTD");
        assert_eq!(e.line, 1);
    }
}
