#!/usr/bin/env bash
# What SQLite itself takes to write a rebuilt store's rows: every projection table copied by
# `INSERT … SELECT` into a new file under the rebuild's settings (WAL, synchronous NORMAL, a
# 64 MiB cache, one transaction, the secondary indexes built at the end), each step timed by the
# `sqlite3` shell. Compare its inserts with the row-writing share of a profiled `kith project
# --rebuild`: the difference is what writing row by row from Swift costs.
# JOURNAL=OFF copies as a bulk load does (no journal, synchronous OFF; see "Rebuilds in one pass").
#   tools/sqlite-copy-floor.sh STORE      # e.g. DATA/projections.sqlite after kith project --rebuild
set -euo pipefail
store="$1"
"$(dirname "$0")/need-packages.sh" sqlite3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sqlite3 "$store" .schema | grep -v '^CREATE INDEX\|^CREATE UNIQUE INDEX\|sqlite_' >"$work/tables.sql"
sqlite3 "$store" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL" >"$work/indexes.sql"
{
    echo ".output /dev/null"
    if [ "${JOURNAL:-WAL}" = OFF ]; then
        echo "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;"
    else
        echo "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;"
    fi
    echo ".output"
    echo ".read $work/tables.sql"
    echo "ATTACH '$store' AS old;"
    echo ".timer on"
    echo "BEGIN;"
    for t in node edge membership excluded link refused_link profile_id node_stats node_rfm profile_rfm; do
        echo ".print $t"
        echo "INSERT INTO main.$t SELECT * FROM old.$t;"
    done
    echo ".print indexes"
    echo ".read $work/indexes.sql"
    echo ".print commit"
    echo "COMMIT;"
} | sqlite3 "$work/copy.sqlite"
