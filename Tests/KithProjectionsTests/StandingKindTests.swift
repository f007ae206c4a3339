import Foundation
import GRDB
import KithCore
import Testing

@testable import KithProjections

/// An excluded value's standing is stored whole in typed columns (`excluded.kind` and its
/// detail), queried by that code rather than by matching text, and stores from before it are
/// migrated.
struct StandingKindTests {
    static let standings: [IdentityResolver.Standing] = [
        .links, .kindDoesNotLink, .blocklisted, .shared(partners: 12), .shared(partners: 1_000),
        .neverLinks(rule: "store_phone"), .neverLinks(rule: "门店电话"),
        .contested(.differentNames), .contested(.partnersWithDifferentNames(.memberID)),
        .contested(.overLimit(.email, count: 7, limit: 3)),
    ]

    @Test("every standing's old stored text gives back the standing", arguments: standings)
    func storedTextGivesBackTheStanding(_ standing: IdentityResolver.Standing) {
        #expect(IdentityResolver.Standing(code: standing.code) == standing)
    }

    @Test("every standing's typed columns give back the standing", arguments: standings)
    func typedColumnsGiveBackTheStanding(_ standing: IdentityResolver.Standing) {
        let stored = StoredStanding(standing)
        #expect(stored.kind == standing.kind.rawValue)
        #expect(stored.standing == standing)
    }

    @Test("columns that make no standing read as none, never as another")
    func columnsThatMakeNoStandingReadAsNone() {
        #expect(StoredStanding(kind: 3).standing == nil, "shared without its partner count")
        #expect(StoredStanding(kind: 4).standing == nil, "never-link without its rule")
        #expect(StoredStanding(kind: 5, evidence: 3, evidenceKind: "email").standing == nil, "limit without counts")
        #expect(StoredStanding(kind: 5, evidence: 9).standing == nil, "evidence of an unknown kind")
        #expect(StoredStanding(kind: 42).standing == nil, "an unknown kind")
    }

    @Test("text no version wrote is no standing", arguments: ["sharedish", "shared(partners: x)", "contested: maybe"])
    func unknownTextIsNoStanding(_ text: String) {
        #expect(IdentityResolver.Standing(code: text) == nil)
    }

