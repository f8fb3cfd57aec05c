//! The x86-64 kernels. Unsafe code is confined here: the intrinsics
//! require it, and every pointer offset is derived from the packed
//! buffers' sizes, which [`gemm`] checks before calling a kernel.
//!
//! Each kernel computes one `MR × NR` output tile with the tile's
//! accumulators in registers, reading a block of `MR` activation rows and
//! one packed weight panel. The driver walks the rows in blocks that fit
//! the L2 cache and, within each, every panel, so a panel is read from
//! memory once per block rather than once per tile.

use std::arch::x86_64::*;

use super::{Activation, Kernel, Packed, Scratch, quantize_activations_scaled, to_bf16};
use crate::math;

/// Bytes of activation rows per cache block.
const BLOCK_BYTES: usize = 192 * 1024;

/// The activations as a kernel reads them.
enum Rows<'a> {
    F32 { a: &'a [f32], tail: &'a [f32], stride: usize },
    U32 { a: &'a [u32], stride: usize },
}

/// `out = act(a · wᵀ + bias)` with a panel kernel.
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm(
    kernel: Kernel,
    data: &Packed,
    a: &[f32],
    m: usize,
    k: usize,
    n: usize,
    bias: &[f32],
    out: &mut [f32],
    act: Activation,
    scratch: &mut Scratch,
) {
    let cpu = super::Cpu::detect();
    let (mr, nr) = kernel.tile();
    let panels = n.div_ceil(nr);
    assert!(bias.len() == panels * nr, "padded bias");
    let blocks = m.div_ceil(mr);
    let padded_m = blocks * mr;
    // Convert the activations once per call.
    let rows = match kernel {
        Kernel::F32Avx512 | Kernel::F32Avx2 => {
            assert!(if kernel == Kernel::F32Avx512 { cpu.avx512 } else { cpu.avx2_fma });
            let full = (m / mr) * mr;
            scratch.tail_f32.clear();
            scratch.tail_f32.extend_from_slice(&a[full * k..]);
            scratch.tail_f32.resize(mr * k, 0.0);
            Rows::F32 { a, tail: &scratch.tail_f32, stride: k }
        }
        Kernel::Bf16Avx512 => {
            assert!(cpu.avx512_bf16, "bf16 weights need a CPU with AVX-512 BF16");
            let pairs = k.div_ceil(2);
            scratch.a32.clear();
            scratch.a32.resize(padded_m * pairs, 0);
            for (dst, row) in scratch.a32.chunks_exact_mut(pairs).zip(a.chunks_exact(k)) {
                let whole = row.chunks_exact(2);
                let rest = whole.remainder();
                for (d, pair) in dst.iter_mut().zip(whole) {
                    *d = u32::from(to_bf16(pair[0])) | (u32::from(to_bf16(pair[1])) << 16);
                }
                if let Some(last) = rest.first() {
                    dst[pairs - 1] = u32::from(to_bf16(*last));
                }
            }
            Rows::U32 { a: &scratch.a32, stride: pairs }
        }
        Kernel::Int8Vnni => {
            assert!(cpu.avx512_vnni, "int8 on VNNI needs a CPU with AVX-512 VNNI");
            let quads = k.div_ceil(4);
            scratch.a32.clear();
            scratch.a32.resize(padded_m * quads, 0);
            scratch.row_scales.clear();
            scratch.row_scales.resize(padded_m, 0.0);
            scratch.row_offsets.clear();
            scratch.row_offsets.resize(padded_m, 0.0);
            scratch.q.resize(quads * 4, 0);
            let inv = match data {
                Packed::Int8 { inv_smooth, .. } => inv_smooth.as_deref(),
                _ => None,
            };
            for (r, row) in a.chunks_exact(k).enumerate() {
                let q = &mut scratch.q[..k];
                let (scale, lo) = quantize_activations_scaled(row, inv, q);
                scratch.row_scales[r] = scale;
                scratch.row_offsets[r] = lo;
                let dst = &mut scratch.a32[r * quads..(r + 1) * quads];
                for (d, b) in dst.iter_mut().zip(scratch.q.chunks_exact(4)) {
                    *d = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                }
                // Padding past `k` meets zero weights; zero it anyway.
                if !k.is_multiple_of(4) {
                    let last = &mut dst[quads - 1];
                    *last &= u32::MAX >> (8 * (4 - k % 4));
                }
            }
            Rows::U32 { a: &scratch.a32, stride: quads }
        }
        Kernel::F32Portable | Kernel::Int8Portable => unreachable!("portable kernels"),
    };
    let row_bytes = match &rows {
        Rows::F32 { stride, .. } | Rows::U32 { stride, .. } => stride * 4,
    };
    let block_rows = ((BLOCK_BYTES / row_bytes.max(1)) / mr).max(1) * mr;
    scratch.tile.resize(mr * nr, 0.0);
    let tile = scratch.tile.as_mut_ptr();

    let mut top = 0;
    while top < m {
        let bottom = (top + block_rows).min(m);
        for panel in 0..panels {
            let cols = (n - panel * nr).min(nr);
            let pbias = &bias[panel * nr..(panel + 1) * nr];
            let mut i0 = top;
            while i0 < bottom {
                let count = (bottom - i0).min(mr);
                let whole = count == mr && cols == nr;
                let (c, ldc) = if whole {
                    // The tile's last element is inside `out` (checked).
                    let last = (i0 + mr - 1) * n + panel * nr + nr;
                    assert!(last <= out.len());
                    (out[i0 * n + panel * nr..].as_mut_ptr(), n)
                } else {
                    (tile, nr)
                };
                match (&rows, data) {
                    (Rows::F32 { a, tail, stride }, Packed::F32Panels(w)) => {
                        let wp = &w[panel * k * nr..(panel + 1) * k * nr];
                        let block: &[f32] =
                            if count == mr { &a[i0 * stride..(i0 + mr) * stride] } else { tail };
                        assert!(block.len() >= mr * stride && *stride == k);
                        // SAFETY: the CPU has the kernel's features
                        // (asserted above); `block` holds mr rows of k
                        // values, `wp` k·nr, `pbias` nr, and `c` an mr × nr
                        // tile at stride ldc.
                        unsafe {
                            if kernel == Kernel::F32Avx512 {
                                f32_avx512(
                                    k,
                                    block.as_ptr(),
                                    k,
                                    wp.as_ptr(),
                                    pbias.as_ptr(),
                                    c,
                                    ldc,
                                );
                            } else {
                                f32_avx2(k, block.as_ptr(), wp.as_ptr(), pbias.as_ptr(), c, ldc);
                            }
                        }
                    }
                    (Rows::U32 { a, stride }, Packed::Bf16Panels(w)) => {
                        let wp = &w[panel * stride * nr * 2..(panel + 1) * stride * nr * 2];
                        let block = &a[i0 * stride..(i0 + mr) * stride];
                        // SAFETY: as above; `a` is padded to whole tiles.
                        unsafe {
                            bf16_avx512(
                                *stride,
                                block.as_ptr(),
                                wp.as_ptr(),
                                pbias.as_ptr(),
                                c,
                                ldc,
                            );
                        }
                    }
                    (Rows::U32 { a, stride }, Packed::Int8 { w, scales, sums, .. }) => {
                        let wp = &w[panel * stride * nr * 4..(panel + 1) * stride * nr * 4];
                        let block = &a[i0 * stride..(i0 + mr) * stride];
                        let cols_of = |v: &[f32]| v[panel * nr..(panel + 1) * nr].as_ptr();
                        let rs = &scratch.row_scales[i0..i0 + mr];
                        let ro = &scratch.row_offsets[i0..i0 + mr];
                        // SAFETY: as above; the scales, sums and row
                        // factors hold nr and mr values.
                        unsafe {
                            int8_vnni(
                                *stride,
                                block.as_ptr(),
                                wp.as_ptr(),
                                Epilogue {
                                    row_scales: rs.as_ptr(),
                                    row_offsets: ro.as_ptr(),
                                    col_scales: cols_of(scales),
                                    col_sums: cols_of(sums),
                                    bias: pbias.as_ptr(),
                                },
                                c,
                                ldc,
                            );
                        }
                    }
                    _ => unreachable!("weights packed for another kernel"),
                }
                for r in 0..count {
                    let dst = &mut out[(i0 + r) * n + panel * nr..][..cols];
                    if !whole {
                        dst.copy_from_slice(&scratch.tile[r * nr..r * nr + cols]);
                    }
                    if act == Activation::Gelu {
                        if cpu.avx512 {
                            // SAFETY: the CPU has AVX-512F.
                            unsafe { gelu_avx512(dst) };
                        } else {
                            math::gelu(dst);
                        }
                    }
                }
                i0 += count;
            }
        }
        top = bottom;
    }
}

