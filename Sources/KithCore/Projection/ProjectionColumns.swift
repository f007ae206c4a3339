/// A run of log positions as projection reads them, in columns: the projection-ready form of a
/// segment that lets a rebuild skip JSON. Text that repeats (sources, names, trait keys and
/// values, currencies, identifier kinds) is interned in one table, identifiers in another, so
/// reading events back makes each distinct string once and every event shares it.
///
/// Identifiers are kept as the log holds them (kind and value before normalisation), and are
/// normalised when read under the rules in force, once per distinct value: a replay that
/// declares new kinds reads the same columns and gets what decoding the lines would give it.
/// Everything else `ProjectedEvent.decode` reads does not depend on the rules.
///
/// For example:
/// ```swift
/// var columns = ProjectionColumns(firstPosition: 0)
/// columns.append(line)   // each canonical line in position order
/// let bytes = columns.encoded()
/// try ProjectionColumns(decoding: bytes, firstPosition: 0).forEachEvent(declaredKinds: [:]) { e in … }
/// ```
public struct ProjectionColumns: Sendable {
    public private(set) var firstPosition: UInt64
    /// Positions held, from `firstPosition`.
    public var count: Int { status.count }
    /// One past the last position held.
    public var endPosition: UInt64 { firstPosition + UInt64(count) }

    // Tables.
    var strings = InternedStrings()
    var identifiers = RawIdentifierTable()
    // Columns, one entry per position. `status` is 0 for a line that reads as no event under
    // any rules, else the type's code, plus `scoreBit` when the event has a score.
    var status: [UInt8] = []
    var seconds: [Int64] = []
    var nanoseconds: [Int32] = []
    var offsetMinutes: [Int16] = []
    var sources: [UInt32] = []
    var names: [UInt32] = []
    var eventIDEnds: [UInt32] = []
    var eventIDBytes: [UInt8] = []
    var identifierEnds: [UInt32] = []
    var identifierRefs: [UInt32] = []
    var traitEnds: [UInt32] = []
    /// A key's string, then its value's, per trait.
    var traitRefs: [UInt32] = []
    /// `noAmount` when the event has none.
    var currencies: [UInt32] = []
    var minorUnits: [Int64] = []
    var scores: [Int64] = []

    // What `append` works in; not encoded.
    private var scratch = EventLineParser.Scratch()
    private var raw: [UInt8] = []

    static let noAmount = UInt32.max
    /// How many positions a log without a projection-ready form puts in one run of columns it
    /// makes while reading (see `EventLogReading.forEachColumns`): a few megabytes.
    public static let runLength: UInt64 = 65_536
    static let scoreBit: UInt8 = 0x80

    public init(firstPosition: UInt64) {
        self.firstPosition = firstPosition
    }

    /// Adds the line at the next position (`endPosition`), and returns its event as
    /// `ProjectedEvent.decode` reads it under `declaredKinds`: a rebuild that has to decode a
    /// segment's lines makes its columns in the same pass.
    @discardableResult
    public mutating func append(
        _ line: UnsafeBufferPointer<UInt8>, declaredKinds: [String: IdentifierNormalizer.Method] = [:]
    ) -> ProjectedEvent? {
        append(line, declaredKinds: declaredKinds, readingBack: true)
    }

    /// Adds the line at the next position without reading its event back: what a reader of the
    /// columns made (see `Reading`) calls, sparing the identifiers' normalisation per line (the
    /// columns normalise each distinct value once when read) and the event's strings.
    public mutating func add(_ line: UnsafeBufferPointer<UInt8>, declaredKinds: [String: IdentifierNormalizer.Method]) {
        append(line, declaredKinds: declaredKinds, readingBack: false)
    }

    @discardableResult
    private mutating func append(
        _ line: UnsafeBufferPointer<UInt8>, declaredKinds: [String: IdentifierNormalizer.Method], readingBack: Bool
    ) -> ProjectedEvent? {
        let position = endPosition
        let fields = ProjectedEvent.fields(of: line, position: position)
        let refsStart = identifierRefs.count
        var whole = false
        scratch.reset()
        if let (_, range) = fields {
            let s = JSONScanner(line)
            var kindCode: UInt32 = 0
            var kind = IdentifierKind.phone
            whole = ProjectedEvent.forEachIdentifierToken(
                in: range, of: s,
                kind: { token in
                    kind =
                        IdentifierKind(token: token, in: s, declared: declaredKinds)
                        ?? IdentifierKind(rawValue: s.string(token))
                    kindCode = intern(kind.rawValue)
                },
                value: { token in
                    raw.removeAll(keepingCapacity: true)
                    s.decode(token, into: &raw)
                    identifierRefs.append(identifiers.intern(kind: kindCode, value: raw))
                    if readingBack { _ = scratch.appendNormalized(kind, token, in: s, declaredKinds: declaredKinds) }
                })
        }
        guard var event = fields?.event, whole else {
            identifierRefs.removeSubrange(refsStart...)
            appendNothing()
            return nil
        }
        status.append(event.type.storedCode | (event.score == nil ? 0 : ProjectionColumns.scoreBit))
        seconds.append(event.occurredAt.epochSeconds)
        nanoseconds.append(event.occurredAt.nanoseconds)
        offsetMinutes.append(event.occurredAt.offsetMinutes)
        sources.append(intern(event.source))
        names.append(intern(event.name))
        eventIDBytes.append(contentsOf: event.eventID.utf8)
        eventIDEnds.append(UInt32(eventIDBytes.count))
        identifierEnds.append(UInt32(identifierRefs.count))
        for (key, value) in event.traits {
            traitRefs.append(intern(key))
            traitRefs.append(intern(value))
        }
        traitEnds.append(UInt32(traitRefs.count / 2))
        currencies.append(event.amount.map { intern($0.currency) } ?? ProjectionColumns.noAmount)
        minorUnits.append(event.amount?.minorUnits ?? 0)
        scores.append(Int64(event.score ?? 0))
        guard readingBack else { return nil }
        scratch.sortEntries()
        guard !scratch.entries.isEmpty else { return nil }
        event.identifiers = scratch.normalizedIdentifiers
        return event
    }

