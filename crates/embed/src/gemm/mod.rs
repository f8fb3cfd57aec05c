//! Dense layers: `out = act(a · wᵀ + bias)`, for `a` of `m × k` and a
//! weight `w` of `n × k` (PyTorch's layout), in one of three precisions:
//!
//! - **f32**: packed micro-kernels for AVX-512 (12 × 32 tiles) and AVX2 +
//!   FMA (6 × 16), `matrixmultiply`'s portable kernels elsewhere (NEON on
//!   ARM);
//! - **bf16**: weights and activations rounded to bfloat16, products
//!   summed in f32 by the AVX-512 BF16 dot-product instruction
//!   (`vdpbf16ps`) — twice the arithmetic of f32 per instruction;
//! - **int8**: weights quantised once per output channel, activations per
//!   row as they arrive, products summed in i32 by AVX-512 VNNI
//!   (`vpdpbusd`, four times f32's arithmetic per instruction), then scaled
//!   back to f32 with the bias. A portable version runs anywhere (slowly).
//!
//! Weights are packed once, at load time, into the chosen kernel's panel
//! layout; the bias (and GELU, for BERT's intermediate layer) is applied as
//! each tile leaves the registers.

mod portable;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86;

use crate::math;

/// The arithmetic of the dense layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// bfloat16 products, f32 sums (AVX-512 BF16).
    Bf16,
    /// int8 products, i32 sums (AVX-512 VNNI), per-channel weight and
    /// per-row activation scales.
    Int8,
    /// f32 throughout.
    F32,
}

impl Precision {
    /// Every precision, fastest first on a CPU that has them all.
    pub const ALL: [Precision; 3] = [Precision::Int8, Precision::Bf16, Precision::F32];

    /// Its name, for configuration, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Bf16 => "bf16",
            Precision::Int8 => "int8",
            Precision::F32 => "f32",
        }
    }

    /// Parses a name written by [`Precision::as_str`].
    pub fn parse(s: &str) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The instruction-set extensions the kernels use, as detected on the
/// running CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cpu {
    /// AVX2 and FMA (x86-64-v3).
    pub avx2_fma: bool,
    /// AVX-512 Foundation (with BW and VL).
    pub avx512: bool,
    /// AVX-512 BF16 dot products.
    pub avx512_bf16: bool,
    /// AVX-512 VNNI integer dot products.
    pub avx512_vnni: bool,
    /// ARM's Advanced SIMD.
    pub neon: bool,
}

impl Cpu {
    /// The running CPU.
    pub fn detect() -> Cpu {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let avx512 = has!("avx512f") && has!("avx512bw") && has!("avx512vl");
            Cpu {
                avx2_fma: has!("avx2") && has!("fma"),
                avx512,
                avx512_bf16: avx512 && has!("avx512bf16"),
                avx512_vnni: avx512 && has!("avx512vnni"),
                neon: false,
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            Cpu { neon: std::arch::is_aarch64_feature_detected!("neon"), ..Cpu::default() }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            Cpu::default()
        }
    }

    /// The kernel a precision runs on with this CPU, or `None` when the
    /// precision cannot run here at all (bf16 without AVX-512 BF16).
    pub fn kernel(self, precision: Precision) -> Option<Kernel> {
        match precision {
            Precision::F32 if self.avx512 => Some(Kernel::F32Avx512),
            Precision::F32 if self.avx2_fma => Some(Kernel::F32Avx2),
            Precision::F32 => Some(Kernel::F32Portable),
            Precision::Bf16 if self.avx512_bf16 => Some(Kernel::Bf16Avx512),
            Precision::Bf16 => None,
            Precision::Int8 if self.avx512_vnni => Some(Kernel::Int8Vnni),
            Precision::Int8 => Some(Kernel::Int8Portable),
        }
    }

    /// Whether a precision has a fast kernel here (not only the portable
    /// fallback).
    pub fn accelerates(self, precision: Precision) -> bool {
        matches!(
            self.kernel(precision),
            Some(Kernel::F32Avx512 | Kernel::F32Avx2 | Kernel::Bf16Avx512 | Kernel::Int8Vnni)
        )
    }

