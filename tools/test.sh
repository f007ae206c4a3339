#!/usr/bin/env bash
# The README's test command. On a fresh Debian machine it installs what the tests need, then
# runs the whole suite (`swift test`); extra arguments go to `swift test` (e.g. --filter Crash).
#
# What the tests need, and why:
#   liblz4-dev zlib1g-dev libsqlite3-dev pkg-config  the C libraries Kith links
#   lz4 gzip                                         tests compress inputs with the standard tools
#   python3 python3-jsonschema python3-yaml          a real JSON Schema validator (schemas, OpenAPI replies)
#   chromium fonts-noto-cjk                          the dashboard test drives a real headless browser
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(liblz4-dev lz4 zlib1g-dev gzip libsqlite3-dev pkg-config python3 python3-jsonschema python3-yaml
    chromium fonts-noto-cjk)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
        echo "tools/test.sh: missing ${missing[*]} and no apt-get to install them" >&2
        exit 2
    fi
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "tools/test.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Fail here, by name, rather than in the middle of the suite.
for tool in chromium python3 lz4 gzip pkg-config; do
    command -v "$tool" >/dev/null || { echo "tools/test.sh: $tool is still missing" >&2; exit 2; }
done
python3 -c 'import jsonschema, yaml' || { echo "tools/test.sh: python3-jsonschema/python3-yaml missing" >&2; exit 2; }

echo "tools/test.sh: building and running the tests (a cold debug build takes about 5 minutes on 2 cores)" >&2
swift test "$@"
