//! The PromQL envsync reads and writes: string literals, the label matchers
//! of a metric's selector, and durations. Reading follows Prometheus's
//! lexer: label names are `[a-zA-Z_][a-zA-Z0-9_]*`, metric names may also
//! hold `:`, strings are Go strings (`"…"` and `'…'` with Go escapes,
//! `` `…` `` raw), and `#` starts a comment that runs to the end of the
//! line.

use jiff::SignedDuration;
use regex::Regex;
use std::collections::HashSet;

/// A PromQL string literal (Go escaping), double-quoted.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escapes the RE2 metacharacters of a literal.
pub fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A label matcher read from a selector.
#[derive(Debug)]
pub struct Matcher {
    pub label: String,
    pub op: MatchOp,
    pub value: String,
    /// The compiled value of a `=~` or `!~` matcher.
    pattern: Option<Pattern>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl Matcher {
    /// Whether a label value satisfies the matcher, as Prometheus decides:
    /// a regular expression must match the whole value.
    pub fn matches(&self, value: &str) -> bool {
        let pattern = || self.pattern.as_ref().is_some_and(|p| p.is_match(value));
        match self.op {
            MatchOp::Equal => self.value == value,
            MatchOp::NotEqual => self.value != value,
            MatchOp::Regex => pattern(),
            MatchOp::NotRegex => !pattern(),
        }
    }
}

/// A matcher's regular expression. An alternation of plain names (the usual
/// `database_instance=~"a|b|c"`) is kept as the set of names: it matches
/// the same, and a chart of thousands of databases needs no huge regex.
#[derive(Debug)]
enum Pattern {
    Names(HashSet<String>),
    Regex(Regex),
}

impl Pattern {
    fn new(value: &str) -> Result<Pattern, regex::Error> {
        match value.split('|').map(literal).collect() {
            Some(names) => Ok(Pattern::Names(names)),
            None => Regex::new(&format!("^(?:{value})$")).map(Pattern::Regex),
        }
    }

    fn is_match(&self, value: &str) -> bool {
        match self {
            Pattern::Names(names) => names.contains(value),
            Pattern::Regex(regex) => regex.is_match(value),
        }
    }
}

/// The text a regular expression of letters, digits, `_`, `-` and escaped
/// punctuation matches; `None` for anything else.
fn literal(part: &str) -> Option<String> {
    let mut out = String::with_capacity(part.len());
    let mut chars = part.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().filter(char::is_ascii_punctuation)?),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

/// Why a selector could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("unterminated selector")]
    Unterminated,
    #[error("expected a label name in the selector")]
    LabelName,
    #[error("unknown matcher operator after {0}")]
    Operator(String),
    #[error("expected a string after {0}")]
    Value(String),
    #[error("expected `,` or `}}` after a matcher")]
    Separator,
    #[error("unterminated string")]
    UnterminatedString,
    #[error("unknown escape sequence `\\{0}` in a string")]
    Escape(char),
    #[error("a string that is not UTF-8")]
    NotUtf8,
    #[error("invalid regular expression {0:?}: {1}")]
    Regex(String, String),
}

/// The label matchers of the first selector of `metric` in `expr`, or
/// `None` when the expression does not read the metric. A metric name in a
/// string or a comment, or inside a longer name, does not count.
pub fn selector(expr: &str, metric: &str) -> Result<Option<Vec<Matcher>>, SelectorError> {
    let mut lexer = Lexer { rest: expr };
    loop {
        lexer.skip_space();
        match lexer.peek() {
            None => return Ok(None),
            Some('"' | '\'' | '`') => {
                lexer.string()?;
            }
            Some(c) if c == ':' || c == '_' || c.is_ascii_alphabetic() => {
                if lexer.take_while(|c| c == ':' || c == '_' || c.is_ascii_alphanumeric()) == metric
                {
                    break;
                }
            }
            // A number or a duration (`5m`, `1e3`), with its letters.
            Some(c) if c.is_ascii_digit() || c == '.' => {
                lexer.take_while(|c| c == '.' || c == '_' || c.is_ascii_alphanumeric());
            }
            Some(_) => lexer.bump(),
        }
    }
    lexer.skip_space();
    if !lexer.eat('{') {
        return Ok(Some(Vec::new()));
    }
    let mut matchers = Vec::new();
    loop {
        lexer.skip_space();
        if lexer.eat('}') {
            return Ok(Some(matchers));
        }
        if lexer.peek().is_none() {
            return Err(SelectorError::Unterminated);
        }
        let label = lexer.take_while(|c| c == '_' || c.is_ascii_alphanumeric());
        if !label.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()) {
            return Err(SelectorError::LabelName);
        }
        lexer.skip_space();
        let op = if lexer.eat_str("=~") {
            MatchOp::Regex
        } else if lexer.eat_str("!~") {
            MatchOp::NotRegex
        } else if lexer.eat_str("!=") {
            MatchOp::NotEqual
        } else if lexer.eat('=') {
            MatchOp::Equal
        } else {
            return Err(SelectorError::Operator(label.to_owned()));
        };
        lexer.skip_space();
        if !lexer.peek().is_some_and(|c| matches!(c, '"' | '\'' | '`')) {
            return Err(SelectorError::Value(label.to_owned()));
        }
        let value = lexer.string()?;
        let pattern = match op {
            MatchOp::Regex | MatchOp::NotRegex => Some(
                Pattern::new(&value)
                    .map_err(|e| SelectorError::Regex(value.clone(), e.to_string()))?,
            ),
            MatchOp::Equal | MatchOp::NotEqual => None,
        };
        matchers.push(Matcher {
            label: label.to_owned(),
            op,
            value,
            pattern,
        });
        lexer.skip_space();
        if !lexer.eat(',') && lexer.peek() != Some('}') {
            return Err(match lexer.peek() {
                None => SelectorError::Unterminated,
                Some(_) => SelectorError::Separator,
            });
        }
    }
}