/// One 12 × 32 f32 tile: `c = bias + Σₚ a[r][p] · w[p]`, row `r` of `a` at
/// `a + r·lda`, row `r` of `c` at `c + r·ldc`.
#[target_feature(enable = "avx512f")]
unsafe fn f32_avx512(
    k: usize,
    a: *const f32,
    lda: usize,
    w: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
) {
    const MR: usize = 12;
    // SAFETY: see the caller; all offsets are below the sizes it checks.
    unsafe {
        let b0 = _mm512_loadu_ps(bias);
        let b1 = _mm512_loadu_ps(bias.add(16));
        let mut acc = [[b0, b1]; MR];
        for p in 0..k {
            let w0 = _mm512_loadu_ps(w.add(p * 32));
            let w1 = _mm512_loadu_ps(w.add(p * 32 + 16));
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*a.add(r * lda + p));
                acc_r[0] = _mm512_fmadd_ps(av, w0, acc_r[0]);
                acc_r[1] = _mm512_fmadd_ps(av, w1, acc_r[1]);
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            _mm512_storeu_ps(c.add(r * ldc), acc_r[0]);
            _mm512_storeu_ps(c.add(r * ldc + 16), acc_r[1]);
        }
    }
}

/// Buffers of [`attention_head`].
#[derive(Debug, Default)]
pub struct AttentionScratch {
    kt: Vec<f32>,
    vp: Vec<f32>,
    q_tail: Vec<f32>,
    scores: Vec<f32>,
    tile: Vec<f32>,
    zeros: Vec<f32>,
}

