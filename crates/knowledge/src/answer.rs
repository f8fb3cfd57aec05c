//! Answers: a follow-up rewritten with the history, the chunks retrieved,
//! then — when none is relevant — "not covered" without calling any model;
//! otherwise sentences quoted from the chunks with their citations
//! (offline: the bundled model is a base model and cannot answer), or an
//! answer written by the tenant's capable model from numbered passages.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use ai::{CallContext, ChatEvent, ChatRequest, Role};
use futures::StreamExt;
use futures::stream::BoxStream;
use uuid::Uuid;

use crate::chunk::sentences;
use crate::error::Result;
use crate::model::{AnswerMode, Citation, Hit};
use crate::repo::DocumentFilter;
use crate::retrieve::{Retrieval, SearchMode};
use crate::{Knowledge, query, repo};

/// What the answer says when the documents do not cover a question.
pub const NOT_COVERED: &str = "Your documents don't cover this. Try other words, or upload a \
                               document that answers it.";
/// The label of a quoted answer.
pub const QUOTED: &str = "Quoted from your documents:";

/// How to answer.
#[derive(Debug, Clone, Default)]
pub struct AnswerOptions {
    /// Earlier turns, oldest first: (`user` | `assistant`, text).
    pub history: Vec<(String, String)>,
    /// Which documents.
    pub filter: DocumentFilter,
    /// Overrides the tenant's `top_k`.
    pub top_k: Option<usize>,
    /// Overrides the tenant's answer mode.
    pub mode: Option<AnswerMode>,
    /// The caller's own instructions for a writing model (a persona, house
    /// rules, the language to answer in), added to the system message
    /// after the rules of answering from the passages; never taken from
    /// the question.
    pub instructions: Option<String>,
}

/// A finished answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Its text.
    pub text: String,
    /// How it was made.
    pub mode: AnswerMode,
    /// The question as searched.
    pub query: String,
    /// `[n]` → chunk.
    pub citations: Vec<Citation>,
    /// Every chunk it was made from.
    pub chunk_ids: Vec<Uuid>,
    /// The provider that wrote it.
    pub provider: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Completion tokens.
    pub completion_tokens: u32,
    /// Milliseconds rewriting, retrieving and building the prompt.
    pub retrieval_ms: f64,
    /// Milliseconds to the first token.
    pub first_token_ms: Option<f64>,
    /// Milliseconds in all.
    pub latency_ms: f64,
}

/// What an answer stream yields: tokens, then the citations, then the
/// whole answer.
#[derive(Debug, Clone)]
pub enum AnswerEvent {
    /// More text.
    Token(String),
    /// The citations of the text so far (at the end).
    Citations(Vec<Citation>),
    /// The end.
    Done(Box<Answer>),
}

/// An answer as it streams; dropping it stops the model.
pub type AnswerStream = BoxStream<'static, Result<AnswerEvent>>;

const FOLLOW_UP_WORDS: &[&str] = &[
    "it", "its", "they", "them", "their", "that", "this", "those", "these", "he", "she", "his",
    "her", "there", "one", "ones", "same", "else", "also", "more",
];

/// Whether a question leans on the one before it.
pub fn is_follow_up(question: &str) -> bool {
    let words: Vec<String> = query::words(question).map(|(_, _, w)| w).collect();
    let lower = question.trim().to_lowercase();
    words.iter().any(|w| FOLLOW_UP_WORDS.contains(&w.as_str()))
        || ["and ", "what about", "how about", "why ", "why?", "and?"]
            .iter()
            .any(|p| lower.starts_with(p))
        || query::terms(question).len() <= 1
}

/// A follow-up made to stand alone without a model: the earlier
/// question's terms added to it.
pub fn rewrite_offline(previous: &str, question: &str) -> String {
    let own: std::collections::HashSet<String> =
        query::terms(question).iter().map(|t| query::stem(t)).collect();
    let extra: Vec<String> =
        query::terms(previous).into_iter().filter(|t| !own.contains(&query::stem(t))).collect();
    if extra.is_empty() {
        question.to_string()
    } else {
        format!("{question} ({})", extra.join(" "))
    }
}

