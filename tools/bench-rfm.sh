#!/usr/bin/env bash
# RFM refresh over N scored profiles (default 1,000,000): a store whose profile_rfm table is
# filled with random raw values (sqlite3), then `kith rfm refresh` five times; prints each
# run's wall time and the median.
#
#   tools/bench-rfm.sh [PROFILES]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
swift build -c release --product kith >/dev/null
kith=.build/release/kith
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
$kith project --data "$data" >/dev/null   # creates an empty store with the current schema
sqlite3 "$data/projections.sqlite" <<SQL
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n)
INSERT INTO profile_rfm (profile, orders, last_order, monetary)
SELECT printf('p%015x', i), 1 + abs(random()) % 12, 1782777600 - abs(random()) % (400 * 86400), abs(random()) % 500000
FROM c;
SQL
times=()
for run in 1 2 3 4 5; do
    start=$(date +%s.%N)
    $kith rfm refresh --data "$data" --as-of 2026-06-30 >/dev/null 2>&1
    end=$(date +%s.%N)
    t=$(awk "BEGIN { printf \"%.3f\", $end - $start }")
    times+=("$t")
    echo "run $run: ${t} s"
done
$kith rfm --data "$data" --lang en | head -1
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
echo "RFM refresh over $n profiles: median ${median} s (wall, whole kith process)"
