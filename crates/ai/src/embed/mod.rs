//! Text embeddings: the [`Embedder`] trait, the local all-MiniLM-L6-v2
//! ([`LocalEmbedder`]) and OpenAI-compatible providers
//! ([`crate::openai::OpenAiEmbedder`]).

pub use embed::{bert, choice, cosine, gemm, math};

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::AiError;

/// Embeddings of some texts, all from one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    /// The model that made them: vectors of different models are never
    /// compared.
    pub model: String,
    /// One unit-length vector per input, in order.
    pub vectors: Vec<Vec<f32>>,
    /// Tokens read.
    pub prompt_tokens: u32,
}

/// Something that turns texts into vectors.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model's name, stored with every vector it makes.
    fn model(&self) -> &str;
    /// Vector length, when known before the first call.
    fn dimensions(&self) -> Option<usize>;
    /// Embeds `inputs`.
    async fn embed(&self, inputs: &[String]) -> Result<Embeddings, AiError>;
}

/// The local embedder's model name.
pub const LOCAL_MODEL: &str = "all-MiniLM-L6-v2";

/// all-MiniLM-L6-v2 in process, on the CPU.
#[derive(Debug)]
pub struct LocalEmbedder {
    model: Arc<bert::Bert>,
    /// One batch at a time uses every configured thread.
    gate: tokio::sync::Semaphore,
}

impl LocalEmbedder {
    /// Loads the model directory installed by `tessera setup`.
    pub fn load(
        dir: &Path,
        precision: gemm::Precision,
        threads: usize,
    ) -> anyhow::Result<LocalEmbedder> {
        let model = bert::Bert::load(dir, precision, threads)?;
        Ok(LocalEmbedder { model: Arc::new(model), gate: tokio::sync::Semaphore::new(1) })
    }

    /// The loaded model.
    pub fn bert(&self) -> &bert::Bert {
        &self.model
    }
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn model(&self) -> &str {
        LOCAL_MODEL
    }

    fn dimensions(&self) -> Option<usize> {
        Some(self.model.dimensions())
    }

    async fn embed(&self, inputs: &[String]) -> Result<Embeddings, AiError> {
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|_| AiError::Unavailable("the embedder is shutting down".into()))?;
        let model = self.model.clone();
        let texts = inputs.to_vec();
        // Inference runs on a blocking thread (and its helpers), never on
        // the async runtime's workers.
        let (vectors, tokens) = tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let ids = model.tokenize(&refs)?;
            let tokens: usize = ids.iter().map(Vec::len).sum();
            anyhow::Ok((model.embed_ids(&ids), tokens))
        })
        .await
        .map_err(|e| AiError::Internal(format!("the embedder stopped: {e}")))?
        .map_err(|e| AiError::Internal(format!("{e:#}")))?;
        Ok(Embeddings { model: LOCAL_MODEL.to_string(), vectors, prompt_tokens: tokens as u32 })
    }
}
