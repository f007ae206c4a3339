#!/usr/bin/env bash
# The nightly batch, Kith against its peer, measured in one invocation on the same exports.
#
#   tools/nightly-batch.sh [PERSONS] [SEED]       (defaults: 200000 people, seed 7; RUNS=3)
#
# Kith: `kith ingest` of every export into an empty data directory (append, projection, RFM
# refresh). The peer: tools/peer/peer.py, DuckDB from PyPI in a venv this script makes
# (.build-peer/venv), running the SQL in tools/peer/ (connected components with a frequency
# blocklist, then RFM over the components). Runs alternate, Kith first; the report gives each
# run, the medians, their ratio, and both sides' pairwise identity precision and recall against
# the generator's truth. KITH=path uses a kith binary you built; otherwise a release build is
# made in .build-release. WORK=dir keeps the exports and runs there (default: a temporary dir).
set -euo pipefail
persons=${1:-200000}
seed=${2:-7}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/need-packages.sh" time python3-venv
work=${WORK:-$(mktemp -d /tmp/kith-nightly.XXXXXX)}
mkdir -p "$work"
kith=${KITH:-$root/.build-release/release/kith}
if [ ! -x "$kith" ]; then
    echo "building kith (release) in .build-release …" >&2
    swift build -c release --product kith --package-path "$root" --scratch-path "$root/.build-release" >&2
fi
venv=$root/.build-peer/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import duckdb" 2>/dev/null; then
    echo "installing the peer's DuckDB from PyPI into .build-peer/venv …" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet duckdb >&2
fi
if [ ! -f "$work/exports/truth/persons.ndjson" ]; then
    "$kith" generate --persons "$persons" --seed "$seed" --out "$work/exports" >&2
fi
inputs=("$work"/exports/*.ndjson "$work"/exports/*.csv)
for i in $(seq "$runs"); do
    rm -rf "$work/data"
    /usr/bin/time -f '{"seconds": %e, "peak_rss_kb": %M}' -o "$work/kith-$i.time" \
        "$kith" ingest --data "$work/data" --format json "${inputs[@]}" > "$work/kith-$i.json"
    /usr/bin/time -f '{"seconds": %e, "peak_rss_kb": %M}' -o "$work/peer-$i.time" \
        "$venv/bin/python" "$root/tools/peer/peer.py" "$work/exports" > "$work/peer-$i.json"
    echo "run $i: kith $(cat "$work/kith-$i.time"), peer $(cat "$work/peer-$i.time")" >&2
done
"$kith" identity score --data "$work/data" --truth "$work/exports/truth/persons.ndjson" --format json \
    > "$work/kith-score.json"
"$venv/bin/python" "$root/tools/peer/peer.py" "$work/exports" --truth "$work/exports/truth" > "$work/peer-score.json"
"$venv/bin/python" - "$work" "$runs" "$persons" "$seed" <<'PY'
import json, statistics, sys
work, runs, persons, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
load = lambda p: json.load(open(p))
kith = [load(f"{work}/kith-{i}.time") for i in range(1, runs + 1)]
peer = [load(f"{work}/peer-{i}.time") for i in range(1, runs + 1)]
ingest = load(f"{work}/kith-1.json")
ks, ps = statistics.median(r["seconds"] for r in kith), statistics.median(r["seconds"] for r in peer)
kscore, pscore = load(f"{work}/kith-score.json"), load(f"{work}/peer-score.json")["identity"]
report = {
    "persons": int(persons), "seed": int(seed), "runs": runs, "events": ingest["accepted"],
    "kith_seconds": [r["seconds"] for r in kith], "peer_seconds": [r["seconds"] for r in peer],
    "kith_median_seconds": ks, "peer_median_seconds": ps, "ratio": ks / ps,
    "kith_peak_rss_mb": max(r["peak_rss_kb"] for r in kith) // 1024,
    "peer_peak_rss_mb": max(r["peak_rss_kb"] for r in peer) // 1024,
    "kith_identity": {k: kscore[k] for k in ("precision", "recall", "mixed_profiles")},
    "peer_identity": {k: pscore[k] for k in ("precision", "recall", "mixed_profiles")},
}
print(f"nightly batch, {int(persons):,} people (seed {seed}), {ingest['accepted']:,} events, {runs} alternating runs")
print(f"  kith  median {ks:7.1f} s  runs {report['kith_seconds']}  peak {report['kith_peak_rss_mb']} MiB")
print(f"  peer  median {ps:7.1f} s  runs {report['peer_seconds']}  peak {report['peer_peak_rss_mb']} MiB  (DuckDB)")
print(f"  ratio kith/peer {report['ratio']:.2f}  (target ≤ 0.50)")
for side in ("kith", "peer"):
    s = report[f"{side}_identity"]
    print(f"  {side} identity: precision {s['precision']:.5f} recall {s['recall']:.5f} mixed profiles {s['mixed_profiles']}")
print(json.dumps(report, sort_keys=True))
PY
