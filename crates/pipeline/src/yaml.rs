//! A YAML tree in which every node keeps its exact byte span, built from saphyr-parser's event
//! stream (pure Rust, no `unsafe`). Anchors and aliases are resolved with a node budget (alias
//! bombs fail instead of exhausting memory), merge keys (`<<`) are applied, and tags such as
//! GitLab's `!reference` are kept on the node.

use std::collections::HashMap;

use chainproof_core::Span;
use saphyr_parser::{Event, Parser, ScalarStyle};

/// Largest file read (bytes); larger files are an input error, not a hang.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
/// Most nodes a file may expand to, aliases included.
pub const MAX_NODES: usize = 2_000_000;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Scalar(Box<str>, Style),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A YAML node with its span in the source file.
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
    /// The tag as written (`!reference`), if any.
    pub tag: Option<Box<str>>,
}

static EMPTY_ITEMS: [Node; 0] = [];
static EMPTY_ENTRIES: [(Node, Node); 0] = [];

impl Node {
    pub fn scalar(value: &str, span: Span) -> Node {
        Node {
            kind: Kind::Scalar(value.into(), Style::Plain),
            span,
            tag: None,
        }
    }

    /// The scalar's value (for any scalar, including numbers and booleans as written).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn style(&self) -> Option<Style> {
        match &self.kind {
            Kind::Scalar(_, st) => Some(*st),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.kind, Kind::Seq(_))
    }

    /// `null`, `~` or an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, Style::Plain) if matches!(&**s, "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Scalar(s, Style::Plain) => match &**s {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            Kind::Map(m) => m,
            _ => &EMPTY_ENTRIES,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(v) => v,
            _ => &EMPTY_ITEMS,
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value under `key` of a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.entries()
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// Follow a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// A scalar or the scalars of a sequence (`needs: a` and `needs: [a, b]`).
    pub fn scalars(&self) -> Vec<&Node> {
        match &self.kind {
            Kind::Scalar(..) if !self.is_null() => vec![self],
            Kind::Seq(v) => v.iter().filter(|n| n.as_str().is_some()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn with_span(mut self, span: Span) -> Node {
        self.span = span;
        self
    }

    /// Visit every node, depth first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Node)) {
        f(self);
        match &self.kind {
            Kind::Scalar(..) => {}
            Kind::Seq(v) => v.iter().for_each(|n| n.walk(f)),
            Kind::Map(m) => m.iter().for_each(|(k, v)| {
                k.walk(f);
                v.walk(f);
            }),
        }
    }
}

/// A YAML syntax error, or a document over the limits.
#[derive(Debug, Clone)]
pub struct ParseError {
    /// Byte offset of the problem.
    pub offset: usize,
    pub message: String,
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
        tag: Option<Box<str>>,
        count: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        start: usize,
        anchor: usize,
        tag: Option<Box<str>>,
        count: usize,
    },
}

struct Offsets {
    /// Byte offset of every char index, when the text is not ASCII.
    table: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Offsets {
        let table = (!text.is_ascii()).then(|| {
            let mut t: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            t.push(text.len());
            t
        });
        Offsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            Some(t) => t.get(char_index).copied().unwrap_or(self.len),
            None => char_index.min(self.len),
        }
    }
}

fn tag_string(tag: Option<&saphyr_parser::Tag>) -> Option<Box<str>> {
    tag.map(|t| format!("{}{}", t.handle, t.suffix).into_boxed_str())
}

/// Parse every document of `text`. `file` is the span's file index.
pub fn parse(text: &str, file: u32) -> Result<Vec<Node>, ParseError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(ParseError {
            offset: 0,
            message: format!("file is larger than {} MiB", MAX_FILE_BYTES >> 20),
        });
    }
    let offsets = Offsets::new(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut total = 0usize;
    let mut parser = Parser::new_from_str(text);
    while let Some(ev) = parser.next_event() {
        let (event, span) = ev.map_err(|e| ParseError {
            offset: offsets.byte(e.marker().index()),
            message: e.info().to_owned(),
        })?;
        let start = offsets.byte(span.start.index());
        let end = offsets.byte(span.end.index());
        let (node, count, anchor) = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
            Event::DocumentStart(_) => {
                anchors.clear();
                continue;
            }
            Event::SequenceStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError {
                        offset: start,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    start,
                    anchor,
                    tag: tag_string(tag.as_deref()),
                    count: 1,
                });
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError {
                        offset: start,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    start,
                    anchor,
                    tag: tag_string(tag.as_deref()),
                    count: 1,
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    start: s0,
                    anchor,
                    tag,
                    count,
                }) => (
                    Node {
                        span: Span::new(
                            file,
                            s0,
                            collection_end(text, start, end, items.last().map(|n| n.span.end), s0),
                        ),
                        kind: Kind::Seq(items),
                        tag,
                    },
                    count,
                    anchor,
                ),
                _ => {
                    return Err(ParseError {
                        offset: start,
                        message: "unbalanced sequence".into(),
                    });
                }
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    start: s0,
                    anchor,
                    tag,
                    count,
                    ..
                }) => {
                    let e = collection_end(
                        text,
                        start,
                        end,
                        entries.last().map(|(_, v)| v.span.end),
                        s0,
                    );
                    let entries = apply_merge_keys(entries);
                    (
                        Node {
                            kind: Kind::Map(entries),
                            span: Span::new(file, s0, e),
                            tag,
                        },
                        count,
                        anchor,
                    )
                }
                _ => {
                    return Err(ParseError {
                        offset: start,
                        message: "unbalanced mapping".into(),
                    });
                }
            },
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::Single,
                    ScalarStyle::DoubleQuoted => Style::Double,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                // Block scalars end, for the parser, where the next token starts: keep the span
                // on the scalar's own text.
                let end = match style {
                    Style::Literal | Style::Folded => {
                        start + text.get(start..end).map_or(0, |t| t.trim_end().len())
                    }
                    _ => end.max(start),
                };
                let node = Node {
                    kind: Kind::Scalar(value.as_ref().into(), style),
                    span: Span::new(file, start, end),
                    tag: tag_string(tag.as_deref()),
                };
                (node, 1, anchor)
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some((n, c)) => (n.clone(), *c, 0),
                None => {
                    return Err(ParseError {
                        offset: start,
                        message: "alias to an unknown anchor".into(),
                    });
                }
            },
        };
        total += count;
        if total > MAX_NODES {
            return Err(ParseError {
                offset: start,
                message: format!("document expands to more than {MAX_NODES} nodes (alias bomb?)"),
            });
        }
        if anchor != 0 {
            anchors.insert(anchor, (node.clone(), count));
        }
        match stack.last_mut() {
            None => docs.push(node),
            Some(Frame::Seq {
                items, count: c, ..
            }) => {
                *c += count;
                items.push(node);
            }
            Some(Frame::Map {
                entries,
                key,
                count: c,
                ..
            }) => {
                *c += count;
                match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                }
            }
        }
    }
    Ok(docs)
}

