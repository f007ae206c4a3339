import Foundation
import KithCore
import KithDirectory
import KithLog
import KithPostgres
import KithProjections

/// Catch-up and replay when the log and projections live in PostgreSQL (`--store`): the same
/// use cases as for the embedded store, with generations in place of files.
extension Engine {
    /// `catchUp` into PostgreSQL. A rebuild, or a first projection that fits one pass, loads
    /// the next generation in bulk while readers keep the one in force, and puts it in force
    /// whole once its RFM view is refreshed; a kill leaves the old generation in force and the
    /// next load starts over. Another server that projected meanwhile makes a batch's commit
    /// fail, and the catch-up goes on from where that one stopped (three tries).
    func catchUp(
        inPostgres location: PostgresLocation, under rules: Rules, _ options: CatchUp,
        into shadow: PostgresProjectionStore? = nil
    ) throws -> Projector.Summary {
        for attempt in 1... {
            do {
                return try catchUpOnce(inPostgres: location, under: rules, options, into: shadow)
            } catch let error as ProjectionError where error.code == .overtaken {
                if attempt == 3 || shadow != nil { throw EngineError(wrapping: error) }
            }
        }
        preconditionFailure("unreachable")
    }

    private func catchUpOnce(
        inPostgres location: PostgresLocation, under rules: Rules, _ options: CatchUp,
        into shadow: PostgresProjectionStore?
    ) throws -> Projector.Summary {
        var asOf = options.asOf
        // One projector at a time on a store, whichever server it runs in (a replay's shadow
        // is its own, not in force: it needs no turn).
        let turn: PostgresProjectorLock?
        do { turn = shadow == nil ? try PostgresProjectorLock(location) : nil } catch {
            throw EngineError(wrapping: error)
        }
        defer { turn?.release() }
        let log = try logReader()
        let onePassLimit = MemoryBudget.available().map(Projector.onePassLimit(availableMemory:))
        let fitsOnePass = log.endPosition > 0 && log.endPosition <= UInt64(onePassLimit ?? Projector.largestOnePass)
        let store: PostgresProjectionStore
        let projector: Projector
        do {
            if let shadow {
                store = shadow
            } else {
                let live = try PostgresProjectionStore(location)
                if options.rebuild, asOf == nil, let previous = try? live.rfmView() {
                    asOf = .carried(previous.asOf, pinned: previous.pinned)
                }
                let empty = try live.openingState().checkpoint == 0
                let inBulk = options.rebuild || (empty && options.batchSize == nil && fitsOnePass)
                if inBulk {
                    // Waits for a load another process is making, then looks again: a first
                    // projection another server has just made is caught up, not loaded again.
                    let load = try PostgresProjectionStore(bulkLoading: location)
                    if try options.rebuild || live.openingState().checkpoint == 0 {
                        store = load
                    } else {
                        load.discardBulkLoad()
                        store = live
                    }
                } else {
                    store = live
                }
            }
            projector = try Projector(store: store, rules: rules, profileIDs: try profileIDs())
        } catch let error as ProjectionError where error.code == .overtaken {
            throw error
        } catch {
            throw EngineError(wrapping: error)
        }
        let ownsLoad = shadow == nil && store.loadsInBulk
        var putInForce = false
        defer { if ownsLoad && !putInForce { store.discardBulkLoad() } }
        if let onePassLimit { projector.onePassLimit = onePassLimit }
        if !store.loadsInBulk { projector.afterCommit = { KillPoint.commit.reached() } }
        let summary: Projector.Summary
        do {
            summary = try projector.catchUp(with: log, batchSize: options.batchSize) { options.progress?($0) }
        } catch let error as ProjectionError where error.code == .overtaken {
            throw error
        } catch {
            throw EngineError(wrapping: error)
        }
        try refreshRFM(store, under: rules, asOf: asOf)
        if ownsLoad {
            do { try store.finishBulkLoad() } catch { throw EngineError(wrapping: error) }
            putInForce = true
            KillPoint.commit.reached()
        }
        return summary
    }

    /// `replay` into PostgreSQL: the shadow is the next generation, loaded while the one in
    /// force keeps answering, compared with it through the port, then put in force in one
    /// statement (or, on a dry run, dropped). A killed replay leaves the generation in force
    /// untouched; the next load drops what it left and starts over.
    func replay(inPostgres location: PostgresLocation, under rules: Rules, _ options: Replay) throws -> ReplayReport {
        let live = try openStore()
        let liveView: RFMView?
        let shadow: PostgresProjectionStore
        do {
            liveView = try live.rfmView()
            shadow = try PostgresProjectionStore(bulkLoading: location)
        } catch {
            throw EngineError(wrapping: error)
        }
        var inForce = false
        defer { if !inForce { shadow.discardBulkLoad() } }
        let summary = try catchUp(
            inPostgres: location, under: rules,
            CatchUp(
                batchSize: options.batchSize,
                asOf: options.asOf ?? liveView.map { .carried($0.asOf, pinned: $0.pinned) } ?? .now,
                progress: options.progress),
            into: shadow)
        let comparing = ContinuousClock.now
        let impact: ReplayImpact
        do { impact = try ReplayImpact(live: live, shadow: shadow) } catch { throw EngineError(wrapping: error) }
        var report = ReplayReport(
            applied: !options.dryRun, shadow: "\(location) generation \(shadow.generation)", projection: summary,
            impact: impact, impactSeconds: (ContinuousClock.now - comparing).inSeconds,
            rulesHash: Projector.hash(fullRules: rules))
        guard !options.dryRun else { return report }
        do { try shadow.finishBulkLoad() } catch { throw EngineError(wrapping: error) }
        inForce = true
        report.adoptedRules = try adoptRulesFile(options.rulesFile)
        return report
    }
}

extension Engine {
    /// Why the PostgreSQL store cannot serve, in a few words for `/healthz` (no host, role or
    /// password: the route is open to anyone), or nil when `error` is not the server's
    /// refusal or absence.
    public static func storeOutage(in error: any Error) -> String? {
        var cause: any Error = error
        if let wrapped = error as? EngineError, let inner = wrapped.cause { cause = inner }
        guard let store = cause as? PostgresStoreError else { return nil }
        switch store.kind {
        case .unreachable: return "PostgreSQL cannot be reached"
        case .refusedLogin: return "PostgreSQL refused the login"
        case .missingPrivilege: return "the PostgreSQL role lacks a privilege the store needs"
        case .wrongFormat: return "the PostgreSQL store is of another format"
        case .badLocation: return "the PostgreSQL URL is not valid"
        case .badRecord, .server: return nil
        }
    }
}

extension Engine {
    /// Records `url` as this data directory's store (nil: the embedded store again), after
    /// checking that it serves: its log and projection tables are made if absent, so a role
    /// without the privileges is found now, not at the first ingest. The file is readable by
    /// the owner alone: the URL may hold a password.
    public static func recordStore(_ url: String?, in directory: DataDirectory) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
            guard let url else {
                if FileManager.default.fileExists(atPath: directory.storeSetting) {
                    try FileManager.default.removeItem(atPath: directory.storeSetting)
                    try directory.syncDirectory()
                }
                return
            }
            let location = try PostgresLocation(url: url)
            try PostgresEventLog(location).close()
            try PostgresProjectionStore(location).close()
            try directory.durablyReplace(directory.storeSetting, with: Data((url + "\n").utf8), mode: 0o600)
        } catch {
            throw EngineError(wrapping: error)
        }
    }
}
