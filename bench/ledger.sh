#!/usr/bin/env bash
# The ledger's numbers: issuing a 10-line invoice and its PDF, 100 users of
# one company issuing and listing at once, and one company with a million
# invoices among a thousand (lists, aging, trial balance).
# Scale: LEDGER_BENCH_INVOICES (default 1000000), LEDGER_BENCH_TENANTS (1000);
# LEDGER_BENCH_LINES=0 leaves out the three journal lines per invoice where the
# disk cannot hold them (ten million invoices with their lines take ~55 GB; the
# reports measured read the per-day account sums, which are filled either way).
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
export RUST_LOG="${RUST_LOG:-error}"
cargo bench -q -p ledger --bench ledger -- "$@" 2>/dev/null | grep -v '^$'
