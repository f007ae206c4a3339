#!/usr/bin/env bash
# Installs the Debian packages named that are not installed yet (with sudo when not root), and
# says which. Used by tools/demo.sh and tools/test.sh.
#
#   tools/need-packages.sh PACKAGE…
set -euo pipefail
missing=()
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "$(basename "$0"): missing ${missing[*]} and no apt-get to install them" >&2
    exit 2
fi
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
echo "installing ${missing[*]}…" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
