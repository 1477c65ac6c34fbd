//! Editing the `cronjobs:` block of a values file the way a person would:
//! only the jobs whose values change are touched, each as little as it can
//! be.
//!
//! - a job whose resolved values are the same keeps every byte;
//! - a changed value written in the job is replaced in place, in its own
//!   quoting (a schedule edit changes that one line);
//! - a new job is written where the render puts it, in its neighbours'
//!   indentation, spacing and quoting;
//! - a removed job goes with the comment lines just above it;
//! - a job where a `<<:` merge no longer gives what the render wants is
//!   written out whole, for that job alone.
//!
//! The caller reads the result back and keeps it only when it means the
//! render exactly (see [`super::splice`]).

use super::text::{self, Edits, Kind, Node};
use crate::read::yaml::{self, Dialect};
use serde_json::{Map, Value};
use serde_saphyr::granit_parser::ScalarStyle;

/// The first document of `text` with its `cronjobs:` changed into the
/// rendered `block`, or `None` where this cannot tell how (the caller then
/// replaces the whole block).
pub fn cronjobs(text: &str, block: &str) -> Option<String> {
    let file = text::parse(text).ok()?;
    let old_node = file.get("cronjobs").filter(|n| n.is_block())?;
    let old = resolved(text)?;
    let rendered = text::parse(block).ok()?;
    let new_node = rendered.get("cronjobs")?;
    let new = resolved(block)?;
    let data = yaml::parse(text, Dialect::HelmValues).ok()?.value.to_json();
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut edits = Edits::default();
    for (env, new_jobs) in new.iter() {
        let env_node = old_node.get(env).filter(|n| n.is_block())?;
        let new_env = new_node.get(env)?;
        let old_jobs = old.get(env)?.as_object()?;
        let new_jobs = new_jobs.as_object()?;
        let mut previous: Option<&Node> = None;
        for (job, value) in new_jobs {
            match env_node.entry(job) {
                Some((key, node)) => {
                    if old_jobs.get(job) != Some(value) {
                        let job_edits = Job {
                            text,
                            key,
                            node,
                            block,
                            rendered: new_env.entry(job)?,
                            nl,
                        };
                        job_edits.edit(
                            old_jobs.get(job)?.as_object()?,
                            value.as_object()?,
                            &mut edits,
                        )?;
                    }
                    previous = Some(node);
                }
                None => {
                    let (new_key, new_value) = new_env.entry(job)?;
                    let neighbour = previous.or(env_node.entries().first().map(|(_, v)| v));
                    let merges = merges(&file, &data, env_node, value.as_object()?);
                    let mut entry = styled_like(block, new_key, new_value, neighbour, &merges)?;
                    let column = text::column(text, env_node.entries().first()?.0.range.start);
                    entry = reindent(&entry, text::column(block, new_key.range.start), column)?;
                    let spaced = blank_between(text, env_node);
                    let entry = entry.replace('\n', nl);
                    match previous {
                        Some(node) => {
                            let at = text::line_end(text, node.range.end);
                            let gap = if spaced { nl } else { "" };
                            edits.replace(at..at, format!("{gap}{entry}"));
                        }
                        None => {
                            let first = &env_node.entries().first()?.0;
                            let at = text::comments_above(
                                text,
                                text::line_start(text, first.range.start),
                            );
                            let gap = if spaced { nl } else { "" };
                            edits.replace(at..at, format!("{entry}{gap}"));
                        }
                    }
                }
            }
        }
        for (key, node) in env_node.entries() {
            if !new_jobs.contains_key(key.scalar()?) {
                edits.replace(removed(text, key, node), "");
            }
        }
    }
    if old.keys().any(|env| !new.contains_key(env)) {
        return None;
    }
    Some(edits.apply(text))
}

/// The `cronjobs` of a values text, anchors and merges resolved.
fn resolved(text: &str) -> Option<Map<String, Value>> {
    let root = yaml::parse(text, Dialect::HelmValues).ok()?;
    match root.value.to_json() {
        Value::Object(mut map) => match map.remove("cronjobs")? {
            Value::Object(cronjobs) => Some(cronjobs),
            _ => None,
        },
        _ => None,
    }
}

/// A job of the file, and its entry in the rendered block.
struct Job<'a> {
    text: &'a str,
    key: &'a Node,
    node: &'a Node,
    block: &'a str,
    rendered: &'a (Node, Node),
    nl: &'a str,
}

