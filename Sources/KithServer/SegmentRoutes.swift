import Foundation
import Hummingbird
import KithCore
import KithEngine
import KithProjections

/// `/v1/segments…` and `/v1/rfm/summary`: the RFM view as the last refresh left it.
struct SegmentRoutes {
    let state: ServerState

    func add(to router: Router<KithRequestContext>) {
        router.get("/v1/segments") { _, context in try segments(context) }
        router.get("/v1/segments/{key}/profiles") { request, context in try members(request, context) }
        router.get("/v1/rfm/summary") { _, context in try summary(context) }
    }

    struct Group: Encodable {
        var key: String
        var kind: String
        var labelZH: String
        var labelEN: String
        var count: Int

        enum CodingKeys: String, CodingKey {
            case key, kind, count
            case labelZH = "label_zh"
            case labelEN = "label_en"
        }
    }

    struct Segments: Encodable {
        var asOf: String
        var profiles: Int
        var scored: Int
        var segments: [Group]
        var stages: [Group]

        enum CodingKeys: String, CodingKey {
            case profiles, scored, segments, stages
            case asOf = "as_of"
        }
    }

    func segments(_ context: KithRequestContext) throws -> Response {
        _ = try context.require(.profilesRead)
        let view = try rfmView()
        let counts = Dictionary(uniqueKeysWithValues: view.summary.segments.map { ($0.segment, $0.count) })
        return try Reply.json(
            Segments(
                asOf: Timestamp(epochSeconds: view.asOf).description, profiles: view.summary.profiles,
                scored: view.summary.scored,
                segments: Segment.allCases.map {
                    Group(
                        key: $0.key, kind: "rfm_segment", labelZH: $0.label(.zh), labelEN: $0.label(.en),
                        count: counts[$0] ?? 0)
                },
                stages: LifecycleStage.allCases.map {
                    Group(
                        key: $0.key, kind: "lifecycle_stage", labelZH: $0.label(.zh), labelEN: $0.label(.en),
                        count: view.summary.stages[$0.key] ?? 0)
                }))
    }

    struct Members: Encodable {
        var key: String
        var asOf: String
        var items: [RFMLine]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case key, items
            case asOf = "as_of"
            case nextCursor = "next_cursor"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(key, forKey: .key)
            try c.encode(asOf, forKey: .asOf)
            try c.encode(items, forKey: .items)
            try c.encode(nextCursor, forKey: .nextCursor)
        }
    }

    func members(_ request: Request, _ context: KithRequestContext) throws -> Response {
        _ = try context.require(.profilesRead)
        let text = try context.parameters.require("key")
        guard let key = SegmentKey(key: text) else {
            throw Problem(.notFound, "no_segment", "\"\(text)\" is not \(SegmentKey.expected).")
        }
        let limit = try Paging.limit(request, default: 100, maximum: 1000)
        var after: String?
        if let cursor = request.uri.queryParameters.get("cursor"), !cursor.isEmpty {
            guard let decoded = RequestDecoding.cursorText(String(cursor)), decoded.hasPrefix("p") else {
                throw Paging.badCursor
            }
            after = decoded
        }
        var items: [RFMLine] = []
        let page = try answering {
            try Engine.members(of: key, in: try state.currentStore(), after: after, limit: limit) { items.append($0) }
        }
        return try Reply.json(
            Members(
                key: text, asOf: Timestamp(epochSeconds: page.asOf).description, items: items,
                nextCursor: page.more ? items.last.map { RequestDecoding.cursor(encoding: $0.profileID) } : nil))
    }

    struct Summary: Encodable {
        var asOf: String
        var pinned: Bool
        var refreshedAt: String
        var position: UInt64
        var currency: String
        var summary: RFMSummary

        enum CodingKeys: String, CodingKey {
            case pinned, position, currency, summary
            case asOf = "as_of"
            case refreshedAt = "refreshed_at"
        }
    }

    func summary(_ context: KithRequestContext) throws -> Response {
        _ = try context.require(.profilesRead)
        let view = try rfmView()
        return try Reply.json(
            Summary(
                asOf: Timestamp(epochSeconds: view.asOf).description, pinned: view.pinned,
                refreshedAt: view.refreshedAt,
                position: view.position, currency: view.model.currency, summary: view.summary))
    }

    private func rfmView() throws -> RFMView {
        try answering { try Engine.rfmView(of: try state.currentStore()) }
    }

    /// Runs `body`; no RFM view yet is a 503 that says what to run.
    private func answering<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as EngineError where error.code == .noRFMView {
            throw Problem(
                .serviceUnavailable, "no_rfm_view", "There is no RFM view yet: run kith rfm refresh (or kith project).")
        }
    }
}
