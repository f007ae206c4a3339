#!/usr/bin/env bash
# The micro-benchmarks' regression check (tools/test.sh runs it on the whole suite): builds
# benchmarks/ in release, runs every benchmark and compares its p90s with benchmarks/Thresholds/
# at the tolerances KithBenchmarks.swift sets: wall clock +60 %, throughput −45 %, allocations
# +10 %. Quiet runs on these 2-vCPU machines move ±35 %, so noise passes and any 2× slowdown
# fails. Extra arguments go to the benchmark plugin (e.g. --filter "Parse.*").
#
# Exit 0: every benchmark within tolerance, or better than its threshold (then tighten the
# thresholds: cd benchmarks && swift package --allow-writing-to-package-directory benchmark
# thresholds update --path Thresholds). Exit 1: a regression, named in the output above.
set -uo pipefail
cd "$(dirname "$0")/../benchmarks"
echo "tools/bench-check.sh: building the benchmarks (release) and checking their p90 thresholds" >&2
swift package benchmark thresholds check --path Thresholds --no-progress "$@"
status=$?
case "$status" in
    0) echo "tools/bench-check.sh: every benchmark is within its p90 threshold" >&2 ;;
    4) echo "tools/bench-check.sh: better than the thresholds (no regression); consider updating them" >&2; status=0 ;;
    2) echo "tools/bench-check.sh: a benchmark regressed past its tolerance (see above)" >&2; status=1 ;;
    *) echo "tools/bench-check.sh: the benchmark run failed (status $status)" >&2 ;;
esac
exit "$status"