impl Job<'_> {
    /// Edits the job from its `old` resolved values to the `new` ones.
    fn edit(
        &self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        edits: &mut Edits,
    ) -> Option<()> {
        if !self.node.is_block() {
            return self.rewrite(edits);
        }
        let merged = self.node.entry("<<").is_some();
        let mut keys: Vec<&String> = new.keys().collect();
        keys.extend(old.keys().filter(|k| !new.contains_key(*k)));
        let mut mine = Edits::default();
        for key in keys {
            let (was, is) = (old.get(key), new.get(key));
            if was == is {
                continue;
            }
            match (self.node.entry(key), is) {
                (Some((_, node)), Some(is))
                    if matches!(node.kind, Kind::Scalar { .. }) && is.is_string() =>
                {
                    let Kind::Scalar { style, .. } = &node.kind else {
                        return None;
                    };
                    let indent = text::column(self.text, self.node.range.start) + 2;
                    mine.replace(
                        node.range.clone(),
                        text::scalar(is.as_str()?, *style, indent).replace('\n', self.nl),
                    );
                }
                (Some((k, node)), Some(_)) => {
                    let (rk, rendered) = self.rendered.1.entry(key)?;
                    let entry = self.rendered_lines(rk, rendered, self.child_column()?)?;
                    mine.replace(
                        text::line_start(self.text, k.range.start)
                            ..text::line_end(self.text, node.range.end),
                        entry,
                    );
                }
                (Some((k, node)), None) if !merged => {
                    mine.replace(
                        text::line_start(self.text, k.range.start)
                            ..text::line_end(self.text, node.range.end),
                        "",
                    );
                }
                (None, Some(_)) if !merged || was.is_none() => {
                    let (rk, rendered) = self.rendered.1.entry(key)?;
                    let entry = self.rendered_lines(rk, rendered, self.child_column()?)?;
                    let at = text::line_end(self.text, self.node.range.end);
                    mine.replace(at..at, entry);
                }
                // A merge gives what no longer fits.
                _ => return self.rewrite(edits),
            }
        }
        edits.extend(mine);
        Some(())
    }

    /// The whole job written out as rendered, in place, its values quoted
    /// as they were.
    fn rewrite(&self, edits: &mut Edits) -> Option<()> {
        let (key, value) = self.rendered;
        let lines = styled_like(self.block, key, value, Some(self.node), &[])?;
        let column = text::column(self.text, self.key.range.start);
        let lines = reindent(&lines, text::column(self.block, key.range.start), column)?;
        edits.replace(
            text::line_start(self.text, self.key.range.start)
                ..text::line_end(self.text, self.node.range.end),
            lines.replace('\n', self.nl),
        );
        Some(())
    }

    /// The column of the job's keys in the file.
    fn child_column(&self) -> Option<usize> {
        let first = &self.node.entries().first()?.0;
        Some(text::column(self.text, first.range.start))
    }

    /// The rendered block's lines of an entry, indented to `column`.
    fn rendered_lines(&self, key: &Node, value: &Node, column: usize) -> Option<String> {
        let start = text::line_start(self.block, key.range.start);
        let lines = &self.block[start..text::line_end(self.block, value.range.end)];
        let lines = reindent(lines, text::column(self.block, key.range.start), column)?;
        Some(lines.replace('\n', self.nl))
    }
}

/// Lines indented from `from` spaces to `to`.
fn reindent(lines: &str, from: usize, to: usize) -> Option<String> {
    let mut out = String::with_capacity(lines.len());
    for line in lines.split_inclusive('\n') {
        if line.trim().is_empty() {
            out.push_str(line);
        } else if to >= from {
            out.push_str(&" ".repeat(to - from));
            out.push_str(line);
        } else {
            out.push_str(line.strip_prefix(&" ".repeat(from - to))?);
        }
    }
    Some(out)
}

