import Foundation
import KithProjections

/// A projection's progress on one terminal line (stderr): percent, events, rate and ETA, or the
/// stage a rebuild is in once it has read the log.
final class ProgressLine {
    let label: String
    private let start = Date()
    private var first: UInt64?

    init(label: String) { self.label = label }

    func show(_ p: ProjectionProgress) {
        guard p.end > 0 else { return }
        if let stage = p.stage {
            // A rebuild has read the log; what is left has no event count to show.
            let text = "read \(Int(p.position).grouped) events; \(stage.rawValue)…"
            let elapsed = Date().timeIntervalSince(start)
            FileHandle.standardError.write(
                Data("\r\(label): \(text)  \(Projection.duration(elapsed))\u{1B}[K".utf8))
            return
        }
        show(events: p.position, of: p.end)
    }

    /// `events` of `end` done: percent, counts, rate and ETA.
    func show(events position: UInt64, of end: UInt64) {
        guard end > 0 else { return }
        let first = self.first ?? position
        self.first = first
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(position - first) / max(elapsed, 0.001)
        let eta = rate > 0 ? Double(end - position) / rate : 0
        FileHandle.standardError.write(
            Data(
                String(
                    format: "\r%@ %3.0f%%  %@/%@ events  %@ ev/s  ETA %@\u{1B}[K", label,
                    Double(position) / Double(end) * 100, Int(position).grouped, Int(end).grouped,
                    Int(rate).grouped, Projection.duration(eta)
                ).utf8))
    }
}
