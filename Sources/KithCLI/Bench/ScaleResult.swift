import Foundation

/// What `kith bench` measures at one scale (one row of the table, one element of `bench.json`).
struct ScaleResult: Codable {
    var persons = 0
    var events = 0
    var bytesIn = 0
    var ingestSeconds = 0.0
    var ingestEventsPerSecond = 0.0
    var projectionSeconds = 0.0
    var projectionEventsPerSecond = 0.0
    /// Links accepted between identifier values (values in profiles minus profiles).
    var identityLinks = 0
    var identityLinksPerSecond = 0.0
    var merges = 0
    var splits = 0
    var profiles = 0
    var largestProfileValues = 0
    var replaySeconds = 0.0
    var replayEventsPerSecond = 0.0
    var rfmRefreshSeconds = 0.0
    var lookups = 0
    var lookupP50Milliseconds = 0.0
    var lookupP99Milliseconds = 0.0
    /// The largest peak resident set of any step (each step is its own process).
    var peakRSSBytes = 0
    var dataBytes = 0
    var bytesPerEvent = 0.0
    var precision = 0.0
    var recall = 0.0

    enum CodingKeys: String, CodingKey {
        case persons, events, merges, splits, profiles, lookups, precision, recall
        case bytesIn = "bytes_in"
        case ingestSeconds = "ingest_seconds"
        case ingestEventsPerSecond = "ingest_events_per_second"
        case projectionSeconds = "projection_seconds"
        case projectionEventsPerSecond = "projection_events_per_second"
        case identityLinks = "identity_links"
        case identityLinksPerSecond = "identity_links_per_second"
        case largestProfileValues = "largest_profile_values"
        case replaySeconds = "replay_seconds"
        case replayEventsPerSecond = "replay_events_per_second"
        case rfmRefreshSeconds = "rfm_refresh_seconds"
        case lookupP50Milliseconds = "lookup_p50_ms"
        case lookupP99Milliseconds = "lookup_p99_ms"
        case peakRSSBytes = "peak_rss_bytes"
        case dataBytes = "data_bytes"
        case bytesPerEvent = "bytes_per_event"
    }
}

/// How cost grows with work, between consecutive scales and as a fitted exponent over all of
/// them (time ∝ events^b: b ≈ 1 is linear).
struct GrowthNote: Codable {
    var step: String
    var from: Int
    var to: Int
    var eventsFactor: Double
    var timeFactor: Double

    enum CodingKeys: String, CodingKey {
        case step, from, to
        case eventsFactor = "events_factor"
        case timeFactor = "time_factor"
    }

    var sentence: String {
        let what = step == "peak memory" ? step : step + " time"
        return String(
            format: "%@ grows ×%.1f for ×%.1f events (%@ → %@ persons)", what, timeFactor, eventsFactor, from.grouped,
            to.grouped)
    }

    /// The costs whose growth is reported: the name in sentences, the key in `exponents`.
    static let steps: [(name: String, key: String, value: @Sendable (ScaleResult) -> Double)] = [
        ("ingest", "ingest", { $0.ingestSeconds }), ("projection", "projection", { $0.projectionSeconds }),
        ("replay", "replay", { $0.replaySeconds }), ("RFM refresh", "rfm_refresh", { $0.rfmRefreshSeconds }),
        ("peak memory", "peak_memory", { Double($0.peakRSSBytes) }),
    ]

    static func notes(_ rows: [ScaleResult]) -> [GrowthNote] {
        var out: [GrowthNote] = []
        for (a, b) in zip(rows, rows.dropFirst()) where a.events > 0 {
            for (name, _, value) in steps where value(a) > 0 {
                out.append(
                    GrowthNote(
                        step: name, from: a.persons, to: b.persons, eventsFactor: Double(b.events) / Double(a.events),
                        timeFactor: value(b) / value(a)))
            }
        }
        return out
    }

    /// The least-squares slope of log(value) against log(events).
    static func exponent(_ rows: [ScaleResult], _ value: (ScaleResult) -> Double) -> Double? {
        let points = rows.filter { $0.events > 0 && value($0) > 0 }.map { (log(Double($0.events)), log(value($0))) }
        guard points.count >= 2 else { return nil }
        let mx = points.map(\.0).reduce(0, +) / Double(points.count)
        let my = points.map(\.1).reduce(0, +) / Double(points.count)
        let sxx = points.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        guard sxx > 0 else { return nil }
        return points.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / sxx
    }
}
