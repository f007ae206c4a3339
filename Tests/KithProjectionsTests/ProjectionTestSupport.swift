import Foundation
import GRDB
import KithCore
import KithDirectory
import KithGenerator
import KithIngest
import KithLog

@testable import KithProjections

final class Scratch {
    let path = NSTemporaryDirectory() + "kith-proj-" + UUID().uuidString
    init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Appends contract lines (any spelling) to a log through the real parser.
func append(_ lines: [String], to log: EventLogWriter) throws {
    var encoded = EncodedLines()
    for line in lines {
        let bytes = Array(line.utf8)
        let parsed = try bytes.withUnsafeBufferPointer {
            try EventLineParser().parse($0, appendingTo: &encoded.bytes).get()
        }
        encoded.endLine(key: parsed.key)
    }
    _ = try log.append(encoded)
}

/// A contract line with the given identifiers (kind → value).
func event(
    _ ids: [String: String], type: String = "behaviour", name: String = "page_view", source: String = "app",
    at time: String = "2026-03-01T10:00:00+08:00", traits: String? = nil, properties: String? = nil
) -> String {
    let id = UUID().uuidString
    let identifiers = ids.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
    var line =
        #"{"event_id":"\#(id)","source":"\#(source)","type":"\#(type)","name":"\#(name)","occurred_at":"\#(time)","identifiers":{\#(identifiers)}"#
    if let traits { line += #","traits":\#(traits)"# }
    if let properties { line += #","properties":\#(properties)"# }
    return line + "}"
}

/// Every profile as JSON lines, for comparing two stores.
func exportLines(_ store: SQLiteProjectionStore, rules: Rules = .standard) throws -> [String] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    var out: [String] = []
    try store.forEachProfile(traitRules: rules.traits) {
        out.append(String(decoding: try encoder.encode($0), as: UTF8.self))
    }
    return out
}

/// Every row of the identity tables (graph and links, standings, profiles, per-value
/// statistics), as text, for comparing how two stores were built.
func identityTables(_ store: SQLiteProjectionStore) throws -> [String] {
    let tables = [
        "node", "edge", "refused_link", "excluded", "membership", "profile_id", "node_stats", "node_rfm",
        "profile_rfm",
    ]
    return try store.pool.read { db in
        var out: [String] = []
        for table in tables {
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2") {
                out.append(table + "|" + row.databaseValues.map { "\($0)" }.joined(separator: "|"))
            }
        }
        return out
    }
}

/// The store's merge and split records, in order, each kind by its name.
func changeRecords(_ store: SQLiteProjectionStore) throws -> [String] {
    try store.pool.read { db in
        try Row.fetchAll(db, sql: "SELECT position, kind, profile, others FROM profile_change ORDER BY seq").map {
            let kind = ProjectionBatch.Change.Kind(rawValue: $0[1]).map { "\($0)" } ?? "unknown(\($0[1] as Int))"
            return ["\($0[0] as Int64)", kind, $0[2] as String, $0[3] as String].joined(separator: "|")
        }
    }
}

/// Whether `row` (of `identityTables`) is an excluded value of standing `kind`.
func isExcluded(_ row: String, as kind: IdentityResolver.Standing.Kind) -> Bool {
    let columns = row.split(separator: "|", omittingEmptySubsequences: false)
    return columns.first == "excluded" && columns.count > 2 && columns[2] == "\(kind.rawValue)"
}

/// Generates exports for `persons` people into `scratch/exports` and ingests every file into a
/// data directory at `scratch/data` (log only: nothing projected yet).
func ingestGenerated(persons: Int, seed: UInt64, in scratch: Scratch) async throws -> (
    exports: String, data: DataDirectory
) {
    let exports = scratch.path + "/exports"
    let generated = try Generator(persons: persons, seed: seed).write(to: exports)
    let data = DataDirectory(scratch.path + "/data")
    let log = try FileEventLog(directory: data.log)
    _ = await Ingestor(log: log, quarantine: try QuarantineStore(directory: data.quarantine), options: .init())
        .ingest(files: generated.files.map { exports + "/" + $0 })
    try log.close()
    return (exports, data)
}
