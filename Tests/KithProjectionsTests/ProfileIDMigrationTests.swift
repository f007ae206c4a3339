import Foundation
import GRDB
import KithCore
import KithDirectory
import KithLog
@testable import KithProjections
import KithTestSupport
import Testing

/// Issue 15: stores built before profile ids were keyed are renamed in place, and their old ids
/// keep resolving.
struct ProfileIDMigrationTests {
    /// Appends with a writer of its own, released (with its lock) on return.
    static func append(_ lines: [String], to data: DataDirectory) throws {
        let log = try EventLogWriter(directory: data.log)
        try KithProjectionsTests.append(lines, to: log)
        try log.close()
    }

    /// A synchronous read (GRDB's async overload would be chosen inside an async test).
    static func read<T>(_ store: SQLiteProjectionStore, _ body: (Database) throws -> T) throws -> T {
        try store.pool.read(body)
    }

    @Test func aStoreWithUnkeyedIdsIsRenamedAsIfBuiltKeyed() async throws {
        let scratch = Scratch()
        let (_, data) = try await ingestGenerated(persons: 300, seed: 41, in: scratch)
        let keyed = ProfileIDs(key: Array("this installation".utf8))

        // Given a store built the old way, with a few increments so merges and aliases exist
        try Self.append(
            [
                event(["device_id": "mig-a"], at: "2026-03-01T10:00:00+08:00"),
                event(["email": "mig.b@163.com"], at: "2026-03-01T11:00:00+08:00"),
            ], to: data)
        let legacyPath = scratch.path + "/legacy.sqlite"
        let legacy = try SQLiteProjectionStore(path: legacyPath)
        _ = try Projector(store: legacy, rules: .standard, profileIDs: .unkeyed)
            .catchUp(with: try EventLogReader(directory: data.log), batchSize: 700)
        // Then one event shows those two customers are one: a merge, and an alias.
        try Self.append(
            [event(["device_id": "mig-a", "email": "mig.b@163.com"], at: "2026-03-01T12:00:00+08:00")], to: data)
        _ = try Projector(store: legacy, rules: .standard, profileIDs: .unkeyed)
            .catchUp(with: try EventLogReader(directory: data.log))
        let oldIDs = try Self.read(legacy) { db in try String.fetchAll(db, sql: "SELECT id FROM profile_id ORDER BY id")
        }
        let oldMembers = try Self.read(legacy) { db in
            try Row.fetchAll(db, sql: "SELECT node, profile FROM membership").reduce(into: [String: Set<Int64>]()) {
                $0[$1[1] as String, default: []].insert($1[0] as Int64)
            }
        }
        #expect(oldIDs.count > oldMembers.count, "the fixture should hold aliases of merged profiles")

        let changesBefore = try changeRecords(legacy)
        // When a projector with keyed ids opens it
        _ = try Projector(store: legacy, rules: .standard, profileIDs: keyed)
        #expect(try legacy.profileIDScheme() == keyed.scheme)

        // Then it holds what a keyed rebuild of the same log holds, profile for profile,
        let rebuilt = try SQLiteProjectionStore(path: scratch.path + "/keyed.sqlite")
        _ = try Projector(store: rebuilt, rules: .standard, profileIDs: keyed)
            .catchUp(with: try EventLogReader(directory: data.log), batchSize: 700)
        #expect(try exportLines(legacy) == exportLines(rebuilt))
        // Merge and split records name the new ids, and only those.
        let changes = try changeRecords(legacy)
        #expect(changes.count == changesBefore.count && !changes.isEmpty)
        let named = Set(
            changes.flatMap {
                $0.split(separator: "|").dropFirst(2).flatMap { $0.split(separator: ",").map(String.init) }
            })
        #expect(named.isDisjoint(with: oldIDs), "a change record kept an unkeyed id")
        // no current profile keeps an unkeyed id,
        let current = try Self.read(legacy) { db in
            try Set(String.fetchAll(db, sql: "SELECT DISTINCT profile FROM membership"))
        }
        #expect(current.isDisjoint(with: oldIDs))
        // and every old id resolves to the profile that now holds its members.
        for (old, members) in oldMembers {
            let resolved = try #require(try legacy.resolve(old))
            let now = try #require(resolved.current)
            let nodes = try Self.read(legacy) { db in
                try Set(Int64.fetchAll(db, sql: "SELECT node FROM membership WHERE profile = ?", arguments: [now]))
            }
            #expect(nodes == members, "\(old) resolves to \(now), which holds other values")
            #expect(resolved.status == "current")
        }
        // Opening again renames nothing; projecting on continues under the keyed ids.
        let before = try identityTables(legacy)
        _ = try Projector(store: legacy, rules: .standard, profileIDs: keyed)
        #expect(try identityTables(legacy) == before)
    }
}
