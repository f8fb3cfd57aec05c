#!/usr/bin/env bash
# The concierge's numbers: signed WhatsApp webhooks acknowledged at 500 a
# second, a customer's question to the reply accepted by the (stand-in) Graph
# API, and 1,000 conversations opened at once across 100 companies.
# Scale: CONCIERGE_BENCH_RATE (500), CONCIERGE_BENCH_SECONDS (10),
# CONCIERGE_BENCH_QUESTIONS (100), CONCIERGE_BENCH_TENANTS (100),
# CONCIERGE_BENCH_PER_TENANT (10).
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
export RUST_LOG="${RUST_LOG:-error}"
cargo bench -q -p concierge --bench concierge -- "$@" 2>/dev/null | grep -v '^$'
