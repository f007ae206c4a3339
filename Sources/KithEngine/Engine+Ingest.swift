import KithCore
import KithIngest
import KithLog
import KithProjections

extension Engine {
    /// How an ingest runs.
    public struct Ingest {
        /// The rules in force: their declared identifier kinds are read, and profiles catch up
        /// under them.
        public var rules: Rules
        /// Bring profiles up to date after the append; false leaves them for a later catch-up.
        public var project = true
        /// Fills in (and must match) `source` on NDJSON lines; overrides a mapping's source.
        public var source: String?
        /// Mapping file for CSV inputs (else `NAME.mapping.yaml` beside a CSV file).
        public var mappingPath: String?
        /// The sources lines may name (an HTTP write key's); lines of others are quarantined.
        public var allowedSources: Set<String>?
        /// Identify quarantined lines by their bytes alone (the same bad line posted twice is
        /// kept once).
        public var quarantineByBytes = false
        /// Who holds the log's writer lock meanwhile, for anyone who finds it taken.
        public var purpose = "kith ingest"
        /// Called as the inputs are read, and as the projection advances.
        public var progress: (@Sendable (IngestProgress) -> Void)?
        public var projectionProgress: ((ProjectionProgress) -> Void)?

        public init(rules: Rules, project: Bool = true, source: String? = nil, mappingPath: String? = nil) {
            self.rules = rules
            self.project = project
            self.source = source
            self.mappingPath = mappingPath
        }
    }

    /// What an ingest did: the append, and the catch-up after it (nil when not asked for).
    public struct IngestOutcome {
        public var summary: IngestSummary
        /// A failed catch-up does not undo the append: the events are durable, and the next
        /// catch-up projects them.
        public var projection: Result<Projector.Summary, EngineError>?
    }

    /// Appends the inputs to the log (bad lines quarantined, good ones durable and
    /// idempotent), then catches profiles up, all under the log's writer lock. Throws `busy`
    /// when another process holds the lock and `quarantineFull` when bad lines could not be
    /// kept; an input that cannot be read to the end is reported in the summary.
    public func ingest(_ inputs: [IngestInput], _ options: Ingest) async throws -> IngestOutcome {
        let log = try openLog(purpose: options.purpose)
        let quarantine: QuarantineStore
        do {
            quarantine = try QuarantineStore(directory: directory.quarantine)
            try quarantine.checkRoom()
        } catch let error as IngestError where error.code == .quarantineFull {
            throw EngineError(.quarantineFull, error.message)
        } catch {
            throw EngineError(wrapping: error)
        }
        var ingestOptions = Ingestor.Options(source: options.source, mappingPath: options.mappingPath)
        ingestOptions.declaredKinds = options.rules.declaredKinds
        ingestOptions.allowedSources = options.allowedSources
        ingestOptions.quarantineByBytes = options.quarantineByBytes
        let summary = await Ingestor(log: log, quarantine: quarantine, options: ingestOptions)
            .ingest(inputs, progress: options.progress)
        do { try log.close() } catch { throw EngineError(wrapping: error) }
        guard options.project else { return IngestOutcome(summary: summary, projection: nil) }
        // Profiles follow the log; the writer lock is still held, so no one else projects.
        let projection = withExtendedLifetime(log) {
            Result { () throws(EngineError) in
                do {
                    return try catchUp(
                        under: options.rules, CatchUp(progress: options.projectionProgress, writesColumns: false))
                } catch let error as EngineError {
                    throw error
                } catch {
                    throw EngineError(wrapping: error)
                }
            }
        }
        return IngestOutcome(summary: summary, projection: projection)
    }
}
