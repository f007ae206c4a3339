extension ProjectionColumns {
    /// The columns read row by row for a rebuild, without making a `ProjectedEvent` of each:
    /// identifiers come as the columns number them (see `identifiers(at:into:)`), so a reader
    /// looks each distinct value up once a segment instead of hashing its text once an event,
    /// and text comes as references into the columns' table (see `AnchoredEvents.add(row:of:
    /// anchoredAt:)`).
    ///
    /// It reads what `forEachEvent` gives, row for row: the same identifiers in the same
    /// canonical order, the same time, source, name hash, amount, score and traits.
    ///
    /// For example:
    /// ```swift
    /// var reading = ProjectionColumns.Reading(columns, declaredKinds: rules.declaredKinds)
    /// var refs: [UInt32] = []
    /// for row in reading.rows where reading.identifiers(at: row, into: &refs) {
    ///     let values = refs.map { reading.identifier($0) }
    /// }
    /// ```
    public struct Reading {
        public let columns: ProjectionColumns
        /// Each distinct identifier of the columns, normalised under the rules in force; nil
        /// where normalisation refuses it.
        private let normalized: [Identifier?]
        /// Each identifier's kind's place among the columns' kinds sorted by name: canonical
        /// order is by kind first, so comparing these settles most pairs without text.
        private let kindRank: [UInt16]
        /// The reference of the trait key `name` (the evidence the identity guard compares),
        /// nil when no event of the columns carries it.
        private let nameKey: UInt32?
        /// Each trait value's name hash once worked out: `unknownHash` before, `noHash` when
        /// `NameEvidence` finds no name in it.
        private var nameHashes: [UInt64]
        private static let unknownHash = UInt64.max
        private static let noHash = UInt64.max - 1
        /// The columns' text references as some other table numbers them (`AnchoredEvents`'),
        /// `UInt32.max` for one not carried over yet.
        var carried: [UInt32]

        public init(_ columns: ProjectionColumns, declaredKinds: [String: IdentifierNormalizer.Method]) {
            self.columns = columns
            let table = columns.identifiers
            normalized = table.normalized(kindNames: columns.strings.strings, declaredKinds: declaredKinds)
            // Ranked as `Identifier.canonicallyPrecedes` compares kinds: names equal as strings
            // share a rank, and their values decide.
            let kindRefs = Set(table.kinds).sorted { columns.strings[$0] < columns.strings[$1] }
            var rankOf: [UInt32: UInt16] = [:]
            var rank: UInt16 = 0
            for (i, ref) in kindRefs.enumerated() {
                if i > 0 && columns.strings[kindRefs[i - 1]] != columns.strings[ref] { rank += 1 }
                rankOf[ref] = rank
            }
            kindRank = table.kinds.map { rankOf[$0] ?? 0 }
            nameKey = columns.strings.strings.firstIndex(of: "name").map { UInt32($0) }
            nameHashes = nameKey == nil ? [] : [UInt64](repeating: Self.unknownHash, count: columns.strings.count)
            carried = [UInt32](repeating: .max, count: columns.strings.count)
        }

        /// The rows held, one per position from `columns.firstPosition`.
        public var rows: Range<Int> { 0..<columns.count }

        /// The row of `position` (which the columns must hold).
        public func row(of position: UInt64) -> Int { Int(position - columns.firstPosition) }

        /// How many distinct identifiers the columns number (`identifiers(at:into:)`'s range).
        public var identifierCount: Int { normalized.count }

        /// The identifier numbered `ref`, normalised (only refs `identifiers(at:into:)` gave).
        public func identifier(_ ref: UInt32) -> Identifier {
            guard let identifier = normalized[Int(ref)] else {
                preconditionFailure("identifier \(ref) is refused under these rules: no row gives it")
            }
            return identifier
        }

        /// Puts the numbers of the identifiers at `row` that survive normalisation into `refs`,
        /// in canonical order (by kind, then by the value's bytes), one per identifier the line
        /// carried; false, with `refs` empty, where `forEachEvent` gives no event.
        public func identifiers(at row: Int, into refs: inout [UInt32]) -> Bool {
            refs.removeAll(keepingCapacity: true)
            let code = columns.status[row]
            guard code != 0, EventType(storedCode: code & ~ProjectionColumns.scoreBit) != nil else { return false }
            for r in columns.identifierRefs[columns.identifierEnds.entry(row)] where normalized[Int(r)] != nil {
                // Insertion into place: an event carries two or three values, mostly in order.
                var i = refs.count
                refs.append(r)
                while i > 0 && precedes(r, refs[i - 1]) {
                    refs[i] = refs[i - 1]
                    i -= 1
                }
                refs[i] = r
            }
            return !refs.isEmpty
        }

        private func precedes(_ a: UInt32, _ b: UInt32) -> Bool {
            let (ka, kb) = (kindRank[Int(a)], kindRank[Int(b)])
            if ka != kb { return ka < kb }
            return identifier(a).value.utf8.lexicographicallyPrecedes(identifier(b).value.utf8)
        }

        /// When the event at `row` occurred.
        public func occurredAt(_ row: Int) -> Timestamp {
            Timestamp(
                epochSeconds: columns.seconds[row], nanoseconds: columns.nanoseconds[row],
                offsetMinutes: columns.offsetMinutes[row])
        }

        /// The event's source (the columns' one copy of the text: comparing two rows' sources
        /// compares a string with itself).
        public func source(_ row: Int) -> String { columns.strings[columns.sources[row]] }

        /// `ProjectedEvent.nameHash` of the event at `row`: the hash of its first `name` trait.
        public mutating func nameHash(_ row: Int) -> UInt32? {
            guard let nameKey else { return nil }
            for t in columns.traitEnds.entry(row) where columns.traitRefs[2 * t] == nameKey {
                let value = Int(columns.traitRefs[2 * t + 1])
                if nameHashes[value] == Self.unknownHash {
                    nameHashes[value] =
                        NameEvidence.hash(of: columns.strings.strings[value]).map(UInt64.init) ?? Self.noHash
                }
                return nameHashes[value] == Self.noHash ? nil : UInt32(nameHashes[value])
            }
            return nil
        }
    }
}
