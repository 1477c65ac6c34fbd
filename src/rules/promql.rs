//! The bits of PromQL the rules need: quoting, label matchers, day windows,
//! and reading label matchers back out of a selector.

use crate::rules::cadence::day_runs;
use std::collections::BTreeSet;

/// A PromQL string literal (Go escaping), double-quoted.
pub(crate) fn quote(s: &str) -> String {
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
pub(crate) fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Which database instances an alert covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Instances {
    /// Every instance: no matcher.
    All,
    /// These instances (`=~`).
    Only(BTreeSet<String>),
    /// Every instance but these (`!~`).
    AllBut(BTreeSet<String>),
}

impl Instances {
    /// The `database_instance` matcher, if any.
    pub fn matcher(&self) -> Option<String> {
        let alternation = |names: &BTreeSet<String>| {
            let mut names: Vec<String> = names.iter().map(|n| regex_escape(n)).collect();
            names.sort();
            names.dedup();
            quote(&names.join("|"))
        };
        match self {
            Instances::All => None,
            Instances::Only(names) => Some(format!("database_instance=~{}", alternation(names))),
            Instances::AllBut(names) => Some(format!("database_instance!~{}", alternation(names))),
        }
    }

    /// Whether an instance name is covered.
    pub fn covers(&self, name: &str) -> bool {
        match self {
            Instances::All => true,
            Instances::Only(names) => names.contains(name),
            Instances::AllBut(names) => !names.contains(name),
        }
    }
}

/// The `operation` matcher for a set of operations, if it is not all of them.
pub(crate) fn operation_matcher(ops: &[&str], all: usize) -> Option<String> {
    match ops {
        _ if ops.len() >= all => None,
        [] => None,
        [one] => Some(format!("operation={}", quote(one))),
        many => Some(format!(
            "operation=~{}",
            quote(
                &many
                    .iter()
                    .map(|o| regex_escape(o))
                    .collect::<Vec<_>>()
                    .join("|")
            )
        )),
    }
}

/// A `day_of_week()` condition for a set of days, or None for every day.
pub(crate) fn day_condition(days: &[bool; 7]) -> Option<String> {
    if days.iter().all(|&d| d) {
        return None;
    }
    let runs = day_runs(days);
    let part = |(start, len): (usize, usize)| {
        let end = start + len - 1;
        if end >= 7 {
            // Wraps past Saturday.
            format!(
                "(day_of_week() > {} or day_of_week() <= {})",
                start - 1,
                end - 7
            )
        } else if len == 1 {
            format!("day_of_week() == {start}")
        } else if start == 0 {
            format!("day_of_week() <= {end}")
        } else if end == 6 {
            format!("day_of_week() > {}", start - 1)
        } else {
            format!("day_of_week() > {} and day_of_week() <= {end}", start - 1)
        }
    };
    let parts: Vec<String> = runs.into_iter().map(part).collect();
    Some(if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" or ")
    })
}

/// A label matcher read from a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Matcher {
    pub label: String,
    pub op: MatchOp,
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

/// The label matchers of the first selector of `metric` in `expr`
/// (whitespace, newlines and PromQL comments allowed between tokens).
pub(crate) fn selector_matchers(expr: &str, metric: &str) -> Result<Vec<Matcher>, String> {
    let text = strip_comments(expr);
    let mut from = 0;
    let start = loop {
        let Some(i) = text[from..].find(metric) else {
            return Err(format!("no {metric} selector"));
        };
        let i = from + i;
        let before = text[..i].chars().next_back();
        let after = text[i + metric.len()..].chars().next();
        let ident =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if !ident(before) && !ident(after) {
            break i + metric.len();
        }
        from = i + metric.len();
    };
    let rest = text[start..].trim_start();
    let Some(rest) = rest.strip_prefix('{') else {
        return Ok(Vec::new());
    };
    let mut chars = rest.char_indices().peekable();
    let mut out = Vec::new();
    let skip_ws = |chars: &mut std::iter::Peekable<std::str::CharIndices>| {
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
    };
    loop {
        skip_ws(&mut chars);
        match chars.peek() {
            Some((_, '}')) => return Ok(out),
            None => return Err("unterminated selector".into()),
            _ => {}
        }
        let mut label = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                label.push(c);
                chars.next();
            } else {
                break;
            }
        }
        if label.is_empty() {
            return Err("expected a label name in the selector".into());
        }
        skip_ws(&mut chars);
        let mut op = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if "=!~".contains(c) {
                op.push(c);
                chars.next();
            } else {
                break;
            }
        }
        let op = match op.as_str() {
            "=" => MatchOp::Equal,
            "!=" => MatchOp::NotEqual,
            "=~" => MatchOp::Regex,
            "!~" => MatchOp::NotRegex,
            other => return Err(format!("unknown matcher operator {other:?}")),
        };
        skip_ws(&mut chars);
        let quote_char = match chars.next() {
            Some((_, c @ ('"' | '\'' | '`'))) => c,
            _ => return Err(format!("expected a string after {label}")),
        };
        let mut value = String::new();
        loop {
            match chars.next() {
                None => return Err("unterminated string".into()),
                Some((_, c)) if c == quote_char => break,
                Some((_, '\\')) if quote_char != '`' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, 'r')) => value.push('\r'),
                    Some((_, c)) => value.push(c),
                    None => return Err("unterminated string".into()),
                },
                Some((_, c)) => value.push(c),
            }
        }
        out.push(Matcher { label, op, value });
        skip_ws(&mut chars);
        if chars.peek().is_some_and(|(_, c)| *c == ',') {
            chars.next();
        }
    }
}

