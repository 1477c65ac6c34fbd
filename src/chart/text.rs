//! A YAML document as the byte ranges of its nodes in the text it was read
//! from: enough to change one value of a file and keep every other byte
//! (comments, blank lines, quoting, anchors, merges). docs/editing.md says
//! why this and not a YAML library that keeps comments.

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, StructureStyle};
use std::collections::HashMap;
use std::ops::Range;

/// A node of the document, where it is in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Its content's bytes: a scalar's token (quotes and block indicators
    /// included), a flow collection's brackets, a block collection's first
    /// key or item to the end of its last value.
    pub range: Range<usize>,
    /// The anchor it defines.
    pub anchor: Option<String>,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Scalar {
        value: String,
        style: ScalarStyle,
    },
    /// `*name`.
    Alias(String),
    Mapping {
        entries: Vec<(Node, Node)>,
        flow: bool,
    },
    Sequence {
        items: Vec<Node>,
        flow: bool,
    },
}

impl Node {
    /// The value of a mapping's key, when the key is written in it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// A mapping's entry of that key, when it is written in it.
    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        self.entries().iter().find(|(k, _)| k.scalar() == Some(key))
    }

    /// A mapping's entries; none for any other node.
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            Kind::Mapping { entries, .. } => entries,
            _ => &[],
        }
    }

    /// A scalar's value.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Whether it is a block collection.
    pub fn is_block(&self) -> bool {
        matches!(
            self.kind,
            Kind::Mapping { flow: false, .. } | Kind::Sequence { flow: false, .. }
        )
    }
}

/// Why a text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The root node of a text's first document.
pub fn parse(text: &str) -> Result<Node, Unreadable> {
    let mut options = Options::default();
    options.emit_anchor_events = true;
    options.emit_comments = false;
    let mut names: HashMap<usize, String> = HashMap::new();
    // Collections being read, each with its children so far.
    let mut open: Vec<(Node, Vec<Node>)> = Vec::new();
    let mut last: Option<Node> = None;
    let mut documents = 0;
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.map_err(|e| Unreadable {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_owned(),
        })?;
        let start = offset(text, &span.start);
        let end = offset(text, &span.end);
        let node = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents == 2 {
                    break;
                }
                continue;
            }
            Event::Anchor(id, name) => {
                names.insert(id, name.to_string());
                // The node just read: a scalar, or a collection just opened.
                let node = match (last.as_mut(), open.last_mut()) {
                    (Some(node), _) | (None, Some((node, _))) => node,
                    (None, None) => continue,
                };
                node.anchor = Some(name.to_string());
                continue;
            }
            Event::Scalar(value, style, ..) => Node {
                range: scalar_range(text, start, end, style),
                anchor: None,
                kind: Kind::Scalar {
                    value: value.into_owned(),
                    style,
                },
            },
            Event::Alias(id) => Node {
                range: start..end,
                anchor: None,
                kind: Kind::Alias(names.get(&id).cloned().unwrap_or_default()),
            },
            Event::MappingStart(style, ..) | Event::SequenceStart(style, ..) => {
                let flow = style == StructureStyle::Flow;
                let kind = if matches!(event, Event::MappingStart(..)) {
                    Kind::Mapping {
                        entries: Vec::new(),
                        flow,
                    }
                } else {
                    Kind::Sequence {
                        items: Vec::new(),
                        flow,
                    }
                };
                if let Some(done) = last.take() {
                    push_child(&mut open, done);
                }
                open.push((
                    Node {
                        range: start..end,
                        anchor: None,
                        kind,
                    },
                    Vec::new(),
                ));
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(done) = last.take() {
                    push_child(&mut open, done);
                }
                let Some((mut node, children)) = open.pop() else {
                    continue;
                };
                let flow = matches!(
                    node.kind,
                    Kind::Mapping { flow: true, .. } | Kind::Sequence { flow: true, .. }
                );
                node.range.end = if flow {
                    end
                } else {
                    children.last().map_or(node.range.end, |c| c.range.end)
                };
                if !flow && let Some(first) = children.first() {
                    node.range.start = node.range.start.min(first.range.start);
                }
                match &mut node.kind {
                    Kind::Mapping { entries, .. } => {
                        let mut children = children.into_iter();
                        while let (Some(k), Some(v)) = (children.next(), children.next()) {
                            entries.push((k, v));
                        }
                    }
                    Kind::Sequence { items, .. } => *items = children,
                    _ => {}
                }
                node
            }
            _ => continue,
        };
        if let Some(done) = last.replace(node) {
            push_child(&mut open, done);
        }
        if open.is_empty() {
            break;
        }
    }
    if let Some(done) = last.take() {
        if open.is_empty() {
            return Ok(done);
        }
        push_child(&mut open, done);
    }
    Err(Unreadable {
        line: 1,
        column: 1,
        message: "no document".into(),
    })
}

