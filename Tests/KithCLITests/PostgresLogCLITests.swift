import Foundation
import KithGenerator
import KithPostgres
import KithTestSupport
import Testing

/// `kith log copy` into PostgreSQL and back, and `kith log read|stats|verify --store`, through
/// the built binary against the test server (see `PostgresTestServer`).
@Suite("kith log on PostgreSQL")
struct PostgresLogCLITests {
    @Test("a log copied into PostgreSQL and back reads byte for byte the same, and verify finds damage")
    func copyThereAndBack() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 300, seed: 41).write(to: exports)
        let original = scratch.path + "/original"
        let ingest = try kith(
            ["ingest", "--data", original, "--no-project"]
                + generated.files.filter { $0.hasSuffix(".ndjson") }.map {
                    exports + "/" + $0
                })
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let lines = try kith(["log", "read", "--data", original]).stdout
        let events = lines.split(separator: "\n").count
        #expect(events > 1_000)

        let location = try PostgresTestServer.freshLocation()
        defer { PostgresTestServer.drop(location) }
        let url = PostgresTestServer.url(for: location)
        let there = try kith(["log", "copy", "--data", original, "--to", url, "--no-progress", "--format", "json"])
        #expect(there.status == 0, "\(there.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(there.stdout.utf8)) as? [String: Any])
        #expect(report["copied"] as? Int == events && report["compared"] as? Int == events)
        #expect(!there.stdout.contains(location.password ?? "?"), "the password is in the report")
        #expect(try kith(["log", "read", "--store", url]).stdout == lines)
        let stats = try kith(["log", "stats", "--store", url, "--format", "json"])
        let counted = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(counted["events"] as? Int == events && counted["store"] as? String == location.description)
        let again = try kith(["log", "copy", "--data", original, "--to", url, "--no-progress", "--format", "json"])
        #expect(again.status == 0 && again.stdout.contains("\"copied\" : 0"), "a second copy copied again")

        let back = scratch.path + "/back"
        let copyBack = try kith(["log", "copy", "--data", back, "--from", url, "--no-progress"])
        #expect(copyBack.status == 0, "\(copyBack.stderr)")
        #expect(try kith(["log", "read", "--data", back]).stdout == lines)
        #expect(try kith(["log", "verify", "--data", back]).status == 0)

        #expect(try kith(["log", "verify", "--store", url]).status == 0)
        let session = try PostgresSession(location)
        try session.query(
            .init(unsafeSQL: "UPDATE \(location.schema).event SET line = 'x' || line WHERE position = 5"), doing: "test"
        )
        try session.close()
        let damaged = try kith(["log", "verify", "--store", url])
        #expect(damaged.status == 3 && damaged.stdout.contains("position 5"), "\(damaged.stdout)")
        // A target that is not a prefix of the source is refused, and nothing is written.
        let refused = try kith(["log", "copy", "--data", original, "--to", url, "--no-progress"])
        #expect(refused.status == 2 && refused.stderr.contains("position 5"), "\(refused.stderr)")
    }

    @Test("a wrong password or a closed port: one line naming the server, never the password, exit status 2")
    func unreachableStores() throws {
        let location = try PostgresLocation(url: PostgresTestServer.url())
        let secret = "wrong-\(UUID().uuidString)"
        for url in [
            "postgres://\(location.user):\(secret)@\(location.host):\(location.port)/\(location.database)",
            "postgres://\(location.user):\(secret)@127.0.0.1:1/\(location.database)",
        ] {
            let run = try kith(["log", "stats", "--store", url])
            #expect(run.status == 2, "\(url): \(run.stderr)")
            #expect(run.stderr.contains("PostgreSQL at 127.0.0.1:"), "\(run.stderr)")
            #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret), "the password is printed")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }
    }
}
