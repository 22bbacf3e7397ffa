#!/usr/bin/env bash
# make bench-ussd: the USSD callback under 32 concurrent sessions, production-like, on 127.0.0.1,
# side by side with the same status journey on ussd-menu-builder (Node.js, Redis sessions).
#
# 1. Recreates and seeds PostgreSQL database huduma_bench_ussd; Redis db 8 for this service.
# 2. Installs bench/node's pinned dependencies (ussd-menu-builder 1.2.0) with npm into
#    bench/node/node_modules, seeds the same 200 references into Redis db 7 (keys umb:*), and
#    starts bench/node/menu_server.js: BENCH_NODE_WORKERS (2) workers under Node's cluster.
# 3. Starts this service as `make run` does (granian, production settings).
# 4. Checks that both answer the status journey with the same screens, warms both up, then runs
#    wrk (bench/ussd_journeys.lua, 32 connections, BENCH_DURATION each) through the status
#    journey on each system in turn, BENCH_ROUNDS times (the order swaps every round).
# 5. Runs the booking journey on this service alone, prints the table and the web workers'
#    resident memory after each service run, stops everything it started and removes its data.
#
# Targets on the 2-core machine:
#   status:  >= 0.45x ussd-menu-builder's hops/s (worst round), p99 <= 25 ms
#   booking: >= 1,000 hops/s, p99 <= 60 ms
#   no errors: every reply HTTP 200, "CON "/"END ", no session ended early, the expected answer
#
# Knobs: BENCH_ROUNDS (3), BENCH_DURATION (20s), BENCH_WARMUP (3s, 0 skips), BENCH_WORKERS (2),
# BENCH_THREADS (2), BENCH_SERVER (granian|gunicorn), BENCH_SERVER_ARGS, BENCH_NODE_WORKERS (2),
# BENCH_PORT (8250), BENCH_NODE_PORT (8251), BENCH_MEMORY (1; 0 hides the memory lines),
# BENCH_KEEP_DB=1 (reuse the database of an earlier BENCH_KEEP_DB=1 run, and keep it).
# Exits 1 when any run counted an error.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
PORT=${BENCH_PORT:-8250}
NODE_PORT=${BENCH_NODE_PORT:-8251}
DB=huduma_bench_ussd
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-3s}
ROUNDS=${BENCH_ROUNDS:-3}
WORKERS=${BENCH_WORKERS:-2}
THREADS=${BENCH_THREADS:-2}
NODE_WORKERS=${BENCH_NODE_WORKERS:-2}
SERVER=${BENCH_SERVER:-granian}  # granian (what the launcher runs) or gunicorn
SERVICE_REDIS=8
NODE_REDIS=7
TOKEN=bench-token
export APP_ENV=production SECRET_KEY=bench-secret AT_API_KEY=bench-key AT_CALLBACK_TOKEN=$TOKEN
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="redis://127.0.0.1:6379/$SERVICE_REDIS" LOG_LEVEL=WARNING FLASK_APP=app
PSQL=(env PGOPTIONS="-c client_min_messages=warning"
      psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)
WORK=$(mktemp -d /tmp/huduma-bench-ussd.XXXXXX)
SERVICE_PID= NODE_PID= SLOT=0 FAILED=0 RESULT=
declare -A R  # results: R[system:round:field]

