import Foundation
import KithGenerator
import KithPostgres
import KithTestSupport
import Testing

/// Every command on a store in PostgreSQL (`--store`, `KITH_DATABASE_URL`), through the built
/// binary against the test server: the same answers, byte for byte, as the embedded store.
@Suite("kith on a PostgreSQL store")
struct PostgresStoreCLITests {
    /// The reads a user makes, each as arguments after the command's data options are added.
    static func reads(profile: String) -> [[String]] {
        [
            ["profiles", "export", "--format", "ndjson"],
            ["rfm", "export", "--format", "ndjson"],
            ["rfm", "--format", "json"],
            ["lifecycle", "--format", "json"],
            ["segment", "list", "loyal", "--format", "ndjson"],
            ["identity", "stats", "--format", "json"],
            ["identity", "suspects", "--format", "json"],
            ["profile", "get", profile, "--format", "json"],
            ["profile", "timeline", profile, "--format", "json"],
            ["profile", "explain", profile, "--format", "json"],
        ]
    }

    @Test("ingest, rebuild, replay and every read answer as the embedded store does, byte for byte")
    func sameAnswersAsEmbedded() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 400, seed: 52).write(to: exports)
        let files = generated.files.filter { !$0.hasPrefix("truth") && !$0.hasSuffix(".yaml") }.map {
            exports + "/" + $0
        }
        let embedded = scratch.path + "/embedded"
        let shared = scratch.path + "/shared"
        try shareInstallationSecret(from: embedded, to: shared)
        let location = try PostgresTestServer.freshLocation()
        defer { PostgresTestServer.drop(location) }
        let url = PostgresTestServer.url(for: location)
        // The embedded store by --data alone; PostgreSQL by --store, then by KITH_DATABASE_URL.
        let mine = ["--data", embedded]
        let theirs = ["--data", shared, "--store", url]

        let ingestHere = try kith(["ingest"] + mine + files)
        let ingestThere = try kith(["ingest"] + theirs + files)
        #expect(ingestHere.status == 0 && ingestThere.status == 0, "\(ingestHere.stderr)\(ingestThere.stderr)")
        #expect(ingestThere.stdout.contains("into PostgreSQL \(location)"), "\(ingestThere.stdout)")
        #expect(!ingestThere.stdout.contains(location.password ?? "?"), "the password is in the summary")
        #expect(ingestHere.stdout.contains("into embedded (\(embedded))"))
        for args in [mine, theirs] {
            #expect(try kith(["rfm", "refresh", "--as-of", "2026-10-01"] + args).status == 0)
        }
        let profile = try #require(
            try kith(["profiles", "export", "--format", "ndjson"] + mine).stdout.split(separator: "\n").first.flatMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }?["profile_id"] as? String)

        func compareEveryRead(_ when: String) throws {
            for read in Self.reads(profile: profile) {
                let here = try kith(read + mine)
                let there = try kith(read + ["--data", shared], environment: ["KITH_DATABASE_URL": url])
                #expect(here.status == 0 && !here.stdout.isEmpty, "\(when): \(read): \(here.stderr)")
                // When each refresh ran is the one field that may differ.
                func stable(_ text: String) -> String {
                    text.split(separator: "\n", omittingEmptySubsequences: false).filter {
                        !$0.contains("\"refreshed_at\"")
                    }.joined(separator: "\n")
                }
                #expect(stable(there.stdout) == stable(here.stdout), "\(when): \(read) differs: \(there.stderr)")
            }
        }
        try compareEveryRead("after ingest")

        // A rebuild loads a new generation and puts it in force; the answers stay the same.
        let rebuild = try kith(["project", "--rebuild", "--format", "json"] + theirs)
        #expect(rebuild.status == 0 && rebuild.stdout.contains("\"store\" : \"PostgreSQL \(location)\""), "\(rebuild)")
        #expect(try kith(["project", "--rebuild"] + mine).status == 0)
        try compareEveryRead("after a rebuild")

        // A replay under other rules: the same impact report, then the same answers.
        let rules = scratch.write("strict.yaml", ReplayCLITests.strictRules)
        let dryRun = try kith(["replay", "--rules", rules, "--dry-run", "--format", "json"] + theirs)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        try compareEveryRead("after a dry run")
        let replayHere = try kith(["replay", "--rules", rules, "--format", "json"] + mine)
        let replayThere = try kith(["replay", "--rules", rules, "--format", "json"] + theirs)
        #expect(replayHere.status == 0 && replayThere.status == 0, "\(replayThere.stderr)")
        func impact(_ run: ProcessResult) throws -> String {
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return String(
                decoding: try JSONSerialization.data(withJSONObject: report["impact"] ?? [:], options: .sortedKeys),
                as: UTF8.self)
        }
        #expect(try impact(replayHere) == impact(replayThere))
        #expect(try impact(dryRun) == impact(replayThere), "the dry run foresaw another impact")
        try compareEveryRead("after a replay")
        #expect(try kith(["log", "verify"] + theirs).status == 0)
    }

    @Test("kith store use records a store that serves, the commands use it, --store and KITH_DATABASE_URL win")
    func aRecordedStore() throws {
        let scratch = Scratch()
        let data = scratch.path + "/data"
        let location = try PostgresTestServer.freshLocation()
        defer { PostgresTestServer.drop(location) }
        let url = PostgresTestServer.url(for: location)
        let events = scratch.write(
            "e.ndjson",
            #"{"event_id":"r1","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-11-02T10:00:00Z","identifiers":{"device_id":"d-1"}}"#
                + "\n")
        let wrong = url.replacingOccurrences(of: ":\(location.password ?? "")@", with: ":wrong@")
        let refused = try kith(["store", "use", wrong, "--data", data])
        #expect(refused.status == 2 && !FileManager.default.fileExists(atPath: data + "/store.url"), "\(refused)")
        let use = try kith(["store", "use", url, "--data", data])
        #expect(use.status == 0 && use.stdout.contains("PostgreSQL \(location)"), "\(use.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: data + "/store.url")
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "the file with the password is readable by others")
        #expect(try kith(["ingest", events, "--data", data]).stdout.contains("in PostgreSQL \(location)"))
        #expect(!FileManager.default.fileExists(atPath: data + "/log"), "the events went to the data directory")
        let repair = try kith(["log", "repair", "--data", data])
        #expect(repair.status == 2 && repair.stderr.contains("no torn tail"), "\(repair.stderr)")
        let show = try kith(["store", "show", "--data", data, "--format", "json"])
        #expect(show.stdout.contains("store.url"), "\(show.stdout)")
        let overridden = try kith(["store", "show", "--data", data], environment: ["KITH_DATABASE_URL": wrong])
        #expect(overridden.stdout.contains("chosen by KITH_DATABASE_URL"), "\(overridden.stdout)")
        #expect(try kith(["store", "use", "embedded", "--data", data]).status == 0)
        #expect(try kith(["store", "show", "--data", data]).stdout.hasPrefix("embedded"))
    }

    @Test("a machine whose installation secret differs is refused, and the profile ids stay as they were")
    func anotherSecretIsRefused() throws {
        let scratch = Scratch()
        let location = try PostgresTestServer.freshLocation()
        defer { PostgresTestServer.drop(location) }
        let store = ["--store", PostgresTestServer.url(for: location)]
        let events = scratch.write(
            "e.ndjson",
            #"{"event_id":"s1","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-11-02T10:00:00Z","identifiers":{"device_id":"d-1"}}"#
                + "\n")
        #expect(try kith(["ingest", events, "--data", scratch.path + "/one"] + store).status == 0)
        let before = try kith(["profiles", "export", "--data", scratch.path + "/one"] + store).stdout
        let other = try kith(["profiles", "export", "--data", scratch.path + "/two"] + store)
        #expect(other.status == 2 && other.stderr.contains("another installation secret"), "\(other.stderr)")
        #expect(try kith(["profiles", "export", "--data", scratch.path + "/one"] + store).stdout == before)
    }

    @Test("a bad URL, a wrong password or a closed port: one line naming the server, never the password, exit 2")
    func storesThatCannotServe() throws {
        let location = try PostgresLocation(url: PostgresTestServer.url())
        let secret = "wrong-\(UUID().uuidString)"
        let scratch = Scratch()
        for url in [
            "postgres://\(location.user):\(secret)@\(location.host):\(location.port)/\(location.database)",
            "postgres://\(location.user):\(secret)@127.0.0.1:1/\(location.database)",
            "postgres://\(location.user):\(secret)@127.0.0.1:\(location.port)/\(location.database)?schema=Bad-Name",
        ] {
            for command in [["project"], ["profiles", "export"], ["rfm"], ["ingest", scratch.write("e.ndjson", "")]] {
                let run = try kith(command + ["--data", scratch.path + "/data", "--store", url])
                #expect(run.status == 2, "\(command) \(url): \(run.stderr)")
                #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret), "the password is printed")
                #expect(run.stderr.split(separator: "\n").count == 1, "\(command): \(run.stderr)")
                #expect(
                    run.stderr.contains("PostgreSQL at 127.0.0.1:") || run.stderr.contains("schema name"),
                    "\(run.stderr)")
            }
        }
    }

    @Test("keys and the audit log stay in the data directory: a KITH_DATABASE_URL that cannot serve does not stop them")
    func keysNeedNoStore() throws {
        let scratch = Scratch()
        let data = scratch.path + "/data"
        for (n, url) in ["bogus://", "postgres://kith:secret@127.0.0.1:1/kith"].enumerated() {
            let environment = ["KITH_DATABASE_URL": url]
            let created = try kith(
                ["keys", "create", "--data", data, "--name", "crm\(n)", "--scopes", "profiles:read"],
                environment: environment)
            #expect(created.status == 0, "\(url): \(created.stderr)")
            let listed = try kith(["keys", "list", "--data", data, "--format", "json"], environment: environment)
            #expect(listed.status == 0 && listed.stdout.contains("\"crm\(n)\""), "\(url): \(listed.stderr)")
            #expect(try kith(["audit", "verify", "--data", data], environment: environment).status == 0)
            // A command that needs the store still says why it cannot have it.
            #expect(try kith(["rfm", "--data", data], environment: environment).status == 2)
        }
    }
}
