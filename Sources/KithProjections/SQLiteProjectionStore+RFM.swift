import Foundation
import GRDB
import KithCore

extension SQLiteProjectionStore {
    /// The RFM view as the last refresh left it.
    public struct RFMView: Codable, Sendable {
        public var asOf: Int64
        /// Whether `as_of` was set explicitly (`kith rfm refresh --as-of T`); refreshes after
        /// projection keep a pinned instant and otherwise use the current time.
        public var pinned: Bool
        /// The log position the raw values had reached.
        public var position: UInt64
        public var rulesHash: String
        public var refreshedAt: String
        public var model: RFMModel
        public var summary: RFMSummary

        enum CodingKeys: String, CodingKey {
            case pinned, position, model, summary
            case asOf = "as_of"
            case rulesHash = "rules_hash"
            case refreshedAt = "refreshed_at"
        }
    }

    /// One profile's place in the view.
    public struct RFMEntry: Sendable {
        public var profile: String
        public var raw: RFMRaw
        public var score: RFMScore?
        public var stage: LifecycleStage
    }

    /// Recomputes scores, thresholds, segment counts and the lifecycle funnel from every
    /// profile's raw values, and records the rules applied. Reads see the old view or the new
    /// one, never a mix.
    @discardableResult
    public func refreshRFM(rules: Rules, asOf: Int64, pinned: Bool, now: Date) throws -> RFMView {
        let hash = Projector.hash(fullRules: rules)
        let json = try Self.canonicalJSON(rules)
        return try pool.write { db in
            let raws = try Self.allRaw(db)
            let model = RFMModel.fit(raws, rules: rules.rfm, lifecycle: rules.lifecycle, asOf: asOf)
            let view = RFMView(
                asOf: asOf, pinned: pinned,
                position: UInt64(
                    try Int64.fetchOne(db, sql: "SELECT position FROM checkpoint WHERE name = 'main'") ?? 0),
                rulesHash: hash, refreshedAt: Timestamp(epochSeconds: Int64(now.timeIntervalSince1970)).description,
                model: model,
                summary: RFMSummary(raws, model: model))
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO rfm_model (name, as_of, pinned, position, rules_hash, refreshed_at, model, summary)
                    VALUES ('main', ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    asOf, pinned, Int64(view.position), hash, view.refreshedAt, try Self.canonicalJSON(model),
                    try Self.canonicalJSON(view.summary),
                ])
            let last = try String.fetchOne(db, sql: "SELECT hash FROM rules_applied ORDER BY seq DESC LIMIT 1")
            if last != hash {
                try db.execute(
                    sql: "INSERT INTO rules_applied (hash, applied_at, rules) VALUES (?, ?, ?)",
                    arguments: [hash, view.refreshedAt, json])
            }
            return view
        }
    }

    /// The hash of the rules the projection was built with (nil before the first batch).
    /// The instant a refresh uses when none is given: the last refresh's, if it was pinned
    /// (`kith rfm refresh --as-of T`), else now.
    public func refreshInstant(now: Date) throws -> (asOf: Int64, pinned: Bool) {
        if let previous = try rfmView(), previous.pinned { return (previous.asOf, true) }
        return (Int64(now.timeIntervalSince1970), false)
    }

    public func projectionRulesHash() throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT rules_hash FROM checkpoint WHERE name = 'main'") }
    }

    public func rfmView() throws -> RFMView? {
        try pool.read { db in try Self.rfmView(db) }
    }

    /// Just the model, decoded once per stored version (profile reads need it on every request).
    static func rfmModel(_ db: Database) throws -> RFMModel? {
        guard let text = try String.fetchOne(db.cachedStatement(sql: "SELECT model FROM rfm_model WHERE name = 'main'"))
        else { return nil }
        return try decodedModels.model(for: text)
    }

    static func rfmView(_ db: Database) throws -> RFMView? {
        guard
            let row = try Row.fetchOne(
                db,
                sql:
                    "SELECT as_of, pinned, position, rules_hash, refreshed_at, model, summary FROM rfm_model WHERE name = 'main'"
            )
        else { return nil }
        let decoder = JSONDecoder()
        do {
            return RFMView(
                asOf: row[0], pinned: row[1], position: UInt64(row[2] as Int64), rulesHash: row[3], refreshedAt: row[4],
                model: try decoder.decode(RFMModel.self, from: Data((row[5] as String).utf8)),
                summary: try decoder.decode(RFMSummary.self, from: Data((row[6] as String).utf8)))
        } catch {
            throw ProjectionError("the stored RFM model cannot be read (\(error)); run kith rfm refresh")
        }
    }

    /// Every profile's view entry in profile-id order, from `after` (exclusive) on.
    public func forEachRFM(after: String? = nil, _ body: (RFMEntry) throws -> Bool) throws {
        try pool.read { db in
            guard let view = try Self.rfmView(db) else {
                throw ProjectionError("there is no RFM view yet: run kith rfm refresh")
            }
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT profile, orders, last_order, monetary FROM profile_rfm WHERE profile > ? ORDER BY profile",
                arguments: [after ?? ""])
            while let row = try rows.next() {
                let raw = RFMRaw(orders: row[1], lastOrder: row[2], monetary: row[3])
                let entry = RFMEntry(
                    profile: row[0], raw: raw, score: view.model.score(raw), stage: view.model.stage(raw))
                if try !body(entry) { return }
            }
        }
    }

    /// The rules recorded by refreshes, newest first.
    public func rulesApplied() throws -> [(hash: String, appliedAt: String, rules: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT hash, applied_at, rules FROM rules_applied ORDER BY seq DESC").map {
                (hash: $0[0], appliedAt: $0[1], rules: $0[2])
            }
        }
    }

    static func allRaw(_ db: Database) throws -> [RFMRaw] {
        var raws: [RFMRaw] = []
        raws.reserveCapacity(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profile_rfm") ?? 0)
        let statement = try db.makeStatement(sql: "SELECT orders, last_order, monetary FROM profile_rfm")
        let rows = try Row.fetchCursor(statement)
        while let row = try rows.next() {
            raws.append(RFMRaw(orders: row[0], lastOrder: row[1], monetary: row[2]))
        }
        return raws
    }

    static func canonicalJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// The last decoded RFM model and the text it came from.
private final class DecodedModelCache: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    private var model: RFMModel?

    func model(for text: String) throws -> RFMModel {
        lock.lock()
        defer { lock.unlock() }
        if let model, text == self.text { return model }
        do {
            let decoded = try JSONDecoder().decode(RFMModel.self, from: Data(text.utf8))
            self.text = text
            model = decoded
            return decoded
        } catch {
            throw ProjectionError("the stored RFM model cannot be read (\(error)); run kith rfm refresh")
        }
    }
}

private let decodedModels = DecodedModelCache()
