import ArgumentParser
import Foundation
import KithDirectory

/// `--data DIR`, else `KITH_DATA`, else `./kith-data`; and where the log and projections live:
/// `--store URL`, else `KITH_DATABASE_URL`, else what `kith store use` recorded in the
/// directory, else the directory itself.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (default: $KITH_DATA or ./kith-data).")
    var data: String?

    @Option(
        name: .long,
        help: """
            Keep the event log and projections in PostgreSQL at this URL \
            (postgres://user[:password]@host:port/db[?schema=NAME]; default: $KITH_DATABASE_URL, else the store \
            `kith store use` recorded in the data directory, else the data directory itself). Keys, rules, the \
            quarantine and the audit log stay in the data directory.
            """)
    var store: String?

    var directory: DataDirectory {
        var directory = Self.directory(at: data)
        let environment = ProcessInfo.processInfo.environment["KITH_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        directory.storeURL = store ?? environment ?? directory.recordedStoreURL
        return directory
    }

    /// The directory `--data` names (else `KITH_DATA`, else `./kith-data`), its store unchosen.
    static func directory(at data: String?) -> DataDirectory {
        DataDirectory(data ?? ProcessInfo.processInfo.environment["KITH_DATA"] ?? "./kith-data")
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, ndjson, csv
}