/// The start of the comment lines right above the line starting at `at`.
pub fn comments_above(text: &str, mut at: usize) -> usize {
    while at > 0 {
        let start = line_start(text, at - 1);
        if !text[start..at].trim_start().starts_with('#') {
            break;
        }
        at = start;
    }
    at
}

/// A comment of a text's first document: where its `#` is, and what
/// follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub at: usize,
    pub text: String,
}

/// The comments of a text's first document, in order.
pub fn comments(text: &str) -> Result<Vec<Comment>, Unreadable> {
    let mut found = Vec::new();
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| Unreadable {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_owned(),
        })?;
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents == 2 {
                    break;
                }
            }
            Event::Comment(comment, _) => found.push(Comment {
                at: offset(text, &span.start),
                text: comment.into_owned(),
            }),
            _ => {}
        }
    }
    Ok(found)
}

/// A scalar's token: a block scalar's span starts at its content, so its
/// indicator is looked for before it; its line breaks at the end are left
/// out.
fn scalar_range(text: &str, start: usize, end: usize, style: ScalarStyle) -> Range<usize> {
    let indicator = match style {
        ScalarStyle::Literal => '|',
        ScalarStyle::Folded => '>',
        _ => return start..end,
    };
    let start = text[..start].rfind(indicator).unwrap_or(start);
    let end = start + text[start..end.max(start)].trim_end().len();
    start..end
}

fn push_child(open: &mut [(Node, Vec<Node>)], child: Node) {
    if let Some((_, children)) = open.last_mut() {
        children.push(child);
    }
}

/// A marker's byte offset.
fn offset(text: &str, marker: &serde_saphyr::granit_parser::Marker) -> usize {
    marker.byte_offset().unwrap_or_else(|| {
        text.char_indices()
            .nth(marker.index())
            .map_or(text.len(), |(i, _)| i)
    })
}

/// The start of the line `offset` is on.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The end of the line `offset` is on, past its line break; `offset`
/// itself when it is at the start of a line.
pub fn line_end(text: &str, offset: usize) -> usize {
    if offset == 0 || text[..offset].ends_with('\n') {
        return offset;
    }
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// The column (in bytes) `offset` is at.
pub fn column(text: &str, offset: usize) -> usize {
    offset - line_start(text, offset)
}

/// `value` as a scalar token in `style` where that reads back as the same
/// string, else as the serializer writes it. Block styles are written
/// indented by `indent` spaces, on lines after the indicator.
pub fn scalar(value: &str, style: ScalarStyle, indent: usize) -> String {
    let token = match style {
        ScalarStyle::DoubleQuoted => serde_json::to_string(value).ok(),
        ScalarStyle::SingleQuoted if !value.contains(['\n', '\r']) => {
            Some(format!("'{}'", value.replace('\'', "''")))
        }
        ScalarStyle::Plain if !value.contains(['\n', '\r']) => Some(value.to_owned()),
        // A folded scalar that cannot be is written literal.
        ScalarStyle::Folded => Some(block(value, true, indent))
            .filter(|t| reads_back(t, value))
            .or_else(|| Some(block(value, false, indent))),
        ScalarStyle::Literal => Some(block(value, false, indent)),
        _ => None,
    };
    match token {
        Some(token) if reads_back(&token, value) => token,
        _ => crate::read::yaml::to_string(&value)
            .map(|t| t.trim_end_matches('\n').to_owned())
            .unwrap_or_else(|_| serde_json::to_string(value).unwrap_or_default()),
    }
}

/// A PromQL expression as a `>-` scalar, line for line: folding makes a
/// line break a space, which PromQL reads the same, except after a comment,
/// which a line break must end.
pub fn folded_expr(value: &str, indent: usize) -> String {
    block_lines(">-", value, indent, |previous, _| previous.contains('#'))
}

/// `>-` or `|-` and the value's lines, indented. Folded, a line break
/// between two lines that are not more indented is an empty line.
fn block(value: &str, folded: bool, indent: usize) -> String {
    let plain = |l: &str| !l.is_empty() && !l.starts_with([' ', '\t']);
    let header = if folded { ">-" } else { "|-" };
    block_lines(header, value, indent, |previous, line| {
        folded && plain(previous) && plain(line)
    })
}

/// `header` and the value's lines, each indented by `indent` (an empty
/// line stays empty), with an empty line more between two lines where
/// `doubled(previous, line)` says so.
fn block_lines(
    header: &str,
    value: &str,
    indent: usize,
    doubled: impl Fn(&str, &str) -> bool,
) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from(header);
    let mut previous: Option<&str> = None;
    for line in value.split('\n') {
        if previous.is_some_and(|p| doubled(p, line)) {
            out.push('\n');
        }
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        previous = Some(line);
    }
    out
}

