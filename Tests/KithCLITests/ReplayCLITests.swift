import Foundation
import KithDirectory
import KithGenerator
import KithTestSupport
import Testing

@Suite("kith rfm, lifecycle and replay from the command line")
struct ReplayCLITests {
    static let strictRules = """
        shared_value_threshold: 2
        identifiers:
          phone: {links: true, limit: 1, priority: 3}
          email: {links: false, limit: 3, priority: 3}
        rfm:
          thresholds: median
        lifecycle:
          at_risk_days: 90
          churned_days: 365
        """

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test(
        "rfm, export, segment list and lifecycle agree; replay with the same rules and as_of is byte-identical; dry run swaps nothing"
    )
    func replayEndToEnd() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 400, seed: 31).write(to: exports)
        let data = scratch.path + "/data"
        #expect(try kith(["ingest", "--data", data] + generated.files.map { exports + "/" + $0 }).status == 0)
        let refresh = try kith(["rfm", "refresh", "--data", data, "--as-of", "2026-06-30", "--format", "json"])
        #expect(refresh.status == 0, "\(refresh.stderr)")
        let view = try json(refresh.stdout)
        #expect(view["pinned"] as? Bool == true)
        let summary = try #require(view["summary"] as? [String: Any])
        let scored = try #require(summary["scored"] as? Int)
        #expect(scored > 50)

        // The export lists every scored profile once; segment list agrees with the counts.
        let export = try kith(["rfm", "export", "--data", data]).stdout.split(separator: "\n")
        #expect(export.first == "profile_id,recency_days,frequency,monetary,r_score,f_score,m_score,segment,stage")
        #expect(export.count - 1 == scored)
        let segments = try #require(summary["segments"] as? [[String: Any]])
        let value = try #require(segments.first { $0["segment"] as? String == "important_value" }?["count"] as? Int)
        let listed = try kith(["segment", "list", "important_value", "--data", data, "--format", "csv"]).stdout
        #expect(listed.split(separator: "\n").count - 1 == value)
        #expect(export.filter { $0.contains(",important_value,") }.count == value)
        let bad = try kith(["segment", "list", "vip", "--data", data])
        #expect(bad.status != 0 && bad.stderr.contains("'vip' is not a segment"))
        let funnel = try json(try kith(["lifecycle", "--data", data, "--format", "json"]).stdout)
        let stages = try #require(funnel["stages"] as? [String: Int])
        #expect(stages.values.reduce(0, +) == summary["profiles"] as? Int)
        #expect(try kith(["rfm", "--data", data, "--lang", "en"]).stdout.contains("important win-back"))

        // An ingest afterwards keeps the pinned as_of.
        let before = try kith(["rfm", "export", "--data", data]).stdout
        #expect(try kith(["project", "--data", data]).status == 0)
        #expect(try kith(["rfm", "export", "--data", data]).stdout == before)

        // Replaying with the same rules and as_of gives byte-identical exports.
        let profilesBefore = try kith(["profiles", "export", "--data", data]).stdout
        let same = try kith(["replay", "--data", data, "--as-of", "2026-06-30", "--format", "json"])
        #expect(same.status == 0, "\(same.stderr)")
        let sameReport = try json(same.stdout)
        let sameImpact = try #require(sameReport["impact"] as? [String: Any])
        #expect(sameImpact["merged"] as? Int == 0 && sameImpact["split"] as? Int == 0)
        #expect(try kith(["rfm", "export", "--data", data]).stdout == before)
        #expect(try kith(["profiles", "export", "--data", data]).stdout == profilesBefore)
        #expect(FileManager.default.fileExists(atPath: data + "/projections.current"))

        // A dry run under stricter rules reports the impact and leaves the store alone.
        let rulesFile = scratch.path + "/strict.yaml"
        try Self.strictRules.write(toFile: rulesFile, atomically: true, encoding: .utf8)
        let dry = try kith(["replay", "--data", data, "--rules", rulesFile, "--dry-run", "--format", "json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let impact = try #require(try json(dry.stdout)["impact"] as? [String: Any])
        #expect((impact["split"] as? Int ?? 0) > 0)
        let transitions = try #require(impact["segment_transitions"] as? [[String: Any]])
        let fromScored = transitions.filter {
            ($0["from"] as? String).map { !["absent", "prospect"].contains($0) } ?? false
        }
        #expect(fromScored.compactMap { $0["count"] as? Int }.reduce(0, +) == scored)
        #expect(try kith(["rfm", "export", "--data", data]).stdout == before)
        let shown = try kith(["rules", "show", "--data", data, "--rules", rulesFile])
        #expect(shown.stdout.contains("the rules file in force now differs"))

        // Applying them swaps the store and makes the file the rules in force.
        let apply = try kith(["replay", "--data", data, "--rules", rulesFile])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(FileManager.default.fileExists(atPath: data + "/rules.yaml"))
        #expect(try kith(["rfm", "export", "--data", data]).stdout != before)
        let after = try kith(["rules", "show", "--data", data, "--format", "json"])
        #expect(try json(after.stdout)["file_matches"] as? Bool == true)
        let funnelAfter = try json(try kith(["lifecycle", "--data", data, "--format", "json"]).stdout)
        #expect((funnelAfter["rules"] as? [String: Any])?["churned_days"] as? Int == 365)
        // Later ingests project under the adopted rules without complaint.
        #expect(try kith(["project", "--data", data]).status == 0)
    }

    /// 600 generated people ingested and projected (RFM as of 2026-06-30) in `scratch/data`,
    /// and the strict rules written beside it, for the replay crash tests.
    static func projectedWithStrictRules(seed: UInt64, in scratch: Scratch) throws -> (data: String, rulesFile: String)
    {
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 600, seed: seed).write(to: exports)
        let data = scratch.path + "/data"
        #expect(try kith(["ingest", "--data", data] + generated.files.map { exports + "/" + $0 }).status == 0)
        #expect(try kith(["rfm", "refresh", "--data", data, "--as-of", "2026-06-30"]).status == 0)
        let rulesFile = scratch.path + "/strict.yaml"
        try strictRules.write(toFile: rulesFile, atomically: true, encoding: .utf8)
        return (data, rulesFile)
    }

    @Test(
        "A replay killed after each of its shadow commits in turn leaves reads on the old store, and resumes to a fresh replay's result"
    )
    func killedReplay() throws {
        let scratch = Scratch()
        let (data, rulesFile) = try Self.projectedWithStrictRules(seed: 17, in: scratch)
        let before = try kith(["profiles", "export", "--data", data]).stdout
        let fresh = scratch.path + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/log", toPath: fresh + "/log")
        try shareInstallationSecret(from: data, to: fresh)
        let rebuilt = try kith(["replay", "--data", fresh, "--rules", rulesFile, "--as-of", "2026-06-30"])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        let expected = try kith(["profiles", "export", "--data", fresh]).stdout
        let expectedRFM = try kith(["rfm", "export", "--data", fresh]).stdout
        var n = 1
        while true {
            let copy = scratch.path + "/commit-\(n)"
            try FileManager.default.copyItem(atPath: data, toPath: copy)
            let run = try kith(
                ["replay", "--data", copy, "--rules", rulesFile, "--batch-size", "1500"],
                environment: ["KITH_KILL_AT": "commit:\(n)"])
            guard run.killed else {
                #expect(run.status == 0, "\(run.stderr)")
                break
            }
            // Reads keep answering from the old store, unchanged.
            #expect(
                try kith(["profiles", "export", "--data", copy]).stdout == before, "killed after shadow commit \(n)")
            let resumed = try kith(["replay", "--data", copy, "--rules", rulesFile, "--format", "json"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(
                try kith(["profiles", "export", "--data", copy]).stdout == expected, "resumed after shadow commit \(n)")
            #expect(
                try kith(["rfm", "export", "--data", copy]).stdout == expectedRFM, "resumed after shadow commit \(n)")
            try FileManager.default.removeItem(atPath: copy)
            n += 1
        }
        #expect(n >= 4, "the replay should have committed several batches (\(n - 1) kills)")
    }

    /// Issue 19: a kill at a known point. `KITH_KILL_AT=rename:1` kills the replay just after
    /// it publishes the new generation, before it adopts the rules and cleans up.
    @Test("A replay killed right after its swap: reads see the new store whole, and running it again finishes the job")
    func replayKilledAfterSwap() throws {
        let scratch = Scratch()
        let (data, rulesFile) = try Self.projectedWithStrictRules(seed: 23, in: scratch)
        let killed = try kith(
            ["replay", "--data", data, "--rules", rulesFile], environment: ["KITH_KILL_AT": "rename:1"])
        #expect(killed.killed && killed.status == SIGKILL, "the replay should die at its swap: \(killed.stderr)")

        // The reference: the same log replayed under the same rules, uninterrupted.
        let fresh = scratch.path + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/log", toPath: fresh + "/log")
        try shareInstallationSecret(from: data, to: fresh)
        #expect(try kith(["replay", "--data", fresh, "--rules", rulesFile, "--as-of", "2026-06-30"]).status == 0)
        let reference = try kith(["profiles", "export", "--data", fresh]).stdout
        #expect(!reference.isEmpty)

        // Reads already see the new generation, whole.
        #expect(try kith(["profiles", "export", "--data", data]).stdout == reference)
        // Running the replay again completes it: the rules are adopted, later work projects.
        let again = try kith(["replay", "--data", data, "--rules", rulesFile])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try kith(["profiles", "export", "--data", data]).stdout == reference)
        let shown = try kith(["rules", "show", "--data", data, "--format", "json"])
        #expect(try json(shown.stdout)["file_matches"] as? Bool == true)
        #expect(try kith(["project", "--data", data]).status == 0)
    }
}
