//! Reading YAML into a tree that remembers where every node came from, and
//! writing data as block YAML.
//!
//! Catalogues and values files are read into [`Node`]s, turned into JSON
//! values for schema validation and typed models, and looked up by JSON
//! Pointer to find the line and column of anything worth reporting.
//! serde-saphyr reads every document (resolving anchors, aliases, `<<:`
//! merges and tags, and explaining what is wrong with one) and writes every
//! document.

use crate::model::plan::Origin;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{DuplicateKeyPolicy, Options};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// A value and the place it is used at (for a value reached through an
/// alias or a merge, the alias or merge).
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub at: Origin,
}

impl<T> Spanned<T> {
    /// A serde-saphyr value with its place.
    fn from_saphyr(spanned: serde_saphyr::Spanned<T>) -> Spanned<T> {
        Spanned {
            value: spanned.value,
            at: origin_of(spanned.referenced),
        }
    }
}

/// A YAML node with the place of each child.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Spanned<Node>>),
    Map(Mapping),
}

/// A mapping's entry: its key and value, each with its place.
pub type Entry = (Spanned<String>, Spanned<Node>);

/// A mapping's entries in source order. A lookup by key goes through an
/// index made on the first lookup, so that finding the place of every
/// database in a catalogue of thousands stays linear, not quadratic.
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    entries: Vec<Entry>,
    index: OnceLock<HashMap<String, usize>>,
}

impl Mapping {
    pub fn new(entries: Vec<Entry>) -> Mapping {
        Mapping {
            entries,
            index: OnceLock::new(),
        }
    }

    /// The first entry with this key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        let index = self.index.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.entries.len());
            for (i, (k, _)) in self.entries.iter().enumerate() {
                index.entry(k.value.clone()).or_insert(i);
            }
            index
        });
        index.get(key).map(|&i| &self.entries[i])
    }
}

impl std::ops::Deref for Mapping {
    type Target = [Entry];

    fn deref(&self) -> &[Entry] {
        &self.entries
    }
}

impl<'a> IntoIterator for &'a Mapping {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl PartialEq for Mapping {
    fn eq(&self, other: &Mapping) -> bool {
        self.entries == other.entries
    }
}

/// How a file is read: a catalogue is strict YAML 1.2; a Helm values file is
/// read as Helm reads it (YAML 1.1 booleans, `0555` octal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Catalogue,
    HelmValues,
}

/// A document that failed to parse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    pub origin: Origin,
}

