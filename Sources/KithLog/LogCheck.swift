import Foundation
import KithCore

/// Reads every byte of the log and says exactly what is intact and what is not: every batch's
/// header, position continuity, CRC and decompression, every line's canonical form and key,
/// duplicates across the log, and the sealed segments' `.keys` files. Unlike opening a writer
/// or a reader, it does not stop at the first damage: it skips a bad batch by its length or
/// searches for the next whole one, so the report covers the whole log.
///
/// For example:
/// ```swift
/// let check = try LogCheck(directory: "kith-data/log")
/// if !check.isClean { for p in check.problems { print(p) } }
/// ```
public struct LogCheck: Codable, Sendable {
    public struct Problem: Codable, Sendable, CustomStringConvertible {
        public enum Kind: String, Codable, Sendable {
            /// The end of the active segment holds a batch that was never completed: nothing
            /// after it is whole, so it was never acknowledged. Repair cuts it.
            case tornTail = "torn_tail"
            /// Bytes that once were acknowledged events and no longer read back. Repair keeps
            /// everything else only with `--salvage`.
            case damaged
            /// A derived `.keys` file is missing or disagrees with its segment. Repair rebuilds it.
            case keysFile = "keys_file"
            /// A derived `.cols` file is damaged, stale or disagrees with its segment's lines.
            /// Repair removes it; the next projection that reads the segment whole makes it again.
            case columnsFile = "columns_file"
            /// The derived `keys.index` is damaged or holds other keys than the segments it says
            /// it covers. Repair removes it; the next writer to open the log makes it again.
            case keyIndex = "key_index"
            /// A record whose bytes are whole but is not a canonical event, or repeats one.
            case badRecord = "bad_record"
        }

        public var kind: Kind
        public var file: String
        public var offset: Int
        /// The log positions concerned, when they are known.
        public var positions: String?
        public var events: Int
        public var detail: String

        public var description: String {
            "\(file) @\(offset): \(kind.rawValue)\(positions.map { ", positions \($0)" } ?? ""): \(detail)"
        }
    }

    public struct Segment: Codable, Sendable {
        public var file: String
        public var firstPosition: UInt64
        public var bytes: Int
        public var batches: Int
        public var events: Int
        public var sealed: Bool
        /// Offset just past the last whole batch (where a torn tail starts).
        public var validEnd: Int
    }

    public var segments: [Segment] = []
    /// Events in whole batches.
    public var intactEvents = 0
    public var problems: [Problem] = []
    /// The keys of each sealed segment whose keys file is bad, by keys file name, so repair
    /// writes them without reading the segment again.
    var keysToWrite: [String: [EventKey]] = [:]
    /// The `.cols` files repair removes, by name.
    var columnsToRemove: [String] = []
    /// Whether repair removes `keys.index`.
    var removeKeyIndex = false
    /// The active segment's saved keys repair removes, by name (see `ActiveKeysFile`).
    var activeKeysToRemove: [String] = []

    public var isClean: Bool { problems.isEmpty }
    /// Problems repair fixes without losing anything acknowledged.
    public var onlySafeRepairs: Bool {
        problems.allSatisfy { [.tornTail, .keysFile, .columnsFile, .keyIndex].contains($0.kind) }
    }

    enum CodingKeys: String, CodingKey {
        case segments, problems
        case intactEvents = "intact_events"
    }

