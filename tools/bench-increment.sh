#!/usr/bin/env bash
# The cost of an increment: new events for PERSONS people who are already in a projected store
# (~9,000 events for 1,000; ~10,150 for 1,120), ingested with `kith ingest` (which appends, then
# updates their profiles), RUNS times with fresh event ids. Prints each run's wall time and the
# median.
#
#   tools/bench-increment.sh [DATA_DIR] [PERSONS] [RUNS]
#       defaults: /tmp/kith-bench-200000/data (which tools/bench-serve.sh builds), 1000, 5
#
# KITH_BIN picks a prebuilt release binary. Several, space-separated (KITH_BIN="old/kith new/kith"),
# take turns within each run, so a baseline and a change meet the same machine noise; each gets
# its own median of whole-ingest and projection times.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-/tmp/kith-bench-200000/data}
persons=${2:-1000}
runs=${3:-5}
if [ -z "${KITH_BIN:-}" ]; then swift build -c release --product kith >/dev/null; fi
read -r -a bins <<< "${KITH_BIN:-.build/release/kith}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# People 1..PERSONS of another seed share their phone and member id with people of seed 1.
"${bins[0]}" generate --persons "$persons" --seed 99 --out "$work/exports" >/dev/null
"${bins[0]}" project --data "$data" >/dev/null   # make sure the store is up to date first
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for run in $(seq 1 "$runs"); do
    for i in "${!bins[@]}"; do
        kith=${bins[$i]}
        stamp=$(date +%s%N)
        for f in app miniprogram web service; do
            # New event ids, so nothing is a duplicate of what the store already holds.
            sed "s/\"event_id\":\"/\"event_id\":\"inc-$stamp-/" "$work/exports/$f.ndjson" > "$work/inc-$f.ndjson"
        done
        start=$(date +%s.%N)
        $kith ingest --data "$data" --no-progress "$work"/inc-*.ndjson > "$work/out.txt" 2>&1
        end=$(date +%s.%N)
        t=$(awk "BEGIN { printf \"%.2f\", $end - $start }")
        p=$(grep -o 'in [0-9.]* s' "$work/out.txt" | tail -1 | cut -c4- | cut -d' ' -f1)
        echo "$t" >> "$work/total-$i"
        echo "$p" >> "$work/projection-$i"
        echo "run $run, $kith: ${t} s; $(grep -o 'projected [0-9,]* events' "$work/out.txt") in ${p} s"
    done
done
for i in "${!bins[@]}"; do
    echo "${bins[$i]}: median $(median < "$work/total-$i") s (projection $(median < "$work/projection-$i") s)"
done
