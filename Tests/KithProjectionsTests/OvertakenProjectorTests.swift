import KithCore
import KithMemory
import KithTestSupport
import Testing

@testable import KithProjections

/// A projector is its store's only writer while it runs (the embedded store's lock file, a
/// PostgreSQL store's advisory lock see to it); when that fails, the projector refuses.
@Suite struct OvertakenProjectorTests {
    @Test("a projector that meets values another projected meanwhile is refused as overtaken, and writes nothing")
    func anOvertakenProjectorIsRefused() throws {
        let log = try ProjectionStoreContract.log(persons: 60, seed: 21)
        let store = MemoryProjectionStore()
        let first = try Projector(store: store, rules: .standard)
        first.onePassLimit = 0
        _ = try first.catchUp(with: log, batchSize: 100, maximumBatches: 1)
        // Opened at position 100; then another projects the rest, making values it never read.
        let stale = try Projector(store: store, rules: .standard)
        stale.onePassLimit = 0
        let other = try Projector(store: store, rules: .standard)
        other.onePassLimit = 0
        _ = try other.catchUp(with: log)
        let before = try ProjectionStoreContract.view(of: store)
        #expect {
            _ = try stale.catchUp(with: log)
        } throws: { error in
            (error as? ProjectionError)?.code == .overtaken
        }
        #expect(try ProjectionStoreContract.view(of: store) == before)
    }
}
