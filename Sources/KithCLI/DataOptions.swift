import ArgumentParser
import Foundation
import KithDirectory

/// `--data DIR`, else `KITH_DATA`, else `./kith-data`.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (default: $KITH_DATA or ./kith-data).")
    var data: String?

    var directory: DataDirectory {
        DataDirectory(data ?? ProcessInfo.processInfo.environment["KITH_DATA"] ?? "./kith-data")
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, ndjson, csv
}
