/// The rules' blocklist and never-link patterns, ready for the projection's hot path: it asks
/// for every identifier of every event (is it an anchor?) and every value and partner it
/// resolves, so the rules are held once by reference instead of copied per question.
struct NeverLinkMatcher: Sendable {
    private let blocklist: Set<String>
    private let entries: [NeverLinkTest]

    init(_ rules: Rules) {
        blocklist = Set(rules.blocklist)
        entries = rules.neverLink.map(NeverLinkTest.init)
    }

    private init(blocklist: Set<String>, entries: [NeverLinkTest]) {
        self.blocklist = blocklist
        self.entries = entries
    }

    /// This matcher with only the patterns that can match values of `kind`: what a projection
    /// asks of each value, by its kind's code (see `KindRules.neverLink`), so that a value is not
    /// asked against every other kind's patterns.
    func restricted(to kind: IdentifierKind) -> NeverLinkMatcher {
        NeverLinkMatcher(blocklist: blocklist, entries: entries.filter { $0.mayMatch(kind) })
    }

    /// Whether the value never links by what it is: on the blocklist, or matching a pattern.
    func neverLinks(_ identifier: Identifier) -> Bool {
        isBlocklisted(identifier) || firstPattern(matching: identifier) != nil
    }

    func isBlocklisted(_ identifier: Identifier) -> Bool {
        !blocklist.isEmpty && blocklist.contains(identifier.value)
    }

    /// The name of the first pattern the value matches.
    func firstPattern(matching identifier: Identifier) -> String? {
        for test in entries where test.matches(identifier) { return test.rule.name }
        return nil
    }
}
