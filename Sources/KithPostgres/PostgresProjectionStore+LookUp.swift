import Foundation
import KithCore
import NIOCore
import PostgresNIO

extension PostgresProjectionStore {
    /// A lookup in one statement: the generation's `look_up` function
    /// (`PostgresProjectionSchema.lookUpStatements`), where the snapshot's plain reads take a
    /// BEGIN, the head, four reads and a COMMIT, each a round trip and a plan.
    ///
    /// The handle remembers the generation it last found in force and calls that generation's
    /// function; the function returns the head of its own snapshot, so a lookup that raced a
    /// rebuild's swap sees a head that is not its generation and is made again on the new one.
    /// A generation made before the function existed is read the plain way.
    public func lookUp(_ identifier: Identifier) throws -> IdentifierLookup? {
        switch try lookUpFuture(identifier).wait() {
        case .answered(let lookup): return lookup
        case .plainReads: return try reading { try $0.lookUp(identifier) }
        }
    }

    /// The same lookup, awaited rather than waited for: a server's request waits for
    /// PostgreSQL without holding a thread. Only a generation without the function (made by an
    /// earlier Kith) is read the plain way, which waits on the thread.
    public func lookUpConcurrently(_ identifier: Identifier) async throws -> IdentifierLookup? {
        switch try await lookUpFuture(identifier).get() {
        case .answered(let lookup): return lookup
        case .plainReads: return try reading { try $0.lookUp(identifier) }
        }
    }

    /// What a lookup came to.
    enum LookUpOutcome: Sendable {
        case answered(IdentifierLookup?)
        /// The generation has no lookup function: read it through a snapshot.
        case plainReads
    }

    /// One step of a lookup: done, or to be made again on the generation now in force.
    private enum LookUpStep: Sendable {
        case done(LookUpOutcome)
        case again
    }

    /// The lookup as one chain of statements on the connection's event loop, which both the
    /// waiting and the awaiting caller take: the generation (the one remembered, else the
    /// head), the call, and, when a rebuild swapped meanwhile, the same on the new generation.
    func lookUpFuture(_ identifier: Identifier, attemptsLeft: Int = 3) -> EventLoopFuture<LookUpOutcome> {
        let eventLoop = session.eventLoop
        guard !loadsInBulk, attemptsLeft > 0 else { return eventLoop.makeSucceededFuture(.plainReads) }
        let remembered = lookUpGeneration.value.map { eventLoop.makeSucceededFuture($0) }
        return (remembered ?? headGenerationFuture()).flatMap { generation -> EventLoopFuture<LookUpStep> in
            self.lookUpGeneration.value = generation
            guard !self.lookUpGeneration.lacksFunction(generation) else {
                return eventLoop.makeSucceededFuture(.done(.plainReads))
            }
            return self.session.send(self.callOfLookUp(identifier, in: generation), doing: "looking up a profile")
                .flatMapThrowing { rows -> LookUpStep in
                    switch try Self.lookUpAnswer(rows, asked: generation, location: self.location) {
                    case .answered(let lookup): return .done(.answered(lookup))
                    case .otherGeneration(let head):
                        // Another generation came into force: ask the one the head names.
                        self.lookUpGeneration.value = head
                        return .again
                    }
                }
                .flatMapError { error in self.afterFailedCall(error, in: generation) }
        }.flatMap { step in
            switch step {
            case .done(let outcome): return eventLoop.makeSucceededFuture(outcome)
            case .again: return self.lookUpFuture(identifier, attemptsLeft: attemptsLeft - 1)
            }
        }
    }

    /// A call into a generation that was dropped under this handle is made again on the head's;
    /// one that never had the function is read the plain way.
    private func afterFailedCall(_ error: any Error, in generation: Int64) -> EventLoopFuture<LookUpStep> {
        guard let failure = error as? PostgresStoreError, Self.goneStates.contains(failure.sqlState ?? "") else {
            return session.eventLoop.makeFailedFuture(error)
        }
        return headGenerationFuture().flatMapThrowing { head in
            self.lookUpGeneration.value = head
            guard head == generation else { return .again }
            guard failure.sqlState == "42883" else { throw failure }
            self.lookUpGeneration.noteLacksFunction(generation)
            return .done(.plainReads)
        }
    }

    /// An undefined schema, table or function: what a call into a dropped generation meets.
    private static let goneStates: Set<String> = ["3F000", "42P01", "42883"]