    /// The extensions present, for `tessera doctor`.
    pub fn describe(self) -> String {
        let mut v = Vec::new();
        if self.avx2_fma {
            v.push("AVX2+FMA");
        }
        if self.avx512 {
            v.push("AVX-512");
        }
        if self.avx512_bf16 {
            v.push("AVX-512 BF16");
        }
        if self.avx512_vnni {
            v.push("AVX-512 VNNI");
        }
        if self.neon {
            v.push("NEON");
        }
        if v.is_empty() { "no SIMD extensions the embedder uses".into() } else { v.join(", ") }
    }
}

/// Whether this CPU has the AVX-512 BF16 instructions.
pub fn bf16_supported() -> bool {
    Cpu::detect().avx512_bf16
}

/// A matrix-multiplication kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// f32, AVX-512 (12 × 32 tiles).
    F32Avx512,
    /// f32, AVX2 and FMA (6 × 16 tiles).
    F32Avx2,
    /// f32, `matrixmultiply` (any CPU; NEON on ARM).
    F32Portable,
    /// bf16 products, AVX-512 BF16 (12 × 32 tiles).
    Bf16Avx512,
    /// int8 products, AVX-512 VNNI (12 × 32 tiles).
    Int8Vnni,
    /// int8 products in portable code.
    Int8Portable,
}

impl Kernel {
    /// Its name, for logs and `tessera doctor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kernel::F32Avx512 => "f32 AVX-512",
            Kernel::F32Avx2 => "f32 AVX2+FMA",
            Kernel::F32Portable => "f32 portable",
            Kernel::Bf16Avx512 => "bf16 AVX-512 BF16",
            Kernel::Int8Vnni => "int8 AVX-512 VNNI",
            Kernel::Int8Portable => "int8 portable",
        }
    }

    /// Rows and columns of one output tile.
    fn tile(self) -> (usize, usize) {
        match self {
            Kernel::F32Avx512 | Kernel::Bf16Avx512 | Kernel::Int8Vnni => (12, 32),
            Kernel::F32Avx2 => (6, 16),
            Kernel::F32Portable | Kernel::Int8Portable => (1, 1),
        }
    }
}

/// What happens to each output after the bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Nothing.
    None,
    /// BERT's exact GELU.
    Gelu,
}

/// Rounds an f32 to bfloat16 (nearest, ties to even).
pub fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    if x.is_nan() {
        return ((bits >> 16) | 0x40) as u16;
    }
    let round = ((bits >> 16) & 1) + 0x7fff;
    (bits.wrapping_add(round) >> 16) as u16
}

/// A weight matrix packed for one kernel.
#[derive(Debug, Clone)]
pub struct Weight {
    n: usize,
    k: usize,
    kernel: Kernel,
    data: Packed,
    /// The bias padded to whole panels.
    bias: Vec<f32>,
}

#[derive(Debug, Clone)]
enum Packed {
    /// Row-major `n × k` (the portable f32 kernel).
    F32Rows(Vec<f32>),
    /// Panels of `nr` output columns; within a panel, for each `p < k`,
    /// the `nr` columns' weights side by side.
    F32Panels(Vec<f32>),
    /// Panels of `nr` columns; for each pair of `k`, the columns' two bf16
    /// values side by side.
    Bf16Panels(Vec<u16>),
    /// int8 weights (row-major for the portable kernel; for VNNI, panels
    /// of `nr` columns holding, for each quad of `k`, the columns' four
    /// values side by side), per-column scales, and `sums[j] = Σₚ q[j][p]`,
    /// which carries each activation row's offset.
    /// `inv_smooth`, when set, divides each input channel of the
    /// activations before they are quantised (see [`Weight::smoothed`]).
    Int8 { w: Vec<i8>, scales: Vec<f32>, sums: Vec<f32>, inv_smooth: Option<Vec<f32>> },
}

