import Foundation
import KithCore
import KithMemory
import KithProjections

#if canImport(FoundationXML)
    import FoundationXML
#endif
import KithTestSupport
import Testing

@testable import KithCLI
import KithEngine

@Suite("kith bench")
struct BenchTests {
    @Test(
        "kith bench identity's workload, projected batch by batch by the real projector, ends where one pass does, for any batch size"
    )
    func identityBenchRunsTheProjector() throws {
        var merges = 0
        var splits = 0
        // Placeholders link member cards. With the evidence guard off, each joins people until the
        // shared-value guard cuts it (splits); with the standard rules it is contested at its
        // second card, before it joins two people (no profile falls apart into two).
        var volumeOnly = Rules.standard
        volumeOnly.evidence = EvidenceRules(names: false, limits: false)
        var standardSplits = 0
        for (seed, batch, rules) in [
            (UInt64(1), 97, volumeOnly), (2, 500, volumeOnly), (3, 1, volumeOnly), (4, 5_000, volumeOnly),
            (5, 97, .standard), (6, 1, .standard),
        ] {
            let events = SyntheticIdentities(
                persons: 400, idsPerPerson: 3, duplication: 0.4, superNodeShare: 0.05, seed: seed
            ).events()
            let log = MemoryEventLog()
            _ = try log.append(try SyntheticIdentities.lines(events))
            let batched = MemoryProjectionStore()
            let projector = try Projector(store: batched, rules: rules)
            projector.onePassLimit = 0
            let summary = try projector.catchUp(with: log, batchSize: batch)
            #expect(summary.events == events.count)
            #expect(projector.linkDecisions >= batched.acceptedLinks)
            if rules == .standard {
                // A profile that only lost the placeholder still counts as split (it lost a
                // value); one that fell into several profiles had joined two people.
                standardSplits += batched.changes.filter { $0.kind == .split && $0.others.count > 1 }.count
            }
            let whole = MemoryProjectionStore()
            _ = try Projector(store: whole, rules: rules).catchUp(with: log)
            #expect(batched.profileOfValue == whole.profileOfValue, "seed \(seed), batch \(batch)")
            #expect(batched.acceptedLinks == whole.acceptedLinks)
            #expect(batched.excludedByStanding == whole.excludedByStanding)
            if batch < 1_000 && rules == volumeOnly {
                merges += summary.merges
                splits += summary.splits
            }
        }
        #expect(merges > 0, "joined duplicates merge")
        #expect(splits > 0, "placeholders that linked people are cut")
        #expect(standardSplits == 0, "contested before they link two people, so no profile falls apart")
    }

    @Test("kith bench writes bench.json, a chart and a table with every measure at each scale")
    func scalesEndToEnd() throws {
        let scratch = Scratch()
        let out = scratch.path + "/bench"
        let run = try kith(["bench", "--scales", "150,600", "--out", out, "--lookups", "50", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/bench.json")))
                as? [String: Any])
        let rows = try #require(report["scales"] as? [[String: Any]])
        #expect(rows.map { $0["persons"] as? Int } == [150, 600])
        for row in rows {
            let events = try #require(row["events"] as? Int)
            #expect(events > (row["persons"] as? Int ?? 0) * 5, "the generator writes ~10 events a person")
            for key in [
                "ingest_events_per_second", "projection_events_per_second", "replay_events_per_second", "bytes_in",
                "peak_rss_bytes", "data_bytes", "lookup_p99_ms", "identity_links_per_second",
            ] {
                #expect((row[key] as? Double ?? 0) > 0, "\(key) at \(row["persons"]!)")
            }
            #expect(row["lookups"] as? Int == 50)
            #expect((row["precision"] as? Double ?? 0) >= 0.99)
            #expect((row["recall"] as? Double ?? 0) >= 0.95)
            #expect((row["lookup_p50_ms"] as? Double ?? 0) <= (row["lookup_p99_ms"] as? Double ?? 0))
        }
        let growth = try #require(report["growth"] as? [[String: Any]])
        #expect(growth.contains { $0["step"] as? String == "ingest" && ($0["events_factor"] as? Double ?? 0) > 3 })
        let svg = try String(contentsOfFile: out + "/bench.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.contains("peak memory"))
        #expect(XMLParser(data: Data(svg.utf8)).parse(), "the chart is well-formed XML")
        #expect(!FileManager.default.fileExists(atPath: out + "/persons-150"), "working data is removed without --keep")
    }
}
