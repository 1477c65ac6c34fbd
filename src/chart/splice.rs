//! Splicing a rendered `cronjobs:` block into a values file, exactly or not
//! at all.
//!
//! The block is found by reading the file's YAML events, not its lines, so
//! that a `cronjobs:` inside a multi-line string or a `---` after the block
//! cannot mislead it. Every byte outside the block is kept. The result is
//! then read back: unless the first document outside `cronjobs` is the same
//! data as before, its `cronjobs` is the render, and the documents after
//! it are the same bytes, there is no result but an error that says why.

use crate::read::yaml::{self, Dialect};
use serde_json::Value;
use serde_saphyr::granit_parser::{Event, Options, Parser, ScanError, Span, StructureStyle};
use std::ops::Range;

/// A line and column in the values file (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why the block cannot be replaced exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpliceError {
    #[error("{0}: a merge conflict marker; resolve the conflict first")]
    ConflictMarker(At),
    #[error("{at}: {message}")]
    Yaml { at: At, message: String },
    #[error("{0}: the first document has no top-level `cronjobs:` to replace")]
    NoCronjobs(At),
    #[error("{at}: `cronjobs:` a second time (the first is at line {first}); keep one")]
    Duplicate { at: At, first: usize },
    #[error(
        "{0}: `cronjobs:` is not a key at the start of a line of a block mapping, so its block cannot be replaced exactly"
    )]
    CannotPlace(At),
    #[error(
        "{alias}: `*{name}` refers to `&{name}` at {anchor}, inside the `cronjobs:` block that is replaced; define the anchor outside `cronjobs:` first"
    )]
    AnchorCrossing { name: String, anchor: At, alias: At },
    #[error("{at}: replacing the `cronjobs:` block would {what}")]
    NotExact { at: At, what: String },
}

/// The values file with its `cronjobs:` block replaced by `block` (which
/// starts with `cronjobs:`), in the file's line endings.
pub fn replace_cronjobs(text: &str, block: &str) -> Result<String, SpliceError> {
    conflict_markers(text)?;
    let old = Layout::of(text)?;
    let crlf = text[old.block.start..old.block.end].contains("\r\n");
    let block = if crlf {
        block.replace('\n', "\r\n")
    } else {
        block.to_owned()
    };
    let mut new = String::with_capacity(text.len() + block.len());
    new.push_str(&text[..old.block.start]);
    new.push_str(&block);
    if !new.ends_with('\n') {
        new.push_str(if crlf { "\r\n" } else { "\n" });
    }
    new.push_str(&text[old.block.end..]);
    check(text, &old, &new, &block)?;
    Ok(new)
}

/// The values file with its `cronjobs:` block changed into `block` the
/// way a person would edit it (see [`super::edit`]): only the jobs that
/// change, each in place. Where that cannot be done exactly, the block is
/// replaced whole, as [`replace_cronjobs`] does.
pub fn edit_cronjobs(text: &str, block: &str) -> Result<String, SpliceError> {
    conflict_markers(text)?;
    let old = Layout::of(text)?;
    let first = &text[..old.first_document_end];
    if let Some(edited) = super::edit::cronjobs(first, block) {
        let new = edited + &text[old.first_document_end..];
        if check(text, &old, &new, block).is_ok() {
            return Ok(new);
        }
    }
    replace_cronjobs(text, block)
}

/// The first document of a values file: what Helm reads. The whole text
/// when it cannot be told (the reader then says what is wrong).
pub fn first_document(text: &str) -> &str {
    match Layout::of(text) {
        Ok(layout) => &text[..layout.first_document_end],
        Err(_) => text,
    }
}

/// Git's conflict markers at the start of a line anywhere in the file.
fn conflict_markers(text: &str) -> Result<(), SpliceError> {
    for (i, line) in text.lines().enumerate() {
        let marker = ["<<<<<<<", "|||||||", "=======", ">>>>>>>"]
            .iter()
            .any(|m| {
                line.strip_prefix(m)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
            });
        if marker {
            return Err(SpliceError::ConflictMarker(At {
                line: i + 1,
                column: 1,
            }));
        }
    }
    Ok(())
}

/// Where the `cronjobs:` block and the first document are in a file.
#[derive(Debug)]
struct Layout {
    /// From the start of the `cronjobs:` line to the end of the line its
    /// value ends on.
    block: Range<usize>,
    /// Where the `cronjobs` key is.
    key: At,
    /// Where the second document starts (or the end of the file).
    first_document_end: usize,
}

/// A collection being read: whether it is a mapping, whether its next
/// node is a key, and whether it is written in flow style.
struct Open {
    mapping: bool,
    key_next: bool,
    flow: bool,
}

