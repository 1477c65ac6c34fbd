//! Which values a chart's Go templates print without quotes, read from the
//! templates themselves.
//!
//! The templates are run abstractly: a value is the set of value paths it
//! may hold (`.Values.cronjobs.*.*.host`), each marked raw or quoted, and
//! every action that prints records its paths. Variables, `with`, `range`,
//! `dict`, `merge` and `include` carry paths as helm carries values, so
//! `{{ .host }}` inside a helper called with `(dict "host" $host)` is
//! found to print `$job.host`, or the job's key where `default` gives it.
//! `quote`, `squote` and functions that print numbers, booleans or YAML of
//! their own (`int`, `eq`, `toYaml` …) mark what passes through them
//! quoted; any other function passes on the paths of its arguments, so a
//! function it does not know can only make it find more raw prints, never
//! fewer.
//!
//! [`bare`] gives the value paths printed raw; `safe` checks each value
//! found there as a plain YAML scalar. The bundled templates are those of
//! `bench/chart`, which prints as GOV.UK's chart does; in a chart checkout
//! the checkout's own templates are read instead ([`beside`]).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

/// A path of keys below `.Values`. [`ANY`] stands for every entry of a
/// mapping or a list, [`KEY`] for the key of each entry of a mapping.
pub type ValuePath = Vec<String>;

/// Any entry of a mapping or a list.
pub const ANY: &str = "*";
/// The key of each entry of a mapping (`$name` in `range $name, $job := …`).
pub const KEY: &str = "{key}";

/// Whether an empty value at a path is printed, or passed over by a
/// `default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Empty {
    Printed,
    PassedOver,
}

/// The value paths a chart's templates print without quotes.
pub type Unquoted = BTreeMap<ValuePath, Empty>;

/// The templates of `bench/chart`, which print as GOV.UK's chart does.
const BUNDLED: [(&str, &str); 2] = [
    (
        "_helpers.tpl",
        include_str!("../../bench/chart/templates/_helpers.tpl"),
    ),
    (
        "cronjob.yaml",
        include_str!("../../bench/chart/templates/cronjob.yaml"),
    ),
];

/// A template envsync cannot follow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct TemplateError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The value paths the bundled templates print without quotes.
pub fn bundled() -> &'static Unquoted {
    static BARE: OnceLock<Unquoted> = OnceLock::new();
    BARE.get_or_init(|| {
        bare(&BUNDLED).unwrap_or_else(|e| unreachable!("the bundled templates are followed: {e}"))
    })
}

/// The value paths the chart beside a `values.yaml` prints without quotes:
/// those of its own templates, else the bundled ones, with why its own
/// could not be followed.
pub fn beside(values: &Path) -> (Unquoted, Option<TemplateError>) {
    match in_chart(values) {
        Some(Ok(unquoted)) => (unquoted, None),
        Some(Err(e)) => (bundled().clone(), Some(e)),
        None => (bundled().clone(), None),
    }
}

/// The value paths either chart prints without quotes; printed even when
/// empty where either prints it so.
pub fn either(a: &Unquoted, b: &Unquoted) -> Unquoted {
    let mut all = a.clone();
    for (path, empty) in b {
        let slot = all.entry(path.clone()).or_insert(*empty);
        if *empty == Empty::Printed {
            *slot = Empty::Printed;
        }
    }
    all
}

/// The value paths a chart's templates print without quotes, from the
/// `templates/` folder beside a chart's `values.yaml`; `None` where the
/// folder holds no chart (no `Chart.yaml`) or no templates.
fn in_chart(values: &Path) -> Option<Result<Unquoted, TemplateError>> {
    let chart = values.parent()?;
    if !chart.join("Chart.yaml").is_file() {
        return None;
    }
    let dir = chart.join("templates");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).ok()?.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "tpl")
        ) {
            match crate::read::text_file(&path) {
                Ok(text) => files.push((name, text)),
                Err(e) => {
                    return Some(Err(TemplateError {
                        file: path.display().to_string(),
                        line: 0,
                        message: e.to_string(),
                    }));
                }
            }
        }
    }
    if files.is_empty() {
        return None;
    }
    files.sort();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Some(bare(&files).map_err(|e| TemplateError {
        file: dir.join(&e.file).display().to_string(),
        ..e
    }))
}

