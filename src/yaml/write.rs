//! The quick way to write block YAML: a serde serializer that lays data out
//! exactly as serde-saphyr does with envsync's options (see [`super::to_string`]),
//! for the data envsync writes.
//!
//! serde-saphyr checks every scalar for the quoting it needs, in several
//! passes over its text; the rule tests' long annotations made that most of
//! the time spent writing them. This serializer writes a string plain or in
//! double quotes when one look tells that serde-saphyr would: plain, printable
//! ASCII that YAML cannot read as anything but a string ([`is_plain`]);
//! double-quoted, ASCII that it certainly would ([`is_quoted`]: a line
//! break, `: `, a leading indicator, a number in digits, `yes`). Any other
//! string, a float, or a shape it does not lay out (a comment beside a list
//! item, a key that is not plainly a string, a `LitStr`, an empty document)
//! makes it give up, and serde-saphyr writes the whole document. The tests
//! compare the two writers on random data and on everything envsync renders
//! (`tests/yaml_writer.rs`).

use serde::Serialize;
use serde::ser::{self, Impossible};
use std::fmt::{self, Write};

/// The name serde-saphyr gives a commented value (`Commented` serializes as
/// a tuple struct of this name: the comment, then the value).
const COMMENTED: &str = "__yaml_commented";

/// Whether a struct's name is one of serde-saphyr's presentation wrappers
/// (`LitStr`, `FlowSeq`, anchors...), whose layout is left to it.
fn saphyr_wrapper(name: &str) -> bool {
    name.starts_with("__yaml")
}

/// Block YAML for `value`, or `None` when it holds anything this writer
/// leaves to serde-saphyr.
pub(super) fn to_string<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let tree = value.serialize(Build).and_then(scalar).ok()?;
    let mut out = String::new();
    match &tree {
        Yaml::Map(entries) if !entries.is_empty() => write_entries(&mut out, entries, 0),
        Yaml::Seq(items) if !items.is_empty() => write_items(&mut out, items, 0),
        Yaml::Scalar(text) => {
            out.push_str(text);
            out.push('\n');
        }
        _ => return None,
    }
    Some(out)
}

/// Data as it will be laid out: scalars already written, but for strings,
/// kept as they are until it is known whether they are a value or a
/// comment.
enum Yaml {
    Scalar(String),
    Str(String),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
    /// A value with a comment on the line above it.
    Commented(String, Box<Yaml>),
}

impl Yaml {
    /// `{}` or `[]`, for an empty collection.
    fn empty(&self) -> Option<&'static str> {
        match self {
            Yaml::Seq(items) if items.is_empty() => Some("[]"),
            Yaml::Map(entries) if entries.is_empty() => Some("{}"),
            _ => None,
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n("  ", depth));
}

/// A mapping's entries, each on a line of its own at `depth`.
fn write_entries(out: &mut String, entries: &[(String, Yaml)], depth: usize) {
    for (i, (key, value)) in entries.iter().enumerate() {
        // The first entry of a mapping in a list follows its dash.
        if i > 0 || !out.ends_with("- ") {
            indent(out, depth);
        }
        out.push_str(key);
        out.push(':');
        write_value(out, value, depth);
    }
}

/// A mapping value, after its key and colon.
fn write_value(out: &mut String, value: &Yaml, depth: usize) {
    match value {
        Yaml::Scalar(text) => {
            out.push(' ');
            out.push_str(text);
            out.push('\n');
        }
        Yaml::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_items(out, items, depth + 1);
        }
        Yaml::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            write_entries(out, entries, depth + 1);
        }
        Yaml::Commented(comment, value) => {
            out.push('\n');
            indent(out, depth + 1);
            out.push_str("# ");
            out.push_str(comment);
            out.push('\n');
            match &**value {
                Yaml::Scalar(text) => {
                    indent(out, depth + 1);
                    out.push_str(text);
                    out.push('\n');
                }
                Yaml::Seq(items) => write_items(out, items, depth + 1),
                Yaml::Map(entries) => write_entries(out, entries, depth + 1),
                Yaml::Commented(..) | Yaml::Str(_) => unreachable!("refused when built"),
            }
        }
        empty => {
            out.push(' ');
            out.push_str(empty.empty().unwrap_or_default());
            out.push('\n');
        }
    }
}

