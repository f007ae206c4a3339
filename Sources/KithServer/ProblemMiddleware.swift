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
            return Problem(.notFound, "no_route", "No route matches \(request.method) \(request.uri.path); see schemas/openapi.yaml.")
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
    static let routes: [(segments: [String], methods: [String])] = [
        (["v1", "profiles"], ["GET"]),
        (["v1", "profiles", "*"], ["GET"]),
        (["v1", "profiles", "*", "timeline"], ["GET"]),
        (["v1", "profiles", "*", "explain"], ["GET"]),
        (["v1", "segments"], ["GET"]),
        (["v1", "segments", "*", "profiles"], ["GET"]),
        (["v1", "rfm", "summary"], ["GET"]),
        (["v1", "status"], ["GET"]),
        (["v1", "events"], ["POST"]),
        (["healthz"], ["GET"]),
        (["metrics"], ["GET"]),
        ([], ["GET"]),
    ]

    static func methods(for path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return routes.first { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { $0 == "*" || $0 == $1 }
        }?.methods
    }
}

/// Finds the API key a request presents (`Authorization: Bearer KEY`, or `X-API-Key`); routes
/// then ask the context for the scope they need.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = KithRequestContext
    let state: ServerState
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
