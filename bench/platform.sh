#!/usr/bin/env bash
# The runtime's numbers: time to ready (first start with initdb, and with an
# existing cluster), idle RSS of the server process (PostgreSQL excluded),
# and GET /healthz throughput and latency at 64 connections (wrk, loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/tessera
[ -x "$BIN" ] || cargo build --release -p tessera
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
"$BIN" setup >/dev/null 2>&1
PORT=${PORT:-18080}
if curl -s "http://127.0.0.1:$PORT/" >/dev/null 2>&1; then
  echo "port $PORT is in use; set PORT=" >&2
  exit 1
fi
DIR=$(mktemp -d /tmp/tbench.XXXX)
SERVER=
trap '{ [ -n "$SERVER" ] && kill -TERM $SERVER 2>/dev/null; } || true; wait 2>/dev/null; rm -rf "$DIR"' EXIT

# Starts the server, waits for its "listening" line; prints ready_ms and
# the wall time until GET /readyz answers 200.
start() {
  local t0 t1
  t0=$(date +%s%N)
  "$BIN" serve --data-dir "$DIR/data" --port "$PORT" >"$DIR/serve.log" 2>&1 &
  SERVER=$!
  until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do sleep 0.01; done
  t1=$(date +%s%N)
  local ready_ms
  ready_ms=$(grep -o '"ready_ms":[0-9]*' "$DIR/serve.log" | tail -1 | cut -d: -f2)
  echo "$ready_ms $(( (t1 - t0) / 1000000 ))" >"$DIR/times"
}
stop() { kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true; }

start; read -r first_ready first_wall <"$DIR/times"
stop
warm=()
for i in 1 2 3 4 5; do
  start; read -r _ w <"$DIR/times"
  warm+=("$w")
  [ "$i" = 5 ] || stop
done
sleep 2
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
echo "first start (initdb): server ready ${first_ready} ms, /readyz 200 after ${first_wall} ms"
echo "existing cluster:     /readyz 200 after ${warm[*]} ms (5 runs)"
echo "idle RSS of tessera serve (PostgreSQL excluded): $((rss_kb / 1024)) MB (${rss_kb} kB)"
echo
for t in 1 2; do
  echo "GET /healthz, wrk -t$t -c64 -d15s --latency (loopback, same 2-core machine):"
  wrk -t$t -c64 -d15s --latency "http://127.0.0.1:$PORT/healthz" | grep -E 'Requests/sec|Latency Distribution| 50%| 75%| 90%| 99%|requests in'
done
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
echo "RSS after the load: $((rss_kb / 1024)) MB"
stop
