/// What a rebuild keeps of each event for the statistics of the value it is anchored at: a few
/// flat columns, with text interned once. One read of the log then folds every value's
/// statistics and timeline, however many values the log has.
///
/// A `NodeStats` held per value cost about 700 bytes (its maps and their strings live on the
/// heap), so a rebuild folded 1,000,000 values at a time and read the log again for each further
/// million: 48 s of a 98 s rebuild at 1,000,000 people (4.4M values). Here an event costs about
/// 40 bytes, and each value's statistics are folded only when they are written, one at a time.
///
/// For example:
/// ```swift
/// var anchored = AnchoredEvents()
/// anchored.add(row: row, of: &reading, anchoredAt: node)  // in log order
/// try anchored.forEachValue { node, stats, timeline in … } // in node order
/// ```
public struct AnchoredEvents: Sendable {
    public typealias Node = IdentityGraph.Node

    // One entry per event, in the order added.
    private var anchors: [Node] = []
    private var positions: [UInt64] = []
    private var seconds: [Int64] = []
    private var nanoseconds: [Int32] = []
    private var offsetMinutes: [Int16] = []
    private var types: [EventType] = []
    private var names: [UInt32] = []
    private var sources: [UInt32] = []
    /// Where the event's amount, score and traits are in `details`, or `noDetails`: most events
    /// (views, clicks, messages) have none of them.
    private var detailIndex: [UInt32] = []

    private struct Details {
        var currency: UInt32
        var minorUnits: Int64
        var score: Int?
        /// The event's traits in `traitRefs`: a key's string, then its value's, per trait.
        var traits: Range<Int>
    }
    private var details: [Details] = []
    private var traitRefs: [UInt32] = []

    private var strings = InternedStrings()
    /// The last event's source: a log's events come in runs from one channel.
    private var lastSource: (name: String, ref: UInt32)?

    private static let noDetails = UInt32.max
    private static let noAmount = UInt32.max

    public init() {}

    /// Events kept.
    public var count: Int { anchors.count }

    /// Makes room for `events` events at once. A rebuild knows how many it reads: growing the
    /// columns by doubling held each old column beside its copy, and an unused tail of address
    /// space costs no memory.
    public mutating func reserveCapacity(_ events: Int) {
        anchors.reserveCapacity(events)
        positions.reserveCapacity(events)
        seconds.reserveCapacity(events)
        nanoseconds.reserveCapacity(events)
        offsetMinutes.reserveCapacity(events)
        types.reserveCapacity(events)
        names.reserveCapacity(events)
        sources.reserveCapacity(events)
        detailIndex.reserveCapacity(events)
    }

    /// Keeps what `NodeStats.add` and the timeline read of `e`, for the value `anchor`: the
    /// event-at-a-time form, which a rebuild no longer uses (it reads rows, `add(row:of:
    /// anchoredAt:)`); kept as the oracle the tests hold the row form and the fold to.
    mutating func add(_ e: ProjectedEvent, anchoredAt anchor: Node) {
        anchors.append(anchor)
        positions.append(e.position)
        seconds.append(e.occurredAt.epochSeconds)
        nanoseconds.append(e.occurredAt.nanoseconds)
        offsetMinutes.append(e.occurredAt.offsetMinutes)
        types.append(e.type)
        names.append(intern(e.name))
        if let last = lastSource, last.name == e.source {
            sources.append(last.ref)
        } else {
            let ref = intern(e.source)
            lastSource = (e.source, ref)
            sources.append(ref)
        }
        guard e.amount != nil || e.score != nil || !e.traits.isEmpty else {
            detailIndex.append(Self.noDetails)
            return
        }
        let traitsStart = traitRefs.count
        for (key, value) in e.traits {
            traitRefs.append(intern(key))
            traitRefs.append(intern(value))
        }
        detailIndex.append(UInt32(details.count))
        details.append(
            Details(
                currency: e.amount.map { intern($0.currency) } ?? Self.noAmount, minorUnits: e.amount?.minorUnits ?? 0,
                score: e.score, traits: traitsStart..<traitRefs.count))
    }

