#!/usr/bin/env bash
# The cost of an increment: ~9,000 new events for 1,000 people who are already in a projected
# store, ingested with `kith ingest` (which appends, then updates their profiles).
#
#   tools/bench-increment.sh [DATA_DIR]     (default /tmp/kith-bench-200000/data, which
#                                            tools/bench-ingest.sh and `kith project` build)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-/tmp/kith-bench-200000/data}
swift build -c release --product kith >/dev/null
kith=.build/release/kith
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# People 1..1000 of another seed share their phone and member id with people 1..1000 of seed 1.
$kith generate --persons 1000 --seed 99 --out "$work/exports" >/dev/null
run=$(date +%s)
for f in app miniprogram web service; do
    # New event ids, so nothing is a duplicate of what the store already holds.
    sed "s/\"event_id\":\"/\"event_id\":\"inc-$run-/" "$work/exports/$f.ndjson" > "$work/inc-$f.ndjson"
done
$kith project --data "$data" >/dev/null   # make sure the store is up to date first
/usr/bin/time -f "wall %e s, peak RSS %M KiB" $kith ingest --data "$data" "$work"/inc-*.ndjson 2>&1 | tail -3
