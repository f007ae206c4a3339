import KithCore

/// The identity half of a projector batch, in memory: observe the events' values, take the
/// closure of what they touched, resolve it, and count how profiles merged and split. Used by
/// `kith bench identity` to time the algorithm without the log or a store.
struct IdentityEngine {
    typealias Node = IdentityGraph.Node
    private(set) var graph = IdentityGraph()
    private let resolver: IdentityResolver
    /// Each value's profile, named by the profile's anchor value.
    private var membership: [Node: Node] = [:]
    private var accepted = Set<UInt64>()
    private(set) var merges = 0
    private(set) var splits = 0
    /// Links considered (accepted or refused) over all batches: the resolver's unit of work.
    private(set) var linkDecisions = 0

    init(rules: Rules) { resolver = IdentityResolver(rules: rules) }

    var links: Int { accepted.count }
    /// Every value's profile anchor, for comparing with a resolution of the whole graph.
    var profileOfValue: [Node: Node] { membership }
    var profiles: Int { Set(membership.values).count }
    var shared: Int {
        (0..<Node(graph.nodeCount)).filter {
            if case .shared = resolver.standing(of: $0, in: graph) { return true } else { return false }
        }.count
    }

    mutating func apply(_ events: ArraySlice<[Identifier]>) {
        var touched = Set<Node>()
        for (i, identifiers) in events.enumerated() {
            touched.formUnion(graph.observe(identifiers, at: UInt64(events.startIndex + i)))
        }
        let closure = resolver.closure(of: touched, in: graph)
        let resolution = resolver.resolve(closure, in: graph)
        linkDecisions += resolution.accepted.count + resolution.refused.count
        var before: [Node: Set<Node>] = [:]
        var oldProfile: [Node: Node] = [:]
        for n in closure {
            if let p = membership.removeValue(forKey: n) {
                before[p, default: []].insert(n)
                oldProfile[n] = p
            }
            for m in graph.neighbours[Int(n)] { accepted.remove(IdentityGraph.key(n, m)) }
        }
        for link in resolution.accepted { accepted.insert(IdentityGraph.key(link.a, link.b)) }
        for component in resolution.components {
            var previous = Set<Node>()
            for n in component {
                membership[n] = component[0]
                if let p = oldProfile[n] { previous.insert(p) }
            }
            merges += max(0, previous.count - 1)
        }
        for (_, nodes) in before where Set(nodes.compactMap { membership[$0] }).count > 1 { splits += 1 }
    }
}
