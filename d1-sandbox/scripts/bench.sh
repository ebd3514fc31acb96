#!/usr/bin/env bash
# Requests/s and p99 latency of the generated router + checks against a hand-written axum
# handler doing the same work (examples/bench_server.rs), with wrk on loopback, same run.
#
#   apt-get install -y wrk
#   d1-sandbox/scripts/bench.sh          # DURATION=10s CONNECTIONS=32 by default
#
# Both servers run one tokio worker thread (wrk gets the other core of a 2-core machine), are
# warmed up for 2 s, then measured for DURATION. Bounded in time; loopback only.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-18490}"
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }
cargo build --quiet --release -p d1-sandbox --example bench_server
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_server"
LUA="$(mktemp -d)"
trap 'rm -rf "$LUA"' EXIT
cat >"$LUA/suspend.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"reason":"customer was contacted on June 28","reasonCode":"ISSUER_DECISION"}'
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer bench-token"
wrk.headers["x-correlation-id"] = "bench-1"
LUA
cat >"$LUA/list.lua" <<'LUA'
wrk.headers["authorization"] = "Bearer bench-token"
LUA

declare -A RPS P99
measure() { # mode scenario url lua
  local out
  wrk -t1 -c"$CONNECTIONS" -d2s -s "$4" "$3" >/dev/null
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$4" "$3")"
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$out" >&2
    echo "non-2xx responses in $1 $2" >&2
    exit 1
  fi
  RPS[$1.$2]="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  P99[$1.$2]="$(echo "$out" | awk '$1 == "99%" {print $2}')"
}

for mode in generated handwritten; do
  "$BIN" "$mode" "$PORT" >/dev/null &
  pid=$!
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
  base="http://127.0.0.1:$PORT/banking/v1/issuers/ISSUER0001/cards/card-0001/operations"
  measure "$mode" suspend "$base:suspend" "$LUA/suspend.lua"
  measure "$mode" list "$base?offset=0&limit=5" "$LUA/list.lua"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done

printf '%-8s %-12s %12s %10s\n' scenario server "requests/s" "p99"
for s in suspend list; do
  for mode in generated handwritten; do
    printf '%-8s %-12s %12s %10s\n' "$s" "$mode" "${RPS[$mode.$s]}" "${P99[$mode.$s]}"
  done
  awk -v g="${RPS[generated.$s]}" -v h="${RPS[handwritten.$s]}" -v s="$s" \
    'BEGIN { printf "%-8s generated/handwritten throughput ratio: %.2f\n", s, g / h }'
done
