import Foundation
import KithCore
import KithLog
import KithProjections

extension Engine {
    /// How a catch-up runs.
    public struct CatchUp {
        /// Throw the store away and rebuild it from the whole log (a pinned `as_of` is kept).
        public var rebuild = false
        /// Events per committed batch; nil lets the projector choose.
        public var batchSize: Int?
        /// Another store file to project into (a replay's shadow); nil for the store in force.
        public var storePath: String?
        /// The instant the RFM view measures to; nil keeps the store's pinned one, else now.
        public var asOf: RFMInstant?
        /// Called as the projection advances (a surface shows it; the engine prints nothing).
        public var progress: ((ProjectionProgress) -> Void)?
        /// Whether reading a segment whole leaves its `.cols` file for the next rebuild or
        /// replay. Making them costs a first projection about a sixth more; an ingest's own
        /// projection, which has just written the log, leaves it to a later rebuild or replay.
        public var writesColumns = true

        public init(
            rebuild: Bool = false, batchSize: Int? = nil, storePath: String? = nil, asOf: RFMInstant? = nil,
            progress: ((ProjectionProgress) -> Void)? = nil, writesColumns: Bool = true
        ) {
            self.rebuild = rebuild
            self.batchSize = batchSize
            self.storePath = storePath
            self.asOf = asOf
            self.progress = progress
            self.writesColumns = writesColumns
        }
    }

    /// Brings the projections up to the end of the log, then refreshes the RFM view. The
    /// caller holds the log's writer lock, so no one else projects meanwhile.
    ///
    /// A store that does not exist yet (a first ingest, `--rebuild`, a replay's new shadow) and
    /// a log that fits one pass are loaded in bulk beside it and renamed into place whole (see
    /// `SQLiteProjectionStore.init(bulkLoadingAt:)`): a kill leaves no store, and the next run
    /// starts over, as a killed one-pass rebuild always has.
    public func catchUp(under rules: Rules, _ options: CatchUp = CatchUp()) throws -> Projector.Summary {
        if let postgres { return try catchUp(inPostgres: postgres, under: rules, options) }
        let path = options.storePath ?? directory.projections
        var asOf = options.asOf
        if options.rebuild {
            // The rebuilt view keeps a pinned `as_of`.
            if asOf == nil, let previous = try? SQLiteProjectionStore(path: path).rfmView() {
                asOf = .carried(previous.asOf, pinned: previous.pinned)
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        SQLiteProjectionStore.removeUnfinishedBulkLoad(beside: path)
        let log = try logReader(writingColumns: options.writesColumns)
        let onePassLimit = MemoryBudget.available().map(Projector.onePassLimit(availableMemory:))
        let fitsOnePass = log.endPosition > 0 && log.endPosition <= UInt64(onePassLimit ?? Projector.largestOnePass)
        let loadsInBulk = options.batchSize == nil && fitsOnePass && !FileManager.default.fileExists(atPath: path)
        let store: SQLiteProjectionStore
        let projector: Projector
        do {
            store =
                loadsInBulk
                ? try SQLiteProjectionStore(bulkLoadingAt: SQLiteProjectionStore.bulkLoadPath(for: path))
                : try SQLiteProjectionStore(path: path)
            projector = try Projector(store: store, rules: rules, profileIDs: try profileIDs())
        } catch {
            if loadsInBulk { SQLiteProjectionStore.removeUnfinishedBulkLoad(beside: path) }
            throw EngineError(wrapping: error)
        }
        // A load that fails is deleted at once: it holds personal data and will never be used.
        var putInForce = false
        defer { if loadsInBulk && !putInForce { SQLiteProjectionStore.removeUnfinishedBulkLoad(beside: path) } }
        if let onePassLimit { projector.onePassLimit = onePassLimit }
        if let available = MemoryBudget.available() {
            // As for the one-pass limit, half of what the machine has left.
            projector.overlapCeiling = min(projector.overlapCeiling, ResidentMemory.current() + available / 2)
        }
        // A bulk load is committed when it is in force, after its RFM refresh.
        if !loadsInBulk { projector.afterCommit = { KillPoint.commit.reached() } }
        let summary: Projector.Summary
        do {
            summary = try projector.catchUp(with: log, batchSize: options.batchSize) { options.progress?($0) }
        } catch {
            throw EngineError(wrapping: error)
        }
        try refreshRFM(store, under: rules, asOf: asOf)
        if loadsInBulk {
            do { try store.finishBulkLoad(movingTo: path) } catch { throw EngineError(wrapping: error) }
            putInForce = true
            KillPoint.commit.reached()
        }
        return summary
    }

    /// Refreshes the RFM view of `store`: at `asOf` if given (an instant pins it, `now`
    /// unpins), else at the pinned instant of the last refresh, else now. Refuses rules that
    /// link identities differently from those the store was built with.
    @discardableResult
    public func refreshRFM(
        _ store: some ProjectionStore & ProfileQueries, under rules: Rules, asOf: RFMInstant?
    ) throws
        -> RFMView
    {
        do {
            let now = Date()
            let instant: Int64
            let pinned: Bool
            switch asOf {
            case .instant(let t): (instant, pinned) = (t, true)
            case .now: (instant, pinned) = (Int64(now.timeIntervalSince1970), false)
            case .carried(let t, let p): (instant, pinned) = (t, p)
            case nil: (instant, pinned) = try store.refreshInstant(now: now)
            }
            if let built = try store.openingState().rulesHash, built != Projector.hash(rules) {
                throw EngineError(
                    .rulesChanged, "these rules link identities differently from the ones the store was built with")
            }
            return try RFMRefresh.run(on: store, rules: rules, asOf: instant, pinned: pinned, now: now)
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(wrapping: error)
        }
    }
}