/// One head of self-attention over one sequence with the AVX-512 f32
/// kernel: `ctx = softmax(scale · Q·Kᵀ) · V`. `q`, `k` and `v` start at the
/// head's first value and hold `len` rows of `d` values at stride `rs`;
/// `ctx` rows go at stride `ldc`. `d` must be a multiple of 32 and the CPU
/// must have AVX-512F (the caller checks both).
#[allow(clippy::too_many_arguments)]
pub(super) fn attention_head(
    len: usize,
    d: usize,
    scale: f32,
    (q, k, v, rs): (&[f32], &[f32], &[f32], usize),
    ctx: &mut [f32],
    ldc: usize,
    s: &mut AttentionScratch,
) {
    const MR: usize = 12;
    const NR: usize = 32;
    assert!(super::Cpu::detect().avx512 && d.is_multiple_of(NR) && len > 0);
    let last = (len - 1) * rs + d;
    assert!(q.len() >= last && k.len() >= last && v.len() >= last, "q, k, v extents");
    assert!(ctx.len() >= (len - 1) * ldc + d, "ctx extent");
    let key_panels = len.div_ceil(NR);
    let lp = key_panels * NR;
    let rows = len.div_ceil(MR) * MR;
    // Kᵀ in panels of 32 keys (scaled; zero past the last key) and V as
    // d / 32 panels of its rows.
    s.kt.clear();
    s.kt.resize(key_panels * d * NR, 0.0);
    for j in 0..len {
        let (panel, i) = (j / NR, j % NR);
        for (p, kv) in k[j * rs..j * rs + d].iter().enumerate() {
            s.kt[(panel * d + p) * NR + i] = kv * scale;
        }
    }
    let v_panels = d / NR;
    s.vp.clear();
    s.vp.resize(v_panels * len * NR, 0.0);
    for p in 0..len {
        for panel in 0..v_panels {
            let src = &v[p * rs + panel * NR..p * rs + panel * NR + NR];
            s.vp[(panel * len + p) * NR..(panel * len + p + 1) * NR].copy_from_slice(src);
        }
    }
    // The last block of query rows, padded with zeros.
    let full = len / MR * MR;
    s.q_tail.clear();
    s.q_tail.resize(MR * d, 0.0);
    for r in full..len {
        s.q_tail[(r - full) * d..(r - full + 1) * d].copy_from_slice(&q[r * rs..r * rs + d]);
    }
    s.zeros.resize(NR, 0.0);
    s.scores.resize(rows * lp, 0.0);
    s.tile.resize(MR * NR, 0.0);
    // scores = Q · (scale · Kᵀ)
    for i0 in (0..rows).step_by(MR) {
        let (a, lda) = if i0 < full { (q[i0 * rs..].as_ptr(), rs) } else { (s.q_tail.as_ptr(), d) };
        for panel in 0..key_panels {
            let c = s.scores[i0 * lp + panel * NR..].as_mut_ptr();
            // SAFETY: AVX-512F is present (asserted); `a` has MR rows of d
            // values at stride lda (full blocks lie inside q, the tail is
            // padded), the panel d·NR values, and `c` MR rows of NR at
            // stride lp inside `scores` (rows·lp values).
            unsafe {
                f32_avx512(d, a, lda, s.kt[panel * d * NR..].as_ptr(), s.zeros.as_ptr(), c, lp);
            }
        }
    }
    for row in s.scores.chunks_exact_mut(lp).take(len) {
        // SAFETY: AVX-512F is present (asserted above).
        unsafe { softmax_avx512(&mut row[..len]) };
    }
    // ctx = P · V, reading only the `len` real keys of each row.
    for i0 in (0..rows).step_by(MR) {
        let count = (len - i0.min(len)).min(MR);
        for panel in 0..v_panels {
            let whole = count == MR;
            let (c, ldc_used) = if whole {
                (ctx[i0 * ldc + panel * NR..].as_mut_ptr(), ldc)
            } else {
                (s.tile.as_mut_ptr(), NR)
            };
            // SAFETY: as above; `a` is MR rows of `scores` (len ≤ lp
            // values each), the V panel holds len·NR values, and `c` is an
            // MR × NR tile inside ctx (whole blocks end at row i0+11 <
            // len) or the tile buffer.
            unsafe {
                f32_avx512(
                    len,
                    s.scores[i0 * lp..].as_ptr(),
                    lp,
                    s.vp[panel * len * NR..].as_ptr(),
                    s.zeros.as_ptr(),
                    c,
                    ldc_used,
                );
            }
            if !whole {
                for r in 0..count {
                    let dst = (i0 + r) * ldc + panel * NR;
                    ctx[dst..dst + NR].copy_from_slice(&s.tile[r * NR..(r + 1) * NR]);
                }
            }
        }
    }
}

