#!/usr/bin/env bash
# End-to-end ingest benchmark on generated data, release build. Prints medians.
#
#   tools/bench-ingest.sh [PERSONS] [RUNS]        (defaults: 200000 persons, 5 runs)
#
# For each run: ingest every export into an empty data directory (durable: fsync per batch),
# then read the whole log back (`kith log read`). Also times `lz4 -1` compressing the same
# canonical bytes, the physical floor for this work.
set -euo pipefail
cd "$(dirname "$0")/.."
persons=${1:-200000}
runs=${2:-5}
work=${KITH_BENCH_DIR:-/tmp/kith-bench-$persons}
swift build -c release --product kith >/dev/null
kith=.build/release/kith
if [ ! -f "$work/exports/truth/summary.json" ]; then
    $kith generate --persons "$persons" --seed 1 --out "$work/exports" >/dev/null
fi
files=$(ls "$work"/exports/*.ndjson "$work"/exports/*.csv)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ingest_rates=(); read_rates=(); lz4_times=(); rss=()
for i in $(seq "$runs"); do
    rm -rf "$work/data"
    /usr/bin/time -f "%M" -o "$work/rss" $kith ingest --data "$work/data" --no-project --format json $files > "$work/summary.json"
    rss+=("$(cat "$work/rss")")
    ingest_rates+=("$(python3 -c "import json,sys; print(int(json.load(open('$work/summary.json'))['events_per_second']))")")
    events=$(python3 -c "import json; print(json.load(open('$work/summary.json'))['accepted'])")
    start=$(date +%s.%N)
    $kith log read --data "$work/data" > "$work/canonical.ndjson"
    end=$(date +%s.%N)
    read_rates+=("$(python3 -c "print(int($events / ($end - $start)))")")
    start=$(date +%s.%N)
    lz4 -1 -q -f "$work/canonical.ndjson" "$work/canonical.ndjson.lz4"
    end=$(date +%s.%N)
    lz4_times+=("$(python3 -c "print(round($end - $start, 3))")")
done
truth=0
python3 - "$work" <<'PY' || truth=$?
import json, sys
work = sys.argv[1]
got = json.load(open(f"{work}/summary.json"))
want = json.load(open(f"{work}/exports/truth/summary.json"))
keys = ["accepted", "duplicates", "quarantined", "skipped"]
diff = {k: (got[k], want[k]) for k in keys if got[k] != want[k]}
print("ground truth:         " + ("matches (" + ", ".join(f"{k} {got[k]}" for k in keys) + ")" if not diff else f"DIFFERS {diff}"))
sys.exit(1 if diff else 0)
PY
echo "persons:              $persons"
echo "events accepted:      $events"
echo "input bytes:          $(cat $files | wc -c)"
echo "canonical bytes:      $(stat -c %s "$work/canonical.ndjson")"
echo "log bytes on disk:    $(du -sb "$work/data/log" | cut -f1)"
echo "ingest events/s:      $(printf '%s\n' "${ingest_rates[@]}" | median)  (median of $runs: ${ingest_rates[*]})"
echo "read-back events/s:   $(printf '%s\n' "${read_rates[@]}" | median)  (kith log read > file)"
echo "lz4 -1 same bytes:    $(printf '%s\n' "${lz4_times[@]}" | median) s  (physical floor)"
echo "ingest peak RSS:      $(printf '%s\n' "${rss[@]}" | median) KiB"
# A benchmark of wrong results is no benchmark: a ground-truth mismatch fails the script.
[ "$truth" -eq 0 ] || { echo "tools/bench-ingest.sh: counts differ from the ground truth" >&2; exit 1; }
