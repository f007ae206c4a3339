#!/usr/bin/env bash
# Builds the libFuzzer targets (Swift's -sanitize=fuzzer, with AddressSanitizer) from KithCore's
# sources and runs each for a bounded time on its corpus in tools/fuzz/corpus/TARGET.
#
#   tools/fuzz.sh [SECONDS_PER_TARGET]      (default 60; CI runs it with 20)
#
# New inputs libFuzzer finds interesting go to .build/fuzz/corpus-TARGET (not committed). A crash
# writes crash-* in .build/fuzz; copy it into tools/fuzz/corpus/TARGET/ so FuzzCorpusTests
# replays it in every test run, then fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=.build/fuzz
mkdir -p "$out"
core=$(find Sources/KithCore -name '*.swift' | sort)
for target in event-line identifier; do
    case $target in
        event-line) harness=tools/fuzz/EventLineTarget.swift ;;
        identifier) harness=tools/fuzz/IdentifierTarget.swift ;;
    esac
    echo "building $target…"
    swiftc -O -sanitize=fuzzer,address -parse-as-library -package-name kith -module-name KithFuzz \
        $core "$harness" -o "$out/$target"
    mkdir -p "$out/corpus-$target"
    echo "fuzzing $target for ${seconds}s…"
    (cd "$out" && "./$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
        "corpus-$target" "../../tools/fuzz/corpus/$target" 2>&1 | grep -E "^#|stat::number_of_executed_units|ERROR|Done" | tail -4)
done
echo "fuzz smoke: no crashes"
