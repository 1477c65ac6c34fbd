//! Problems found in a source file, with the place that caused them.

use crate::model::plan::Origin;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What kind of problem a reader met, so that lint can name the rule it
/// breaks without reading the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    /// The file is not what the schema or the model allows.
    #[default]
    Schema,
    /// A schedule outside Kubernetes' cron dialect.
    Schedule,
    /// A CronJob name over Kubernetes' limit.
    NameLength,
    /// A value the chart cannot print safely, or Kubernetes would refuse.
    Unsafe,
}

/// One problem: what is wrong, where, and which check found it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The check that found it: `schema`, `yaml`, `model`, or a lint rule.
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(skip)]
    pub kind: Kind,
}

impl Diagnostic {
    pub fn error(rule: &str, file: &Path, origin: Origin, message: impl Into<String>) -> Self {
        Diagnostic {
            rule: rule.to_owned(),
            severity: Severity::Error,
            message: escape_controls(&message.into()).into_owned(),
            file: file.to_owned(),
            line: origin.line,
            column: origin.column,
            env: None,
            job: None,
            kind: Kind::default(),
        }
    }

    pub fn at_job(mut self, env: &str, job: &str) -> Self {
        self.env = Some(env.to_owned());
        self.job = Some(job.to_owned());
        self
    }

    pub fn of_kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// `file:line:col: severity[rule] message`
    pub fn concise(&self) -> String {
        format!(
            "{}:{}:{}: {}[{}] {}",
            escape_controls(&self.file.display().to_string()),
            self.line,
            self.column,
            self.severity,
            self.rule,
            self.message
        )
    }

    /// A rustc-style report with the source line and a caret under the place.
    pub fn human(&self, source: Option<&str>, styled: bool) -> String {
        self.human_from(source, 1, styled)
    }

    /// Like [`Diagnostic::human`], given only the file's text from line
    /// `first_line` on (which must hold the diagnostic's line), so that many
    /// diagnostics in one large file are printed without rescanning it.
    pub fn human_from(&self, source: Option<&str>, first_line: usize, styled: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = format!("{} [{}]", self.message, self.rule);
        let path = escape_controls(&self.file.display().to_string()).into_owned();
        let source = source.map(printable_source);
        let source = source.as_deref();
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let group = match source
            .filter(|_| self.line >= first_line.max(1))
            .and_then(|s| {
                byte_offset(s, self.line + 1 - first_line.max(1), self.column).map(|o| (s, o))
            }) {
            Some((text, offset)) => {
                let end = text[offset..]
                    .find(|c: char| c.is_whitespace() || c == ':')
                    .map_or(text.len(), |n| offset + n.max(1));
                Group::with_title(level.primary_title(&title)).element(
                    Snippet::source(text)
                        .line_start(first_line.max(1))
                        .path(&path)
                        .annotation(AnnotationKind::Primary.span(offset..end.max(offset))),
                )
            }
            None => Group::with_title(level.primary_title(&title)).element(
                annotate_snippets::Origin::path(&path)
                    .line(self.line.max(1))
                    .char_column(self.column.saturating_sub(1)),
            ),
        };
        renderer.render(&[group])
    }
}

/// Whether a character would act on a terminal, or read as other than it
/// is, rather than print: the C0 and C1 controls and DEL, the line and
/// paragraph separators, the byte order mark and non-characters, and the
/// bidirectional marks and overrides.
pub fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{feff}'
                | '\u{fffe}'
                | '\u{ffff}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Text for a terminal: every [`is_control`] character but line breaks and
/// tabs written as its escape (`\u{1b}`), so that nothing a file holds can
/// move the cursor, change colours or hide text.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let escaped = |c: char| is_control(c) && c != '\n' && c != '\t';
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if escaped(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A source file as its lines are shown under a problem: each control
/// character but line ends and tabs shown as U+FFFD, one character for one,
/// so that lines and columns stay where they were.
fn printable_source(text: &str) -> Cow<'_, str> {
    let shown = |c: char| !is_control(c) || matches!(c, '\n' | '\t' | '\r');
    if text.chars().all(shown) && !text.replace("\r\n", "").contains('\r') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let line_end = c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n'));
        out.push(if line_end || !is_control(c) {
            c
        } else {
            '\u{fffd}'
        });
    }
    Cow::Owned(out)
}

/// The byte offset of a 1-based line and column, if the text has it.
fn byte_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let line_text = text[start..].split('\n').next()?;
    let col: usize = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    (start + col <= text.len()).then_some(start + col)
}

/// Several problems, sorted by place.
#[derive(Clone, Debug, Default, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{}", d.concise())?;
        }
        Ok(())
    }
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was found, else the problems in source order.
    pub fn into_result<T>(mut self, value: T) -> Result<T, Diagnostics> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            self.0
                .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            self.0.dedup();
            Err(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_report_points_at_the_place() {
        let d = Diagnostic::error(
            "schema",
            Path::new("c.yaml"),
            Origin { line: 2, column: 3 },
            "unknown key `sanitize`",
        );
        let text = d.human(Some("a:\n  sanitize: x\n"), false);
        assert!(text.contains("c.yaml:2:3"), "{text}");
        assert!(text.contains("^^^^^^^^"), "{text}");
        // The same from an excerpt that starts at the diagnostic's line.
        assert_eq!(d.human_from(Some("  sanitize: x\n"), 2, false), text);
        assert_eq!(
            d.concise(),
            "c.yaml:2:3: error[schema] unknown key `sanitize`"
        );
    }
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        assert_eq!(escape_controls("plain"), "plain");
        assert_eq!(escape_controls("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape_controls("a\u{202e}b"), "a\\u{202e}b");
        let d = Diagnostic::error(
            "yaml",
            Path::new("c.yaml"),
            Origin { line: 1, column: 3 },
            "bad \u{1b}]0;x\u{7}",
        );
        assert_eq!(d.concise(), "c.yaml:1:3: error[yaml] bad \\u{1b}]0;x\\u{7}");
        let human = d.human(Some("a:\u{1b}[2J b\r\n"), false);
        assert!(!human.contains('\u{1b}'), "{human}");
        assert!(human.contains("a:\u{fffd}[2J b"), "{human}");
    }
}