    /// `add(_:anchoredAt:)` for the event at `row` of `reading`, its text carried over by
    /// reference: each of the columns' strings is interned here once, not once an event.
    public mutating func add(row: Int, of reading: inout ProjectionColumns.Reading, anchoredAt anchor: Node) {
        let c = reading.columns
        func carry(_ ref: UInt32) -> UInt32 {
            let known = reading.carried[Int(ref)]
            if known != .max { return known }
            let mine = intern(c.strings[ref])
            reading.carried[Int(ref)] = mine
            return mine
        }
        let code = c.status[row]
        guard let type = EventType(storedCode: code & ~ProjectionColumns.scoreBit) else {
            preconditionFailure("row \(row) holds no event: only rows `identifiers(at:into:)` reads are anchored")
        }
        anchors.append(anchor)
        positions.append(c.firstPosition + UInt64(row))
        seconds.append(c.seconds[row])
        nanoseconds.append(c.nanoseconds[row])
        offsetMinutes.append(c.offsetMinutes[row])
        types.append(type)
        names.append(carry(c.names[row]))
        sources.append(carry(c.sources[row]))
        let hasScore = code & ProjectionColumns.scoreBit != 0
        let traits = c.traitEnds.entry(row)
        let currency = c.currencies[row]
        guard currency != ProjectionColumns.noAmount || hasScore || !traits.isEmpty else {
            detailIndex.append(Self.noDetails)
            return
        }
        let traitsStart = traitRefs.count
        for t in traits {
            traitRefs.append(carry(c.traitRefs[2 * t]))
            traitRefs.append(carry(c.traitRefs[2 * t + 1]))
        }
        detailIndex.append(UInt32(details.count))
        details.append(
            Details(
                currency: currency == ProjectionColumns.noAmount ? Self.noAmount : carry(currency),
                minorUnits: currency == ProjectionColumns.noAmount ? 0 : c.minorUnits[row],
                score: hasScore ? Int(c.scores[row]) : nil, traits: traitsStart..<traitRefs.count))
    }

    /// Calls `body` with each value that has events, in node order: its statistics and its
    /// timeline (see `TimelineIndex`), each folded from its events in the order they were added,
    /// as `NodeStats.add` and `TimelineIndex.append` would have folded them one event at a time.
    /// The grouping costs 4 bytes an event and 4 a value more, while the anchors (4 an event)
    /// go; everything is dropped at the end, so this is the last call.
    public mutating func forEachValue(_ body: (Node, NodeStats, [UInt8]) throws -> Void) rethrows {
        guard let highest = anchors.max() else { return }
        // Events grouped by value, in their order within a value (a counting sort).
        var starts = [UInt32](repeating: 0, count: Int(highest) + 2)
        for a in anchors { starts[Int(a) + 1] += 1 }
        for i in 1..<starts.count { starts[i] += starts[i - 1] }
        var order = [UInt32](repeating: 0, count: anchors.count)
        var next = starts
        for (i, a) in anchors.enumerated() {
            order[Int(next[Int(a)])] = UInt32(i)
            next[Int(a)] += 1
        }
        next = []
        anchors = []
        // Dropped however the folding ends: a body that throws ends the rebuild too.
        defer { self = AnchoredEvents() }
        for node in 0...Int(highest) {
            let run = Int(starts[node])..<Int(starts[node + 1])
            guard !run.isEmpty else { continue }
            var stats = NodeStats()
            var timeline: [UInt8] = []
            timeline.reserveCapacity(run.count * TimelineIndex.entrySize)
            for k in run {
                let i = Int(order[k])
                let at = Timestamp(
                    epochSeconds: seconds[i], nanoseconds: nanoseconds[i], offsetMinutes: offsetMinutes[i])
                let source = strings[sources[i]]
                let d = detailIndex[i] == Self.noDetails ? nil : details[Int(detailIndex[i])]
                let amount = d.flatMap { d in
                    d.currency == Self.noAmount
                        ? nil : Money(minorUnits: d.minorUnits, currency: strings[d.currency])
                }
                stats.add(
                    types[i], name: strings[names[i]], source: source, at: at, amount: amount, score: d?.score)
                if let d {
                    for t in stride(from: d.traits.lowerBound, to: d.traits.upperBound, by: 2) {
                        stats.observeTrait(
                            strings[traitRefs[t]], strings[traitRefs[t + 1]], source: source, at: at)
                    }
                }
                TimelineIndex.append(
                    TimelineIndex.Entry(position: positions[i], epochSeconds: seconds[i], type: types[i]), to: &timeline
                )
            }
            try body(Node(node), stats, timeline)
        }
    }

    private mutating func intern(_ text: String) -> UInt32 { strings.intern(text) }
}
