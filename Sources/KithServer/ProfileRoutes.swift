import Foundation
import Hummingbird
import KithCore
import KithIngest
import KithProjections

/// `/v1/profiles…`: the unified view by id or identifier, the timeline and the explanation.
/// Personal data is masked unless the key has `pii:read`; unmasked answers are audited first.
struct ProfileRoutes {
    let state: ServerState

    func add(to router: Router<KithRequestContext>) {
        router.get("/v1/profiles") { request, context in try await lookup(request, context) }
        router.get("/v1/profiles/{id}") { request, context in try await profile(request, context) }
        router.get("/v1/profiles/{id}/timeline") { request, context in try await timeline(request, context) }
        router.get("/v1/profiles/{id}/explain") { request, context in try await explain(request, context) }
    }

    func lookup(_ request: Request, _ context: KithRequestContext) async throws -> Response {
        let key = try context.require(.profilesRead)
        guard let identifier = request.uri.queryParameters.get("identifier") else {
            throw Problem(
                .badRequest, "missing_identifier",
                "Say which customer: ?identifier=KIND:VALUE, e.g. ?identifier=phone:13800138000 (any spelling; it is normalised)."
            )
        }
        guard RequestDecoding.identifierReference(identifier) != nil else {
            throw Problem(
                .badRequest, "bad_identifier",
                "The identifier must be KIND:VALUE, e.g. phone:13800138000 or email:li@example.com.")
        }
        if context.clearUpTo == .notPersonal { try state.countMaskedLookup(by: key) }
        return try await answer(reference: identifier, route: "GET /v1/profiles", key: key, context)
    }

    func profile(_ request: Request, _ context: KithRequestContext) async throws -> Response {
        let key = try context.require(.profilesRead)
        return try await answer(
            reference: try profileID(in: context), route: "GET /v1/profiles/{id}", key: key, context)
    }

    /// The `{id}` of the path, which must be a profile id: an identifier there would put a
    /// customer's phone or email into URLs, proxy logs and browser histories.
    private func profileID(in context: KithRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard RequestDecoding.isProfileID(id) else {
            let id = id.removingPercentEncoding ?? id
            let looksLikeIdentifier =
                id.utf8.contains { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "@") }
                || id.utf8.filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count >= 6
            guard looksLikeIdentifier else {
                throw Problem(
                    .badRequest, "bad_profile_id",
                    "A profile id is p and 16 hex digits, as the API returns it in profile_id.")
            }
            throw Problem(
                .badRequest, "identifier_in_path",
                "The path takes a profile id (p and 16 hex digits). Look identifiers up with "
                    + "GET /v1/profiles?identifier=KIND:VALUE, never in the path.")
        }
        return id
    }

    private func answer(reference: String, route: String, key: APIKey, _ context: KithRequestContext) async throws
        -> Response
    {
        let store = try state.currentStore()
        let disclosure = state.disclosure(for: context)
        // One read: the resolution (alias, split, identifier) and the view are of the same snapshot.
        guard let view = try store.profile(reference, traitRules: state.rules.traits) else {
            _ = try resolve(store, reference)
            throw Problem(.notFound, "no_profile", "No profile matches \(Disclosure.masked(reference)).")
        }
        let current = view.profileID
        var headers: HTTPFields = [:]
        if reference != current { headers[.location] = "/v1/profiles/\(current)" }
        try state.account(for: key, route: route, profile: current, disclosure: disclosure)
        return Reply.json(encoded: view.disclosed(by: disclosure).jsonBytes(), headers: headers)
    }

    func timeline(_ request: Request, _ context: KithRequestContext) async throws -> Response {
        let key = try context.require(.profilesRead)
        let store = try state.currentStore()
        let current = try resolve(store, try profileID(in: context))
        let limit = try Paging.limit(request, default: 50)
        var before: TimelineCursor?
        if let cursor = request.uri.queryParameters.get("cursor"), !cursor.isEmpty {
            guard let decoded = TimelineCursor(encoded: cursor) else { throw Paging.badCursor }
            before = decoded
        }
        let type = request.uri.queryParameters.get("type").flatMap { $0.isEmpty ? nil : $0 }
        if let type, EventType(rawValue: type) == nil {
            throw Problem(
                .badRequest, "bad_type",
                "Unknown event type \"\(type)\"; expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", "))."
            )
        }
        let entries = try store.timeline(
            current, limit: limit + 1, type: type, before: before, in: try state.logReader())
        let disclosure = state.disclosure(for: context)
        try state.account(for: key, route: "GET /v1/profiles/{id}/timeline", profile: current, disclosure: disclosure)
        let page = Array(entries.prefix(limit))
        let next = entries.count > limit ? page.last?.cursor.encoded : nil
        return try Reply.json(
            Page(profileID: current, items: page.map { $0.disclosed(by: disclosure) }, nextCursor: next))
    }

    func explain(_ request: Request, _ context: KithRequestContext) async throws -> Response {
        let key = try context.require(.profilesRead)
        let store = try state.currentStore()
        let current = try resolve(store, try profileID(in: context))
        let explanation = try store.explain(current, in: try state.logReader())
        let disclosure = state.disclosure(for: context)
        try state.account(for: key, route: "GET /v1/profiles/{id}/explain", profile: current, disclosure: disclosure)
        return try Reply.json(explanation.disclosed(by: disclosure))
    }

    /// The current profile a reference leads to, or a 404 that says why not.
    private func resolve(_ store: SQLiteProjectionStore, _ reference: String) throws -> String {
        guard let resolved = try store.resolve(reference) else {
            throw Problem(
                .notFound, "no_profile",
                "No profile or identifier matches \(Disclosure.masked(reference)).")
        }
        guard let current = resolved.current else {
            throw Problem(.notFound, "no_current_profile", resolved.note ?? "It belongs to no profile now.")
        }
        return current
    }

    struct Page<Item: Encodable>: Encodable {
        var profileID: String
        var items: [Item]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case items
            case profileID = "profile_id"
            case nextCursor = "next_cursor"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(profileID, forKey: .profileID)
            try c.encode(items, forKey: .items)
            try c.encode(nextCursor, forKey: .nextCursor)
        }
    }
}

/// Cursors are opaque to clients (base64url of the last item's sort key); limits are bounded.
enum Paging {
    static let badCursor = Problem(
        .badRequest, "bad_cursor",
        "The cursor is not one this server issued; pass next_cursor from the previous page as it is.")

    static func limit(_ request: Request, default value: Int, maximum: Int = 500) throws -> Int {
        let text: String? = request.uri.queryParameters.get("limit").map { String($0) }
        guard let n = RequestDecoding.limit(text, fallback: value, maximum: maximum) else {
            throw Problem(
                .badRequest, "bad_limit", "limit must be a whole number from 1 to \(maximum); got \"\(text ?? "")\".")
        }
        return n
    }
}
