//! The encoder agrees with sentence-transformers (PyTorch) on reference
//! texts, in every precision this CPU runs, on whatever architecture the
//! tests were built for (`make test` also runs them for aarch64 under
//! emulation).
//!
//! The model is the one `tessera setup` installs under
//! `$TESSERA_RUNTIME_DIR` (default `data/runtime` at the workspace root).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use embed::bert::Bert;
use embed::cosine;
use embed::gemm::{Cpu, Kernel, Precision};
use serde_json::Value;

fn model_dir() -> PathBuf {
    let runtime = std::env::var_os("TESSERA_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/runtime"));
    embed::installed_model(&runtime).unwrap_or_else(|| {
        panic!("no installed minilm in {}; run `tessera setup`", runtime.display())
    })
}

fn fixture() -> Vec<(String, usize, Vec<f32>)> {
    let v: Value = serde_json::from_str(include_str!("fixtures/minilm_reference.json")).unwrap();
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

/// The lowest cosine to the reference of each precision: f32 is the same
/// arithmetic in another order; bf16 keeps 8 significant bits of each
/// factor; int8 quantises each factor to 256 steps, which costs most on
/// the shortest texts (an empty one is only `[CLS]` and `[SEP]`, whose
/// activations carry BERT's outlier channels).
fn bar(precision: Precision) -> f32 {
    match precision {
        Precision::F32 => 0.99999,
        Precision::Bf16 => 0.9999,
        Precision::Int8 => 0.99,
    }
}

fn check(precision: Precision, threads: usize) {
    check_on(Cpu::detect(), precision, threads);
}

fn check_on(cpu: Cpu, precision: Precision, threads: usize) {
    let model = Bert::load_on(&model_dir(), cpu, precision, threads).unwrap();
    let items = fixture();
    let texts: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
    let ids = model.tokenize(&texts).unwrap();
    let got = model.embed_ids(&ids);
    assert_eq!(got.len(), items.len());
    for ((text, tokens, want), (v, ids)) in items.iter().zip(got.iter().zip(&ids)) {
        assert_eq!(ids.len(), *tokens, "token count of {text:?}");
        assert_eq!(v.len(), 384);
        let c = cosine(v, want);
        assert!(
            c >= bar(precision),
            "{precision:?} ({:?}): cosine {c} for {text:?}",
            model.kernel()
        );
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }
    // Alone or in a batch, a text gets the same vector.
    let one = model.embed(&texts[..1]).unwrap();
    assert!(cosine(&one[0], &got[0]) > 0.99999);
}

#[test]
fn f32_agrees_with_sentence_transformers() {
    check(Precision::F32, 2);
}

#[test]
fn f32_on_one_thread() {
    check(Precision::F32, 1);
}

#[test]
fn int8_stays_close_to_sentence_transformers() {
    check(Precision::Int8, 2);
}

#[test]
fn bf16_where_the_cpu_has_it() {
    if Cpu::detect().kernel(Precision::Bf16).is_none() {
        // Refused with a reason, not run wrongly.
        let e = Bert::load(&model_dir(), Precision::Bf16, 1).unwrap_err();
        assert!(e.to_string().contains("AVX-512 BF16"), "{e}");
        return;
    }
    check(Precision::Bf16, 2);
}

#[test]
fn the_portable_kernels_agree_too() {
    // What a CPU without AVX2 runs (ARM uses them too), whatever this one
    // has.
    let plain = Cpu::default();
    assert_eq!(plain.kernel(Precision::F32), Some(Kernel::F32Portable));
    assert_eq!(plain.kernel(Precision::Int8), Some(Kernel::Int8Portable));
    assert_eq!(plain.kernel(Precision::Bf16), None);
    check_on(plain, Precision::F32, 2);
    check_on(plain, Precision::Int8, 2);
}