stop_group() {  # stop the process group a server leads: TERM, then KILL after 10 s
  local pid=$1
  [ -n "$pid" ] && kill -0 -- "-$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}

cleanup() {
  stop_group "$NODE_PID"
  stop_group "$SERVICE_PID"
  redis-cli -n "$NODE_REDIS" --scan --pattern 'umb:*' |
    xargs -r -n 500 redis-cli -n "$NODE_REDIS" unlink >/dev/null
  redis-cli -n "$SERVICE_REDIS" flushdb >/dev/null
  [ -n "${BENCH_KEEP_DB:-}" ] || "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() {
  command -v "$1" >/dev/null && return
  [ "$1" = wrk ] && apt-get install -y wrk >/dev/null 2>&1 && return
  echo "bench-ussd needs $1 on the PATH"; exit 1
}

seconds() {  # 20s, 2m or 20 -> seconds
  case $1 in *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac
}

port_free() {
  [ -z "$(ss -Hltn "sport = :$1")" ] && return
  echo "port $1 is taken: set BENCH_PORT or BENCH_NODE_PORT"; exit 1
}

prepare_db() {
  if [ -n "${BENCH_KEEP_DB:-}" ] && "${PSQL[@]}" -d "$DB" -c "SELECT FROM slots" &>/dev/null; then
    # a rerun on the same data: bench phones start with no bookings
    "${PSQL[@]}" -d "$DB" -c "TRUNCATE bookings CASCADE" -c "UPDATE slots SET booked = 0"
    open_slots
    return
  fi
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  .venv/bin/flask db upgrade >/dev/null
  .venv/bin/flask seed demo --days 5 --documents 5000 >/dev/null
  open_slots
}

open_slots() {  # enough seats for every booking: the bench measures the path, not sell-outs
  "${PSQL[@]}" -d "$DB" -c "UPDATE slots SET capacity = 1000000"
}

export_refs() {  # the 200 references both systems look up, with what the Node side answers
  "${PSQL[@]}" -d "$DB" -At -F $'\t' -c "SELECT d.reference, d.kind, d.status, coalesce(c.name, '')
    FROM documents d LEFT JOIN centres c ON c.id = d.centre_id
    WHERE d.kind = 'ID_CARD' ORDER BY d.id LIMIT 200" >"$WORK/refs.tsv"
  BENCH_REFS=$(cut -f1 "$WORK/refs.tsv" | paste -sd,)
  PARITY_REFS=$(sort -t $'\t' -k3,3 -u "$WORK/refs.tsv" | cut -f1 | paste -sd,)  # one per status
  export BENCH_REFS TOKEN
}

start_node() {
  local redis="redis://127.0.0.1:6379/$NODE_REDIS"
  (cd bench/node && timeout 300 npm install --omit=dev --loglevel=error) >/dev/null  # see .npmrc
  REDIS_URL=$redis node bench/node/refs.js <"$WORK/refs.tsv" >/dev/null
  PORT=$NODE_PORT WORKERS=$NODE_WORKERS REDIS_URL=$redis \
    setsid node bench/node/menu_server.js >"$WORK/node.log" 2>&1 &
  NODE_PID=$!
}

start_service() {
  case "$SERVER" in
    granian) WEB_SURFACE=callbacks setsid .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$PORT" \
               --workers "$WORKERS" --blocking-threads "$THREADS" --no-access-log --factory \
               ${BENCH_SERVER_ARGS:-} app:create_app >"$WORK/service.log" 2>&1 & ;;
    gunicorn) WEB_SURFACE=callbacks setsid .venv/bin/python -m gunicorn --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
               ${BENCH_SERVER_ARGS:-} "app:create_app()" >"$WORK/service.log" 2>&1 & ;;
    *) echo "BENCH_SERVER is granian or gunicorn"; exit 2 ;;
  esac
  SERVICE_PID=$!
}

wait_healthy() {  # name port pid log: up to 20 s for /healthz
  for _ in $(seq 1 100); do
    curl -sf -m 1 "http://127.0.0.1:$2/healthz" >/dev/null && return
    kill -0 "$3" 2>/dev/null || break
    sleep 0.2
  done
  echo "$1 did not start:"; tail -20 "$4"; exit 1
}

drive() {  # port journey duration [connections] [env...]: one wrk run; its RESULT line in RESULT
  local port=$1 journey=$2 duration=$3 conns=${4:-32} out limit
  SLOT=$((SLOT + 1)) limit=$(( $(seconds "$3") + 60 ))
  out=$(env "${@:5}" RUN_ID="$(date +%s%N)-$journey" RUN_SLOT=$SLOT JOURNEY=$journey \
        timeout --foreground "$limit" wrk -t"$conns" -c"$conns" -d"$duration" --latency \
        -s bench/ussd_journeys.lua "http://127.0.0.1:$port" 2>&1) || true
  grep -m3 "^unexpected" <<<"$out" >&2 || true
  RESULT=$(grep -m1 "^RESULT" <<<"$out") ||
    RESULT="RESULT hops=0 hops_per_s=0 p50_ms=0 p99_ms=0 errors=1 socket_errors=0"
}

