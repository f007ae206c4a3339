import KithCore

/// What replacing the live store with a replayed one would change: merges and splits, links
/// newly refused, RFM segment transitions and lifecycle moves, each with a few examples.
/// Transitions count every current profile once, matched to its successor: the profile of the
/// same id (an unchanged customer keeps its id), else the one that now holds most of its values.
/// `absent` stands for no successor, or for a new profile that succeeds none.
public struct ReplayImpact: Codable, Sendable {
    public struct Example: Codable, Sendable, Equatable {
        public var profile: String
        public var detail: String
    }

    public struct Move: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var count: Int
        public var examples: [String]
    }

    public var livePosition: UInt64
    public var shadowPosition: UInt64
    public var liveProfiles: Int
    public var shadowProfiles: Int
    /// Shadow profiles that join values of two or more live profiles.
    public var merged: Int
    public var mergedExamples: [Example]
    /// Live profiles whose values end up in two or more shadow profiles (or in none).
    public var split: Int
    public var splitExamples: [Example]
    /// Links the shadow refuses that the live store did not, by rule.
    public var newlyRefused: [String: Int]
    public var newlyRefusedExamples: [Example]
    /// Segment keys, `prospect` and `absent` on both axes: every (from, to) with its count.
    public var segmentTransitions: [Move]
    public var stageChanges: [Move]

    enum CodingKeys: String, CodingKey {
        case merged, split
        case livePosition = "live_position"
        case shadowPosition = "shadow_position"
        case liveProfiles = "live_profiles"
        case shadowProfiles = "shadow_profiles"
        case mergedExamples = "merged_examples"
        case splitExamples = "split_examples"
        case newlyRefused = "newly_refused"
        case newlyRefusedExamples = "newly_refused_examples"
        case segmentTransitions = "segment_transitions"
        case stageChanges = "stage_changes"
    }

    public static let examplesPerChange = 3

    public init(live: some ProfileQueries, shadow: some ProfileQueries) throws {
        let old = try Side(live)
        let new = try Side(shadow)
        livePosition = old.position
        shadowPosition = new.position
        liveProfiles = old.profiles.count
        shadowProfiles = new.profiles.count

        var sourcesOfNew: [String: Set<String>] = [:]
        var targetsOfOld: [String: Set<String>] = [:]
        for (value, oldProfile) in old.membership {
            let newProfile = new.membership[value] ?? "(unlinked)"
            targetsOfOld[oldProfile, default: []].insert(newProfile)
        }
        for (value, newProfile) in new.membership {
            if let oldProfile = old.membership[value] { sourcesOfNew[newProfile, default: []].insert(oldProfile) }
        }
        let mergedList = sourcesOfNew.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        merged = mergedList.count
        mergedExamples = mergedList.prefix(Self.examplesPerChange).map {
            Example(profile: $0.key, detail: "joins " + $0.value.sorted().joined(separator: ", "))
        }
        let splitList = targetsOfOld.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        split = splitList.count
        splitExamples = splitList.prefix(Self.examplesPerChange).map {
            Example(profile: $0.key, detail: "now " + $0.value.sorted().joined(separator: ", "))
        }

        var refusedCounts: [String: Int] = [:]
        var refusedExamples: [Example] = []
        for (pair, rule) in new.refused.sorted(by: { $0.key < $1.key }) where old.refused[pair] == nil {
            refusedCounts[rule, default: 0] += 1
            if refusedExamples.count < Self.examplesPerChange {
                let profile = new.membership[pair.a] ?? new.membership[pair.b] ?? "(unlinked)"
                refusedExamples.append(
                    Example(profile: profile, detail: "\(Self.masked(pair.a)) — \(Self.masked(pair.b)): \(rule)"))
            }
        }
        newlyRefused = refusedCounts
        newlyRefusedExamples = refusedExamples

        // Each current profile's successor: the profile of the same id, else the one that now
        // holds most of its values (ties to the smaller id).
        var successor: [String: String] = [:]
        var valuesOf: [String: [String: Int]] = [:]
        for (value, oldProfile) in old.membership where new.profiles[oldProfile] == nil {
            if let n = new.membership[value] { valuesOf[oldProfile, default: [:]][n, default: 0] += 1 }
        }
        for id in old.profiles.keys {
            if new.profiles[id] != nil {
                successor[id] = id
            } else if let best = valuesOf[id]?.min(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key })
            {
                successor[id] = best.key
            }
        }
        let succeeded = Set(successor.values)
        func moves(_ key: (Side.Entry?) -> String) -> [Move] {
            var counts: [String: [String: (Int, [String])]] = [:]
            func count(_ from: String, _ to: String, _ example: String) {
                var cell = counts[from, default: [:]][to] ?? (0, [])
                cell.0 += 1
                if from != to && cell.1.count < Self.examplesPerChange { cell.1.append(example) }
                counts[from, default: [:]][to] = cell
            }
            for id in old.profiles.keys.sorted() {
                count(key(old.profiles[id]), key(successor[id].flatMap { new.profiles[$0] }), id)
            }
            for id in new.profiles.keys.sorted() where !succeeded.contains(id) {
                count("absent", key(new.profiles[id]), id)
            }
            return counts.flatMap { from, row in
                row.map { Move(from: from, to: $0.key, count: $0.value.0, examples: $0.value.1) }
            }.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        }
        segmentTransitions = moves { $0.map { $0.segment?.key ?? "prospect" } ?? "absent" }
        stageChanges = moves { $0.map { $0.stage.key } ?? "absent" }
    }

    static func masked(_ reference: String) -> String { Disclosure.masked(reference) }

    /// One store, read once.
    struct Side {
        struct Entry {
            var segment: Segment?
            var stage: LifecycleStage
        }
        var position: UInt64 = 0
        var membership: [String: String] = [:]
        var refused: [Pair: String] = [:]
        var profiles: [String: Entry] = [:]

        struct Pair: Hashable, Comparable {
            var a: String
            var b: String
            static func < (l: Pair, r: Pair) -> Bool { (l.a, l.b) < (r.a, r.b) }
        }

        init(_ store: some ProfileQueries) throws {
            var side = Side()
            try store.reading { snapshot in
                let model = try snapshot.rfmModel()
                side.position = try snapshot.checkpoint()
                var label: [IdentityGraph.Node: String] = [:]
                try snapshot.forEachNode { node, info in
                    label[node] = "\(info.identifier.kind.rawValue):\(info.identifier.value)"
                }
                try snapshot.forEachMember { node, profile in
                    if let value = label[node] { side.membership[value] = profile }
                }
                try snapshot.forEachRefusedLink { a, b, rule in
                    guard let p = label[a], let q = label[b] else { return }
                    side.refused[Pair(a: min(p, q), b: max(p, q))] = rule
                }
                try snapshot.forEachProfileRFM(after: nil) { profile, raw in
                    side.profiles[profile] = Entry(
                        segment: model?.score(raw)?.segment,
                        stage: model?.stage(raw) ?? LifecycleStage(raw, asOf: 0, rules: .init()))
                    return true
                }
            }
            self = side
        }

        init() {}
    }
}
