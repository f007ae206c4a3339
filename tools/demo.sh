#!/usr/bin/env bash
# One command on a fresh Debian machine: install the system libraries Kith links, build it,
# generate sample channel exports and ingest them (`kith demo`). Extra arguments go to `kith demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! pkg-config --exists liblz4 zlib 2>/dev/null && command -v apt-get >/dev/null; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq liblz4-dev lz4 zlib1g-dev libsqlite3-dev pkg-config >/dev/null
fi
swift run -c release kith demo "$@"