impl Weight {
    /// Packs a row-major `n × k` weight and its bias for `precision` on
    /// this CPU.
    ///
    /// # Panics
    /// If `precision` cannot run on this CPU (see [`Cpu::kernel`]) or the
    /// shapes disagree.
    pub fn new(w: &[f32], bias: &[f32], n: usize, k: usize, precision: Precision) -> Weight {
        let kernel = Cpu::detect()
            .kernel(precision)
            .unwrap_or_else(|| panic!("{} cannot run on this CPU", precision.as_str()));
        Weight::with_kernel(w, bias, n, k, kernel)
    }

    /// Packs for a given kernel (which the CPU must support).
    pub fn with_kernel(w: &[f32], bias: &[f32], n: usize, k: usize, kernel: Kernel) -> Weight {
        assert_eq!(w.len(), n * k, "weight shape");
        assert_eq!(bias.len(), n, "bias shape");
        let (_, nr) = kernel.tile();
        let panels = n.div_ceil(nr);
        let mut padded_bias = vec![0f32; panels * nr];
        padded_bias[..n].copy_from_slice(bias);
        let at = |row: usize, col: usize| if row < n && col < k { w[row * k + col] } else { 0.0 };
        let data = match kernel {
            Kernel::F32Portable => Packed::F32Rows(w.to_vec()),
            Kernel::F32Avx512 | Kernel::F32Avx2 => {
                let mut out = vec![0f32; panels * k * nr];
                for panel in 0..panels {
                    for p in 0..k {
                        for i in 0..nr {
                            out[(panel * k + p) * nr + i] = at(panel * nr + i, p);
                        }
                    }
                }
                Packed::F32Panels(out)
            }
            Kernel::Bf16Avx512 => {
                let pairs = k.div_ceil(2);
                let mut out = vec![0u16; panels * pairs * nr * 2];
                for panel in 0..panels {
                    for p in 0..pairs {
                        for i in 0..nr {
                            for h in 0..2 {
                                out[((panel * pairs + p) * nr + i) * 2 + h] =
                                    to_bf16(at(panel * nr + i, 2 * p + h));
                            }
                        }
                    }
                }
                Packed::Bf16Panels(out)
            }
            Kernel::Int8Vnni | Kernel::Int8Portable => {
                let (q, scales) = quantize_weights(w, n, k);
                let sums: Vec<f32> = q
                    .chunks_exact(k)
                    .map(|r| r.iter().map(|&x| i32::from(x)).sum::<i32>() as f32)
                    .collect();
                let w = if kernel == Kernel::Int8Portable {
                    q
                } else {
                    let quads = k.div_ceil(4);
                    let mut out = vec![0i8; panels * quads * nr * 4];
                    for panel in 0..panels {
                        for p in 0..quads {
                            for i in 0..nr {
                                for h in 0..4 {
                                    let (row, col) = (panel * nr + i, 4 * p + h);
                                    if row < n && col < k {
                                        out[((panel * quads + p) * nr + i) * 4 + h] =
                                            q[row * k + col];
                                    }
                                }
                            }
                        }
                    }
                    out
                };
                let mut padded_scales = vec![0f32; panels * nr];
                padded_scales[..n].copy_from_slice(&scales);
                let mut padded_sums = vec![0f32; panels * nr];
                padded_sums[..n].copy_from_slice(&sums);
                Packed::Int8 { w, scales: padded_scales, sums: padded_sums, inv_smooth: None }
            }
        };
        Weight { n, k, kernel, data, bias: padded_bias }
    }

