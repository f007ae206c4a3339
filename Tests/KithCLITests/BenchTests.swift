import Foundation
import KithCore

#if canImport(FoundationXML)
import FoundationXML
#endif
import KithTestSupport
import Testing

@testable import KithCLI

@Suite("kith bench")
struct BenchTests {
    @Test("Identity resolved batch by batch ends where resolving the whole graph at once does, for any batch size")
    func identityEngineMatchesWholeResolution() {
        var merges = 0
        var splits = 0
        // Placeholders link member cards. With the evidence guard off, each joins people until the
        // shared-value guard cuts it (splits); with the standard rules it is contested at its
        // second card, before it joins two people (no splits).
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
            var engine = IdentityEngine(rules: rules)
            for chunk in stride(from: 0, to: events.count, by: batch) {
                engine.apply(events[chunk..<min(events.count, chunk + batch)])
            }
            if rules == .standard { standardSplits += engine.splits }
            let whole = IdentityResolver(rules: rules).resolveAll(engine.graph)
            var expected: [IdentityGraph.Node: IdentityGraph.Node] = [:]
            for component in whole.components { for n in component { expected[n] = component[0] } }
            #expect(engine.profileOfValue == expected, "seed \(seed), batch \(batch)")
            #expect(engine.links == whole.accepted.count)
            if batch < 1_000 && rules == volumeOnly {
                merges += engine.merges
                splits += engine.splits
            }
        }
        #expect(merges > 0, "joined duplicates merge")
        #expect(splits > 0, "placeholders that linked people are cut")
        #expect(standardSplits == 0, "contested before they link two people")
    }

    @Test("kith bench writes bench.json, a chart and a table with every measure at each scale")
    func scalesEndToEnd() throws {
        let scratch = Scratch()
        let out = scratch.path + "/bench"
        let run = try kith(["bench", "--scales", "150,600", "--out", out, "--lookups", "50", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/bench.json"))) as? [String: Any])
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