/// A rendered job's lines, with each scalar quoted as the neighbour's
/// value of the same key is, and each of `merges` (an anchor, and the keys
/// it gives) written as `<<: *anchor` in place of those keys.
fn styled_like(
    block: &str,
    key: &Node,
    value: &Node,
    neighbour: Option<&Node>,
    merges: &[(String, Vec<String>)],
) -> Option<String> {
    let start = text::line_start(block, key.range.start);
    let end = text::line_end(block, value.range.end);
    let merged = |k: &str| merges.iter().any(|(_, keys)| keys.iter().any(|m| m == k));
    let mut edits = Edits::default();
    if let Some(neighbour) = neighbour {
        for (k, v) in value.entries() {
            let (Some(mine), Some(theirs)) = (v.scalar(), neighbour.get(k.scalar()?)) else {
                continue;
            };
            if let (Kind::Scalar { style: a, .. }, Kind::Scalar { style: b, .. }) =
                (&v.kind, &theirs.kind)
                && a != b
                && !merged(k.scalar()?)
            {
                let indent = text::column(block, value.range.start) + 2;
                edits.replace(
                    v.range.start - start..v.range.end - start,
                    text::scalar(mine, *b, indent),
                );
            }
        }
    }
    if let Some((first, _)) = value.entries().first()
        && !merges.is_empty()
    {
        let at = text::line_start(block, first.range.start) - start;
        let indent = " ".repeat(text::column(block, first.range.start));
        let lines: String = merges
            .iter()
            .map(|(anchor, _)| format!("{indent}<<: *{anchor}\n"))
            .collect();
        edits.replace(at..at, lines);
        for (k, v) in value.entries() {
            if merged(k.scalar()?) {
                edits.replace(
                    text::line_start(block, k.range.start) - start
                        ..text::line_end(block, v.range.end) - start,
                    "",
                );
            }
        }
    }
    Some(edits.apply(&block[start..end]))
}

/// The anchors the environment's jobs merge (`<<: *anchor`), defined at the
/// top of the file, that give only values the new job has, each with the
/// keys it gives; in the order the jobs first merge them, none giving a key
/// an earlier one gives.
fn merges(
    file: &Node,
    data: &Value,
    env: &Node,
    job: &Map<String, Value>,
) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    for (_, other) in env.entries() {
        let Some(Kind::Alias(anchor)) = other.get("<<").map(|n| &n.kind) else {
            continue;
        };
        if found.iter().any(|(a, _)| a == anchor) {
            continue;
        }
        let defined = file
            .entries()
            .iter()
            .find(|(_, v)| v.anchor.as_ref() == Some(anchor))
            .and_then(|(k, _)| data.get(k.scalar()?)?.as_object());
        let Some(gives) = defined else { continue };
        let fits = !gives.is_empty()
            && gives.iter().all(|(k, v)| job.get(k) == Some(v))
            && !found
                .iter()
                .any(|(_, keys)| keys.iter().any(|k| gives.contains_key(k)));
        if fits {
            found.push((anchor.clone(), gives.keys().cloned().collect()));
        }
    }
    found
}

/// Whether the environment's jobs are separated by blank lines.
fn blank_between(text: &str, env: &Node) -> bool {
    env.entries().windows(2).any(|pair| {
        let end = text::line_end(text, pair[0].1.range.end);
        let start = text::line_start(text, pair[1].0.range.start);
        text[end..start.max(end)]
            .lines()
            .any(|l| l.trim().is_empty())
    })
}

/// A removed job's lines: the comment lines right above it, the job, and
/// the blank line after it unless it is all that separates the jobs around
/// it.
fn removed(text: &str, key: &Node, node: &Node) -> std::ops::Range<usize> {
    let start = text::comments_above(text, text::line_start(text, key.range.start));
    let end = text::line_end(text, node.range.end);
    let next = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    let line_before = (start > 0).then(|| &text[text::line_start(text, start - 1)..start]);
    let column = text::column(text, key.range.start);
    let before_opens = line_before
        .is_none_or(|line| line.trim().is_empty() || line.len() - line.trim_start().len() < column);
    if before_opens && next > end && text[end..next].trim().is_empty() {
        start..next
    } else {
        start..end
    }
}