/// The value paths that the templates (file name, text) print without
/// quotes. Files whose name starts with `_` only define helpers, as in helm.
pub fn bare(files: &[(&str, &str)]) -> Result<Unquoted, TemplateError> {
    let mut defines = HashMap::new();
    let mut entries = Vec::new();
    for (file, text) in files {
        let fail = |line, message| TemplateError {
            file: (*file).to_owned(),
            line,
            message,
        };
        let actions = lex(text).map_err(|(line, m)| fail(line, m))?;
        let mut parser = Parser {
            file,
            actions: &actions,
            at: 0,
        };
        let nodes = parser
            .list(&mut defines)
            .map_err(|(line, m)| fail(line, m))?;
        if let Some(action) = actions.get(parser.at) {
            return Err(fail(
                action.line,
                "an `end` or `else` without its block".into(),
            ));
        }
        if !file.starts_with('_') {
            entries.push((*file, nodes));
        }
    }
    let mut run = Run {
        defines: &defines,
        depth: 0,
        file: String::new(),
        line: 0,
    };
    let mut printed = BTreeMap::new();
    for (file, nodes) in &entries {
        run.file = (*file).to_owned();
        let root = Val::path(Vec::new());
        let mut frame = Frame {
            dot: root.clone(),
            root,
            scopes: vec![Vec::new()],
            tested: Vec::new(),
        };
        run.nodes(nodes, &mut frame, &mut printed)
            .map_err(|message| TemplateError {
                file: run.file.clone(),
                line: run.line,
                message,
            })?;
    }
    Ok(printed
        .into_iter()
        .filter(|(path, print)| !print.quoted && path.first().is_some_and(|p| p == "Values"))
        .map(|(path, print)| {
            let empty = if print.when_empty {
                Empty::Printed
            } else {
                Empty::PassedOver
            };
            (path[1..].to_vec(), empty)
        })
        .collect())
}

// Reading the templates.

/// One `{{ … }}` action: its words, and the line it starts on.
struct Action {
    line: usize,
    tokens: Vec<Token>,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    /// A string literal's value.
    Str(String),
    /// A number, a character, `true`, `false` or `nil`.
    Constant,
    /// `$name` (`$` alone is the root), then fields.
    Var(String, Vec<String>),
    /// `.a.b` (`.` alone is the dot).
    Field(Vec<String>),
    /// Fields right after a `)`: `(…).a`.
    Chain(Vec<String>),
    Ident(String),
    Open,
    Close,
    Pipe,
    Comma,
    Declare,
    Assign,
}

type Failure = (usize, String);

/// The actions of a template, without its text and comments.
fn lex(text: &str) -> Result<Vec<Action>, Failure> {
    let mut actions = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let line = 1 + text[..text.len() - rest.len() + start]
            .matches('\n')
            .count();
        let body = &rest[start + 2..];
        let body = match body.strip_prefix('-') {
            Some(after) if after.starts_with(char::is_whitespace) => after,
            _ => body,
        };
        let trimmed = body.trim_start();
        if let Some(comment) = trimmed.strip_prefix("/*") {
            let end = comment
                .find("*/")
                .ok_or((line, "a comment without its `*/`".to_owned()))?;
            let after = comment[end + 2..].trim_start();
            let after = after.strip_prefix('-').unwrap_or(after).trim_start();
            rest = after
                .strip_prefix("}}")
                .ok_or((line, "a comment not closed by `}}`".to_owned()))?;
            continue;
        }
        let (tokens, used) = tokens(body).map_err(|m| (line, m))?;
        actions.push(Action { line, tokens });
        rest = &body[used..];
    }
    Ok(actions)
}

