//! The words of a query, pure: terms for full-text search, how much of a
//! query a chunk covers, and the snippet with the matches marked.

use std::collections::HashSet;

use crate::model::Span;

/// English words that carry no meaning for search.
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "no",
    "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out",
    "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
    "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "tell", "please",
    "explain", "describe", "much", "many", "use", "used", "using", "get", "give",
];

/// Whether a lower-cased word is a stopword.
pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

/// The lower-cased words of a text (letters and digits).
pub fn words(text: &str) -> impl Iterator<Item = (usize, usize, String)> + '_ {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, i, text[s..i].to_lowercase()));
        }
    }
    out.into_iter()
}

/// A crude English stem (plural, -ing, -ed), to match `payments` with
/// `payment`.
pub fn stem(w: &str) -> String {
    let n = w.chars().count();
    for (suffix, keep, min) in [
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("ed", "", 5),
        ("es", "", 5),
        ("s", "", 4),
    ] {
        if n >= min && w.ends_with(suffix) && !(suffix == "s" && w.ends_with("ss")) {
            return format!("{}{keep}", &w[..w.len() - suffix.len()]);
        }
    }
    w.to_string()
}

/// The query's meaningful words, de-duplicated, in order.
pub fn terms(query: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    words(query)
        .map(|(_, _, w)| w)
        .filter(|w| {
            !is_stopword(w) && (w.chars().count() > 1 || w.chars().all(|c| c.is_ascii_digit()))
        })
        .filter(|w| seen.insert(stem(w)))
        .take(32)
        .collect()
}

/// A query's terms as `to_tsquery` expressions, from the strictest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsQueries {
    /// Every term.
    pub all: String,
    /// All but one of the terms, any one missing (three to ten terms).
    pub most: Option<String>,
    /// Any term.
    pub any: String,
}

/// The `to_tsquery` expressions of the terms (`None` without terms).
pub fn tsquery(terms: &[String]) -> Option<TsQueries> {
    if terms.is_empty() {
        return None;
    }
    let most = (3..=10).contains(&terms.len()).then(|| {
        (0..terms.len())
            .map(|skip| {
                let kept: Vec<&str> = terms
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, t)| t.as_str())
                    .collect();
                format!("({})", kept.join(" & "))
            })
            .collect::<Vec<_>>()
            .join(" | ")
    });
    Some(TsQueries { all: terms.join(" & "), most, any: terms.join(" | ") })
}

/// Share of the terms whose stem occurs in the text.
pub fn coverage(terms: &[String], text: &str) -> f64 {
    if terms.is_empty() {
        return 0.0;
    }
    let stems: HashSet<String> = words(text).map(|(_, _, w)| stem(&w)).collect();
    let found = terms.iter().filter(|t| stems.contains(&stem(t))).count();
    found as f64 / terms.len() as f64
}

/// A passage of at most `width` characters around the first place where
/// the terms cluster, and where they occur in it (code-point offsets).
pub fn snippet(text: &str, terms: &[String], width: usize) -> (String, Vec<Span>) {
    let stems: HashSet<String> = terms.iter().map(|t| stem(t)).collect();
    let hits: Vec<(usize, usize)> =
        words(text).filter(|(_, _, w)| stems.contains(&stem(w))).map(|(s, e, _)| (s, e)).collect();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let total = chars.len();
    let (from, to) = if total <= width {
        (0, total)
    } else {
        // The window (in chars) holding most hits, starting a little
        // before the first of them, at a word boundary.
        let cidx = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
        let mut best = (0usize, 0usize);
        for &(s, _) in &hits {
            let start = cidx(s).saturating_sub(width / 5);
            let count = hits
                .iter()
                .filter(|(h, _)| {
                    let c = cidx(*h);
                    c >= start && c < start + width
                })
                .count();
            if count > best.1 {
                best = (start, count);
            }
        }
        let mut start = best.0.min(total - width);
        while start > 0 && !chars[start - 1].1.is_whitespace() {
            start -= 1;
        }
        let mut end = (start + width).min(total);
        while end < total && end > start + width / 2 && !chars[end].1.is_whitespace() {
            end -= 1;
        }
        (start, end)
    };
    let byte = |c: usize| if c >= total { text.len() } else { chars[c].0 };
    let (bs, be) = (byte(from), byte(to));
    let mut prefix = String::new();
    if from > 0 {
        prefix.push('…');
    }
    let offset = prefix.chars().count();
    let mut s = format!("{prefix}{}", text[bs..be].trim_end());
    if to < total {
        s.push('…');
    }
    let spans = hits
        .into_iter()
        .filter(|(hs, he)| *hs >= bs && *he <= be)
        .map(|(hs, he)| Span {
            start: offset + text[bs..hs].chars().count(),
            end: offset + text[bs..he].chars().count(),
        })
        .collect();
    (s, spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_drop_stopwords_and_repeats() {
        assert_eq!(
            terms("What is the GST rate for payments, and the payment date?"),
            ["gst", "rate", "payments", "date"]
        );
        assert_eq!(tsquery(&terms("the of")), None);
        let q = tsquery(&terms("refund policy")).unwrap();
        assert_eq!(
            (q.all.as_str(), q.any.as_str(), q.most),
            ("refund & policy", "refund | policy", None)
        );
        let q = tsquery(&terms("refund policy gift cards")).unwrap();
        assert_eq!(
            q.most.as_deref(),
            Some(
                "(policy & gift & cards) | (refund & gift & cards) | (refund & policy & cards) | (refund & policy & gift)"
            )
        );
        assert_eq!(terms("Section 7 of the act"), ["section", "7", "act"]);
    }

    #[test]
    fn coverage_uses_stems() {
        let text = "Our policy: each payment is refunded within 5 days.";
        assert!((coverage(&terms("refund payments policy"), text) - 1.0).abs() < 1e-9);
        assert!((coverage(&terms("refund tax policy"), text) - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn snippets_mark_the_matches() {
        let (s, spans) = snippet("Refunds take five days.", &terms("refund days"), 100);
        assert_eq!(s, "Refunds take five days.");
        let marked: Vec<String> = spans
            .iter()
            .map(|sp| s.chars().skip(sp.start).take(sp.end - sp.start).collect())
            .collect();
        assert_eq!(marked, ["Refunds", "days"]);
        let long = format!(
            "{} The refund window is thirty days. {}",
            "filler ".repeat(60),
            "tail ".repeat(60)
        );
        let (s, spans) = snippet(&long, &terms("refund window"), 80);
        assert!(s.starts_with('…') && s.ends_with('…') && s.chars().count() <= 82, "{s}");
        let marked: Vec<String> = spans
            .iter()
            .map(|sp| s.chars().skip(sp.start).take(sp.end - sp.start).collect())
            .collect();
        assert_eq!(marked, ["refund", "window"]);
    }
}
