//! What the benches in `bench/` share: percentiles, one line of figures
//! per measurement, scale from the environment, the process's memory.

/// The `p` quantile (0–1) of `v` (sorted in place), nearest rank.
pub fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Prints `name: n=… p50 … ms, p95 … ms, p99 … ms, max … ms` of latencies
/// in milliseconds.
pub fn report(name: &str, v: &mut [f64]) {
    println!(
        "{name}: n={} p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        v.len(),
        pct(v, 0.5),
        pct(v, 0.95),
        pct(v, 0.99),
        pct(v, 1.0)
    );
}

/// A count from the environment (a bench's scale), else `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// This process's resident memory, in MB (0 where `/proc` has none).
pub fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}
