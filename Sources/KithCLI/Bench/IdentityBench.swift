import ArgumentParser
import Foundation
import KithCore
import KithGenerator

/// `kith bench identity`: identity resolution alone (graph, closure, resolution, merge and
/// split bookkeeping, as the projector runs them batch by batch), on a synthetic identifier
/// graph whose shape the user controls. No log, no store: what is left is the algorithm.
struct IdentityBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Benchmark identity resolution on a synthetic graph: links/s, merges/s, splits/s, memory per identifier.")

    @Option(help: "People in the synthetic graph.") var persons = 100_000
    @Option(help: "Identifier values per person (1–6: phone, email, member_id, unionid, openid, device).")
    var idsPerPerson = 3
    @Option(help: "Share of people whose values first arrive on separate events and are joined later (0–1): each is a merge.")
    var duplication = 0.3
    @Option(help: "Share of events that also carry one of a few placeholder phones (0–1): super-nodes that must be cut.")
    var superNodeShare = 0.002
    @Option(help: "Events per batch (the projector's unit of work; merges and splits are counted between batches).")
    var batchSize = 10_000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "table or json") var format: OutputFormat = .table

    func validate() throws {
        guard persons >= 10 else { throw ValidationError("--persons must be at least 10") }
        guard (1...6).contains(idsPerPerson) else { throw ValidationError("--ids-per-person must be 1–6") }
        guard (0...1).contains(duplication), (0...1).contains(superNodeShare) else {
            throw ValidationError("--duplication and --super-node-share are shares between 0 and 1")
        }
    }

    struct Result: Codable {
        var persons: Int
        var events: Int
        var identifierValues: Int
        var edges: Int
        var links: Int
        var merges: Int
        var splits: Int
        var profiles: Int
        var sharedValues: Int
        var seconds: Double
        var eventsPerSecond: Double
        var linksPerSecond: Double
        var mergesPerSecond: Double
        var splitsPerSecond: Double
        var bytesPerIdentifier: Double

        enum CodingKeys: String, CodingKey {
            case persons, events, edges, links, merges, splits, profiles, seconds
            case identifierValues = "identifier_values"
            case sharedValues = "shared_values"
            case eventsPerSecond = "events_per_second"
            case linksPerSecond = "links_per_second"
            case mergesPerSecond = "merges_per_second"
            case splitsPerSecond = "splits_per_second"
            case bytesPerIdentifier = "bytes_per_identifier"
        }
    }

    func run() throws {
        let events = SyntheticIdentities(
            persons: persons, idsPerPerson: idsPerPerson, duplication: duplication, superNodeShare: superNodeShare,
            seed: seed
        ).events()
        let residentBefore = Self.residentBytes()
        let clock = ContinuousClock()
        let start = clock.now
        var engine = IdentityEngine(rules: .standard)
        for chunk in stride(from: 0, to: events.count, by: max(1, batchSize)) {
            engine.apply(events[chunk..<min(events.count, chunk + batchSize)])
        }
        let d = clock.now - start
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        let resident = max(0, Self.residentBytes() - residentBefore)
        let r = Result(
            persons: persons, events: events.count, identifierValues: engine.graph.nodeCount, edges: engine.graph.edgeCount,
            links: engine.links, merges: engine.merges, splits: engine.splits, profiles: engine.profiles,
            sharedValues: engine.shared, seconds: seconds, eventsPerSecond: Double(events.count) / seconds,
            linksPerSecond: Double(engine.linkDecisions) / seconds, mergesPerSecond: Double(engine.merges) / seconds,
            splitsPerSecond: Double(engine.splits) / seconds,
            bytesPerIdentifier: Double(resident) / Double(max(1, engine.graph.nodeCount)))
        if format == .json {
            try Out.json(r)
        } else {
            Out.print(
                """
                \(r.persons.grouped) persons, \(r.events.grouped) events, \(r.identifierValues.grouped) identifier values, \(r.edges.grouped) edges
                \(r.profiles.grouped) profiles, \(r.links.grouped) accepted links, \(r.merges.grouped) merges, \(r.splits.grouped) splits, \(r.sharedValues) shared values
                \(String(format: "%.2f", r.seconds)) s: \(Int(r.eventsPerSecond).grouped) events/s, \(Int(r.linksPerSecond).grouped) link decisions/s, \
                \(Int(r.mergesPerSecond).grouped) merges/s, \(Int(r.splitsPerSecond).grouped) splits/s
                memory: \(Int(r.bytesPerIdentifier).grouped) bytes per identifier value (resident growth)
                """)
        }
        Out.flush()
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}

/// People with identifier values, emitted as events: whole (all values together), or for
/// duplicated people each value alone first and joined later, some with a placeholder phone.
struct SyntheticIdentities {
    var persons: Int
    var idsPerPerson: Int
    var duplication: Double
    var superNodeShare: Double
    var seed: UInt64

    static let kinds: [IdentifierKind] = [.phone, .email, .memberID, .wechatUnionID, .wechatOpenID, .deviceID]
    func events() -> [[Identifier]] {
        var rng = SplitMix64(seed: seed)
        var early: [[Identifier]] = []
        var late: [[Identifier]] = []
        var carriers: [Identifier] = []
        for p in 0..<persons {
            let values = (0..<idsPerPerson).map { k -> Identifier in
                let kind = Self.kinds[k]
                switch kind {
                case .phone: return Identifier(kind, "+86139" + String(format: "%08d", p))
                case .email: return Identifier(kind, "p\(p)@mail.com")
                default: return Identifier(kind, "\(kind.rawValue)-\(p)")
                }
            }
            if rng.chance(duplication) {
                for v in values { early.append([v]) }
                late.append(values)
            } else {
                early.append(values)
            }
            if rng.chance(superNodeShare * Double(idsPerPerson)) { carriers.append(values[values.count - 1]) }
        }
        early.shuffle(using: &rng)
        late.shuffle(using: &rng)
        // Placeholders are picked up a few people at a time across the whole stream (about 20
        // people each), so each links people for a while before it is seen to be shared and cut.
        let placeholders = (0..<max(1, carriers.count / 20)).map { Identifier(.phone, "+86138000" + String(format: "%05d", $0)) }
        let ordinary = early + late
        let gap = max(1, ordinary.count / max(1, carriers.count))
        var stream: [[Identifier]] = []
        stream.reserveCapacity(ordinary.count + carriers.count)
        var next = 0
        for (i, event) in ordinary.enumerated() {
            if i % gap == 0 && next < carriers.count {
                stream.append([carriers[next], placeholders[next % placeholders.count]])
                next += 1
            }
            stream.append(event)
        }
        for i in next..<carriers.count { stream.append([carriers[i], placeholders[i % placeholders.count]]) }
        return stream
    }
}
