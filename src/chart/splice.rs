//! Splicing a rendered `cronjobs:` block into a values file.

/// The values file with its top-level `cronjobs:` block replaced by `block`
/// (which starts with `cronjobs:`), and every other byte as it was. The
/// block ends where the next top-level key begins; comments and blank lines
/// just before that key stay with it. `None` when there is no such block.
pub fn replace_cronjobs(text: &str, block: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| {
        l.strip_prefix("cronjobs:")
            .is_some_and(|rest| rest.trim().is_empty() || rest.trim_start().starts_with('#'))
    })?;
    let top_level = |l: &str| !l.starts_with([' ', '\t', '#', '\n', '\r']) && !l.trim().is_empty();
    let next_key =
        (start + 1..lines.len()).find(|&i| top_level(lines[i]) && !lines[i].starts_with("---"));
    let mut end = next_key.unwrap_or(lines.len());
    if next_key.is_some() {
        while end > start + 1
            && (lines[end - 1].trim().is_empty() || lines[end - 1].starts_with('#'))
        {
            end -= 1;
        }
    }
    let mut out = String::with_capacity(text.len() + block.len());
    out.extend(lines[..start].iter().copied());
    out.push_str(block);
    if !block.ends_with('\n') {
        out.push('\n');
    }
    if next_key.is_some() && end < lines.len() && !lines[end].trim().is_empty() {
        out.push('\n');
    }
    out.extend(lines[end..].iter().copied());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_cronjobs_block() {
        let text =
            "a: 1  # keep\n\ncronjobs:\n  production:\n    x: {}\n\n# about b\nb: &b\n  c: 2\n";
        let out = replace_cronjobs(text, "cronjobs:\n  staging: {}\n").unwrap();
        assert_eq!(
            out,
            "a: 1  # keep\n\ncronjobs:\n  staging: {}\n\n# about b\nb: &b\n  c: 2\n"
        );
        let last = "a: 1\ncronjobs:\n  production:\n    x: {}\n";
        assert_eq!(
            replace_cronjobs(last, "cronjobs: {}\n").unwrap(),
            "a: 1\ncronjobs: {}\n"
        );
        assert_eq!(replace_cronjobs("a: 1\n", "cronjobs: {}\n"), None);
    }
}
