import Foundation
import KithCore
import KithDirectory
import KithGenerator
import KithLog
import KithTestSupport
import Testing

@testable import KithCLI

@Suite("kith command line")
struct CLITests {
    @Test("Usage errors say what is missing")
    func usageErrors() {
        // The expectation cannot sit in a `catch` that never runs when the bad input is accepted.
        let missing = #expect(throws: (any Error).self) { _ = try KithCommand.parseAsRoot(["ingest"]) }
        #expect(missing.map { KithCommand.message(for: $0) } == "Missing expected argument '<files> ...'")
        let badFormat = #expect(throws: (any Error).self) {
            _ = try KithCommand.parseAsRoot(["log", "stats", "--format", "xml"])
        }
        #expect(
            badFormat.map {
                KithCommand.message(for: $0).contains("The value 'xml' is invalid for '--format <format>'")
            } == true)
    }

    @Test("quarantine retry lands what a fixed mapping reads, and profiles hold it without kith project")
    func quarantineRetryCatchesUp() throws {
        let scratch = Scratch()
        let data = scratch.path + "/data"
        let csv = scratch.write("shop.csv", "id,when,mobile\nA1,01.03.2026 10:15,13800138000\nA2,xx,13900139000\n")
        let mapping =
            "source: shop\ntype: behaviour\nname: store_visit\nevent_id: id\noccurred_at:\n  column: when\n"
            + "  format: FORMAT\n  time_zone: Asia/Shanghai\nidentifiers:\n  phone: mobile\n"
        _ = scratch.write("shop.mapping.yaml", mapping.replacingOccurrences(of: "FORMAT", with: "yyyy/MM/dd HH:mm"))
        let ingest = try kith(["ingest", "--data", data, csv])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(try kith(["profile", "get", "--data", data, "phone:13800138000"]).status != 0, "landed before the fix")
        _ = scratch.write("shop.mapping.yaml", mapping.replacingOccurrences(of: "FORMAT", with: "dd.MM.yyyy HH:mm"))
        let retry = try kith(["quarantine", "retry", "--data", data, "--format", "json"])
        #expect(retry.status == 0, "\(retry.stderr)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: Data(retry.stdout.utf8)) as? [String: Any])
        #expect(outcome["landed"] as? Int == 1 && outcome["still_quarantined"] as? Int == 1, "\(outcome)")
        #expect(retry.stderr.contains("projected 1 events"), "\(retry.stderr)")
        let get = try kith(["profile", "get", "--data", data, "--format", "json", "phone:13800138000"])
        #expect(get.status == 0, "the retried event is not in a profile: \(get.stderr)")
        let again = try kith(["quarantine", "retry", "--data", data])
        #expect(again.status == 0 && !again.stderr.contains("projected"), "nothing landed, yet it projected")
    }

    @Test("ingest --format json, log stats, log read and quarantine list agree with each other")
    func endToEnd() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 300, seed: 4).write(to: exports)
        let data = scratch.path + "/data"
        let files = generated.files.map { exports + "/" + $0 }
        let ingest = try kith(["ingest", "--data", data, "--format", "json"] + files)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(ingest.stdout.utf8)) as? [String: Any])
        #expect(summary["accepted"] as? Int == generated.accepted)
        #expect(summary["duplicates"] as? Int == generated.duplicates)
        #expect(summary["quarantined"] as? Int == generated.quarantined)
        #expect(ingest.stderr.isEmpty, "no progress bar when stderr is not a terminal")

        let stats = try kith(["log", "stats", "--format", "json"], environment: ["KITH_DATA": data])
        let statsJSON = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(statsJSON["events"] as? Int == generated.accepted)
        let bySource = try #require(statsJSON["by_source"] as? [String: Int])
        #expect(bySource.values.reduce(0, +) == generated.accepted)
        // An ingest's own projection leaves the projection columns to a rebuild, which makes them.
        #expect(statsJSON["projection_ready_events"] as? Int == 0)
        let rebuild = try kith(["project", "--rebuild", "--data", data, "--format", "json"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        // A rebuild says where its time went, stage by stage.
        let rebuilt = try #require(try JSONSerialization.jsonObject(with: Data(rebuild.stdout.utf8)) as? [String: Any])
        let stages = try #require(rebuilt["stages"] as? [String: Any], "\(rebuild.stdout)")
        let stageSeconds = ["read", "values", "identity", "waited_for_identity", "commit"].compactMap {
            stages[$0] as? Double
        }
        #expect(stageSeconds.count == 5 && stageSeconds.allSatisfy { $0 >= 0 }, "\(stages)")
        #expect(stages["identity_alongside"] as? Bool != nil)
        #expect(stageSeconds.reduce(0, +) - stageSeconds[2] <= (rebuilt["seconds"] as? Double ?? 0))
        let after = try kith(["log", "stats", "--format", "json"], environment: ["KITH_DATA": data])
        let afterJSON = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any])
        #expect(afterJSON["projection_ready_events"] as? Int == generated.accepted)
        #expect((afterJSON["columns_bytes"] as? Int ?? 0) > 0)
        let text = try kith(["log", "stats"], environment: ["KITH_DATA": data])
        #expect(
            text.stdout.contains("events ready for a rebuild") && !text.stdout.contains("makes the rest"),
            "\(text.stdout)")

        let read = try kith(["log", "read", "--data", data, "--from", "10", "--limit", "5"])
        let lines = read.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        for line in lines { #expect(line.hasPrefix(#"{"event_id":""#)) }

        let list = try kith(["quarantine", "list", "--data", data, "--format", "ndjson"])
        #expect(list.stdout.split(separator: "\n").count == generated.quarantined)
        let raw = try kith(["quarantine", "export", "--data", data, "--raw", "--kind", "malformed_json"])
        let malformed = raw.stdout.split(separator: "\n")
        #expect(malformed.count == (summary["quarantined_by_kind"] as? [String: Int])?["malformed_json"])
    }

    @Test("a data directory named by one relative character works (Foundation traps on its parent)")
    func oneCharacterRelativeDataDirectory() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 20, seed: 8).write(to: exports)
        let files = generated.files.map { exports + "/" + $0 }
        let ingest = try kith(["ingest", "--data", "A", "--format", "json"] + files, in: scratch.path)
        #expect(ingest.status == 0 && !ingest.killed, "\(ingest.stderr.prefix(400))")
        let stats = try kith(["identity", "stats", "--data", "A", "--format", "json"], in: scratch.path)
        #expect(stats.status == 0 && stats.stdout.contains("\"profiles\""), "\(stats.stderr.prefix(400))")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/A/log"))
    }

    @Test("ingest - reads standard input: NDJSON, or CSV with --mapping, the same as from files")
    func ingestFromStandardInput() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 60, seed: 12).write(to: exports)
        let fromFiles = scratch.path + "/files"
        let fromStdin = scratch.path + "/stdin"
        var files: [String] = []
        for name in generated.files {
            let path = exports + "/" + name
            files.append(path)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            // One line only the piped copy has: it is quarantined as read from stdin.
            if name == generated.files.first { bytes += Data("{broken\n".utf8) }
            var args = ["ingest", "--data", fromStdin, "--format", "json", "--no-project", "-"]
            if name.hasSuffix(".csv") {
                args += ["--mapping", path.replacingOccurrences(of: ".csv", with: ".mapping.yaml")]
            }
            let piped = try kith(args, input: bytes)
            #expect(piped.status == 0, "\(name): \(piped.stderr.prefix(300))")
            let summary = try JSONSerialization.jsonObject(with: Data(piped.stdout.utf8)) as? [String: Any]
            let file = (summary?["files"] as? [[String: Any]])?.first
            #expect(
                file?["path"] as? String == "stdin"
                    && file?["format"] as? String == (name.hasSuffix(".csv") ? "csv" : "ndjson"))
            #expect(summary?["bytes_read"] as? Int == bytes.count, "\(name)")
        }
        #expect(try kith(["ingest", "--data", fromFiles, "--no-project"] + files).status == 0)
        let a = try kith(["log", "read", "--data", fromFiles]).stdout
        let b = try kith(["log", "read", "--data", fromStdin]).stdout
        #expect(a == b && a.split(separator: "\n").count == generated.accepted)
        let qa = try kith(["quarantine", "list", "--data", fromStdin, "--format", "ndjson"]).stdout
        #expect(qa.split(separator: "\n").count == generated.quarantined + 1)
        #expect(qa.contains("\"file\":\"stdin\""))
    }

    @Test("Listings never show a rejected identifier in full")
    func listingMasksPersonalData() throws {
        let scratch = Scratch()
        let file = scratch.path + "/e.ndjson"
        try
            #"{"event_id":"1","source":"app","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"phone":"1391234567"}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        _ = try kith(["ingest", "--data", scratch.path + "/d", file])
        for format in ["table", "json", "csv"] {
            let list = try kith(["quarantine", "list", "--data", scratch.path + "/d", "--format", format])
            #expect(list.stdout.contains("bad_identifier"))
            #expect(!list.stdout.contains("1391234567"), "\(format)")
        }
    }

    @Test("A second writer gets exit status 2 and a message naming the holder")
    func secondWriter() throws {
        let scratch = Scratch()
        var options = EventLogWriter.Options()
        options.purpose = "kith ingest big.ndjson"
        let holder = try EventLogWriter(directory: scratch.path + "/data/log", options: options)
        let file = scratch.path + "/e.ndjson"
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        let second = try kith(["ingest", "--data", scratch.path + "/data", file])
        #expect(second.status == 2)
        #expect(second.stderr.contains("another writer holds the data directory"))
        #expect(second.stderr.contains("pid \(getpid())"))
        #expect(second.stderr.contains("kith ingest big.ndjson"))
        _ = holder
    }

    @Test("kith demo generates, ingests and matches its ground truth")
    func demo() throws {
        let scratch = Scratch()
        let result = try kith(["demo", "--persons", "200", "--dir", scratch.path + "/demo"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("✓ matches"))
    }
}