impl Layout {
    fn of(text: &str) -> Result<Layout, SpliceError> {
        let mut options = Options::default();
        options.emit_anchor_events = true;
        options.emit_comments = false;
        let mut open: Vec<Open> = Vec::new();
        let mut documents = 0;
        let mut key: Option<(At, usize)> = None;
        // The block's value: whether it is being read, and its content's end.
        let mut in_value = false;
        let mut value_end = 0;
        let mut anchors: Vec<(usize, String, usize, At)> = Vec::new();
        let mut aliases: Vec<(usize, usize, At)> = Vec::new();
        let mut first_document_end = text.len();
        let mut root_flow = false;
        for event in Parser::new_from_str_with_options(text, options) {
            let (event, span) = event.map_err(|e| scan_error(&e))?;
            let start = offset(text, &span.start);
            let end = offset(text, &span.end);
            let at = at(&span);
            match &event {
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents == 2 {
                        first_document_end = start.min(text.len());
                        break;
                    }
                    continue;
                }
                Event::Anchor(id, name) => {
                    anchors.push((*id, name.to_string(), start, at));
                    continue;
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    if let Some(closed) = open.pop()
                        && closed.flow
                        && in_value
                    {
                        value_end = value_end.max(end);
                    }
                    if open.len() == 1 {
                        in_value = false;
                    }
                    continue;
                }
                _ => {}
            }
            let (node, collection) = match &event {
                Event::Scalar(..) | Event::Alias(_) => (true, None),
                Event::MappingStart(style, ..) => (true, Some((true, *style))),
                Event::SequenceStart(style, ..) => (true, Some((false, *style))),
                _ => (false, None),
            };
            if !node {
                continue;
            }
            if let Event::Alias(id) = &event {
                aliases.push((*id, start, at));
            }
            let is_key = match open.last_mut() {
                Some(o) if o.mapping => {
                    let was = o.key_next;
                    o.key_next = !was;
                    was
                }
                _ => false,
            };
            if open.len() == 1 && open[0].mapping {
                if is_key && event.scalar().is_some_and(|(s, _)| s == "cronjobs") {
                    if let Some((first, _)) = key {
                        return Err(SpliceError::Duplicate {
                            at,
                            first: first.line,
                        });
                    }
                    if root_flow || span.start.col() != 0 {
                        return Err(SpliceError::CannotPlace(at));
                    }
                    key = Some((at, start));
                    value_end = end;
                    in_value = true;
                    continue;
                }
                if is_key {
                    in_value = false;
                }
            }
            if in_value {
                value_end = value_end.max(end);
                if collection.is_none() && open.len() == 1 {
                    in_value = false;
                }
            }
            if let Some((mapping, style)) = collection {
                if open.is_empty() {
                    root_flow = style == StructureStyle::Flow;
                }
                open.push(Open {
                    mapping,
                    key_next: true,
                    flow: style == StructureStyle::Flow,
                });
            }
        }
        let Some((key, start)) = key else {
            return Err(SpliceError::NoCronjobs(At { line: 1, column: 1 }));
        };
        let end = line_end(text, value_end);
        for (id, alias, at) in &aliases {
            if (start..end).contains(alias) {
                continue;
            }
            if let Some((_, name, _, anchor)) = anchors
                .iter()
                .rev()
                .find(|(a, _, place, _)| a == id && (start..end).contains(place))
            {
                return Err(SpliceError::AnchorCrossing {
                    name: name.clone(),
                    anchor: *anchor,
                    alias: *at,
                });
            }
        }
        Ok(Layout {
            block: start..end,
            key,
            first_document_end,
        })
    }
}

