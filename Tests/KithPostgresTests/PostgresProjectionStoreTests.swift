import Foundation
import KithCore
import KithMemory
import KithPostgres
import KithProjections
import PostgresNIO
import KithTestSupport
import Testing

/// What the PostgreSQL projection store promises beyond the port's contract: generations that
/// readers never see change under them, writers that cannot write into a generation out of
/// force, and the DDL in step with `schemas/postgres/projections.sql`.
@Suite struct PostgresProjectionStoreTests {
    /// A projected store and the log it came from.
    static func projected(
        persons: Int, seed: UInt64, into store: PostgresProjectionStore
    ) throws -> MemoryEventLog {
        let log = try ProjectionStoreContract.log(persons: persons, seed: seed)
        _ = try Projector(store: store, rules: .standard).catchUp(with: log)
        return log
    }

    @Test("a reader keeps the generation it began with while a rebuild comes into force")
    func aReaderKeepsItsGeneration() throws {
        let place = try PostgresProjectionPlace()
        let live = try PostgresProjectionStore(place.location)
        _ = try Self.projected(persons: 40, seed: 1, into: live)
        let reader = try PostgresProjectionStore(place.location, readOnly: true)
        let rebuilt = try PostgresProjectionStore(bulkLoading: place.location)
        let bigger = try Self.projected(persons: 90, seed: 2, into: rebuilt)
        let (before, during, after) = try reader.reading { snapshot in
            let before = try snapshot.valueCount()
            // The rebuild comes into force while this snapshot is open.
            try rebuilt.finishBulkLoad()
            let during = try snapshot.valueCount()
            let after = try PostgresProjectionStore(place.location, readOnly: true).reading { try $0.checkpoint() }
            return (before, during, after)
        }
        #expect(before == during, "the snapshot changed generation under its reader")
        #expect(after == bigger.endPosition, "a new reading does not see the rebuilt generation")
        #expect(try reader.reading { try $0.valueCount() } > before)
        // The old generation is gone once its reader is done (the next rebuild drops it at the latest).
        let next = try PostgresProjectionStore(bulkLoading: place.location)
        _ = try Self.projected(persons: 10, seed: 3, into: next)
        try next.finishBulkLoad()
        #expect(try generations(of: place.location).count == 1)
    }