/// A list's items, each after a dash at `depth`.
fn write_items(out: &mut String, items: &[Yaml], depth: usize) {
    for (i, item) in items.iter().enumerate() {
        // The first item of a list in a list follows its dash.
        if i > 0 || !out.ends_with("- ") {
            indent(out, depth);
        }
        out.push_str("- ");
        match item {
            Yaml::Scalar(text) => {
                out.push_str(text);
                out.push('\n');
            }
            Yaml::Seq(items) if !items.is_empty() => write_items(out, items, depth + 1),
            Yaml::Map(entries) if !entries.is_empty() => write_entries(out, entries, depth + 1),
            Yaml::Commented(..) | Yaml::Str(_) => unreachable!("refused when built"),
            empty => {
                out.push_str(empty.empty().unwrap_or_default());
                out.push('\n');
            }
        }
    }
}

/// Why the quick writer gave up: serde-saphyr writes the document instead.
#[derive(Debug)]
struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("left to serde-saphyr")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> GiveUp {
        GiveUp
    }
}

/// A string written as a value, as serde-saphyr writes it.
fn scalar(value: Yaml) -> Result<Yaml, GiveUp> {
    match value {
        Yaml::Str(text) => string(text).map(Yaml::Scalar),
        other => Ok(other),
    }
}

/// A string value as serde-saphyr writes it, when that takes one look.
fn string(text: String) -> Result<String, GiveUp> {
    if is_plain(&text) {
        return Ok(text);
    }
    // Otherwise serde-saphyr writes double quotes, escaped as below (ASCII
    // only, to keep this short), but for `-`, `.` and `#` alone.
    if !(text.is_ascii() && !matches!(&*text, "-" | "." | "#") && is_quoted(&text)) {
        return Err(GiveUp);
    }
    let mut out = String::with_capacity(text.len() + 8);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// Words YAML 1.1 reads as null, a boolean or a number, whatever their case.
const WORDS: [&str; 11] = [
    "null", "true", "false", "nan", "inf", "y", "yes", "n", "no", "on", "off",
];

/// Whether serde-saphyr writes this string plain, as a value: it starts
/// with a letter, or a digit, `_` or `-` but is no number, is printable ASCII, has no `: `, ` #`,
/// trailing space or colon, and is nothing YAML 1.1 reads as null, a
/// boolean, a number or a date.
fn is_plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let starts_number = match first {
        b'0'..=b'9' | b'_' => true,
        // Not a list item (`- x`) or a document marker (`---`).
        b'-' => bytes.get(1).is_some_and(|b| !matches!(b, b' ' | b'-')),
        _ => false,
    };
    (first.is_ascii_alphabetic() || starts_number && !may_be_number(text))
        && last != b' '
        && last != b':'
        && printable_without_indicators(bytes)
        && !is_word(text)
}

/// Whether every byte is printable ASCII, with no `: ` or ` #`: one pass,
/// as this is asked of every string written.
fn printable_without_indicators(bytes: &[u8]) -> bool {
    let mut previous = 0;
    bytes.iter().all(|&b| {
        let ok = (b' '..=b'~').contains(&b)
            && !(previous == b':' && b == b' ')
            && !(previous == b' ' && b == b'#');
        previous = b;
        ok
    })
}

/// Whether the text is one of [`WORDS`], in any case.
fn is_word(text: &str) -> bool {
    const LONGEST: usize = {
        let (mut i, mut longest) = (0, 0);
        while i < WORDS.len() {
            if WORDS[i].len() > longest {
                longest = WORDS[i].len();
            }
            i += 1;
        }
        longest
    };
    text.len() <= LONGEST && WORDS.iter().any(|w| w.eq_ignore_ascii_case(text))
}

/// Whether serde-saphyr quotes this string for certain: it is empty, holds
/// a control character, `: ` or ` #`, starts with an indicator or a space, ends with a
/// space or colon, is a number in digits, or is a word YAML 1.1 reads as
/// null, a boolean or a number.
fn is_quoted(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return true;
    };
    bytes.iter().any(u8::is_ascii_control)
        || text.contains(": ")
        || text.contains(" #")
        || b",:[]{}#&*!|>'\"%@` ".contains(&first)
        || last == b' '
        || last == b':'
        || bytes.iter().all(u8::is_ascii_digit)
        || is_word(text)
}

/// Whether a string that starts with a digit, `_` or `-` might be read as
/// a number (`1_000`, `-0x1F`, `1e3`, `-.inf`, `1:30`) or a date
/// (`2001-12-14 21:59:43 -5`): every character is one a number or date is
/// written with. (`2h`, `2x37 1` and `54 3 * * *` are not.)
fn may_be_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned.starts_with('.') || is_word(unsigned) {
        return true;
    }
    let bytes = unsigned.as_bytes();
    let hex = bytes.starts_with(b"0x") || bytes.starts_with(b"0X");
    let time = text.contains(':');
    bytes.iter().enumerate().all(|(i, b)| match b {
        b'0'..=b'9' | b'_' | b'+' | b'-' | b'.' | b':' | b'e' | b'E' => true,
        // A radix, after a leading 0.
        b'x' | b'X' | b'o' | b'O' | b'b' | b'B' if i == 1 && bytes[0] == b'0' => true,
        b'a'..=b'f' | b'A'..=b'F' => hex,
        // A date and time.
        b't' | b'T' | b'z' | b'Z' | b' ' => time,
        _ => false,
    })
}