/// Where a collection ends: after its closing bracket for flow style, else where its last child
/// ends (the parser reports a block collection's end at the next token, often lines later).
fn collection_end(
    text: &str,
    ev_start: usize,
    ev_end: usize,
    last_child: Option<usize>,
    start: usize,
) -> usize {
    match text.as_bytes().get(ev_start) {
        Some(b']' | b'}') => ev_start + 1,
        _ => match last_child {
            Some(e) => e.max(start),
            None => ev_end.max(start),
        },
    }
}

/// Apply YAML merge keys: `<<: *base` (or a list of them) contributes entries not set explicitly.
fn apply_merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    if !entries
        .iter()
        .any(|(k, _)| k.as_str() == Some("<<") && k.style() == Some(Style::Plain))
    {
        return entries;
    }
    let mut own = Vec::with_capacity(entries.len());
    let mut merged: Vec<(Node, Node)> = Vec::new();
    for (k, v) in entries {
        if k.as_str() == Some("<<") && k.style() == Some(Style::Plain) {
            let sources: Vec<Node> = match v.kind {
                Kind::Map(_) => vec![v],
                Kind::Seq(items) => items,
                _ => Vec::new(),
            };
            for s in sources {
                if let Kind::Map(m) = s.kind {
                    for (mk, mv) in m {
                        if !merged.iter().any(|(x, _)| x.as_str() == mk.as_str()) {
                            merged.push((mk, mv));
                        }
                    }
                }
            }
        } else {
            own.push((k, v));
        }
    }
    merged.retain(|(mk, _)| !own.iter().any(|(k, _)| k.as_str() == mk.as_str()));
    merged.extend(own);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of<'a>(src: &'a str, n: &Node) -> &'a str {
        &src[n.span.start..n.span.end]
    }

    #[test]
    fn spans_point_at_nodes() {
        let src = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          echo ${{ github.event.issue.title }}\n";
        let docs = parse(src, 0).unwrap();
        let run = docs[0].path(&["jobs", "build", "steps"]).unwrap().items()[0]
            .get("run")
            .unwrap();
        assert_eq!(run.style(), Some(Style::Literal));
        assert!(
            text_of(src, run).contains("${{ github.event.issue.title }}"),
            "{:?}",
            text_of(src, run)
        );
        let ro = docs[0].path(&["jobs", "build", "runs-on"]).unwrap();
        assert_eq!(text_of(src, ro), "ubuntu-latest");
    }

    #[test]
    fn merge_keys_and_aliases() {
        let src = "base: &b {image: alpine, tags: [x]}\njob:\n  <<: *b\n  image: debian\n";
        let docs = parse(src, 0).unwrap();
        let job = docs[0].get("job").unwrap();
        assert_eq!(job.get("image").unwrap().as_str(), Some("debian"));
        assert_eq!(job.get("tags").unwrap().items().len(), 1);
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            src.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let err = parse(&src, 0).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = "[".repeat(100_000);
        assert!(parse(&src, 0).is_err());
        let src = "- ".repeat(10_000) + "x";
        assert!(parse(&src, 0).is_err());
    }

    #[test]
    fn tags_are_kept() {
        let docs = parse("script: !reference [.setup, script]\n", 0).unwrap();
        assert_eq!(
            docs[0].get("script").unwrap().tag.as_deref(),
            Some("!reference")
        );
    }

    #[test]
    fn syntax_errors_have_offsets() {
        let err = parse("a: b\n  c: d\n", 0).unwrap_err();
        assert!(err.offset > 0);
    }
}