/// The tokens of one action up to its `}}`, and the bytes they took.
fn tokens(body: &str) -> Result<(Vec<Token>, usize), String> {
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let name_char = |c: char| c.is_alphanumeric() || c == '_';
    let mut word = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && name_char(chars[*i].1) {
            *i += 1;
        }
        chars[start..*i].iter().map(|(_, c)| c).collect::<String>()
    };
    let fields = |i: &mut usize, word: &mut dyn FnMut(&mut usize) -> String| {
        let mut names = Vec::new();
        while *i + 1 < chars.len() && chars[*i].1 == '.' && name_char(chars[*i + 1].1) {
            *i += 1;
            names.push(word(i));
        }
        names
    };
    while i < chars.len() {
        let (at, c) = chars[i];
        let after_close = out.last() == Some(&Token::Close) && i > 0 && chars[i - 1].1 == ')';
        match c {
            _ if body[at..].starts_with("-}}") && (i == 0 || chars[i - 1].1.is_whitespace()) => {
                return Ok((out, at + 3));
            }
            _ if body[at..].starts_with("}}") => return Ok((out, at + 2)),
            c if c.is_whitespace() => i += 1,
            '"' | '`' | '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    let Some(&(_, d)) = chars.get(i) else {
                        return Err("a string without its closing quote".into());
                    };
                    i += 1;
                    if d == c {
                        break;
                    }
                    if d == '\\' && c != '`' {
                        let Some(&(_, e)) = chars.get(i) else {
                            return Err("a string without its closing quote".into());
                        };
                        i += 1;
                        value.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            e => e,
                        });
                    } else {
                        value.push(d);
                    }
                }
                out.push(if c == '\'' {
                    Token::Constant
                } else {
                    Token::Str(value)
                });
            }
            '$' => {
                i += 1;
                let name = word(&mut i);
                let chain = fields(&mut i, &mut word);
                out.push(Token::Var(name, chain));
            }
            '.' if i + 1 < chars.len() && name_char(chars[i + 1].1) => {
                let chain = fields(&mut i, &mut word);
                out.push(if after_close {
                    Token::Chain(chain)
                } else {
                    Token::Field(chain)
                });
            }
            '.' => {
                i += 1;
                out.push(Token::Field(Vec::new()));
            }
            '(' => {
                i += 1;
                out.push(Token::Open);
            }
            ')' => {
                i += 1;
                out.push(Token::Close);
            }
            '|' => {
                i += 1;
                out.push(Token::Pipe);
            }
            ',' => {
                i += 1;
                out.push(Token::Comma);
            }
            ':' if body[at..].starts_with(":=") => {
                i += 2;
                out.push(Token::Declare);
            }
            '=' => {
                i += 1;
                out.push(Token::Assign);
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                i += 1;
                while i < chars.len()
                    && (chars[i].1.is_alphanumeric() || ".+-_".contains(chars[i].1))
                {
                    i += 1;
                }
                out.push(Token::Constant);
            }
            c if name_char(c) => {
                let name = word(&mut i);
                out.push(match name.as_str() {
                    "true" | "false" | "nil" => Token::Constant,
                    _ => Token::Ident(name),
                });
            }
            c => return Err(format!("unexpected `{c}` in an action")),
        }
    }
    Err("an action without its `}}`".into())
}

/// The templates `define` names, with the file of each.
type Defines = HashMap<String, (String, Vec<Node>)>;

/// An action, a block or a call of a defined template.
enum Node {
    Print(Pipeline),
    Block {
        kind: Block,
        pipeline: Pipeline,
        body: Vec<Node>,
        alt: Vec<Node>,
    },
    Template {
        name: String,
        pipeline: Option<Pipeline>,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum Block {
    If,
    With,
    Range,
}

/// `$a, $b := cmd | cmd …`
struct Pipeline {
    line: usize,
    vars: Vec<String>,
    declare: bool,
    commands: Vec<Vec<Arg>>,
}

enum Arg {
    /// A string literal, or `None` for another constant.
    Constant(Option<String>),
    Var(String, Vec<String>),
    Field(Vec<String>),
    Ident(String),
    Sub(Pipeline, Vec<String>),
}

struct Parser<'a> {
    file: &'a str,
    actions: &'a [Action],
    at: usize,
}

impl Parser<'_> {
    /// Nodes up to an `end` or `else` (not taken), moving `define`s aside.
    fn list(&mut self, defines: &mut Defines) -> Result<Vec<Node>, Failure> {
        let mut nodes = Vec::new();
        while let Some(action) = self.actions.get(self.at) {
            let line = action.line;
            let fail = |m: &str| Err((line, m.to_owned()));
            let keyword = match action.tokens.first() {
                Some(Token::Ident(k)) => k.as_str(),
                _ => "",
            };
            let words = &action.tokens[1.min(action.tokens.len())..];
            match keyword {
                "end" | "else" => return Ok(nodes),
                "if" | "with" | "range" => {
                    self.at += 1;
                    let kind = match keyword {
                        "if" => Block::If,
                        "with" => Block::With,
                        _ => Block::Range,
                    };
                    nodes.push(self.block(kind, pipeline(words, line)?, line, defines)?);
                }
                "define" => {
                    let [Token::Str(name)] = words else {
                        return fail("`define` takes one name");
                    };
                    self.at += 1;
                    let body = self.list(defines)?;
                    self.end(line)?;
                    defines.insert(name.clone(), (self.file.to_owned(), body));
                }
                "template" => {
                    let Some(Token::Str(name)) = words.first() else {
                        return fail("`template` takes a name");
                    };
                    let rest = &words[1..];
                    let pipeline = (!rest.is_empty())
                        .then(|| pipeline(rest, line))
                        .transpose()?;
                    self.at += 1;
                    nodes.push(Node::Template {
                        name: name.clone(),
                        pipeline,
                    });
                }
                "block" => return fail("`block` is not followed; define the template instead"),
                "break" | "continue" => self.at += 1,
                _ => {
                    self.at += 1;
                    nodes.push(Node::Print(pipeline(&action.tokens, line)?));
                }
            }
        }
        Ok(nodes)
    }