    /// Packs for an int8 kernel with the input channels rescaled: the
    /// weights' column `c` multiplied by `s[c]` and each activation's
    /// channel `c` divided by it before quantisation — the same product,
    /// with outlier channels' range moved from the activations (quantised
    /// per row) to the weights (quantised per column). Other kernels
    /// ignore `s`.
    pub fn smoothed(
        w: &[f32],
        bias: &[f32],
        n: usize,
        k: usize,
        kernel: Kernel,
        s: &[f32],
    ) -> Weight {
        assert_eq!(s.len(), k, "one scale per input channel");
        if !matches!(kernel, Kernel::Int8Vnni | Kernel::Int8Portable) {
            return Weight::with_kernel(w, bias, n, k, kernel);
        }
        let scaled: Vec<f32> =
            w.chunks_exact(k).flat_map(|row| row.iter().zip(s).map(|(x, s)| x * s)).collect();
        let mut weight = Weight::with_kernel(&scaled, bias, n, k, kernel);
        if let Packed::Int8 { inv_smooth, .. } = &mut weight.data {
            *inv_smooth = Some(s.iter().map(|s| 1.0 / s).collect());
        }
        weight
    }

    /// The largest magnitude in each input column (f32 weights only; 0
    /// for others).
    pub fn column_max_abs(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.k];
        match (&self.data, self.kernel.tile()) {
            (Packed::F32Rows(w), _) => {
                for row in w.chunks_exact(self.k) {
                    for (m, x) in out.iter_mut().zip(row) {
                        *m = m.max(x.abs());
                    }
                }
            }
            (Packed::F32Panels(w), (_, nr)) => {
                for (i, x) in w.iter().enumerate() {
                    let p = (i / nr) % self.k;
                    out[p] = out[p].max(x.abs());
                }
            }
            _ => {}
        }
        out
    }

    /// Output width.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Input width.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The kernel it was packed for.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// `out (m × n) = act(a (m × k) · wᵀ + bias)`; `scratch` is reused
    /// between calls to avoid allocations.
    pub fn forward(
        &self,
        a: &[f32],
        m: usize,
        out: &mut [f32],
        act: Activation,
        scratch: &mut Scratch,
    ) {
        let (n, k) = (self.n, self.k);
        assert!(a.len() >= m * k && out.len() >= m * n, "linear shapes");
        if m == 0 {
            return;
        }
        let (a, out) = (&a[..m * k], &mut out[..m * n]);
        match (&self.data, self.kernel) {
            (Packed::F32Rows(w), _) => {
                portable::sgemm(a, m, k, w, n, &self.bias[..n], out);
                if act == Activation::Gelu {
                    math::gelu(out);
                }
            }
            (Packed::Int8 { w, scales, sums, inv_smooth }, Kernel::Int8Portable) => {
                let mut smoothed = std::mem::take(&mut scratch.smoothed);
                let a = smooth(a, k, inv_smooth.as_deref(), &mut smoothed);
                portable::igemm(
                    a,
                    k,
                    w,
                    n,
                    &scales[..n],
                    &sums[..n],
                    &self.bias[..n],
                    out,
                    scratch,
                );
                scratch.smoothed = smoothed;
                if act == Activation::Gelu {
                    math::gelu(out);
                }
            }
            #[cfg(target_arch = "x86_64")]
            (data, kernel) => x86::gemm(kernel, data, a, m, k, n, &self.bias, out, act, scratch),
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("packed panels are only built for x86-64 kernels"),
        }
    }
}

/// `a` with each row's channels multiplied by `inv` (into `buf`), or `a`
/// itself when there is nothing to do.
fn smooth<'a>(a: &'a [f32], k: usize, inv: Option<&[f32]>, buf: &'a mut Vec<f32>) -> &'a [f32] {
    let Some(inv) = inv else { return a };
    buf.clear();
    buf.extend(a.chunks_exact(k).flat_map(|row| row.iter().zip(inv).map(|(x, s)| x * s)));
    buf
}

/// The f32 FMA peak of `threads` cores running at once, in FLOP/s,
/// measured with the widest vectors the CPU has (NaN where no x86
/// measurement exists). For reporting what fraction of it the kernels
/// reach.
pub fn fma_peak_flops(threads: usize) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        std::thread::scope(|s| {
            let handles: Vec<_> =
                (0..threads.max(1)).map(|_| s.spawn(|| x86::fma_peak_one_core(0.3))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or(f64::NAN)).sum()
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = threads;
        f64::NAN
    }
}

