//! Chunking: a document's blocks into pieces of about `size` characters
//! that overlap by about `overlap`, each inside one section (one heading
//! path, one page, one table) so its citation is exact, split at sentence
//! boundaries where possible and never inside a word.

use crate::extract::{Block, BlockKind};

/// How to chunk.
#[derive(Debug, Clone, Copy)]
pub struct ChunkOptions {
    /// Target characters per chunk.
    pub size: usize,
    /// Characters repeated from the end of the previous chunk of the same
    /// section.
    pub overlap: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        ChunkOptions { size: 500, overlap: 50 }
    }
}

/// A chunk of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Its text.
    pub text: String,
    /// Page number from 1, for PDF.
    pub page: Option<u32>,
    /// The headings it sits under.
    pub headings: Vec<String>,
}

impl Chunk {
    /// What is embedded and indexed: the heading path, then the text.
    pub fn indexed_text(&self) -> String {
        indexed(&self.headings, &self.text)
    }
}

/// What is embedded for a chunk of `text` under `headings`.
pub fn indexed(headings: &[String], text: &str) -> String {
    if headings.is_empty() {
        text.to_string()
    } else {
        format!("{}\n{}", headings.join(" > "), text)
    }
}

/// Abbreviations a full stop does not end a sentence after.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "no", "nos",
    "rs", "fig", "figs", "vol", "pp", "approx", "inc", "ltd", "pvt", "co", "corp", "dept", "sec",
    "art", "cf", "al", "viz", "u.s", "a.m", "p.m",
];

