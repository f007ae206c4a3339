import Foundation
import Hummingbird
import KithCore
import KithDirectory
import KithEngine
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
        let traits = state.rules.traits
        let view: ProfileView
        if let identifier = ProfileResolution.identifier(in: reference) {
            // The hot path: one lookup, awaited (on PostgreSQL, one statement and no thread held).
            let found = try await store.lookUpConcurrently(identifier)
            view = try answering(reference) {
                try Engine.profile(reference, identifier, lookedUp: found, traitRules: traits)
            }
        } else {
            view = try await state.reading { [self] in
                try answering(reference) { try Engine.profile(reference, in: store, traitRules: traits) }
            }
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
        let reference = try profileID(in: context)
        let limit = try Paging.limit(request, default: 50)
        var after: TimelineCursor?
        if let cursor = request.uri.queryParameters.get("cursor"), !cursor.isEmpty {
            guard let decoded = TimelineCursor(encoded: cursor) else { throw Paging.badCursor }
            after = decoded
        }
        let type = request.uri.queryParameters.get("type").flatMap { $0.isEmpty ? nil : $0 }
        // On PostgreSQL these reads wait on the server: on the waiting threads, never the
        // cooperative ones.
        let page = try await state.reading { [self, after] in
            try answering(reference) {
                try Engine.timeline(
                    of: reference, in: store, log: try state.logReader(), limit: limit, type: type, after: after)
            }
        }
        let disclosure = state.disclosure(for: context)
        try state.account(
            for: key, route: "GET /v1/profiles/{id}/timeline", profile: page.profileID, disclosure: disclosure)
        return try Reply.json(
            Page(
                profileID: page.profileID, items: page.entries.map { $0.disclosed(by: disclosure) },
                nextCursor: page.next?.encoded))
    }

    func explain(_ request: Request, _ context: KithRequestContext) async throws -> Response {
        let key = try context.require(.profilesRead)
        let store = try state.currentStore()
        let reference = try profileID(in: context)
        let explanation = try await state.reading { [self] in
            try answering(reference) { try Engine.explain(reference, in: store, log: try state.logReader()) }
        }
        let disclosure = state.disclosure(for: context)
        try state.account(
            for: key, route: "GET /v1/profiles/{id}/explain", profile: explanation.profileID, disclosure: disclosure)
        return try Reply.json(explanation.disclosed(by: disclosure))
    }

    /// Runs a lookup of `reference`; one that leads to no profile is a 404 that says why, and
    /// an argument the lookup refuses is a 400.
    private func answering<T>(_ reference: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as EngineError where error.code == .noProfile {
            throw Problem(
                .notFound, "no_profile", "No profile or identifier matches \(Disclosure.masked(reference)).")
        } catch let error as EngineError where error.code == .noCurrentProfile {
            throw Problem(.notFound, "no_current_profile", error.message)
        } catch let error as EngineError where error.code == .badArgument {
            throw Problem(
                .badRequest, "bad_type", error.message.prefix(1).uppercased() + error.message.dropFirst() + ".")
        }
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
