import Foundation
import KithCore
import KithPostgres

/// Projections in a schema of their own (and its generations), dropped when the test is done;
/// opened afresh each time, as a restarted process would.
public final class PostgresProjectionPlace: ProjectionStorePlace {
    public let location: PostgresLocation

    public init() throws { location = try PostgresTestServer.freshLocation() }
    deinit { PostgresTestServer.drop(location) }

    public func open() throws -> any ProfileStore {
        PlaceBoundStore(try PostgresProjectionStore(location), place: self)
    }
}

/// Projections whose first opening is a bulk load into a generation not yet in force, as a
/// rebuild opens them; reopening puts that load in force first (`finishBulkLoad()`), then
/// opens the generation in force as any later run does.
public final class BulkLoadedPostgresPlace: ProjectionStorePlace {
    public let location: PostgresLocation
    private var loading: PostgresProjectionStore?
    private var loaded = false

    public init() throws { location = try PostgresTestServer.freshLocation() }
    deinit { PostgresTestServer.drop(location) }

    public func open() throws -> any ProfileStore {
        if let loading {
            try loading.finishBulkLoad()
            self.loading = nil
        }
        if loaded { return PlaceBoundStore(try PostgresProjectionStore(location), place: self) }
        let store = try PostgresProjectionStore(bulkLoading: location)
        loading = store
        loaded = true
        return PlaceBoundStore(store, place: self)
    }
}