/// One 6 × 16 f32 tile with AVX2 and FMA; as [`f32_avx512`].
#[target_feature(enable = "avx2,fma")]
unsafe fn f32_avx2(
    k: usize,
    a: *const f32,
    w: *const f32,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
) {
    const MR: usize = 6;
    // SAFETY: see the caller; all offsets are below the sizes it checks.
    unsafe {
        let b0 = _mm256_loadu_ps(bias);
        let b1 = _mm256_loadu_ps(bias.add(8));
        let mut acc = [[b0, b1]; MR];
        for p in 0..k {
            let w0 = _mm256_loadu_ps(w.add(p * 16));
            let w1 = _mm256_loadu_ps(w.add(p * 16 + 8));
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = _mm256_set1_ps(*a.add(r * k + p));
                acc_r[0] = _mm256_fmadd_ps(av, w0, acc_r[0]);
                acc_r[1] = _mm256_fmadd_ps(av, w1, acc_r[1]);
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            _mm256_storeu_ps(c.add(r * ldc), acc_r[0]);
            _mm256_storeu_ps(c.add(r * ldc + 8), acc_r[1]);
        }
    }
}

/// One 12 × 32 tile of bf16 products: `c = bias + Σ_p a[r][p] · w[p]`,
/// where `a`'s rows hold `pairs` bf16 pairs each.
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn bf16_avx512(
    pairs: usize,
    a: *const u32,
    w: *const u16,
    bias: *const f32,
    c: *mut f32,
    ldc: usize,
) {
    const MR: usize = 12;
    // SAFETY: see the caller; all offsets are below the sizes it checks.
    unsafe {
        let b0 = _mm512_loadu_ps(bias);
        let b1 = _mm512_loadu_ps(bias.add(16));
        let mut acc = [[b0, b1]; MR];
        for p in 0..pairs {
            let w0: __m512bh = std::mem::transmute(_mm512_loadu_si512(w.add(p * 64).cast()));
            let w1: __m512bh = std::mem::transmute(_mm512_loadu_si512(w.add(p * 64 + 32).cast()));
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av: __m512bh =
                    std::mem::transmute(_mm512_set1_epi32(*a.add(r * pairs + p) as i32));
                acc_r[0] = _mm512_dpbf16_ps(acc_r[0], av, w0);
                acc_r[1] = _mm512_dpbf16_ps(acc_r[1], av, w1);
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            _mm512_storeu_ps(c.add(r * ldc), acc_r[0]);
            _mm512_storeu_ps(c.add(r * ldc + 16), acc_r[1]);
        }
    }
}

