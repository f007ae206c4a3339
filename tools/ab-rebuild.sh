#!/usr/bin/env bash
# A/B of `kith project --rebuild`: two kith binaries alternate on copies of one log, ROUNDS times
# each, in one invocation (this machine is noisy: compare medians, not single runs). Prints each
# run's seconds and peak RSS (KiB), then the medians and the fastest runs: noise only ever adds
# time, so when the medians of a few-percent change drown in it (runs here spread by ±15 %), the
# fastest run of each side is the steadier figure.
#   tools/ab-rebuild.sh BASE_KITH NEW_KITH LOG_DIR [ROUNDS]
# e.g. a 200,000-person log: kith generate --persons 200000 --seed 1 --out x/exports &&
#      kith ingest --data x/data --no-project x/exports/*
set -euo pipefail
base="$1"; new="$2"; log="$3"; rounds="${4:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for side in base new; do mkdir -p "$work/$side" && cp -r "$log" "$work/$side/log"; done
for _ in $(seq 1 "$rounds"); do
    for side in base new; do
        bin=$base; [ "$side" = new ] && bin=$new
        /usr/bin/time -f "%e %M" -o "$work/t" "$bin" project --rebuild --data "$work/$side" >/dev/null 2>&1
        echo "$side $(cat "$work/t")" | tee -a "$work/runs"
    done
done
for side in base new; do
    echo "$side median: $(awk -v s=$side '$1==s {print $2}' "$work/runs" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') s," \
        "peak RSS $(awk -v s=$side '$1==s {print $3}' "$work/runs" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') KiB," \
        "fastest $(awk -v s=$side '$1==s {print $2}' "$work/runs" | sort -n | head -1) s"
done
