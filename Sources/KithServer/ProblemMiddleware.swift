import Foundation
import HTTPTypes
import Hummingbird
import KithCore

/// The outermost middleware: turns every error into an `application/problem+json` answer (a
/// thrown `Problem` as it is, Hummingbird's own errors with their status, a method a route does
/// not take as 405 with `Allow`, anything else as a 500 whose cause goes to the operator's log,
/// never to the client), marks every answer `Cache-Control: no-store`, and records each
/// request's count and latency.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = KithRequestContext
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        var response: Response
        do {
            if let unknown = RouteTable.unknownParameter(in: request) {
                let known = RouteTable.route(for: request.uri.path)?.query.sorted() ?? []
                throw Problem(
                    .badRequest, "unknown_parameter",
                    "This route takes no query parameter \"\(unknown.prefix(40))\""
                        + (known.isEmpty ? "." : "; it takes \(known.joined(separator: ", ")).")
                        + " A misspelt parameter must not be ignored silently.")
            }
            response = try await next(request, context)
        } catch let problem as Problem {
            if let detail = problem.operatorDetail {
                FileHandle.standardError.write(Data("kith serve: \(problem.code): \(detail)\n".utf8))
            }
            response = problem.response(instance: request.uri.path)
        } catch let error as any HTTPResponseError {
            response = ProblemMiddleware.problem(for: error, request).response(instance: request.uri.path)
        } catch {
            FileHandle.standardError.write(Data("kith serve: internal: \(error)\n".utf8))
            response = Problem(.internalServerError, "internal", "The server failed; the operator's log says why.")
                .response(instance: request.uri.path)
        }
        // Answers may carry personal data: no cache (browser, proxy) may keep them.
        response.headers[.cacheControl] = "no-store"
        metrics.record(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code,
            duration: clock.now - start)
        return response
    }
}

extension ProblemMiddleware {
    static func problem(for error: any HTTPResponseError, _ request: Request) -> Problem {
        switch error.status {
        case .notFound:
            if let allowed = RouteTable.methods(for: request.uri.path), !allowed.contains(request.method.rawValue) {
                return Problem(
                    .methodNotAllowed, "method_not_allowed",
                    "\(request.method) is not served here; this path takes \(allowed.joined(separator: ", ")).",
                    headers: [.allow: allowed.joined(separator: ", ")])
            }
            return Problem(
                .notFound, "no_route",
                "No route matches \(request.method) \(request.uri.path); see schemas/openapi.yaml.")
        case .contentTooLarge:
            return Problem(.contentTooLarge, "http_error", "The request body is larger than this server accepts.")
        default:
            return Problem(error.status, "http_error", error.status.reasonPhrase)
        }
    }
}

/// The routes the server declares (as in schemas/openapi.yaml), to answer a method a path does
/// not take with 405 and the methods it does.
enum RouteTable {
    struct Route {
        var segments: [String]
        var methods: [String]
        /// The query parameters the route takes; any other is refused (400), as the spec says.
        var query: Set<String> = []
    }

    static let routes: [Route] = [
        Route(segments: ["v1", "profiles"], methods: ["GET"], query: ["identifier"]),
        Route(segments: ["v1", "profiles", "*"], methods: ["GET"]),
        Route(segments: ["v1", "profiles", "*", "timeline"], methods: ["GET"], query: ["type", "limit", "cursor"]),
        Route(segments: ["v1", "profiles", "*", "explain"], methods: ["GET"]),
        Route(segments: ["v1", "segments"], methods: ["GET"]),
        Route(segments: ["v1", "segments", "*", "profiles"], methods: ["GET"], query: ["limit", "cursor"]),
        Route(segments: ["v1", "rfm", "summary"], methods: ["GET"]),
        Route(segments: ["v1", "status"], methods: ["GET"]),
        Route(segments: ["v1", "events"], methods: ["POST"], query: ["source"]),
        Route(segments: ["healthz"], methods: ["GET"]),
        Route(segments: ["metrics"], methods: ["GET"]),
        Route(segments: [], methods: ["GET"]),
    ]

    static func route(for path: String) -> Route? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return routes.first { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { $0 == "*" || $0 == $1 }
        }
    }

    static func methods(for path: String) -> [String]? { route(for: path)?.methods }

    /// The first query parameter `path` does not take, if any.
    static func unknownParameter(in request: Request) -> String? {
        guard let route = route(for: request.uri.path) else { return nil }
        return request.uri.queryParameters.map { String($0.key) }.first { !route.query.contains($0) }
    }
}

/// Finds the API key a request presents (`Authorization: Bearer KEY`, or `X-API-Key`); routes
/// then ask the context for the scope they need.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = KithRequestContext
    let state: ServerState
    // swift-format-ignore: NeverForceUnwrap
    // A constant, valid field name: HTTPField.Name's initializer only fails on invalid tokens.
    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let secret = RequestDecoding.apiKey(
            authorization: request.headers[.authorization], apiKeyHeader: request.headers[AuthMiddleware.apiKeyHeader])
        {
            context.presentedKey = true
            context.key = try state.key(for: secret)
            if let key = context.key, let wait = state.limiter.take(for: key.id) {
                throw Problem(
                    .tooManyRequests, "rate_limited",
                    "The key \"\(key.name)\" made more than \(state.limits.burst) requests at once or "
                        + "\(Int(state.limits.requestsPerSecond)) a second; retry after \(wait) s.",
                    headers: [.retryAfter: String(wait)])
            }
        }
        return try await next(request, context)
    }
}
