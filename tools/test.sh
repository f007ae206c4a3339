#!/usr/bin/env bash
# The README's test command. On a fresh Debian machine it installs what the tests need, then
# runs the whole suite (`swift test`); extra arguments go to `swift test` (e.g. --filter Crash).
#
# What the tests need, and why:
#   liblz4-dev zlib1g-dev libsqlite3-dev pkg-config  the C libraries Kith links
#   lz4 gzip                                         tests compress inputs with the standard tools
#   python3 python3-jsonschema python3-yaml          a real JSON Schema validator (schemas, OpenAPI replies)
#   chromium fonts-noto-cjk                          the dashboard test drives a real headless browser
#   python3-venv                                     schemathesis (from PyPI, pinned) in a virtualenv
#   postgresql                                       the PostgreSQL adapters' tests run against a real server,
#                                                    started here on loopback (tools/postgres.sh), stopped after
set -euo pipefail
cd "$(dirname "$0")/.."

tools/need-packages.sh liblz4-dev lz4 zlib1g-dev gzip libsqlite3-dev pkg-config python3 python3-jsonschema \
    python3-yaml python3-venv chromium fonts-noto-cjk postgresql
# Fail here, by name, rather than in the middle of the suite.
for tool in chromium python3 lz4 gzip pkg-config; do
    command -v "$tool" >/dev/null || { echo "tools/test.sh: $tool is still missing" >&2; exit 2; }
done
# Debian's modules belong to Debian's python3; a python3 earlier on PATH (pyenv) may lack them.
python3 -c 'import jsonschema, yaml' 2>/dev/null || export PATH="/usr/bin:$PATH"
python3 -c 'import jsonschema, yaml' || { echo "tools/test.sh: python3-jsonschema/python3-yaml missing" >&2; exit 2; }

# The style rules in .swift-format hold everywhere (seconds; before the build, so a style slip
# fails fast and names the file and line).
if [ "$#" -eq 0 ]; then
    swift format lint --strict --recursive Package.swift Sources Tests tools benchmarks
fi

# A real PostgreSQL 15 on 127.0.0.1, in a throwaway cluster, for the PostgreSQL adapters' tests
# (they fail, never skip, without KITH_TEST_POSTGRES_URL).
postgres_dir=$(mktemp -d)
postgres_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'tools/postgres.sh stop "$postgres_dir" || true; rm -rf "$postgres_dir"' EXIT
KITH_TEST_POSTGRES_URL=$(tools/postgres.sh start "$postgres_dir" "$postgres_port")
export KITH_TEST_POSTGRES_URL
echo "tools/test.sh: PostgreSQL 15 running on 127.0.0.1:$postgres_port (cluster in $postgres_dir)" >&2

echo "tools/test.sh: building and running the tests (a cold debug build takes about 5 minutes on 2 cores)" >&2
swift test "$@"
# The whole suite (no filter) ends with schemathesis against a real server, for a bounded time,
# and the micro-benchmarks' regression check (a release build of benchmarks/, then ~2 minutes).
if [ "$#" -eq 0 ]; then
    tools/schemathesis.sh "${KITH_SCHEMATHESIS_SECONDS:-150}"
    tools/bench-check.sh
    # The nightly-batch script against its DuckDB peer still runs end to end (its figures are
    # for a release build at scale: see the README; this only keeps the script from rotting).
    smoke=$(mktemp -d)
    KITH="$(swift build --show-bin-path)/kith" RUNS=1 WORK="$smoke" tools/nightly-batch.sh 300 3 2>/dev/null \
        | tail -1 | python3 -c 'import json, sys; r = json.load(sys.stdin); assert r["ratio"] > 0 and r["peer_identity"]["precision"] > 0.5 and r["kith_identity"]["recall"] > 0.9, r'
    rm -rf "$smoke"
fi