    /// A block's body, its `else` part and its `end`.
    fn block(
        &mut self,
        kind: Block,
        pipeline: Pipeline,
        line: usize,
        defines: &mut Defines,
    ) -> Result<Node, Failure> {
        let body = self.list(defines)?;
        let Some(action) = self.actions.get(self.at) else {
            return Err((line, "a block without its `end`".into()));
        };
        let alt = if action.tokens.first() == Some(&Token::Ident("else".into())) {
            let else_line = action.line;
            self.at += 1;
            match action.tokens.get(1) {
                // `else if …` and `else with …` share the block's `end`.
                Some(Token::Ident(k)) if k == "if" || k == "with" => {
                    let inner = if k == "if" { Block::If } else { Block::With };
                    let condition = self::pipeline(&action.tokens[2..], else_line)?;
                    vec![self.block(inner, condition, else_line, defines)?]
                }
                _ => {
                    let alt = self.list(defines)?;
                    self.end(line)?;
                    alt
                }
            }
        } else {
            self.end(line)?;
            Vec::new()
        };
        Ok(Node::Block {
            kind,
            pipeline,
            body,
            alt,
        })
    }

    fn end(&mut self, line: usize) -> Result<(), Failure> {
        match self.actions.get(self.at) {
            Some(a) if a.tokens.first() == Some(&Token::Ident("end".into())) => {
                self.at += 1;
                Ok(())
            }
            _ => Err((line, "a block without its `end`".into())),
        }
    }
}

