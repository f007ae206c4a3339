#!/usr/bin/env bash
# Builds the libFuzzer targets (tools/fuzz, a package of its own: Swift's -sanitize=fuzzer with
# AddressSanitizer) and runs each for a bounded time on its corpus in tools/fuzz/corpus/TARGET.
#
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]   (default 60 s, all targets; CI runs the default)
#
# Targets: event-line (NDJSON line parser), identifier (normalisation), request (what the HTTP
# server decodes: API key headers, limits, cursors, identifier references), csv (records under
# a mapping). New inputs libFuzzer finds interesting go to .build/fuzz/corpus-TARGET (not
# committed). A failure writes crash-* in .build/fuzz; copy it into tools/fuzz/corpus/TARGET/
# so FuzzCorpusTests replays it in every test run, then fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=${*:-event-line identifier request csv}
out=.build/fuzz
scratch=.build/fuzz-package
mkdir -p "$out"
echo "building the fuzz targets…"
# --sanitize=fuzzer links libFuzzer's main; the -Xswiftc form instruments every module for
# coverage together with AddressSanitizer (SwiftPM's two --sanitize flags do not combine).
swift build --package-path tools/fuzz -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
    --scratch-path "$scratch" 2>&1 | grep -E "error|Compiling|Build complete" | grep -v "^warning" | tail -3
# A fatalError under ASan must end the run, not hang in the Swift backtracer.
export SWIFT_BACKTRACE=enable=no
status=0
for target in $targets; do
    case $target in
        event-line) binary=FuzzEventLine ;;
        identifier) binary=FuzzIdentifier ;;
        request) binary=FuzzRequest ;;
        csv) binary=FuzzCSV ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    mkdir -p "$out/corpus-$target"
    echo "fuzzing $target for ${seconds}s…"
    if ! (cd "$out" && timeout $((seconds + 120)) "../../$scratch/release/$binary" -max_total_time="$seconds" \
        -max_len=4096 -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 \
        "corpus-$target" "../../tools/fuzz/corpus/$target" >"fuzz-$target.log" 2>&1); then
        status=1
        grep -E "ERROR|Fatal error|Test unit written|deadly signal" "$out/fuzz-$target.log" | head -5
        echo "fuzz $target FAILED (log: $out/fuzz-$target.log)"
    fi
    grep -E "^Done|stat::number_of_executed_units" "$out/fuzz-$target.log" | tail -2 || true
done
[ $status -eq 0 ] && echo "fuzz smoke: no crashes"
exit $status
