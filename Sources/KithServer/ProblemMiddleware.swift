import Foundation
import HTTPTypes
import Hummingbird
import KithCore

/// The outermost middleware: turns every error into an `application/problem+json` answer (a
/// thrown `Problem` as it is, Hummingbird's own errors with their status, anything else as a
/// 500 that names the error) and records each request's count and latency.
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
            response = problem.response(instance: request.uri.path)
        } catch let error as any HTTPResponseError {
            let detail: String
            switch error.status {
            case .notFound: detail = "No route matches \(request.method) \(request.uri.path); see schemas/openapi.yaml."
            case .contentTooLarge: detail = "The request body is larger than this server accepts."
            default: detail = "\(error)"
            }
            response = Problem(error.status, error.status == .notFound ? "no_route" : "http_error", detail)
                .response(instance: request.uri.path)
        } catch {
            response = Problem(.internalServerError, "internal", "The server failed: \(error)").response(instance: request.uri.path)
        }
        metrics.record(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code,
            duration: clock.now - start)
        return response
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
        }
        return try await next(request, context)
    }
}
