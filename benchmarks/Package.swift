// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks for Kith (ordo-one/benchmark). Run from the repository root:
//   swift package --package-path benchmarks benchmark
// The regression check (each benchmark against a yardstick run alongside, see the script):
//   tools/bench-check.sh
let package = Package(
    name: "KithBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Kith", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KithBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KithCore", package: "Kith"),
                .product(name: "KithLog", package: "Kith"),
                .product(name: "KithProjections", package: "Kith"),
            ],
            path: "Benchmarks/KithBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
