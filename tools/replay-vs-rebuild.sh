#!/usr/bin/env bash
# Issue 17's replay target: `kith replay --dry-run --rules RULES_FILE` on a store built under the
# standard rules (shadow rebuild, RFM refresh and the impact report) against `kith project
# --rebuild --rules RULES_FILE` of the same log (the same projection without the report),
# alternating ROUNDS times in one invocation (this machine is noisy: compare medians). Prints
# each run's seconds and peak RSS (KiB), the medians and the ratio (target: within 1.2×).
#   tools/replay-vs-rebuild.sh KITH LOG_DIR RULES_FILE [ROUNDS]
# e.g. LOG_DIR=/tmp/kith-bench-200000/data/log (tools/bench-ingest.sh 200000 1) and a rules file
# that changes identity, such as one with `evidence: {names: true, limits: true}` and lower limits.
set -euo pipefail
kith="$1"; log="$2"; rules="$3"; rounds="${4:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for side in live fresh; do mkdir -p "$work/$side" && cp -r "$log" "$work/$side/log"; done
"$kith" project --rebuild --priority normal --data "$work/live" >/dev/null 2>&1  # the store a replay compares with
for _ in $(seq 1 "$rounds"); do
    /usr/bin/time -f "%e %M" -o "$work/t" "$kith" project --rebuild --priority normal --rules "$rules" \
        --data "$work/fresh" >/dev/null 2>&1
    echo "rebuild $(cat "$work/t")" | tee -a "$work/runs"
    /usr/bin/time -f "%e %M" -o "$work/t" "$kith" replay --dry-run --priority normal --rules "$rules" \
        --data "$work/live" >/dev/null 2>&1
    echo "replay $(cat "$work/t")" | tee -a "$work/runs"
    # A dry run keeps its shadow for a later replay to resume: start each round afresh.
    rm -f "$work/live"/projections-*.sqlite* "$work/live/replay.json"
done
median() { awk -v s="$1" -v f="$2" '$1==s {print $f}' "$work/runs" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rebuild=$(median rebuild 2)
replay=$(median replay 2)
echo "rebuild median: $rebuild s, peak RSS $(median rebuild 3) KiB"
echo "replay --dry-run median: $replay s, peak RSS $(median replay 3) KiB"
awk -v a="$replay" -v b="$rebuild" 'BEGIN { printf "ratio replay/rebuild: %.2f (target ≤ 1.20)\n", a / b }'
