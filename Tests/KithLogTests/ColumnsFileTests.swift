import Foundation
import KithCore
import KithTestSupport
import Testing

@testable import KithLog

@Suite("The file log's .cols files: made by a whole read, used after, checked, repaired")
struct ColumnsFileTests {
    static var options: EventLogWriter.Options {
        var o = EventLogWriter.Options()
        o.segmentBytes = 4 << 10
        o.batchBytes = 1_024
        return o
    }

    static func events(
        _ log: FileEventLog, from start: UInt64 = 0, declaredKinds: [String: IdentifierNormalizer.Method] = [:]
    )
        throws -> [String]
    {
        var out: [String] = []
        try log.forEachProjectedEvent(from: start, upTo: log.endPosition, declaredKinds: declaredKinds) { p, e in
            out.append("\(p) \(e.map { "\($0)" } ?? "nil")")
            return true
        }
        return out
    }

    static func decoded(_ log: FileEventLog, from start: UInt64 = 0) throws -> [String] {
        var out: [String] = []
        try log.decodingEachLine(from: start, upTo: log.endPosition, declaredKinds: [:]) { p, e in
            out.append("\(p) \(e.map { "\($0)" } ?? "nil")")
            return true
        }
        return out
    }

    static func files(_ dir: String, _ ext: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix("." + ext) }.sorted()
    }

    @Test(
        "A read of the whole log leaves a .cols per segment, covering every batch; a read from the middle leaves none")
    func madeByAWholeRead() throws {
        try withTemporaryDirectory { dir in
            let log = try FileEventLog(directory: dir, options: Self.options)
            _ = try log.append(EventLogContract.projectableLines(Array(0..<300)))
            #expect(try Self.files(dir, "seg").count >= 3)
            let segments = try Self.files(dir, "seg")
            let files = segments.map { $0.replacingOccurrences(of: ".seg", with: ".cols") }
            _ = try Self.events(log, from: 1)
            #expect(
                try Self.files(dir, "cols") == Array(files.dropFirst()),
                "a read from inside a segment makes none for it")
            let expected = try Self.decoded(log)
            #expect(try Self.events(log) == expected)
            #expect(try Self.files(dir, "cols") == files)
            let reader = try EventLogReader(directory: dir)
            for (s, segment) in reader.segments.enumerated() {
                let mine = reader.batches.filter { $0.segment == s }
                guard
                    case .columns(let columns, let covered) = ColumnsFile.read(
                        from: ColumnsFile.path(of: segment.path), firstPosition: segment.firstPosition,
                        batches: mine[...])
                else {
                    Issue.record("\(segment.path): no usable columns")
                    continue
                }
                #expect(covered == mine.count)
                #expect(columns.endPosition == mine.last?.positions.upperBound)
            }
            #expect(try log.verify().isEmpty, "verify finds the columns whole")
            try log.close()
        }
    }

    @Test("A later read answers from the columns: a file made from other lines for the same batches is what it reads")
    func usedAfter() throws {
        try withTemporaryDirectory { dir in
            let expected: [String]
            let count: Int
            do {
                let log = try FileEventLog(directory: dir, options: Self.options)
                _ = try log.append(EventLogContract.projectableLines(Array(0..<300)))
                expected = try Self.decoded(log)
                _ = try Self.events(log)
                // Columns for the first segment made from the next segment's first lines instead.
                let reader = try EventLogReader(directory: dir)
                let first = reader.segments[0]
                let mine = reader.batches.filter { $0.segment == 0 }
                count = Int(try #require(mine.last).positions.upperBound)
                var forged = ProjectionColumns(firstPosition: 0)
                try reader.forEachLine(from: UInt64(count), limit: count) { _, line in
                    forged.append(line)
                    return true
                }
                #expect(forged.count == count)
                try ColumnsFile.write(forged, batches: mine[...], to: ColumnsFile.path(of: first.path))
                let read = try Self.events(log)
                #expect(read != expected)
                #expect(read[count...] == expected[count...], "the other segments read as before")
                #expect(read[0].hasPrefix("0 ") && !read[0].contains("p0\""))
                // Verify finds it, repair removes it, the next whole read makes it again.
                let problems = try log.verify()
                #expect(
                    problems.count == 1 && problems[0].contains("columns_file") && problems[0].contains("disagrees"))
                try log.close()
            }
            let repair = try LogRepair(directory: dir, salvage: false, setAside: dir + ".aside")
            #expect(repair.actions.count == 1 && repair.remaining.isEmpty)
            let again = try FileEventLog(directory: dir, options: Self.options)
            #expect(try Self.events(again) == expected)
            #expect(try again.verify().isEmpty)
            try again.close()
        }
    }

    @Test("Damaged or stale columns are not used, are reported, and a whole read makes them again")
    func damagedOrStale() throws {
        try withTemporaryDirectory { dir in
            let log = try FileEventLog(directory: dir, options: Self.options)
            _ = try log.append(EventLogContract.projectableLines(Array(0..<300)))
            let expected = try Self.decoded(log)
            _ = try Self.events(log)
            let cols = try Self.files(dir, "cols")
            #expect(cols.count >= 3)
            // One cut short, one with a flipped bit, one made from another segment's batches.
            let a = URL(fileURLWithPath: dir + "/" + cols[0])
            var bytes = try Data(contentsOf: a)
            try bytes.prefix(bytes.count / 2).write(to: a)
            let b = URL(fileURLWithPath: dir + "/" + cols[1])
            bytes = try Data(contentsOf: b)
            bytes[bytes.count - 3] ^= 0x04
            try bytes.write(to: b)
            let reader = try EventLogReader(directory: dir)
            var columns = ProjectionColumns(firstPosition: reader.segments[2].firstPosition)
            try reader.forEachLine(from: columns.firstPosition, limit: 10) { _, line in
                columns.append(line)
                return true
            }
            try ColumnsFile.write(
                columns, batches: reader.batches.filter { $0.segment == 1 }[...], to: dir + "/" + cols[2])
            let problems = try log.verify()
            #expect(problems.count == 3 && problems.allSatisfy { $0.contains("columns_file") }, "\(problems)")
            #expect(problems.contains { $0.contains("CRC") } && problems.contains { $0.contains("stale") })
            #expect(try Self.events(log) == expected)
            #expect(try log.verify().isEmpty, "the whole read made all three again")
            try log.close()
        }
    }

    @Test("The active segment's file covers what it held; once the segment grows, a whole read covers the rest")
    func activeSegmentGrows() throws {
        try withTemporaryDirectory { dir in
            var options = Self.options
            options.segmentBytes = 1 << 20
            let log = try FileEventLog(directory: dir, options: options)
            _ = try log.append(EventLogContract.projectableLines(Array(0..<100)))
            _ = try Self.events(log)
            _ = try log.append(EventLogContract.projectableLines(Array(100..<200)))
            let reader = try EventLogReader(directory: dir)
            #expect(reader.segments.count == 1)
            func covered() -> Int? {
                if case .columns(_, let b) = ColumnsFile.read(
                    from: ColumnsFile.path(of: reader.segments[0].path), firstPosition: 0, batches: reader.batches[...])
                {
                    return b
                }
                return nil
            }
            let before = try #require(covered())
            #expect(before > 0 && before < reader.batches.count, "the file covers the batches it was made from")
            // A read that stops early leaves the file as it was.
            var seen = 0
            try log.forEachProjectedEvent(from: 0, upTo: log.endPosition, declaredKinds: [:]) { _, _ in
                seen += 1
                return seen < 150
            }
            #expect(covered() == before)
            #expect(try Self.events(log) == Self.decoded(log))
            #expect(covered() == reader.batches.count)
            try log.close()
        }
    }

    @Test("Damage to a segment fails a read even where its columns are good, naming the segment")
    func damagedSegmentStillRefused() throws {
        try withTemporaryDirectory { dir in
            do {
                let log = try FileEventLog(directory: dir, options: Self.options)
                _ = try log.append(EventLogContract.projectableLines(Array(0..<300)))
                _ = try Self.events(log)
                try log.close()
            }
            let reader = try EventLogReader(directory: dir)
            let victim = reader.segments[1]
            let batch = try #require(reader.batches.first { $0.segment == 1 })
            let url = URL(fileURLWithPath: victim.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: victim.path)
            var bytes = try Data(contentsOf: url)
            bytes[batch.offset + BatchHeader.size + 5] ^= 0x20
            try bytes.write(to: url)
            let log = try FileEventLog(directory: dir, options: Self.options)
            #expect(try Self.files(dir, "cols").count == reader.segments.count, "every segment has good columns")
            let error = #expect(throws: LogError.self) { try Self.events(log) }
            #expect(error?.description.contains((victim.path as NSString).lastPathComponent) == true)
            #expect(error?.description.contains("CRC mismatch") == true)
            // A read of the other segments alone still answers.
            let end = try #require(reader.batches.last { $0.segment == 0 }).positions.upperBound
            var seen = 0
            try log.forEachProjectedEvent(from: 0, upTo: end, declaredKinds: [:]) { _, _ in
                seen += 1
                return true
            }
            #expect(seen == Int(end))
        }
    }
}
