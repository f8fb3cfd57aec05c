//! PDF: the text layer page by page (`pdf-extract`), page headers and
//! footers that repeat dropped, headings read from the lines' shape.

use std::collections::HashMap;

use super::text::{self, Outline};
use super::{ExtractError, Extracted};

pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let encrypted = has_encrypt_dictionary(bytes);
    // The parser can panic on hostile input; a panic is a damaged file.
    let pages = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes));
    let pages = match pages {
        Ok(Ok(pages)) => pages,
        Ok(Err(e)) if encrypted => {
            tracing::debug!(error = %e, "encrypted PDF");
            return Err(ExtractError::Encrypted);
        }
        Ok(Err(e)) => return Err(ExtractError::Corrupt(short(&e.to_string()))),
        Err(_) if encrypted => return Err(ExtractError::Encrypted),
        Err(_) => return Err(ExtractError::Corrupt("the PDF could not be parsed".into())),
    };
    let letters: usize =
        pages.iter().map(|p| p.chars().filter(|c| c.is_alphanumeric()).count()).sum();
    if letters == 0 && encrypted {
        return Err(ExtractError::Encrypted);
    }
    if !pages.is_empty() && letters < 16 * pages.len().min(4) {
        return Err(ExtractError::NoTextLayer);
    }
    let pages = drop_running_lines(pages);
    let mut outline = Outline::new();
    let mut blocks = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        blocks.extend(text::blocks(page, &mut outline, Some(i as u32 + 1)));
    }
    let title = blocks.first().and_then(|b| b.headings.first().cloned());
    Ok(Extracted { blocks, pages: Some(pages.len() as u32), title })
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Whether the trailer names an `/Encrypt` dictionary.
fn has_encrypt_dictionary(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(8).any(|w| w == b"/Encrypt")
        || bytes.windows(8).take(1 << 20).any(|w| w == b"/Encrypt")
}

/// A page's first or last line that recurs (digits aside) on at least
/// half the pages (and at least three) is a running header, footer or page
/// number: removed. Two passes, for two-line headers.
fn drop_running_lines(mut pages: Vec<String>) -> Vec<String> {
    let key = |l: &str| -> String {
        l.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect()
    };
    let threshold = (pages.len() / 2).max(3);
    for _ in 0..2 {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for p in &pages {
            let mut lines = p.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().map(key);
            let last = lines.next_back().map(key);
            for k in first.iter().chain(last.iter().filter(|l| Some(*l) != first.as_ref())) {
                *seen.entry(k.clone()).or_default() += 1;
            }
        }
        let running: std::collections::HashSet<String> =
            seen.into_iter().filter(|(_, n)| *n >= threshold).map(|(k, _)| k).collect();
        if running.is_empty() {
            break;
        }
        for p in pages.iter_mut() {
            let lines: Vec<&str> = p.lines().collect();
            let content: Vec<usize> =
                (0..lines.len()).filter(|&i| !lines[i].trim().is_empty()).collect();
            let edges = [content.first().copied(), content.last().copied()];
            *p = lines
                .iter()
                .enumerate()
                .filter(|(i, l)| !(edges.contains(&Some(*i)) && running.contains(&key(l.trim()))))
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n");
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_headers_and_page_numbers_go() {
        let words = ["alpha", "beta", "gamma", "delta"];
        let pages: Vec<String> = (1..=4)
            .map(|i| {
                let w = words[i - 1];
                format!("ACME Handbook\nConfidential\n\nThe {w} section.\n\nPage {i} of 4")
            })
            .collect();
        let out = drop_running_lines(pages);
        assert_eq!(out[0].trim(), "The alpha section.");
        assert_eq!(out[3].trim(), "The delta section.");
    }
}
