/// A `NeverLinkRule` made ready to ask of many values: each list of globs as a `GlobList`. A
/// projection asks every value it reads against every rule, and the standard rules hold some
/// seventy globs, nearly all without wildcards. A class, so that asking it copies nothing (a
/// rule is six arrays: copying one costs six retains).
final class NeverLinkTest: Sendable {
    let rule: NeverLinkRule
    private let kinds: [IdentifierKind]?
    private let value: GlobList?
    private let local: GlobList?
    private let domain: GlobList?

    init(_ rule: NeverLinkRule) {
        self.rule = rule
        kinds = rule.kinds
        value = rule.value.map(GlobList.init)
        local = rule.local.map(GlobList.init)
        domain = rule.domain.map(GlobList.init)
    }

    /// Whether the rule can stop any value of `kind` from linking.
    func mayMatch(_ kind: IdentifierKind) -> Bool {
        (kinds?.contains(kind) ?? true) && (value != nil || local != nil || domain != nil || rule.shape != nil)
    }

    /// Whether the rule stops this (normalised) value from linking (see `NeverLinkRule`).
    func matches(_ identifier: Identifier) -> Bool {
        if let kinds, !kinds.contains(identifier.kind) { return false }
        let shape = rule.shape
        guard value != nil || local != nil || domain != nil || shape != nil else { return false }
        let text = identifier.value.utf8
        if let value, !value.matchesAny(text) { return false }
        if local != nil || domain != nil || (shape != nil && identifier.kind == .email) {
            guard let at = text.lastIndex(of: UInt8(ascii: "@")) else { return false }
            let localPart = text[..<at]
            let domainPart = text[text.index(after: at)...]
            if let local, !local.matchesAny(localPart) { return false }
            if let domain, !domain.matchesAny(domainPart) { return false }
            if let shape, !ValueShape.email(localPart, domainPart, has: shape) { return false }
            return true
        }
        if let shape {
            return identifier.kind == .phone ? ValueShape.phone(text, has: shape) : ValueShape.text(text, has: shape)
        }
        return true
    }
}

/// Globs of which a text must match one: those without wildcards by length, since such a glob
/// matches only a text as long as itself, so a text is compared with a few of them at most.
struct GlobList: Sendable {
    private let literals: [Int: [Glob]]
    private let wildcards: [Glob]

    init(_ globs: [Glob]) {
        literals = Dictionary(grouping: globs.filter { !$0.hasWildcard }, by: \.byteCount)
        wildcards = globs.filter(\.hasWildcard)
    }

    func matchesAny(_ text: some Collection<UInt8>) -> Bool {
        if let sameLength = literals[text.count], sameLength.contains(where: { $0.matches(text) }) { return true }
        return wildcards.contains { $0.matches(text) }
    }
}
