#!/usr/bin/env bash
# The README's first command. On a fresh Debian machine it installs the system libraries Kith
# links, builds `kith`, then generates sample channel exports for 2,000 people, ingests them and
# scores the profiles (`kith demo`). Extra arguments go to `kith demo`.
#
# It builds a debug binary: on 2 cores the first debug build takes about 4 minutes, a release
# build about 14 (swift-nio and Hummingbird dominate both), and the demo's 21,000 events take a
# few seconds either way. For benchmarks build release: swift build -c release --product kith.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/need-packages.sh liblz4-dev lz4 zlib1g-dev libsqlite3-dev pkg-config
if [ ! -x .build/debug/kith ]; then
    echo "tools/demo.sh: building kith (debug; the first build takes about 4 minutes on 2 cores)…" >&2
fi
swift build --product kith
.build/debug/kith demo "$@"
