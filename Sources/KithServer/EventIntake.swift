import CMalloc
import Foundation
import KithCore
import KithDirectory
import KithEngine
import KithLog
import KithProjections

/// `POST /v1/events`: the body goes through the same pipeline as `kith ingest` (validation,
/// idempotency, quarantine, durable append), then profiles catch up, as after a batch ingest.
/// One request at a time per process; another process holding the log gets a 409.
///
/// A write key learns nothing about customers from its reply: counts only, never whether a
/// profile was new. It writes only the sources it is bound to; lines naming another source are
/// quarantined. The body is read where it lies in memory, never staged on disk.
struct EventIntake: Sendable {
    let state: ServerState
    let queue = AsyncLock()

    /// Counts of what the body's lines became.
    struct Report: Encodable {
        var records: Int
        var accepted: Int
        var duplicates: Int
        var quarantined: Int
    }

    func ingest(_ body: [UInt8], source: String?, key: APIKey) async throws -> Report {
        let allowed = try sources(of: key, requested: source)
        await queue.acquire()
        do {
            let report = try await ingestAlone(
                body, source: source ?? (allowed?.count == 1 ? allowed?.first : nil), allowed: allowed)
            await queue.release()
            return report
        } catch {
            await queue.release()
            throw error
        }
    }

    /// The sources the key may write (nil: any, for `admin`).
    private func sources(of key: APIKey, requested: String?) throws -> Set<String>? {
        do { return try state.engine.access.sources(writableBy: key, requested: requested) } catch {
            guard let bound = key.sources, !bound.isEmpty else {
                throw Problem(
                    .forbidden, "key_unbound",
                    "The key \"\(key.name)\" is bound to no source; create write keys with kith keys create --sources pos,app."
                )
            }
            throw Problem(.forbidden, "source_not_allowed", "Refused: \(error).")
        }
    }

    private func ingestAlone(_ body: [UInt8], source: String?, allowed: Set<String>?) async throws -> Report {
        var options = Engine.Ingest(rules: state.rules, source: source)
        options.allowedSources = allowed
        options.quarantineByBytes = true
        options.purpose = "kith serve (POST /v1/events)"
        let outcome: Engine.IngestOutcome
        do {
            outcome = try await state.engine.ingest([.bytes(body, named: "request body")], options)
        } catch let error as EngineError where error.code == .busy {
            throw Problem(
                .conflict, "log_busy", "Another writer holds the event log; retry when it is free.",
                headers: [.retryAfter: "1"], operatorDetail: "\(error)")
        } catch let error as EngineError where error.code == .quarantineFull {
            throw Problem(
                .init(code: 507, reasonPhrase: "Insufficient Storage"), "quarantine_full",
                "The quarantine is full, so bad lines could not be kept: nothing was ingested. An operator must review it.",
                operatorDetail: "\(error)")
        } catch {
            throw Problem(
                .serviceUnavailable, "log_unavailable", "The event log cannot be written; the operator's log says why.",
                operatorDetail: "\(error)")
        }
        let summary = outcome.summary
        if let error = summary.files.first?.error {
            throw Problem(
                .badRequest, "unreadable_body", "The body could not be read to the end (is it NDJSON in UTF-8?).",
                operatorDetail: error)
        }
        if case .failure(let error) = outcome.projection {
            FileHandle.standardError.write(Data("kith serve: projection after POST /v1/events failed: \(error)\n".utf8))
        }
        // A large body's pages go back to the system, not to a heap that keeps them; the request's
        // own buffers are freed after the reply, so trim again once it has gone.
        if body.count >= 1 << 20 {
            malloc_trim(0)
            Task.detached {
                try? await Task.sleep(for: .milliseconds(100))
                malloc_trim(0)
            }
        }
        return Report(
            records: summary.files.first?.records ?? 0, accepted: summary.accepted, duplicates: summary.duplicates,
            quarantined: summary.quarantined)
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
