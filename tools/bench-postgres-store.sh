#!/usr/bin/env bash
# Kith on PostgreSQL against the embedded store, on one machine in one invocation: a
# throwaway PostgreSQL 15 on loopback (tools/postgres.sh, default settings), and for each
# round, alternating which goes first:
#   - `kith ingest` of every export (append, then the first projection and RFM refresh) into
#     a fresh data directory, and into a fresh PostgreSQL schema (--store);
#   - `kith project --rebuild` of each (PostgreSQL: a new generation loaded, then put in force);
#   - `kith log read` of each log, whole.
# Then checks that both give the same `kith profiles export` (as_of pinned), and prints each
# round and the medians.
#
#   tools/bench-postgres-store.sh KITH EXPORTS [ROUNDS]
# e.g. kith generate --persons 200000 --seed 1 --out /tmp/x/exports
set -euo pipefail
cd "$(dirname "$0")/.."
kith=$1
exports=$2
rounds=${3:-2}
work=$(mktemp -d)
pg=$(mktemp -d)  # its own, under /tmp: the postgres user cannot reach into $work
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'tools/postgres.sh stop "$pg" >/dev/null 2>&1 || true; rm -rf "$work" "$pg"' EXIT
url=$(tools/postgres.sh start "$pg" "$port" 2>/dev/null)
files=("$exports"/*.ndjson "$exports"/*.csv)
echo "exports: $(du -sh "$exports" | cut -f1) in ${#files[@]} files; PostgreSQL 15 on 127.0.0.1:$port"
seconds() { /usr/bin/time -f %e -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; cat "$work/t"; }
for round in $(seq 1 "$rounds"); do
    emb=(--data "$work/emb_$round")
    pgs=(--data "$work/pg_$round" --store "$url?schema=bench_$round")
    mkdir -p "$work/emb_$round" "$work/pg_$round"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/emb_$round/secret.key"
    cp "$work/emb_$round/secret.key" "$work/pg_$round/secret.key"
    if [ $((round % 2)) -eq 1 ]; then order=(emb pgs); else order=(pgs emb); fi
    declare -A ingest rebuild read
    for which in "${order[@]}"; do
        declare -n args=$which
        ingest[$which]=$(seconds "$kith" ingest "${args[@]}" --no-progress "${files[@]}")
        rebuild[$which]=$(seconds "$kith" project --rebuild "${args[@]}")
        read[$which]=$(seconds "$kith" log read "${args[@]}")
    done
    for which in emb pgs; do
        declare -n args=$which
        "$kith" rfm refresh "${args[@]}" --as-of 2026-10-01 >/dev/null 2>&1
        "$kith" profiles export "${args[@]}" --format ndjson > "$work/export_$which"
    done
    cmp -s "$work/export_emb" "$work/export_pgs" || { echo "round $round: the exports differ" >&2; exit 1; }
    echo "round $round: ingest embedded ${ingest[emb]} s, PostgreSQL ${ingest[pgs]} s; rebuild embedded ${rebuild[emb]} s, PostgreSQL ${rebuild[pgs]} s; read back embedded ${read[emb]} s, PostgreSQL ${read[pgs]} s; exports identical ($(wc -l < "$work/export_emb") profiles)"
    echo "${ingest[emb]} ${ingest[pgs]} ${rebuild[emb]} ${rebuild[pgs]} ${read[emb]} ${read[pgs]}" >> "$work/runs"
    events=$("$kith" log stats "${emb[@]}" --format json | python3 -c 'import json, sys; print(json.load(sys.stdin)["events"])')
    rm -rf "$work/emb_$round" "$work/pg_$round"
done
python3 - "$work/runs" "$events" <<'PY'
import json, statistics, sys
runs = [list(map(float, line.split())) for line in open(sys.argv[1])]
events = int(sys.argv[2])
names = ["ingest_embedded", "ingest_postgres", "rebuild_embedded", "rebuild_postgres", "read_embedded", "read_postgres"]
medians = {n: statistics.median(r[i] for r in runs) for i, n in enumerate(names)}
print(json.dumps({
    "events": events, "rounds": len(runs),
    **{n + "_seconds": round(s, 2) for n, s in medians.items()},
    **{n + "_events_per_second": round(events / s) for n, s in medians.items()},
}))
PY
