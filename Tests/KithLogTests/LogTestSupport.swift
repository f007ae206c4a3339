import Foundation
import KithCore
import KithTestSupport

@testable import KithLog

/// A fresh temporary directory per test, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "kith-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Canonical-looking lines with unique keys, one for each of `range` (the contract's lines).
func lines(_ range: Range<Int>, source: String = "app") -> EncodedLines {
    EventLogContract.lines(Array(range), source: source)
}

func readAll(_ directory: String) throws -> [(UInt64, String)] {
    var out: [(UInt64, String)] = []
    try EventLogReader(directory: directory).forEachLine { p, line in
        out.append((p, String(decoding: line, as: UTF8.self)))
        return true
    }
    return out
}