/// [`math::gelu`] on 16 lanes at a time, its division replaced by a
/// refined reciprocal estimate (relative error ~1e-7, well inside the
/// approximation's own): the same values, at a fraction of the cost.
#[target_feature(enable = "avx512f")]
unsafe fn gelu_avx512(xs: &mut [f32]) {
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn poly(x2: __m512, coefficients: &[f32]) -> __m512 {
        let mut p = _mm512_set1_ps(coefficients[0]);
        for &c in &coefficients[1..] {
            p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(c));
        }
        p
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn gelu(x: __m512) -> __m512 {
        let z = _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::FRAC_1_SQRT_2));
        let z = _mm512_min_ps(_mm512_max_ps(z, _mm512_set1_ps(-4.0)), _mm512_set1_ps(4.0));
        let z2 = _mm512_mul_ps(z, z);
        let p = _mm512_mul_ps(poly(z2, &math::ERF_P), z);
        let q = poly(z2, &math::ERF_Q);
        let r = _mm512_rcp14_ps(q);
        let r = _mm512_fmadd_ps(r, _mm512_fnmadd_ps(q, r, _mm512_set1_ps(1.0)), r);
        let erf = _mm512_mul_ps(p, r);
        let half = _mm512_mul_ps(x, _mm512_set1_ps(0.5));
        _mm512_fmadd_ps(half, erf, half)
    }
    let mut chunks = xs.chunks_exact_mut(16);
    for c in &mut chunks {
        // SAFETY: `c` holds 16 floats.
        unsafe { _mm512_storeu_ps(c.as_mut_ptr(), gelu(_mm512_loadu_ps(c.as_ptr()))) };
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mask = (1u16 << rest.len()) - 1;
        // SAFETY: the mask covers only `rest`'s elements.
        unsafe {
            let v = _mm512_maskz_loadu_ps(mask, rest.as_ptr());
            _mm512_mask_storeu_ps(rest.as_mut_ptr(), mask, gelu(v));
        }
    }
}

