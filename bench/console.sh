#!/usr/bin/env bash
# The console's numbers against the release binary: first-page weight,
# time to interactive, and route changes on the team and audit pages with
# 1,000 members (and their audit entries) behind them.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
make --no-print-directory -s console >/dev/null
cargo build -q --release -p tessera
node web/e2e/bench.mjs target/release/tessera