/// The end of the line `offset` is on, past its line break; `offset` itself
/// when it is at the start of a line.
fn line_end(text: &str, offset: usize) -> usize {
    if offset == 0 || text[..offset].ends_with('\n') {
        return offset;
    }
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// A marker's byte offset.
fn offset(text: &str, marker: &serde_saphyr::granit_parser::Marker) -> usize {
    marker.byte_offset().unwrap_or_else(|| {
        text.char_indices()
            .nth(marker.index())
            .map_or(text.len(), |(i, _)| i)
    })
}

fn at(span: &Span) -> At {
    At {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

fn scan_error(e: &ScanError) -> SpliceError {
    SpliceError::Yaml {
        at: At {
            line: e.marker().line(),
            column: e.marker().col() + 1,
        },
        message: e.info().to_owned(),
    }
}

/// Reads the spliced file back and compares it with the old one.
fn check(old_text: &str, old: &Layout, new_text: &str, block: &str) -> Result<(), SpliceError> {
    let not_exact = |what: String| SpliceError::NotExact { at: old.key, what };
    let new = Layout::of(new_text)
        .map_err(|e| not_exact(format!("give a file envsync cannot read back ({e})")))?;
    if new_text[new.first_document_end..] != old_text[old.first_document_end..] {
        return Err(not_exact("change the documents after the first".into()));
    }
    let data = |text: &str| -> Result<serde_json::Map<String, Value>, SpliceError> {
        let root = yaml::parse(text, Dialect::HelmValues).map_err(|e| SpliceError::Yaml {
            at: At {
                line: e.origin.line,
                column: e.origin.column,
            },
            message: e.message,
        })?;
        match root.value.to_json() {
            Value::Object(map) => Ok(map),
            _ => Err(SpliceError::NoCronjobs(At { line: 1, column: 1 })),
        }
    };
    let mut before = data(&old_text[..old.first_document_end])?;
    let mut after = data(&new_text[..new.first_document_end])
        .map_err(|e| not_exact(format!("give a file envsync cannot read back ({e})")))?;
    let rendered = data(block)?.remove("cronjobs");
    if after.remove("cronjobs") != rendered {
        return Err(not_exact("not give the rendered `cronjobs`".into()));
    }
    before.remove("cronjobs");
    if let Some(key) = before
        .iter()
        .find(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, _)| k)
        .or_else(|| after.keys().find(|k| !before.contains_key(*k)))
    {
        return Err(not_exact(format!("change `{key}`, which is outside it")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "cronjobs:\n  staging: {}\n";

    #[test]
    fn replaces_only_the_cronjobs_block() {
        let text =
            "a: 1  # keep\n\ncronjobs:\n  production:\n    x: {}\n\n# about b\nb: &b\n  c: 2\n";
        assert_eq!(
            replace_cronjobs(text, BLOCK).unwrap(),
            "a: 1  # keep\n\ncronjobs:\n  staging: {}\n\n# about b\nb: &b\n  c: 2\n"
        );
        let last = "a: 1\ncronjobs:\n  production:\n    x: {}  # note\n";
        assert_eq!(
            replace_cronjobs(last, "cronjobs: {}\n").unwrap(),
            "a: 1\ncronjobs: {}\n"
        );
        assert_eq!(
            replace_cronjobs("a: 1\n", BLOCK),
            Err(SpliceError::NoCronjobs(At { line: 1, column: 1 }))
        );
    }

    #[test]
    fn a_block_scalar_or_a_flow_mapping_ends_the_block_where_it_ends() {
        let text = "cronjobs:\n  p:\n    j:\n      script: |\n        x\n\n# c\nb: 1\n";
        assert_eq!(
            replace_cronjobs(text, BLOCK).unwrap(),
            "cronjobs:\n  staging: {}\n# c\nb: 1\n"
        );
        let text = "cronjobs: {p: {j: {a: 1}},\n  q: {}}  # c\nb: 1\n";
        assert_eq!(
            replace_cronjobs(text, BLOCK).unwrap(),
            format!("{BLOCK}b: 1\n")
        );
    }

    #[test]
    fn keeps_the_documents_after_the_first() {
        let text = "cronjobs:\n  p: {}\n---\nb: 1\n";
        assert_eq!(
            replace_cronjobs(text, BLOCK).unwrap(),
            format!("{BLOCK}---\nb: 1\n")
        );
        assert_eq!(first_document(text), "cronjobs:\n  p: {}\n");
    }

    #[test]
    fn a_cronjobs_line_in_a_string_is_not_the_block() {
        let text = "a: \"x\ncronjobs:\n  y\"\ncronjobs:\n  p: {}\nb: 1\n";
        assert_eq!(
            replace_cronjobs(text, BLOCK).unwrap(),
            format!("a: \"x\ncronjobs:\n  y\"\n{BLOCK}b: 1\n")
        );
    }

    #[test]
    fn keeps_crlf() {
        let text = "a: 1\r\ncronjobs:\r\n  p: {}\r\nb: 1\r\n";
        assert_eq!(
            replace_cronjobs(text, BLOCK).unwrap(),
            "a: 1\r\ncronjobs:\r\n  staging: {}\r\nb: 1\r\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_replace_exactly() {
        let refused = |text: &str| replace_cronjobs(text, BLOCK).unwrap_err();
        assert_eq!(
            refused("cronjobs:\n<<<<<<< HEAD\n  p: {}\n=======\n  q: {}\n>>>>>>> x\n"),
            SpliceError::ConflictMarker(At { line: 2, column: 1 })
        );
        assert_eq!(
            refused("cronjobs:\n  p: {}\nb: 1\ncronjobs:\n  q: {}\n"),
            SpliceError::Duplicate {
                at: At { line: 4, column: 1 },
                first: 1
            }
        );
        assert_eq!(
            refused("cronjobs:\n  p: &x {a: 1}\nb: *x\n"),
            SpliceError::AnchorCrossing {
                name: "x".into(),
                anchor: At { line: 2, column: 6 },
                alias: At { line: 3, column: 4 }
            }
        );
        assert!(matches!(
            refused("{a: 1, cronjobs: {}}\n"),
            SpliceError::CannotPlace(_)
        ));
        assert!(matches!(
            refused("a: [1\ncronjobs: {}\n"),
            SpliceError::Yaml { .. }
        ));
        // An anchor used only inside the block may go with it.
        assert!(replace_cronjobs("cronjobs:\n  p: &x {a: 1}\n  q: *x\nb: 1\n", BLOCK).is_ok());
    }
}
