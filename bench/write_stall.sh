#!/usr/bin/env bash
# One long transaction of a tenant against that tenant's other writes:
# p50/p95/p99 of small audited, event-publishing writes (200 started a
# second) with and without a 2-second audited transaction running.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
cargo bench -q -p identity --bench write_stall 2>/dev/null | grep -v '^$'
