import KithCore
import PostgresNIO

extension PostgresProjectionStore {
    /// Fills the empty generation in one transaction: values and statistics as the projector
    /// streams them, in statements of many rows with no conflict to check, then the rest of
    /// the batch as any batch.
    public func commitRebuild(rulesHash: String, _ produce: (any RebuildSink) throws -> ProjectionBatch) throws {
        let end = try session.transaction(doing: "rebuilding the projections") { t in
            try inForce(t)
            let held = try t.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(g).checkpoint")).first?.decode(
                Int64.self)
            if held ?? 0 > 0 {
                throw ProjectionError(
                    .refused, "a rebuild needs an empty projection store; \(location) already holds a projection")
            }
            // Keys and indexes are built once the rows are in: sorting once beats keeping them
            // up to date row by row (the rows are unique by construction, and adding a key
            // checks it).
            for statement in PostgresProjectionSchema.droppingKeys(generation: g) {
                try t.query(PostgresQuery(unsafeSQL: statement))
            }
            let sink = Sink(PostgresRowWriter(t, g: g, fresh: true))
            let batch = try produce(sink)
            try sink.flush()
            try write(batch, rulesHash: rulesHash, in: t, fresh: true)
            for statement in PostgresProjectionSchema.keys(generation: g)
                + PostgresProjectionSchema.indexes(generation: g)
                + PostgresProjectionSchema.analyze(generation: g)
            {
                try t.query(PostgresQuery(unsafeSQL: statement))
            }
            return batch.endPosition
        }
        committed(upTo: end)
        analyzed = true
    }

    /// Queues the rows the projector streams and writes them a statement's worth at a time.
    private final class Sink: RebuildSink {
        let writer: PostgresRowWriter
        var nodes: [ProjectionBatch.NodeRow] = []
        var stats: [(IdentityGraph.Node, NodeStats, [UInt8])] = []

        init(_ writer: PostgresRowWriter) { self.writer = writer }

        func append(_ node: ProjectionBatch.NodeRow) throws {
            nodes.append(node)
            if nodes.count == PostgresProjectionStore.rowsPerStatement { try flushNodes() }
        }

        func append(_ s: NodeStats, timeline: [UInt8], of node: IdentityGraph.Node) throws {
            stats.append((node, s, timeline))
            if stats.count == PostgresProjectionStore.rowsPerStatement { try flushStats() }
        }

        func flush() throws {
            try flushNodes()
            try flushStats()
        }

        private func flushNodes() throws {
            try writer.upsert(nodes: nodes)
            nodes.removeAll(keepingCapacity: true)
        }

        private func flushStats() throws {
            try writer.upsert(stats: stats)
            stats.removeAll(keepingCapacity: true)
        }
    }
}
