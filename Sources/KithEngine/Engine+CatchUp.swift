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
    public func catchUp(under rules: Rules, _ options: CatchUp = CatchUp()) throws -> Projector.Summary {
        let path = options.storePath ?? directory.projections
        var asOf = options.asOf
        if options.rebuild {
            // The rebuilt view keeps a pinned `as_of`.
            if asOf == nil, let previous = try? SQLiteProjectionStore(path: path).rfmView() {
                asOf = .carried(previous.asOf, pinned: previous.pinned)
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store: SQLiteProjectionStore
        let projector: Projector
        do {
            store = try SQLiteProjectionStore(path: path)
            projector = try Projector(store: store, rules: rules, profileIDs: try profileIDs())
        } catch {
            throw EngineError(wrapping: error)
        }
        if let available = MemoryBudget.available() {
            projector.onePassLimit = Projector.onePassLimit(availableMemory: available)
        }
        projector.afterCommit = { KillPoint.commit.reached() }
        let summary: Projector.Summary
        do {
            summary = try projector.catchUp(
                with: try logReader(writingColumns: options.writesColumns), batchSize: options.batchSize
            ) {
                options.progress?($0)
            }
        } catch {
            throw EngineError(wrapping: error)
        }
        try refreshRFM(store, under: rules, asOf: asOf)
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
