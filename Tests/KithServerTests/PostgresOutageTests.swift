import Foundation
import KithCore
import KithPostgres
import KithTestSupport
import Testing

/// PostgreSQL going away under Kith, on a server of the test's own: an ingest it cuts fails
/// with one clear line and resumes cleanly; a server it leaves answers 503 problem+json and
/// says why on /healthz, then answers again when PostgreSQL is back, with no restart.
@Suite struct PostgresOutageTests {
    @Test("PostgreSQL restarted during an ingest: one clear error, then a clean resume")
    func restartDuringAnIngest() throws {
        let scratch = Scratch()
        let cluster = try PostgresCluster(in: scratch.path + "/pg")
        let exports = scratch.path + "/exports"
        #expect(try kith(["generate", "--persons", "600", "--seed", "71", "--out", exports]).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: exports).filter { $0.hasSuffix(".ndjson") }
            .sorted().map { exports + "/" + $0 }
        let data = scratch.path + "/data"
        let store = ["--store", cluster.url]
        // The first files land; the last waits on the log's lock, held by another session, when
        // the server restarts under it.
        #expect(try kith(["ingest", "--data", data] + store + files.dropLast()).status == 0)
        let location = try PostgresLocation(url: cluster.url)
        let holder = try PostgresSession(location)
        try holder.query(
            .init(unsafeSQL: "SELECT pg_advisory_lock(\(PostgresEventLog.lockClass), hashtext('kith'))"),
            doing: "holding the log's lock")
        let ingest = Process()
        ingest.executableURL = URL(fileURLWithPath: kithBinary)
        ingest.arguments = ["ingest", "--data", data] + store + [files.last ?? ""]
        let err = Pipe()
        ingest.standardError = err
        ingest.standardOutput = FileHandle.nullDevice
        try ingest.run()
        usleep(800_000)
        try cluster.stop()
        try cluster.start()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ingest.waitUntilExit()
        #expect(ingest.terminationStatus == 2, "\(errors)")
        #expect(errors.contains("PostgreSQL at 127.0.0.1:\(cluster.port)"), "\(errors)")
        #expect(errors.split(separator: "\n").count == 1, "\(errors)")
        #expect(!errors.contains(location.password ?? "?"))

        // Run again: everything lands once, and the profiles are the log's.
        let again = try kith(["ingest", "--data", data] + store + files)
        #expect(again.status == 0, "\(again.stderr)")
        let lines = try AcknowledgedCrashTests.acceptableLines(in: exports)
        #expect(try kith(["log", "verify", "--data", data] + store).status == 0)
        let stats = try kith(["log", "stats", "--data", data, "--format", "json"] + store)
        let counted = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(counted["events"] as? Int == Set(lines.map(\.key)).count, "\(stats.stdout)")
        let fresh = scratch.path + "/fresh"
        try shareInstallationSecret(from: data, to: fresh)
        #expect(try kith(["ingest", "--data", fresh] + files).status == 0)
        for arguments in [["--data", fresh], ["--data", data] + store] {
            #expect(try kith(["rfm", "refresh", "--as-of", "2026-06-30"] + arguments).status == 0)
        }
        #expect(
            try kith(["profiles", "export", "--data", data] + store).stdout
                == kith(["profiles", "export", "--data", fresh]).stdout)
    }

    @Test("PostgreSQL down while serving: 503 problem+json, /healthz says why, and answers again once it is back")
    func downWhileServing() async throws {
        let scratch = Scratch()
        let cluster = try PostgresCluster(in: scratch.path + "/pg")
        let exports = scratch.path + "/exports"
        #expect(try kith(["generate", "--persons", "200", "--seed", "72", "--out", exports]).status == 0)
        let data = scratch.path + "/data"
        let store = ["--store", cluster.url]
        let files = try FileManager.default.contentsOfDirectory(atPath: exports).filter { $0.hasSuffix(".ndjson") }
            .map { exports + "/" + $0 }
        #expect(try kith(["ingest", "--data", data] + store + files).status == 0)
        let created = try kith([
            "keys", "create", "--data", data, "--name", "crm", "--scopes", "profiles:read,events:write", "--sources",
            "app", "--format", "json",
        ])
        let key = try #require(
            (try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["secret"] as? String)
        let exported = try #require(
            try kith(["profiles", "export", "--format", "ndjson", "--data", data] + store).stdout.split(separator: "\n")
                .first.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let profile = try #require(exported["profile_id"] as? String)
        let (kind, values) = try #require((exported["identifiers"] as? [String: [String]])?.min { $0.key < $1.key })
        let byIdentifier = "/v1/profiles?identifier=\(kind):\(values[0])"
            .addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["+"]))!
        let server = try ServeProcess(data: data, arguments: store)
        defer { server.stop() }
        func lookup() async throws -> ServerFixture.Reply {
            try await ServerFixture.request("GET", "/v1/profiles/\(profile)", port: server.port, key: key)
        }
        func timeline() async throws -> ServerFixture.Reply {
            try await ServerFixture.request("GET", "/v1/profiles/\(profile)/timeline", port: server.port, key: key)
        }
        // By identifier: the awaited path, whose connections are dropped and opened again too.
        func identifierLookup() async throws -> ServerFixture.Reply {
            try await ServerFixture.request("GET", byIdentifier, port: server.port, key: key)
        }
        let before = try await lookup()
        #expect(before.status == 200)
        let identifiedBefore = try await identifierLookup()
        #expect(
            identifiedBefore.status == 200 && identifiedBefore.json["profile_id"] as? String == profile,
            "\(identifiedBefore.text)")
        let timelineBefore = try await timeline()
        #expect(timelineBefore.status == 200, "\(timelineBefore.text)")

        try cluster.stop()
        let down = try await lookup()
        #expect(down.status == 503 && down.contentType.hasPrefix("application/problem+json"), "\(down.text)")
        #expect(down.json["code"] as? String == "store_unavailable", "\(down.text)")
        #expect(!down.text.contains("127.0.0.1") && !down.text.contains("kith:"), "the store's address leaked")
        let identifiedDown = try await identifierLookup()
        #expect(identifiedDown.status == 503 && identifiedDown.json["code"] as? String == "store_unavailable")
        let health = try await ServerFixture.request("GET", "/healthz", port: server.port)
        #expect(health.status == 503, "\(health.text)")
        #expect((health.json["reason"] as? String)?.contains("PostgreSQL cannot be reached") == true, "\(health.text)")
        let post = try await ServerFixture.request(
            "POST", "/v1/events", port: server.port, key: key,
            body: Data(
                #"{"event_id":"o1","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-11-02T10:00:00Z","identifiers":{"device_id":"d-o1"}}"#
                    .utf8))
        #expect(post.status == 503 && post.contentType.hasPrefix("application/problem+json"), "\(post.text)")

        try cluster.start()
        let after = try await lookup()
        #expect(after.status == 200 && after.body == before.body, "\(after.text)")
        let identifiedAfter = try await identifierLookup()
        #expect(
            identifiedAfter.status == 200 && identifiedAfter.body == identifiedBefore.body, "\(identifiedAfter.text)")
        // The log's reads (a timeline) reconnect too.
        let timelineAfter = try await timeline()
        #expect(timelineAfter.status == 200 && timelineAfter.body == timelineBefore.body, "\(timelineAfter.text)")
        #expect(try await ServerFixture.request("GET", "/healthz", port: server.port).status == 200)
    }
}
