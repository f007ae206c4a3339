#!/usr/bin/env bash
# Formats the Swift sources in place with the toolchain's swift-format and .swift-format.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format --in-place --recursive Sources Tests tools/KithGenerator benchmarks/Benchmarks