    /// Checks the log in `directory`; `visit` receives every intact line with its position in
    /// the log as it stands (used by salvage, which renumbers).
    public init(directory: String, visit: ((UInt64, UnsafeBufferPointer<UInt8>) throws -> Void)? = nil) throws {
        let files = try LogOpening.segmentFiles(in: directory)
        var expected: UInt64 = 0
        var seen = Set<EventKey>()
        // Each sealed segment's keys as its lines give them (nil: the segment is damaged).
        var sealedKeys: [(covered: KeyIndex.Covered?, keys: [EventKey]?)] = []
        defer { checkKeyIndex(in: directory, against: sealedKeys) }
        for (index, entry) in files.enumerated() {
            let sealed = index < files.count - 1
            let name = (entry.path as NSString).lastPathComponent
            let file = try FileDescriptor(path: entry.path, flags: O_RDONLY)
            var segment = Segment(
                file: name, firstPosition: entry.firstPosition, bytes: file.size, batches: 0, events: 0, sealed: sealed,
                validEnd: SegmentName.headerSize)
            guard file.size >= SegmentName.headerSize, let first = try? SegmentScan.readSegmentHeader(file) else {
                // An active segment shorter than its header was being created and never held an event.
                let torn = !sealed && file.size < SegmentName.headerSize
                if !torn || file.size > 0 {
                    problems.append(
                        Problem(
                            kind: torn ? .tornTail : .damaged, file: name, offset: 0, positions: nil, events: 0,
                            detail: torn
                                ? "the segment header was never completed"
                                : "the segment header is missing or not Kith's"))
                }
                segments.append(segment)
                continue
            }
            if first != expected {
                problems.append(
                    Problem(
                        kind: .damaged, file: name, offset: 0,
                        positions: first > expected ? "\(expected)..<\(first)" : nil,
                        events: first > expected ? Int(first - expected) : 0,
                        detail: first > expected
                            ? "the segment starts at position \(first) but the log so far ends at \(expected): a segment is missing"
                            : "the segment starts at position \(first), inside the previous segment (which ends at \(expected))"
                    ))
                expected = max(expected, first)
            }
            var keys: [EventKey] = []
            var keysComplete = true
            // A `.cols` file is checked by making it again from the lines of the batches it covers.
            let columnsPath = ColumnsFile.path(of: entry.path)
            let columnsCover = ColumnsFile.coveredBatches(at: columnsPath)
            var columns = columnsCover.map { _ in ProjectionColumns(firstPosition: first) }
            var wholeBatches: [BatchLocation] = []
            var walker = BatchWalker(file: file)
            var offset = SegmentName.headerSize
            while offset < walker.size {
                switch try walker.read(at: offset, expecting: expected) {
                case .whole(let header, let payload):
                    var position = header.firstPosition
                    var failure: (any Error)?
                    let feedsColumns = wholeBatches.count < (columnsCover ?? 0)
                    wholeBatches.append(BatchLocation(segment: index, offset: offset, header: header))
                    SegmentScan.forEachLine(payload) { line in
                        if feedsColumns { columns?.append(line) }
                        if let key = CanonicalLine.key(of: line) {
                            keys.append(key)
                            if !seen.insert(key).inserted {
                                problems.append(
                                    Problem(
                                        kind: .badRecord, file: name, offset: offset, positions: "\(position)",
                                        events: 1,
                                        detail: "an event with the same source and event_id is already in the log"))
                            }
                        } else {
                            keys.append(EventKey(hashing: line))
                            problems.append(
                                Problem(
                                    kind: .badRecord, file: name, offset: offset, positions: "\(position)", events: 1,
                                    detail: "a record that is not a canonical event"))
                        }
                        if failure == nil, let visit {
                            do { try visit(position, line) } catch { failure = error }
                        }
                        position += 1
                    }
                    if let failure { throw failure }
                    segment.batches += 1
                    segment.events += Int(header.count)
                    intactEvents += Int(header.count)
                    expected += UInt64(header.count)
                    offset += header.totalLength
                    segment.validEnd = offset
                case .bad(let reason, let header):
                    // The next whole batch, if any: by this one's length when its header holds,
                    // else by searching for the next header that checks out.
                    let next = try walker.nextWhole(after: offset, skipping: header, expecting: expected)
                    keysComplete = false
                    guard let next else {
                        // In a sealed segment the lost positions run to where the next segment starts.
                        let nextFirst = sealed ? files[index + 1].firstPosition : expected
                        problems.append(
                            Problem(
                                kind: sealed ? .damaged : .tornTail, file: name, offset: offset,
                                positions: nextFirst > expected ? "\(expected)..<\(nextFirst)" : nil,
                                events: nextFirst > expected ? Int(nextFirst - expected) : 0,
                                detail:
                                    "\(reason); nothing whole follows in this segment (\(walker.size - offset) bytes)"))
                        expected = max(expected, nextFirst)
                        offset = walker.size
                        break
                    }
                    let lost = Int(next.firstPosition - expected)
                    problems.append(
                        Problem(
                            kind: .damaged, file: name, offset: offset,
                            positions: "\(expected)..<\(next.firstPosition)",
                            events: lost, detail: "\(reason) (\(next.offset - offset) bytes up to the next whole batch)"
                        ))
                    expected = next.firstPosition
                    offset = next.offset
                }
            }
            // A keys file can only be checked against a segment that reads whole.
            let keysPath = SegmentName.keysPath(of: entry.path)
            if sealed, keysComplete,
                KeysFile.read(from: keysPath, expectedCount: keys.count)?.sorted(by: { $0.precedes($1) })
                    != keys.sorted(by: { $0.precedes($1) })
            {
                keysToWrite[(keysPath as NSString).lastPathComponent] = keys
                problems.append(
                    Problem(
                        kind: .keysFile, file: (keysPath as NSString).lastPathComponent, offset: 0, positions: nil,
                        events: 0, detail: "the idempotency keys file is missing or disagrees with its segment"))
            }
            if let columns {
                checkColumns(at: columnsPath, against: columns, firstPosition: first, batches: wholeBatches[...])
            }
            if !sealed, keysComplete {
                checkActiveKeys(at: ActiveKeysFile.path(of: entry.path), against: keys, batches: wholeBatches)
            }
            if sealed {
                let covered = KeysFile.storedCRC(at: keysPath).map {
                    KeyIndex.Covered(firstPosition: first, count: keys.count, keysCRC: $0)
                }
                sealedKeys.append((covered, keysComplete ? keys : nil))
            }
            segments.append(segment)
        }
    }