/// The sentences of a text, as slices of it (trimmed).
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'.' | b'!' | b'?') {
            // Run of closing punctuation and quotes.
            let mut end = i + 1;
            while end < bytes.len()
                && matches!(bytes[end], b'.' | b'!' | b'?' | b'"' | b'\'' | b')')
            {
                end += 1;
            }
            let followed = end >= bytes.len()
                || bytes[end] == b' '
                    && text[end..].trim_start().starts_with(|c: char| {
                        c.is_uppercase()
                            || c.is_ascii_digit()
                            || c == '"'
                            || c == '('
                            || !c.is_alphabetic()
                    });
            if followed && !(b == b'.' && is_abbreviation(&text[start..i])) {
                let s = text[start..end].trim();
                if !s.is_empty() {
                    out.push(s);
                }
                start = end;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

fn is_abbreviation(before: &str) -> bool {
    let word = before.rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    let w = word.to_lowercase();
    // A single letter is an initial ("J. Smith"); a number is a list or
    // section marker ("Section 3.").
    (w.chars().count() == 1 && w.chars().all(char::is_alphabetic))
        || ABBREVIATIONS.contains(&w.as_str())
}

/// Splits `text` into pieces of at most `size` characters at whitespace
/// (a single word longer than `size` is cut, the only cut inside a word).
fn split_words(text: &str, size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let wl = word.chars().count();
        if wl > size {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            let chars: Vec<char> = word.chars().collect();
            out.extend(chars.chunks(size).map(|c| c.iter().collect::<String>()));
            continue;
        }
        if !cur.is_empty() && cur.chars().count() + 1 + wl > size {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The last whole words of `text` within `n` characters.
fn tail_words(text: &str, n: usize) -> String {
    let mut taken: Vec<&str> = Vec::new();
    let mut len = 0;
    for w in text.split_whitespace().rev() {
        let l = w.chars().count() + usize::from(!taken.is_empty());
        if len + l > n {
            break;
        }
        len += l;
        taken.push(w);
    }
    taken.reverse();
    taken.join(" ")
}

struct Unit {
    text: String,
    /// Starts a new block (joined with a newline, not a space).
    block_start: bool,
}

/// Chunks a document's blocks.
pub fn chunk(blocks: &[Block], opts: ChunkOptions) -> Vec<Chunk> {
    let size = opts.size.max(50);
    let overlap = opts.overlap.min(size / 2);
    let mut out = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        // One section: consecutive blocks with the same place.
        let key = |b: &Block| (b.headings.clone(), b.page, b.table_header.clone());
        let k = key(&blocks[i]);
        let mut j = i;
        while j < blocks.len() && key(&blocks[j]) == k {
            j += 1;
        }
        let section = &blocks[i..j];
        let prefix = k.2.clone();
        let budget =
            size.saturating_sub(prefix.as_ref().map_or(0, |p| p.chars().count() + 1)).max(size / 2);
        let mut units = Vec::new();
        for b in section {
            let pieces: Vec<String> = match b.kind {
                // Rows and items are kept whole where they fit.
                BlockKind::TableRow | BlockKind::ListItem | BlockKind::Code
                    if b.text.chars().count() <= budget =>
                {
                    vec![b.text.clone()]
                }
                _ => sentences(&b.text)
                    .into_iter()
                    .flat_map(|s| {
                        if s.chars().count() <= budget {
                            vec![s.to_string()]
                        } else {
                            split_words(s, budget)
                        }
                    })
                    .collect(),
            };
            for (n, p) in pieces.into_iter().enumerate() {
                units.push(Unit { text: p, block_start: n == 0 });
            }
        }
        for text in pack(&units, budget, overlap) {
            let text = match &prefix {
                Some(p) => format!("{p}\n{text}"),
                None => text,
            };
            out.push(Chunk { text, page: k.1, headings: k.0.clone() });
        }
        i = j;
    }
    out
}

fn join(units: &[&Unit]) -> String {
    let mut s = String::new();
    for (n, u) in units.iter().enumerate() {
        if n > 0 {
            s.push(if u.block_start { '\n' } else { ' ' });
        }
        s.push_str(&u.text);
    }
    s
}

/// Packs units greedily into texts of at most `size` characters; each
/// text after the first starts with the previous one's last ~`overlap`
/// characters (whole words) when it continues a paragraph. A paragraph
/// that would not fit in what is
/// left of a text, but fits in a text of its own, starts the next one
/// (once this one is a third full): a passage is then read whole, under
/// its own first sentence, rather than begun at the foot of the chunk
/// before.
fn pack(units: &[Unit], size: usize, overlap: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur: Vec<&Unit> = Vec::new();
    let mut carried = String::new();
    let len = |cur: &[&Unit], carried: &str| {
        let c = carried.chars().count();
        let body = join(cur).chars().count();
        c + body + usize::from(c > 0 && body > 0)
    };
    // Characters of the paragraph each unit starts (0 inside one).
    let mut paragraph = vec![0; units.len()];
    let mut start = 0;
    for (i, u) in units.iter().enumerate() {
        if u.block_start {
            start = i;
        }
        paragraph[start] += u.text.chars().count() + usize::from(i > start);
    }
    for (i, u) in units.iter().enumerate() {
        let now = len(&cur, &carried);
        let next_len = now + 1 + u.text.chars().count();
        let whole = paragraph[i];
        let move_on = u.block_start && now + 1 + whole > size && whole <= size && now >= size / 3;
        if !cur.is_empty() && (next_len > size || move_on) {
            let text = with_carried(&carried, &join(&cur));
            carried = tail_words(&text, overlap);
            // The carried words must leave room for the unit; a paragraph
            // that starts a text afresh needs none.
            if move_on || carried.chars().count() + 1 + u.text.chars().count() > size {
                carried.clear();
            }
            out.push(text);
            cur.clear();
        }
        cur.push(u);
    }
    if !cur.is_empty() {
        out.push(with_carried(&carried, &join(&cur)));
    }
    out
}

fn with_carried(carried: &str, body: &str) -> String {
    if carried.is_empty() { body.to_string() } else { format!("{carried} {body}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str, headings: &[&str], page: Option<u32>) -> Block {
        Block {
            text: text.to_string(),
            kind: BlockKind::Paragraph,
            page,
            headings: headings.iter().map(|s| s.to_string()).collect(),
            table_header: None,
        }
    }

    #[test]
    fn a_paragraph_that_fits_a_chunk_is_not_split() {
        let a = "Filterfalse keeps the false items. ".repeat(7);
        let b = "Groupby makes an iterator of keys and groups. It needs sorted input. ".repeat(4);
        let blocks = [para(a.trim(), &["Itertools"], None), para(b.trim(), &["Itertools"], None)];
        let chunks = chunk(&blocks, ChunkOptions { size: 500, overlap: 50 });
        assert_eq!(chunks.len(), 2, "{chunks:?}");
        assert_eq!(chunks[0].text, a.trim());
        assert_eq!(
            chunks[1].text,
            b.trim(),
            "the second paragraph whole, without the first's tail"
        );
        // A paragraph longer than a chunk still continues with the overlap.
        let long = "Groupby makes an iterator of keys and groups. ".repeat(15);
        let chunks =
            chunk(&[para(long.trim(), &[], None)], ChunkOptions { size: 500, overlap: 50 });
        assert!(chunks.len() >= 2);
        let last = "Groupby makes an iterator of keys and groups.";
        assert!(chunks[0].text.ends_with(last) && chunks[1].text.starts_with(last), "{chunks:?}");
    }

    #[test]
    fn sentence_boundaries() {
        assert_eq!(
            sentences("Pay by Mr. Rao e.g. today. Then file GSTR-1! Done? yes. Section 3. Next"),
            ["Pay by Mr. Rao e.g. today.", "Then file GSTR-1!", "Done? yes.", "Section 3.", "Next"]
        );
        assert_eq!(
            sentences("Rates are 18.5% now. J. Smith agreed."),
            ["Rates are 18.5% now.", "J. Smith agreed."]
        );
    }

    #[test]
    fn chunks_respect_size_overlap_and_words() {
        let sentence = "The quick brown fox jumps over the lazy dog near the river bank.";
        let text = vec![sentence; 30].join(" ");
        let chunks =
            chunk(&[para(&text, &["Intro"], Some(2))], ChunkOptions { size: 200, overlap: 40 });
        assert!(chunks.len() >= 10, "{}", chunks.len());
        let words: std::collections::HashSet<&str> = sentence.split_whitespace().collect();
        for (n, c) in chunks.iter().enumerate() {
            assert!(c.text.chars().count() <= 200, "chunk {n} is {} chars", c.text.len());
            assert_eq!(c.page, Some(2));
            assert_eq!(c.headings, ["Intro"]);
            // Never inside a word: every token is a whole word.
            assert!(c.text.split_whitespace().all(|w| words.contains(w)), "{}", c.text);
        }
        // Consecutive chunks overlap: the next starts with the previous one's tail.
        for pair in chunks.windows(2) {
            let tail: String =
                pair[0].text.split_whitespace().rev().take(3).collect::<Vec<_>>().join(" ");
            let head: String =
                pair[1].text.split_whitespace().take(12).collect::<Vec<_>>().join(" ");
            let last = pair[0].text.split_whitespace().last().unwrap_or_default();
            assert!(
                head.contains(last),
                "no overlap between {:?} and {:?} ({tail})",
                pair[0].text,
                pair[1].text
            );
        }
    }

    #[test]
    fn sections_pages_and_tables_do_not_mix() {
        let mut row = para("Plan: Basic; Price: 499", &["Prices"], None);
        row.kind = BlockKind::TableRow;
        row.table_header = Some("Plan | Price".into());
        let blocks = vec![
            para("Alpha one.", &["A"], Some(1)),
            para("Alpha two.", &["A"], Some(2)),
            para("Beta.", &["A", "B"], Some(2)),
            row.clone(),
            row,
        ];
        let chunks = chunk(&blocks, ChunkOptions::default());
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Alpha one.",
                "Alpha two.",
                "Beta.",
                "Plan | Price\nPlan: Basic; Price: 499\nPlan: Basic; Price: 499"
            ]
        );
        assert_eq!(chunks[2].headings, ["A", "B"]);
        assert_eq!(chunks[0].indexed_text(), "A\nAlpha one.");
    }

    #[test]
    fn a_giant_word_is_the_only_cut() {
        let url = "x".repeat(130);
        let chunks = chunk(
            &[para(&format!("see {url} end"), &[], None)],
            ChunkOptions { size: 60, overlap: 10 },
        );
        assert!(chunks.iter().all(|c| c.text.chars().count() <= 60));
        let joined: String = chunks.iter().map(|c| c.text.replace(' ', "")).collect();
        assert!(joined.contains(&"x".repeat(60)));
    }
}
