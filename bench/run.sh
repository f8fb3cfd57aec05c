#!/usr/bin/env bash
# Runs every benchmark against a release build and prints the figures.
# Usage: bench/run.sh [name…]   (names: platform; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh wrk hyperfine
mkdir -p bench/out
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(platform identity write_stall jobs ai console knowledge ledger concierge)
for b in "${benches[@]}"; do
  echo "== $b"
  "bench/$b.sh" | tee "bench/out/$b.txt"
done
