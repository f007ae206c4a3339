/// What a projection remembers about values under one set of rules: whether each value never
/// links by what it is (blocklist, patterns), worked out once per value and kept, and each kind's
/// rule by code (see `KindRules`). A projection asks both for every value of every event
/// (anchors) and for every value and partner it resolves; matching the patterns each time cost
/// a rebuild a fifth of its time. Dense (a byte per node, grown on demand) for a projector or a
/// whole-graph resolution, a dictionary for a few values. Only valid for one set of rules and
/// one graph (as it grows).
public struct NeverLinkMarks: Sendable {
    public typealias Node = IdentityGraph.Node
    private var dense: [Int8] = []
    private var sparse: [Node: Bool] = [:]
    private let isDense: Bool
    private var kindRules: KindRules?

    public init(dense: Bool) { isDense = dense }

    public mutating func neverLinks(_ node: Node, in graph: IdentityGraph, by resolver: IdentityResolver) -> Bool {
        let i = Int(node)
        // A stored value not loaded yet has no identifier to judge: answer, but do not remember.
        guard graph.isLoaded(node) else { return resolver.neverLinks(graph.nodes[i].identifier) }
        if isDense {
            if i >= dense.count {
                dense.append(contentsOf: repeatElement(-1, count: max(i + 1, graph.nodeCount) - dense.count))
            }
            if dense[i] < 0 { dense[i] = judge(node, in: graph, by: resolver) ? 1 : 0 }
            return dense[i] == 1
        }
        if let known = sparse[node] { return known }
        let answer = judge(node, in: graph, by: resolver)
        sparse[node] = answer
        return answer
    }

    /// The blocklist and only the patterns of the value's own kind (most kinds have none).
    private mutating func judge(_ node: Node, in graph: IdentityGraph, by resolver: IdentityResolver) -> Bool {
        kinds(of: graph, by: resolver).neverLink[Int(graph.kindCode(of: node))].neverLinks(
            graph.nodes[Int(node)].identifier)
    }

    /// The rules of `graph`'s kinds by code, made again when the graph has coded a new kind (or is
    /// another graph: a projector reopens its graph after a rebuild).
    public mutating func kinds(of graph: IdentityGraph, by resolver: IdentityResolver) -> KindRules {
        if let known = kindRules, known.covers(graph) { return known }
        let made = KindRules(resolver.rules, kinds: graph.kinds)
        kindRules = made
        return made
    }
}