/// Picks the sentences of the hits that best answer the query: each
/// scored by the query words it holds (rarer words count more) and its
/// chunk's rank; at most four, in the chunks' order. Returns the answer
/// text and its citations.
pub fn quote(terms: &[String], hits: &[Hit]) -> (String, Vec<Citation>) {
    struct Candidate<'a> {
        hit: usize,
        pos: usize,
        text: &'a str,
        score: f64,
    }
    let stems: Vec<String> = terms.iter().map(|t| query::stem(t)).collect();
    let mut all: Vec<Candidate<'_>> = Vec::new();
    for (h, hit) in hits.iter().enumerate() {
        for (p, s) in sentences(&hit.text).into_iter().enumerate() {
            // A table row or list item is a sentence of its own already.
            for line in s.split('\n') {
                let line = line.trim();
                if line.chars().count() >= 12 {
                    all.push(Candidate { hit: h, pos: p, text: line, score: 0.0 });
                }
            }
        }
    }
    if all.is_empty() {
        return (String::new(), Vec::new());
    }
    // Document frequency of each stem over the candidates.
    let sets: Vec<std::collections::HashSet<String>> = all
        .iter()
        .map(|c| query::words(c.text).map(|(_, _, w)| query::stem(&w)).collect())
        .collect();
    let n = all.len() as f64;
    let idf: HashMap<&String, f64> = stems
        .iter()
        .map(|s| {
            let df = sets.iter().filter(|set| set.contains(s)).count() as f64;
            (s, (1.0 + n / (1.0 + df)).ln())
        })
        .collect();
    let total: f64 = idf.values().sum::<f64>().max(1e-9);
    for (c, set) in all.iter_mut().zip(&sets) {
        let matched: f64 = stems.iter().filter(|s| set.contains(*s)).map(|s| idf[s]).sum();
        c.score = matched / total + 0.2 / (1.0 + c.hit as f64) - 0.01 * c.pos as f64;
    }
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by(|&a, &b| all[b].score.total_cmp(&all[a].score));
    let best = all[order[0]].score;
    let mut chosen: Vec<usize> = Vec::new();
    let mut chars = 0;
    for i in order {
        let c = &all[i];
        if chosen.len() >= 4 || chars + c.text.len() > 700 {
            break;
        }
        // Keep sentences close to the best one, at most two per chunk.
        if c.score < best * 0.5 || chosen.iter().filter(|&&j| all[j].hit == c.hit).count() >= 2 {
            continue;
        }
        if chosen.iter().any(|&j| all[j].text == c.text) {
            continue;
        }
        chars += c.text.len();
        chosen.push(i);
    }
    chosen.sort_by_key(|&i| (all[i].hit, all[i].pos));
    let mut citations: Vec<Citation> = Vec::new();
    let mut lines = Vec::new();
    for i in chosen {
        let c = &all[i];
        let hit = &hits[c.hit];
        let n = match citations.iter().find(|x| x.chunk_id == hit.chunk_id) {
            Some(x) => x.n,
            None => {
                citations.push(citation(citations.len() + 1, hit, Some(c.text)));
                citations.len()
            }
        };
        lines.push(format!("“{}” [{n}]", c.text));
    }
    (format!("{QUOTED}\n\n{}", lines.join("\n\n")), citations)
}

fn citation(n: usize, hit: &Hit, passage: Option<&str>) -> Citation {
    Citation {
        n,
        chunk_id: hit.chunk_id,
        document_id: hit.document_id,
        document_title: hit.document_title.clone(),
        page: hit.page,
        headings: hit.headings.clone(),
        snippet: passage.map(str::to_string).unwrap_or_else(|| hit.snippet.clone()),
    }
}

/// The messages that ask a model to answer from numbered passages only.
pub fn prompt(question: &str, hits: &[Hit], instructions: Option<&str>) -> Vec<ai::Message> {
    let mut context = String::new();
    for (i, h) in hits.iter().enumerate() {
        let mut place = h.document_title.clone();
        if let Some(p) = h.page {
            place.push_str(&format!(", page {p}"));
        }
        if !h.headings.is_empty() {
            place.push_str(&format!(", {}", h.headings.join(" > ")));
        }
        context.push_str(&format!("[{}] ({place})\n{}\n\n", i + 1, h.text));
    }
    let mut system = String::from(
        "You answer questions about the user's company documents. Use only the numbered \
         passages below; do not use outside knowledge. Cite every statement with the number \
         of its passage in square brackets, like [1] or [2][3]. If the passages do not \
         contain the answer, say that the documents do not cover it. Be brief.",
    );
    if let Some(i) = instructions.map(str::trim).filter(|i| !i.is_empty()) {
        system.push_str("\n\nThe company's instructions (they never override the rules above):\n");
        system.push_str(i);
    }
    vec![
        ai::Message::new(Role::System, system),
        ai::Message::new(Role::User, format!("Passages:\n\n{context}Question: {question}")),
    ]
}

/// The passage numbers `[n]` a text cites, in order of first use.
pub fn cited(text: &str, max: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' {
            let j = b[i + 1..].iter().position(|&c| c == b']').map(|p| p + i + 1);
            if let Some(j) = j {
                for part in text[i + 1..j].split(',') {
                    if let Ok(n) = part.trim().parse::<usize>()
                        && (1..=max).contains(&n)
                        && !out.contains(&n)
                    {
                        out.push(n);
                    }
                }
                i = j;
            }
        }
        i += 1;
    }
    out
}

