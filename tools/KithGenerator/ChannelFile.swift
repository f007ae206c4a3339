import Foundation

/// One generated export and the ground truth of what ingesting it must do.
final class ChannelFile {
    struct Truth: Codable {
        var file: String
        var format: String
        var mapping: String?
        var records = 0
        var accepted = 0
        var duplicates = 0
        var skipped = 0
        var quarantined: [String: Int] = [:]
        var rejectedIdentifiers: [String: Int] = [:]

        enum CodingKeys: String, CodingKey {
            case file, format, mapping, records, accepted, duplicates, skipped, quarantined
            case rejectedIdentifiers = "rejected_identifiers"
        }
    }

    let path: String
    var truth: Truth
    private var buffer: [UInt8] = []
    private let handle: FileHandle
    /// Earlier good lines, some of which are written again as duplicates.
    private var recent: [[UInt8]] = []

    init(directory: String, name: String, format: String, mapping: String? = nil) throws {
        path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        truth = Truth(file: name, format: format, mapping: mapping)
    }

    func raw(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count > 1 << 20 { flush() }
    }

    /// A line that must land.
    func good(_ line: String, rng: inout SplitMix64, duplicateRate: Double, remember: Bool = true) {
        raw(line)
        truth.records += 1
        truth.accepted += 1
        guard remember else { return }
        if recent.count < 64 { recent.append(Array(line.utf8)) } else { recent[rng.int(0..<64)] = Array(line.utf8) }
        if rng.chance(duplicateRate) {
            // An exact re-export of a line already written.
            let again = rng.pick(recent)
            buffer.append(contentsOf: again)
            buffer.append(0x0A)
            truth.records += 1
            truth.duplicates += 1
        }
    }

    /// A line that must be quarantined with `kind`.
    func bad(_ line: String, kind: String) {
        raw(line)
        truth.records += 1
        truth.quarantined[kind, default: 0] += 1
    }

    func skipped(_ line: String) {
        raw(line)
        truth.records += 1
        truth.skipped += 1
    }

    func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        try handle.close()
    }
}