record() {  # key RESULT-line: keep its figures as R[key:field]
  local kv
  for kv in $2; do [ "$kv" = RESULT ] || R[$1:${kv%%=*}]=${kv#*=}; done
  (( R[$1:errors] + R[$1:socket_errors] == 0 )) || FAILED=1
}

memory() {  # label pid: resident memory of the server's processes, from /proc
  [ "${BENCH_MEMORY:-1}" = 0 ] && return
  local total=0 parts="" kib child
  for child in $(ps -o pid= --ppid "$2"); do
    kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$child/status" 2>/dev/null || echo 0)
    total=$((total + kib)) parts+=" $child=$((kib / 1024))"
  done
  kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$2/status" 2>/dev/null || echo 0)
  printf "    memory %s: workers %d MiB (pid=MiB:%s), main process %d MiB\n" \
    "$1" $((total / 1024)) "$parts" $((kib / 1024))
}

parity() {  # the same screens from both systems, hop by hop, or stop here
  drive "$PORT" status 2s 1 TRANSCRIPT="$WORK/service.txt" BENCH_REFS="$PARITY_REFS"
  record parity:service "$RESULT"
  drive "$NODE_PORT" status 2s 1 TRANSCRIPT="$WORK/node.txt" BENCH_REFS="$PARITY_REFS"
  record parity:umb "$RESULT"
  local differ
  differ=$(awk -F' => ' 'NR == FNR { seen[$1] = $2; next }
    ($1 in seen) && seen[$1] != $2 { printf "  %s\n    service: %s\n    ussd-menu-builder: %s\n",
                                     $1, seen[$1], $2 }' \
    <(sort -u "$WORK/service.txt") <(sort -u "$WORK/node.txt") | head -12)
  [ -z "$differ" ] && [ -s "$WORK/node.txt" ] && return
  echo "the two systems answer the status journey differently (bench/node must follow the menus):"
  echo "$differ"; exit 1
}

status_round() {  # round: both systems, the order swapped every other round
  local first=service second=umb
  (( $1 % 2 == 0 )) && first=umb second=service
  status_run "$first" "$1"
  status_run "$second" "$1"
}

status_run() {  # system round
  if [ "$1" = service ]; then
    drive "$PORT" status "$DURATION" && record "service:$2" "$RESULT"
    memory "service, status round $2" "$SERVICE_PID"
  else
    drive "$NODE_PORT" status "$DURATION" && record "umb:$2" "$RESULT"
    memory "ussd-menu-builder, status round $2" "$NODE_PID"
  fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
pick() { awk -v a="$2" -v b="$3" "BEGIN { print (a $1 b ? a : b) }"; }  # > or <, a, b
holds() { awk -v a="$1" -v b="$3" "BEGIN { print (a $2 b) }"; }  # a, >= or <=, b: 1 or 0

row() {  # round system key [ratio]
  printf "%-7s %-18s %8s %8s %8s %7s %7s %6s\n" "$1" "$2" "${R[$3:hops_per_s]}" \
    "${R[$3:p50_ms]}" "${R[$3:p99_ms]}" "${R[$3:errors]}" "${R[$3:socket_errors]}" "${4:-}"
}

header() { row round system head ratio; }

report() {
  local r q best=0 worst=999 p99=0
  R[head:hops_per_s]=hops/s R[head:p50_ms]=p50_ms R[head:p99_ms]=p99_ms
  R[head:errors]=errors R[head:socket_errors]=socket
  printf "\nstatus journey, 32 connections, %s per run (ratio = service / ussd-menu-builder)\n" \
    "$DURATION"
  header
  for r in $(seq 1 "$ROUNDS"); do
    q=$(ratio "${R[service:$r:hops_per_s]}" "${R[umb:$r:hops_per_s]}")
    row "$r" service "service:$r"
    row "$r" ussd-menu-builder "umb:$r" "$q"
    best=$(pick '>' "$q" "$best") worst=$(pick '<' "$q" "$worst")
    p99=$(pick '>' "${R[service:$r:p99_ms]}" "$p99")
  done
  echo "ratio: best $best, worst $worst; service p99 at most $p99 ms"
  printf "\nbooking journey (service alone), 32 connections, %s\n" "$DURATION"
  header
  row "-" service booking
  echo
  verdict "status >= 0.45x ussd-menu-builder" "$(holds "$worst" '>=' 0.45)"
  verdict "status p99 <= 25 ms" "$(holds "$p99" '<=' 25)"
  verdict "booking >= 1,000 hops/s" "$(holds "${R[booking:hops_per_s]}" '>=' 1000)"
  verdict "booking p99 <= 60 ms" "$(holds "${R[booking:p99_ms]}" '<=' 60)"
  verdict "no errors" "$(( FAILED == 0 ))"
}

verdict() { printf "target %-36s %s\n" "$1" "$([ "$2" = 1 ] && echo met || echo "NOT met")"; }

need wrk; need node; need npm; need redis-cli; need psql
port_free "$PORT"; port_free "$NODE_PORT"
prepare_db
redis-cli -n "$SERVICE_REDIS" flushdb >/dev/null
export_refs
start_node
start_service
wait_healthy "ussd-menu-builder server" "$NODE_PORT" "$NODE_PID" "$WORK/node.log"
wait_healthy "service" "$PORT" "$SERVICE_PID" "$WORK/service.log"
echo "service: $SERVER, $WORKERS workers x $THREADS threads, PostgreSQL + Redis db $SERVICE_REDIS"
echo "ussd-menu-builder 1.2.0: Node $(node --version), $NODE_WORKERS cluster workers," \
  "Redis db $NODE_REDIS"
echo "wrk: 32 connections, $DURATION per run, $ROUNDS rounds;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
parity
if [ "$(seconds "$WARMUP")" != 0 ]; then
  drive "$PORT" status "$WARMUP" && record warmup:service "$RESULT"
  drive "$NODE_PORT" status "$WARMUP" && record warmup:umb "$RESULT"
fi
for round in $(seq 1 "$ROUNDS"); do status_round "$round"; done
drive "$PORT" booking "$DURATION" && record booking "$RESULT"
memory "service, booking" "$SERVICE_PID"
report
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$FAILED"
