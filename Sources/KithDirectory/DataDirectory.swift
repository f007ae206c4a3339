import Foundation
import KithLog

/// The folder Kith keeps everything in (`--data DIR`, `KITH_DATA`, default `./kith-data`).
public struct DataDirectory: Sendable {
    public var path: String
    /// Where its durable files are written (crash tests watch it).
    package var disk: Disk

    public init(_ path: String) {
        self.path = path
        disk = .real
    }

    package init(_ path: String, disk: Disk) {
        self.path = path
        self.disk = disk
    }

    public var log: String { path + "/log" }
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
