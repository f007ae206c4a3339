import Foundation
import KithEngine
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
            descriptor: Self.name(
                "kith_http_requests_total", "HTTP requests answered, by route template, method and status."),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name(
                "kith_http_request_duration_seconds", "Time to answer an HTTP request, by route template."),
            labels: [("route", route), ("method", method)], buckets: ServerMetrics.buckets
        ).record(duration)
    }

    func setProgress(_ status: Engine.Status) {
        registry.makeGauge(descriptor: Self.name("kith_log_events", "Events in the log (its end position)."))
            .set(Double(status.logEndPosition))
        registry.makeGauge(
            descriptor: Self.name("kith_projection_checkpoint", "Log position the projection store has reached.")
        )
        .set(Double(status.checkpoint))
        registry.makeGauge(descriptor: Self.name("kith_projection_lag_events", "Events in the log not yet projected."))
            .set(Double(status.projectionLag))
        registry.makeGauge(descriptor: Self.name("kith_quarantined_lines", "Lines held in quarantine."))
            .set(Double(status.quarantined))
        registry.makeGauge(
            descriptor: Self.name(
                "kith_ingest_lag_seconds", "Seconds since the log last grew (how stale ingested data is).")
        ).set(status.secondsSinceLastIngest ?? -1)
    }

    func exposition() -> String { registry.emitToString() }

    static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
