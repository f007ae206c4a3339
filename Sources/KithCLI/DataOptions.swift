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

/// `--store postgres://user@host:port/db`: a log kept in PostgreSQL instead of the data
/// directory's (for the `kith log` commands; the projections are not in PostgreSQL yet).
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Read the log kept in PostgreSQL at this URL (postgres://user[:password]@host:port/db[?schema=NAME]).")
    var store: String?
}
