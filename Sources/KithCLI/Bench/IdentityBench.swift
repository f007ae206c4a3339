import ArgumentParser
import Foundation
import KithCore
import KithEngine

/// `kith bench identity`: parses the workload's shape, runs `IdentityBenchmark` (the real
/// projector over the in-memory adapters) and formats what it measured.
struct IdentityBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract:
            "Benchmark identity resolution on a synthetic graph: links/s, merges/s, splits/s, memory per identifier.")

    @Option(help: "People in the synthetic graph.") var persons = 100_000
    @Option(help: "Identifier values per person (1–6: phone, email, member_id, unionid, openid, device).")
    var idsPerPerson = 3
    @Option(
        help:
            "Share of people whose values first arrive on separate events and are joined later (0–1): each is a merge.")
    var duplication = 0.3
    @Option(
        help: "Share of events that also carry one of a few placeholder phones (0–1): super-nodes that must be cut.")
    var superNodeShare = 0.002
    @Option(help: "Events per batch (the projector's unit of work; merges and splits are counted between batches).")
    var batchSize = 10_000
    @Flag(help: "Project the whole log in one pass, as a rebuild does, instead of in batches.") var onePass = false
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "table or json") var format: OutputFormat = .table

    func validate() throws {
        guard persons >= 10 else { throw ValidationError("--persons must be at least 10") }
        guard (1...6).contains(idsPerPerson) else { throw ValidationError("--ids-per-person must be 1–6") }
        guard (0...1).contains(duplication), (0...1).contains(superNodeShare) else {
            throw ValidationError("--duplication and --super-node-share are shares between 0 and 1")
        }
    }

    func run() throws {
        let r = try IdentityBenchmark(
            workload: SyntheticIdentities(
                persons: persons, idsPerPerson: idsPerPerson, duplication: duplication, superNodeShare: superNodeShare,
                seed: seed),
            batchSize: onePass ? nil : batchSize
        ).run()
        if format == .json {
            try Out.json(r)
        } else {
            Out.print(
                """
                \(r.persons.grouped) persons, \(r.events.grouped) events, \(r.identifierValues.grouped) identifier values, \(r.edges.grouped) edges
                \(r.profiles.grouped) profiles, \(r.links.grouped) accepted links, \(r.merges.grouped) merges, \(r.splits.grouped) splits, \(r.sharedValues) shared values
                \(String(format: "%.2f", r.seconds)) s (\(onePass ? "one pass" : "batches of \(batchSize.grouped)")): \(Int(r.eventsPerSecond).grouped) events/s, \(Int(r.linksPerSecond).grouped) link decisions/s, \
                \(Int(r.mergesPerSecond).grouped) merges/s, \(Int(r.splitsPerSecond).grouped) splits/s
                resolver alone: \(String(format: "%.2f", r.resolvingSeconds)) s, \(Int(r.resolvingLinksPerSecond).grouped) link decisions/s (the rest reads events, folds statistics and writes rows)
                memory: \(Int(r.bytesPerIdentifier).grouped) bytes per identifier value (resident growth, the store's included)
                """)
        }
        Out.flush()
    }
}
