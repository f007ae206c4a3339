// swift-tools-version: 6.1
import PackageDescription

// Layers point downward only:
// kith → KithCLI/KithServer → KithEngine → KithIngest/KithProjections/KithDirectory → KithLog → KithCore.
// KithCore is pure (no file or network I/O); C libraries are wrapped in KithLog/KithIngest.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Kith",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kith", targets: ["kith"]),
        .library(name: "KithCore", targets: ["KithCore"]),
        .library(name: "KithLog", targets: ["KithLog"]),
        .library(name: "KithIngest", targets: ["KithIngest"]),
        .library(name: "KithDirectory", targets: ["KithDirectory"]),
        .library(name: "KithProjections", targets: ["KithProjections"]),
        .library(name: "KithGenerator", targets: ["KithGenerator"]),
        .library(name: "KithPostgres", targets: ["KithPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Only KithServer (and what links it) builds these: they are the heavy part of a cold build.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Only KithPostgres (the PostgreSQL adapters) and what links it build these.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // glibc's <malloc.h> (mallopt, malloc_trim), which Swift's Glibc module leaves out.
        .systemLibrary(name: "CMalloc"),
        // The SSE4.2 CRC-32C instruction, which Swift cannot reach (a header, no library).
        .systemLibrary(name: "CCRC32C"),
        .target(name: "KithCore", swiftSettings: strict),
        .target(name: "KithLog", dependencies: ["KithCore", "CLZ4", "CCRC32C"], swiftSettings: strict),
        // The in-memory reference adapters of the ports: the oracle the other adapters are held to.
        .target(name: "KithMemory", dependencies: ["KithCore"], swiftSettings: strict),
        // The data directory's own files: where everything lives, the store generation in force,
        // the rules in force, the installation secret, API keys, their usage and the audit log.
        .target(
            name: "KithDirectory", dependencies: ["KithCore", "KithLog", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        // Reading channel exports: byte sources, CSV mappings, the pipeline and the quarantine.
        .target(
            name: "KithIngest",
            dependencies: ["KithCore", "KithLog", "CLZ4", "CZlib", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(
            name: "KithProjections",
            dependencies: [
                "KithCore", "CMalloc", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        // The use cases, written once: the CLI and the server parse, call it and format.
        .target(
            name: "KithEngine",
            dependencies: [
                "KithCore", "KithLog", "KithDirectory", "KithIngest", "KithProjections", "KithMemory", "KithGenerator",
                "KithPostgres",
            ],
            swiftSettings: strict),
        .target(
            name: "KithServer",
            dependencies: [
                "KithCore", "KithLog", "KithDirectory", "KithIngest", "KithProjections", "KithEngine", "CMalloc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // The PostgreSQL adapters of the ports (the log, and later the projections), through
        // postgres-nio: the store for more than one machine.
        .target(
            name: "KithPostgres",
            dependencies: [
                "KithCore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(name: "KithGenerator", dependencies: ["KithCore"], path: "tools/KithGenerator", swiftSettings: strict),
        .target(
            name: "KithCLI",
            dependencies: [
                "KithCore", "KithLog", "KithDirectory", "KithIngest", "KithProjections", "KithEngine", "KithMemory",
                "KithGenerator",
                "KithServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "kith",
            dependencies: ["KithCLI", "CMalloc", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        .testTarget(name: "KithCoreTests", dependencies: ["KithCore", "KithGenerator"], swiftSettings: strict),
        .testTarget(
            name: "KithLogTests",
            dependencies: ["KithLog", "KithCore", "KithGenerator", "KithFaults", "KithMemory", "KithTestSupport"],
            swiftSettings: strict),
        // A simulated power loss under the log's `Disk` (crash tests).
        .target(
            name: "KithFaults", dependencies: ["KithLog", "KithGenerator"], path: "Tests/KithFaults",
            swiftSettings: strict),
        .testTarget(
            name: "KithProjectionsTests",
            dependencies: [
                "KithProjections", "KithCore", "KithLog", "KithDirectory", "KithIngest", "KithGenerator", "KithFaults",
                "KithMemory",
                "KithTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ], swiftSettings: strict),
        .testTarget(
            name: "KithIngestTests",
            dependencies: [
                "KithIngest", "KithDirectory", "KithLog", "KithCore", "KithGenerator", "KithTestSupport", "KithFaults",
            ],
            resources: [], swiftSettings: strict),
        // What the CLI and server tests share: running the built `kith`, temporary folders,
        // and the ports' contract suites, which every adapter passes unchanged.
        .target(
            name: "KithTestSupport",
            dependencies: ["KithCore", "KithGenerator", "KithMemory", "KithProjections", "KithPostgres"],
            path: "Tests/KithTestSupport",
            swiftSettings: strict),
        .testTarget(
            name: "KithServerTests",
            dependencies: [
                "KithServer", "kith", "KithTestSupport", "KithCore", "KithDirectory", "KithIngest", "KithLog",
                "KithProjections", "KithPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        // Needs a PostgreSQL server: tools/test.sh starts one on loopback (tools/postgres.sh) and
        // passes its URL in KITH_TEST_POSTGRES_URL; without it these tests fail, never skip.
        .testTarget(
            name: "KithPostgresTests",
            dependencies: [
                "KithPostgres", "KithProjections", "KithMemory", "KithCore", "KithGenerator", "KithTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict),
        // Each port's one contract suite, over every adapter of it: the embedded default (file
        // log, SQLite), PostgreSQL and the in-memory reference (PostgreSQL as for KithPostgresTests).
        .testTarget(
            name: "KithContractTests",
            dependencies: [
                "KithLog", "KithProjections", "KithPostgres", "KithMemory", "KithCore", "KithGenerator",
                "KithTestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "KithCLITests",
            dependencies: [
                "KithCLI", "kith", "KithEngine", "KithTestSupport", "KithLog", "KithCore", "KithGenerator",
                "KithDirectory",
                "KithIngest",
                "KithMemory",
                "KithProjections",
            ],
            swiftSettings: strict),
    ]
)
