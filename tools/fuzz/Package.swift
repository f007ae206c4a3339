// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for Kith, built with the sanitizers by tools/fuzz.sh:
//   swift build --package-path tools/fuzz -c release --sanitize=fuzzer --sanitize=address
// Each target checks an invariant from the package it fuzzes (FuzzInvariants in KithCore,
// CSVFuzzInvariants in KithIngest); FuzzCorpusTests replays the corpus in every test run.
let package = Package(
    name: "KithFuzz",
    dependencies: [.package(name: "Kith", path: "../..")],
    targets: [
        .executableTarget(name: "FuzzEventLine", dependencies: [.product(name: "KithCore", package: "Kith")]),
        .executableTarget(name: "FuzzIdentifier", dependencies: [.product(name: "KithCore", package: "Kith")]),
        .executableTarget(name: "FuzzRequest", dependencies: [.product(name: "KithCore", package: "Kith")]),
        .executableTarget(name: "FuzzCSV", dependencies: [.product(name: "KithIngest", package: "Kith")]),
    ]
)
