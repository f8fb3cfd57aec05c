//! The kernels that run on any CPU.

use super::{Scratch, quantize_activations};

/// `out = a · wᵀ + bias` in f32 with `matrixmultiply` (AVX2/FMA or NEON
/// when the build targets them).
pub(super) fn sgemm(
    a: &[f32],
    m: usize,
    k: usize,
    w: &[f32],
    n: usize,
    bias: &[f32],
    out: &mut [f32],
) {
    for row in out.chunks_exact_mut(n) {
        row.copy_from_slice(bias);
    }
    // a: m × k row-major (row stride k, column stride 1); wᵀ: k × n with
    // row stride 1 and column stride k; out: m × n row-major.
    #[allow(unsafe_code)]
    // SAFETY: the caller passes slices of exactly m·k, n·k and m·n
    // elements, and the strides stay inside them.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            w.as_ptr(),
            1,
            k as isize,
            1.0,
            out.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `out = sw · (scale · (q · qwᵀ) + lo · Σqw) + bias`, with each row of
/// activations quantised as the VNNI kernel does it.
#[allow(clippy::too_many_arguments)]
pub(super) fn igemm(
    a: &[f32],
    k: usize,
    w: &[i8],
    n: usize,
    scales: &[f32],
    sums: &[f32],
    bias: &[f32],
    out: &mut [f32],
    scratch: &mut Scratch,
) {
    scratch.q.resize(k, 0);
    for (src, dst) in a.chunks_exact(k).zip(out.chunks_exact_mut(n)) {
        let (scale, lo) = quantize_activations(src, &mut scratch.q);
        for (j, o) in dst.iter_mut().enumerate() {
            let dot: i32 = scratch
                .q
                .iter()
                .zip(&w[j * k..(j + 1) * k])
                .map(|(&x, &y)| i32::from(x) * i32::from(y))
                .sum();
            *o = (dot as f32).mul_add(scale, lo * sums[j]).mul_add(scales[j], bias[j]);
        }
    }
}
