//! Expands the Go-template parts of annotation texts the way Prometheus does
//! when an alert fires, so generated tests can state the exact annotations.
//!
//! Only what alert annotations here use is understood: `{{ $labels.x }}`,
//! `{{ .Labels.x }}`, `{{ $externalLabels.x }}`, `{{ .ExternalLabels.x }}`,
//! and `{{ if eq A "text" }} … {{ else if eq A "text" }} … {{ else }} …
//! {{ end }}`, with `{{-`/`-}}` trimming. Anything else is an error naming
//! the action, rather than a guess.

use std::collections::BTreeMap;

pub(crate) struct Context<'a> {
    pub labels: &'a BTreeMap<String, String>,
    pub external: &'a BTreeMap<String, String>,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Value(Arg),
    If(Vec<(Cond, Vec<Node>)>, Vec<Node>),
}

#[derive(Debug)]
enum Arg {
    Label(String),
    External(String),
    Literal(String),
}

#[derive(Debug)]
enum Cond {
    Eq(Arg, Arg),
}

#[derive(Debug)]
enum Token {
    Text(String),
    Action(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out: Vec<Token> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let mut before = rest[..start].to_owned();
        let after = &rest[start + 2..];
        let trim_left = after.starts_with('-') && after[1..].starts_with([' ', '\t', '\n']);
        let inner_start = if trim_left { 1 } else { 0 };
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed action in {:?}", &rest[start..]))?;
        let mut inner = &after[inner_start..end];
        let trim_right =
            inner.ends_with('-') && inner[..inner.len() - 1].ends_with([' ', '\t', '\n']);
        if trim_right {
            inner = &inner[..inner.len() - 1];
        }
        if trim_left {
            before = before.trim_end().to_owned();
        }
        out.push(Token::Text(before));
        out.push(Token::Action(inner.trim().to_owned()));
        rest = &after[end + 2..];
        if trim_right {
            rest = rest.trim_start();
        }
    }
    out.push(Token::Text(rest.to_owned()));
    Ok(out)
}

fn words(action: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = action.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::from("\"");
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => s.push('\n'),
                        Some(c) => s.push(c),
                        None => return Err(format!("unterminated string in {{{{ {action} }}}}")),
                    },
                    Some(c) => s.push(c),
                    None => return Err(format!("unterminated string in {{{{ {action} }}}}")),
                }
            }
            out.push(s);
        } else {
            let mut w = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                chars.next();
            }
            out.push(w);
        }
    }
    Ok(out)
}

fn arg(word: &str, action: &str) -> Result<Arg, String> {
    if let Some(s) = word.strip_prefix('"') {
        return Ok(Arg::Literal(s.to_owned()));
    }
    for (prefix, external) in [
        ("$labels.", false),
        (".Labels.", false),
        ("$externalLabels.", true),
        (".ExternalLabels.", true),
    ] {
        if let Some(name) = word.strip_prefix(prefix)
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Ok(if external {
                Arg::External(name.to_owned())
            } else {
                Arg::Label(name.to_owned())
            });
        }
    }
    Err(format!(
        "{{{{ {action} }}}} is not something the test generator can expand (it knows $labels.x, .ExternalLabels.x, if/else if/else/end with eq)"
    ))
}

fn cond(ws: &[String], action: &str) -> Result<Cond, String> {
    match ws {
        [eq, a, b] if eq == "eq" => Ok(Cond::Eq(arg(a, action)?, arg(b, action)?)),
        _ => Err(format!(
            "{{{{ {action} }}}}: only `if eq A B` conditions can be expanded"
        )),
    }
}

enum Stop {
    End,
    Else,
    ElseIf(Cond),
    Eof,
}

