//! The quickest way to read a document: block YAML written a line at a
//! time, as catalogues are, read line by line without a YAML parser.
//!
//! It reads block mappings and indented block sequences of plain keys, with
//! values on one line (plain scalars, quoted ones without escapes, and flow
//! collections of those), comments and blank lines, in printable ASCII (but
//! for comments on lines of their own). For anything else (a tab, a block
//! scalar, an anchor, a tag, a document marker, a value over several lines,
//! a sequence at its key's indentation, a line indented other than where
//! the lines before it place it) [`document`] gives `None`, and the
//! parser-based reader ([`super::read`]) reads it instead. What this reader
//! does read, it reads as that one does, places and all (the tests compare
//! the two, and the `yaml` fuzz target compares both with serde-saphyr).

use super::read::{MAX_DEPTH, MAX_EVENTS, has_duplicates, map_key, scalar};
use super::{Mapping, Node, Spanned};
use crate::plan::Origin;
use granit_parser::ScalarStyle;
use std::borrow::Cow;

/// A line that holds more than a comment.
#[derive(Clone, Copy)]
struct Line<'t> {
    /// Counted from 1.
    number: usize,
    /// Spaces before the text.
    indent: usize,
    /// What follows them, comments and trailing spaces included.
    text: &'t str,
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    /// The next line to read.
    next: usize,
    /// How many of the parser's events what is read so far would make.
    events: usize,
}

/// The document `text` holds, or `None` when it is one for the
/// parser-based reader (see the module's documentation).
pub(super) fn document(text: &str) -> Option<Spanned<Node>> {
    // No tab, carriage return or other control character. Checked many
    // bytes at a time: folded, not searched.
    let (simple, ascii) = text.bytes().fold((true, true), |(simple, ascii), b| {
        let printable = (b' '..=b'~').contains(&b) | (b == b'\n') | (b >= 0x80);
        (simple & printable, ascii & (b < 0x80))
    });
    if !simple {
        return None;
    }
    let mut lines = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let content = line.trim_start_matches(' ');
        // Characters beyond ASCII only in comments on lines of their own
        // (elsewhere, columns would count characters, not bytes).
        if !ascii && !line.is_ascii() {
            if content.starts_with('#') && content.chars().all(printable) {
                continue;
            }
            return None;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        // Document markers.
        if indent == 0 && (content.starts_with("---") || content.starts_with("...")) {
            return None;
        }
        lines.push(Line {
            number: i + 1,
            indent,
            text: content,
        });
    }
    let mut reader = Reader {
        lines,
        next: 0,
        events: 0,
    };
    let indent = reader.lines.first()?.indent;
    let root = reader.collection(indent, 0)?;
    (reader.next == reader.lines.len()).then_some(root)
}