/// [`math::softmax`] on 16 lanes at a time: the same range reduction and
/// polynomial as [`math::exp`], with `vscalefps` applying the power of
/// two (no float-to-int conversion).
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn softmax_avx512(xs: &mut [f32]) {
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn exp(x: __m512) -> __m512 {
        let x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3)), _mm512_set1_ps(88.7));
        let t = _mm512_fmadd_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E), _mm512_set1_ps(0.5));
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(t);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_359_4), x);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.121_944_4e-4), r);
        let mut p = _mm512_set1_ps(1.987_569_1e-4);
        for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_65, 0.5] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
        }
        let y = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0)));
        _mm512_scalef_ps(y, n)
    }
    let len = xs.len();
    let ptr = xs.as_mut_ptr();
    let tail = len % 16;
    let tail_mask: __mmask16 = if tail == 0 { 0 } else { (1u16 << tail) - 1 };
    let whole = len - tail;
    // SAFETY: full vectors cover [0, whole) and the masked ones only the
    // `tail` elements after it.
    unsafe {
        let mut m = _mm512_set1_ps(f32::NEG_INFINITY);
        for i in (0..whole).step_by(16) {
            m = _mm512_max_ps(m, _mm512_loadu_ps(ptr.add(i)));
        }
        if tail > 0 {
            let v =
                _mm512_mask_loadu_ps(_mm512_set1_ps(f32::NEG_INFINITY), tail_mask, ptr.add(whole));
            m = _mm512_max_ps(m, v);
        }
        let m = _mm512_set1_ps(_mm512_reduce_max_ps(m));
        let mut sum = _mm512_setzero_ps();
        for i in (0..whole).step_by(16) {
            let e = exp(_mm512_sub_ps(_mm512_loadu_ps(ptr.add(i)), m));
            _mm512_storeu_ps(ptr.add(i), e);
            sum = _mm512_add_ps(sum, e);
        }
        if tail > 0 {
            let v = _mm512_maskz_loadu_ps(tail_mask, ptr.add(whole));
            let e = _mm512_maskz_mov_ps(tail_mask, exp(_mm512_sub_ps(v, m)));
            _mm512_mask_storeu_ps(ptr.add(whole), tail_mask, e);
            sum = _mm512_add_ps(sum, e);
        }
        let inv = _mm512_set1_ps(1.0 / _mm512_reduce_add_ps(sum));
        for i in (0..whole).step_by(16) {
            _mm512_storeu_ps(ptr.add(i), _mm512_mul_ps(_mm512_loadu_ps(ptr.add(i)), inv));
        }
        if tail > 0 {
            let v = _mm512_maskz_loadu_ps(tail_mask, ptr.add(whole));
            _mm512_mask_storeu_ps(ptr.add(whole), tail_mask, _mm512_mul_ps(v, inv));
        }
    }
}

/// What turns an int8 tile's integer sums back into the layer's output.
struct Epilogue {
    /// Per row (12): the activations' scale and offset.
    row_scales: *const f32,
    row_offsets: *const f32,
    /// Per column (32): the weights' scale, Σ of quantised weights, bias.
    col_scales: *const f32,
    col_sums: *const f32,
    bias: *const f32,
}

