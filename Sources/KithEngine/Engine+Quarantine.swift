import KithCore
import KithIngest
import KithProjections

/// The lines that could not land: listing them for review, and trying them again once a rule,
/// a mapping or the line itself is fixed.
extension Engine {
    /// The quarantined records, oldest first, of one reason `kind` and one input `file` if
    /// given.
    public func quarantined(kind: String? = nil, file: String? = nil) throws -> [QuarantineRecord] {
        let records = try Self.wrapping { try QuarantineStore(directory: directory.quarantine).records() }
        return records.filter { r in (kind == nil || r.kind.rawValue == kind) && (file == nil || r.file == file) }
    }

    /// What a retry did: the records tried, and the catch-up after those that landed (nil when
    /// none did).
    public struct RetryOutcome {
        public var retried: QuarantineRetry.Outcome
        /// A failed catch-up does not undo the append, as after an ingest.
        public var projection: Result<Projector.Summary, EngineError>?
    }

    /// Parses every quarantined record again under `rules` (CSV ones with `mapping`, when
    /// given, instead of the mapping they were read with). Those that now land are appended,
    /// idempotently, and leave the quarantine; then profiles catch up, as after an ingest, all
    /// under the log's writer lock.
    public func retryQuarantine(under rules: Rules, mapping: String? = nil) throws -> RetryOutcome {
        let log = try openLog(purpose: "kith quarantine retry")
        var retry = QuarantineRetry(mappingOverride: mapping)
        retry.declaredKinds = rules.declaredKinds
        let outcome = try Self.wrapping {
            let outcome = try retry.run(store: try QuarantineStore(directory: directory.quarantine), log: log)
            try log.close()
            return outcome
        }
        guard outcome.landed > 0 else { return RetryOutcome(retried: outcome, projection: nil) }
        let projection = withExtendedLifetime(log) {
            Result { () throws(EngineError) in
                do { return try catchUp(under: rules) } catch { throw EngineError(wrapping: error) }
            }
        }
        return RetryOutcome(retried: outcome, projection: projection)
    }
}