/// Whether serde-saphyr writes this mapping key plain: as a value, and
/// without a colon or any of `,[]{}` (which a key in a flow mapping could
/// not hold).
fn is_plain_key(text: &str) -> bool {
    is_plain(text) && !text.contains([':', ',', '[', ']', '{', '}'])
}

/// Serializes a value into [`Yaml`].
struct Build;

impl ser::Serializer for Build {
    type Ok = Yaml;
    type Error = GiveUp;
    type SerializeSeq = Collect;
    type SerializeTuple = Collect;
    type SerializeTupleStruct = Collect;
    type SerializeTupleVariant = Impossible<Yaml, GiveUp>;
    type SerializeMap = Collect;
    type SerializeStruct = Collect;
    type SerializeStructVariant = Impossible<Yaml, GiveUp>;

    fn serialize_bool(self, v: bool) -> Result<Yaml, GiveUp> {
        Ok(Yaml::Scalar(v.to_string()))
    }
    fn serialize_i8(self, v: i8) -> Result<Yaml, GiveUp> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Yaml, GiveUp> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Yaml, GiveUp> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Yaml, GiveUp> {
        Ok(Yaml::Scalar(v.to_string()))
    }
    fn serialize_u8(self, v: u8) -> Result<Yaml, GiveUp> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Yaml, GiveUp> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Yaml, GiveUp> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Yaml, GiveUp> {
        Ok(Yaml::Scalar(v.to_string()))
    }
    fn serialize_f32(self, _: f32) -> Result<Yaml, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_f64(self, _: f64) -> Result<Yaml, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_char(self, v: char) -> Result<Yaml, GiveUp> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Yaml, GiveUp> {
        Ok(Yaml::Str(v.to_owned()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Yaml, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_none(self) -> Result<Yaml, GiveUp> {
        Ok(Yaml::Scalar("null".to_owned()))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Yaml, GiveUp> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Yaml, GiveUp> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Yaml, GiveUp> {
        if saphyr_wrapper(name) {
            return Err(GiveUp);
        }
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Yaml, GiveUp> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Yaml, GiveUp> {
        if saphyr_wrapper(name) {
            return Err(GiveUp);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Yaml, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Collect, GiveUp> {
        Ok(Collect::new(Kind::Seq, len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Collect, GiveUp> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Collect, GiveUp> {
        let kind = match name {
            COMMENTED => Kind::Commented,
            name if saphyr_wrapper(name) => return Err(GiveUp),
            _ => Kind::Seq,
        };
        Ok(Collect::new(kind, Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Collect, GiveUp> {
        Ok(Collect::new(Kind::Map, len))
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Collect, GiveUp> {
        if saphyr_wrapper(name) {
            return Err(GiveUp);
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, GiveUp> {
        Err(GiveUp)
    }
}

enum Kind {
    Seq,
    Map,
    Commented,
}

/// A list, mapping or commented value being serialized.
struct Collect {
    kind: Kind,
    items: Vec<Yaml>,
    keys: Vec<String>,
}

impl Collect {
    fn new(kind: Kind, len: Option<usize>) -> Collect {
        Collect {
            kind,
            items: Vec::with_capacity(len.unwrap_or(0)),
            keys: Vec::new(),
        }
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        let item = value.serialize(Build)?;
        let item = match self.kind {
            // The comment, then the value.
            Kind::Commented if self.items.is_empty() => item,
            // A comment beside a list item is laid out otherwise.
            Kind::Seq if matches!(item, Yaml::Commented(..)) => return Err(GiveUp),
            _ => scalar(item)?,
        };
        self.items.push(item);
        Ok(())
    }

    fn key(&mut self, key: String) -> Result<(), GiveUp> {
        if !is_plain_key(&key) {
            return Err(GiveUp);
        }
        self.keys.push(key);
        Ok(())
    }

    fn done(self) -> Result<Yaml, GiveUp> {
        match self.kind {
            Kind::Seq => Ok(Yaml::Seq(self.items)),
            Kind::Map => Ok(Yaml::Map(self.keys.into_iter().zip(self.items).collect())),
            Kind::Commented => {
                let [Yaml::Str(comment), value]: [Yaml; 2] =
                    self.items.try_into().map_err(|_| GiveUp)?
                else {
                    return Err(GiveUp);
                };
                if comment.contains(['\n', '\r']) || value.empty().is_some() {
                    return Err(GiveUp);
                }
                match value {
                    Yaml::Commented(..) => Err(GiveUp),
                    value => Ok(Yaml::Commented(comment, Box::new(value))),
                }
            }
        }
    }
}

/// The list-like compounds, each handing its items to [`Collect::item`].
macro_rules! list_compound {
    ($($compound:ident :: $method:ident),*) => {$(
        impl ser::$compound for Collect {
            type Ok = Yaml;
            type Error = GiveUp;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
                self.item(value)
            }
            fn end(self) -> Result<Yaml, GiveUp> {
                self.done()
            }
        }
    )*};
}

list_compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl ser::SerializeMap for Collect {
    type Ok = Yaml;
    type Error = GiveUp;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), GiveUp> {
        match key.serialize(Build)? {
            Yaml::Str(text) => self.key(text),
            _ => Err(GiveUp),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        self.item(value)
    }
    fn end(self) -> Result<Yaml, GiveUp> {
        self.done()
    }
}

impl ser::SerializeStruct for Collect {
    type Ok = Yaml;
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        self.key(key.to_owned())?;
        self.item(value)
    }
    fn end(self) -> Result<Yaml, GiveUp> {
        self.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use serde_saphyr::Commented;

    /// Writes `value` both ways; `true` when this writer took it.
    fn same_as_saphyr<T: Serialize>(value: &T) -> bool {
        let Some(quick) = to_string(value) else {
            return false;
        };
        let saphyr = super::super::to_string_with_saphyr(value).expect("serde-saphyr writes it");
        assert_eq!(quick, saphyr);
        true
    }

    #[test]
    fn lays_out_as_serde_saphyr_does() {
        let value = json!({
            "a": {"b": 1, "c": [1, "x", {"d": 2, "e": [3]}, [4, 5], [], {}], "f": {}, "g": []},
            "h": [[1, [2]], {"i": {"j": -1}}],
            "k": null,
            "l": true,
            "text": "two\nlines \"quoted\" \\ and\ttab",
            "colon": "a: b",
            "hash": "a #b",
            "digits": "30",
            "duration": "2d19h45m",
            "series": "2x37 1 2x57",
            "negative series": "-85980 420x95",
            "selector": "db_backup_job_state{operation=\"backup\", database_instance=~\"a|b\"}",
            "empty": "",
            "word": "Yes",
        });
        assert!(same_as_saphyr(&value));
        #[derive(Serialize)]
        struct Notes {
            a: Commented<String>,
            c: Commented<Vec<u8>>,
            d: Commented<Value>,
        }
        let notes = Notes {
            a: Commented("x".into(), "note: with a colon".into()),
            c: Commented(vec![1, 2], "n3".into()),
            d: Commented(json!({"z": 1}), "n4".into()),
        };
        assert!(same_as_saphyr(&notes));
        assert!(same_as_saphyr(&vec![1, 2]));
        assert!(same_as_saphyr(&json!([[["a"]], {"b": {"c": [{"d": 1}]}}])));
    }

    #[test]
    fn leaves_the_rest_to_serde_saphyr() {
        for value in [
            json!({"float": 1.5}),
            json!({"dash": "-"}),
            json!({"unicode": "caf\u{e9}: ok"}),
            json!({"1": "numeric key"}),
            json!({"y": "boolean key"}),
            json!({"maybe": "0x1F"}),
            json!({}),
            json!([]),
        ] {
            assert!(to_string(&value).is_none(), "{value}");
        }
        #[derive(Serialize)]
        struct Listed {
            items: Vec<Commented<u8>>,
        }
        let listed = Listed {
            items: vec![Commented(1, "a comment beside a list item".into())],
        };
        assert!(to_string(&listed).is_none());
        let block = serde_saphyr::LitStr("block\ntext");
        assert!(to_string(&json!({"x": 1})).is_some() && to_string(&block).is_none());
    }

    /// Strings made of the characters that decide quoting.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[-a-z0-9_ .:#'\"\\\\\n\t{}\\[\\],&*!|>%@`?~+=xeE]{0,12}")
            .expect("a valid regex")
    }

    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            text().prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((text(), inner), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        #[test]
        fn writes_what_serde_saphyr_writes(value in tree()) {
            same_as_saphyr(&value);
        }

        #[test]
        fn writes_strings_as_serde_saphyr_does(key in text(), value in text()) {
            same_as_saphyr(&json!({ key: value }));
        }
    }
}
