#!/usr/bin/env bash
# make bench-ussd: the USSD callback under 32 concurrent sessions, production-like, on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
PORT=${BENCH_PORT:-8250}
DB=huduma_bench_ussd
DURATION=${BENCH_DURATION:-20s}
WORKERS=${BENCH_WORKERS:-2}
THREADS=${BENCH_THREADS:-2}
SERVER=${BENCH_SERVER:-granian}  # granian (what the launcher runs) or gunicorn
export APP_ENV=production SECRET_KEY=bench-secret AT_API_KEY=bench-key AT_CALLBACK_TOKEN=bench-token
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="redis://127.0.0.1:6379/8" LOG_LEVEL=WARNING FLASK_APP=app

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null || { echo "install wrk first"; exit 1; }; }
if [ -z "${BENCH_KEEP_DB:-}" ]; then
  psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  .venv/bin/flask db upgrade >/dev/null
  .venv/bin/flask seed demo --days 5 --documents 5000 >/dev/null
  # Enough seats that every booking succeeds: the benchmark measures the path, not sell-outs.
  psql -h 127.0.0.1 -U postgres -d "$DB" -q -c "UPDATE slots SET capacity = 1000000"
else  # a rerun on the same data: bench phones start with no bookings
  psql -h 127.0.0.1 -U postgres -d "$DB" -q -c "TRUNCATE bookings CASCADE" -c "UPDATE slots SET booked = 0"
fi
redis-cli -n 8 flushdb >/dev/null
BENCH_REFS=$(psql -h 127.0.0.1 -U postgres -d "$DB" -Atc \
  "SELECT string_agg(reference, ',') FROM (SELECT reference FROM documents WHERE kind='ID_CARD' LIMIT 200) d")
export BENCH_REFS TOKEN=bench-token

case "$SERVER" in
  granian) .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$PORT" --workers "$WORKERS" \
             --blocking-threads "$THREADS" --no-access-log --factory ${BENCH_SERVER_ARGS:-} \
             app:create_app >/tmp/huduma-bench-ussd.log 2>&1 & ;;
  gunicorn) .venv/bin/python -m gunicorn --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
             ${BENCH_SERVER_ARGS:-} "app:create_app()" >/tmp/huduma-bench-ussd.log 2>&1 & ;;
  *) echo "BENCH_SERVER is granian or gunicorn"; exit 2 ;;
esac
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

echo "server: $SERVER, $WORKERS workers x $THREADS threads; wrk: 32 connections, $DURATION per journey"
echo "targets: status >= 3000 hops/s with p99 <= 25 ms; booking >= 1000 hops/s; 0 errors"
for journey in status booking; do
  RUN_ID="$(date +%s)-$journey" JOURNEY=$journey wrk -t32 -c32 -d"$DURATION" --latency \
    -s bench/ussd_journeys.lua "http://127.0.0.1:$PORT" 2>&1 | grep -E "^RESULT|unexpected" | head -8 || true
done