    private func callOfLookUp(_ identifier: Identifier, in generation: Int64) -> PostgresQuery {
        var binds = PostgresBindings()
        binds.append(identifier.kind.rawValue)
        binds.append(identifier.value)
        let g = PostgresProjectionSchema.generationSchema(location.schema, generation)
        // Values by kind, then value, in byte order, as every store gives them.
        return PostgresQuery(
            unsafeSQL: """
                SELECT * FROM \(g).look_up($1, $2)
                ORDER BY part, value_kind COLLATE "C", value_value COLLATE "C"
                """, binds: binds)
    }

    /// The generation the head names now, after checking the store's format.
    private func headGenerationFuture() -> EventLoopFuture<Int64> {
        let location = location
        return session.send(
            PostgresQuery(unsafeSQL: "SELECT format, generation FROM \(location.schema).projection_head"),
            doing: "reading the projections"
        ).flatMapError { error in
            if let failure = error as? PostgresStoreError, failure.sqlState == "42P01" {
                return self.session.eventLoop.makeSucceededFuture([])
            }
            return self.session.eventLoop.makeFailedFuture(error)
        }.flatMapThrowing { rows in
            guard let (format, generation) = try rows.first?.decode((Int, Int64).self) else {
                throw ProjectionError(.noStore, "there is no projection store at \(location) yet")
            }
            try Self.check(format: format, location: location)
            return generation
        }
    }

    static func check(format: Int, location: PostgresLocation) throws {
        guard format == PostgresProjectionSchema.format else {
            throw PostgresStoreError(
                .wrongFormat,
                "the projection store in schema \(location.schema) is format \(format); this Kith reads format \(PostgresProjectionSchema.format)"
            )
        }
    }

    /// One row of `look_up`, decoded.
    private typealias LookUpRow = (
        Int, Int?, Int64?, Int64?, String?, String?, Int?, Int?, String?, Int?, String?, Int?, Int?,
        Int64?, String?, String?, Int64?, Int64?, Int64?, String?, String?, String?, ByteBuffer?
    )

    /// What a call of `look_up` answered.
    private enum LookUpAnswer {
        /// The lookup (nil: the store has never seen the identifier).
        case answered(IdentifierLookup?)
        /// The head named another generation (this one) than the one called: a rebuild swapped
        /// meanwhile.
        case otherGeneration(Int64)
    }

    /// The lookup `rows` answer.
    private static func lookUpAnswer(_ rows: [PostgresRow], asked: Int64, location: PostgresLocation) throws
        -> LookUpAnswer
    {
        guard let first = rows.first else {
            throw ProjectionError(.noStore, "there is no projection store at \(location) yet")
        }
        let head = try first.decode(LookUpRow.self)
        guard head.0 == 0, let format = head.1, let generation = head.2 else {
            throw PostgresStoreError(.wrongFormat, "the lookup function in schema \(location.schema) answered no head")
        }
        try check(format: format, location: location)
        guard generation == asked else { return .otherGeneration(generation) }
        guard let node = head.3.map(IdentityGraph.Node.init) else { return .answered(nil) }
        guard let profile = head.4 else {
            var standing: IdentityResolver.Standing?
            if let kind = head.6 {
                let stored = StoredStanding(
                    kind: kind, partners: head.7, rule: head.8, evidence: head.9, evidenceKind: head.10,
                    evidenceCount: head.11, evidenceLimit: head.12)
                guard let known = stored.standing else {
                    throw ProjectionError(
                        .needsRebuild, "value \(node) has a standing no version of Kith wrote (kind \(kind))")
                }
                standing = known
            }
            return .answered(IdentifierLookup(node: node, profile: nil, values: [], standing: standing, model: nil))
        }
        var values: [StoredValue] = []
        values.reserveCapacity(rows.count - 1)
        for row in rows.dropFirst() {
            let c = try row.decode(LookUpRow.self)
            guard let id = c.13, let kind = c.14, let value = c.15, let first = c.16, let events = c.17,
                let names = c.18, let sources = c.21
            else {
                throw ProjectionError(.needsRebuild, "profile \(profile) has a value the lookup could not read")
            }
            values.append(
                try PostgresProjectionReads.storedValue(
                    (id, kind, value, first, events, names, c.19, c.20, sources, c.22), profile: profile))
        }
        let model = try head.5.map { try RFMModelCache.shared.model(for: $0) }
        return .answered(IdentifierLookup(node: node, profile: profile, values: values, standing: nil, model: model))
    }
}

/// The generation a reading handle's lookups go to, remembered between lookups, and the
/// generations found without the lookup function (made by an earlier Kith).
final class LookUpGeneration: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var current: Int64?
    private var withoutFunction: Set<Int64> = []

    var value: Int64? {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    func lacksFunction(_ generation: Int64) -> Bool { lock.withLock { withoutFunction.contains(generation) } }

    func noteLacksFunction(_ generation: Int64) { _ = lock.withLock { withoutFunction.insert(generation) } }
}
