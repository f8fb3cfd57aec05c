//! The local embedder's throughput on a file of sentences, in both
//! precisions, and its agreement with reference vectors when given.
//!
//!     cargo bench -p ai --bench embed -- <sentences.json> [reference.json] [threads] [batch]

use std::time::Instant;

use ai::embed::bert::Bert;
use ai::embed::cosine;
use ai::embed::gemm::{Precision, bf16_supported};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let sentences: Vec<String> = serde_json::from_str(&std::fs::read_to_string(
        args.first().map(String::as_str).unwrap_or("bench/out/sentences.json"),
    )?)?;
    let reference: Option<Vec<Vec<f32>>> = match args.get(1) {
        Some(p) if !p.is_empty() => Some(serde_json::from_str(&std::fs::read_to_string(p)?)?),
        _ => None,
    };
    let threads: usize = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(2);
    let batch: usize = args.get(3).and_then(|t| t.parse().ok()).unwrap_or(32);
    let runtime = std::env::var("TESSERA_RUNTIME_DIR").unwrap_or_else(|_| "data/runtime".into());
    let dir = kernel::assets::MINILM
        .install_dir(std::path::Path::new(&runtime))
        .join(kernel::assets::MINILM_MODEL_DIR);
    let mut precisions = vec![Precision::F32];
    if bf16_supported() {
        precisions.insert(0, Precision::Bf16);
    }
    if let Some(only) = args.get(4) {
        precisions.retain(|p| p.as_str() == only);
    }
    for precision in precisions {
        let model = Bert::load(&dir, precision, threads)?;
        let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
        let tokens: usize = model.tokenize(&texts)?.iter().map(Vec::len).sum();
        let run = || -> anyhow::Result<Vec<Vec<f32>>> {
            let mut out = Vec::with_capacity(texts.len());
            for chunk in texts.chunks(batch) {
                out.extend(model.embed(chunk)?);
            }
            Ok(out)
        };
        run()?;
        let mut best = f64::INFINITY;
        let mut vectors = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            vectors = run()?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        print!(
            "local all-MiniLM-L6-v2 ({}, {threads} threads, batch {batch}): {:.1} sentences/s ({best:.3} s for {}, {tokens} tokens, best of 3)",
            precision.as_str(),
            texts.len() as f64 / best,
            texts.len()
        );
        if let Some(r) = &reference {
            let cos: Vec<f32> = vectors.iter().zip(r).map(|(a, b)| cosine(a, b)).collect();
            let min = cos.iter().copied().fold(f32::INFINITY, f32::min);
            let mean = cos.iter().sum::<f32>() / cos.len() as f32;
            print!("; cosine to the reference: min {min:.6}, mean {mean:.7}");
        }
        println!();
    }
    Ok(())
}