/// What is left of an expression to read.
struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn bump(&mut self) {
        let mut chars = self.rest.chars();
        chars.next();
        self.rest = chars.as_str();
    }

    fn eat(&mut self, c: char) -> bool {
        self.rest
            .strip_prefix(c)
            .map(|rest| self.rest = rest)
            .is_some()
    }

    fn eat_str(&mut self, s: &str) -> bool {
        self.rest
            .strip_prefix(s)
            .map(|rest| self.rest = rest)
            .is_some()
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let end = self.rest.find(|c| !f(c)).unwrap_or(self.rest.len());
        let (taken, rest) = self.rest.split_at(end);
        self.rest = rest;
        taken
    }

    /// Skips spaces and comments.
    fn skip_space(&mut self) {
        loop {
            self.take_while(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
            if !self.eat('#') {
                return;
            }
            self.take_while(|c| c != '\n');
        }
    }

    /// Reads a string literal, at its opening quote.
    fn string(&mut self) -> Result<String, SelectorError> {
        let Some(quote) = self.peek() else {
            return Err(SelectorError::UnterminatedString);
        };
        self.bump();
        if quote == '`' {
            let raw = self.take_while(|c| c != '`');
            if !self.eat('`') {
                return Err(SelectorError::UnterminatedString);
            }
            return Ok(raw.to_owned());
        }
        let mut bytes = Vec::new();
        loop {
            let mut chars = self.rest.chars();
            let c = chars.next();
            self.rest = chars.as_str();
            match c {
                None | Some('\n') => return Err(SelectorError::UnterminatedString),
                Some(c) if c == quote => break,
                Some('\\') => self.escape(quote, &mut bytes)?,
                Some(c) => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        String::from_utf8(bytes).map_err(|_| SelectorError::NotUtf8)
    }

    /// Reads a Go escape sequence after its `\`, onto `out`.
    fn escape(&mut self, quote: char, out: &mut Vec<u8>) -> Result<(), SelectorError> {
        let Some(c) = self.peek() else {
            return Err(SelectorError::UnterminatedString);
        };
        self.bump();
        let simple = match c {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' => Some('\\'),
            c if c == quote => Some(c),
            _ => None,
        };
        if let Some(s) = simple {
            out.extend_from_slice(s.encode_utf8(&mut [0; 4]).as_bytes());
            return Ok(());
        }
        // Octal (three digits, this one the first) and `\x` give a byte;
        // `\u` and `\U` a character.
        let (len, radix) = match c {
            '0'..='7' => (2, 8),
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            c => return Err(SelectorError::Escape(c)),
        };
        let digits = self
            .rest
            .get(..len)
            .filter(|d| d.chars().all(|d| d.is_digit(radix)))
            .ok_or(SelectorError::Escape(c))?;
        self.rest = &self.rest[len..];
        let digits = match radix {
            8 => format!("{c}{digits}"),
            _ => digits.to_owned(),
        };
        let value = u32::from_str_radix(&digits, radix).map_err(|_| SelectorError::Escape(c))?;
        if matches!(c, 'u' | 'U') {
            let c = char::from_u32(value).ok_or(SelectorError::Escape(c))?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        } else {
            out.push(u8::try_from(value).map_err(|_| SelectorError::Escape(c))?);
        }
        Ok(())
    }
}

/// Why a duration could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{0:?} is not a duration such as 45m, 13h or 1w12h")]
    Invalid(String),
    #[error(
        "{0:?} is out of range: Prometheus keeps a duration in nanoseconds as a signed 64-bit number, so at most about 292 years"
    )]
    OutOfRange(String),
}

