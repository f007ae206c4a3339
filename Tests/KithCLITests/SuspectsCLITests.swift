import Foundation
import KithCore
import KithDirectory
import KithGenerator
import KithTestSupport
import Testing

@testable import KithCLI

@Suite("kith identity suspects")
struct SuspectsCLITests {
    struct Trap: Decodable {
        var value: String
        var trap: String
    }

    struct Suspect: Decodable {
        var value: String
        var standing: String
        var profiles: Int
        var joins_parts: Int
    }

    @Test(
        "Lists every junk trap with what stopped it; with the guards off, lists the junk nothing stopped; CSV is safe")
    func reviewQueue() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 800, seed: 4).write(to: exports)
        let data = scratch.path + "/data"
        #expect(try kith(["ingest", "--data", data] + generated.files.map { exports + "/" + $0 }).status == 0)
        let traps = try JSONDecoder().decode(
            [Trap].self, from: Data(contentsOf: URL(fileURLWithPath: exports + "/truth/junk.json")))
        #expect(traps.count >= 3)

        // Given the standard rules, every trap is listed, stopped by what its class says.
        let listed = try kith(["identity", "suspects", "--data", data, "--limit", "1000", "--format", "json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let suspects = try JSONDecoder().decode([Suspect].self, from: Data(listed.stdout.utf8))
        for trap in traps {
            let s = suspects.first { $0.value == trap.value }
            #expect(
                s?.standing.hasPrefix(trap.trap == "pattern" ? "never_link: " : "contested: ") == true, "\(trap.value)")
        }
        // Nothing is left that no guard stopped.
        let unstopped = try kith(["identity", "suspects", "--data", data, "--unstopped"])
        #expect(unstopped.stdout == "no suspects\n", "\(unstopped.stdout)")

        // When the guards are off, the junk that now links is what the queue puts first.
        let rules = scratch.path + "/volume-only.yaml"
        try "never_link: []\nevidence: {names: false, limits: false}\n".write(
            toFile: rules, atomically: true, encoding: .utf8)
        #expect(try kith(["project", "--data", data, "--rules", rules, "--rebuild"]).status == 0)
        let off = try kith([
            "identity", "suspects", "--data", data, "--rules", rules, "--unstopped", "--format", "ndjson",
        ])
        let offList = try off.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(Suspect.self, from: Data($0.utf8))
        }
        // Junk: the traps, and the store landlines cashiers type beside member cards.
        let landlines = try JSONDecoder().decode(
            [String].self, from: Data(contentsOf: URL(fileURLWithPath: exports + "/truth/placeholders.json")))
        let junk = Set(traps.map(\.value)).union(landlines)
        #expect(offList.allSatisfy { $0.standing == "links" })
        let first = try #require(offList.first)
        #expect(junk.contains(first.value), "the top suspect is junk: \(first)")
        // Every trap that now sits in a profile is in the queue.
        let score = try kith([
            "identity", "score", "--data", data, "--truth", exports + "/truth/persons.ndjson", "--junk",
            exports + "/truth/junk.json", "--format", "json",
        ])
        let linked =
            try #require(
                try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as? [String: Any])["junk_linked"]
            as? Int
        #expect(linked ?? 0 >= 1, "with the guards off some trap links people")
        #expect(offList.filter { Set(traps.map(\.value)).contains($0.value) }.count >= linked ?? 0)

        // CSV: the header, and every row has its nine columns.
        let csv = try kith(["identity", "suspects", "--data", data, "--format", "csv", "--limit", "5"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(
            lines.first
                == "kind,value,standing,events,partners,conflicting_partners,own_names_differ,profiles,joins_parts")
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 9 })
    }

    @Test(
        "CSV cells are quoted per RFC 4180 and never run as a formula; phone numbers stay numbers",
        arguments: [
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""), ("@SUM(A1)", "'@SUM(A1)"), ("+cmd|x", "'+cmd|x"),
            ("-x", "'-x"), ("+8613800138000", "+8613800138000"), ("-1", "-1"), ("a,b", "\"a,b\""),
            ("li\nwei", "\"li\nwei\""), ("plain", "plain"),
        ])
    func csvField(raw: String, cell: String) {
        #expect(CSVCell.escape(raw) == cell)
    }

    @Test("kith audit list --format csv: a key name with a comma, a newline or a formula stays one escaped cell")
    func auditCSVIsEscaped() throws {
        // Given audit records whose key names try to forge a row and plant a formula
        let scratch = Scratch()
        let audit = try AuditLog(DataDirectory(scratch.path + "/data"))
        try audit.append(
            .init(
                at: "2026-11-26T10:00:00Z", key: "ops,\nforged,row", keyID: "k1", route: "/v1/profiles/:id",
                profile: "p1", status: 200))
        try audit.append(
            .init(
                at: "2026-11-26T10:00:01Z", key: "=HYPERLINK(\"http://x\")", keyID: "k2", route: "/v1/profiles/:id",
                profile: "p2", status: 200))
        // When they are listed as CSV
        let run = try kith(["audit", "list", "--data", scratch.path + "/data", "--format", "csv"])
        #expect(run.status == 0, "\(run.stderr)")
        // Then each record is one row of six cells, the comma and newline quoted, the formula neutralised
        #expect(run.stdout.contains("\"ops,\nforged,row\""))
        #expect(run.stdout.contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
        #expect(!run.stdout.contains(",=HYPERLINK"))
    }
}
