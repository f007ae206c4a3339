import Foundation
import KithIngest

/// A one-line progress bar on stderr, only when stderr is a terminal; at most ten redraws a second.
final class ProgressBar: @unchecked Sendable {
    // @unchecked: `lastDraw` is only touched from the ingest task that reports progress.
    private var lastDraw = 0.0
    let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: IngestProgress) {
        guard enabled, p.seconds - lastDraw >= 0.1 || p.bytesDone >= p.bytesTotal else { return }
        lastDraw = p.seconds
        let fraction = p.bytesTotal > 0 ? min(1, Double(p.bytesDone) / Double(p.bytesTotal)) : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let rate = p.seconds > 0 ? Double(p.events) / p.seconds : 0
        let eta = fraction > 0 ? p.seconds * (1 - fraction) / fraction : 0
        let name = (p.file as NSString).lastPathComponent
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = String(
            format: "\r%@ %3.0f%%  %@ events  %@ ev/s  ETA %.0fs  [%d/%d %@]\u{1B}[K", bar, fraction * 100,
            p.events.grouped, Int(rate).grouped, eta, p.fileIndex + 1, p.fileCount, name)
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
