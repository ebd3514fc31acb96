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

# Both servers run side by side (an idle one costs nothing) and are measured in turn, ROUNDS
# times per scenario: the ratio of each round is generated/handwritten measured seconds apart,
# and the median of those ratios is reported, which a noisy virtual machine needs.
ROUNDS="${ROUNDS:-4}"
measure() { # url lua -> "requests/s p99"
  local out
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$2" "$1")"
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$out" >&2
    echo "non-2xx responses from $1" >&2
    exit 1
  fi
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1 == "99%" {print $2}')"
}

declare -A PORTS=([generated]="$PORT" [handwritten]="$((PORT + 1))")
pids=()
for mode in generated handwritten; do
  "$BIN" "$mode" "${PORTS[$mode]}" >/dev/null &
  pids+=("$!")
done
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$LUA"' EXIT
for mode in generated handwritten; do
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:${PORTS[$mode]}/" && break; sleep 0.1; done
done
url() { # mode scenario
  local base="http://127.0.0.1:${PORTS[$1]}/banking/v1/issuers/ISSUER0001/cards/card-0001/operations"
  if [ "$2" = suspend ]; then echo "$base:suspend"; else echo "$base?offset=0&limit=5"; fi
}

printf '%-8s %-6s %-12s %12s %10s\n' scenario round server "requests/s" "p99"
for s in suspend list; do
  ratios=()
  for mode in generated handwritten; do wrk -t1 -c"$CONNECTIONS" -d2s -s "$LUA/$s.lua" "$(url "$mode" "$s")" >/dev/null; done
  for round in $(seq 1 "$ROUNDS"); do
    # Which server goes first alternates, so that neither profits from its place.
    if [ $((round % 2)) = 1 ]; then
      read -r g gp <<<"$(measure "$(url generated "$s")" "$LUA/$s.lua")"
      read -r h hp <<<"$(measure "$(url handwritten "$s")" "$LUA/$s.lua")"
    else
      read -r h hp <<<"$(measure "$(url handwritten "$s")" "$LUA/$s.lua")"
      read -r g gp <<<"$(measure "$(url generated "$s")" "$LUA/$s.lua")"
    fi
    printf '%-8s %-6s %-12s %12s %10s\n' "$s" "$round" generated "$g" "$gp" "$s" "$round" handwritten "$h" "$hp"
    ratios+=("$(awk -v g="$g" -v h="$h" 'BEGIN { printf "%.3f", g / h }')")
  done
  median="$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
  echo "$s generated/handwritten throughput ratios: ${ratios[*]} (median $median)"
done
