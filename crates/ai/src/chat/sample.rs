//! Token sampling over the model's logits, in one pass.
//!
//! Gemma's vocabulary has 262,144 entries; llama.cpp's generic sampler
//! chain copies them all into a candidate array for every token (about a
//! millisecond, 6% of a token's time here). This keeps only what sampling
//! needs: the best token (greedy), or the top-k in a small heap, then
//! top-p, temperature and a seeded draw. A repetition penalty over the
//! last tokens applies first, as llama.cpp's does.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Sampling settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// 0 = greedy.
    pub temperature: f32,
    /// Nucleus: the smallest set of tokens whose probability reaches this.
    pub top_p: f32,
    /// Only the best `top_k` tokens are considered.
    pub top_k: usize,
    /// Logits of recently generated tokens are divided (if positive) or
    /// multiplied (if negative) by this.
    pub repeat_penalty: f32,
    /// How many recent tokens the penalty looks at.
    pub repeat_window: usize,
}

/// A seeded sampler with its recent-token window.
#[derive(Debug, Clone)]
pub struct Sampler {
    settings: Settings,
    rng: u64,
    recent: Vec<i32>,
    scratch: Vec<f32>,
}

#[derive(PartialEq)]
struct Cand(f32, i32);

impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cand {
    // Reversed: the heap's top is the smallest kept logit.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

impl Sampler {
    /// A sampler; `seed` makes draws reproducible.
    pub fn new(settings: Settings, seed: u64) -> Sampler {
        Sampler {
            settings,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            recent: Vec::new(),
            scratch: Vec::new(),
        }
    }

    fn next_f32(&mut self) -> f32 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Picks the next token from `logits` and remembers it.
    pub fn sample(&mut self, logits: &[f32]) -> i32 {
        // A copy with the penalty applied to recent tokens (a memcpy is
        // cheaper than checking every entry against the window).
        let penalty = self.settings.repeat_penalty;
        let work: &[f32] = if penalty != 1.0 && !self.recent.is_empty() {
            self.scratch.clear();
            self.scratch.extend_from_slice(logits);
            let mut seen = self.recent.clone();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                if let Some(l) = self.scratch.get_mut(id as usize) {
                    *l = if *l > 0.0 { *l / penalty } else { *l * penalty };
                }
            }
            &self.scratch
        } else {
            logits
        };
        let token = if self.settings.temperature <= 0.0 {
            let mut best = (f32::NEG_INFINITY, 0usize);
            for (i, &l) in work.iter().enumerate() {
                if l > best.0 {
                    best = (l, i);
                }
            }
            best.1 as i32
        } else {
            let k = self.settings.top_k.clamp(1, work.len());
            let mut heap: BinaryHeap<Cand> = BinaryHeap::with_capacity(k + 1);
            for (i, &v) in work.iter().enumerate() {
                if heap.len() < k {
                    heap.push(Cand(v, i as i32));
                } else if let Some(top) = heap.peek()
                    && v > top.0
                {
                    heap.pop();
                    heap.push(Cand(v, i as i32));
                }
            }
            let mut top: Vec<(f32, i32)> = heap.into_iter().map(|c| (c.0, c.1)).collect();
            top.sort_by(|a, b| b.0.total_cmp(&a.0));
            let t = self.settings.temperature;
            let max = top[0].0;
            let mut probs: Vec<f32> = top.iter().map(|(l, _)| ((l - max) / t).exp()).collect();
            let sum: f32 = probs.iter().sum();
            for p in &mut probs {
                *p /= sum;
            }
            // Nucleus.
            let mut cut = probs.len();
            let mut acc = 0.0;
            for (i, p) in probs.iter().enumerate() {
                acc += p;
                if acc >= self.settings.top_p {
                    cut = i + 1;
                    break;
                }
            }
            let total: f32 = probs[..cut].iter().sum();
            let mut r = self.next_f32() * total;
            let mut chosen = top[cut - 1].1;
            for (p, (_, id)) in probs[..cut].iter().zip(&top) {
                if r < *p {
                    chosen = *id;
                    break;
                }
                r -= p;
            }
            chosen
        };
        self.recent.push(token);
        if self.recent.len() > self.settings.repeat_window {
            self.recent.remove(0);
        }
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(temperature: f32) -> Settings {
        Settings { temperature, top_p: 1.0, top_k: 40, repeat_penalty: 1.0, repeat_window: 64 }
    }

    #[test]
    fn greedy_takes_the_best_and_the_penalty_can_change_it() {
        let logits = [0.1, 2.0, 1.9, -1.0];
        let mut s = Sampler::new(settings(0.0), 1);
        assert_eq!(s.sample(&logits), 1);
        let mut p = Sampler::new(Settings { repeat_penalty: 1.1, ..settings(0.0) }, 1);
        assert_eq!(p.sample(&logits), 1);
        // Token 1 was just generated: 2.0 / 1.1 < 1.9.
        assert_eq!(p.sample(&logits), 2);
    }

    #[test]
    fn sampling_is_seeded_and_respects_top_k_and_top_p() {
        let logits: Vec<f32> = (0..1000).map(|i| (i % 97) as f32 / 10.0).collect();
        let draw = |seed| {
            let mut s = Sampler::new(Settings { top_k: 5, ..settings(1.0) }, seed);
            (0..20).map(|_| s.sample(&logits)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7), "same seed, same tokens");
        let best: Vec<i32> = {
            let mut v: Vec<(f32, i32)> =
                logits.iter().enumerate().map(|(i, l)| (*l, i as i32)).collect();
            v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            v.iter().take(5).map(|x| x.1).collect()
        };
        for t in draw(3) {
            assert!(logits[t as usize] >= logits[best[4] as usize], "{t} is outside the top 5");
        }
        // A tiny top_p keeps only the most likely token.
        let mut s = Sampler::new(Settings { top_p: 0.01, ..settings(1.0) }, 9);
        let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for _ in 0..10 {
            assert_eq!(logits[s.sample(&logits) as usize], top);
        }
    }
}
