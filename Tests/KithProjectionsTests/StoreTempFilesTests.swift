import Foundation
import GRDB
import KithCore
import KithTestSupport
import Testing

@testable import KithProjections

/// SQLite's temporary files (statement journals, temporary tables) would go to the system's
/// temporary directory, outside the data directory, with pages of people's values in them.
struct StoreTempFilesTests {
    @Test("A store's statement journals and temporary tables stay in memory, on writers and readers alike")
    func temporaryDataStaysInMemory() throws {
        let scratch = Scratch()
        let store = try SQLiteProjectionStore(path: scratch.path + "/store.sqlite")
        let memory = 2  // PRAGMA temp_store: 0 default, 1 file, 2 memory
        let writer = try store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        let reader = try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        #expect(writer == memory)
        #expect(reader == memory)
    }
}
