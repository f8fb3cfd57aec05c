//! Which arithmetic the encoder uses: `ai.embed_precision` is `auto`
//! (the fastest path on this CPU that meets the accuracy bar), or `f32`,
//! `bf16` or `int8` by name.

use crate::gemm::{Cpu, Kernel, Precision};

/// Whether int8 meets the bar for being chosen by `auto`: on the
/// knowledge evaluation set (bench/knowledge_eval), its recall@5 is within
/// 0.005 of f32's. Measured, not assumed: hybrid recall@5 is the same
/// (81 of 124 questions), but vector-only recall@5 is 68 of 124 against
/// f32's 70 (0.548 vs 0.565; two answers moved from rank 4–5 to 6), so
/// int8 is used only when asked for.
pub const INT8_MEETS_RECALL_BAR: bool = false;

/// The precision in use and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The arithmetic.
    pub precision: Precision,
    /// The kernel it runs on.
    pub kernel: Kernel,
    /// Why, in a sentence for `tessera doctor` and the logs.
    pub reason: String,
    /// Set when the configuration asked for something this CPU does not
    /// run (or runs slowly), so the person reading should look.
    pub warning: bool,
}

/// Resolves the `embed_precision` setting on `cpu`. Unknown names are
/// refused; the configuration checks them earlier.
pub fn choose(setting: &str, cpu: Cpu) -> Result<Choice, String> {
    let pick = |precision: Precision, reason: String, warning: bool| {
        let kernel = cpu.kernel(precision).expect("only runnable precisions are picked");
        Choice { precision, kernel, reason, warning }
    };
    match setting {
        "auto" => Ok(auto(cpu)),
        "f32" => Ok(pick(Precision::F32, "set to f32".into(), false)),
        "int8" if cpu.avx512_vnni => Ok(pick(Precision::Int8, "set to int8".into(), false)),
        "int8" => Ok(pick(
            Precision::Int8,
            format!(
                "set to int8, but this CPU has no AVX-512 VNNI ({}): int8 runs on portable code, \
                 slower than f32 here; use `auto`",
                cpu.describe()
            ),
            true,
        )),
        "bf16" if cpu.avx512_bf16 => Ok(pick(Precision::Bf16, "set to bf16".into(), false)),
        "bf16" => {
            let fallback = auto(cpu);
            Ok(Choice {
                reason: format!(
                    "set to bf16, but this CPU has no AVX-512 BF16 ({}); using {} instead: {}",
                    cpu.describe(),
                    fallback.precision.as_str(),
                    fallback.reason
                ),
                warning: true,
                ..fallback
            })
        }
        other => Err(format!("unknown embed_precision `{other}` (auto, f32, bf16 or int8)")),
    }
}

/// The fastest precision on `cpu` that meets the accuracy bar: int8 on
/// AVX-512 VNNI, else bf16 on AVX-512 BF16, else f32.
fn auto(cpu: Cpu) -> Choice {
    let (precision, reason) = if cpu.avx512_vnni && INT8_MEETS_RECALL_BAR {
        (
            Precision::Int8,
            "auto: int8 on AVX-512 VNNI is the fastest path here, and its retrieval recall@5 \
             is within 0.005 of f32's"
                .to_string(),
        )
    } else if cpu.avx512_bf16 {
        (
            Precision::Bf16,
            if cpu.avx512_vnni {
                "auto: bf16 on AVX-512 BF16 (int8 would be faster but misses the recall bar)"
                    .to_string()
            } else {
                "auto: bf16 on AVX-512 BF16 is the fastest path here".to_string()
            },
        )
    } else {
        let kernel = cpu.kernel(Precision::F32).expect("f32 runs everywhere");
        let why = if cpu.avx512_vnni {
            "int8 on AVX-512 VNNI would be faster but misses the recall bar, and there is no \
             AVX-512 BF16"
        } else {
            "this CPU has neither AVX-512 VNNI nor AVX-512 BF16"
        };
        (Precision::F32, format!("auto: f32 on the {} kernel, as {why}", kernel.as_str()))
    };
    Choice { precision, kernel: cpu.kernel(precision).expect("runnable"), reason, warning: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(f: impl FnOnce(&mut Cpu)) -> Cpu {
        let mut c = Cpu { avx2_fma: true, ..Cpu::default() };
        f(&mut c);
        c
    }

    #[test]
    fn auto_takes_the_fastest_path_the_cpu_has() {
        let desktop = cpu(|_| {});
        assert_eq!(choose("auto", desktop).unwrap().precision, Precision::F32);
        assert_eq!(choose("auto", desktop).unwrap().kernel, Kernel::F32Avx2);
        let skylake = cpu(|c| {
            c.avx512 = true;
            c.avx512_vnni = true;
        });
        let zen4 = cpu(|c| {
            c.avx512 = true;
            c.avx512_vnni = true;
            c.avx512_bf16 = true;
        });
        let want = if INT8_MEETS_RECALL_BAR { Precision::Int8 } else { Precision::F32 };
        assert_eq!(choose("auto", skylake).unwrap().precision, want);
        let want = if INT8_MEETS_RECALL_BAR { Precision::Int8 } else { Precision::Bf16 };
        assert_eq!(choose("auto", zen4).unwrap().precision, want);
        let arm = Cpu { neon: true, ..Cpu::default() };
        assert_eq!(choose("auto", arm).unwrap().kernel, Kernel::F32Portable);
    }

    #[test]
    fn named_precisions_are_honoured_or_explained() {
        let desktop = cpu(|_| {});
        let bf16 = choose("bf16", desktop).unwrap();
        assert_eq!(bf16.precision, Precision::F32);
        assert!(bf16.warning && bf16.reason.contains("no AVX-512 BF16"), "{}", bf16.reason);
        let int8 = choose("int8", desktop).unwrap();
        assert_eq!((int8.precision, int8.kernel), (Precision::Int8, Kernel::Int8Portable));
        assert!(int8.warning);
        let f32 = choose("f32", desktop).unwrap();
        assert!(!f32.warning);
        assert!(choose("fp16", desktop).unwrap_err().contains("fp16"));
    }
}
