import Foundation

/// `bench.svg`: throughput and peak memory against scale, two small line charts with a log
/// x axis, self-contained (no fonts or scripts fetched).
enum BenchChart {
    struct Series {
        var name: String
        var colour: String
        var values: [Double]
    }

    static func svg(_ rows: [ScaleResult]) -> String {
        let events = rows.map { Double(max($0.events, 1)) }
        let throughput = [
            Series(name: "ingest", colour: "#1f77b4", values: rows.map(\.ingestEventsPerSecond)),
            Series(name: "projection", colour: "#d62728", values: rows.map(\.projectionEventsPerSecond)),
            Series(name: "replay", colour: "#2ca02c", values: rows.map(\.replayEventsPerSecond)),
        ]
        let memory = [
            Series(name: "peak RSS", colour: "#9467bd", values: rows.map { Double($0.peakRSSBytes) / 1_048_576 })
        ]
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="960" height="360" viewBox="0 0 960 360" font-family="sans-serif" font-size="12">
            <rect width="960" height="360" fill="white"/>
            \(panel(x: 0, title: "throughput (events/s)", events: events, series: throughput))
            \(panel(x: 480, title: "peak memory (MiB)", events: events, series: memory))
            </svg>

            """
    }

    private static func panel(x: Double, title: String, events: [Double], series: [Series]) -> String {
        let left = x + 70, right = x + 450, top = 40.0, bottom = 300.0
        let lx = events.map { log10($0) }
        let minX = (lx.min() ?? 0) - 0.05, maxX = (lx.max() ?? 1) + 0.05
        let maxY = max(series.flatMap(\.values).max() ?? 1, 1) * 1.1
        func px(_ e: Double) -> Double { left + (log10(e) - minX) / max(maxX - minX, 0.1) * (right - left) }
        func py(_ v: Double) -> Double { bottom - v / maxY * (bottom - top) }
        var out = [
            "<text x=\"\(left)\" y=\"24\" font-size=\"14\" font-weight=\"bold\">\(title)</text>",
            "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(right)\" y2=\"\(bottom)\" stroke=\"#333\"/>",
            "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"#333\"/>",
            "<text x=\"\((left + right) / 2)\" y=\"340\" text-anchor=\"middle\">events (log scale)</text>",
        ]
        for i in 0...4 {
            let v = maxY * Double(i) / 4
            out.append(
                "<text x=\"\(left - 6)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(compact(v))</text>"
                    + "<line x1=\"\(left)\" y1=\"\(py(v))\" x2=\"\(right)\" y2=\"\(py(v))\" stroke=\"#eee\"/>")
        }
        for e in events {
            out.append("<text x=\"\(px(e))\" y=\"\(bottom + 16)\" text-anchor=\"middle\">\(compact(e))</text>")
        }
        for (i, s) in series.enumerated() {
            let points = zip(events, s.values).map { "\(px($0)),\(py($1))" }.joined(separator: " ")
            out.append("<polyline fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"2\" points=\"\(points)\"/>")
            for (e, v) in zip(events, s.values) {
                out.append(
                    "<circle cx=\"\(px(e))\" cy=\"\(py(v))\" r=\"3\" fill=\"\(s.colour)\"><title>\(s.name): \(compact(v))</title></circle>"
                )
            }
            out.append(
                "<rect x=\"\(right - 110)\" y=\"\(top + Double(i) * 18)\" width=\"10\" height=\"10\" fill=\"\(s.colour)\"/>"
                    + "<text x=\"\(right - 95)\" y=\"\(top + Double(i) * 18 + 10)\">\(s.name)</text>")
        }
        return out.joined(separator: "\n")
    }

    static func compact(_ v: Double) -> String {
        switch v {
        case 1e6...: return String(format: "%.1fM", v / 1e6)
        case 1e3...: return String(format: "%.0fk", v / 1e3)
        default: return String(format: "%.0f", v)
        }
    }
}
