import Foundation
import KithCore
import KithMemory
import KithPostgres
import KithTestSupport
import Testing

@testable import KithProjections

/// Every `ProjectionStore` adapter against the one contract (`ProjectionStoreContract`): the
/// SQLite store of the embedded default and PostgreSQL (each also as a rebuild opens it, loaded
/// in bulk) and the in-memory reference.
@Suite struct ProjectionStoreContractTests {
    static let adapters: [ProjectionStoreAdapter] = [
        ProjectionStoreAdapter(name: "SQLite") { SQLitePlace() },
        ProjectionStoreAdapter(name: "SQLite, loaded in bulk") { BulkLoadedSQLitePlace() },
        ProjectionStoreAdapter(name: "PostgreSQL") { try PostgresProjectionPlace() },
        ProjectionStoreAdapter(name: "PostgreSQL, loaded in bulk") { try BulkLoadedPostgresPlace() },
        ProjectionStoreAdapter(name: "in-memory reference") { MemoryPlace() },
    ]

    @Test("batch by batch, reopened, or in one pass, the store reads back what the reference does", arguments: adapters)
    func batchesAndOnePassAgreeWithTheReference(_ adapter: ProjectionStoreAdapter) throws {
        try ProjectionStoreContract.batchesAndOnePassAgreeWithTheReference(adapter)
    }

    @Test("a rebuild is refused into a store that holds a projection", arguments: adapters)
    func aRebuildNeedsAnEmptyStore(_ adapter: ProjectionStoreAdapter) throws {
        try ProjectionStoreContract.aRebuildNeedsAnEmptyStore(adapter)
    }

    @Test("adopting profile ids renames every profile and keeps the old ids as aliases", arguments: adapters)
    func adoptingProfileIDsKeepsTheOldOnes(_ adapter: ProjectionStoreAdapter) throws {
        try ProjectionStoreContract.adoptingProfileIDsKeepsTheOldOnes(adapter)
    }
}

/// Every `ProfileQueries` adapter (the store's read side) against the one contract
/// (`ProfileQueriesContract`).
@Suite struct ProfileQueriesContractTests {
    @Test(
        "lookups, pages, explanations, reports and exports read the same as from the reference",
        arguments: ProjectionStoreContractTests.adapters)
    func everyReadAgreesWithTheReference(_ adapter: ProjectionStoreAdapter) throws {
        try ProfileQueriesContract.everyReadAgreesWithTheReference(adapter)
    }

    @Test(
        "a replay's impact report reads both stores through the port", arguments: ProjectionStoreContractTests.adapters)
    func replayImpactReadsThroughThePort(_ adapter: ProjectionStoreAdapter) throws {
        try ProfileQueriesContract.replayImpactReadsThroughThePort(adapter)
    }

    @Test(
        "a snapshot is one commit: a batch committed meanwhile is not in it",
        arguments: ProjectionStoreContractTests.adapters)
    func aSnapshotIsOneCommit(_ adapter: ProjectionStoreAdapter) throws {
        try ProfileQueriesContract.aSnapshotIsOneCommit(adapter)
    }
}

/// A SQLite file in a temporary directory, opened afresh each time.
final class SQLitePlace: ProjectionStorePlace {
    let scratch = Scratch()
    func open() throws -> any ProfileStore { try SQLiteProjectionStore(path: scratch.path + "/projections.sqlite") }
}

/// A SQLite store whose first opening is a bulk load, as the engine opens a store that does not
/// exist yet; reopening puts that load in force first (`finishBulkLoad(movingTo:)`), as the
/// engine does once the load is done, then opens the file as any later run does.
final class BulkLoadedSQLitePlace: ProjectionStorePlace {
    let scratch = Scratch()
    private var loading: SQLiteProjectionStore?
    private var path: String { scratch.path + "/projections.sqlite" }

    func open() throws -> any ProfileStore {
        if let loading {
            try loading.finishBulkLoad(movingTo: path)
            self.loading = nil
        }
        if FileManager.default.fileExists(atPath: path) { return try SQLiteProjectionStore(path: path) }
        let store = try SQLiteProjectionStore(bulkLoadingAt: SQLiteProjectionStore.bulkLoadPath(for: path))
        loading = store
        return store
    }
}

/// The in-memory reference: "reopening" hands back the same store.
final class MemoryPlace: ProjectionStorePlace {
    let store = MemoryProjectionStore()
    func open() throws -> any ProfileStore { store }
}
