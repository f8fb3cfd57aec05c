#!/usr/bin/env bash
# The knowledge base's retrieval and answer quality on the Python
# documentation: fetches the corpus, starts the release binary on a free
# port with its own data directory, runs eval.py against it and stops it.
#
#   bench/knowledge_eval/run.sh [eval.py options…]   e.g. --limit 10 --documents 40
#
# Options go to eval.py (--limit, --documents, --search-only, --answers-only,
# --reuse). Results: target/knowledge-eval/results.json; the server's log:
# target/knowledge-eval/serve.log. The binary is not built here.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=bench/knowledge_eval
OUT=target/knowledge-eval
BIN=${EVAL_BIN:-target/release/tessera}
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"

if [ ! -x "$BIN" ]; then
  echo "no $BIN: build it first with  cargo build --release -p tessera" >&2
  exit 1
fi

"$HERE/fetch_corpus.sh"

DATA="$OUT/data"
mkdir -p "$DATA"
# PostgreSQL and the local models, installed once under TESSERA_RUNTIME_DIR.
if ! "$BIN" setup --data-dir "$DATA" >"$OUT/setup.log" 2>&1; then
  cat "$OUT/setup.log" >&2
  exit 1
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER=
stop() {
  if [ -n "$SERVER" ]; then
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
  fi
}
trap stop EXIT
TESSERA_LOG__LEVEL=${TESSERA_LOG__LEVEL:-warn} "$BIN" serve --data-dir "$DATA" --port "$PORT" >"$OUT/serve.log" 2>&1 &
SERVER=$!

# Ready when /readyz answers 200 (the database is up and migrated).
for _ in $(seq 1 480); do
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2)' "$URL" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "tessera serve exited; its log:" >&2
    tail -50 "$OUT/serve.log" >&2
    exit 1
  fi
  sleep 0.25
done
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2)' "$URL" 2>/dev/null ||
  { echo "tessera serve did not become ready in 120 s; see $OUT/serve.log" >&2; exit 1; }

echo "tessera serve on $URL (data: $DATA)"
python3 "$HERE/eval.py" --url "$URL" "$@"
stop
