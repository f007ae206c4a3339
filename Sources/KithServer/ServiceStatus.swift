import Foundation
import KithCore
import KithLog
import KithProjections

/// How far ingest and projection have got (`GET /v1/status`, the dashboard, `/metrics`).
struct ServiceStatus: Codable, Sendable {
    var logEndPosition: UInt64
    var checkpoint: UInt64
    var projectionLag: UInt64
    var quarantined: Int
    var lastIngestAt: String?
    var secondsSinceLastIngest: Double?
    var storeGeneration: Int
    var profiles: Int?
    var rfmAsOf: String?

    enum CodingKeys: String, CodingKey {
        case checkpoint, quarantined, profiles
        case logEndPosition = "log_end_position"
        case projectionLag = "projection_lag"
        case lastIngestAt = "last_ingest_at"
        case secondsSinceLastIngest = "seconds_since_last_ingest"
        case storeGeneration = "store_generation"
        case rfmAsOf = "rfm_as_of"
    }

    static func read(_ state: ServerState) throws -> ServiceStatus {
        let directory = state.directory
        let log: any EventLogReading
        do { log = try state.engine.logReader() } catch {
            throw Problem(
                .serviceUnavailable, "log_unreadable",
                "The event log cannot be read; an operator can run kith log verify.",
                operatorDetail: "\(error)")
        }
        let end = log.endPosition
        let newest = log.lastAppendedAt.map {
            Date(timeIntervalSince1970: Double($0.epochSeconds) + Double($0.nanoseconds) / 1e9)
        }
        let store = try? state.currentStore()
        let checkpoint = (try? store?.checkpointPosition()) ?? 0
        let view = try? store?.rfmView()
        return ServiceStatus(
            logEndPosition: end, checkpoint: checkpoint, projectionLag: end > checkpoint ? end - checkpoint : 0,
            quarantined: countLines(directory.quarantine + "/quarantine.ndjson"),
            lastIngestAt: newest.map { ISO8601DateFormatter().string(from: $0) },
            secondsSinceLastIngest: newest.map { Date().timeIntervalSince($0) },
            storeGeneration: directory.projectionsGeneration, profiles: view?.summary.profiles,
            rfmAsOf: view.map { Timestamp(epochSeconds: $0.asOf).description })
    }

    static func countLines(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
