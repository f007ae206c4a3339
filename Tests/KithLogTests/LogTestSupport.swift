import Foundation
import KithCore

@testable import KithLog

/// A fresh temporary directory per test, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "kith-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// `count` canonical-looking lines with unique keys starting at `start`.
func lines(_ range: Range<Int>, source: String = "app") -> EncodedLines {
    var l = EncodedLines()
    for i in range {
        let text =
            #"{"event_id":"e\#(i)","source":"\#(source)","type":"behaviour","name":"app_open","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"device_id":"d\#(i % 97)"}}"#
        l.bytes.append(contentsOf: text.utf8)
        l.endLine(key: EventKey(source: Array(source.utf8), eventID: Array("e\(i)".utf8)))
    }
    return l
}

func readAll(_ directory: String) throws -> [(UInt64, String)] {
    var out: [(UInt64, String)] = []
    try EventLogReader(directory: directory).forEachLine { p, line in
        out.append((p, String(decoding: line, as: UTF8.self)))
        return true
    }
    return out
}