    @Test("a writer whose generation went out of force is refused, and the store is unchanged")
    func aStaleWriterIsRefused() throws {
        let place = try PostgresProjectionPlace()
        let stale = try PostgresProjectionStore(place.location)
        let rebuilt = try PostgresProjectionStore(bulkLoading: place.location)
        let log = try Self.projected(persons: 30, seed: 4, into: rebuilt)
        try rebuilt.finishBulkLoad()
        #expect {
            _ = try Projector(store: stale, rules: .standard).catchUp(with: log)
        } throws: { error in
            (error as? ProjectionError)?.code == .overtaken && "\(error)".contains("rebuilt elsewhere")
        }
        #expect(try PostgresProjectionStore(place.location).reading { try $0.checkpoint() } == log.endPosition)
    }

    @Test("an unfinished load is dropped by the next, and never read")
    func anUnfinishedLoadIsDropped() throws {
        let place = try PostgresProjectionPlace()
        let abandoned = try PostgresProjectionStore(bulkLoading: place.location)
        _ = try Self.projected(persons: 20, seed: 5, into: abandoned)
        try abandoned.close()
        #expect {
            try PostgresProjectionStore(place.location, readOnly: true).reading { try $0.checkpoint() }
        } throws: { error in (error as? ProjectionError)?.code == .noStore }
        let next = try PostgresProjectionStore(bulkLoading: place.location)
        #expect(try next.reading { try $0.valueCount() } == 0, "the next load began from what the last one left")
        let log = try Self.projected(persons: 20, seed: 6, into: next)
        try next.finishBulkLoad()
        #expect(try PostgresProjectionStore(place.location).reading { try $0.checkpoint() } == log.endPosition)
        #expect(try generations(of: place.location).count == 1)
    }

    @Test("two loads at once take turns, and neither drops the generation the other put in force")
    func loadsTakeTurns() async throws {
        let place = try PostgresProjectionPlace()
        let first = try PostgresProjectionStore(bulkLoading: place.location)
        let log = try Self.projected(persons: 30, seed: 7, into: first)
        let location = place.location
        // The second waits for the first's lock, on a thread of its own.
        let second = Task.detached { try PostgresProjectionStore(bulkLoading: location) }
        usleep(300_000)
        try first.finishBulkLoad()
        let other = try await second.value
        #expect(other.generation == first.generation + 1)
        let reader = try PostgresProjectionStore(location, readOnly: true)
        #expect(try reader.reading { try $0.checkpoint() } == log.endPosition, "the generation in force was dropped")
        other.discardBulkLoad()
        #expect(try reader.reading { try $0.checkpoint() } == log.endPosition)
    }

    @Test("a first load is not disturbed by another process opening the empty store meanwhile")
    func aFirstLoadBesideAnOpening() throws {
        let place = try PostgresProjectionPlace()
        let load = try PostgresProjectionStore(bulkLoading: place.location)
        let log = try Self.projected(persons: 25, seed: 8, into: load)
        // A reader's command opens the store (making an empty generation) while the load runs.
        #expect(try PostgresProjectionStore(place.location).reading { try $0.checkpoint() } == 0)
        try load.finishBulkLoad()
        #expect(try PostgresProjectionStore(place.location).reading { try $0.checkpoint() } == log.endPosition)
    }

    @Test("a reading handle's one-statement lookup follows a rebuild into force, and agrees with the plain reads")
    func aLookupFollowsTheGenerationInForce() throws {
        let place = try PostgresProjectionPlace()
        let live = try PostgresProjectionStore(place.location)
        _ = try Self.projected(persons: 40, seed: 11, into: live)
        let reader = try PostgresProjectionStore(place.location, readOnly: true)
        let rebuilt = try PostgresProjectionStore(bulkLoading: place.location)
        _ = try Self.projected(persons: 80, seed: 12, into: rebuilt)
        // A value only the rebuilt generation has.
        let newcomer = try #require(
            try rebuilt.reading { snapshot in
                var found: Identifier?
                try snapshot.forEachNode { node, info in
                    if found == nil, try live.reading({ try $0.nodes(identifiedBy: [info.identifier]) }).isEmpty,
                        try snapshot.profiles(of: [node])[node] != nil
                    {
                        found = info.identifier
                    }
                }
                return found
            })
        #expect(try reader.lookUp(newcomer) == nil, "the generation in force has no such value yet")
        let stale = try PostgresProjectionStore(place.location, readOnly: true)
        #expect(try stale.lookUp(newcomer) == nil)
        // The head moves and the old generation stays (as when a long reader keeps the rebuild
        // from dropping it): the handle still remembers the old one, whose function answers with
        // the head of its snapshot, and the lookup is made again on the generation in force.
        try PostgresSession(place.location).query(
            PostgresQuery(
                unsafeSQL: "UPDATE \(place.location.schema).projection_head SET generation = \(rebuilt.generation)"),
            doing: "moving the head")
        #expect(try generations(of: place.location).count == 2)
        let found = try #require(try reader.lookUp(newcomer), "the lookup kept reading the old generation")
        #expect(
            ProfileQueriesContract.summary(found)
                == ProfileQueriesContract.summary(try reader.reading { try $0.lookUp(newcomer) }))
        #expect(!found.values.isEmpty && found.model == nil)
        // Once the old generation is dropped, a handle that remembers it finds the head again.
        try PostgresSession(place.location).query(
            PostgresQuery(unsafeSQL: "DROP SCHEMA \(place.location.schema)_p\(live.generation) CASCADE"),
            doing: "dropping the old generation")
        #expect(
            ProfileQueriesContract.summary(try stale.lookUp(newcomer)) == ProfileQueriesContract.summary(found))
    }

    @Test("a generation without the lookup function (made by an earlier Kith) is looked up by plain reads")
    func aGenerationWithoutTheFunction() throws {
        let place = try PostgresProjectionPlace()
        let store = try PostgresProjectionStore(place.location)
        _ = try Self.projected(persons: 30, seed: 13, into: store)
        let identifiers = try store.reading { snapshot in
            var out: [Identifier] = []
            try snapshot.forEachNode { _, info in out.append(info.identifier) }
            return out
        }
        let before = try identifiers.map { ProfileQueriesContract.summary(try store.lookUp($0)) }
        let g = PostgresProjectionSchema.generationSchema(place.location.schema, store.generation)
        try PostgresSession(place.location).query(
            PostgresQuery(unsafeSQL: "DROP FUNCTION \(g).look_up(text, text)"), doing: "dropping the function")
        let reader = try PostgresProjectionStore(place.location, readOnly: true)
        let after = try identifiers.map { ProfileQueriesContract.summary(try reader.lookUp($0)) }
        #expect(after == before)
        #expect(before.contains { $0.contains(" p") } && before.count > 50)
    }

    @Test func schemaFileIsInStep() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/postgres/projections.sql")
        let script = PostgresProjectionSchema.script(schema: "kith")
        // KITH_WRITE_SCHEMAS=1 writes the file instead of checking it.
        if ProcessInfo.processInfo.environment["KITH_WRITE_SCHEMAS"] == "1" {
            try script.write(to: file, atomically: true, encoding: .utf8)
        }
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(
            text == script,
            "regenerate schemas/postgres/projections.sql: KITH_WRITE_SCHEMAS=1 swift test --filter schemaFileIsInStep")
    }

    /// The generation schemas the store's schema has.
    func generations(of location: PostgresLocation) throws -> [String] {
        let session = try PostgresSession(location)
        defer { try? session.close() }
        return try session.query(
            .init(
                unsafeSQL:
                    "SELECT nspname::text FROM pg_namespace WHERE nspname ~ '^\(location.schema)_p[0-9]+$' ORDER BY 1"),
            doing: "listing generations"
        ).map { try $0.decode(String.self) }
    }
}
