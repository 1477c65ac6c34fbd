//! The quick way to read a document, for documents with nothing a catalogue
//! rarely holds: line by line when it is simple enough ([`super::block`]),
//! else straight from the parser's events.
//!
//! Anchors, aliases, merges, tags, several documents, a scalar whose type
//! takes more than a glance to tell (`0x1F`, `1_000`, `.inf`, `yes`, `1.5`),
//! a key that is not a plain string, a duplicate key, a syntax error, great
//! depth or size: for any of these [`document`] gives `None`, and
//! serde-saphyr reads the document instead, with its own rules, limits and
//! messages. What this reader does read, it reads as serde-saphyr does (the
//! tests compare the two on every YAML file at hand).

use super::{Mapping, Node, Spanned};
use crate::plan::Origin;
use foldhash::{HashSet, HashSetExt};
use granit_parser::{Event, Parser, ScalarStyle, Span};
use std::borrow::Cow;

/// Documents nested deeper than this are left to serde-saphyr's limits.
pub(super) const MAX_DEPTH: usize = 64;

/// Documents with more events than this are left to serde-saphyr's budget.
pub(super) const MAX_EVENTS: usize = 1_000_000;

/// Mappings at least this large are checked for duplicate keys by hashing.
const HASH_FROM: usize = 16;

/// A collection being read.
enum Open {
    Seq(Origin, Vec<Spanned<Node>>),
    /// A mapping, with the key whose value comes next.
    Map(
        Origin,
        Vec<(Spanned<String>, Spanned<Node>)>,
        Option<Spanned<String>>,
    ),
}

/// The document `text` holds, or `None` when it is one for serde-saphyr
/// (see the module's documentation): read line by line when it is simple
/// enough ([`super::block`]), else from the parser's events.
pub(super) fn document(text: &str) -> Option<Spanned<Node>> {
    super::block::document(text).or_else(|| from_events(text))
}

/// The document `text` holds, read from the parser's events.
pub(super) fn from_events(text: &str) -> Option<Spanned<Node>> {
    // Lines broken by a carriage return alone: serde-saphyr refuses some
    // such documents this reader would take (it buffers their comments
    // while it looks ahead, up to a limit).
    if text
        .match_indices('\r')
        .any(|(i, _)| !text[i + 1..].starts_with('\n'))
    {
        return None;
    }
    let mut options = granit_parser::Options::default();
    options.set_emit_comments(false);
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut open: Vec<Open> = Vec::new();
    let mut root = None;
    let mut documents = 0;
    for (count, event) in std::iter::from_fn(|| parser.next_event()).enumerate() {
        if count > MAX_EVENTS {
            return None;
        }
        let (event, span) = event.ok()?;
        let node = match event {
            Event::StreamStart | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(value, style, 0, None) => {
                if let Some(Open::Map(_, _, key @ None)) = open.last_mut() {
                    *key = Some(Spanned {
                        value: map_key(value, style)?,
                        at: origin(&span),
                    });
                    continue;
                }
                Spanned {
                    value: scalar(value, style)?,
                    at: origin(&span),
                }
            }
            Event::SequenceStart(_, 0, None) | Event::MappingStart(_, 0, None) => {
                if open.len() >= MAX_DEPTH || matches!(open.last(), Some(Open::Map(_, _, None))) {
                    return None;
                }
                open.push(match event {
                    Event::SequenceStart(..) => Open::Seq(origin(&span), Vec::new()),
                    _ => Open::Map(origin(&span), Vec::new(), None),
                });
                continue;
            }
            Event::SequenceEnd => match open.pop()? {
                Open::Seq(at, items) => Spanned {
                    value: Node::Seq(items),
                    at,
                },
                Open::Map(..) => return None,
            },
            Event::MappingEnd => match open.pop()? {
                Open::Map(at, entries, None) if !has_duplicates(&entries) => Spanned {
                    value: Node::Map(Mapping::new(entries)),
                    at,
                },
                _ => return None,
            },
            // Aliases, anchors and tags.
            _ => return None,
        };
        match open.last_mut() {
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, key)) => entries.push((key.take()?, node)),
            None if root.is_none() => root = Some(node),
            None => return None,
        }
    }
    if !open.is_empty() {
        return None;
    }
    root
}