impl<'t> Reader<'t> {
    fn peek(&self) -> Option<Line<'t>> {
        self.lines.get(self.next).copied()
    }

    /// Counts `n` of the parser's events (a scalar is one, a collection
    /// two), and gives up on documents with as many as that reader does.
    fn count(&mut self, n: usize) -> Option<()> {
        self.events += n;
        (self.events <= MAX_EVENTS).then_some(())
    }

    /// The mapping or sequence whose first line is the next, at `indent`.
    fn collection(&mut self, indent: usize, depth: usize) -> Option<Spanned<Node>> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let first = self.peek()?;
        self.count(2)?;
        let at = Origin {
            line: first.number,
            column: indent + 1,
        };
        let value = if is_item(first.text) {
            self.sequence(indent, depth)?
        } else {
            self.mapping(indent, depth)?
        };
        Some(Spanned { value, at })
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Node> {
        let mut items = Vec::new();
        while let Some(line) = self
            .peek()
            .filter(|l| l.indent == indent && is_item(l.text))
        {
            // The text after the dash and its spaces.
            let rest = line.text[1..].trim_start_matches(' ');
            let offset = line.text.len() - rest.len();
            let item = if rest.is_empty() || rest.starts_with('#') {
                // The item is on the lines below, or is null.
                self.next += 1;
                match self.peek() {
                    Some(below) if below.indent > indent => {
                        self.collection(below.indent, depth + 1)?
                    }
                    // Null, placed at the end of the line (after any
                    // spaces and comment), as the parser places it.
                    _ => self.null(line.number, indent + line.text.len() + 1)?,
                }
            } else if is_item(rest) {
                // A sequence in a sequence, on one line.
                return None;
            } else if key(rest).is_some() {
                // A mapping that starts on the item's line.
                let indent = indent + offset;
                self.lines[self.next] = Line {
                    number: line.number,
                    indent,
                    text: rest,
                };
                self.collection(indent, depth + 1)?
            } else {
                self.next += 1;
                self.value(rest, line.number, indent + offset + 1, depth + 1)?
            };
            items.push(item);
            // A line indented further after an item continues a scalar over
            // several lines, or is a mistake.
            if self.peek().is_some_and(|l| l.indent > indent) {
                return None;
            }
        }
        Some(Node::Seq(items))
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Node> {
        let mut entries = Vec::new();
        while let Some(line) = self.peek().filter(|l| l.indent == indent) {
            let (name, colon) = key(line.text)?;
            self.count(1)?;
            let name = Spanned {
                value: map_key(Cow::Borrowed(name), ScalarStyle::Plain)?,
                at: Origin {
                    line: line.number,
                    column: indent + 1,
                },
            };
            let rest = line.text[colon + 1..].trim_start_matches(' ');
            let offset = line.text.len() - rest.len();
            self.next += 1;
            let value = if rest.is_empty() || rest.starts_with('#') {
                match self.peek() {
                    Some(below) if below.indent > indent => {
                        self.collection(below.indent, depth + 1)?
                    }
                    // A sequence at its key's indentation.
                    Some(below) if below.indent == indent && is_item(below.text) => return None,
                    // Null, placed at the colon.
                    _ => self.null(line.number, indent + colon + 1)?,
                }
            } else {
                self.value(rest, line.number, indent + offset + 1, depth + 1)?
            };
            entries.push((name, value));
            // As after an item.
            if self.peek().is_some_and(|l| l.indent > indent) {
                return None;
            }
        }
        if has_duplicates(&entries) {
            return None;
        }
        Some(Node::Map(Mapping::new(entries)))
    }

    fn null(&mut self, line: usize, column: usize) -> Option<Spanned<Node>> {
        self.count(1)?;
        Some(Spanned {
            value: Node::Null,
            at: Origin { line, column },
        })
    }

    /// The value `text` starts with (a scalar, or a flow collection on one
    /// line), when it is all the line holds but for a comment.
    fn value(
        &mut self,
        text: &str,
        line: usize,
        column: usize,
        depth: usize,
    ) -> Option<Spanned<Node>> {
        let (node, used) = match text.as_bytes()[0] {
            // Read as in a flow collection: a quoted scalar is alike in both.
            b'{' | b'[' | b'"' | b'\'' => {
                let mut flow = Flow {
                    text,
                    at: 0,
                    line,
                    column,
                };
                (self.flow(&mut flow, depth)?, flow.at)
            }
            _ => {
                let end = text.find(" #").unwrap_or(text.len());
                let value = text[..end].trim_end_matches(' ');
                if !plain_start(value) || value.contains(": ") || value.ends_with(':') {
                    return None;
                }
                self.count(1)?;
                let node = Spanned {
                    value: scalar(Cow::Borrowed(value), ScalarStyle::Plain)?,
                    at: Origin { line, column },
                };
                (node, end)
            }
        };
        ends_line(&text[used..]).then_some(node)
    }

    /// The flow node at `flow`'s place, on its line: a mapping, a sequence,
    /// or a scalar in them.
    fn flow(&mut self, flow: &mut Flow, depth: usize) -> Option<Spanned<Node>> {
        let at = flow.origin();
        let text = flow.text;
        let rest = &text[flow.at..];
        let value = match *rest.as_bytes().first()? {
            open @ (b'{' | b'[') => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.count(2)?;
                let close = if open == b'{' { b'}' } else { b']' };
                flow.at += 1;
                flow.spaces();
                let mut entries = Vec::new();
                let mut items = Vec::new();
                if flow.peek()? == close {
                    flow.at += 1;
                } else {
                    loop {
                        if open == b'{' {
                            let key_at = flow.origin();
                            let name = flow.plain().filter(|n| !n.contains(':'))?;
                            // `key: value`, the colon followed by a space.
                            if !flow.text[flow.at..].starts_with(": ") {
                                return None;
                            }
                            flow.at += 1;
                            flow.spaces();
                            self.count(1)?;
                            let name = Spanned {
                                value: map_key(Cow::Borrowed(name), ScalarStyle::Plain)?,
                                at: key_at,
                            };
                            entries.push((name, self.flow(flow, depth + 1)?));
                        } else {
                            items.push(self.flow(flow, depth + 1)?);
                        }
                        flow.spaces();
                        let next = flow.peek()?;
                        flow.at += 1;
                        match next {
                            // Another entry: not a trailing comma.
                            b',' => {
                                flow.spaces();
                                if matches!(flow.peek()?, b'}' | b']') {
                                    return None;
                                }
                            }
                            _ if next == close => break,
                            _ => return None,
                        }
                    }
                }
                match open {
                    b'{' if has_duplicates(&entries) => return None,
                    b'{' => Node::Map(Mapping::new(entries)),
                    _ => Node::Seq(items),
                }
            }
            b'"' | b'\'' => {
                let (value, style, used) = quoted(rest)?;
                flow.at += used;
                self.count(1)?;
                scalar(Cow::Borrowed(value), style)?
            }
            _ => {
                let value = flow.plain()?;
                self.count(1)?;
                scalar(Cow::Borrowed(value), ScalarStyle::Plain)?
            }
        };
        Some(Spanned { value, at })
    }
}

/// A place in a flow collection on one line.
struct Flow<'t> {
    text: &'t str,
    /// Where in `text`.
    at: usize,
    line: usize,
    /// The column of `text`'s first character.
    column: usize,
}

