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
/// leaves to serde-saphyr. Written as the value is serialized, with no
/// tree in between.
pub(super) fn to_string<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut out = String::new();
    let top = Stream {
        out: &mut out,
        depth: 0,
        at: At::Top,
    };
    value.serialize(top).ok()?;
    Some(out)
}

/// Where a value is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// The document itself.
    Top,
    /// A mapping's value, after its key and colon.
    Value,
    /// A list's item, after its dash.
    Item,
    /// A commented mapping value, on the lines after its comment.
    Commented,
}

fn indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n("  ", depth));
}

/// Writes one value, at `at`, in a mapping or list whose entries are at
/// `depth`.
struct Stream<'o> {
    out: &'o mut String,
    depth: usize,
    at: At,
}

impl<'o> Stream<'o> {
    /// What goes before a scalar: a space after a key, the indentation of
    /// a commented value.
    fn lead(&mut self) {
        match self.at {
            At::Value => self.out.push(' '),
            At::Commented => indent(self.out, self.depth + 1),
            At::Top | At::Item => {}
        }
    }

    /// A scalar written as it is.
    fn scalar(mut self, text: &str) -> Result<(), GiveUp> {
        self.lead();
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }

    /// A list, mapping or commented value.
    fn open(self, kind: Kind) -> Result<Block<'o>, GiveUp> {
        // A comment goes above a mapping's value, and nowhere else.
        if kind == Kind::Commented && self.at != At::Value {
            return Err(GiveUp);
        }
        Ok(Block {
            out: self.out,
            depth: if self.at == At::Top {
                0
            } else {
                self.depth + 1
            },
            at: self.at,
            kind,
            count: 0,
        })
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

/// A string value as serde-saphyr writes it, when that takes one look.
fn write_string(out: &mut String, text: &str) -> Result<(), GiveUp> {
    if is_plain(text) {
        out.push_str(text);
        return Ok(());
    }
    // Otherwise serde-saphyr writes double quotes, escaped as below (ASCII
    // only, to keep this short), but for `-`, `.` and `#` alone.
    if !(text.is_ascii() && !matches!(text, "-" | "." | "#") && is_quoted(text)) {
        return Err(GiveUp);
    }
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
    Ok(())
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

/// Whether every byte is printable ASCII, with no `: ` or ` #`. This is
/// asked of every string written, so the bytes are folded rather than
/// searched (which checks many at a time), and looked at again only when
/// they hold a `:` or `#`.
fn printable_without_indicators(bytes: &[u8]) -> bool {
    let (printable, marks) = bytes.iter().fold((true, false), |(printable, marks), &b| {
        (
            printable & (b' '..=b'~').contains(&b),
            marks | (b == b':') | (b == b'#'),
        )
    });
    printable && !(marks && bytes.windows(2).any(|w| w == b": " || w == b" #"))
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

/// The serializer methods both [`Stream`] and [`Text`] treat alike: a unit
/// variant is its name, a newtype struct its value (but for serde-saphyr's
/// wrappers), a newtype variant is left to serde-saphyr.
macro_rules! passed_through {
    () => {
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
        ) -> Result<(), GiveUp> {
            self.serialize_str(variant)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            name: &'static str,
            value: &T,
        ) -> Result<(), GiveUp> {
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
        ) -> Result<(), GiveUp> {
            Err(GiveUp)
        }
    };
}

impl<'o> ser::Serializer for Stream<'o> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Block<'o>;
    type SerializeTuple = Block<'o>;
    type SerializeTupleStruct = Block<'o>;
    type SerializeTupleVariant = Impossible<(), GiveUp>;
    type SerializeMap = Block<'o>;
    type SerializeStruct = Block<'o>;
    type SerializeStructVariant = Impossible<(), GiveUp>;

    fn serialize_bool(self, v: bool) -> Result<(), GiveUp> {
        self.scalar(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), GiveUp> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), GiveUp> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), GiveUp> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(mut self, v: i64) -> Result<(), GiveUp> {
        self.lead();
        let _ = writeln!(self.out, "{v}");
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), GiveUp> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), GiveUp> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), GiveUp> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(mut self, v: u64) -> Result<(), GiveUp> {
        self.lead();
        let _ = writeln!(self.out, "{v}");
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result<(), GiveUp> {
        Err(GiveUp)
    }
    fn serialize_f64(self, _: f64) -> Result<(), GiveUp> {
        Err(GiveUp)
    }
    fn serialize_char(self, v: char) -> Result<(), GiveUp> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(mut self, v: &str) -> Result<(), GiveUp> {
        self.lead();
        write_string(self.out, v)?;
        self.out.push('\n');
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), GiveUp> {
        Err(GiveUp)
    }
    fn serialize_none(self) -> Result<(), GiveUp> {
        self.scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), GiveUp> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), GiveUp> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), GiveUp> {
        if saphyr_wrapper(name) {
            return Err(GiveUp);
        }
        self.serialize_none()
    }
    passed_through!();
    fn serialize_seq(self, _: Option<usize>) -> Result<Block<'o>, GiveUp> {
        self.open(Kind::Seq)
    }
    fn serialize_tuple(self, _: usize) -> Result<Block<'o>, GiveUp> {
        self.open(Kind::Seq)
    }
    fn serialize_tuple_struct(self, name: &'static str, _: usize) -> Result<Block<'o>, GiveUp> {
        match name {
            COMMENTED => self.open(Kind::Commented),
            name if saphyr_wrapper(name) => Err(GiveUp),
            _ => self.open(Kind::Seq),
        }
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
    fn serialize_map(self, _: Option<usize>) -> Result<Block<'o>, GiveUp> {
        self.open(Kind::Map)
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Block<'o>, GiveUp> {
        if saphyr_wrapper(name) {
            return Err(GiveUp);
        }
        self.open(Kind::Map)
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Seq,
    Map,
    /// A comment, then the value it is written above.
    Commented,
}

/// A list, mapping or commented value being written: its entries or items
/// at `depth`, one line each.
struct Block<'o> {
    out: &'o mut String,
    depth: usize,
    /// Where the block itself is.
    at: At,
    kind: Kind,
    /// The entries, items or fields written so far.
    count: usize,
}