/// Where an event starts, as serde-saphyr places it.
fn origin(span: &Span) -> Origin {
    Origin {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// A scalar's value, when it is plainly a string, `true`, `false`, null or
/// a decimal integer.
pub(super) fn scalar(value: Cow<str>, style: ScalarStyle) -> Option<Node> {
    if style != ScalarStyle::Plain {
        return Some(Node::String(value.into_owned()));
    }
    let node = match &*value {
        "" | "~" | "null" => Node::Null,
        "true" => Node::Bool(true),
        "false" => Node::Bool(false),
        text if is_plain_string(text) => return Some(Node::String(value.into_owned())),
        text => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let decimal = digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.is_empty()
                && (!digits.starts_with('0') || digits == "0" && text == "0");
            if !decimal {
                return None;
            }
            // serde-saphyr reads a non-negative number as unsigned.
            let number = match text.starts_with('-') {
                true => serde_json::Number::from(text.parse::<i64>().ok()?),
                false => serde_json::Number::from(text.parse::<u64>().ok()?),
            };
            Node::Number(number)
        }
    };
    Some(node)
}

/// A mapping key, when it is plainly a string (and not `<<`, quoted or not).
pub(super) fn map_key(value: Cow<str>, style: ScalarStyle) -> Option<String> {
    (value != "<<" && (style != ScalarStyle::Plain || is_plain_string(&value)))
        .then(|| value.into_owned())
}

/// Whether a plain scalar is a string in both dialects (YAML 1.2's core
/// schema and Helm's YAML 1.1): it is not null, not a boolean word, and cannot be a number.
fn is_plain_string(text: &str) -> bool {
    let Some(first) = text.bytes().next() else {
        return false;
    };
    const WORDS: [&str; 10] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
    ];
    if WORDS.iter().any(|w| w.eq_ignore_ascii_case(text)) {
        return false;
    }
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return true;
    }
    // `.inf`, `-.nan` and the like.
    if text.trim_start_matches(['+', '-']).starts_with('.') {
        return false;
    }
    // Any character no number is written with (a space, `*`, `Mi`).
    !text
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b"_+-.:xXoObB".contains(&b))
}

/// Whether two entries of a mapping have the same key.
pub(super) fn has_duplicates(entries: &[(Spanned<String>, Spanned<Node>)]) -> bool {
    if entries.len() < HASH_FROM {
        return entries
            .iter()
            .enumerate()
            .any(|(i, (k, _))| entries[..i].iter().any(|(seen, _)| seen.value == k.value));
    }
    let mut seen = HashSet::with_capacity(entries.len());
    !entries.iter().all(|(k, _)| seen.insert(k.value.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Dialect, parse_with_saphyr};
    use std::path::{Path, PathBuf};

    /// Reads `text` both ways; `true` when this reader took it.
    fn same_as_saphyr(text: &str, what: &str) -> bool {
        let Some(quick) = document(text) else {
            return false;
        };
        for dialect in [Dialect::Catalogue, Dialect::HelmValues] {
            let saphyr = parse_with_saphyr(text, dialect)
                .unwrap_or_else(|e| panic!("{what}: read quickly, but serde-saphyr fails: {e}"));
            assert!(
                quick == saphyr,
                "{what}: read differently from serde-saphyr"
            );
        }
        true
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }

    /// Every YAML file in the repository and the conformance data: its
    /// path and text.
    fn files_at_hand() -> Vec<(String, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["fixtures", "tests", "bench", "../shared/conformance"] {
            yaml_files(&root.join(dir), &mut files);
        }
        files
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                (p.display().to_string(), text)
            })
            .collect()
    }

    #[test]
    fn reads_every_file_at_hand_as_serde_saphyr_does() {
        let files = files_at_hand();
        let quick: usize = files
            .iter()
            .map(|(path, text)| usize::from(same_as_saphyr(text, path)))
            .sum();
        // The GOV.UK catalogue and most values files are plain documents.
        assert!(
            quick >= 10,
            "only {quick} of {} files read quickly",
            files.len()
        );
    }

    #[test]
    fn reads_line_by_line_as_from_the_events() {
        let mut texts = files_at_hand();
        for n in [30, 300] {
            texts.push((format!("{n} databases"), crate::synthetic::catalogue(n)));
        }
        let mut read = 0;
        for (what, text) in &texts {
            if let Some(lines) = crate::yaml::block::document(text) {
                assert!(
                    lines == from_events(text).unwrap(),
                    "{what}: read differently"
                );
                read += 1;
            }
        }
        // The GOV.UK catalogue and the synthetic ones among them.
        assert!(
            read >= 3,
            "only {read} of {} read line by line",
            texts.len()
        );
    }

    #[test]
    fn reads_scalars_as_serde_saphyr_does() {
        let text = r#"
plain: app_0_production
schedule: 54 3 * * 0-4
memory: 2048Mi
count: 42
negative: -7
zero: 0
flag: true
off_flag: false
nothing:
tilde: ~
null_word: null
single: 'it''s'
double: "a\tb"
literal: |
  line one
  line two
folded: >
  folded
  text
"quoted key": 1
flow: {a: 1, b: [x, "y", 3]}
list:
  - one
  - - nested
  - {}
  - []
"#;
        assert!(same_as_saphyr(text, "scalars"));
    }

    #[test]
    fn leaves_the_rest_to_serde_saphyr() {
        for text in [
            "a: &x 1\nb: *x\n",
            "base: &b {x: 1}\njob:\n  <<: *b\n",
            "job:\n  \"<<\": {x: 1}\n",
            "a: !!str 1\n",
            "a: yes\n",
            "a: True\n",
            "a: 0555\n",
            "a: 1.5\n",
            "a: 0x1F\n",
            "a: 1_000\n",
            "a: .inf\n",
            "a: -.nan\n",
            "a: 1:30\n",
            "a: 99999999999999999999\n",
            "1: one\n",
            "null: x\n",
            "a: 1\na: 2\n",
            "--- 1\n--- 2\n",
            "a: [1, 2\n",
            "a: 1\rb: 2\r",
            "",
            "# only a comment\n",
        ] {
            assert!(document(text).is_none(), "{text:?} was read quickly");
        }
        let deep = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(document(&deep).is_none());
    }
}
