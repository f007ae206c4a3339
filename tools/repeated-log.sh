#!/usr/bin/env bash
# A data directory whose log holds the same people's events COPIES times over: the generator's
# NDJSON exports for PERSONS people (seed SEED) ingested once per copy, every copy after the first
# with its event ids renamed, so it is new to the log but carries the same identifiers. Issue 17's
# increments "at 200,000 people, 1×, 2× and 4× the log" are measured on such directories with
# tools/bench-increment.sh.
#
#   tools/repeated-log.sh PERSONS COPIES DATA_DIR [SEED]      (KITH=path picks a kith binary)
# e.g. for c in 1 2 4; do tools/repeated-log.sh 200000 $c /tmp/same200/d$c; done
set -euo pipefail
persons="$1"; copies="$2"; data="$3"; seed="${4:-7}"
kith=${KITH:-$(dirname "$0")/../.build/release/kith}
[ -e "$data" ] && { echo "$(basename "$0"): $data exists; give a new directory" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kith" generate --persons "$persons" --seed "$seed" --out "$work/exports" >/dev/null
files=()
for c in $(seq 1 "$copies"); do
    for f in app miniprogram web service; do
        if [ "$c" = 1 ]; then
            cp "$work/exports/$f.ndjson" "$work/$f-$c.ndjson"
        else
            sed "s/\"event_id\":\"/\"event_id\":\"copy$c-/" "$work/exports/$f.ndjson" > "$work/$f-$c.ndjson"
        fi
        files+=("$work/$f-$c.ndjson")
    done
done
"$kith" ingest --data "$data" --no-progress "${files[@]}"