    /// A position whose line reads as no event, whatever the rules.
    private mutating func appendNothing() {
        status.append(0)
        seconds.append(0)
        nanoseconds.append(0)
        offsetMinutes.append(0)
        sources.append(0)
        names.append(0)
        eventIDEnds.append(UInt32(eventIDBytes.count))
        identifierEnds.append(UInt32(identifierRefs.count))
        traitEnds.append(UInt32(traitRefs.count / 2))
        currencies.append(ProjectionColumns.noAmount)
        minorUnits.append(0)
        scores.append(0)
    }

    private mutating func intern(_ text: String) -> UInt32 { strings.intern(text) }

    /// Calls `body` with each position from `start` up to `end` (clamped to what these columns
    /// hold) and its event, nil where `ProjectedEvent.decode` gives none under these declared
    /// kinds; stops when `body` returns false, and returns false then.
    @discardableResult
    public func forEachEvent(
        from start: UInt64? = nil, upTo end: UInt64? = nil, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (UInt64, ProjectedEvent?) throws -> Bool
    ) rethrows -> Bool {
        let lower = Int(min(max(start ?? firstPosition, firstPosition), endPosition) - firstPosition)
        let upper = Int(max(min(end ?? endPosition, endPosition), firstPosition) - firstPosition)
        guard lower < upper else { return true }
        let identifiers = self.identifiers.normalized(kindNames: strings.strings, declaredKinds: declaredKinds)
        var sorted: [Identifier] = []
        for i in lower..<upper {
            let position = firstPosition + UInt64(i)
            let code = status[i]
            guard code != 0, let type = EventType(storedCode: code & ~ProjectionColumns.scoreBit) else {
                if try !body(position, nil) { return false }
                continue
            }
            sorted.removeAll(keepingCapacity: true)
            for r in identifierRefs[identifierEnds.entry(i)] {
                if let identifier = identifiers[Int(r)] { sorted.append(identifier) }
            }
            guard !sorted.isEmpty else {
                if try !body(position, nil) { return false }
                continue
            }
            if !sorted.isCanonicallyOrdered { sorted.sort(by: Identifier.canonicallyPrecedes) }
            var traits: [(key: String, value: String)] = []
            let traitRange = traitEnds.entry(i)
            if !traitRange.isEmpty {
                traits.reserveCapacity(traitRange.count)
                for t in traitRange {
                    traits.append((strings[traitRefs[2 * t]], strings[traitRefs[2 * t + 1]]))
                }
            }
            let idRange = eventIDEnds.entry(i)
            let event = ProjectedEvent(
                position: position, eventID: String(decoding: eventIDBytes[idRange], as: UTF8.self),
                source: strings[sources[i]], type: type, name: strings[names[i]],
                occurredAt: Timestamp(
                    epochSeconds: seconds[i], nanoseconds: nanoseconds[i], offsetMinutes: offsetMinutes[i]),
                identifiers: sorted, traits: traits,
                amount: currencies[i] == ProjectionColumns.noAmount
                    ? nil : Money(minorUnits: minorUnits[i], currency: strings[currencies[i]]),
                score: code & ProjectionColumns.scoreBit == 0 ? nil : Int(scores[i]))
            if try !body(position, event) { return false }
        }
        return true
    }
}

extension Identifier {
    /// The order `ProjectedEvent.decode` lists an event's identifiers in: by kind, then by
    /// the value's bytes.
    static func canonicallyPrecedes(_ a: Identifier, _ b: Identifier) -> Bool {
        if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
        return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
    }
}

extension [UInt32] {
    /// Where entry `i` lies, when these are the entries' end offsets (the columns' layout for
    /// everything of variable length).
    @inline(__always) func entry(_ i: Int) -> Range<Int> { (i == 0 ? 0 : Int(self[i - 1]))..<Int(self[i]) }
}

extension [Identifier] {
    fileprivate var isCanonicallyOrdered: Bool {
        var i = 1
        while i < count {
            if Identifier.canonicallyPrecedes(self[i], self[i - 1]) { return false }
            i += 1
        }
        return true
    }
}
