/// The rules of a graph's kinds, indexed by kind code (see `IdentityGraph.kinds`).
///
/// The resolver asks a kind's rule for every value and every partner it weighs, and anchors
/// ask it for every value of every event. Looking the rule up by the kind's name hashed that
/// name each time; here it is an array read. A class: every anchor and every component takes a
/// copy, and copying a struct of seven arrays retained and released each of them (4–5 % of a
/// rebuild's samples).
///
/// For example:
/// ```swift
/// let kinds = KindRules(.standard, kinds: graph.kinds)
/// if kinds.links[Int(graph.kindCode(of: node))] { … }
/// ```
public final class KindRules: Sendable {
    public typealias KindCode = IdentityGraph.KindCode
    public typealias Node = IdentityGraph.Node

    /// The kinds the codes stand for.
    public let kinds: [IdentifierKind]
    public let links: [Bool]
    public let limit: [Int]
    public let priority: [Int]
    /// Each kind's place among the distinct priorities (0 for the strongest): the same order as
    /// `priority`, small enough to pack into a sort key.
    public let priorityRank: [Int]
    /// Each kind's place in name order: identifiers order by kind name, then value.
    public let nameRank: [Int]
    /// The codes in name order.
    public let inNameOrder: [KindCode]
    /// The blocklist and the never-link patterns that can match each kind's values.
    let neverLink: [NeverLinkMatcher]

    public init(_ rules: Rules, kinds: [IdentifierKind]) {
        self.kinds = kinds
        let kindRules = kinds.map(rules.rule(for:))
        links = kindRules.map(\.links)
        limit = kindRules.map(\.limit)
        priority = kindRules.map(\.priority)
        let distinct = Array(Set(priority)).sorted()
        priorityRank = priority.map { p in distinct.firstIndex(of: p) ?? 0 }
        inNameOrder = (0..<KindCode(kinds.count)).sorted { kinds[Int($0)] < kinds[Int($1)] }
        var rank = [Int](repeating: 0, count: kinds.count)
        for (r, code) in inNameOrder.enumerated() { rank[Int(code)] = r }
        nameRank = rank
        let matcher = NeverLinkMatcher(rules)
        neverLink = kinds.map(matcher.restricted(to:))
    }

    /// Whether the table was made from this very list of kinds (the same storage, not just the
    /// same names: a graph that codes a new kind, or another graph, has other storage). A
    /// check by storage costs nothing per value; comparing names would cost a scan.
    public func covers(_ graph: IdentityGraph) -> Bool {
        let mine = kinds.withUnsafeBufferPointer { $0.baseAddress }
        let theirs = graph.kinds.withUnsafeBufferPointer { $0.baseAddress }
        return kinds.count == graph.kinds.count && mine == theirs
    }

    /// Whether node `a`'s identifier sorts before `b`'s: kind name, then value, as
    /// `Identifier`'s own order, without comparing kind names.
    public func identifier(of a: Node, precedes b: Node, in graph: IdentityGraph) -> Bool {
        let ka = nameRank[Int(graph.kindCode(of: a))]
        let kb = nameRank[Int(graph.kindCode(of: b))]
        if ka != kb { return ka < kb }
        return graph.nodes.read(Int(a)) { x in graph.nodes.read(Int(b)) { y in x.identifier.value < y.identifier.value }
        }
    }
}
