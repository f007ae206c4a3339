import Foundation
import KithCore
import KithGenerator
import KithMemory
import KithProjections
import Testing

/// One `ProjectionStore` adapter as the contract sees it: a fresh place for a store, opened
/// (again, as a restarted process would) on demand.
public struct ProjectionStoreAdapter: Sendable, CustomTestStringConvertible {
    public let name: String
    public let makePlace: @Sendable () throws -> any ProjectionStorePlace

    public init(name: String, makePlace: @escaping @Sendable () throws -> any ProjectionStorePlace) {
        self.name = name
        self.makePlace = makePlace
    }

    public var testDescription: String { name }
}

/// Where one adapter keeps one store.
public protocol ProjectionStorePlace: AnyObject {
    /// Opens the store kept here: what a restarted process would see.
    func open() throws -> any ProfileStore
}

/// The promises of `ProjectionStore` (the projector's write side), checked the same way for
/// every adapter, with the in-memory reference as the oracle: what the projector reads back
/// through the port must be what it wrote, however the writes were batched.
public enum ProjectionStoreContract {
    public typealias Node = IdentityGraph.Node

    /// Everything the port lets the projector read back, in a comparable form.
    public struct PortView: Equatable, CustomStringConvertible {
        var checkpoint: UInt64 = 0
        var rulesHash: String?
        var lastLine: EventKey?
        var nodes: [Node: IdentityGraph.NodeInfo] = [:]
        var edges: [String] = []
        var links: [UInt64] = []
        var refused: [String] = []
        var membership: [String] = []
        var excluded: [String] = []
        var stats: [Node: NodeStats] = [:]
        var seen: [Node: NodeSeen] = [:]
        var rfm: [Node: RFMRaw] = [:]
        var profiles: Set<String> = []

        public var description: String {
            "checkpoint \(checkpoint), \(nodes.count) values, \(edges.count) edges, \(links.count) links, "
                + "\(refused.count) refused, \(membership.count) members, \(excluded.count) excluded, "
                + "\(profiles.count) profiles"
        }

        /// Names the first part that differs, for a failure message.
        func difference(from other: PortView) -> String {
            let parts: [(String, Bool)] = [
                (
                    "checkpoint",
                    checkpoint == other.checkpoint && rulesHash == other.rulesHash
                        && lastLine == other.lastLine
                ),
                ("values", nodes == other.nodes), ("edges", edges == other.edges), ("links", links == other.links),
                ("refused links", refused == other.refused), ("membership", membership == other.membership),
                ("standings", excluded == other.excluded), ("statistics", stats == other.stats),
                ("seen", seen == other.seen), ("RFM inputs", rfm == other.rfm),
                ("profile ids", profiles == other.profiles),
            ]
            return parts.filter { !$0.1 }.map(\.0).joined(separator: ", ")
        }
    }

    /// Reads back everything through the port.
    public static func view(of store: any ProjectionStore, profileIDs candidates: Set<String> = []) throws -> PortView {
        let state = try store.openingState()
        var view = PortView()
        view.checkpoint = state.checkpoint
        view.rulesHash = state.rulesHash
        view.lastLine = state.lastLine
        let all = (0..<state.storedNodes).map { Node($0) }
        view.nodes = try store.nodes(all)
        let around = try store.neighbourhood(of: all)
        // An adapter may hand an edge out once per end it matched: compare sets.
        view.edges = Set(
            around.edges.map { "\(min($0.a, $0.b))-\(max($0.a, $0.b)):\($0.info.count)@\($0.info.firstEvidence)" }
        )
        .sorted()
        view.links = Set(around.links).sorted()
        view.refused = Set(around.refused.map { "\($0.edge):\($0.rule)" }).sorted()
        view.membership = Set(around.membership.map { "\($0.node):\($0.profile)" }).sorted()
        view.excluded = Set(around.excluded.map { "\($0.node):\($0.standing)" }).sorted()
        view.stats = try store.stats(of: all)
        view.seen = try store.seen(of: all)
        view.rfm = try store.rfmRaw(of: all)
        let named = Set(around.membership.map(\.profile)).union(candidates)
        view.profiles = try store.storedProfileIDs(among: Array(named))
        return view
    }

