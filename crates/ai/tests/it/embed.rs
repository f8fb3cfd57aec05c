//! The local embedder behind the `Embedder` trait: order, batching, token
//! counts, empty input, and the precision `auto` picks. (Agreement with
//! sentence-transformers in every precision is the `embed` crate's test.)

use ai::embed::choice;
use ai::embed::gemm::{Cpu, Precision};
use ai::embed::{Embedder, LocalEmbedder, cosine};

fn model_dir() -> std::path::PathBuf {
    testkit::ensure_models();
    kernel::assets::MINILM
        .install_dir(&testkit::runtime_dir())
        .join(kernel::assets::MINILM_MODEL_DIR)
}

#[test]
fn the_encoder_finds_the_model_where_setup_installs_it() {
    assert_eq!(embed::installed_model(&testkit::runtime_dir()), Some(model_dir()));
}

#[tokio::test]
async fn a_batch_keeps_order_and_matches_texts_embedded_alone() {
    let embedder = LocalEmbedder::load(&model_dir(), Precision::F32, 2).unwrap();
    let texts: Vec<String> = [
        "How do I file my GST return for March?",
        "The refund for damaged goods is issued within seven days.",
        "Reset your password from the sign-in page.",
        "GSTR-1 lists the outward supplies of the month.",
    ]
    .map(String::from)
    .to_vec();
    let all = embedder.embed(&texts).await.unwrap();
    assert_eq!(all.vectors.len(), 4);
    for (text, v) in texts.iter().zip(&all.vectors) {
        let one = embedder.embed(std::slice::from_ref(text)).await.unwrap();
        assert!(cosine(&one.vectors[0], v) > 0.99999, "{text:?}");
    }
    // The two GST texts are nearer each other than to the password one.
    let gst = cosine(&all.vectors[0], &all.vectors[3]);
    assert!(gst > cosine(&all.vectors[0], &all.vectors[2]) + 0.1, "{gst}");
}

#[tokio::test]
async fn empty_input_and_single_thread_with_the_automatic_choice() {
    let auto = choice::choose("auto", Cpu::detect()).unwrap();
    let embedder = LocalEmbedder::load(&model_dir(), auto.precision, 1).unwrap();
    let none = embedder.embed(&[]).await.unwrap();
    assert!(none.vectors.is_empty());
    let e = embedder.embed(&["hello".to_string()]).await.unwrap();
    assert_eq!(e.prompt_tokens, 3);
    assert_eq!(e.vectors[0].len(), 384);
}
