#!/usr/bin/env bash
# The job queue's numbers: no-op job throughput with 4 workers, and
# enqueue-to-start latency with idle workers (NOTIFY wake-up).
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
cargo bench -q -p jobs --bench queue 2>/dev/null | grep -v '^$'
