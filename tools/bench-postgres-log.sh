#!/usr/bin/env bash
# The event log in PostgreSQL against the embedded file log, on one machine in one invocation:
# a throwaway PostgreSQL 15 on loopback (tools/postgres.sh, default settings), a data
# directory's log copied into it and back with `kith log copy` (the same code appends to either
# adapter), and each log read back whole with `kith log read`. ROUNDS times; prints each run
# and the medians in events/s.
#
#   tools/bench-postgres-log.sh KITH DATA_DIR [ROUNDS]
# e.g. a 200,000-person log: kith generate --persons 200000 --seed 1 --out x/exports &&
#      kith ingest --data x/data --no-project x/exports/*
set -euo pipefail
cd "$(dirname "$0")/.."
kith=$1
data=$2
rounds=${3:-3}
work=$(mktemp -d)
pg=$(mktemp -d)  # its own, under /tmp: the postgres user cannot reach into $work
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'tools/postgres.sh stop "$pg" >/dev/null 2>&1 || true; rm -rf "$work" "$pg"' EXIT
url=$(tools/postgres.sh start "$pg" "$port" 2>/dev/null)
events=$("$kith" log stats --data "$data" --format json | python3 -c 'import json, sys; print(json.load(sys.stdin)["events"])')
echo "log of $events events; PostgreSQL 15 on 127.0.0.1:$port"
seconds() { /usr/bin/time -f %e -o "$work/t" "$@" >/dev/null 2>&1; cat "$work/t"; }
field() { python3 -c "import json, sys; print(json.load(open('$1'))['$2'])"; }
for round in $(seq 1 "$rounds"); do
    store="$url?schema=bench_$round"
    "$kith" log copy --data "$data" --to "$store" --no-progress --format json > "$work/to.json"
    "$kith" log copy --data "$work/back_$round" --from "$store" --no-progress --format json > "$work/from.json"
    to_pg=$(field "$work/to.json" copying_seconds)
    to_file=$(field "$work/from.json" copying_seconds)
    read_pg=$(seconds "$kith" log read --store "$store")
    read_file=$(seconds "$kith" log read --data "$data")
    echo "round $round: append to PostgreSQL ${to_pg} s, to the file log ${to_file} s; read back PostgreSQL ${read_pg} s, file log ${read_file} s"
    printf '%s %s %s %s\n' "$to_pg" "$to_file" "$read_pg" "$read_file" >> "$work/runs"
    rm -rf "$work/back_$round"
done
python3 - "$work/runs" "$events" <<'EOF'
import json, statistics, sys
runs = [list(map(float, line.split())) for line in open(sys.argv[1])]
events = int(sys.argv[2])
names = ["append_postgres", "append_file", "read_postgres", "read_file"]
medians = {n: statistics.median(r[i] for r in runs) for i, n in enumerate(names)}
print(json.dumps({
    "events": events, "rounds": len(runs),
    **{n + "_seconds": round(s, 2) for n, s in medians.items()},
    **{n + "_events_per_second": round(events / s) for n, s in medians.items()},
}))
EOF