    /// A log whose people merge (values arriving apart, then together), share placeholder
    /// values, split (a shared kiosk), buy, refund and carry names: every kind of row the port
    /// stores.
    public static func log(persons: Int, seed: UInt64) throws -> MemoryEventLog {
        var rng = SplitMix64(seed: seed)
        var lines: [String] = []
        var i = 0
        func line(_ ids: [String], type: String = "behaviour", name: String = "app_open", extra: String = "") {
            let second = i % 86_400
            let time = String(
                format: "2026-0%d-%02dT%02d:%02d:%02dZ", 1 + i / 2_000 % 9, 1 + i / 86_400 % 28, second / 3600,
                second / 60 % 60, second % 60)
            lines.append(
                #"{"event_id":"c\#(i)","source":"app","type":"\#(type)","name":"\#(name)","occurred_at":"\#(time)","identifiers":{\#(ids.joined(separator: ","))}\#(extra)}"#
            )
            i += 1
        }
        // People whose values arrive apart are joined a few people later, often in a later
        // batch: the two profiles merge and the younger id lives on as an alias.
        var joins: [[String]] = []
        for p in 0..<persons {
            if p % 8 == 0 {
                for ids in joins { line(ids) }
                joins = []
            }
            let phone = #""phone":"+86139\#(String(format: "%08d", p))""#
            let email = #""email":"p\#(p)@mail.com""#
            let member = #""member_id":"m\#(p)""#
            if rng.chance(0.4) {
                line([phone])
                line([email], extra: #","traits":{"name":"Person \#(p)"}"#)
                joins.append([phone, email])
            } else {
                line([phone, email, member], extra: #","traits":{"name":"Person \#(p)"}"#)
            }
            if rng.chance(0.05) { line([member, #""phone":"+8613800000000""#]) }
            // A shop's kiosk, seen with one shopper's email after another: it links the first
            // few, then turns out to be shared, and the profile it held together splits.
            if p % 20 == 7 { line([#""device_id":"kiosk-1""#, #""email":"kiosk\#(p)@mail.com""#]) }
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                line(
                    [rng.chance(0.5) ? phone : email], type: "transaction", name: "order_completed",
                    extra: #","properties":{"amount":"\#(Int.random(in: 1...900, using: &rng)).50","currency":"CNY"}"#)
            }
            if rng.chance(0.1) {
                line(
                    [email], type: "transaction", name: "refund",
                    extra: #","properties":{"amount":"10.00","currency":"CNY"}"#)
            }
        }
        for ids in joins { line(ids) }
        let log = MemoryEventLog()
        var encoded = EncodedLines()
        let parser = EventLineParser()
        for text in lines {
            let bytes = Array(text.utf8)
            let parsed = try bytes.withUnsafeBufferPointer { try parser.parse($0, appendingTo: &encoded.bytes).get() }
            encoded.endLine(key: parsed.key)
        }
        _ = try log.append(encoded)
        return log
    }

    /// Batch by batch (with the store reopened between catch-ups) or in one pass, the store
    /// reads back the same; and it reads back what the reference store does.
    public static func batchesAndOnePassAgreeWithTheReference(_ adapter: ProjectionStoreAdapter) throws {
        var volumeOnly = Rules.standard
        volumeOnly.evidence = EvidenceRules(names: false, limits: false)
        for (seed, batch, rules) in [(UInt64(1), 37, volumeOnly), (2, 200, Rules.standard), (3, 1, Rules.standard)] {
            let log = try log(persons: seed == 3 ? 60 : 300, seed: seed)
            let reference = MemoryProjectionStore()
            _ = try Projector(store: reference, rules: rules).catchUp(with: log)
            let expected = try view(of: reference)
            #expect(expected.checkpoint == log.endPosition)

            let onePass = try adapter.makePlace()
            _ = try Projector(store: try onePass.open(), rules: rules).catchUp(with: log)
            let whole = try view(of: try onePass.open())
            #expect(whole == expected, "one pass differs from the reference in \(whole.difference(from: expected))")

            let batched = try adapter.makePlace()
            var position: UInt64 = 0
            while position < log.endPosition {
                // A new projector over a reopened store for each catch-up, as separate runs.
                let projector = try Projector(store: try batched.open(), rules: rules)
                projector.onePassLimit = 0
                let summary = try projector.catchUp(with: log, batchSize: batch, maximumBatches: 3)
                #expect(summary.fromPosition == position)
                position = summary.toPosition
            }
            let stepwise = try view(of: try batched.open())
            #expect(
                stepwise == expected,
                "seed \(seed), batches of \(batch): differs from the reference in \(stepwise.difference(from: expected))"
            )
            #expect(!expected.excluded.isEmpty, "no value was excluded: the log does not exercise standings")
            #expect(!expected.rfm.isEmpty && expected.profiles.count > 1)
        }
    }

    /// A rebuild is refused into a store that holds a projection, and leaves it as it was.
    public static func aRebuildNeedsAnEmptyStore(_ adapter: ProjectionStoreAdapter) throws {
        let log = try log(persons: 40, seed: 9)
        let place = try adapter.makePlace()
        _ = try Projector(store: try place.open(), rules: .standard).catchUp(with: log)
        let before = try view(of: try place.open())
        #expect {
            try place.open().commitRebuild(rulesHash: "other") { _ in ProjectionBatch() }
        } throws: { error in
            (error as? ProjectionError)?.code == .refused
        }
        #expect(try view(of: try place.open()) == before)
    }

    /// Adopting another way of naming profiles renames every profile, keeps each old id as an
    /// alias of the new one, and does nothing the second time.
    public static func adoptingProfileIDsKeepsTheOldOnes(_ adapter: ProjectionStoreAdapter) throws {
        let log = try log(persons: 80, seed: 11)
        let place = try adapter.makePlace()
        _ = try Projector(store: try place.open(), rules: .standard, profileIDs: .unkeyed).catchUp(with: log)
        try place.open().adoptProfileIDs(.unkeyed)
        let before = try view(of: try place.open())
        let keyed = ProfileIDs(key: Array("a contract key".utf8))
        try place.open().adoptProfileIDs(keyed)
        let after = try view(of: try place.open(), profileIDs: before.profiles)
        let renamedMembers = Set(after.membership.map { String($0.split(separator: ":")[1]) })
        #expect(renamedMembers.isDisjoint(with: before.profiles), "members still carry old ids")
        #expect(before.profiles.isSubset(of: after.profiles), "old ids are no longer known")
        #expect(after.profiles.count == 2 * before.profiles.count)
        try place.open().adoptProfileIDs(keyed)
        #expect(try view(of: try place.open(), profileIDs: before.profiles) == after)
    }
}