/// Removes `#` comments (outside strings).
pub(crate) fn strip_comments(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut in_string: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    for c in expr.chars() {
        if comment {
            if c == '\n' {
                comment = false;
                out.push(c);
            }
            continue;
        }
        match in_string {
            Some(q) => {
                out.push(c);
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    in_string = None;
                }
            }
            None => match c {
                '#' => comment = true,
                '"' | '\'' | '`' => {
                    in_string = Some(c);
                    out.push(c);
                }
                c => out.push(c),
            },
        }
    }
    out
}

/// Prometheus regex matching: the whole value must match (RE2 syntax).
pub(crate) struct PromRegex(regex::Regex);

impl PromRegex {
    pub fn new(pattern: &str) -> Result<PromRegex, String> {
        regex::Regex::new(&format!("^(?:{pattern})$"))
            .map(PromRegex)
            .map_err(|e| e.to_string())
    }

    pub fn is_match(&self, value: &str) -> bool {
        self.0.is_match(value)
    }
}

impl Matcher {
    /// Whether a label value satisfies the matcher.
    pub fn matches(&self, value: &str) -> Result<bool, String> {
        Ok(match self.op {
            MatchOp::Equal => value == self.value,
            MatchOp::NotEqual => value != self.value,
            MatchOp::Regex => PromRegex::new(&self.value)?.is_match(value),
            MatchOp::NotRegex => !PromRegex::new(&self.value)?.is_match(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_as_conditions() {
        let d = |list: &[usize]| {
            let mut days = [false; 7];
            for &i in list {
                days[i] = true;
            }
            days
        };
        assert_eq!(day_condition(&[true; 7]), None);
        assert_eq!(
            day_condition(&d(&[2, 3, 4, 5])).unwrap(),
            "day_of_week() > 1 and day_of_week() <= 5"
        );
        assert_eq!(
            day_condition(&d(&[1, 2, 3, 4])).unwrap(),
            "day_of_week() > 0 and day_of_week() <= 4"
        );
        assert_eq!(
            day_condition(&d(&[5, 6, 0, 1])).unwrap(),
            "(day_of_week() > 4 or day_of_week() <= 1)"
        );
        assert_eq!(
            day_condition(&d(&[1, 3])).unwrap(),
            "(day_of_week() == 1) or (day_of_week() == 3)"
        );
        assert_eq!(day_condition(&d(&[0, 1])).unwrap(), "day_of_week() <= 1");
        assert_eq!(day_condition(&d(&[5, 6])).unwrap(), "day_of_week() > 4");
    }

    #[test]
    fn matchers_from_selectors() {
        let m = selector_matchers(
            "db_backup_job_state{operation=\"restore\", database_instance!~\"a|b\"} == 1",
            "db_backup_job_state",
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].op, MatchOp::NotRegex);
        assert_eq!(m[1].value, "a|b");
        let m = selector_matchers(
            "(db_backup_job_status_timestamp_seconds{\n  state=\"succeeded\",\n  database_instance=~\"(draft-)?x\" # note\n}\nand on() (day_of_week() > 1)) < time() - 90000 # 25 hours",
            "db_backup_job_status_timestamp_seconds",
        )
        .unwrap();
        assert_eq!(m[1].value, "(draft-)?x");
        assert!(m[1].matches("draft-x").unwrap());
        assert!(m[1].matches("x").unwrap());
        assert!(!m[1].matches("xx").unwrap());
        assert!(!m[1].matches("draft-x-y").unwrap());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(regex_escape("db.host"), "db\\.host");
        let i = Instances::AllBut(["b".into(), "a.x".into()].into());
        assert_eq!(i.matcher().unwrap(), "database_instance!~\"a\\\\.x|b\"");
    }
}
