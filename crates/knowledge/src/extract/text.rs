//! Plain text (and the text layer of PDF pages): whitespace normalised,
//! words broken across lines joined again, paragraphs, list items and the
//! lines that read as headings.

use super::{Block, BlockKind, Extracted};

/// Collapses runs of whitespace (including no-break spaces) to one space
/// and trims.
pub fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{a0}' || c == '\u{200b}' {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            if c != '\u{ad}' {
                out.push(c);
            }
        }
    }
    out
}

/// Joins the lines of one paragraph: a word hyphenated at a line's end
/// (`exam-` / `ple`) is joined without the hyphen.
pub fn join_lines(lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let before = out.chars().rev().nth(1);
        let next = line.chars().next();
        if out.ends_with('-') && before.is_some_and(char::is_alphanumeric) {
            // `exam-` / `ple` was one word; `GST-` / `registered` keeps its
            // hyphen.
            if before.is_some_and(char::is_lowercase) && next.is_some_and(char::is_lowercase) {
                out.pop();
            }
        } else if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    squash(&out)
}

/// Headings met so far: (level, text).
pub type Outline = Vec<(usize, String)>;

/// The heading path of an outline.
pub fn path(outline: &Outline) -> Vec<String> {
    outline.iter().map(|(_, t)| t.clone()).collect()
}

/// Puts a heading of `level` into the outline, dropping deeper ones.
pub fn enter(outline: &mut Outline, level: usize, text: String) {
    outline.retain(|(l, _)| *l < level);
    outline.push((level, text));
}

fn list_item(line: &str) -> Option<&str> {
    let t = line.trim_start();
    for b in ["- ", "* ", "• ", "◦ ", "▪ ", "– "] {
        if let Some(rest) = t.strip_prefix(b) {
            return Some(rest);
        }
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &t[digits..];
        if let Some(r) = rest.strip_prefix(") ").or_else(|| rest.strip_prefix(". ")) {
            // "1. Introduction" alone on a line is a heading, not an item.
            if r.ends_with(['.', ':', ';', ',']) || r.len() > 60 {
                return Some(r);
            }
        }
    }
    None
}

/// A numbered heading's depth: `2.3 Scope` → 2; `4 Results` → 1.
fn numbered(line: &str) -> Option<usize> {
    let (num, rest) = line.split_once(' ')?;
    let num = num.trim_end_matches('.');
    if num.is_empty() || rest.trim().is_empty() || !rest.starts_with(|c: char| c.is_uppercase()) {
        return None;
    }
    let parts: Vec<&str> = num.split('.').collect();
    if parts.len() > 4
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some(parts.len())
}

/// Whether a paragraph of one line reads as a heading, and its level.
fn heading_level(line: &str) -> Option<usize> {
    let t = line.trim();
    let words = t.split_whitespace().count();
    if t.len() < 3 || t.len() > 90 || words > 12 {
        return None;
    }
    if t.ends_with(['.', ',', ';', ':', '?', '!']) && !t.ends_with("...") {
        return None;
    }
    if !t.chars().next().is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    if let Some(level) = numbered(t) {
        return Some(level);
    }
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() < 3 {
        return None;
    }
    if letters.iter().all(|c| c.is_uppercase()) {
        return Some(1);
    }
    // Title Case: most words longer than three letters start upper-case.
    let long: Vec<&str> = t.split_whitespace().filter(|w| w.chars().count() > 3).collect();
    let capital = long.iter().filter(|w| w.starts_with(char::is_uppercase)).count();
    (words <= 8 && !long.is_empty() && capital * 4 >= long.len() * 3).then_some(1)
}

/// The blocks of a piece of plain text. `outline` carries the headings
/// from earlier text (earlier pages); `page` is stamped on each block.
pub fn blocks(text: &str, outline: &mut Outline, page: Option<u32>) -> Vec<Block> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        // One paragraph: up to a blank line. List items start their own.
        let start = i;
        let mut para: Vec<&str> = vec![lines[i]];
        i += 1;
        // Setext underline (`Title` / `=====`).
        if i < lines.len() {
            let u = lines[i].trim();
            if u.len() >= 3 && (u.chars().all(|c| c == '=') || u.chars().all(|c| c == '-')) {
                let level = if u.starts_with('=') { 1 } else { 2 };
                enter(outline, level, squash(lines[start]));
                i += 1;
                continue;
            }
        }
        while i < lines.len() && !lines[i].trim().is_empty() && list_item(lines[i]).is_none() {
            para.push(lines[i]);
            i += 1;
        }
        if let Some(item) = list_item(para[0]) {
            let mut rest = vec![item];
            rest.extend_from_slice(&para[1..]);
            push(&mut out, join_lines(&rest), BlockKind::ListItem, outline, page);
            continue;
        }
        let blank_after = i >= lines.len() || lines[i].trim().is_empty();
        if para.len() == 1
            && blank_after
            && let Some(level) = heading_level(para[0])
        {
            enter(outline, level, squash(para[0]));
            continue;
        }
        push(&mut out, join_lines(&para), BlockKind::Paragraph, outline, page);
    }
    out
}

fn push(out: &mut Vec<Block>, text: String, kind: BlockKind, outline: &Outline, page: Option<u32>) {
    if text.is_empty() {
        return;
    }
    let mut b = Block::new(text, kind, &path(outline));
    b.page = page;
    out.push(b);
}

/// A plain-text file.
pub fn extract_plain(text: &str) -> Extracted {
    let mut outline = Outline::new();
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let blocks = blocks(&text, &mut outline, None);
    Extracted { blocks, pages: None, title: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_hyphenation() {
        assert_eq!(squash("  a\u{a0}\tb \n c  "), "a b c");
        assert_eq!(
            join_lines(&["The exam-", "ple is good-", "Natured."]),
            "The example is good-Natured."
        );
        assert_eq!(join_lines(&["GST-", "registered"]), "GST-registered");
        assert_eq!(join_lines(&["a -", "b"]), "a - b");
    }

    #[test]
    fn headings_paragraphs_and_lists() {
        let text = "INTRODUCTION\n\nThis paper describes\nthe method.\n\n2.1 Data Sources\n\nWe used:\n- the ledger,\n- the bank feed.\n\nClosing Remarks\n\nDone here.";
        let mut outline = Outline::new();
        let b = blocks(text, &mut outline, Some(3));
        assert_eq!(b[0].text, "This paper describes the method.");
        assert_eq!(b[0].headings, vec!["INTRODUCTION"]);
        assert_eq!(b[1].text, "We used:");
        assert_eq!(b[1].headings, vec!["INTRODUCTION", "2.1 Data Sources"]);
        assert_eq!(b[2].kind, BlockKind::ListItem);
        assert_eq!(b[2].text, "the ledger,");
        assert_eq!(b[4].headings, vec!["Closing Remarks"]);
        assert!(b.iter().all(|x| x.page == Some(3)));
    }

    #[test]
    fn sentences_are_not_headings() {
        assert_eq!(heading_level("This is a sentence."), None);
        assert_eq!(heading_level("the lower case line"), None);
        assert_eq!(heading_level("3.2 Input Tax Credit"), Some(2));
        assert_eq!(heading_level("Payment Terms"), Some(1));
    }
}
