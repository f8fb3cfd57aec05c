//! HTML: headings `h1`–`h6` make the outline; paragraphs, list items,
//! preformatted text and table rows become blocks; scripts, styles and
//! navigation are left out.

use scraper::{ElementRef, Html, Node};

use super::text::{self, Outline};
use super::{Block, BlockKind, Extracted};

const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "nav", "head", "iframe", "object", "button",
    "select", "form",
];
const BLOCK: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "aside",
    "blockquote",
    "dd",
    "dt",
    "dl",
    "figure",
    "figcaption",
    "address",
    "header",
    "footer",
    "ul",
    "ol",
    "body",
    "html",
    "caption",
    "details",
    "summary",
    "hr",
    "br",
];

/// A heading's text without the permalink marks documentation generators
/// append (`¶`, `🔗`).
fn heading_text(t: &str) -> String {
    text::squash(t).trim_end_matches(['¶', '🔗', ' ']).to_string()
}

pub(super) fn extract(source: &str) -> Extracted {
    let doc = Html::parse_document(source);
    let title = scraper::Selector::parse("title")
        .ok()
        .and_then(|s| doc.select(&s).next().map(|t| text::squash(&t.text().collect::<String>())))
        .filter(|t| !t.is_empty());
    let mut w = Walker { outline: Outline::new(), blocks: Vec::new(), buffer: String::new() };
    w.walk(doc.root_element());
    w.flush(BlockKind::Paragraph);
    let title = title.or_else(|| w.blocks.first().and_then(|b| b.headings.first().cloned()));
    Extracted { blocks: w.blocks, pages: None, title }
}

struct Walker {
    outline: Outline,
    blocks: Vec<Block>,
    buffer: String,
}

impl Walker {
    fn flush(&mut self, kind: BlockKind) {
        let t = if kind == BlockKind::Code {
            self.buffer.trim_matches('\n').to_string()
        } else {
            text::squash(&self.buffer)
        };
        self.buffer.clear();
        if !t.trim().is_empty() {
            self.blocks.push(Block::new(t, kind, &text::path(&self.outline)));
        }
    }

    fn inline_text(el: ElementRef<'_>) -> String {
        let mut s = String::new();
        for d in el.descendants() {
            if let Node::Text(t) = d.value() {
                let skipped = d
                    .ancestors()
                    .filter_map(ElementRef::wrap)
                    .any(|a| SKIP.contains(&a.value().name()));
                if !skipped {
                    s.push_str(t);
                }
            } else if let Node::Element(e) = d.value()
                && e.name() == "br"
            {
                s.push(' ');
            }
        }
        s
    }

    fn walk(&mut self, el: ElementRef<'_>) {
        for child in el.children() {
            match child.value() {
                Node::Text(t) => self.buffer.push_str(t),
                Node::Element(e) => {
                    let Some(c) = ElementRef::wrap(child) else { continue };
                    let name = e.name();
                    if SKIP.contains(&name) {
                        continue;
                    }
                    match name {
                        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                            self.flush(BlockKind::Paragraph);
                            let level = (name.as_bytes()[1] - b'0') as usize;
                            let t = heading_text(&Self::inline_text(c));
                            if !t.is_empty() {
                                text::enter(&mut self.outline, level, t);
                            }
                        }
                        "li" => {
                            self.flush(BlockKind::Paragraph);
                            // Nested lists become their own items.
                            self.walk(c);
                            self.flush(BlockKind::ListItem);
                        }
                        "pre" => {
                            self.flush(BlockKind::Paragraph);
                            self.buffer.push_str(&c.text().collect::<String>());
                            self.flush(BlockKind::Code);
                        }
                        "table" => {
                            self.flush(BlockKind::Paragraph);
                            self.table(c);
                        }
                        n if BLOCK.contains(&n) => {
                            self.flush(BlockKind::Paragraph);
                            self.walk(c);
                            self.flush(BlockKind::Paragraph);
                        }
                        _ => self.walk(c),
                    }
                }
                _ => {}
            }
        }
    }

    fn table(&mut self, table: ElementRef<'_>) {
        let mut rows: Vec<Vec<String>> = Vec::new();
        for d in table.descendants().filter_map(ElementRef::wrap) {
            match d.value().name() {
                "tr" => rows.push(Vec::new()),
                "td" | "th" => {
                    if let Some(row) = rows.last_mut() {
                        row.push(text::squash(&Self::inline_text(d)));
                    }
                }
                _ => {}
            }
        }
        let blocks = super::docx::table_blocks(&rows, &text::path(&self.outline));
        self.blocks.extend(blocks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_is_kept() {
        let html = r#"<!doctype html><html><head><title>Refunds</title><style>p{}</style></head>
        <body><nav>Home | About</nav><h1>Refund policy<a class="headerlink" href="/refund">¶</a></h1><p>Refunds take <b>5 days</b>.</p>
        <h2>Exceptions</h2><ul><li>Gift cards</li><li>Sale items</li></ul>
        <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>₹499</td></tr></table>
        <script>alert(1)</script></body></html>"#;
        let x = extract(html);
        assert_eq!(x.title.as_deref(), Some("Refunds"));
        let texts: Vec<&str> = x.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Refunds take 5 days.", "Gift cards", "Sale items", "Plan: Basic; Price: ₹499"]
        );
        assert_eq!(x.blocks[1].headings, ["Refund policy", "Exceptions"]);
        assert_eq!(x.blocks[1].kind, BlockKind::ListItem);
        assert_eq!(x.blocks[3].table_header.as_deref(), Some("Plan | Price"));
    }
}