/// A rules file changed into the `rendered` one the way a person would:
/// each alert rule whose meaning changes is edited in place, value by
/// value in the file's own style (`>-` stays `>-`, comments stay); a new
/// rule is written after the one before it, a removed one goes, unless
/// `kept` says it is one to leave as it is. `None` where the groups
/// themselves differ or a value is not a plain string (the caller then
/// writes the rendered file).
pub fn rules(
    text: &str,
    rendered: &str,
    same: impl Fn(&Value, &Value) -> bool,
    kept: impl Fn(&str) -> bool,
) -> Option<String> {
    let (file, new_file) = (text::parse(text).ok()?, text::parse(rendered).ok()?);
    let (old, new) = (data(text)?, data(rendered)?);
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let (groups, new_groups) = (items(&file, "groups")?, items(&new_file, "groups")?);
    let (old_groups, rendered_groups) = (
        old.get("groups")?.as_array()?,
        new.get("groups")?.as_array()?,
    );
    if groups.len() != new_groups.len() {
        return None;
    }
    let mut edits = Edits::default();
    for (gi, group) in groups.iter().enumerate() {
        let (new_group, old_data, new_data) =
            (&new_groups[gi], &old_groups[gi], &rendered_groups[gi]);
        if group.get("name")?.scalar() != new_group.get("name")?.scalar() {
            return None;
        }
        let (old_rules, new_rules) = (items(group, "rules")?, items(new_group, "rules")?);
        let (old_rules_data, new_rules_data) = (
            old_data.get("rules")?.as_array()?,
            new_data.get("rules")?.as_array()?,
        );
        let find = |rules: &[Node], name: Option<&str>| {
            rules
                .iter()
                .position(|r| r.get("alert").and_then(Node::scalar) == name)
        };
        let mut previous: Option<&Node> = None;
        for (ni, new_rule) in new_rules.iter().enumerate() {
            let name = new_rule.get("alert")?.scalar();
            let Some(oi) = find(old_rules, name) else {
                let lines = &rendered[text::line_start(rendered, new_rule.range.start)
                    ..text::line_end(rendered, new_rule.range.end)];
                let column = text::column(text, old_rules.first()?.range.start);
                let lines = reindent(lines, text::column(rendered, new_rule.range.start), column)?;
                let at = text::line_end(text, previous.or(old_rules.last())?.range.end);
                edits.replace(at..at, format!("{nl}{}", lines.replace('\n', nl)));
                continue;
            };
            let (rule, was, is) = (&old_rules[oi], &old_rules_data[oi], &new_rules_data[ni]);
            previous = Some(rule);
            if same(was, is) {
                continue;
            }
            edit_mapping(
                text,
                rule,
                was.as_object()?,
                is.as_object()?,
                nl,
                &same,
                &mut edits,
            )?;
        }
        for rule in old_rules {
            let name = rule.get("alert")?.scalar();
            if find(new_rules, name).is_none() && !name.is_some_and(&kept) {
                let start = text::comments_above(text, text::line_start(text, rule.range.start));
                // A sequence item's line starts with its `- `.
                edits.replace(start..text::line_end(text, rule.range.end), "");
            }
        }
    }
    Some(edits.apply(text))
}

/// Edits a block mapping's string values from `was` to `is`, recursing
/// into mappings.
fn edit_mapping(
    text: &str,
    node: &Node,
    was: &Map<String, Value>,
    is: &Map<String, Value>,
    nl: &str,
    same: &impl Fn(&Value, &Value) -> bool,
    edits: &mut Edits,
) -> Option<()> {
    if !node.is_block() || node.entry("<<").is_some() {
        return None;
    }
    let column = text::column(text, node.entries().first()?.0.range.start);
    for key in is.keys().chain(was.keys().filter(|k| !is.contains_key(*k))) {
        let (a, b) = (was.get(key), is.get(key));
        if a == b || a.zip(b).is_some_and(|(a, b)| same(a, b)) {
            continue;
        }
        match (node.entry(key), b) {
            (Some((_, value)), Some(Value::String(new))) => {
                let Kind::Scalar { style, .. } = &value.kind else {
                    return None;
                };
                // The caller checks that the expression means the same.
                let token = if key == "expr" && *style == ScalarStyle::Folded {
                    text::folded_expr(new, column + 2)
                } else {
                    text::scalar(new, *style, column + 2)
                };
                edits.replace(value.range.clone(), token.replace('\n', nl));
            }
            (Some((_, value)), Some(Value::Object(new))) => {
                edit_mapping(text, value, a?.as_object()?, new, nl, same, edits)?;
            }
            (Some((k, value)), None) => {
                let start = text::comments_above(text, text::line_start(text, k.range.start));
                edits.replace(start..text::line_end(text, value.range.end), "");
            }
            (None, Some(Value::String(new))) => {
                let at = text::line_end(text, node.range.end);
                let line = format!(
                    "{}{}: {}{nl}",
                    " ".repeat(column),
                    text::scalar(key, ScalarStyle::Plain, 0),
                    text::scalar(new, ScalarStyle::Plain, column + 2).replace('\n', nl)
                );
                edits.replace(at..at, line);
            }
            _ => return None,
        }
    }
    Some(())
}

/// A text's data.
fn data(text: &str) -> Option<Value> {
    Some(yaml::parse(text, Dialect::Catalogue).ok()?.value.to_json())
}

/// The items of a mapping's sequence value.
fn items<'a>(node: &'a Node, key: &str) -> Option<&'a [Node]> {
    match &node.get(key)?.kind {
        Kind::Sequence { items, .. } => Some(items),
        _ => None,
    }
}
