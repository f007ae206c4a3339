import Foundation
import KithCore
import KithDirectory
import KithEngine
import KithLog
import KithProjections
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// What the server shares between requests: the store in force (reopened when a replay swaps
/// generations), the engine with its keys and audit log, and the metrics.
final class ServerState: @unchecked Sendable {
    let directory: DataDirectory
    let rules: Rules
    /// The use cases the routes call (the CLI calls the same).
    let engine: Engine
    /// The key of the hashes that stand in for event ids, derived once.
    private let eventIDKey: [UInt8]
    let metrics = ServerMetrics()
    private let lock = NSLock()
    private var store: (any ProfileQueries)?
    /// The file `store` was opened from.
    private var storePath: String?
    /// The `projections.current` pointer as it was when `store` was opened: a replay replaces it
    /// by rename, which changes the stamp, so the pointer is read again only then.
    private var pointerStamp: FileStamp?

    let limiter: RateLimiter
    let lookups: LookupWatch
    let limits: AccessLimits

    init(directory: DataDirectory, rules: Rules, limits: AccessLimits = AccessLimits()) throws {
        self.directory = directory
        self.rules = rules
        self.limits = limits
        limiter = RateLimiter(limits)
        lookups = LookupWatch(limits)
        engine = try Engine(directory: directory)
        eventIDKey = try engine.installationSecret().key(for: "event ids")
        // A store from before ids were keyed is renamed now, not at the first ingest (best
        // effort: a store that cannot be written yet is renamed when it is next projected).
        if engine.postgres != nil || FileManager.default.fileExists(atPath: directory.projections) {
            _ = try? engine.openStore()
        }
        let engine = engine
        readPool =
            engine.postgres == nil ? nil : StoreReadPool(size: Self.readConnections) { try engine.storeForReading() }
        waitingThreads = engine.postgres == nil ? nil : NIOThreadPool(numberOfThreads: Self.readConnections)
        waitingThreads?.start()
        // Seals an old log and starts the head early; a log found cut is refused per request
        // (personal data withheld) rather than keeping the server down.
        engine.access.prepareAudit()
    }

    /// How this request's answers show personal data.
    func disclosure(for context: KithRequestContext) -> Disclosure {
        Disclosure(
            clearUpTo: context.clearUpTo, classes: rules.dataClasses, eventIDKey: eventIDKey)
    }

    /// Read handles of a store on a database server (nil for the embedded store).
    private let readPool: StoreReadPool?
    /// Threads for reads that wait on a database server (by profile id, timelines,
    /// explanations): on Swift's cooperative threads (one per core) a server would serve as
    /// many of them at once as it has cores. Lookups by identifier await their one statement
    /// instead (`ProfileQueries.lookUpConcurrently`).
    private let waitingThreads: NIOThreadPool?

    /// Runs a store read: on `waitingThreads` when the store is on a database server, else here
    /// (SQLite's reads are the CPU's work, not waits).
    func reading<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard let waitingThreads else { return try body() }
        return try await waitingThreads.runIfActive(body)
    }

    /// The projection store in force, read-only. A PostgreSQL store's reads follow the
    /// generation in force by themselves; a SQLite store is reopened when a replay swaps files.
    func currentStore() throws -> any ProfileQueries {
        if let readPool { return readPool }
        let stamp = FileStamp(directory.projectionsPointer)
        lock.lock()
        defer { lock.unlock() }
        if let store, stamp == pointerStamp { return store }
        let path = directory.projections
        if let store, storePath == path {
            pointerStamp = stamp
            return store
        }
        do {
            let opened = try Engine.storeForReading(at: path)
            store = opened
            storePath = path
            pointerStamp = stamp
            return opened
        } catch {
            throw Problem(
                .serviceUnavailable, "store_unavailable",
                "The projection store cannot be opened; the operator's log says why.",
                operatorDetail: "\(error)")
        }
    }

    /// Connections (and threads) a server reads a PostgreSQL store through.
    static let readConnections = 8

    /// What `/healthz` answers: whether a store is there to serve and which kind it is; when a
    /// database server cannot serve, why (in a few words: the route is open to anyone, so no
    /// host, role or password).
    struct Health: Encodable {
        var status: String
        /// `ready`, `missing` (nothing projected yet) or `unavailable`.
        var store: String
        /// `embedded` or `postgresql`.
        var backend: String
        var reason: String?
    }

    func health() -> Health {
        let backend = engine.postgres == nil ? "embedded" : "postgresql"
        do {
            _ = try currentStore().reading { try $0.checkpoint() }
            return Health(status: "ok", store: "ready", backend: backend)
        } catch let problem as Problem where problem.code == "store_unavailable" && readPool != nil {
            return Health(status: "unavailable", store: "unavailable", backend: backend, reason: problem.detail)
        } catch {
            return Health(status: "ok", store: "missing", backend: backend)
        }
    }

    /// Records an answer that shows personal data in clear before it is sent; an answer that
    /// shows none needs no record.
    func account(for key: APIKey, route: String, profile: String, disclosure: Disclosure) throws {
        guard disclosure.showsPersonalData else { return }
        try record(key: key, route: route, profile: profile)
    }

    /// Counts an identifier lookup by a key that sees masked data: guessing the hidden digits of
    /// a masked phone is a run of such lookups. Past the alarm level the key is logged (by id and
    /// name, never what it looked up) and audited.
    func countMaskedLookup(by key: APIKey) throws {
        guard let count = lookups.count(for: key.id) else { return }
        let minutes = Int(limits.alarmWindow / 60)
        FileHandle.standardError.write(
            Data(
                ("kith serve: alarm: key \(key.id) \"\(key.name)\" made \(count) identifier lookups of masked data "
                    + "within \(minutes) min (possible enumeration); recorded in the audit log\n").utf8))
        try? record(key: key, route: "ALARM masked identifier lookups: \(count) in \(minutes) min", profile: nil)
    }

    private func record(key: APIKey, route: String, profile: String?) throws {
        do { try engine.access.recordDisclosure(by: key, route: route, profile: profile) } catch {
            // Nothing personal leaves without its record.
            throw Problem(
                .serviceUnavailable, "audit_unavailable",
                "Personal data is withheld: the audit log cannot record this read. An operator can run kith audit verify.",
                operatorDetail: "\(error)")
        }
    }

    /// How far ingest and projection have got (a store that cannot be opened counts as none).
    func status() throws -> Engine.Status {
        do { return try engine.status(of: try? currentStore()) } catch {
            throw Problem(
                .serviceUnavailable, "log_unreadable",
                "The event log cannot be read; an operator can run kith log verify.",
                operatorDetail: "\(error)")
        }
    }

    /// A reader of the log as it is now (a reader sees the batches present when it opened, and
    /// keeps buffers of its own, so each request opens one).
    func logReader() throws -> any EventLogReading {
        do { return try engine.logReader() } catch {
            throw Problem(
                .serviceUnavailable, "log_unavailable", "The event log cannot be read; the operator's log says why.",
                operatorDetail: "\(error)")
        }
    }

    /// The active key whose digest matches `secret`.
    func key(for secret: String) throws -> APIKey? {
        do { return try engine.access.key(presenting: secret) } catch {
            throw Problem(
                .serviceUnavailable, "keys_unreadable",
                "The server cannot read its API keys; the operator's log says why.",
                operatorDetail: "\(error)")
        }
    }
}
