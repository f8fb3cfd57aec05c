#!/usr/bin/env bash
# Prints the nextest filter of the tests this machine can run. Tests that
# need something a machine may lack are `#[ignore]`d and named after it
# (`…_needs_root`, `…_needs_avx512_bf16`); `make test` runs the ignored
# ones whose need this machine meets, so they are mandatory where they can
# run, and nextest reports the others as skipped. What is skipped and why
# goes to stderr.
set -euo pipefail
excluded=()
if [ "$(id -u)" -ne 0 ]; then
  excluded+=("test(/_needs_root\$/)")
  echo "skipped here: tests that need root (not running as root)" >&2
fi
if ! grep -qw avx512_bf16 /proc/cpuinfo 2>/dev/null; then
  excluded+=("test(/_needs_avx512_bf16\$/)")
  echo "skipped here: tests that need AVX-512 BF16 (this CPU lacks it)" >&2
fi
if [ ${#excluded[@]} -eq 0 ]; then
  echo "all()"
else
  joined=$(printf ' | %s' "${excluded[@]}")
  echo "not (${joined:3})"
fi
