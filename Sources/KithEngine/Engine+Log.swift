import Foundation
import KithCore
import KithLog

/// The log's own use cases: what it holds, whether it is whole, and mending it.
extension Engine {
    /// What `kith log stats` reports: the events by source and type, and the room they take.
    public struct LogStatistics: Codable, Sendable {
        /// Where the log is kept when not in the data directory (a PostgreSQL URL, without
        /// its password).
        public var store: String?
        public var events: UInt64 = 0
        public var segments: Int?
        public var batches: Int?
        public var bytesOnDisk = 0
        public var compressedBytes = 0
        public var uncompressedBytes = 0
        public var compressionRatio = 0.0
        /// Events the next rebuild or replay reads from the `.cols` files instead of decoding.
        public var projectionReadyEvents: Int?
        /// Bytes those files take (part of `bytesOnDisk`).
        public var columnsBytes: Int?
        public var bySource: [String: Int] = [:]
        public var byType: [String: Int] = [:]

        enum CodingKeys: String, CodingKey {
            case store, events, segments, batches
            case bytesOnDisk = "bytes_on_disk"
            case compressedBytes = "compressed_bytes"
            case uncompressedBytes = "uncompressed_bytes"
            case compressionRatio = "compression_ratio"
            case projectionReadyEvents = "projection_ready_events"
            case columnsBytes = "columns_bytes"
            case bySource = "by_source"
            case byType = "by_type"
        }
    }

    /// Counts every event of the data directory's log by source and type.
    public func logStatistics() throws -> LogStatistics { try Self.logStatistics(of: logReader()) }

    /// Counts every event of `log` by source and type, in one read through the port.
    public static func logStatistics(of log: any EventLogReading) throws -> LogStatistics {
        do {
            let footprint = try log.footprint()
            var s = LogStatistics(
                events: log.endPosition, segments: footprint.segments, batches: footprint.batches,
                bytesOnDisk: footprint.storedBytes, compressedBytes: footprint.recordBytes,
                uncompressedBytes: footprint.canonicalBytes, compressionRatio: footprint.compressionRatio,
                projectionReadyEvents: footprint.projectionReadyRecords, columnsBytes: footprint.projectionReadyBytes)
            try log.forEachLine(from: 0, limit: nil) { _, line in
                if let (source, type) = CanonicalLine.sourceAndType(of: line) {
                    s.bySource[source, default: 0] += 1
                    s.byType[type, default: 0] += 1
                }
                return true
            }
            return s
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(wrapping: error)
        }
    }

    /// Reads every byte of the log: batches, checksums, positions, records, duplicates and
    /// derived files, each problem saying where.
    public func checkLog() throws -> LogCheck {
        do { return try LogCheck(directory: directory.log) } catch { throw EngineError(wrapping: error) }
    }

    /// Makes the repairs that lose nothing acknowledged (a torn tail cut, derived files
    /// rebuilt); with `salvage`, copies every intact event into a new log, setting the damaged
    /// one aside in `DIR/damaged-<time>/`. Salvage renumbers positions, so the projection
    /// store, which describes the old numbering, is set aside with it.
    public func repairLog(salvage: Bool, now: Date = Date()) throws -> LogRepair {
        let stamp = ISO8601DateFormatter().string(from: now).replacingOccurrences(of: ":", with: "")
        let aside = directory.path + "/damaged-" + stamp
        do {
            let repair = try LogRepair(directory: directory.log, salvage: salvage, setAside: aside + "/log")
            if repair.salvage != nil {
                let store = directory.projections
                let name = String(store.split(separator: "/").last ?? "projections.sqlite")
                for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: store + suffix) {
                    try FileManager.default.moveItem(atPath: store + suffix, toPath: aside + "/" + name + suffix)
                }
                try? FileManager.default.removeItem(atPath: directory.projectionsPointer)
            }
            return repair
        } catch {
            throw EngineError(wrapping: error)
        }
    }
}
