/// Whether each value never links by what it is (blocklist, patterns), worked out once per
/// value and kept: a projection asks it for every value of every event (anchors) and for every
/// value and partner it resolves, and matching the patterns each time cost a rebuild a fifth of
/// its time. Dense (a byte per node, grown on demand) for a projector or a whole-graph
/// resolution, a dictionary for a few values. Only valid for one set of rules.
public struct NeverLinkMarks: Sendable {
    public typealias Node = IdentityGraph.Node
    private var dense: [Int8] = []
    private var sparse: [Node: Bool] = [:]
    private let isDense: Bool

    public init(dense: Bool) { isDense = dense }

    public mutating func neverLinks(_ node: Node, in graph: IdentityGraph, by resolver: IdentityResolver) -> Bool {
        let i = Int(node)
        // A stored value not loaded yet has no identifier to judge: answer, but do not remember.
        guard graph.isLoaded(node) else { return resolver.neverLinks(graph.nodes[i].identifier) }
        if isDense {
            if i >= dense.count {
                dense.append(contentsOf: repeatElement(-1, count: max(i + 1, graph.nodeCount) - dense.count))
            }
            if dense[i] < 0 { dense[i] = resolver.neverLinks(graph.nodes[i].identifier) ? 1 : 0 }
            return dense[i] == 1
        }
        if let known = sparse[node] { return known }
        let answer = resolver.neverLinks(graph.nodes[i].identifier)
        sparse[node] = answer
        return answer
    }
}
