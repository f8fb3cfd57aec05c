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
