-- Prints latency percentiles (including p95, which wrk omits) and the
-- share of non-2xx answers. Load with -s; other scripts dofile() it.
function done(summary, latency, requests)
  local function ms(us) return string.format("%.2f ms", us / 1000) end
  io.write(string.format("requests: %d in %.1f s = %.0f req/s\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50 %s  p95 %s  p99 %s  max %s\n", ms(latency:percentile(50)),
    ms(latency:percentile(95)), ms(latency:percentile(99)), ms(latency.max)))
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("errors (non-2xx or socket): %d\n", bad))
end