    @Test("stored codes are stable: a renumbered kind would misread every store")
    func storedCodesAreStable() {
        let codes = IdentityResolver.Standing.Kind.allCases.map { "\($0)=\($0.rawValue)" }
        #expect(
            codes == [
                "links=0", "kindDoesNotLink=1", "blocklisted=2", "shared=3", "neverLinks=4", "contested=5",
            ])
        let evidence: [IdentityResolver.Evidence] = [
            .differentNames, .partnersWithDifferentNames(.phone), .overLimit(.phone, count: 2, limit: 1),
        ]
        #expect(evidence.map(\.kind.rawValue) == [1, 2, 3])
    }

    /// A store at schema v8 (before typed standings) whose `excluded` table holds `rows`.
    static func v8Store(in scratch: Scratch, excluding rows: [(node: Int, standing: String)]) throws -> String {
        let path = scratch.path + "/v8.sqlite"
        let queue = try DatabaseQueue(path: path)
        try SQLiteProjectionStore.migrator.migrate(
            queue, upTo: "v8: the hash of the last projected line (a log that lost events is noticed)")
        try queue.write { db in
            for row in rows {
                try db.execute(
                    sql: "INSERT INTO excluded (node, standing) VALUES (?, ?)", arguments: [row.node, row.standing])
            }
        }
        return path
    }

    @Test("a store from before typed standings is migrated, and counts come from the codes")
    func aStoreFromBeforeIsMigrated() throws {
        let scratch = Scratch()
        let path = try Self.v8Store(
            in: scratch,
            excluding: [
                (1, "shared(partners: 12)"), (2, "shared(partners: 40)"), (3, "blocklisted"),
                (4, "never_link: store_phone"), (5, "contested: different names on its events"),
                (6, "kindDoesNotLink"), (7, "contested: seen with 5 email values (limit 3)"),
                (8, "contested: seen with member_id values of different names"),
            ])
        let store = try SQLiteProjectionStore(path: path)
        let kinds = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT node, kind FROM excluded ORDER BY node").map { $0[1] as Int }
        }
        #expect(kinds == [3, 3, 2, 4, 5, 1, 5, 5])
        let columns = try store.pool.read { db in try db.columns(in: "excluded").map(\.name) }
        #expect(!columns.contains("standing"), "the text column is still there: \(columns)")
        let standings = try store.reading { try $0.standings(of: Array(1...8)) }
        #expect(
            standings == [
                1: .shared(partners: 12), 2: .shared(partners: 40), 3: .blocklisted,
                4: .neverLinks(rule: "store_phone"),
                5: .contested(.differentNames), 6: .kindDoesNotLink,
                7: .contested(.overLimit(.email, count: 5, limit: 3)),
                8: .contested(.partnersWithDifferentNames(.memberID)),
            ])
        let stats = try store.identityStats()
        #expect(stats.sharedValues == 2 && stats.blocklistedValues == 1)
        #expect(stats.neverLinkValues == 1 && stats.contestedValues == 3)
    }

    @Test("a standing no version wrote stops the migration and says to rebuild")
    func unknownStandingStopsTheMigration() throws {
        let scratch = Scratch()
        let path = try Self.v8Store(in: scratch, excluding: [(9, "sharedish")])
        #expect {
            _ = try SQLiteProjectionStore(path: path)
        } throws: { error in
            "\(error)".contains("value 9 has a standing no version of Kith wrote (sharedish)")
                && (error as? ProjectionError)?.code == .needsRebuild
        }
    }

    /// A store at schema v10 (before typed changes) whose `profile_change` holds `changes`, SQL
    /// value tuples of (position, kind, profile, others).
    static func v10Store(in scratch: Scratch, changes: String) throws -> String {
        let path = scratch.path + "/v10.sqlite"
        let queue = try DatabaseQueue(path: path)
        try SQLiteProjectionStore.migrator.migrate(
            queue, upTo: "v10: an excluded value's standing kept whole in typed columns, its text dropped")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO profile_change (position, kind, profile, others) VALUES " + changes)
        }
        try queue.close()
        return path
    }

    @Test("merges and splits written as text are migrated to their codes and read back")
    func changesWrittenAsTextAreMigrated() throws {
        let scratch = Scratch()
        let path = try Self.v10Store(
            in: scratch,
            changes: "(4, 'merged', 'p1', 'p2,p3'), (9, 'split', 'p1', 'p4,p5'), (12, 'merged', 'p6', 'p7')")
        let store = try SQLiteProjectionStore(path: path)
        let codes = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, typeof(kind) FROM profile_change ORDER BY seq").map {
                "\($0[0] as Int):\($0[1] as String)"
            }
        }
        #expect(codes == ["1:integer", "2:integer", "1:integer"])
        let changes = try store.reading { try $0.changes(of: "p1") }
        #expect(changes.map(\.kind) == [.merged, .split] && changes.map(\.others) == [["p2", "p3"], ["p4", "p5"]])
        let stats = try store.identityStats()
        #expect(stats.merges == 2 && stats.splits == 1)
    }

    @Test("a change of a kind no version wrote stops the migration and says to rebuild")
    func unknownChangeStopsTheMigration() throws {
        let scratch = Scratch()
        let path = try Self.v10Store(in: scratch, changes: "(1, 'grew', 'p', '')")
        #expect {
            _ = try SQLiteProjectionStore(path: path)
        } throws: { error in
            "\(error)".contains("kind \"grew\"") && (error as? ProjectionError)?.code == .needsRebuild
        }
    }
}
