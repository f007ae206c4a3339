import Foundation
import KithCore
import KithIngest
import KithLog
import KithProjections

/// `POST /v1/events`: the body goes through the same pipeline as `kith ingest` (validation,
/// idempotency, quarantine, durable append), then profiles catch up, as after a batch ingest.
/// One request at a time per process; another process holding the log gets a 409 naming it.
struct EventIntake: Sendable {
    let state: ServerState
    let queue = AsyncLock()

    struct Report: Encodable {
        var ingest: IngestSummary
        var projection: Projector.Summary?
        var projectionError: String?

        enum CodingKeys: String, CodingKey {
            case ingest, projection
            case projectionError = "projection_error"
        }
    }

    func ingest(_ body: [UInt8], source: String?) async throws -> Report {
        await queue.acquire()
        do {
            let report = try await ingestAlone(body, source: source)
            await queue.release()
            return report
        } catch {
            await queue.release()
            throw error
        }
    }

    private func ingestAlone(_ body: [UInt8], source: String?) async throws -> Report {
        let directory = state.directory
        var options = EventLogWriter.Options()
        options.purpose = "kith serve (POST /v1/events)"
        let log: EventLogWriter
        do {
            try FileManager.default.createDirectory(atPath: directory.log, withIntermediateDirectories: true)
            log = try EventLogWriter(directory: directory.log, options: options)
        } catch let error as LogError {
            throw Problem(.conflict, "log_busy", "The event log is not available for writing: \(error). Retry when it is free.")
        }
        // Bodies are staged only while the log is held, so anything found here now was left by
        // a process that died mid-request: its events are in the log or were never acknowledged.
        // (That includes a half-written body under whatever name the write was using.)
        let incoming = directory.path + "/incoming"
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        for leftover in (try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? [] {
            try? FileManager.default.removeItem(atPath: incoming + "/" + leftover)
        }
        let file = incoming + "/http-\(Int64(Date().timeIntervalSince1970 * 1000))-\(UInt32.random(in: 0...UInt32.max)).ndjson"
        do {
            // Written in place, not atomically: an atomic write goes through a temporary name.
            try Data(body).write(to: URL(fileURLWithPath: file))
        } catch {
            throw Problem(.internalServerError, "io", "Cannot stage the request body in \(incoming): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        let quarantine = try QuarantineStore(directory: directory.quarantine)
        var ingestOptions = Ingestor.Options(source: source)
        ingestOptions.declaredKinds = state.rules.declaredKinds
        var summary = await Ingestor(log: log, quarantine: quarantine, options: ingestOptions).ingest(files: [file])
        try log.close()
        for i in summary.files.indices { summary.files[i].path = "request body" }
        if let error = summary.files.first?.error {
            throw Problem(.badRequest, "unreadable_body", "The body could not be read to the end: \(error)")
        }
        // Profiles follow the log; the writer lock is still held, so no one else projects.
        return withExtendedLifetime(log) {
            do {
                return Report(ingest: summary, projection: try project())
            } catch {
                return Report(ingest: summary, projection: nil, projectionError: "\(error)")
            }
        }
    }

    private func project() throws -> Projector.Summary {
        let store = try SQLiteProjectionStore(path: state.directory.projections)
        let projector = try Projector(store: store, rules: state.rules)
        let summary = try projector.catchUp(with: try EventLogReader(directory: state.directory.log))
        let now = Date()
        let instant = try store.refreshInstant(now: now)
        try store.refreshRFM(rules: state.rules, asOf: instant.asOf, pinned: instant.pinned, now: now)
        return summary
    }
}

/// A first-come, first-served lock for async work (an actor alone would let calls interleave
/// at every suspension).
actor AsyncLock {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
