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

    /// Reads both stores once and compares them on dense ids: values matched by identifier,
    /// profiles by interned id. Only what the report shows is turned back into text.
    public init(live: some ProfileQueries, shadow: some ProfileQueries) throws {
        let old = try Side(live)
        let new = try Side(shadow)
        livePosition = old.position
        shadowPosition = new.position
        liveProfiles = old.entryCount
        shadowProfiles = new.entryCount
        let unlinked = "(unlinked)"

        // Every live value with a profile, paired with its shadow profile (-1: none), and every
        // value in both stores' profiles, paired the other way: sorted, the pairs give each
        // profile's distinct counterparts, and (before dropping repeats) how many values each has.
        let counterpart = new.counterparts(of: old)
        var liveToShadow: [UInt64] = []
        var shadowToLive: [UInt64] = []
        liveToShadow.reserveCapacity(old.member.count)
        for (o, p) in old.member.enumerated() where p >= 0 {
            let n = counterpart[o]
            let q = n >= 0 ? new.member[Int(n)] : -1
            liveToShadow.append(Self.pair(p, q))
            if q >= 0 { shadowToLive.append(Self.pair(q, p)) }
        }
        liveToShadow.sort()
        shadowToLive.sort()

        let sources = Self.distinctRuns(shadowToLive)
        let mergedList = sources.filter { $0.others.count > 1 }.map { (new.names[Int($0.profile)], $0.others) }
            .sorted { $0.0 < $1.0 }
        merged = mergedList.count
        mergedExamples = mergedList.prefix(Self.examplesPerChange).map {
            Example(profile: $0.0, detail: "joins " + $0.1.map { old.names[Int($0)] }.sorted().joined(separator: ", "))
        }
        let targets = Self.distinctRuns(liveToShadow)
        let splitList = targets.filter { $0.others.count > 1 }.map { (old.names[Int($0.profile)], $0.others) }
            .sorted { $0.0 < $1.0 }
        split = splitList.count
        splitExamples = splitList.prefix(Self.examplesPerChange).map {
            Example(
                profile: $0.0,
                detail: "now " + $0.1.map { $0 < 0 ? unlinked : new.names[Int($0)] }.sorted().joined(separator: ", "))
        }

        var refusedCounts: [String: Int] = [:]
        var refusedExamples: [Example] = []
        let oldRefused = Set(old.refused.map(\.pair))
        for r in new.refused.sorted(by: { $0.pair < $1.pair }) where !oldRefused.contains(r.pair) {
            refusedCounts[r.rule, default: 0] += 1
            if refusedExamples.count < Self.examplesPerChange {
                let profile = [r.first, r.second].lazy.map { new.member[Int($0)] }.first { $0 >= 0 }.map {
                    new.names[Int($0)]
                }
                refusedExamples.append(
                    Example(
                        profile: profile ?? unlinked,
                        detail: "\(Self.masked(r.pair.a)) — \(Self.masked(r.pair.b)): \(r.rule)"))
            }
        }
        newlyRefused = refusedCounts
        newlyRefusedExamples = refusedExamples

        // Each current profile's successor: the profile of the same id, else the one that now
        // holds most of its values (ties to the smaller id).
        var successor = new.profiles(namedAs: old)
        for (p, s) in successor.enumerated() where s >= 0 && (old.entry[p] == nil || new.entry[Int(s)] == nil) {
            successor[p] = -1
        }
        var best = [(profile: Int32, count: Int)?](repeating: nil, count: old.names.count)
        var i = 0
        while i < liveToShadow.count {
            let word = liveToShadow[i]
            var j = i
            while j < liveToShadow.count && liveToShadow[j] == word { j += 1 }
            let (p, q, count) = (Int(word >> 32), Self.second(of: word), j - i)
            i = j
            guard q >= 0 else { continue }
            if let b = best[p], b.count > count || (b.count == count && new.names[Int(b.profile)] < new.names[Int(q)]) {
                continue
            }
            best[p] = (q, count)
        }
        for p in 0..<old.names.count where old.entry[p] != nil && successor[p] < 0 {
            if let b = best[p] { successor[p] = b.profile }
        }
        var succeeded = [Bool](repeating: false, count: new.names.count)
        for s in successor where s >= 0 { succeeded[Int(s)] = true }
        let oldOrder = old.inNameOrder((0..<old.names.count).filter { old.entry[$0] != nil })
        let newOrder = new.inNameOrder((0..<new.names.count).filter { new.entry[$0] != nil && !succeeded[$0] })
        // Each profile is counted once per move kind, on small integer codes (a profile's
        // segment or stage, `prospect`, `absent`); only the cells are turned into text.
        func moves(_ labels: [String], _ code: (Side.Entry?) -> Int) -> [Move] {
            let width = labels.count
            var counts = [Int](repeating: 0, count: width * width)
            var examples = [[String]](repeating: [], count: width * width)
            func count(_ from: Int, _ to: Int, _ example: String) {
                let cell = from * width + to
                counts[cell] += 1
                if from != to && examples[cell].count < Self.examplesPerChange { examples[cell].append(example) }
            }
            let absent = code(nil)
            for p in oldOrder {
                let s = successor[p]
                count(code(old.entry[p]), code(s >= 0 ? new.entry[Int(s)] : nil), old.names[p])
            }
            for q in newOrder { count(absent, code(new.entry[q]), new.names[q]) }
            return counts.indices.filter { counts[$0] > 0 }.map {
                Move(from: labels[$0 / width], to: labels[$0 % width], count: counts[$0], examples: examples[$0])
            }.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        }
        let segments = Segment.allCases
        segmentTransitions = moves(segments.map(\.key) + ["prospect", "absent"]) { entry in
            guard let entry else { return segments.count + 1 }
            return entry.segment.flatMap { segments.firstIndex(of: $0) } ?? segments.count
        }
        let stages = LifecycleStage.allCases
        stageChanges = moves(stages.map(\.key) + ["absent"]) { entry in
            entry.flatMap { stages.firstIndex(of: $0.stage) } ?? stages.count
        }
    }

    /// A profile and a counterpart (-1 for none) as one sortable word.
    private static func pair(_ profile: Int32, _ other: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: profile)) << 32 | UInt64(UInt32(bitPattern: other + 1))
    }

    private static func second(of pair: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: pair)) - 1 }

    /// Each profile of sorted pairs with its distinct counterparts.
    private static func distinctRuns(_ pairs: [UInt64]) -> [(profile: Int32, others: [Int32])] {
        var out: [(profile: Int32, others: [Int32])] = []
        var previous: UInt64?
        for pair in pairs where pair != previous {
            previous = pair
            let profile = Int32(bitPattern: UInt32(pair >> 32))
            if out.last?.profile == profile {
                out[out.count - 1].others.append(second(of: pair))
            } else {
                out.append((profile, [second(of: pair)]))
            }
        }
        return out
    }

    static func masked(_ reference: String) -> String { Disclosure.masked(reference) }
}