    /// Checks the active segment's saved keys where a writer would take them (intact, and made
    /// from the segment's first batches): they must be those batches' keys. Keys a writer would
    /// not take are no problem: damaged ones (they are not synced, so a power loss may tear
    /// them) and ones made from other batches are ignored, and the segment read instead.
    private mutating func checkActiveKeys(at path: String, against keys: [EventKey], batches: [BatchLocation]) {
        guard let saved = ActiveKeysFile.read(from: path), ActiveKeysFile.matches(saved, batches),
            !keys.starts(with: saved.keys)
        else { return }
        let name = (path as NSString).lastPathComponent
        activeKeysToRemove.append(name)
        problems.append(
            Problem(
                kind: .keysFile, file: name, offset: 0, positions: nil, events: 0,
                detail:
                    "the active segment's saved idempotency keys disagree with the lines of the \(saved.batches) batches they were made from; a writer would take them"
            ))
    }

    /// Checks `keys.index`, if there is one and it still covers the segments it names (a writer
    /// ignores one that does not, and makes it again): every block's CRC, and its keys against
    /// those segments' lines.
    private mutating func checkKeyIndex(
        in directory: String, against sealed: [(covered: KeyIndex.Covered?, keys: [EventKey]?)]
    ) {
        let path = directory + "/" + KeyIndex.fileName
        guard FileManager.default.fileExists(atPath: path) else { return }
        let problem: String?
        if let index = KeyIndex.open(path) {
            guard index.covers(sealed.map(\.covered)) else { return }
            let covered = sealed.prefix(index.segments)
            do {
                let stored = try index.allKeys()
                if covered.allSatisfy({ $0.keys != nil }) {
                    let made = IdempotencyKeys.merged(covered.map { ($0.keys ?? []).sorted { $0.precedes($1) } })
                    problem = stored == made ? nil : "holds other keys than the \(index.segments) segments it covers"
                } else {
                    problem = nil
                }
            } catch {
                problem = "\(error)"
            }
        } else {
            problem = "its header or block table is damaged"
        }
        guard let problem else { return }
        removeKeyIndex = true
        problems.append(
            Problem(
                kind: .keyIndex, file: KeyIndex.fileName, offset: 0, positions: nil, events: 0,
                detail: "the idempotency key index: \(problem); the next writer makes it again"))
    }

    /// Compares a segment's `.cols` file with the columns made again from its lines.
    private mutating func checkColumns(
        at path: String, against made: ProjectionColumns, firstPosition: UInt64, batches: ArraySlice<BatchLocation>
    ) {
        let problem: String?
        switch ColumnsFile.read(from: path, firstPosition: firstPosition, batches: batches) {
        case .missing: problem = nil
        case .unusable(let why): problem = why
        case .columns(let stored, _):
            problem =
                stored.count != made.count
                ? "covers \(stored.count) positions, its batches hold \(made.count)"
                : stored.encoded() != made.encoded() ? "disagrees with its segment's lines" : nil
        }
        guard let problem else { return }
        let name = (path as NSString).lastPathComponent
        columnsToRemove.append(name)
        problems.append(
            Problem(
                kind: .columnsFile, file: name, offset: 0, positions: nil, events: 0,
                detail: "the projection columns file \(problem); it is made again when the segment is next projected"))
    }
}