/// One 12 × 32 tile of int8 products with VNNI: `acc = Σ_quads a · w`
/// (u8 × i8, four per lane), then
/// `c = col_scale · (row_scale · acc + row_offset · col_sum) + bias`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn int8_vnni(
    quads: usize,
    a: *const u32,
    w: *const i8,
    e: Epilogue,
    c: *mut f32,
    ldc: usize,
) {
    const MR: usize = 12;
    // SAFETY: see the caller; all offsets are below the sizes it checks.
    unsafe {
        let zero = _mm512_setzero_si512();
        let mut acc = [[zero, zero]; MR];
        for p in 0..quads {
            let w0 = _mm512_loadu_si512(w.add(p * 128).cast());
            let w1 = _mm512_loadu_si512(w.add(p * 128 + 64).cast());
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_epi32(*a.add(r * quads + p) as i32);
                acc_r[0] = _mm512_dpbusd_epi32(acc_r[0], av, w0);
                acc_r[1] = _mm512_dpbusd_epi32(acc_r[1], av, w1);
            }
        }
        let s = [_mm512_loadu_ps(e.col_scales), _mm512_loadu_ps(e.col_scales.add(16))];
        let sums = [_mm512_loadu_ps(e.col_sums), _mm512_loadu_ps(e.col_sums.add(16))];
        let b = [_mm512_loadu_ps(e.bias), _mm512_loadu_ps(e.bias.add(16))];
        for (r, acc_r) in acc.iter().enumerate() {
            let scale = _mm512_set1_ps(*e.row_scales.add(r));
            let offset = _mm512_set1_ps(*e.row_offsets.add(r));
            for h in 0..2 {
                let t = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(acc_r[h]),
                    scale,
                    _mm512_mul_ps(offset, sums[h]),
                );
                _mm512_storeu_ps(c.add(r * ldc + 16 * h), _mm512_fmadd_ps(t, s[h], b[h]));
            }
        }
    }
}

/// f32 FMA throughput of this core with the widest vectors it has, in
/// FLOP/s: independent accumulators, so only the FMA units limit it.
pub(super) fn fma_peak_one_core(seconds: f64) -> f64 {
    let cpu = super::Cpu::detect();
    let (per_iter, f): (f64, unsafe fn(usize) -> f32) = if cpu.avx512 {
        (16.0 * 16.0 * 2.0, peak_avx512)
    } else if cpu.avx2_fma {
        (12.0 * 8.0 * 2.0, peak_avx2)
    } else {
        return f64::NAN;
    };
    let mut iters = 1 << 16;
    loop {
        let t = std::time::Instant::now();
        // SAFETY: the CPU has the features the chosen loop needs.
        std::hint::black_box(unsafe { f(iters) });
        let took = t.elapsed().as_secs_f64();
        if took >= seconds || iters >= 1 << 34 {
            return per_iter * iters as f64 / took;
        }
        iters *= 2;
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn peak_avx512(iters: usize) -> f32 {
    let x = _mm512_set1_ps(std::hint::black_box(0.999_999));
    let y = _mm512_set1_ps(std::hint::black_box(1e-7));
    let mut acc = [_mm512_set1_ps(1.0); 16];
    for _ in 0..iters {
        for a in &mut acc {
            *a = _mm512_fmadd_ps(*a, x, y);
        }
    }
    acc.iter().map(|a| _mm512_reduce_add_ps(*a)).sum()
}

#[target_feature(enable = "avx2,fma")]
unsafe fn peak_avx2(iters: usize) -> f32 {
    let x = _mm256_set1_ps(std::hint::black_box(0.999_999));
    let y = _mm256_set1_ps(std::hint::black_box(1e-7));
    let mut acc = [_mm256_set1_ps(1.0); 12];
    for _ in 0..iters {
        for a in &mut acc {
            *a = _mm256_fmadd_ps(*a, x, y);
        }
    }
    let mut lanes = [0f32; 8];
    let mut sum = 0.0;
    for a in &acc {
        // SAFETY: `lanes` holds 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), *a) };
        sum += lanes.iter().sum::<f32>();
    }
    sum
}
