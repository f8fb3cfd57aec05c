//! Lexical relevance, pure: BM25 over the chunks a search is choosing
//! among, with the company's document frequencies (kept per lexeme in
//! `knowledge_terms`). PostgreSQL's `ts_rank_cd` knows neither how rare a
//! word is nor when more of it stops meaning more, so it ranked a chunk
//! that repeats a common word above the one holding the rare one.

use std::collections::HashMap;

use crate::query;

/// BM25's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25 {
    /// How soon more occurrences stop counting.
    pub k1: f64,
    /// How much a long chunk is discounted (0 none, 1 fully).
    pub b: f64,
    /// What an occurrence in the headings counts for, against one in the
    /// text.
    pub heading_weight: f64,
}

/// Measured on `bench/knowledge_eval`: chunks are short and of even length,
/// so early saturation and little length normalisation rank best; a word
/// of the headings counts twice.
pub const BM25: Bm25 = Bm25 { k1: 0.9, b: 0.2, heading_weight: 2.0 };

/// Inverse document frequency of a term found in `df` of `n` chunks
/// (the form that is never negative).
pub fn idf(df: i64, n: i64) -> f64 {
    let n = n.max(df).max(1) as f64;
    let df = df.max(0) as f64;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// A chunk as BM25 reads it.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    /// Its heading path.
    pub headings: &'a [String],
    /// Its text.
    pub text: &'a str,
}

/// Each chunk's BM25 for `terms` (whose document frequencies are `dfs`,
/// among `n` chunks), divided by the most any chunk could score
/// (Σ idf · (k1 + 1)): comparable across queries, in [0, 1).
pub fn scores(p: &Bm25, terms: &[String], dfs: &[i64], n: i64, docs: &[Doc<'_>]) -> Vec<f64> {
    let stems: Vec<String> = terms.iter().map(|t| query::stem(t)).collect();
    let idfs: Vec<f64> = dfs.iter().map(|&df| idf(df, n)).collect();
    let bound: f64 = idfs.iter().map(|i| i * (p.k1 + 1.0)).sum();
    if stems.is_empty() || bound <= 0.0 || docs.is_empty() {
        return vec![0.0; docs.len()];
    }
    // Weighted occurrences of each stem, and the length, of every chunk.
    let counted: Vec<(HashMap<String, f64>, f64)> = docs
        .iter()
        .map(|d| {
            let mut tf: HashMap<String, f64> = HashMap::new();
            let mut len = 0.0;
            let mut count = |text: &str, w: f64| {
                for (_, _, word) in query::words(text) {
                    len += w;
                    let s = query::stem(&word);
                    if stems.contains(&s) {
                        *tf.entry(s).or_default() += w;
                    }
                }
            };
            for h in d.headings {
                count(h, p.heading_weight);
            }
            count(d.text, 1.0);
            (tf, len)
        })
        .collect();
    let avg = (counted.iter().map(|c| c.1).sum::<f64>() / docs.len() as f64).max(1.0);
    counted
        .iter()
        .map(|(tf, len)| {
            let norm = p.k1 * (1.0 - p.b + p.b * len / avg);
            let s: f64 = stems
                .iter()
                .zip(&idfs)
                .map(|(s, idf)| {
                    let f = tf.get(s).copied().unwrap_or(0.0);
                    idf * f * (p.k1 + 1.0) / (f + norm)
                })
                .sum();
            s / bound
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(headings: &'a [String], text: &'a str) -> Doc<'a> {
        Doc { headings, text }
    }

    fn terms(ts: &[&str]) -> Vec<String> {
        ts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn idf_falls_with_frequency_and_stays_positive() {
        assert!(idf(1, 1000) > idf(10, 1000));
        assert!(idf(10, 1000) > idf(900, 1000));
        assert!(idf(1000, 1000) > 0.0);
        assert!(idf(5, 0) > 0.0, "counts behind the chunk total still give a weight");
    }

    #[test]
    fn the_rare_word_outranks_the_repeated_common_one() {
        let none: Vec<String> = Vec::new();
        let docs = [
            doc(&none, "python python python python python lists"),
            doc(&none, "a deque is a double-ended queue in python"),
        ];
        let s = scores(&BM25, &terms(&["python", "deque"]), &[900, 3], 1000, &docs);
        assert!(s[1] > s[0], "{s:?}");
        assert!(s.iter().all(|x| (0.0..1.0).contains(x)));
    }

    #[test]
    fn more_occurrences_saturate() {
        let none: Vec<String> = Vec::new();
        let many = "refund ".repeat(20);
        let docs = [doc(&none, "refund"), doc(&none, "refund refund"), doc(&none, many.trim())];
        let s = scores(&BM25, &terms(&["refund"]), &[10], 1000, &docs);
        assert!(s[2] > s[1] && s[1] > s[0]);
        assert!(s[2] < 2.0 * s[0], "twenty times is not twenty times as relevant: {s:?}");
    }

    #[test]
    fn headings_count_and_stems_match() {
        let h = vec!["Refund policy".to_string()];
        let none: Vec<String> = Vec::new();
        let docs =
            [doc(&h, "Money back within five days."), doc(&none, "Money back within five days.")];
        let s = scores(&BM25, &terms(&["refunds"]), &[5], 100, &docs);
        assert!(s[0] > 0.0 && s[1] == 0.0, "{s:?}");
    }

    #[test]
    fn dotted_names_match_their_parts() {
        let none: Vec<String> = Vec::new();
        let docs =
            [doc(&none, "Use json.dumps(obj, indent=4)."), doc(&none, "Serialise with pickle.")];
        let s = scores(&BM25, &terms(&["json", "dumps"]), &[4, 2], 100, &docs);
        assert!(s[0] > 0.0 && s[1] == 0.0);
    }

    #[test]
    fn nothing_to_score() {
        let none: Vec<String> = Vec::new();
        assert_eq!(scores(&BM25, &[], &[], 10, &[doc(&none, "text")]), [0.0]);
        assert!(scores(&BM25, &terms(&["x"]), &[1], 10, &[]).is_empty());
    }
}
