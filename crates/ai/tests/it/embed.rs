//! The local embedder agrees with the reference implementation
//! (sentence-transformers), in both precisions.

use ai::embed::gemm::{Precision, bf16_supported};
use ai::embed::{Embedder, LocalEmbedder, cosine};
use serde_json::Value;

fn fixture() -> Vec<(String, usize, Vec<f32>)> {
    let v: Value = serde_json::from_str(include_str!("../fixtures/minilm_reference.json")).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["text"].as_str().unwrap().to_string(),
                i["tokens"].as_u64().unwrap() as usize,
                i["embedding"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect(),
            )
        })
        .collect()
}

fn model_dir() -> std::path::PathBuf {
    testkit::ensure_models();
    kernel::assets::MINILM
        .install_dir(&testkit::runtime_dir())
        .join(kernel::assets::MINILM_MODEL_DIR)
}

async fn check(precision: Precision, threads: usize) {
    let embedder = LocalEmbedder::load(&model_dir(), precision, threads).unwrap();
    let items = fixture();
    let texts: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
    let got = embedder.embed(&texts).await.unwrap();
    assert_eq!(got.model, "all-MiniLM-L6-v2");
    assert_eq!(got.vectors.len(), items.len());
    let ids =
        embedder.bert().tokenize(&texts.iter().map(String::as_str).collect::<Vec<_>>()).unwrap();
    for ((text, tokens, want), (v, ids)) in items.iter().zip(got.vectors.iter().zip(&ids)) {
        assert_eq!(ids.len(), *tokens, "token count of {text:?}");
        assert_eq!(v.len(), 384);
        let c = cosine(v, want);
        assert!(c >= 0.9999, "{precision:?}: cosine {c} for {text:?}");
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }
    // Alone or in a batch, a text gets the same vector.
    let one = embedder.embed(&texts[..1]).await.unwrap();
    assert!(cosine(&one.vectors[0], &got.vectors[0]) > 0.99999);
}

#[tokio::test]
async fn f32_agrees_with_sentence_transformers() {
    check(Precision::F32, 2).await;
}

/// Needs a CPU with AVX-512 BF16: `make test` runs it where the CPU has
/// it and reports it skipped elsewhere.
#[tokio::test]
#[ignore = "needs AVX-512 BF16"]
async fn bf16_agrees_with_sentence_transformers_needs_avx512_bf16() {
    assert!(bf16_supported(), "this CPU has no AVX-512 BF16; the bf16 path cannot run here");
    check(Precision::Bf16, 2).await;
}

#[tokio::test]
async fn empty_input_and_single_thread() {
    let embedder = LocalEmbedder::load(&model_dir(), Precision::best_available(), 1).unwrap();
    let none = embedder.embed(&[]).await.unwrap();
    assert!(none.vectors.is_empty());
    let e = embedder.embed(&["hello".to_string()]).await.unwrap();
    assert_eq!(e.prompt_tokens, 3);
}