/// Buffers of [`attention_head`].
#[cfg(target_arch = "x86_64")]
pub use x86::AttentionScratch;
/// Buffers of [`attention_head`] (none off x86-64).
#[cfg(not(target_arch = "x86_64"))]
#[derive(Debug, Default)]
pub struct AttentionScratch;

/// One head of self-attention, `ctx = softmax(scale · Q·Kᵀ) · V`, on the
/// AVX-512 f32 kernel when the CPU has it and `d` is a multiple of 32;
/// returns `false` (having done nothing) otherwise. See
/// [`x86::attention_head`] for the layout.
#[allow(clippy::too_many_arguments)]
pub fn attention_head(
    len: usize,
    d: usize,
    scale: f32,
    qkv: (&[f32], &[f32], &[f32], usize),
    ctx: &mut [f32],
    ldc: usize,
    scratch: &mut AttentionScratch,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if len > 0 && d.is_multiple_of(32) && Cpu::detect().avx512 {
        x86::attention_head(len, d, scale, qkv, ctx, ldc, scratch);
        return true;
    }
    let _ = (len, d, scale, qkv, ctx, ldc, scratch);
    false
}

/// Symmetric int8 quantisation of each `k`-wide row of a weight: the
/// values in [-127, 127] and each row's scale (`w ≈ q · scale`).
pub fn quantize_weights(w: &[f32], rows: usize, k: usize) -> (Vec<i8>, Vec<f32>) {
    let mut q = vec![0i8; rows * k];
    let mut scales = vec![0f32; rows];
    for ((src, dst), scale) in w.chunks_exact(k).zip(q.chunks_exact_mut(k)).zip(&mut scales) {
        let max = src.iter().fold(0f32, |m, x| m.max(x.abs()));
        if max > 0.0 {
            let inv = 127.0 / max;
            for (d, x) in dst.iter_mut().zip(src) {
                *d = (x * inv).round_ties_even() as i8;
            }
            *scale = max / 127.0;
        }
    }
    (q, scales)
}

/// Asymmetric 8-bit quantisation of one row of activations into `dst`:
/// `x ≈ lo + scale · q` with `q` in [0, 255], so the row's whole range
/// gets all 256 steps (GELU's output, say, is far from symmetric).
/// Returns `(scale, lo)`.
#[inline]
pub fn quantize_activations(src: &[f32], dst: &mut [u8]) -> (f32, f32) {
    quantize_activations_scaled(src, None, dst)
}

/// [`quantize_activations`] of `src` with each channel first multiplied by
/// `inv` (a smoothed layer's inverse scales), without a copy.
#[inline]
pub fn quantize_activations_scaled(src: &[f32], inv: Option<&[f32]>, dst: &mut [u8]) -> (f32, f32) {
    if let Some(inv) = inv {
        let (lo, hi) =
            src.iter().zip(inv).fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), (&x, &s)| {
                let y = x * s;
                (l.min(y), h.max(y))
            });
        if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
            dst.fill(0);
            return (0.0, if lo.is_finite() { lo } else { 0.0 });
        }
        let step = 255.0 / (hi - lo);
        for ((d, x), s) in dst.iter_mut().zip(src).zip(inv) {
            *d = ((x * s - lo) * step).round_ties_even() as u8;
        }
        return ((hi - lo) / 255.0, lo);
    }
    let (lo, hi) =
        src.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        dst.fill(0);
        return (0.0, if lo.is_finite() { lo } else { 0.0 });
    }
    let scale = (hi - lo) / 255.0;
    let inv = 255.0 / (hi - lo);
    for (d, x) in dst.iter_mut().zip(src) {
        *d = ((x - lo) * inv).round_ties_even() as u8;
    }
    (scale, lo)
}

