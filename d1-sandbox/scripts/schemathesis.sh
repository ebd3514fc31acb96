#!/usr/bin/env bash
# Property-based tests of the D1 sandbox with schemathesis, one run per inbound spec.
#
#   pip install schemathesis==4.32.5
#   d1-sandbox/scripts/schemathesis.sh            # EXAMPLES=25 per operation by default
#
# Starts the sandbox binary on loopback (with --strict-auth, so that schemathesis' invalid
# tokens must be refused), gets a token from its /authz/v1/oauth2/token, runs the default
# checks (all of them) schemathesis has against each inbound spec — twice: once with generated ids (mostly unknown:
# 404s) and once with the ids of a consumer, card and digital card created first — then stops
# the sandbox. Exceptions are listed in schemathesis.toml and below, each explained in README.md.
# Exit code: non-zero if any run found a failure.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SCRIPTS="$ROOT/d1-sandbox/scripts"
PORT="${PORT:-18480}"
EXAMPLES="${EXAMPLES:-25}"
SEED="${SEED:-1}"
BASE="http://127.0.0.1:$PORT"
OUT="${OUT:-$ROOT/target/schemathesis}"
mkdir -p "$OUT"

command -v st >/dev/null || { echo "schemathesis is not installed: pip install schemathesis==4.32.5" >&2; exit 2; }

# The debug build: `cargo test --workspace` has just built it, and speed does not matter here.
cargo build --quiet -p d1-sandbox
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/d1-sandbox"
"$BIN" --port "$PORT" --strict-auth --quiet >"$OUT/sandbox.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "$BASE/sandbox/state" && break
  sleep 0.1
done

TOKEN="$(curl -sf -X POST "$BASE/authz/v1/oauth2/token" \
  -H 'content-type: application/x-www-form-urlencoded' \
  -d 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=schemathesis' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

seed() {
  curl -sf -X PUT "$BASE/banking/v2/issuers/ISSUER0001/consumers/u1" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"firstName":"Ann","language":"en-GB"}'
  curl -sf -X PUT "$BASE/sandbox/issuers/ISSUER0001/cards/c1" -d '{"consumerId":"u1"}'
  curl -sf -X PUT "$BASE/sandbox/issuers/ISSUER0001/digitalCards/d1" -d '{"cardId":"c1","pan":"4000001234567899"}'
}

# The Inbound Digital Card, Consumer v2 and Physical Issuance specs declare no error response
# at all (D1 publishes none, see specs/README.md), yet the router must answer invalid input
# with 400 and the sandbox unknown ids with 404 and refused transitions with 403:
# `status_code_conformance` cannot hold there and is left out for those three specs only.
NO_ERRORS_DECLARED="--exclude-checks status_code_conformance"

# schemathesis keeps a `.schemathesis/` example database in the working folder: keep it out of the tree.
cd "$OUT"

failed=0
run() { # name config spec base-path [extra args]
  local name="$1" config="$2" spec="$3" base="$4"
  shift 4
  echo "=== schemathesis: $name"
  if ! st --config-file "$config" run "$ROOT/specs/$spec" --url "$BASE$base" \
    -H "Authorization: Bearer $TOKEN" -n "$EXAMPLES" --seed "$SEED" \
    --no-color --report junit --report-junit-path "$OUT/$name.xml" "$@"; then
    failed=1
  fi
}

for pass in generated seeded; do
  config="$SCRIPTS/schemathesis.toml"
  if [ "$pass" = seeded ]; then
    config="$SCRIPTS/schemathesis-seeded.toml"
    seed
  fi
  run "in-v1-card-$pass" "$config" D1-Public-IN-v1-Card.json /banking/v1
  run "in-v1-digital-card-$pass" "$config" D1-Public-IN-v1-Digital-Card.json /banking/v1 $NO_ERRORS_DECLARED
  run "in-v2-consumer-$pass" "$config" D1-Public-IN-v2-Consumer.json /banking/v2 $NO_ERRORS_DECLARED
  run "in-v1-physical-issuance-$pass" "$config" D1-Public-IN-v1-Physical-Issuance.json /banking/v1 $NO_ERRORS_DECLARED
done
run in-v1-auth2 "$SCRIPTS/schemathesis.toml" D1-Public-IN-v1-Auth2.json /authz/v1

if grep -q "panicked" "$OUT/sandbox.log"; then
  echo "the sandbox logged a panic:" >&2
  grep -m5 "panicked" "$OUT/sandbox.log" >&2
  failed=1
fi
exit "$failed"
