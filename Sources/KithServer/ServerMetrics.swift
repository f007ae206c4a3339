import Foundation
import Prometheus

/// Prometheus metrics: per-route request counts and latency histograms, plus gauges for how far
/// ingest and projection have got, set when `/metrics` is scraped.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let buckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(5),
    ]

    func record(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "kith_http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))],
            help: "HTTP requests answered, by route template, method and status."
        ).increment()
        registry.makeDurationHistogram(
            name: "kith_http_request_duration_seconds", labels: [("route", route), ("method", method)],
            buckets: ServerMetrics.buckets, help: "Time to answer an HTTP request, by route template."
        ).record(duration)
    }

    func setProgress(_ status: ServiceStatus) {
        registry.makeGauge(name: "kith_log_events", help: "Events in the log (its end position).")
            .set(Double(status.logEndPosition))
        registry.makeGauge(name: "kith_projection_checkpoint", help: "Log position the projection store has reached.")
            .set(Double(status.checkpoint))
        registry.makeGauge(name: "kith_projection_lag_events", help: "Events in the log not yet projected.")
            .set(Double(status.projectionLag))
        registry.makeGauge(name: "kith_quarantined_lines", help: "Lines held in quarantine.")
            .set(Double(status.quarantined))
        registry.makeGauge(
            name: "kith_ingest_lag_seconds", help: "Seconds since the log last grew (how stale ingested data is)."
        ).set(status.secondsSinceLastIngest ?? -1)
    }

    func exposition() -> String { registry.emitToString() }
}
