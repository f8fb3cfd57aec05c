//! Retrieval: the query embedded with the tenant's embedder, the nearest
//! chunks and the full-text matches (each inside the tenant), fused by
//! weighted reciprocal rank, and each hit judged against the tenant's
//! relevance threshold.

use std::collections::HashMap;
use std::time::Instant;

use ai::CallContext;
use kernel::db::TenantTx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Result;
use crate::model::{Hit, Scores, Settings};
use crate::repo::{self, DocumentFilter};
use crate::{Knowledge, lexical, query};

/// Reciprocal-rank fusion's constant (Cormack et al.).
const RRF_K: f64 = 60.0;
/// Share of the query's words that makes a chunk relevant without the
/// vector's say-so.
const COVERAGE_BAR: f64 = 0.75;
/// A word in at most one chunk of this many, and in at most
/// [`RARE_MAX_CHUNKS`], is rare enough to bring the chunks holding it into
/// the full-text candidates (ranking which costs a read of each).
const RARE_SHARE: i64 = 5;
/// See [`RARE_SHARE`].
const RARE_MAX_CHUNKS: i64 = 1_000;
/// Rare words searched that way, rarest first.
const RARE_TERMS: usize = 6;
/// Chunks taken per rare word.
const PER_RARE_TERM: i64 = 50;
/// Characters of a hit's snippet.
const SNIPPET: usize = 240;
/// Vectors in scope up to which a search compares them all rather than
/// walking the HNSW index (bench/knowledge.sh: both cost about the same
/// here, and exact search never misses).
pub const EXACT_UP_TO: i64 = 5_000;

/// Which rankings a search uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Vector and full text, fused.
    #[default]
    Hybrid,
    /// Vector similarity only.
    Vector,
    /// Full text only.
    Text,
}

/// A retrieval.
#[derive(Debug, Clone)]
pub struct Retrieval {
    /// The query.
    pub query: String,
    /// Which documents.
    pub filter: DocumentFilter,
    /// Hits wanted.
    pub top_k: usize,
    /// Rankings.
    pub mode: SearchMode,
    /// Overrides the tenant's `max_distance`.
    pub max_distance: Option<f32>,
    /// Overrides the tenant's weights.
    pub weights: Option<(f32, f32)>,
    /// Keep hits below the threshold (marked `relevant: false`).
    pub keep_irrelevant: bool,
}

impl Retrieval {
    /// A hybrid retrieval of `top_k` hits over every document.
    pub fn new(query: impl Into<String>, top_k: usize) -> Retrieval {
        Retrieval {
            query: query.into(),
            filter: DocumentFilter::default(),
            top_k,
            mode: SearchMode::Hybrid,
            max_distance: None,
            weights: None,
            keep_irrelevant: false,
        }
    }
}

/// What a retrieval found.
#[derive(Debug, Clone)]
pub struct Retrieved {
    /// Hits, best first.
    pub hits: Vec<Hit>,
    /// The embedding model the query was embedded with.
    pub model: Option<String>,
    /// The query's words as searched.
    pub terms: Vec<String>,
    /// Milliseconds embedding the query.
    pub embed_ms: f64,
    /// Milliseconds in the database.
    pub search_ms: f64,
}

impl Knowledge {
    /// Embeds the query with `model` (the one the tenant's vectors come
    /// from).
    pub async fn embed_query(
        &self,
        ctx: &CallContext,
        model: &str,
        text: &str,
    ) -> Result<(String, Vec<f32>)> {
        let (_, mut e) = self.ai.embed(ctx, Some(model), &[text.to_string()]).await?;
        let v = e.vectors.pop().unwrap_or_default();
        Ok((model.to_string(), v))
    }

    /// Retrieves the chunks that answer `r.query`, in `tx` (the caller's
    /// tenant transaction): the only way other domains search.
    pub async fn retrieve(
        &self,
        ctx: &CallContext,
        tx: &mut TenantTx,
        r: &Retrieval,
    ) -> Result<Retrieved> {
        let settings = repo::settings::get(tx).await?;
        let models = repo::settings::models(tx).await?;
        let started = Instant::now();
        let embedded = if r.mode == SearchMode::Text {
            None
        } else {
            Some(self.embed_query(ctx, &models.active, &r.query).await?)
        };
        let embed_ms = started.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let hits = self.search_in(tx, r, &settings, embedded.as_ref()).await?;
        Ok(Retrieved {
            hits,
            model: embedded.map(|e| e.0),
            terms: query::terms(&r.query),
            embed_ms,
            search_ms: t.elapsed().as_secs_f64() * 1e3,
        })
    }