fn parse(tokens: &mut std::vec::IntoIter<Token>) -> Result<(Vec<Node>, Stop), String> {
    let mut nodes = Vec::new();
    while let Some(t) = tokens.next() {
        match t {
            Token::Text(s) => {
                if !s.is_empty() {
                    nodes.push(Node::Text(s));
                }
            }
            Token::Action(a) => {
                let ws = words(&a)?;
                match ws.first().map(String::as_str) {
                    Some("end") if ws.len() == 1 => return Ok((nodes, Stop::End)),
                    Some("else") if ws.len() == 1 => return Ok((nodes, Stop::Else)),
                    Some("else") if ws.get(1).map(String::as_str) == Some("if") => {
                        return Ok((nodes, Stop::ElseIf(cond(&ws[2..], &a)?)));
                    }
                    Some("if") => {
                        let mut branches = vec![];
                        let mut current = cond(&ws[1..], &a)?;
                        let otherwise;
                        loop {
                            let (body, stop) = parse(tokens)?;
                            branches.push((current, body));
                            match stop {
                                Stop::End => {
                                    otherwise = Vec::new();
                                    break;
                                }
                                Stop::ElseIf(c) => current = c,
                                Stop::Else => {
                                    let (body, stop) = parse(tokens)?;
                                    if !matches!(stop, Stop::End) {
                                        return Err(format!("{{{{ {a} }}}} has no {{{{ end }}}}"));
                                    }
                                    otherwise = body;
                                    break;
                                }
                                Stop::Eof => {
                                    return Err(format!("{{{{ {a} }}}} has no {{{{ end }}}}"));
                                }
                            }
                        }
                        nodes.push(Node::If(branches, otherwise));
                    }
                    _ if ws.len() == 1 => nodes.push(Node::Value(arg(&ws[0], &a)?)),
                    _ => {
                        return Err(format!(
                            "{{{{ {a} }}}} is not something the test generator can expand"
                        ));
                    }
                }
            }
        }
    }
    Ok((nodes, Stop::Eof))
}

fn value(arg: &Arg, ctx: &Context) -> String {
    let lookup = |map: &BTreeMap<String, String>, name: &str| {
        map.get(name)
            .cloned()
            .unwrap_or_else(|| "<no value>".to_owned())
    };
    match arg {
        Arg::Label(n) => lookup(ctx.labels, n),
        Arg::External(n) => lookup(ctx.external, n),
        Arg::Literal(s) => s.clone(),
    }
}

fn run(nodes: &[Node], ctx: &Context, out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(s) => out.push_str(s),
            Node::Value(a) => out.push_str(&value(a, ctx)),
            Node::If(branches, otherwise) => {
                let taken = branches.iter().find(|(c, _)| match c {
                    Cond::Eq(a, b) => value(a, ctx) == value(b, ctx),
                });
                run(taken.map_or(otherwise, |(_, body)| body), ctx, out);
            }
        }
    }
}

/// Checks that `text` can be expanded, without expanding it.
pub(crate) fn check(text: &str) -> Result<(), String> {
    let (_, stop) = parse(&mut tokens(text)?.into_iter())?;
    match stop {
        Stop::Eof => Ok(()),
        _ => Err("{{ end }} or {{ else }} without {{ if }}".into()),
    }
}

/// Expands `text` for an alert with these labels.
pub(crate) fn expand(text: &str, ctx: &Context) -> Result<String, String> {
    let (nodes, stop) = parse(&mut tokens(text)?.into_iter())?;
    if !matches!(stop, Stop::Eof) {
        return Err("{{ end }} or {{ else }} without {{ if }}".into());
    }
    let mut out = String::new();
    run(&nodes, ctx, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_labels_and_conditions() {
        let labels = BTreeMap::from([("operation".to_owned(), "backup".to_owned())]);
        let external = BTreeMap::from([("environment".to_owned(), "staging".to_owned())]);
        let ctx = Context {
            labels: &labels,
            external: &external,
        };
        let t = "op {{ $labels.operation }} in {{ .ExternalLabels.environment }}: {{ if eq .ExternalLabels.environment \"integration\" }}I{{ else if eq .ExternalLabels.environment \"staging\" }}S{{ else  if eq .ExternalLabels.environment \"production\" }}P{{ else }}X{{ end }}.";
        assert_eq!(expand(t, &ctx).unwrap(), "op backup in staging: S.");
        assert_eq!(expand("{{ $labels.nope }}", &ctx).unwrap(), "<no value>");
        assert_eq!(
            expand("a {{- $labels.operation -}} b", &ctx).unwrap(),
            "abackupb"
        );
        assert!(expand("{{ $value }}", &ctx).is_err());
        assert!(expand("{{ humanize $value }}", &ctx).is_err());
        assert!(expand("{{ if eq $labels.operation \"x\" }}", &ctx).is_err());
        assert!(check("{{ end }}").is_err());
    }
}
