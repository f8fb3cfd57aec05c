//! The element-wise functions of the encoder, written branch-free so the
//! compiler turns their loops into SIMD code (the standard library's
//! `exp` is a scalar libm call, and there is no `erf`).

/// `e^x` for f32 (Cephes' polynomial after range reduction; ~1 ulp).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.3, 88.7);
    let n = (x * LOG2E + 0.5).floor();
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
    let mut p = 1.987_569_1e-4_f32;
    p = p.mul_add(r, 1.398_199_9e-3);
    p = p.mul_add(r, 8.333_452e-3);
    p = p.mul_add(r, 4.166_579_6e-2);
    p = p.mul_add(r, 0.166_666_65);
    p = p.mul_add(r, 0.5);
    let y = (p * r).mul_add(r, r + 1.0);
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Coefficients of [`erf`]'s numerator (in `x²`, times `x`) and
/// denominator, highest power first.
pub const ERF_P: [f32; 7] = [
    -2.726_142_3e-10,
    2.770_681_4e-8,
    -2.101_024e-6,
    -5.692_506_4e-5,
    -7.349_906_3e-4,
    -2.954_6e-3,
    -1.609_603_3e-2,
];
/// See [`ERF_P`].
pub const ERF_Q: [f32; 5] =
    [-1.456_607_2e-5, -2.133_740_6e-4, -1.682_827e-3, -7.373_329e-3, -1.426_474e-2];

/// The error function for f32 (a rational approximation on [-4, 4],
/// ±1 outside; a few ulp).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = ERF_P[0];
    for c in &ERF_P[1..] {
        p = p.mul_add(x2, *c);
    }
    p *= x;
    let mut q = ERF_Q[0];
    for c in &ERF_Q[1..] {
        q = q.mul_add(x2, *c);
    }
    p / q
}

/// GELU as BERT defines it: `x · Φ(x)` with the exact (erf) CDF, in place.
pub fn gelu(xs: &mut [f32]) {
    for x in xs {
        *x = 0.5 * *x * (1.0 + erf(*x * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// Sum with eight independent accumulators, so the loop vectorises.
#[inline(always)]
pub fn sum(xs: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

/// Maximum, vectorised like [`sum`].
#[inline(always)]
fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a = a.max(*x);
        }
    }
    acc.iter().chain(rest).copied().fold(f32::NEG_INFINITY, f32::max)
}

/// Layer normalisation of each `width`-wide row, in place.
pub fn layer_norm(xs: &mut [f32], width: usize, gamma: &[f32], beta: &[f32], eps: f32) {
    let mut centred = vec![0f32; width];
    for row in xs.chunks_exact_mut(width) {
        let mean = sum(row) / width as f32;
        for (c, v) in centred.iter_mut().zip(row.iter()) {
            *c = (v - mean) * (v - mean);
        }
        let var = sum(&centred) / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = ((*v - mean) * inv).mul_add(*g, *b);
        }
    }
}

/// Softmax of a row, in place.
pub fn softmax(xs: &mut [f32]) {
    let m = max(xs);
    for x in xs.iter_mut() {
        *x = exp(*x - m);
    }
    let inv = 1.0 / sum(xs);
    for x in xs {
        *x *= inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf in f64 by its Taylor series (accurate to ~1e-10 on [-4, 4]).
    fn erf64(x: f64) -> f64 {
        let mut sum = 0.0;
        let mut term = x;
        let mut n = 0.0;
        while term.abs() > 1e-17 || n < 5.0 {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -x * x / n;
            if n > 200.0 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0f64;
        for i in -8700..8800 {
            let x = i as f32 / 100.0;
            let want = f64::from(x).exp();
            let rel = ((f64::from(exp(x)) - want) / want).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-200.0) < 1e-37 && exp(-200.0) >= 0.0);
    }

    #[test]
    fn erf_is_accurate() {
        let mut worst = 0f64;
        for i in -600..=600 {
            let x = i as f32 / 100.0;
            let want = if x.abs() >= 4.0 { f64::from(x.signum()) } else { erf64(f64::from(x)) };
            worst = worst.max((f64::from(erf(x)) - want).abs());
        }
        assert!(worst < 5e-7, "worst absolute error {worst}");
    }

    #[test]
    fn gelu_layer_norm_softmax() {
        let mut v = [-3.0f32, -1.0, 0.0, 1.0, 3.0];
        gelu(&mut v);
        let want = [-0.004_049_7, -0.158_655_3, 0.0, 0.841_344_7, 2.995_950_3];
        for (g, w) in v.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
        let mut rows = [1.0f32, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 10.0];
        layer_norm(&mut rows, 4, &[1.0; 4], &[0.5; 4], 1e-12);
        assert!((rows[0] + 1.341_640_8 - 0.5).abs() < 1e-5, "{rows:?}");
        assert_eq!(&rows[4..], &[0.5; 4]);
        let mut s = [1.0f32, 2.0, 3.0];
        softmax(&mut s);
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((s[2] - 0.665_240_9).abs() < 1e-6);
    }
}