/// Reusable buffers of the kernels.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Activations converted for the kernel (bf16 pairs or u8 quads),
    /// with the last block of rows padded to a whole tile.
    a32: Vec<u32>,
    /// The last block of f32 rows, padded to a whole tile.
    tail_f32: Vec<f32>,
    /// Each activation row's int8 scale and offset.
    row_scales: Vec<f32>,
    row_offsets: Vec<f32>,
    /// One output tile, for edges.
    tile: Vec<f32>,
    /// One row of u8 activations (portable int8).
    q: Vec<u8>,
    /// Activations with their channels rescaled (smoothed int8).
    smoothed: Vec<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(a: &[f32], m: usize, k: usize, w: &[f32], n: usize, bias: &[f32]) -> Vec<f32> {
        let mut out = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let s: f64 =
                    (0..k).map(|q| f64::from(a[i * k + q]) * f64::from(w[j * k + q])).sum();
                out[i * n + j] = s as f32 + bias[j];
            }
        }
        out
    }

    fn data(len: usize, seed: u64) -> Vec<f32> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect()
    }

    fn kernels() -> Vec<Kernel> {
        let cpu = Cpu::detect();
        let mut all = vec![Kernel::F32Portable, Kernel::Int8Portable];
        if cpu.avx2_fma {
            all.push(Kernel::F32Avx2);
        }
        if cpu.avx512 {
            all.push(Kernel::F32Avx512);
        }
        if cpu.avx512_bf16 {
            all.push(Kernel::Bf16Avx512);
        }
        if cpu.avx512_vnni {
            all.push(Kernel::Int8Vnni);
        }
        all
    }

    #[test]
    fn bf16_rounding() {
        assert_eq!(to_bf16(1.0), 0x3f80);
        assert_eq!(to_bf16(-2.0), 0xc000);
        // 1 + 2^-8 is halfway between bf16 neighbours: ties go to even.
        assert_eq!(to_bf16(1.0 + 1.0 / 256.0), 0x3f80);
        assert_eq!(to_bf16(1.0 + 3.0 / 256.0), 0x3f82);
        assert!(to_bf16(f32::NAN) & 0x7f80 == 0x7f80);
    }

    #[test]
    fn quantisation_round_trips_within_half_a_step() {
        let x = data(3 * 40, 9);
        let (q, scales) = quantize_weights(&x, 3, 40);
        for r in 0..3 {
            for c in 0..40 {
                let back = f32::from(q[r * 40 + c]) * scales[r];
                assert!((back - x[r * 40 + c]).abs() <= scales[r] / 2.0 + 1e-7);
            }
            assert_eq!(q[r * 40..(r + 1) * 40].iter().map(|v| v.unsigned_abs()).max(), Some(127));
        }
        let mut u = vec![0u8; 40];
        let (scale, lo) = quantize_activations(&x[..40], &mut u);
        for (q, x) in u.iter().zip(&x[..40]) {
            assert!((lo + scale * f32::from(*q) - x).abs() <= scale / 2.0 + 1e-6);
        }
        assert_eq!((u.iter().min(), u.iter().max()), (Some(&0), Some(&255)));
        assert_eq!(quantize_activations(&[0.5; 4], &mut u[..4]), (0.0, 0.5));
        assert_eq!(&u[..4], &[0; 4]);
    }

    #[test]
    fn every_kernel_matches_the_reference_on_odd_shapes() {
        for &(m, k, n) in &[(1, 3, 5), (13, 33, 40), (25, 64, 96), (7, 384, 33), (40, 100, 70)] {
            let a = data(m * k, 1);
            let w = data(n * k, 2);
            let bias = data(n, 3);
            let want = reference(&a, m, k, &w, n, &bias);
            for kernel in kernels() {
                let weight = Weight::with_kernel(&w, &bias, n, k, kernel);
                let mut out = vec![f32::NAN; m * n];
                weight.forward(&a, m, &mut out, Activation::None, &mut Scratch::default());
                // Values are in ±0.5: a product's rounding error is at
                // most 2⁻⁹ (bf16) or 1/254 of each factor's range (int8).
                let tol = match kernel {
                    Kernel::F32Avx512 | Kernel::F32Avx2 | Kernel::F32Portable => 1e-5,
                    Kernel::Bf16Avx512 => 0.02 * (k as f32).sqrt() / 4.0,
                    Kernel::Int8Vnni | Kernel::Int8Portable => 0.01 * (k as f32).sqrt(),
                };
                for (i, (g, r)) in out.iter().zip(&want).enumerate() {
                    assert!((g - r).abs() <= tol, "{kernel:?} {m}x{k}x{n} [{i}]: {g} vs {r}");
                }
                // GELU is applied to exactly what the plain layer gives.
                let mut gelu = vec![f32::NAN; m * n];
                weight.forward(&a, m, &mut gelu, Activation::Gelu, &mut Scratch::default());
                let mut plain = out.clone();
                math::gelu(&mut plain);
                for (g, p) in gelu.iter().zip(&plain) {
                    assert!((g - p).abs() <= 1e-6, "{kernel:?} gelu: {g} vs {p}");
                }
            }
        }
    }

    #[test]
    fn attention_matches_the_definition() {
        if !Cpu::detect().avx512 {
            return;
        }
        for &(len, d) in &[(1, 32), (5, 32), (12, 32), (13, 64), (43, 32), (70, 32)] {
            let rs = 3 * d + 8;
            let qkv = data(len * rs, 11);
            let (q, k, v) = (&qkv[..], &qkv[d..], &qkv[2 * d..]);
            let scale = 1.0 / (d as f32).sqrt();
            let ldc = d + 4;
            let mut ctx = vec![f32::NAN; len * ldc];
            let mut scratch = AttentionScratch::default();
            assert!(attention_head(len, d, scale, (q, k, v, rs), &mut ctx, ldc, &mut scratch));
            for i in 0..len {
                let mut p: Vec<f64> = (0..len)
                    .map(|j| {
                        (0..d)
                            .map(|x| f64::from(q[i * rs + x]) * f64::from(k[j * rs + x]))
                            .sum::<f64>()
                            * f64::from(scale)
                    })
                    .collect();
                let max = p.iter().copied().fold(f64::MIN, f64::max);
                let sum: f64 = p
                    .iter_mut()
                    .map(|x| {
                        *x = (*x - max).exp();
                        *x
                    })
                    .sum();
                for x in 0..d {
                    let want: f64 = (0..len).map(|j| p[j] / sum * f64::from(v[j * rs + x])).sum();
                    let got = ctx[i * ldc + x];
                    assert!(
                        (f64::from(got) - want).abs() < 1e-5,
                        "{len}x{d} [{i}][{x}]: {got} vs {want}"
                    );
                }
                // Nothing is written between rows.
                assert!(ctx[i * ldc + d..(i + 1) * ldc].iter().all(|x| x.is_nan()));
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_softmax_is_the_scalar_one() {
        if !Cpu::detect().avx512 {
            return;
        }
        for len in [1, 7, 16, 17, 43, 130] {
            let row: Vec<f32> = data(len, len as u64).iter().map(|x| x * 40.0).collect();
            let mut want = row.clone();
            math::softmax(&mut want);
            let mut got = row.clone();
            // SAFETY: the CPU has AVX-512F (checked above).
            #[allow(unsafe_code)]
            unsafe {
                x86::softmax_avx512(&mut got)
            };
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-6 * w.max(1e-3), "{len}: {g} vs {w}");
            }
            assert!((got.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn int8_kernels_agree_with_each_other() {
        let cpu = Cpu::detect();
        if !cpu.avx512_vnni {
            return;
        }
        let (m, k, n) = (30, 384, 64);
        let (a, w, bias) = (data(m * k, 4), data(n * k, 5), data(n, 6));
        let mut outs = Vec::new();
        for kernel in [Kernel::Int8Portable, Kernel::Int8Vnni] {
            let weight = Weight::with_kernel(&w, &bias, n, k, kernel);
            let mut out = vec![0f32; m * n];
            weight.forward(&a, m, &mut out, Activation::None, &mut Scratch::default());
            outs.push(out);
        }
        for (x, y) in outs[0].iter().zip(&outs[1]) {
            assert!((x - y).abs() <= 1e-4, "{x} vs {y}");
        }
    }
}
