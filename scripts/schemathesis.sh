#!/usr/bin/env bash
# Checks the OpenAPI document against a fresh server, as an API user would
# find it: Schemathesis generates requests from /api/openapi.json (all its
# checks, including stateful links) with an owner's API key and fails on any
# response the document does not describe, any request it allows that the
# server refuses, and any 5xx.
#
#   scripts/schemathesis.sh [path/to/tessera]
#
# Installs Schemathesis into target/schemathesis-venv on first use. The
# server runs on a throwaway data dir with its embedded PostgreSQL
# (TESSERA_RUNTIME_DIR, default ./data/runtime, must hold a `tessera setup`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/tessera}
VERSION=4.32.5
VENV=target/schemathesis-venv
WORK=target/schemathesis
export TESSERA_RUNTIME_DIR=${TESSERA_RUNTIME_DIR:-$PWD/data/runtime}

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

rm -rf "$WORK"
mkdir -p "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
"$BIN" serve --data-dir "$WORK/data" --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
stop() { kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 1 120); do
  curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.5
done

# A company, its owner, an API key holding every permission, and rate
# limits high enough for a fuzzer.
KEY=$(python3 - "$BASE" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.load(r)
owner = {"email": "owner@schema.example", "password": "a long passphrase 42"}
session = call("POST", "/api/v1/auth/signup", {"company_name": "Schema Traders", **owner})
token = session["access_token"]
permissions = [p["name"] for p in call("GET", "/api/v1/permissions", token=token)]
key = call("POST", "/api/v1/api-keys", {"name": "schemathesis", "permissions": permissions}, token)
limits = {"requests_per_minute": 1000000, "api_key_requests_per_minute": 1000000}
call("PATCH", "/api/v1/tenant", {"settings": limits}, token)
print(key["secret"])
PY
)

# What only a signed-in person may do runs with the owner's session, signing
# in again whenever a request ends it (a password change or sign-out).
cp scripts/schemathesis.toml "$WORK/signed-in.toml"
cat >> "$WORK/signed-in.toml" <<'TOML'

[auth.dynamic.openapi.bearer]
path = "/api/v1/auth/login"
payload = { email = "owner@schema.example", password = "a long passphrase 42" }
extract_selector = "/access_token"
retry_on = [401]
TOML

st() {
  local config=$1
  shift
  "$VENV/bin/schemathesis" --config-file "$config" run "$BASE/api/openapi.json" \
    --report junit --report-dir "$WORK/report" "$@"
}
USER_ONLY=(change_password switch create_tenant update_me logout)
# Live event streams stay open until the client leaves; the concierge's
# tests read them.
STREAMS=(inbox_events widget_events)
# Operations that would take the fuzzer's own access away (its rate limit,
# its key) run after the rest.
LAST=(update_tenant revoke_api_key)

status=0
# First, before failed sign-ins elsewhere lock this address out of signing in.
echo "== what only a signed-in person may do, with the owner's session"
args=()
for op in "${USER_ONLY[@]}"; do args+=(--include-operation-id "$op"); done
st "$WORK/signed-in.toml" --phases examples,coverage,fuzzing "${args[@]}" || status=1
echo "== every operation, with an owner's API key"
args=()
for op in "${LAST[@]}" "${USER_ONLY[@]}" "${STREAMS[@]}"; do args+=(--exclude-operation-id "$op"); done
st scripts/schemathesis.toml -H "Authorization: Bearer $KEY" "${args[@]}" || status=1
echo "== the company's settings and API keys"
args=()
for op in "${LAST[@]}"; do args+=(--include-operation-id "$op"); done
st scripts/schemathesis.toml -H "Authorization: Bearer $KEY" --phases examples,coverage,fuzzing \
  "${args[@]}" || status=1

if [ $status -ne 0 ]; then
  echo "Schemathesis found problems (reports: $WORK/report, server log: $WORK/server.log)" >&2
fi
exit $status
