//! Markdown: ATX and setext headings make the outline; paragraphs, list
//! items, fenced code and pipe tables become blocks; inline markup is
//! reduced to its text.

use super::text::{self, Outline};
use super::{Block, BlockKind, Extracted};

pub(super) fn extract(source: &str) -> Extracted {
    let source = source.replace("\r\n", "\n");
    let lines: Vec<&str> = source.lines().collect();
    let mut outline = Outline::new();
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut i = 0;
    let flush = |para: &mut Vec<&str>, blocks: &mut Vec<Block>, outline: &Outline| {
        if !para.is_empty() {
            let t = inline(&text::join_lines(para));
            if !t.is_empty() {
                blocks.push(Block::new(t, BlockKind::Paragraph, &text::path(outline)));
            }
            para.clear();
        }
    };
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.is_empty() {
            flush(&mut para, &mut blocks, &outline);
            i += 1;
            continue;
        }
        if let Some(fence) = ["```", "~~~"].iter().find(|f| t.starts_with(**f)) {
            flush(&mut para, &mut blocks, &outline);
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim().starts_with(fence) {
                code.push(lines[i]);
                i += 1;
            }
            i += 1;
            let code = code.join("\n");
            if !code.trim().is_empty() {
                blocks.push(Block::new(code, BlockKind::Code, &text::path(&outline)));
            }
            continue;
        }
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') {
            flush(&mut para, &mut blocks, &outline);
            let h = inline(t[hashes..].trim().trim_end_matches('#').trim());
            if !h.is_empty() {
                text::enter(&mut outline, hashes, h);
            }
            i += 1;
            continue;
        }
        if !para.is_empty() && para.len() == 1 && is_underline(t) {
            let level = if t.starts_with('=') { 1 } else { 2 };
            let h = inline(para[0].trim());
            para.clear();
            text::enter(&mut outline, level, h);
            i += 1;
            continue;
        }
        if t.starts_with('|') && i + 1 < lines.len() && is_table_rule(lines[i + 1]) {
            flush(&mut para, &mut blocks, &outline);
            let mut rows = vec![cells(t)];
            i += 2;
            while i < lines.len() && lines[i].trim().starts_with('|') {
                rows.push(cells(lines[i].trim()));
                i += 1;
            }
            blocks.extend(super::docx::table_blocks(&rows, &text::path(&outline)));
            continue;
        }
        if let Some(item) = list_item(t) {
            flush(&mut para, &mut blocks, &outline);
            let mut item_lines = vec![item];
            i += 1;
            // Continuation lines are indented.
            while i < lines.len()
                && !lines[i].trim().is_empty()
                && lines[i].starts_with([' ', '\t'])
                && list_item(lines[i].trim()).is_none()
            {
                item_lines.push(lines[i].trim());
                i += 1;
            }
            let t = inline(&text::join_lines(&item_lines));
            if !t.is_empty() {
                blocks.push(Block::new(t, BlockKind::ListItem, &text::path(&outline)));
            }
            continue;
        }
        para.push(t.trim_start_matches('>').trim());
        i += 1;
    }
    flush(&mut para, &mut blocks, &outline);
    let title = blocks.first().and_then(|b| b.headings.first().cloned());
    Extracted { blocks, pages: None, title }
}

fn is_underline(t: &str) -> bool {
    t.len() >= 2 && (t.chars().all(|c| c == '=') || t.chars().all(|c| c == '-'))
}

fn is_table_rule(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.contains('-') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn cells(line: &str) -> Vec<String> {
    line.trim().trim_matches('|').split('|').map(|c| inline(c.trim())).collect()
}

fn list_item(t: &str) -> Option<&str> {
    for b in ["- ", "* ", "+ "] {
        if let Some(r) = t.strip_prefix(b) {
            return Some(r.strip_prefix("[ ] ").or_else(|| r.strip_prefix("[x] ")).unwrap_or(r));
        }
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        return t[digits..].strip_prefix(". ").or_else(|| t[digits..].strip_prefix(") "));
    }
    None
}

/// Inline markup reduced to text: links and images to their text,
/// emphasis and code marks dropped, HTML tags removed.
pub(crate) fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '!' if chars.get(i + 1) == Some(&'[') => i += 1,
            '[' => {
                // [text](url) → text
                if let Some(close) = chars[i..].iter().position(|&c| c == ']').map(|p| p + i)
                    && chars.get(close + 1) == Some(&'(')
                    && let Some(end) = chars[close..].iter().position(|&c| c == ')')
                {
                    out.extend(&chars[i + 1..close]);
                    i = close + end + 1;
                    continue;
                }
                out.push(c);
                i += 1;
            }
            '*' | '`' => i += 1,
            '_' if i == 0
                || i + 1 == chars.len()
                || !chars[i - 1].is_alphanumeric()
                || !chars[i + 1].is_alphanumeric() =>
            {
                i += 1
            }
            '<' => match chars[i..].iter().position(|&c| c == '>') {
                Some(end)
                    if end < 200
                        && chars
                            .get(i + 1)
                            .is_some_and(|c| c.is_ascii_alphabetic() || *c == '/') =>
                {
                    i += end + 1
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            },
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    text::squash(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_tables_and_code() {
        let md = "# Guide\n\nIntro with a [link](http://x) and **bold** text.\n\n## Setup\n\n- Install the\n  package\n- Run `make`\n\n| Name | Rate |\n|---|---:|\n| GST | 18% |\n\n```sh\nmake run\n```\n\nSub\n---\n\nLast snake_case word.";
        let x = extract(md);
        let texts: Vec<&str> = x.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Intro with a link and bold text.",
                "Install the package",
                "Run make",
                "Name: GST; Rate: 18%",
                "make run",
                "Last snake_case word."
            ]
        );
        assert_eq!(x.blocks[1].headings, ["Guide", "Setup"]);
        assert_eq!(x.blocks[4].kind, BlockKind::Code);
        assert_eq!(x.blocks[5].headings, ["Guide", "Sub"]);
        assert_eq!(x.title.as_deref(), Some("Guide"));
    }
}