/// Parses one YAML document with serde-saphyr, which resolves anchors,
/// aliases and `<<:` merges and reports what is wrong with the document.
pub fn parse(text: &str, dialect: Dialect) -> Result<Spanned<Node>, ParseError> {
    let mut options = Options::default();
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.strict_booleans = dialect == Dialect::Catalogue;
    options.legacy_octal_numbers = dialect == Dialect::HelmValues;
    options.with_snippet = false;
    // Room for catalogues of tens of thousands of databases; alias bombs
    // still stop at the alias and expansion limits.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 2_000_000;
    budget.max_events = 5_000_000;
    options.budget = Some(budget);
    let root = serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<Node>>(text, options);
    root.map(Spanned::from_saphyr).map_err(|e| {
        let origin = e.location().map(origin_of).unwrap_or_default();
        let message = e.to_string();
        // The message repeats the location at its end; keep the words only.
        let mut message = match message.find(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        let mut cause = &e;
        while let serde_saphyr::Error::AliasError { error, .. }
        | serde_saphyr::Error::WithSnippet { error, .. } = cause
        {
            cause = error;
        }
        if matches!(cause, serde_saphyr::Error::Budget { .. }) {
            message = format!(
                "the document is too large, or its aliases expand too far, to read safely ({message})"
            );
        }
        ParseError { message, origin }
    })
}

/// The line and column of a saphyr location.
pub fn origin_of(location: serde_saphyr::Location) -> Origin {
    Origin {
        line: location.line() as usize,
        column: location.column() as usize,
    }
}

/// The place a spanned value is used at.
pub fn origin<T>(spanned: &Spanned<T>) -> Origin {
    spanned.at
}

impl Node {
    /// The node as plain JSON data.
    pub fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(items.iter().map(|i| i.value.to_json()).collect()),
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.to_json()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }

    /// The first entry of a mapping with this key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map(mapping) => mapping.entry(key),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Spanned<Node>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The entries of a mapping (none for anything else).
    pub fn entries(&self) -> &[Entry] {
        match self {
            Node::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// What kind of node this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}

/// The place of the node that a JSON Pointer names, or of its nearest
/// ancestor that exists. A mapping or list value is placed at its key, where
/// a reader looks for it; a scalar at the value itself.
pub fn locate(root: &Spanned<Node>, pointer: &str) -> Origin {
    find(root, pointer, false)
}

/// The place of the key that the last step of a JSON Pointer names.
pub fn locate_key(root: &Spanned<Node>, pointer: &str) -> Origin {
    find(root, pointer, true)
}

fn find(root: &Spanned<Node>, pointer: &str, at_key: bool) -> Origin {
    let mut node = root;
    let mut at = origin(root);
    for step in pointer.split('/').skip(1) {
        let step = unescape(step);
        let next = match &node.value {
            Node::Map(_) => node.value.entry(&step).map(|(k, v)| {
                at = match v.value {
                    Node::Map(_) | Node::Seq(_) => origin(k),
                    _ if at_key => origin(k),
                    _ => origin(v),
                };
                v
            }),
            Node::Seq(items) => step
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .inspect(|v| at = origin(v)),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    at
}

/// A JSON Pointer step as the key it names (`~1` is `/`, `~0` is `~`).
pub fn unescape(step: &str) -> Cow<'_, str> {
    if step.contains('~') {
        Cow::Owned(step.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(step)
    }
}

/// A key as a JSON Pointer step (`~` is `~0`, `/` is `~1`).
pub fn escape(key: &str) -> Cow<'_, str> {
    if key.contains(['~', '/']) {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        i64::try_from(v)
            .map(|v| Node::Number(v.into()))
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        u64::try_from(v)
            .map(|v| Node::Number(v.into()))
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Number::from_f64(v)
            .map(Node::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<serde_saphyr::Spanned<Node>>()? {
            items.push(Spanned::from_saphyr(item));
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<serde_saphyr::Spanned<Key>>()? {
            let value = map.next_value::<serde_saphyr::Spanned<Node>>()?;
            let key = Spanned {
                value: key.value.0,
                at: origin_of(key.referenced),
            };
            entries.push((key, Spanned::from_saphyr(value)));
        }
        Ok(Node::Map(Mapping::new(entries)))
    }
}

/// A mapping key: any scalar, as text.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Key, E> {
                Ok(Key("null".to_owned()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// Writes data as block YAML that passes yamllint with GOV.UK's settings:
/// two-space indents, sequences indented under their keys, plain scalars
/// where they are safe and quotes where they are needed. A
/// [`serde_saphyr::Commented`] value gets its comment on the line above it
/// (yamllint wants two spaces before a comment beside a value, and the
/// serializer gives one).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, serde_saphyr::SerializeError> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.compact_list_indent = false;
    options.prefer_block_scalars = false;
    options.comment_position = serde_saphyr::CommentPosition::Above;
    serde_saphyr::to_string_with_options(value, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_merges_and_keeps_places() {
        let text = "base: &b\n  x: 1\njob:\n  <<: *b\n  y: [a, b]\n";
        let root = parse(text, Dialect::Catalogue).unwrap();
        assert_eq!(
            root.value.to_json(),
            serde_json::json!({"base": {"x": 1}, "job": {"x": 1, "y": ["a", "b"]}})
        );
        assert_eq!(locate(&root, "/job/y"), Origin { line: 5, column: 3 });
        assert_eq!(locate(&root, "/base/x"), Origin { line: 2, column: 6 });
        assert_eq!(
            locate(&root, "/job/y/1"),
            Origin {
                line: 5,
                column: 10
            }
        );
        // A missing step points at the nearest thing that exists.
        assert_eq!(locate(&root, "/job/z"), Origin { line: 3, column: 1 });
    }

    #[test]
    fn rejects_duplicate_keys_with_their_place() {
        let err = parse("a: 1\nb: 2\na: 3\n", Dialect::Catalogue).unwrap_err();
        assert_eq!(err.origin.line, 3, "{err:?}");
        assert!(err.message.contains("duplicate"), "{}", err.message);
    }

    #[test]
    fn helm_values_read_yaml_1_1() {
        let root = parse("mode: 0555\nflag: yes\n", Dialect::HelmValues).unwrap();
        assert_eq!(
            root.value.to_json(),
            serde_json::json!({"mode": 365, "flag": true})
        );
        let root = parse("flag: yes\n", Dialect::Catalogue).unwrap();
        assert_eq!(root.value.to_json(), serde_json::json!({"flag": "yes"}));
    }

    /// What a property test found in a writer since removed: a key and a
    /// value that need quoting are written so that they read back the same.
    #[test]
    fn writes_what_reads_back() {
        for value in [
            serde_json::json!({"0]": "\t"}),
            serde_json::json!({"E]": "\t"}),
        ] {
            let text = to_string(&value).unwrap();
            let read = parse(&text, Dialect::Catalogue).unwrap();
            assert_eq!(read.value.to_json(), value, "{text}");
        }
    }
}
