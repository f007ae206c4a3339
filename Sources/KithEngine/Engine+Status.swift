import Foundation
import KithCore
import KithPostgres
import KithProjections

extension Engine {
    /// How far ingest and projection have got: what `GET /v1/status`, the dashboard and
    /// `/metrics` report.
    public struct Status: Codable, Sendable {
        public var logEndPosition: UInt64
        public var checkpoint: UInt64
        public var projectionLag: UInt64
        public var quarantined: Int
        public var lastIngestAt: String?
        public var secondsSinceLastIngest: Double?
        public var storeGeneration: Int
        /// Which store is in force (see `Engine.storeName`).
        public var store: String
        public var profiles: Int?
        public var rfmAsOf: String?

        enum CodingKeys: String, CodingKey {
            case checkpoint, quarantined, profiles, store
            case logEndPosition = "log_end_position"
            case projectionLag = "projection_lag"
            case lastIngestAt = "last_ingest_at"
            case secondsSinceLastIngest = "seconds_since_last_ingest"
            case storeGeneration = "store_generation"
            case rfmAsOf = "rfm_as_of"
        }
    }

    /// The status of the log and of `store` (the store in force, nil when none can be opened:
    /// then nothing is projected yet). Throws when the log cannot be read.
    public func status(of store: (any ProfileQueries)?, now: Date = Date()) throws -> Status {
        let log = try logReader()
        let end = log.endPosition
        let newest = log.lastAppendedAt.map {
            Date(timeIntervalSince1970: Double($0.epochSeconds) + Double($0.nanoseconds) / 1e9)
        }
        let checkpoint = (try? store?.checkpointPosition()) ?? 0
        let view = try? store?.rfmView()
        return Status(
            logEndPosition: end, checkpoint: checkpoint, projectionLag: end > checkpoint ? end - checkpoint : 0,
            quarantined: Self.countLines(directory.quarantine + "/quarantine.ndjson"),
            lastIngestAt: newest.map { ISO8601DateFormatter().string(from: $0) },
            secondsSinceLastIngest: newest.map { now.timeIntervalSince($0) },
            storeGeneration: try storeGeneration(besides: log), store: storeName, profiles: view?.summary.profiles,
            rfmAsOf: view.map { Timestamp(epochSeconds: $0.asOf).description })
    }

    /// The generation in force: the file a replay last swapped in, or PostgreSQL's head (read
    /// through the log's connection).
    private func storeGeneration(besides log: any EventLogReading) throws -> Int {
        guard let log = log as? PostgresEventLog else { return directory.projectionsGeneration }
        do { return Int(try PostgresProjectionStore.generationInForce(besides: log) ?? 0) } catch {
            throw EngineError(wrapping: error)
        }
    }

    static func countLines(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