impl Block<'_> {
    /// Starts the next entry or item: the line break after its key when
    /// it is the first of a mapping's value, and its indentation, but for
    /// the first of a list's item, which follows the dash.
    fn next_line(&mut self) {
        let first = self.count == 0;
        self.count += 1;
        if first && self.at == At::Value {
            self.out.push('\n');
        }
        if !(first && self.at == At::Item) {
            indent(self.out, self.depth);
        }
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        if self.kind == Kind::Commented {
            return self.commented(value);
        }
        self.next_line();
        self.out.push_str("- ");
        value.serialize(Stream {
            out: self.out,
            depth: self.depth,
            at: At::Item,
        })
    }

    /// A field of a commented value: the comment, on a line of its own
    /// above the value, then the value.
    fn commented<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        self.count += 1;
        match self.count {
            1 => {
                self.out.push('\n');
                indent(self.out, self.depth);
                self.out.push_str("# ");
                value.serialize(Text {
                    out: self.out,
                    comment: true,
                })?;
                self.out.push('\n');
                Ok(())
            }
            2 => value.serialize(Stream {
                out: self.out,
                depth: self.depth - 1,
                at: At::Commented,
            }),
            _ => Err(GiveUp),
        }
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), GiveUp> {
        self.next_line();
        key.serialize(Text {
            out: self.out,
            comment: false,
        })?;
        self.out.push(':');
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        value.serialize(Stream {
            out: self.out,
            depth: self.depth,
            at: At::Value,
        })
    }

    /// An empty list or mapping is written `[]` or `{}`, beside its key or
    /// dash; anywhere else, or as a commented value, it is left to
    /// serde-saphyr.
    fn done(self) -> Result<(), GiveUp> {
        match (self.kind, self.count) {
            (Kind::Commented, 2) => Ok(()),
            (Kind::Commented, _) => Err(GiveUp),
            (_, 0) => {
                let empty = if self.kind == Kind::Seq { "[]" } else { "{}" };
                match self.at {
                    At::Value => self.out.push(' '),
                    At::Item => {}
                    At::Top | At::Commented => return Err(GiveUp),
                }
                self.out.push_str(empty);
                self.out.push('\n');
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The list-like compounds, each writing its items with [`Block::item`].
macro_rules! list_compound {
    ($($compound:ident :: $method:ident),*) => {$(
        impl ser::$compound for Block<'_> {
            type Ok = ();
            type Error = GiveUp;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
                self.item(value)
            }
            fn end(self) -> Result<(), GiveUp> {
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

impl ser::SerializeMap for Block<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), GiveUp> {
        self.key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        self.value(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.done()
    }
}

impl ser::SerializeStruct for Block<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        self.key(key)?;
        self.value(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.done()
    }
}

/// Writes a mapping key (plain, as [`is_plain_key`] allows) or a comment
/// (one line): a string, or anything serialized as one.
struct Text<'o> {
    out: &'o mut String,
    comment: bool,
}

/// Serializer methods for what cannot be a key or a comment.
macro_rules! not_text {
    ($($method:ident ( $($arg:ty),* ) -> $ok:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ok, GiveUp> {
            Err(GiveUp)
        }
    )*};
}

impl ser::Serializer for Text<'_> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Impossible<(), GiveUp>;
    type SerializeTuple = Impossible<(), GiveUp>;
    type SerializeTupleStruct = Impossible<(), GiveUp>;
    type SerializeTupleVariant = Impossible<(), GiveUp>;
    type SerializeMap = Impossible<(), GiveUp>;
    type SerializeStruct = Impossible<(), GiveUp>;
    type SerializeStructVariant = Impossible<(), GiveUp>;

    fn serialize_str(self, v: &str) -> Result<(), GiveUp> {
        let fits = if self.comment {
            !v.contains(['\n', '\r'])
        } else {
            is_plain_key(v)
        };
        if !fits {
            return Err(GiveUp);
        }
        self.out.push_str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), GiveUp> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), GiveUp> {
        value.serialize(self)
    }
    passed_through!();
    not_text! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
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
        #[derive(Clone, Serialize)]
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
        // Commented values inside list items, holding lists of mappings.
        let nested = vec![
            Notes {
                a: Commented("y".into(), "first".into()),
                c: Commented(vec![3], "second".into()),
                d: Commented(json!([{"k": [1, {"m": "n"}]}, [2]]), "third".into()),
            };
            2
        ];
        assert!(same_as_saphyr(&json!({"deeper": [{"x": 1}]})));
        assert!(same_as_saphyr(&nested));
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
