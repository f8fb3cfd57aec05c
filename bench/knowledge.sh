#!/usr/bin/env bash
# The knowledge base's numbers: ingestion (a 10-page PDF to ready, and
# sustained pages/min), search latency and recall@10 against exact search
# over many tenants, alone and with 50 searchers, and the query embedding.
# Scale: KNOWLEDGE_BENCH_CHUNKS (default 200000), KNOWLEDGE_BENCH_TENANTS (200).
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
export RUST_LOG="${RUST_LOG:-error}"
cargo bench -q -p knowledge --bench knowledge -- "$@" 2>/dev/null | grep -v '^$'