/// The units of a duration, largest first, in nanoseconds.
const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 86_400 * NANOS),
    ("w", 7 * 86_400 * NANOS),
    ("d", 86_400 * NANOS),
    ("h", 3_600 * NANOS),
    ("m", 60 * NANOS),
    ("s", NANOS),
    ("ms", NANOS / 1_000),
];
const NANOS: u64 = 1_000_000_000;

/// A Prometheus duration, read as Prometheus's `model.ParseDuration` does:
/// `0`, or numbers with units `y` (365 days), `w`, `d`, `h`, `m`, `s`, `ms`,
/// largest first, each at most once (`1h30m`, `2d`, `1w`). Prometheus keeps
/// a duration as nanoseconds in an `i64`, so one above 2^63 − 1 ns (about
/// 292 years) is [`DurationError::OutOfRange`], not a wrapped number.
pub fn duration(text: &str) -> Result<SignedDuration, DurationError> {
    if text == "0" {
        return Ok(SignedDuration::ZERO);
    }
    let invalid = || DurationError::Invalid(text.to_owned());
    let out_of_range = || DurationError::OutOfRange(text.to_owned());
    if text.is_empty() {
        return Err(invalid());
    }
    let mut rest = text;
    let mut units = &UNITS[..];
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let letters = rest[digits..]
            .bytes()
            .take_while(|b| !b.is_ascii_digit())
            .count();
        if digits == 0 || letters == 0 {
            return Err(invalid());
        }
        let unit = &rest[digits..digits + letters];
        let at = units
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or_else(invalid)?;
        let nanos = units[at].1;
        units = &units[at + 1..];
        // Only digits: the number fails to parse only when it is too large.
        let n: u64 = rest[..digits].parse().map_err(|_| out_of_range())?;
        total = n
            .checked_mul(nanos)
            .and_then(|n| total.checked_add(n))
            .ok_or_else(out_of_range)?;
        rest = &rest[digits + letters..];
    }
    let total = i64::try_from(total).map_err(|_| out_of_range())?;
    Ok(SignedDuration::from_nanos(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matchers(expr: &str, metric: &str) -> Vec<Matcher> {
        selector(expr, metric).unwrap().unwrap()
    }

    #[test]
    fn matchers_from_selectors() {
        let m = matchers(
            "db_backup_job_state{operation=\"restore\", database_instance!~\"a|b\"} == 1",
            "db_backup_job_state",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].op, MatchOp::NotRegex);
        assert_eq!(m[1].value, "a|b");
        assert!(m[1].matches("c") && !m[1].matches("a"));
        let m = matchers(
            "(db_backup_job_status_timestamp_seconds{\n  state=\"succeeded\",\n  database_instance=~\"(draft-)?x\" # note\n}\nand on() (day_of_week() > 1)) < time() - 90000 # 25 hours",
            "db_backup_job_status_timestamp_seconds",
        );
        assert_eq!(m[1].value, "(draft-)?x");
        assert!(m[1].matches("draft-x"));
        assert!(m[1].matches("x"));
        assert!(!m[1].matches("xx"));
        assert!(!m[1].matches("draft-x-y"));
        // A trailing comma, spaces around the brace, and no matchers at all.
        let m = matchers("m {a='x',}", "m");
        assert_eq!((m[0].label.as_str(), m[0].value.as_str()), ("a", "x"));
        assert!(matchers("m{}", "m").is_empty());
        assert!(matchers("rate(m[5m])", "m").is_empty());
        assert!(selector("other{a=\"b\"}", "m").unwrap().is_none());
    }

    #[test]
    fn metric_names_are_tokens() {
        // `:` belongs to a metric name: a recording rule's name is another metric.
        let expr = "job:db_backup_job_state{a=\"1\"} or db_backup_job_state{a=\"2\"}";
        assert_eq!(matchers(expr, "db_backup_job_state")[0].value, "2");
        let expr = "db_backup_job_state:sum{a=\"1\"} or db_backup_job_state{a=\"2\"}";
        assert_eq!(matchers(expr, "db_backup_job_state")[0].value, "2");
        // Neither a comment nor a string reads the metric.
        let expr = "# db_backup_job_state == 1\nlabel_replace(x, \"a\", \"db_backup_job_state\", \"b\", \"\") or db_backup_job_state{a=\"3\"}";
        assert_eq!(matchers(expr, "db_backup_job_state")[0].value, "3");
        // A duration's letters are not a name.
        assert!(selector("x[5m]", "m").unwrap().is_none());
    }

    #[test]
    fn strings_are_go_strings() {
        let value = |s: &str| matchers(&format!("m{{a={s}}}"), "m").remove(0).value;
        assert_eq!(value(r#""a\r\n\t\"\\b""#), "a\r\n\t\"\\b");
        assert_eq!(value(r"'it\'s'"), "it's");
        assert_eq!(value(r#""\x41\101\u00e9\U0001F600""#), "AAé😀");
        assert_eq!(value(r"`a\.b`"), r"a\.b");
        assert_eq!(value("`two\nlines`"), "two\nlines");
        let error = |s: &str| selector(&format!("m{{a={s}}}"), "m").unwrap_err();
        assert_eq!(error(r#""a\.b""#), SelectorError::Escape('.'));
        assert_eq!(error(r#""\'""#), SelectorError::Escape('\''));
        assert_eq!(error(r#""\xff""#), SelectorError::NotUtf8);
        assert_eq!(error(r#""\x4""#), SelectorError::Escape('x'));
        assert_eq!(error("\"two\nlines\""), SelectorError::UnterminatedString);
        assert_eq!(error("\"open"), SelectorError::UnterminatedString);
    }

    #[test]
    fn malformed_selectors() {
        let error = |s: &str| selector(s, "m").unwrap_err();
        assert_eq!(error("m{a=\"b\""), SelectorError::Unterminated);
        assert_eq!(error("m{a=\"b\" c=\"d\"}"), SelectorError::Separator);
        assert_eq!(error("m{,a=\"b\"}"), SelectorError::LabelName);
        assert_eq!(error("m{a:b=\"c\"}"), SelectorError::Operator("a".into()));
        assert_eq!(error("m{1a=\"b\"}"), SelectorError::LabelName);
        assert_eq!(error("m{a==\"b\"}"), SelectorError::Value("a".into()));
        assert!(matches!(error("m{a=~\"(\"}"), SelectorError::Regex(..)));
    }

    #[test]
    fn a_set_of_names_matches_as_the_regex_does() {
        let patterns = [
            r"a-postgres|b\.c-mysql|d_e",
            "(draft-)?x|y",
            "a.b|c",
            r"a\|b",
            "x|",
        ];
        let values = [
            "a-postgres",
            "b.c-mysql",
            "bxc-mysql",
            "d_e",
            "x",
            "draft-x",
            "y",
            "a.b",
            "axb",
            "c",
            "a|b",
            "a",
            "b",
            "",
            "z",
        ];
        for p in patterns {
            let regex = Regex::new(&format!("^(?:{p})$")).unwrap();
            let pattern = Pattern::new(p).unwrap();
            for v in values {
                assert_eq!(pattern.is_match(v), regex.is_match(v), "{p} on {v:?}");
            }
        }
        assert!(matches!(
            Pattern::new("a-postgres|b-mysql"),
            Ok(Pattern::Names(_))
        ));
        assert!(matches!(Pattern::new("a.b"), Ok(Pattern::Regex(_))));
    }

    #[test]
    fn durations() {
        let ok = |s| duration(s).unwrap();
        assert_eq!(ok("1h30m"), SignedDuration::from_mins(90));
        assert_eq!(ok("45m"), SignedDuration::from_mins(45));
        assert_eq!(ok("2d"), SignedDuration::from_hours(48));
        assert_eq!(ok("1w"), SignedDuration::from_hours(168));
        assert_eq!(ok("1y"), SignedDuration::from_hours(365 * 24));
        assert_eq!(ok("1s500ms"), SignedDuration::from_millis(1_500));
        assert_eq!(ok("0"), SignedDuration::ZERO);
        assert_eq!(ok("0s"), SignedDuration::ZERO);
        // The longest: 2^63 - 1 ns is 292y24w3d23h47m16s854ms and a bit.
        assert_eq!(ok("292y24w3d23h47m16s854ms").as_secs(), 9_223_372_036);
        for bad in [
            "", "h", "5", "1h1w", "1h1h", "1.5h", "-1h", " 1h", "1h ", "1x", "1mm",
        ] {
            assert_eq!(duration(bad), Err(DurationError::Invalid(bad.into())));
        }
        for long in [
            "99999999999999w",
            "30500000000000w",
            "292y24w3d23h47m16s855ms",
            "293y",
            "99999999999999999999s",
        ] {
            assert_eq!(duration(long), Err(DurationError::OutOfRange(long.into())));
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(regex_escape("db.host"), "db\\.host");
    }
}