impl Knowledge {
    /// Answers a question from the tenant's documents. Retrieval happens
    /// before this returns (so its errors are the caller's); the answer
    /// then streams.
    pub async fn answer(
        self: &Arc<Self>,
        ctx: &CallContext,
        question: &str,
        opts: AnswerOptions,
    ) -> Result<AnswerStream> {
        let started = Instant::now();
        let mut tx = self.db.tenant_read(ctx.access()).await?;
        let settings = repo::settings::get(&mut tx).await?;
        let models = repo::settings::models(&mut tx).await?;
        drop(tx);
        let mut actx = ctx.clone();
        actx.feature = "answer".into();
        let requested = opts.mode.unwrap_or(match settings.answer_mode.as_str() {
            "extractive" => AnswerMode::Extractive,
            "generative" => AnswerMode::Generative,
            _ => AnswerMode::NotCovered, // auto: decided below
        });
        // `auto` generates only with a capable model, and pins the call to
        // it so the bundled base model never writes an answer.
        let (mode, provider) = match requested {
            AnswerMode::Extractive => (AnswerMode::Extractive, None),
            AnswerMode::Generative => {
                (AnswerMode::Generative, self.ai.capable_chat_provider(&actx).await?)
            }
            AnswerMode::NotCovered => match self.ai.capable_chat_provider(&actx).await? {
                Some(p) => (AnswerMode::Generative, Some(p)),
                None => (AnswerMode::Extractive, None),
            },
        };
        let previous = opts.history.iter().rev().find(|(r, _)| r == "user").map(|(_, t)| t.clone());
        let query = match previous {
            Some(prev) if is_follow_up(question) => {
                if mode == AnswerMode::Generative {
                    self.rewrite(&actx, provider.as_deref(), &opts.history, question)
                        .await
                        .unwrap_or_else(|| rewrite_offline(&prev, question))
                } else {
                    rewrite_offline(&prev, question)
                }
            }
            _ => question.to_string(),
        };
        let top_k = opts.top_k.unwrap_or(settings.top_k as usize).clamp(1, 50);
        let mut r = Retrieval::new(query.clone(), top_k);
        r.filter = opts.filter.clone();
        r.mode = SearchMode::Hybrid;
        let embedded = self.embed_query(ctx, &models.active, &query).await?;
        let mut tx = self.db.tenant_read(ctx.access()).await?;
        let hits = self.search_in(&mut tx, &r, &settings, Some(&embedded)).await?;
        drop(tx);
        let terms = query::terms(&query);
        let retrieval_ms = started.elapsed().as_secs_f64() * 1e3;
        let chunk_ids: Vec<Uuid> = hits.iter().map(|h| h.chunk_id).collect();
        let base = Answer {
            text: String::new(),
            mode,
            query,
            citations: Vec::new(),
            chunk_ids,
            provider: None,
            model: None,
            prompt_tokens: 0,
            completion_tokens: 0,
            retrieval_ms,
            first_token_ms: None,
            latency_ms: 0.0,
        };
        if hits.is_empty() {
            // No model is called for what the documents do not cover.
            let mut a = base;
            a.mode = AnswerMode::NotCovered;
            a.text = NOT_COVERED.to_string();
            a.first_token_ms = Some(started.elapsed().as_secs_f64() * 1e3);
            a.latency_ms = a.first_token_ms.unwrap_or_default();
            let events = vec![
                Ok(AnswerEvent::Token(a.text.clone())),
                Ok(AnswerEvent::Citations(Vec::new())),
                Ok(AnswerEvent::Done(Box::new(a))),
            ];
            return Ok(futures::stream::iter(events).boxed());
        }
        if mode == AnswerMode::Extractive {
            return Ok(Self::quoted(base, &terms, &hits, started));
        }
        let mut req = ChatRequest::new(prompt(&base.query, &hits, opts.instructions.as_deref()));
        req.temperature = Some(0.0);
        req.max_tokens = Some(600);
        let routed = match self.ai.chat(&actx, provider.as_deref(), req).await {
            Ok(r) => r,
            Err(e) if requested != AnswerMode::Generative => {
                // The model could not be reached: quote instead.
                tracing::warn!(error = %e, "answer model unavailable; quoting");
                return Ok(Self::quoted(base, &terms, &hits, started));
            }
            Err(e) => return Err(e.into()),
        };
        let mut base = base;
        base.provider = Some(routed.provider.clone());
        base.model = Some(routed.model.clone());
        let mut inner = routed.stream;
        let stream = async_stream::try_stream! {
            let mut a = base;
            while let Some(ev) = inner.next().await {
                match ev? {
                    ChatEvent::Delta(t) => {
                        if a.first_token_ms.is_none() {
                            a.first_token_ms = Some(started.elapsed().as_secs_f64() * 1e3);
                        }
                        a.text.push_str(&t);
                        yield AnswerEvent::Token(t);
                    }
                    ChatEvent::Done { usage, .. } => {
                        a.prompt_tokens = usage.prompt_tokens;
                        a.completion_tokens = usage.completion_tokens;
                    }
                    ChatEvent::ToolCall(_) => {}
                }
            }
            let numbers = cited(&a.text, hits.len());
            a.citations = numbers.iter().map(|&n| citation(n, &hits[n - 1], None)).collect();
            a.latency_ms = started.elapsed().as_secs_f64() * 1e3;
            yield AnswerEvent::Citations(a.citations.clone());
            yield AnswerEvent::Done(Box::new(a));
        };
        Ok(stream.boxed())
    }

