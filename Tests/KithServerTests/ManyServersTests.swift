import Foundation
import KithCore
import KithPostgres
import KithTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several `kith serve` processes on one PostgreSQL store, each with a data directory of its
/// own as a machine would have (the same installation secret and keys): ingest through any of
/// them, lookups from any of them, one killed mid-ingest.
@Suite struct ManyServersTests {
    /// A data directory with a write key for every source of `lines` and a read key, and a copy
    /// of it for a second machine.
    struct Installation {
        let first: String
        let second: String
        let writer: String
        let reader: String

        init(in scratch: Scratch, sources: Set<String>) throws {
            let first = scratch.path + "/machine-1"
            self.first = first
            second = scratch.path + "/machine-2"
            // One installation: the machines share its secret, so they make the same profile ids.
            try shareInstallationSecret(from: first, to: second)
            func secret(_ arguments: [String]) throws -> String {
                let created = try kith(["keys", "create", "--data", first, "--format", "json"] + arguments)
                return try #require(
                    (try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["secret"]
                        as? String, "\(created.stderr)")
            }
            writer = try secret(
                ["--name", "feed", "--scopes", "events:write", "--sources", sources.sorted().joined(separator: ",")])
            reader = try secret(["--name", "crm", "--scopes", "profiles:read"])
            try FileManager.default.copyItem(atPath: first + "/keys.json", toPath: second + "/keys.json")
        }
    }

    @Test("two servers on one PostgreSQL: ingest through either, the same answers from both, one killed loses nothing")
    func twoServersOneStore() async throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        #expect(try kith(["generate", "--persons", "900", "--seed", "61", "--out", exports]).status == 0)
        let lines = try AcknowledgedCrashTests.acceptableLines(in: exports)
        let batches = lines.chunked(into: 120)
        let sources = Set(lines.compactMap { $0.line.firstMatch(of: /"source":"([a-z0-9_-]+)"/).map { String($0.1) } })
        let machines = try Installation(in: scratch, sources: sources)
        let location = try PostgresTestServer.freshLocation()
        defer { PostgresTestServer.drop(location) }
        let store = ["--store", PostgresTestServer.url(for: location)]
        // One client key makes every request: lift its rate limit and the lookup alarm.
        let serving = store + ["--rate", "100000", "--burst", "100000", "--lookup-alarm", "1000000"]
        var a = try ServeProcess(data: machines.first, arguments: serving)
        let b = try ServeProcess(data: machines.second, arguments: serving, captureErrors: true)

        // Two posts at a time, one to each server: the log's advisory lock makes them take turns.
        var acknowledged = Set<EventKey>()
        var unanswered: [Int] = []
        var next = 0
        while next + 1 < batches.count / 2 {
            let (left, right, writer) = (batches[next].lines, batches[next + 1].lines, machines.writer)
            let (toA, toB) = (a, b)
            async let first = toA.post(left, key: writer)
            async let second = toB.post(right, key: writer)
            let (one, two) = await (first, second)
            if one != 200 || two != 200 {
                b.process.terminate()
                let said = String(
                    decoding: b.errors?.fileHandleForReading.readDataToEndOfFile() ?? Data(), as: UTF8.self)
                Issue.record(
                    "batches \(next), \(next + 1): \(String(describing: one)), \(String(describing: two)); B said: \(said)"
                )
                return
            }
            acknowledged.formUnion(batches[next].keys)
            acknowledged.formUnion(batches[next + 1].keys)
            next += 2
        }
        // Server A dies while it takes posts; what it did not acknowledge goes to B.
        let pid = a.pid
        let killer = Task.detached {
            usleep(150_000)
            kill(pid, SIGKILL)
        }
        while next < batches.count {
            guard let status = await a.post(batches[next].lines, key: machines.writer) else {
                unanswered.append(next)
                next += 1
                break
            }
            #expect(status == 200)
            acknowledged.formUnion(batches[next].keys)
            next += 1
        }
        await killer.value
        a.wait()
        #expect(!unanswered.isEmpty, "server A finished every post before it was killed")
        // B keeps answering while A is gone, and takes the rest (a retried batch lands once).
        let whileDown = try await ServerFixture.request("GET", "/healthz", port: b.port)
        #expect(whileDown.status == 200 && whileDown.json["backend"] as? String == "postgresql")
        for i in unanswered + Array(next..<batches.count) {
            #expect(await b.post(batches[i].lines, key: machines.writer) == 200, "batch \(i)")
            acknowledged.formUnion(batches[i].keys)
        }

        // The log: contiguous positions, every event once, every acknowledged one there.
        let log = try PostgresEventLog(location)
        var inLog = Set<EventKey>()
        var expected: UInt64 = 0
        try log.forEachLine(from: 0, limit: nil) { position, line in
            #expect(position == expected)
            expected += 1
            let key = try #require(CanonicalLine.key(of: line))
            #expect(inLog.insert(key).inserted, "the event at position \(position) is in the log twice")
            return true
        }
        try log.close()
        #expect(acknowledged.isSubset(of: inLog), "\(acknowledged.subtracting(inLog).count) acknowledged events lost")
        #expect(inLog == Set(lines.map(\.key)))

        // Both servers (A restarted) answer every lookup the same, from profiles projected once:
        // the same as a fresh embedded projection of the same log.
        a = try ServeProcess(data: machines.first, arguments: serving)
        defer {
            a.stop()
            b.stop()
        }
        let fresh = scratch.path + "/fresh"
        try shareInstallationSecret(from: machines.first, to: fresh)
        #expect(try kith(["log", "copy", "--data", fresh, "--from", store[1], "--no-progress"]).status == 0)
        #expect(try kith(["project", "--data", fresh]).status == 0)
        for arguments in [["--data", fresh], ["--data", machines.first] + store] {
            #expect(try kith(["rfm", "refresh", "--as-of", "2026-06-30"] + arguments).status == 0)
        }
        let export = try kith(["profiles", "export", "--format", "ndjson", "--data", machines.second] + store)
        let exported = export.stdout
        #expect(!exported.isEmpty, "\(export.stderr)")
        #expect(exported == (try kith(["profiles", "export", "--format", "ndjson", "--data", fresh]).stdout))
        let profiles = exported.split(separator: "\n").prefix(25).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(profiles.count == 25)
        for profile in profiles {
            let id = try #require(profile["profile_id"] as? String)
            let fromA = try await ServerFixture.request("GET", "/v1/profiles/\(id)", port: a.port, key: machines.reader)
            let fromB = try await ServerFixture.request("GET", "/v1/profiles/\(id)", port: b.port, key: machines.reader)
            #expect(fromA.status == 200 && fromA.body == fromB.body, "\(id): \(fromA.status) \(fromA.text)")
            // Each of its values, looked up by identifier (one statement, awaited), leads to it.
            let identifiers = try #require(profile["identifiers"] as? [String: [String]])
            for (kind, values) in identifiers.sorted(by: { $0.key < $1.key }) {
                let path = "/v1/profiles?identifier=\(kind):\(values[0])"
                    .addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["+"]))!
                let byA = try await ServerFixture.request("GET", path, port: a.port, key: machines.reader)
                let byB = try await ServerFixture.request("GET", path, port: b.port, key: machines.reader)
                #expect(
                    byA.status == 200 && byA.json["profile_id"] as? String == id, "\(path): \(byA.status) \(byA.text)")
                #expect(byA.body == byB.body)
            }
        }
    }
}