impl<'t> Flow<'t> {
    fn origin(&self) -> Origin {
        Origin {
            line: self.line,
            column: self.column + self.at,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }

    /// A plain scalar in a flow collection: it ends at a flow indicator or
    /// at a colon before a space or one, and holds no `#` (which may start a
    /// comment).
    fn plain(&mut self) -> Option<&'t str> {
        let text: &'t str = self.text;
        let rest = &text[self.at..];
        let bytes = rest.as_bytes();
        let mut len = 0;
        while let Some(&b) = bytes.get(len) {
            match b {
                b',' | b'[' | b']' | b'{' | b'}' => break,
                b':' if bytes.get(len + 1).is_none_or(|b| b" ,[]{}".contains(b)) => break,
                b'#' => return None,
                _ => len += 1,
            }
        }
        let value = rest[..len].trim_end_matches(' ');
        if !plain_start(value) {
            return None;
        }
        self.at += len;
        Some(value)
    }
}

/// A quoted scalar at the start of `text`, without escapes or line breaks:
/// its value, its style, and how many bytes it takes.
fn quoted(text: &str) -> Option<(&str, ScalarStyle, usize)> {
    let quote = text.as_bytes()[0];
    let inner = &text[1..];
    let close = inner.find(quote as char)?;
    let value = &inner[..close];
    let (escaped, style) = match quote {
        b'"' => (value.contains('\\'), ScalarStyle::DoubleQuoted),
        // `''` is a quote.
        _ => (
            inner[close + 1..].starts_with('\''),
            ScalarStyle::SingleQuoted,
        ),
    };
    (!escaped).then_some((value, style, close + 2))
}

/// Whether what follows a value on its line is nothing but spaces and a
/// comment (after at least one space).
fn ends_line(after: &str) -> bool {
    let rest = after.trim_start_matches(' ');
    rest.is_empty() || rest.starts_with('#') && rest.len() < after.len()
}

/// Whether a character is printable, and no line break or byte order mark
/// in any YAML version.
fn printable(c: char) -> bool {
    (c.is_ascii() || c >= '\u{a0}')
        && !matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// Whether a line's text is a sequence item.
fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// The plain key a line's text starts with, and where its colon is: a
/// colon ends the key when a space or the end of the line follows it.
fn key(text: &str) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    let colon = (0..bytes.len())
        .find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|&b| b == b' '))?;
    let name = text[..colon].trim_end_matches(' ');
    // A comment before the colon, or a key with a colon of its own.
    (plain_start(name) && !name.contains(" #") && !name.contains(':')).then_some((name, colon))
}

/// Whether a plain scalar may start so: not with an indicator, but for
/// `-`, `?` and `:` before a character that is not a space.
fn plain_start(text: &str) -> bool {
    match text.as_bytes() {
        [] => false,
        [b'-' | b'?' | b':', second, ..] => *second != b' ',
        [b'-' | b'?' | b':'] => false,
        [first, ..] => !b",[]{}#&*!|>'\"%@`".contains(first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::yaml::read::from_events;

    #[test]
    fn reads_and_places_as_the_parser_does() {
        let text = r#"# a comment, with a café
root:
  a: 1
  b:
  b2:   # null, with a comment
  c:   # a comment
    - x
    -
    -   # a comment
      - nested
    -   # null, with a comment
    - 
    - k: v
      l:
      m: -1
    - 'single'  # a comment
  e: "q" # z
  f: 'w'
  flow: {a: 1, b: [x, 'y', "z"], c: {}, d: []}  # a comment
  flow2: [ {op: backup, db: a_b}, {op: restore, bucket: s3://b/c} ]
  g: a#b c
  h: http://x:80/y?z
  i: 54 3 * * 0-4
     # a comment indented further
last:
"#;
        let read = document(text);
        assert!(read.is_some());
        assert_eq!(read, from_events(text));
    }

    #[test]
    fn leaves_the_rest_to_the_parser() {
        for text in [
            "a: [1, 2\n",
            "a: {b}\n",
            "a: {b: }\n",
            "a: [1, 2,]\n",
            "a: [a#b]\n",
            "a: {\"b\": 1}\n",
            "a: {b:c: 1}\n",
            "a: [1] x\n",
            "a: [1]# x\n",
            "a: |\n  text\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a:\n- y\n",
            "a: \"x\\ty\"\n",
            "a: 'it''s'\n",
            "a: \"x\" y\n",
            "a: one\n  two\n",
            "a:\n  b: 1\n c: 2\n",
            "- - a\n",
            "--- \na: 1\n",
            "a: b: c\n",
            "a: b:\n",
            "\"a\": 1\n",
            "a:b: 1\n",
            "a: yes\n",
            "a: 1\na: 2\n",
            "a:\tb\n",
            "a: caf\u{e9}\n",
            "a: 1 # caf\u{e9}\n",
            "# \u{2028}\na: 1\n",
            "a: 1\r\n",
            "scalar\n",
            "",
            "# only a comment\n",
        ] {
            assert!(document(text).is_none(), "{text:?} was read");
        }
    }
}
