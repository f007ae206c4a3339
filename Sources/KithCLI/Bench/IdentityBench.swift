import ArgumentParser
import Foundation
import KithCore
import KithGenerator
import KithMemory
import KithProjections

/// `kith bench identity`: the projector itself (decoding, graph, closure, resolution, guards,
/// merge and split bookkeeping, statistics), on a synthetic identifier graph whose shape the
/// user controls, over the in-memory reference log and store. No disk, no SQL: what is timed is
/// the code `kith project` runs, not a copy of it.
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
        let log = MemoryEventLog()
        _ = try log.append(try SyntheticIdentities.lines(events))
        let residentBefore = Self.residentBytes()
        let store = MemoryProjectionStore()
        let projector = try Projector(store: store, rules: .standard)
        if !onePass { projector.onePassLimit = 0 }
        let summary = try projector.catchUp(with: log, batchSize: onePass ? nil : max(1, batchSize))
        let seconds = summary.seconds
        let resident = max(0, Self.residentBytes() - residentBefore)
        let excluded = store.excludedByStanding
        let r = Result(
            persons: persons, events: events.count, identifierValues: store.valueCount,
            edges: store.edgeCount,
            links: store.acceptedLinks, merges: summary.merges, splits: summary.splits,
            profiles: Set(store.profileOfValue.values).count,
            sharedValues: excluded["shared", default: 0], seconds: seconds,
            eventsPerSecond: Double(events.count) / seconds,
            linksPerSecond: Double(projector.linkDecisions) / seconds,
            mergesPerSecond: Double(summary.merges) / seconds,
            splitsPerSecond: Double(summary.splits) / seconds,
            bytesPerIdentifier: Double(resident) / Double(max(1, store.valueCount)))
        if format == .json {
            try Out.json(r)
        } else {
            Out.print(
                """
                \(r.persons.grouped) persons, \(r.events.grouped) events, \(r.identifierValues.grouped) identifier values, \(r.edges.grouped) edges
                \(r.profiles.grouped) profiles, \(r.links.grouped) accepted links, \(r.merges.grouped) merges, \(r.splits.grouped) splits, \(r.sharedValues) shared values
                \(String(format: "%.2f", r.seconds)) s (\(onePass ? "one pass" : "batches of \(batchSize.grouped)")): \(Int(r.eventsPerSecond).grouped) events/s, \(Int(r.linksPerSecond).grouped) link decisions/s, \
                \(Int(r.mergesPerSecond).grouped) merges/s, \(Int(r.splitsPerSecond).grouped) splits/s
                memory: \(Int(r.bytesPerIdentifier).grouped) bytes per identifier value (resident growth, the store's included)
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
        let placeholders = (0..<max(1, carriers.count / 20)).map {
            Identifier(.phone, "+86138000" + String(format: "%05d", $0))
        }
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

    /// The events as contract lines, through the real parser, ready for a log.
    static func lines(_ events: [[Identifier]]) throws -> EncodedLines {
        var encoded = EncodedLines()
        let parser = EventLineParser()
        for (i, identifiers) in events.enumerated() {
            let fields = Dictionary(grouping: identifiers, by: \.kind).sorted { $0.key.rawValue < $1.key.rawValue }.map
            {
                kind, values in
                let texts = values.map { "\"\($0.value)\"" }
                return "\"\(kind.rawValue)\":"
                    + (texts.count == 1 ? texts[0] : "[" + texts.joined(separator: ",") + "]")
            }
            let second = i % 86_400
            let time = String(
                format: "2026-03-%02dT%02d:%02d:%02dZ", 1 + i / 86_400 % 28, second / 3600, second / 60 % 60,
                second % 60)
            let line =
                #"{"event_id":"b\#(i)","source":"bench","type":"behaviour","name":"app_open","occurred_at":"\#(time)","identifiers":{\#(fields.joined(separator: ","))}}"#
            let bytes = Array(line.utf8)
            let parsed = try bytes.withUnsafeBufferPointer { try parser.parse($0, appendingTo: &encoded.bytes).get() }
            encoded.endLine(key: parsed.key)
        }
        return encoded
    }
}
