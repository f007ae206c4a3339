import Foundation
import GRDB
import KithCore
import Testing

@testable import KithProjections

/// An excluded value's standing is stored as a typed code (`excluded.kind`), queried by that code
/// rather than by matching its text, and stores from before it are migrated.
struct StandingKindTests {
    static let standings: [IdentityResolver.Standing] = [
        .links, .kindDoesNotLink, .blocklisted, .shared(partners: 12), .shared(partners: 1_000),
        .neverLinks(rule: "store_phone"), .neverLinks(rule: "门店电话"),
        .contested(.differentNames), .contested(.partnersWithDifferentNames(.memberID)),
        .contested(.overLimit(.email, count: 7, limit: 3)),
    ]

    @Test("every standing's stored text gives back its kind", arguments: standings)
    func storedTextGivesBackItsKind(_ standing: IdentityResolver.Standing) {
        #expect(IdentityResolver.Standing.Kind(code: standing.code) == standing.kind)
    }

    @Test("stored codes are stable: a renumbered kind would misread every store")
    func storedCodesAreStable() {
        let codes = IdentityResolver.Standing.Kind.allCases.map { "\($0)=\($0.rawValue)" }
        #expect(
            codes == [
                "links=0", "kindDoesNotLink=1", "blocklisted=2", "shared=3", "neverLinks=4", "contested=5",
            ])
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
                (6, "kindDoesNotLink"),
            ])
        let store = try SQLiteProjectionStore(path: path)
        let kinds = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT node, kind FROM excluded ORDER BY node").map { $0[1] as Int }
        }
        #expect(kinds == [3, 3, 2, 4, 5, 1])
        let stats = try store.identityStats()
        #expect(stats.sharedValues == 2 && stats.blocklistedValues == 1)
        #expect(stats.neverLinkValues == 1 && stats.contestedValues == 1)
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
}
