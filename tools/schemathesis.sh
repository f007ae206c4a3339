#!/usr/bin/env bash
# Schemathesis against schemas/openapi.yaml and a real `kith serve` on loopback, for a bounded
# time (default 120 s): every reply must match the spec (status, content type, headers, body
# schema), no 5xx, invalid input refused and valid input accepted, undeclared methods 405 with
# Allow. Run by tools/test.sh after the Swift tests; usable alone after a debug build.
#   tools/schemathesis.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
kith=".build/debug/kith"
[ -x "$kith" ] || swift build --product kith

# Schemathesis comes from PyPI, pinned, into a virtualenv of its own under .build/.
venv=".build/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv" 2>/dev/null || /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi

work="$(mktemp -d)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
"$kith" demo --persons 200 --seed 7 --dir "$work/demo" >/dev/null
data="$work/demo/data"
# A key that may do everything: schemathesis reaches every route, personal data included.
secret="$("$kith" keys create --data "$data" --name schemathesis --scopes admin)"
# High limits: this run is about the contract, and LimitsTests measure the limits.
"$kith" serve --data "$data" --port 0 --rate 100000 --burst 1000000 --lookup-alarm 100000000 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 1 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url="$(awk '/listening/ {print $NF}' "$work/serve.out")"
[ -n "$url" ] || { echo "tools/schemathesis.sh: kith serve did not start" >&2; cat "$work/serve.err" >&2; exit 2; }

echo "tools/schemathesis.sh: $seconds s against ${url}" >&2
"$venv/bin/schemathesis" --config-file tools/schemathesis.toml run schemas/openapi.yaml --url "${url%/}" \
    --header "Authorization: Bearer $secret" --checks all --max-time "$seconds" --workers 2 \
    --suppress-health-check too_slow,filter_too_much --warnings off --seed 15
