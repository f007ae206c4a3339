import Foundation
import Hummingbird
import KithCore

/// `POST /v1/events`, `GET /v1/status`, `GET /healthz` and `GET /metrics`.
struct OperationsRoutes {
    let state: ServerState
    let intake: EventIntake
    let maximumBodyBytes: Int

    func add(to router: Router<KithRequestContext>) {
        router.post("/v1/events") { request, context in
            let key = try context.require(.eventsWrite)
            var body = try await request.body.collect(upTo: maximumBodyBytes)
            guard body.readableBytes > 0 else {
                throw Problem(.badRequest, "empty_body", "Send events as NDJSON in the body, one JSON object per line.")
            }
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            let source = request.uri.queryParameters.get("source")
            if let source, !isSourceName(source) {
                throw Problem(
                    .badRequest, "bad_source",
                    "source must be 1 to 32 of a-z, 0-9, _ and -; got \"\(source.prefix(40))\".")
            }
            return try Reply.json(try await intake.ingest(bytes, source: source, key: key))
        }
        router.get("/v1/status") { _, context in
            _ = try context.require(.profilesRead)
            return try Reply.json(try state.status())
        }
        router.get("/healthz") { _, _ in
            let health = state.health()
            return try Reply.json(health, status: health.reason == nil ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            if let status = try? state.status() { state.metrics.setProgress(status) }
            return Reply.text(state.metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}
