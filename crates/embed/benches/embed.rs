//! The local embedder's throughput on a file of sentences, in every
//! precision this CPU runs, with the arithmetic rate it reaches against
//! the cores' measured f32 FMA peak, and its agreement with reference
//! vectors when given.
//!
//!     cargo bench -p embed --bench embed -- <sentences.json> [reference.json] [threads] [batch] [precision]
//!
//! The model is the one `tessera setup` installed under
//! `$TESSERA_RUNTIME_DIR` (default `data/runtime`).

use std::path::PathBuf;
use std::time::Instant;

use embed::bert::Bert;
use embed::cosine;
use embed::gemm::{Cpu, Precision, fma_peak_flops};

fn model_dir() -> anyhow::Result<PathBuf> {
    let runtime = PathBuf::from(
        std::env::var("TESSERA_RUNTIME_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/runtime").into()),
    );
    embed::installed_model(&runtime).ok_or_else(|| {
        anyhow::anyhow!("no installed minilm in {}; run `tessera setup`", runtime.display())
    })
}

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
    let dir = model_dir()?;
    let cpu = Cpu::detect();
    // Every precision this CPU accelerates, then the f32 kernels of
    // smaller CPUs (AVX2 only; none), run here on their subset.
    let mut runs: Vec<(String, Cpu, Precision)> =
        [Precision::F32, Precision::Bf16, Precision::Int8]
            .into_iter()
            .filter(|p| cpu.accelerates(*p))
            .map(|p| (p.as_str().to_string(), cpu, p))
            .collect();
    if cpu.avx512 && cpu.avx2_fma {
        runs.push(("f32_avx2".into(), Cpu { avx2_fma: true, ..Cpu::default() }, Precision::F32));
    }
    runs.push(("f32_portable".into(), Cpu::default(), Precision::F32));
    if let Some(only) = args.get(4) {
        runs.retain(|r| &r.0 == only);
    }
    let peak = fma_peak_flops(threads);
    println!(
        "f32 FMA peak of {threads} cores, measured: {:.1} GFLOP/s ({})",
        peak / 1e9,
        cpu.describe()
    );
    for (label, cpu, precision) in runs {
        let model = Bert::load_on(&dir, cpu, precision, threads)?;
        let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
        let ids = model.tokenize(&texts)?;
        let tokens: usize = ids.iter().map(Vec::len).sum();
        let lengths: Vec<usize> = ids.iter().map(Vec::len).collect();
        let flops = 2.0 * model.multiply_adds(&lengths) as f64;
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
            "local all-MiniLM-L6-v2 ({}, {threads} threads, batch {batch}): {:.1} sentences/s ({best:.3} s for {}, {tokens} tokens, best of 3; {} kernel, {:.1} GFLOP/s = {:.0}% of the f32 FMA peak)",
            label,
            texts.len() as f64 / best,
            texts.len(),
            model.kernel().as_str(),
            flops / best / 1e9,
            100.0 * flops / best / peak,
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
