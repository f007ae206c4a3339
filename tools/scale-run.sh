#!/usr/bin/env bash
# One rebuild at a scale of your choosing, with its rate over time: whether it holds steady or
# falls off a cliff past the one-pass limit (issue 17 asks to show it at 5,000,000 people).
#
#   KITH=path/to/kith tools/scale-run.sh PERSONS [SEED] [DIR]      (defaults: seed 7, a temp dir)
#
# Generates PERSONS people's exports (or takes DIR/exports as they are, when a run was stopped
# after generating them), ingests them without projecting (the exports are deleted then, to
# spare the disk), and runs `kith project` into an empty store, timed by /usr/bin/time.
# The projection's progress line is read through a pseudo-terminal and printed with the wall time
# every 30 s, with the rate of the last interval, so a slowdown shows where it starts. At the end:
# events, seconds, events/s and peak RSS of each step, and the sizes on disk. Needs about 5 GB of
# disk per million people.
set -euo pipefail
persons=${1:?usage: KITH=path tools/scale-run.sh PERSONS [SEED] [DIR]}
seed=${2:-7}
dir=${3:-$(mktemp -d /tmp/kith-scale.XXXXXX)}
kith=${KITH:?set KITH to a release build of kith}
mkdir -p "$dir"
echo "scale run: $persons people, seed $seed, in $dir, with $kith"

if [ -d "$dir/exports" ]; then
    echo "using the exports already in $dir/exports: $(du -sh "$dir/exports" | cut -f1)"
else
    start=$(date +%s)
    "$kith" generate --persons "$persons" --seed "$seed" --out "$dir/exports" >/dev/null
    echo "generated in $(($(date +%s) - start)) s: $(du -sh "$dir/exports" | cut -f1)"
fi
inputs=()
for f in "$dir"/exports/*; do
    case "$f" in *.mapping.yaml | */truth) ;; *) inputs+=("$f") ;; esac
done
/usr/bin/time -f "%e %M" -o "$dir/ingest.time" "$kith" ingest --data "$dir/data" --no-project --format json \
    "${inputs[@]}" >"$dir/ingest.json"
rm -rf "$dir/exports"
events=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['end_position'])" "$dir/ingest.json")
read -r seconds rss <"$dir/ingest.time"
echo "ingest: $events events in $seconds s, peak RSS $((rss / 1024)) MiB; log $(du -sh "$dir/data/log" | cut -f1)"

# The progress line only shows on a terminal: give `kith project` one and keep its last state.
python3 - "$kith" "$dir" "$(dirname "$0")" <<'PY'
import re, sys
kith, work, tools = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, tools)
from pty_lines import PtyLines
run = PtyLines(["/usr/bin/time", "-f", "%e %M", "-o", work + "/project.time",
                kith, "project", "--data", work + "/data", "--priority", "normal"])
last_print, last_pos, stage, tail, now = 0.0, 0, "", "", 0.0
for now, text in run:
    tail = text
    m = re.search(r"([\d,]+)/([\d,]+) events", text)
    if m and now - last_print >= 30:
        pos = int(m.group(1).replace(",", ""))
        rate = (pos - last_pos) / (now - last_print) if now > last_print else 0
        print(f"  {now:7.0f} s  position {pos:>12,}  last {now - last_print:4.0f} s: {rate:>9,.0f} events/s", flush=True)
        last_print, last_pos = now, pos
    elif not m and text[:40] != stage[:40]:
        stage = text
        print(f"  {now:7.0f} s  {text[:110]}", flush=True)
if tail != stage:
    print(f"  {now:7.0f} s  {tail[:160]}")
PY
read -r seconds rss <"$dir/project.time"
python3 -c "print(f'project: {int(\"$events\"):,} events in $seconds s = {int(\"$events\") / float(\"$seconds\"):,.0f} events/s, peak RSS {int(\"$rss\") / 1048576:.2f} GiB')"
echo "store $(du -sh "$dir/data/projections.sqlite" | cut -f1), log with columns $(du -sh "$dir/data/log" | cut -f1)"