    /// The database half of a retrieval, with the query already embedded.
    pub async fn search_in(
        &self,
        tx: &mut TenantTx,
        r: &Retrieval,
        settings: &Settings,
        embedded: Option<&(String, Vec<f32>)>,
    ) -> Result<Vec<Hit>> {
        let terms = query::terms(&r.query);
        let candidates = (r.top_k * 4).clamp(20, 200) as i64;
        let in_scope = repo::chunks::prepare(tx, &r.filter).await?;
        // A few thousand vectors are compared faster than the index is
        // walked, and exactly.
        let plan = if in_scope <= EXACT_UP_TO {
            repo::chunks::VectorPlan::Exact
        } else {
            repo::chunks::VectorPlan::Index
        };
        let vector = match (r.mode, embedded) {
            (SearchMode::Text, _) | (_, None) => Vec::new(),
            (_, Some((model, v))) => {
                repo::chunks::nearest(tx, v, model, &r.filter, candidates, plan).await?
            }
        };
        let (text, counts) = match (r.mode, query::tsquery(&terms)) {
            (SearchMode::Vector, _) | (_, None) => (Vec::new(), None),
            (_, Some(q)) => {
                let languages = repo::chunks::languages(tx).await?;
                let mut found =
                    repo::chunks::matching(tx, &q, &languages, &r.filter, candidates).await?;
                let (n, dfs) = repo::chunks::term_counts(tx, &terms, &languages).await?;
                // The chunks holding each of the rarer words join the pool.
                let mut rare: Vec<(i64, &String)> = dfs
                    .iter()
                    .zip(&terms)
                    .filter(|(df, _)| **df > 0 && **df * RARE_SHARE <= n && **df <= RARE_MAX_CHUNKS)
                    .map(|(df, t)| (*df, t))
                    .collect();
                rare.sort();
                let rare: Vec<String> =
                    rare.into_iter().take(RARE_TERMS).map(|(_, t)| t.clone()).collect();
                if !rare.is_empty() {
                    let held = repo::chunks::holding_terms(
                        tx,
                        &rare,
                        &languages,
                        &r.filter,
                        PER_RARE_TERM,
                    )
                    .await?;
                    found.extend(held);
                }
                (found, Some((n, dfs)))
            }
        };
        let (wv, wt) = r.weights.unwrap_or((settings.vector_weight, settings.text_weight));
        let max_distance = f64::from(r.max_distance.unwrap_or(settings.max_distance));
        let mut scored: HashMap<Uuid, Scores> = HashMap::new();
        let blank = || Scores {
            fused: 0.0,
            vector_distance: None,
            vector_rank: None,
            text_score: None,
            text_rank: None,
            term_coverage: 0.0,
        };
        for (i, (id, d)) in vector.iter().enumerate() {
            let s = scored.entry(*id).or_insert_with(blank);
            s.vector_distance = Some(*d);
            s.vector_rank = Some(i + 1);
            s.fused += f64::from(wv) / (RRF_K + (i + 1) as f64);
        }
        for id in &text {
            scored.entry(*id).or_insert_with(blank);
        }
        let ids: Vec<Uuid> = scored.keys().copied().collect();
        let rows = repo::chunks::rows(tx, &ids).await?;
        // The full-text ranking: BM25 over every candidate either ranking
        // found (a chunk the vector found may hold the words too).
        if let Some((n, dfs)) = &counts {
            let docs: Vec<lexical::Doc<'_>> = rows
                .iter()
                .map(|row| lexical::Doc { headings: &row.headings, text: &row.text })
                .collect();
            let bm25 = lexical::scores(&lexical::BM25, &terms, dfs, *n, &docs);
            let mut ranked: Vec<(Uuid, f64)> = rows
                .iter()
                .zip(bm25)
                .filter(|(_, s)| *s > 0.0)
                .map(|(row, s)| (row.id, s))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            for (i, (id, score)) in ranked.into_iter().enumerate() {
                if let Some(s) = scored.get_mut(&id) {
                    s.text_score = Some(score);
                    s.text_rank = Some(i + 1);
                    s.fused += f64::from(wt) / (RRF_K + (i + 1) as f64);
                }
            }
        }
        let mut hits: Vec<Hit> = rows
            .into_iter()
            .filter_map(|row| {
                let mut scores = scored.remove(&row.id)?;
                scores.term_coverage =
                    query::coverage(&terms, &format!("{} {}", row.headings.join(" "), row.text));
                let near = scores.vector_distance.is_some_and(|d| d <= max_distance);
                let covered = terms.len() >= 2 && scores.term_coverage >= COVERAGE_BAR;
                let relevant = match r.mode {
                    SearchMode::Vector => near,
                    SearchMode::Text => covered || terms.len() == 1 && scores.term_coverage >= 1.0,
                    SearchMode::Hybrid => near || covered,
                };
                let (snippet, highlights) = query::snippet(&row.text, &terms, SNIPPET);
                Some(Hit {
                    chunk_id: row.id,
                    document_id: row.document_id,
                    document_title: row.title,
                    page: row.page,
                    headings: row.headings,
                    text: row.text,
                    snippet,
                    highlights,
                    scores,
                    relevant,
                })
            })
            .filter(|h| h.relevant || r.keep_irrelevant)
            .collect();
        hits.sort_by(|a, b| {
            b.relevant
                .cmp(&a.relevant)
                .then(b.scores.fused.total_cmp(&a.scores.fused))
                .then(a.chunk_id.cmp(&b.chunk_id))
        });
        hits.truncate(r.top_k);
        Ok(hits)
    }
}
