import Foundation
import KithLog

/// The folder Kith keeps everything in (`--data DIR`, `KITH_DATA`, default `./kith-data`).
public struct DataDirectory: Sendable {
    public var path: String
    /// Where its durable files are written (crash tests watch it).
    package var disk: Disk
    /// The PostgreSQL store that holds this installation's log and projections
    /// (`postgres://…`), or nil for the embedded store in this directory. Surfaces set it from
    /// `--store`, `KITH_DATABASE_URL` or `recordedStoreURL`, in that order.
    public var storeURL: String?

    public init(_ path: String) {
        self.path = path
        disk = .real
    }

    package init(_ path: String, disk: Disk) {
        self.path = path
        self.disk = disk
    }

    public var log: String { path + "/log" }

    /// The file that records a PostgreSQL store for this directory (`kith store use`); it
    /// holds the URL, password included, so it is kept with the directory's other secrets.
    public var storeSetting: String { path + "/store.url" }

    /// The URL `storeSetting` records, if any.
    public var recordedStoreURL: String? {
        guard let data = FileManager.default.contents(atPath: storeSetting) else { return nil }
        let url = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return url.isEmpty ? nil : url
    }
    public var quarantine: String { path + "/quarantine" }

    /// The projection store in force. A replay builds a new generation beside it and swaps it in
    /// by renaming `projections.current`, which names the file (`projections.sqlite` if absent).
    public var projections: String {
        guard let data = FileManager.default.contents(atPath: projectionsPointer),
            let name = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !name.isEmpty, !name.contains("/")
        else { return path + "/projections.sqlite" }
        return path + "/" + name
    }

    public var projectionsPointer: String { path + "/projections.current" }

    /// The file of a store generation (1, 2, …); generation 0 is `projections.sqlite`.
    public func projections(generation: Int) -> String {
        generation == 0 ? path + "/projections.sqlite" : path + "/projections-\(generation).sqlite"
    }

    /// The generation `projections` points at.
    public var projectionsGeneration: Int { generation(of: projections) }

    /// Where an unfinished replay records its shadow store (so a killed replay can resume).
    public var replayState: String { path + "/replay.json" }
}