/// Whether `key: token` reads back as the string `value`.
fn reads_back(token: &str, value: &str) -> bool {
    let text = format!("k: {token}\n");
    match crate::read::yaml::parse(&text, crate::read::yaml::Dialect::HelmValues) {
        Ok(root) => root.value.to_json().get("k") == Some(&serde_json::Value::String(value.into())),
        Err(_) => false,
    }
}

/// Byte ranges replaced by new text, applied together.
#[derive(Debug, Default)]
pub struct Edits(Vec<(Range<usize>, String)>);

impl Edits {
    pub fn replace(&mut self, range: Range<usize>, text: impl Into<String>) {
        self.0.push((range, text.into()));
    }

    pub fn extend(&mut self, other: Edits) {
        self.0.extend(other.0);
    }

    /// The text with every edit made. Edits must not overlap.
    pub fn apply(mut self, text: &str) -> String {
        self.0.sort_by_key(|(r, _)| (r.start, r.end));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, new) in self.0 {
            let start = range.start.max(at);
            out.push_str(&text[at..start]);
            out.push_str(&new);
            at = range.end.max(start);
        }
        out.push_str(&text[at..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_where_they_are() {
        let text =
            "a: 1\nb: &x\n  c: \"two\"  # note\n  d: [1, 2]\ne: *x\nf: >-\n  long\n  text\ng: 3\n";
        let root = parse(text).unwrap();
        let b = root.get("b").unwrap();
        assert_eq!(b.anchor.as_deref(), Some("x"));
        assert_eq!(&text[b.range.clone()], "c: \"two\"  # note\n  d: [1, 2]");
        assert_eq!(&text[b.get("c").unwrap().range.clone()], "\"two\"");
        assert_eq!(&text[b.get("d").unwrap().range.clone()], "[1, 2]");
        assert_eq!(root.get("e").unwrap().kind, Kind::Alias("x".into()));
        let f = root.get("f").unwrap();
        assert_eq!(f.scalar(), Some("long text"));
        assert!(text[f.range.clone()].starts_with(">-"));
        assert!(text[f.range.clone()].trim_end().ends_with("text"));
    }

    #[test]
    fn scalars_keep_their_style_where_it_reads_back() {
        assert_eq!(
            scalar("28 2 * * 1-5", ScalarStyle::DoubleQuoted, 0),
            "\"28 2 * * 1-5\""
        );
        assert_eq!(
            scalar("28 2 * * 1-5", ScalarStyle::SingleQuoted, 0),
            "'28 2 * * 1-5'"
        );
        assert_eq!(
            scalar("28 2 * * 1-5", ScalarStyle::Plain, 0),
            "28 2 * * 1-5"
        );
        // A plain `true` would be a boolean.
        assert_ne!(scalar("true", ScalarStyle::Plain, 0), "true");
        assert_eq!(scalar("a b", ScalarStyle::Folded, 4), ">-\n    a b");
        assert_eq!(scalar("a\nb", ScalarStyle::Literal, 2), "|-\n  a\n  b");
        assert_eq!(scalar("a\nb", ScalarStyle::Folded, 2), ">-\n  a\n\n  b");
    }

    #[test]
    fn edits_are_made_together() {
        let mut edits = Edits::default();
        edits.replace(0..1, "x");
        edits.replace(4..5, "yy");
        assert_eq!(edits.apply("a: 1\n"), "x: 1yy");
    }
}
