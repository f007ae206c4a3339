import ArgumentParser
import Foundation
import KithEngine

/// `kith store use|show`: which store a data directory's commands use when neither `--store`
/// nor `KITH_DATABASE_URL` says.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Where the event log and projections live: the data directory or PostgreSQL.",
        subcommands: [Use.self, Show.self])

    struct Use: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the store this data directory's commands use (a postgres:// URL, or `embedded`).",
            discussion: """
                The URL is checked first: Kith connects, and makes its tables if they are not there. It is kept in \
                DIR/store.url, readable by its owner alone (it may hold the password). --store and \
                KITH_DATABASE_URL still win over it. Move a log there with kith log copy --to URL.
                """)
        @Option(name: .long, help: "Data directory (default: $KITH_DATA or ./kith-data).") var data: String?
        @Argument(help: "postgres://user[:password]@host:port/db[?schema=NAME], or embedded") var store: String

        func run() throws {
            let directory = DataOptions.directory(at: data)
            try Projection.reporting {
                try Engine.recordStore(store == "embedded" ? nil : store, in: directory)
            }
            var now = directory
            now.storeURL = directory.recordedStoreURL
            Out.print("this data directory now uses \(try Projection.engine(now).storeName)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The store in force, and what chose it.")
        @OptionGroup var data: DataOptions
        @Option(help: "table or json") var format: OutputFormat = .table

        struct Choice: Encodable {
            var store: String
            var chosenBy: String

            enum CodingKeys: String, CodingKey {
                case store
                case chosenBy = "chosen_by"
            }
        }

        func run() throws {
            let engine = try Projection.engine(data.directory)
            let environment = ProcessInfo.processInfo.environment["KITH_DATABASE_URL"].map { !$0.isEmpty } ?? false
            let chosenBy =
                data.store != nil
                ? "--store"
                : environment
                    ? "KITH_DATABASE_URL"
                    : data.directory.recordedStoreURL != nil
                        ? "\(data.directory.storeSetting) (kith store use)" : "the default (no store recorded)"
            let choice = Choice(store: engine.storeName, chosenBy: chosenBy)
            if format == .json {
                try Out.json(choice)
            } else {
                Out.print("\(choice.store), chosen by \(choice.chosenBy)")
            }
        }
    }
}