/// The pipeline of an action's words.
fn pipeline(tokens: &[Token], line: usize) -> Result<Pipeline, Failure> {
    let fail = |m: &str| Err((line, m.to_owned()));
    let mut vars = Vec::new();
    let mut declare = false;
    let mut rest = tokens;
    let bound = tokens
        .iter()
        .position(|t| matches!(t, Token::Declare | Token::Assign));
    if let Some(at) = bound {
        for (i, token) in tokens[..at].iter().enumerate() {
            match token {
                Token::Var(name, chain) if chain.is_empty() && i % 2 == 0 => {
                    vars.push(name.clone())
                }
                Token::Comma if i % 2 == 1 => {}
                _ => return fail("a variable is declared by `$name :=`"),
            }
        }
        declare = tokens[at] == Token::Declare;
        rest = &tokens[at + 1..];
    }
    let mut commands = vec![Vec::new()];
    let mut i = 0;
    while i < rest.len() {
        let arg = match &rest[i] {
            Token::Pipe => {
                commands.push(Vec::new());
                i += 1;
                continue;
            }
            Token::Str(s) => Arg::Constant(Some(s.clone())),
            Token::Constant => Arg::Constant(None),
            Token::Var(name, chain) => Arg::Var(name.clone(), chain.clone()),
            Token::Field(chain) => Arg::Field(chain.clone()),
            Token::Ident(name) => Arg::Ident(name.clone()),
            Token::Open => {
                let mut depth = 0;
                let close = rest[i..]
                    .iter()
                    .position(|t| {
                        match t {
                            Token::Open => depth += 1,
                            Token::Close => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map(|n| i + n);
                let Some(close) = close else {
                    return fail("a `(` without its `)`");
                };
                let inner = pipeline(&rest[i + 1..close], line)?;
                i = close;
                let chain = match rest.get(close + 1) {
                    Some(Token::Chain(chain)) => {
                        i += 1;
                        chain.clone()
                    }
                    _ => Vec::new(),
                };
                Arg::Sub(inner, chain)
            }
            _ => return fail("unexpected word in an action"),
        };
        if let Some(command) = commands.last_mut() {
            command.push(arg);
        }
        i += 1;
    }
    if commands.iter().any(Vec::is_empty) {
        return fail("an empty command in a pipeline");
    }
    Ok(Pipeline {
        line,
        vars,
        declare,
        commands,
    })
}

// Running the templates on value paths.

/// How a value path is printed.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Print {
    quoted: bool,
    /// Printed even when empty: not passed over by a `default`.
    when_empty: bool,
}

impl Print {
    const RAW: Print = Print {
        quoted: false,
        when_empty: true,
    };

    /// A path printed either way may print raw, and empty.
    fn or(self, other: Print) -> Print {
        Print {
            quoted: self.quoted && other.quoted,
            when_empty: self.when_empty || other.when_empty,
        }
    }
}

/// What a value may be: the value paths it may hold, each with how it
/// prints, and, for a `dict`, its entries.
#[derive(Clone, Debug, Default)]
struct Val {
    paths: Printed,
    entries: BTreeMap<String, Val>,
    /// A string literal's text: the name of a template or a `dict` key.
    literal: Option<String>,
}

impl Val {
    fn path(path: Vec<String>) -> Val {
        Val {
            paths: BTreeMap::from([(path, Print::RAW)]),
            ..Val::default()
        }
    }

    /// Either value; a path raw in either is raw.
    fn or(mut self, other: Val) -> Val {
        merge(&mut self.paths, other.paths);
        for (key, value) in other.entries {
            let merged = match self.entries.remove(&key) {
                Some(mine) => mine.or(value),
                None => value,
            };
            self.entries.insert(key, merged);
        }
        if self.literal != other.literal {
            self.literal = None;
        }
        self
    }

    fn step(&self, key: &str) -> Val {
        let mut out = Val {
            paths: self
                .paths
                .iter()
                .map(|(path, print)| {
                    let mut path = path.clone();
                    path.push(key.to_owned());
                    // A `default` tested the value, not what it holds.
                    let print = Print {
                        when_empty: true,
                        ..*print
                    };
                    (path, print)
                })
                .collect(),
            ..Val::default()
        };
        for entry in [key, ANY] {
            if let Some(value) = self.entries.get(entry) {
                out = out.or(value.clone());
            }
        }
        out
    }

    fn fields(&self, chain: &[String]) -> Val {
        chain.iter().fold(self.clone(), |v, key| v.step(key))
    }

    /// Every path it may print, its entries' too.
    fn printed(&self) -> Printed {
        let mut all = Val {
            paths: self.paths.clone(),
            ..Val::default()
        };
        for value in self.entries.values() {
            all = all.or(Val {
                paths: value.printed(),
                ..Val::default()
            });
        }
        all.paths
    }

    /// The value with every path it prints changed by `f`.
    fn map(&self, f: impl Fn(Print) -> Print) -> Val {
        Val {
            paths: self
                .printed()
                .into_iter()
                .map(|(p, print)| (p, f(print)))
                .collect(),
            ..Val::default()
        }
    }

    fn list_of(element: Val) -> Val {
        Val {
            entries: BTreeMap::from([(ANY.to_owned(), element)]),
            ..Val::default()
        }
    }
}

/// Functions whose result prints as something YAML cannot misread: a
/// quoted string, a number, a boolean, YAML or JSON of their own.
const QUOTING: [&str; 43] = [
    "quote",
    "squote",
    "toYaml",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "toToml",
    "int",
    "int64",
    "float64",
    "atoi",
    "len",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "not",
    "hasKey",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "empty",
    "kindIs",
    "typeIs",
    "typeOf",
    "kindOf",
    "add",
    "add1",
    "sub",
    "mul",
    "div",
    "mod",
    "max",
    "min",
    "b64enc",
    "sha256sum",
    "sha1sum",
    "adler32sum",
    "semverCompare",
    "regexMatch",
    "fail",
];

struct Frame {
    dot: Val,
    root: Val,
    scopes: Vec<Vec<(String, Val)>>,
    /// Paths an enclosing `if` or `with` found not empty.
    tested: Vec<Vec<String>>,
}

impl Frame {
    fn var(&self, name: &str) -> Result<Val, String> {
        if name.is_empty() {
            return Ok(self.root.clone());
        }
        self.scopes
            .iter()
            .rev()
            .flat_map(|scope| scope.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("undefined variable `${name}`"))
    }

    fn bind(&mut self, name: &str, value: Val, declare: bool) -> Result<(), String> {
        if declare {
            match self.scopes.last_mut() {
                Some(scope) => scope.push((name.to_owned(), value)),
                None => self.scopes.push(vec![(name.to_owned(), value)]),
            }
            return Ok(());
        }
        // A variable set in a branch may hold either value afterwards.
        let slot = self
            .scopes
            .iter_mut()
            .rev()
            .flat_map(|scope| scope.iter_mut().rev())
            .find(|(n, _)| n == name)
            .ok_or_else(|| format!("undefined variable `${name}`"))?;
        slot.1 = std::mem::take(&mut slot.1).or(value);
        Ok(())
    }
}

/// The deepest nesting of `include`s followed.
const MAX_DEPTH: usize = 32;

struct Run<'a> {
    defines: &'a Defines,
    depth: usize,
    /// Where the run is, for an error: the file and line of the action.
    file: String,
    line: usize,
}

impl Run<'_> {
    fn nodes(
        &mut self,
        nodes: &[Node],
        frame: &mut Frame,
        out: &mut Printed,
    ) -> Result<(), String> {
        for node in nodes {
            match node {
                Node::Print(pipeline) => {
                    let value = self.pipeline(pipeline, frame)?;
                    if pipeline.vars.is_empty() {
                        print(out, &value, frame);
                    } else {
                        for var in &pipeline.vars {
                            frame.bind(var, value.clone(), pipeline.declare)?;
                        }
                    }
                }
                Node::Template { name, pipeline } => {
                    let context = match pipeline {
                        Some(p) => self.pipeline(p, frame)?,
                        None => Val::default(),
                    };
                    let value = self.include(name, context)?;
                    print(out, &value, frame);
                }
                Node::Block {
                    kind,
                    pipeline,
                    body,
                    alt,
                } => {
                    frame.scopes.push(Vec::new());
                    let value = self.pipeline(pipeline, frame)?;
                    let inner = match kind {
                        Block::Range => value.step(ANY),
                        _ => value.clone(),
                    };
                    match pipeline.vars.as_slice() {
                        [] => {}
                        [one] => frame.bind(one, inner.clone(), true)?,
                        [key, element] => {
                            frame.bind(key, value.step(KEY), true)?;
                            frame.bind(element, inner.clone(), true)?;
                        }
                        _ => return Err("`range` binds at most two variables".into()),
                    }
                    let dot = match kind {
                        Block::If => frame.dot.clone(),
                        _ => inner,
                    };
                    // `if .a` and `with $b.c` run their body only when the
                    // value read is not empty.
                    let known = frame.tested.len();
                    if *kind != Block::Range
                        && let [command] = pipeline.commands.as_slice()
                        && let [Arg::Var(..) | Arg::Field(..)] = command.as_slice()
                    {
                        frame.tested.extend(value.paths.keys().cloned());
                    }
                    let outer = std::mem::replace(&mut frame.dot, dot);
                    let done = self.nodes(body, frame, out);
                    frame.dot = outer;
                    frame.tested.truncate(known);
                    done?;
                    frame.scopes.pop();
                    frame.scopes.push(Vec::new());
                    self.nodes(alt, frame, out)?;
                    frame.scopes.pop();
                }
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, pipeline: &Pipeline, frame: &Frame) -> Result<Val, String> {
        self.line = pipeline.line;
        let mut value: Option<Val> = None;
        for command in &pipeline.commands {
            value = Some(self.command(command, value, frame)?);
        }
        Ok(value.unwrap_or_default())
    }

    fn command(
        &mut self,
        command: &[Arg],
        piped: Option<Val>,
        frame: &Frame,
    ) -> Result<Val, String> {
        if let [Arg::Ident(name), args @ ..] = command {
            let mut values = args
                .iter()
                .map(|arg| self.arg(arg, frame))
                .collect::<Result<Vec<_>, _>>()?;
            values.extend(piped);
            return self.call(name, values);
        }
        // A method of a value (`.Files.Get "a"`) gives what any of its
        // receiver and arguments may give.
        let mut value = piped.unwrap_or_default();
        for arg in command {
            value = value.or(self.arg(arg, frame)?);
        }
        Ok(value)
    }

    fn arg(&mut self, arg: &Arg, frame: &Frame) -> Result<Val, String> {
        Ok(match arg {
            Arg::Constant(literal) => Val {
                literal: literal.clone(),
                ..Val::default()
            },
            Arg::Var(name, chain) => frame.var(name)?.fields(chain),
            Arg::Field(chain) => frame.dot.fields(chain),
            Arg::Ident(name) => self.call(name, Vec::new())?,
            Arg::Sub(pipeline, chain) => self.pipeline(pipeline, frame)?.fields(chain),
        })
    }

    fn call(&mut self, name: &str, args: Vec<Val>) -> Result<Val, String> {
        let all = |args: Vec<Val>| args.into_iter().fold(Val::default(), Val::or);
        Ok(match name {
            "include" | "template" => {
                let Some(template) = args.first().and_then(|a| a.literal.clone()) else {
                    return Err(format!("`{name}` of a name that is not a string literal"));
                };
                self.include(&template, all(args[1..].to_vec()))?
            }
            "set" | "unset" => {
                return Err(format!(
                    "`{name}` changes a dict in place, which is not followed"
                ));
            }
            "dict" => {
                let mut dict = Val::default();
                for pair in args.chunks(2) {
                    let key = pair[0].literal.clone().unwrap_or_else(|| ANY.to_owned());
                    let value = pair.get(1).cloned().unwrap_or_default();
                    dict = dict.or(Val {
                        entries: BTreeMap::from([(key, value)]),
                        ..Val::default()
                    });
                }
                dict
            }
            "index" | "get" => {
                let mut args = args.into_iter();
                let base = args.next().unwrap_or_default();
                args.fold(base, |v, key| v.step(key.literal.as_deref().unwrap_or(ANY)))
            }
            // The message is not printed, the value is.
            "required" => args.last().cloned().unwrap_or_default(),
            "first" | "last" | "mustFirst" | "mustLast" => all(args).step(ANY),
            "keys" => Val::list_of(all(args).step(KEY)),
            "list" | "tuple" | "splitList" | "split" | "splitn" | "regexSplit" => {
                Val::list_of(all(args))
            }
            // `default D X` prints X unless it is empty, else D.
            "default" => {
                let mut args = args;
                let tested = args.pop().unwrap_or_default().map(|p| Print {
                    when_empty: false,
                    ..p
                });
                all(args).or(tested)
            }
            name if QUOTING.contains(&name) => all(args).map(|p| Print { quoted: true, ..p }),
            _ => all(args),
        })
    }

    /// What a defined template prints when called with `context`.
    fn include(&mut self, name: &str, context: Val) -> Result<Val, String> {
        let (file, body) = self
            .defines
            .get(name)
            .ok_or_else(|| format!("no template named {name:?}"))?;
        if self.depth == MAX_DEPTH {
            return Err(format!(
                "templates include each other more than {MAX_DEPTH} deep"
            ));
        }
        self.depth += 1;
        let mut frame = Frame {
            dot: context.clone(),
            root: context,
            scopes: vec![Vec::new()],
            tested: Vec::new(),
        };
        let mut printed = Printed::new();
        let caller = (std::mem::replace(&mut self.file, file.clone()), self.line);
        self.nodes(body, &mut frame, &mut printed)?;
        (self.file, self.line) = caller;
        self.depth -= 1;
        Ok(Val {
            paths: printed,
            ..Val::default()
        })
    }
}

type Printed = BTreeMap<Vec<String>, Print>;

fn print(out: &mut Printed, value: &Val, frame: &Frame) {
    let mut printed = value.printed();
    for (path, print) in &mut printed {
        if frame.tested.contains(path) {
            print.when_empty = false;
        }
    }
    merge(out, printed);
}

fn merge(into: &mut Printed, from: Printed) {
    for (path, print) in from {
        let slot = into.entry(path).or_insert(print);
        *slot = slot.or(print);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(found: &Unquoted) -> Vec<String> {
        found
            .iter()
            .map(|(p, empty)| match empty {
                Empty::Printed => p.join("."),
                Empty::PassedOver => format!("{} unless empty", p.join(".")),
            })
            .collect()
    }

    fn unquoted(template: &str) -> Vec<String> {
        let helpers = r#"{{- define "t" }}{{ . }}{{ end }}"#;
        paths(&bare(&[("_h.tpl", helpers), ("t.yaml", template)]).unwrap())
    }

    #[test]
    fn quoting_functions_and_defaults_are_followed() {
        let template = r#"
a: {{ .Values.a | quote }}
b: {{ .Values.b }}
c: {{ .Values.c | default "x" }}
d: {{-	toYaml .Values.d | nindent 2 -}}
e: {{ printf "%s-%d" .Values.e 1 | quote }}
f: {{ include "t" .Values.f | quote }}
g: {{ include "t" .Values.g }}
h: {{ required "set h" .Values.h | lower }}
i: {{ int .Values.i }}
j: {{ .Files.Get "scripts/a" | quote }}
k: {{- (.Files.Glob "scripts/*").AsConfig | nindent 2 }}
l: {{ .Values.l | .Files.Get }}
"#;
        assert_eq!(unquoted(template), ["b", "c unless empty", "g", "h", "l"]);
    }

    #[test]
    fn variables_blocks_and_dicts_are_followed() {
        let template = r#"
{{- range $k, $v := .Values.m }}
{{ $k }}: {{ $v.x }}
{{- end }}
{{- with .Values.w }}{{ .y }}{{ . }}{{ else }}{{ $.Values.z }}{{ end }}
{{- if .Values.p }}{{ .Values.p }}{{ else if .Values.o }}{{ .Values.n }}{{ end }}
{{- $a := .Values.q }}{{ if true }}{{ $a = .Values.r }}{{ end }}{{ $a }}
{{- template "t" .Values.s }}
{{- (dict "k" .Values.u "l" .Values.unused).k }}
{{- index .Values.v "a" $a }}
{{- range .Values.list }}{{ .name }}{{ end }}
"#;
        assert_eq!(
            unquoted(template),
            [
                "list.*.name",
                "m.*.x",
                "m.{key}",
                "n",
                "p unless empty",
                "q",
                "r",
                "s",
                "u",
                "v.a.*",
                "w unless empty",
                "w.y",
                "z",
            ]
        );
    }

    #[test]
    fn what_cannot_be_followed_is_said_with_its_place() {
        let fails = |template: &str| bare(&[("t.yaml", template)]).unwrap_err().to_string();
        assert_eq!(fails("a\n{{ $x }}"), "t.yaml:2: undefined variable `$x`");
        assert_eq!(fails("{{ if .a }}"), "t.yaml:1: a block without its `end`");
        assert_eq!(
            fails("{{ end }}"),
            "t.yaml:1: an `end` or `else` without its block"
        );
        assert_eq!(
            fails(r#"{{ include "x" . }}"#),
            r#"t.yaml:1: no template named "x""#
        );
        assert!(fails(r#"{{ $_ := set . "a" 1 }}"#).contains("changes a dict in place"));
        assert!(fails("{{ .a ").contains("without its `}}`"));
        assert!(fails(r#"{{ "a }}"#).contains("closing quote"));
    }

    #[test]
    fn the_bundled_chart_prints_these_values_without_quotes() {
        assert_eq!(
            paths(bundled()),
            [
                "arch unless empty",
                "cronjobs.*.*.db",
                "cronjobs.*.*.dbUser unless empty",
                "cronjobs.*.*.host unless empty",
                "cronjobs.*.*.operations.*.bucket",
                "cronjobs.*.*.operations.*.db unless empty",
                "cronjobs.*.*.operations.*.script unless empty",
                "cronjobs.*.*.suspend unless empty",
                "cronjobs.*.{key}",
                "fullnameOverride unless empty",
                "govukEnvironment",
                "nameOverride unless empty",
                "serviceAccount.name unless empty",
                "suspendAllCronJobs unless empty",
            ]
        );
    }
}
