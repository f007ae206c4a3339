import Foundation
import KithGenerator
import Testing

@testable import KithCore

@Suite("JSON strings scanned a word at a time")
struct JSONScannerTests {
    /// Pieces of a string's content: plain runs of every length around a word, escapes, raw
    /// UTF-8, and bytes the contract refuses (a control character, an unknown escape).
    static let pieces: [[UInt8]] = [
        Array("a".utf8), Array("abcdefg".utf8), Array("abcdefgh".utf8), Array("abcdefghijklmnopq".utf8),
        Array("\\\"".utf8), Array("\\\\".utf8), Array("\\n".utf8), Array("\\u00e9".utf8), Array("\\ud83d\\ude00".utf8),
        Array("é".utf8), Array("中文".utf8), Array("~ }{,:".utf8), [0x01], [0x1F], Array("\\x".utf8), [0x7F],
    ]

    @Test("A string is accepted exactly when JSONDecoder accepts it, and ends at its closing quote (property)")
    func againstDecoder() throws {
        var rng = SplitMix64(seed: 808)
        var accepted = 0
        var refused = 0
        for _ in 0..<20_000 {
            // Some offset before the quote, so the words start anywhere in the line.
            var line = Array(repeating: UInt8(ascii: " "), count: rng.int(0..<9))
            let open = line.count
            line.append(UInt8(ascii: "\""))
            for _ in 0..<rng.int(0..<8) { line += Self.pieces[rng.int(0..<Self.pieces.count)] }
            let close = line.count
            line.append(UInt8(ascii: "\""))
            line += Array(",\"x\":1}".utf8.prefix(rng.int(0..<8)))
            let oracle = try? JSONDecoder().decode(String.self, from: Data(line[open...close]))
            let ours = line.withUnsafeBufferPointer { buffer -> JSONScanner.StringToken? in
                var scanner = JSONScanner(buffer, at: open)
                return try? scanner.scanString()
            }
            #expect((ours != nil) == (oracle != nil), "\(String(decoding: line, as: UTF8.self))")
            if let ours {
                accepted += 1
                #expect(ours.range == (open + 1)..<close)
            } else {
                refused += 1
            }
        }
        #expect(accepted > 2_000 && refused > 2_000)
    }
}
