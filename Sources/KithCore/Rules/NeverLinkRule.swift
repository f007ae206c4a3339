/// A pattern of identifier values that never link two profiles: reserved domains, role and
/// placeholder addresses, keyboard runs, `undefined`. Unlike the shared-value guard it needs no
/// volume: a junk value typed by two customers is caught the first time it is seen.
///
/// A matching value stays on its events and in timelines; it only links nothing, and is never
/// the value an event's statistics are kept under. Every field given must match (a list
/// matches when any of its globs does); a rule with no field matches nothing.
///
/// For example, in a rules file:
/// ```yaml
/// never_link:
///   - name: reserved_domain
///     kinds: [email]
///     domain: ["example.*", "*.example.*", "*.test", "*.invalid", "*.localhost"]
///     reason: RFC 2606 / 6761 reserve these names; no mailbox there belongs to a customer
/// ```
public struct NeverLinkRule: Codable, Sendable, Equatable {
    /// A value shape no person's identifier has.
    public enum Shape: String, Codable, Sendable, CaseIterable {
        /// One character repeated: `aaaa@…`, `+8613911111111` (the number after its prefix).
        case repeated
        /// An ascending or descending run: `123456@…`, `abcdef@…`, `+8613812345678`.
        case run
        /// One character at a one-character domain label: `a@a.com`.
        case singleCharacter = "single_character"
    }

    /// Shown by `profile explain`, `identity suspects` and the stored standing.
    public var name: String
    /// The kinds it applies to; absent means every kind.
    public var kinds: [IdentifierKind]?
    /// Globs over the whole normalised value.
    public var value: [Glob]?
    /// Email only: globs over the part before `@`.
    public var local: [Glob]?
    /// Email only: globs over the part after `@`.
    public var domain: [Glob]?
    public var shape: Shape?
    /// Why it is there, for the person who reads the rules.
    public var reason: String

    public init(
        name: String, kinds: [IdentifierKind]? = nil, value: [Glob]? = nil, local: [Glob]? = nil,
        domain: [Glob]? = nil, shape: Shape? = nil, reason: String
    ) {
        self.name = name
        self.kinds = kinds
        self.value = value
        self.local = local
        self.domain = domain
        self.shape = shape
        self.reason = reason
    }

    /// Whether the rule stops this (normalised) value from linking.
    public func matches(_ identifier: Identifier) -> Bool { NeverLinkTest(self).matches(identifier) }
}
