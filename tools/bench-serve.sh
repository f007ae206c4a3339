#!/usr/bin/env bash
# Load on loopback: profile lookups by identifier (GET /v1/profiles?identifier=phone:…) against
# the store of a generated data set, measured with wrk (Debian's package), three times:
#   1. paced at about RATE requests/s (default 2000) while `kith ingest` appends a second data
#      set beside it (and projects it);
#   2. paced the same way, no ingest;
#   3. flat out, no ingest (the ceiling).
# Prints wrk's latency percentiles and requests/s for each.
#
#   tools/bench-serve.sh [PERSONS] [RATE] [SECONDS]     (defaults: 200000 2000 30)
#
# Reuses $KITH_BENCH_DIR/data (default /tmp/kith-bench-PERSONS, as tools/bench-ingest.sh leaves
# it) and projects it first if needed. KITH_BIN picks a prebuilt release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
persons=${1:-200000}
rate=${2:-2000}
seconds=${3:-30}
work=${KITH_BENCH_DIR:-/tmp/kith-bench-$persons}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }
if [ -z "${KITH_BIN:-}" ]; then swift build -c release --product kith >/dev/null; fi
kith=${KITH_BIN:-.build/release/kith}
data="$work/data"
if [ ! -f "$work/exports/truth/summary.json" ]; then
    $kith generate --persons "$persons" --seed 1 --out "$work/exports" >/dev/null
fi
if [ ! -d "$data/log" ]; then
    $kith ingest --data "$data" --no-progress "$work"/exports/*.ndjson "$work"/exports/*.csv >/dev/null
fi
$kith project --data "$data" >/dev/null 2>&1 || $kith project --data "$data" --rebuild >/dev/null
store=$(readlink -f "$data/$(cat "$data/projections.current" 2>/dev/null || echo projections.sqlite)")
sqlite3 "$store" "SELECT value FROM node WHERE kind = 'phone' ORDER BY value LIMIT 20000" > "$work/phones.txt"
echo "$(wc -l < "$work/phones.txt") phone numbers to look up; store $(du -h "$store" | cut -f1)"
key=$($kith keys create --data "$data" --name "bench-$$" --scopes profiles:read 2>/dev/null)
port=18181
$kith serve --data "$data" --port $port > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; $kith keys revoke --data "$data" "bench-$$" >/dev/null 2>&1 || true' EXIT
sleep 1
connections=16
# wrk is closed-loop: each connection waits (Lua delay()) between an answer and its next
# request, so the offered rate falls when answers slow down. The wait is set for 10% above RATE
# at the ~2 ms an answer takes here; the requests/s wrk reports is what was actually served.
delay_ms=$(python3 -c "print(max(0.0, $connections * 1000 / ($rate * 1.1) - 2))")
cat > "$work/lookup.lua" <<LUA
local phones = {}
for line in io.lines("$work/phones.txt") do phones[#phones + 1] = line end
local i = 0
wrk.headers["Authorization"] = "Bearer $key"
request = function()
  i = i + 1
  local p = phones[(i * 7919) % #phones + 1]
  return wrk.format("GET", "/v1/profiles?identifier=phone:" .. p:gsub("+", "%%2B"))
end
LUA
cat > "$work/paced.lua" <<LUA
dofile("$work/lookup.lua")
delay = function() return $delay_ms end
LUA
# New people each run (a fresh seed), so the ingest beside really appends and projects.
rm -rf "$work/extra"
$kith generate --persons $((persons / 8)) --seed $((RANDOM + 100)) --out "$work/extra" >/dev/null
echo "== paced at ~$rate req/s for ${seconds}s, with kith ingest of $(du -ch "$work"/extra/*.ndjson | tail -1 | cut -f1) beside it"
( sleep 2; /usr/bin/time -f "ingest beside: %e s wall" $kith ingest --data "$data" --no-progress "$work"/extra/*.ndjson > "$work/ingest-beside.txt" 2>&1 ) &
ingest=$!
wrk -t2 -c$connections -d${seconds}s --latency -s "$work/paced.lua" "http://127.0.0.1:$port" | tee "$work/wrk-paced.txt"
wait $ingest || true
tail -3 "$work/ingest-beside.txt"
echo "== paced at ~$rate req/s for ${seconds}s, no ingest"
wrk -t2 -c$connections -d${seconds}s --latency -s "$work/paced.lua" "http://127.0.0.1:$port" | tee "$work/wrk-paced-alone.txt"
echo "== flat out for ${seconds}s, no ingest"
wrk -t2 -c$connections -d${seconds}s --latency -s "$work/lookup.lua" "http://127.0.0.1:$port" | tee "$work/wrk-max.txt"
echo "== server side (kith_http_requests_total by status)"
curl -s "http://127.0.0.1:$port/metrics" | grep '^kith_http_requests_total{route="/v1/profiles"'
