#!/usr/bin/env bash
# Two `kith serve` replicas on one PostgreSQL store, under open-loop lookup load from a
# loopback client (tools/lookup_load.py), against one replica on the embedded store as the
# baseline, all in one invocation:
#   1. baseline: one replica on the embedded store, RATE lookups/s while `kith ingest` of a
#      second data set runs beside it;
#   2. PostgreSQL: the load spread over both replicas, first alone, then while the same ingest goes
#      into the store;
#   3. PostgreSQL: the same, with replica 1 killed (SIGKILL) a third of the way in; the client
#      sends what that replica drops to the other.
# Each set of replicas first serves 5 s of the same load, not counted (a server's first lookups
# open its connections and warm PostgreSQL's plans and pages). Each line is lookup_load.py's
# JSON: requests, answered, rate, latency percentiles (ms, from
# when each request was due), retries, errors, statuses.
#
#   tools/bench-serve-postgres.sh KITH EXPORTS MORE_EXPORTS [RATE] [SECONDS]
# EXPORTS is loaded first (e.g. 200,000 people); MORE_EXPORTS is the ingest that runs during
# each load (a smaller data set of other people: kith generate --seed 2).
set -euo pipefail
cd "$(dirname "$0")/.."
kith=$1
exports=$2
more=$3
rate=${4:-2000}
seconds=${5:-30}
work=$(mktemp -d)
pg=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    tools/postgres.sh stop "$pg" >/dev/null 2>&1 || true
    rm -rf "$work" "$pg"
}
trap cleanup EXIT
url=$(tools/postgres.sh start "$pg" "$port" 2>/dev/null)
files() { echo "$1"/*.ndjson "$1"/*.csv; }
python3 - "$exports/truth/persons.ndjson" > "$work/phones.txt" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    for phone in json.loads(line)["identifiers"].get("phone", [])[:1]:
        print(phone)
PY
echo "$(wc -l < "$work/phones.txt") phones to look up; PostgreSQL 15 on 127.0.0.1:$port; $rate lookups/s for $seconds s"

# The installation: one secret and one read key, copied to each machine's data directory.
for d in embedded pg1 pg2; do mkdir -p "$work/$d"; done
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/embedded/secret.key"
key=$("$kith" keys create --data "$work/embedded" --name bench --scopes profiles:read 2>/dev/null)
for d in pg1 pg2; do cp "$work/embedded/secret.key" "$work/embedded/keys.json" "$work/$d/"; done
store=(--store "$url?schema=bench")
"$kith" ingest --data "$work/embedded" --no-progress $(files "$exports") >/dev/null
"$kith" ingest --data "$work/pg1" "${store[@]}" --no-progress $(files "$exports") >/dev/null

serve() {  # name, data directory, extra arguments: starts a replica; $work/NAME.port, .pid
    local log="$work/$1.log"
    # The load is one client's key: lift the per-key rate limit and the lookup alarm.
    "$kith" serve --data "$2" --port 0 --rate 1000000 --burst 1000000 --lookup-alarm 1000000000 "${@:3}" \
        > "$log" 2>&1 &
    pids+=($!)
    echo $! > "$work/$1.pid"
    for _ in $(seq 1 100); do grep -q "http://127.0.0.1:" "$log" 2>/dev/null && break; sleep 0.1; done
    grep -o "http://127.0.0.1:[0-9]*" "$log" | head -1 | sed 's/.*://' > "$work/$1.port"
}
busy() {  # CPU-seconds the machine has been busy (user, nice, system, irq, softirq)
    awk -v tick="$(getconf CLK_TCK)" '/^cpu /{print ($2 + $3 + $4 + $7 + $8) / tick}' /proc/stat
}
load() {  # label, ingest arguments, client arguments
    local label=$1
    shift
    local ingest_args=() client_args=()
    while [ "$1" != "--" ]; do ingest_args+=("$1"); shift; done
    shift
    client_args=("$@")
    local ingest=
    if [ ${#ingest_args[@]} -gt 0 ]; then
        "$kith" ingest "${ingest_args[@]}" --no-progress $(files "$more") > "$work/ingest.out" 2>&1 &
        ingest=$!
    fi
    local busy_before
    busy_before=$(busy)
    python3 tools/lookup_load.py --key "$key" --phones "$work/phones.txt" --rate "$rate" --seconds "$seconds" \
        "${client_args[@]}" > "$work/load.json"
    echo "$label: $(cat "$work/load.json")"
    echo "  the machine's cores were busy $(python3 -c "print(round($(busy) - $busy_before, 1))") CPU-s of $(($(nproc) * seconds)) (everything: replicas, PostgreSQL, client, ingest)"
    [ -n "$ingest" ] || return 0
    wait "$ingest" || { echo "$label: the ingest failed: $(cat "$work/ingest.out")" >&2; exit 1; }
    echo "  ingest beside it: $(grep -o 'accepted [0-9][0-9,]*' "$work/ingest.out" | head -1), $(grep -o '^[0-9.]* s' "$work/ingest.out" | head -1)"
}

warm() {  # replicas...: 5 s of the same load, not counted (connections, plans and pages warm up)
    local args=()
    for port in "$@"; do args+=(--replica "127.0.0.1:$port"); done
    python3 tools/lookup_load.py --key "$key" --phones "$work/phones.txt" --rate "$rate" --seconds 5 "${args[@]}" \
        > /dev/null
}

serve e "$work/embedded"
warm "$(cat "$work/e.port")"
load "embedded, one replica" --data "$work/embedded" -- --replica "127.0.0.1:$(cat "$work/e.port")"
kill "$(cat "$work/e.pid")"
serve a "$work/pg1" "${store[@]}"
serve b "$work/pg2" "${store[@]}"
a=$(cat "$work/a.port")
b=$(cat "$work/b.port")
warm "$a" "$b"
# The lookups alone first (no ingest beside them), to tell their own cost from the ingest's.
load "PostgreSQL, two replicas, no ingest" -- --replica "127.0.0.1:$a" --replica "127.0.0.1:$b"
load "PostgreSQL, two replicas" --data "$work/pg1" "${store[@]}" -- --replica "127.0.0.1:$a" --replica "127.0.0.1:$b"
# A fresh store's worth of new people for the second run: the ingest must really append.
more_again=$work/more2
"$kith" generate --persons "$(python3 -c "import json; print(len(open('$more/truth/persons.ndjson').readlines()))")" \
    --seed 3 --out "$more_again" >/dev/null
more=$more_again
victim=$(cat "$work/a.pid")
load "PostgreSQL, two replicas, replica 1 killed at $((seconds / 3)) s" --data "$work/pg2" "${store[@]}" -- \
    --replica "127.0.0.1:$a" --replica "127.0.0.1:$b" --kill "$victim" --kill-after "$((seconds / 3))"
