import Foundation
import KithCore
import KithDirectory
import KithLog
import KithTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Crash anywhere, judged by what was acknowledged: a `kith serve` process dies (at a known fsync
/// or projection commit, `KITH_KILL_AT`, and once after a timer) while a client posts batches of
/// events; a 200 answer is the acknowledgement.
@Suite struct AcknowledgedCrashTests {
    @Test func everyAcknowledgedEventSurvivesKillsExactlyOnce() async throws {
        let scratch = Scratch()
        let data = scratch.path + "/data"
        let exports = scratch.path + "/exports"
        #expect(try kith(["generate", "--persons", "1200", "--seed", "31", "--out", exports]).status == 0)
        let lines = try Self.acceptableLines(in: exports)
        let batches = lines.chunked(into: 150)
        // A write key is bound to the sources it writes: here, every source the exports hold.
        let sources = Set(lines.compactMap { $0.line.firstMatch(of: /"source":"([a-z0-9_-]+)"/).map { String($0.1) } })
        let created = try kith([
            "keys", "create", "--data", data, "--name", "pos-feed", "--scopes", "events:write", "--sources",
            sources.sorted().joined(separator: ","), "--format", "json",
        ])
        let secret = try #require(
            (try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["secret"] as? String)

        var acknowledged = Set<EventKey>()
        var next = 0
        var killsMidPost = 0
        // Each server dies at a known point of its Nth post: a batch written but not synced, an
        // append durable but not yet answered, a projection batch committed; one more dies
        // after a timer, wherever that lands.
        let points =
            ["batch:1", "append:1", "commit:1", "batch:4", "append:3", "commit:2"]
            + (faultRounds(normal: 0, heavy: 1) == 1
                ? (2...8).flatMap { ["batch:\($0)", "append:\($0)", "commit:\($0)"] } : [])
        for point in points + ["timer"] where next < batches.count {
            let server = try ServeProcess(data: data, environment: point == "timer" ? [:] : ["KITH_KILL_AT": point])
            let pid = server.pid
            let killer = Task.detached {
                guard point == "timer" else { return }
                usleep(300_000)
                kill(pid, SIGKILL)
            }
            while next < batches.count {
                guard let status = await server.post(batches[next].lines, key: secret) else {
                    killsMidPost += 1
                    break
                }
                #expect(status == 200, "batch \(next) answered \(status)")
                acknowledged.formUnion(batches[next].keys)
                next += 1
            }
            await killer.value
            server.wait()
        }
        // Every kill point lies inside a post (the timer may land anywhere).
        #expect(
            killsMidPost >= points.count, "\(killsMidPost) servers of \(points.count) died while a post was in flight")
        #expect(!acknowledged.isEmpty)

        // Restarted, the server takes the rest, including batches that were in flight when killed.
        let last = try ServeProcess(data: data)
        while next < batches.count {
            #expect(await last.post(batches[next].lines, key: secret) == 200)
            next += 1
        }
        last.stop()

        // The log: contiguous positions, every key once, every acknowledged event present.
        var inLog = Set<EventKey>()
        var expected: UInt64 = 0
        try EventLogReader(directory: data + "/log").forEachLine { position, line in
            #expect(position == expected)
            expected += 1
            let key = try #require(CanonicalLine.key(of: line))
            #expect(inLog.insert(key).inserted, "event at position \(position) is in the log twice")
            return true
        }
        #expect(
            acknowledged.isSubset(of: inLog), "\(acknowledged.subtracting(inLog).count) acknowledged events are missing"
        )
        #expect(inLog == batches.reduce(into: Set<EventKey>()) { $0.formUnion($1.keys) })
        // Bodies are staged in memory, so a killed server leaves none behind on disk.
        #expect(!FileManager.default.fileExists(atPath: data + "/incoming"), "staged bodies were left behind")

        // The profiles the killed servers left (after catching up) equal a fresh replay of the log.
        let fresh = scratch.path + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/log", toPath: fresh + "/log")
        try shareInstallationSecret(from: data, to: fresh)
        for directory in [data, fresh] {
            #expect(try kith(["project", "--data", directory]).status == 0)
            #expect(try kith(["rfm", "refresh", "--data", directory, "--as-of", "2026-06-30"]).status == 0)
        }
        let served = try kith(["profiles", "export", "--data", data]).stdout
        #expect(!served.isEmpty)
        #expect(served == (try kith(["profiles", "export", "--data", fresh]).stdout))
        #expect(
            try kith(["rfm", "export", "--data", data]).stdout == kith(["rfm", "export", "--data", fresh]).stdout)
    }

    /// The generator's NDJSON lines the parser accepts, with their keys (its deliberately broken
    /// lines would be quarantined, which is not what this test is about).
    static func acceptableLines(in exports: String) throws -> [(line: String, key: EventKey)] {
        let parser = EventLineParser()
        var lines: [(String, EventKey)] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: exports).sorted()
        where file.hasSuffix(".ndjson") {
            for line in try String(contentsOfFile: exports + "/" + file, encoding: .utf8).split(separator: "\n") {
                var scratch: [UInt8] = []
                var bytes = Array(line.utf8)
                let parsed = bytes.withUnsafeMutableBufferPointer {
                    parser.parse(UnsafeBufferPointer($0), appendingTo: &scratch)
                }
                if case .success(let event) = parsed { lines.append((String(line), event.key)) }
            }
        }
        return lines
    }
}

extension Array where Element == (line: String, key: EventKey) {
    func chunked(into size: Int) -> [(lines: String, keys: Set<EventKey>)] {
        stride(from: 0, to: count, by: size).map { start in
            let chunk = self[start..<Swift.min(start + size, count)]
            return (chunk.map(\.line).joined(separator: "\n") + "\n", Set(chunk.map(\.key)))
        }
    }
}