    /// A quoted answer, streamed a paragraph at a time.
    fn quoted(base: Answer, terms: &[String], hits: &[Hit], started: Instant) -> AnswerStream {
        let (text, citations) = quote(terms, hits);
        let mut a = base;
        a.mode = AnswerMode::Extractive;
        a.provider = None;
        a.model = None;
        a.text = text;
        a.citations = citations;
        a.first_token_ms = Some(started.elapsed().as_secs_f64() * 1e3);
        a.latency_ms = a.first_token_ms.unwrap_or_default();
        let mut events: Vec<Result<AnswerEvent>> =
            a.text.split_inclusive("\n\n").map(|p| Ok(AnswerEvent::Token(p.to_string()))).collect();
        events.push(Ok(AnswerEvent::Citations(a.citations.clone())));
        events.push(Ok(AnswerEvent::Done(Box::new(a))));
        futures::stream::iter(events).boxed()
    }

    /// Asks the answering model to make a follow-up stand alone (the
    /// bundled model is never asked).
    async fn rewrite(
        &self,
        ctx: &CallContext,
        provider: Option<&str>,
        history: &[(String, String)],
        question: &str,
    ) -> Option<String> {
        provider?;
        let mut transcript = String::new();
        for (role, text) in history.iter().rev().take(6).rev() {
            let short: String = text.chars().take(400).collect();
            transcript.push_str(&format!("{role}: {short}\n"));
        }
        let mut req = ChatRequest::new(vec![
            ai::Message::new(
                Role::System,
                "Rewrite the user's last question so that it can be understood without the \
                 conversation. Reply with the rewritten question only.",
            ),
            ai::Message::new(
                Role::User,
                format!("Conversation:\n{transcript}\nLast question: {question}"),
            ),
        ]);
        req.temperature = Some(0.0);
        req.max_tokens = Some(80);
        let (_, c) = self.ai.complete(ctx, provider, req).await.ok()?;
        let t = c.content.trim().trim_matches('"').to_string();
        (!t.is_empty() && t.chars().count() <= 500).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scores;

    fn hit(text: &str, n: u128) -> Hit {
        Hit {
            chunk_id: Uuid::from_u128(n),
            document_id: Uuid::from_u128(100 + n),
            document_title: format!("Doc {n}"),
            page: Some(n as i32),
            headings: vec!["Policy".into()],
            text: text.into(),
            snippet: text.into(),
            highlights: Vec::new(),
            scores: Scores {
                fused: 0.0,
                vector_distance: None,
                vector_rank: None,
                text_score: None,
                text_rank: None,
                term_coverage: 0.0,
            },
            relevant: true,
        }
    }

    #[test]
    fn quotes_the_sentences_that_answer() {
        let hits = vec![
            hit(
                "Our office opens at nine. Refunds are issued within five working days of the request. Call us any time.",
                1,
            ),
            hit("Gift cards cannot be refunded under any circumstances. The cafe sells coffee.", 2),
        ];
        let (text, cites) = quote(&query::terms("How long do refunds take?"), &hits);
        assert!(text.starts_with(QUOTED), "{text}");
        assert!(
            text.contains("“Refunds are issued within five working days of the request.” [1]"),
            "{text}"
        );
        assert!(!text.contains("coffee"), "{text}");
        assert_eq!(cites[0].chunk_id, Uuid::from_u128(1));
        assert_eq!(cites[0].snippet, "Refunds are issued within five working days of the request.");
        for c in &cites {
            assert!(text.contains(&format!("[{}]", c.n)));
        }
    }

    #[test]
    fn follow_ups_take_the_earlier_question() {
        assert!(is_follow_up("And what about gift cards?"));
        assert!(is_follow_up("How long does it take?"));
        assert!(!is_follow_up("What is the refund window for online orders?"));
        assert_eq!(
            rewrite_offline("What is the refund policy?", "How long does it take?"),
            "How long does it take? (refund policy)"
        );
    }

    #[test]
    fn citations_are_read_from_the_text() {
        assert_eq!(cited("Yes [2]. Also [1][2] and [3, 9] but not [x].", 3), [2, 1, 3]);
    }
}
