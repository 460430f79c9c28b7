#!/bin/bash
# The backlog benchmark: N (default 1,000,000) deliveries due at once to an
# endpoint that refuses connections, seeded with SQL into a fresh database;
# then `hookwire serve` works through them while its RSS is sampled, its claim
# query's plan is printed, and the time it takes to exit after SIGTERM is
# measured. BENCHMARKS.md reports its figures.
#
#   bash crates/hookwire-server/benches/backlog.sh [sqlite|postgres] [path/to/hookwire]
#
# Environment: N (deliveries), INTERVAL and DURATION (seconds between RSS
# samples, and in all), PGURL (an admin URL of a PostgreSQL server, default
# postgres://postgres@127.0.0.1:5432/postgres). Needs curl, python3, and psql
# for PostgreSQL. The database is dropped (or its directory removed) at the end.
set -euo pipefail
BACKEND=${1:-sqlite}
BIN=${2:-target/release/hookwire}
N=${N:-1000000}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432/postgres}
DIR=$(mktemp -d); ADMIN=backlog-admin-token-0123456789; P=
DB=hookwire_backlog_$$
# Whatever happens: no server left running, no database or files left behind.
cleanup() {
  [ -n "$P" ] && kill -KILL "$P" 2>/dev/null
  [ "$BACKEND" = postgres ] && psql -q "$PGURL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT
PORT=$(python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
if [ "$BACKEND" = postgres ]; then
  psql -q "$PGURL" -c "CREATE DATABASE $DB"
  URL="${PGURL%/*}/$DB"
else
  URL="sqlite:$DIR/backlog.db"
fi
export HOOKWIRE_DATABASE_URL=$URL HOOKWIRE_LISTEN=127.0.0.1:$PORT HOOKWIRE_ADMIN_TOKEN=$ADMIN \
  HOOKWIRE_ALLOW_HTTP=true HOOKWIRE_ALLOW_PRIVATE_NETWORKS=true RUST_LOG=warn
$BIN serve > $DIR/serve1.log 2>&1 & P=$!
for i in $(seq 1 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null 2>&1 && break; sleep 0.2; done
API=http://127.0.0.1:$PORT/api/v1
T=$(curl -s -X POST $API/tenants -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '{"name":"backlog"}')
TID=$(echo "$T" | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
KEY=$(echo "$T" | python3 -c "import json,sys; print(json.load(sys.stdin)['api_key'])")
W=$(curl -s -X POST $API/webhooks -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"url":"http://127.0.0.1:9/closed","events":["*"],"retry":{"max_attempts":10}}')
WID=$(echo "$W" | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
kill -TERM $P; wait $P; P=
if [ "$BACKEND" = postgres ]; then
  psql -q "$URL" <<SQL
INSERT INTO events (id, tenant_id, event_type, data, created_at)
  SELECT 'evt_q' || lpad(i::text, 30, '0'), '$TID', 'webhook.test', '{}', now() FROM generate_series(1, $N) i;
INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, next_attempt_at, created_at, event_type)
  SELECT 'dlv_q' || lpad(i::text, 30, '0'), '$TID', 'evt_q' || lpad(i::text, 30, '0'), '$WID', 'pending', 0, now(), now(), 'webhook.test' FROM generate_series(1, $N) i;
VACUUM ANALYZE;
SQL
else
  NOW=$(date +%s%3N)
  python3 - "$DIR/backlog.db" "$TID" "$WID" "$N" "$NOW" <<'PY'
import sqlite3, sys
db, tid, wid, n, now = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
c = sqlite3.connect(db)
c.execute("PRAGMA journal_mode=WAL")
c.execute(f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < {n}) INSERT INTO events (id, tenant_id, event_type, data, created_at) SELECT printf('evt_q%030d', i), ?, 'webhook.test', '{{}}', ? FROM s", (tid, now))
c.execute(f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < {n}) INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, next_attempt_at, created_at, event_type) SELECT printf('dlv_q%030d', i), ?, printf('evt_q%030d', i), ?, 'pending', 0, ?, ?, 'webhook.test' FROM s", (tid, wid, now, now))
c.commit(); c.close()
PY
fi
$BIN serve > $DIR/serve2.log 2>&1 & P=$!
for t in $(seq ${INTERVAL:-10} ${INTERVAL:-10} ${DURATION:-60}); do sleep ${INTERVAL:-10}; echo "t=${t}s RSS $(awk '/VmRSS/{printf "%.1f MB", $2/1024}' /proc/$P/status) HWM $(awk '/VmHWM/{printf "%.1f MB", $2/1024}' /proc/$P/status)"; done
if [ "$BACKEND" = postgres ]; then
  psql "$URL" -Atc "SELECT count(*) FILTER (WHERE attempt_count > 0), count(*) FILTER (WHERE status IN ('pending','retrying')) FROM deliveries" | sed 's/^/attempted|unfinished: /'
  psql "$URL" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now() + interval '1 day' AND NOT (webhook_id = ANY('{}')) ORDER BY next_attempt_at LIMIT 64 FOR UPDATE SKIP LOCKED" | head -12
else
  python3 -c "
import sqlite3; c=sqlite3.connect('$DIR/backlog.db'); print('attempted|unfinished:', c.execute(\"SELECT count(*) FILTER (WHERE attempt_count > 0), count(*) FILTER (WHERE status IN ('pending','retrying')) FROM deliveries\").fetchone())
for r in c.execute(\"EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= 99999999999999 ORDER BY next_attempt_at LIMIT 64\"): print(r)"
fi
S=$(date +%s.%N); kill -TERM $P; wait $P; E=$(date +%s.%N); P=
echo "SIGTERM exit: $(python3 -c "print(round($E-$S,2))") s; log tail:"; tail -3 $DIR/serve2.log
