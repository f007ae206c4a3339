import Foundation
import KithGenerator
import Testing

@testable import KithLog

@Suite struct FilePathsTests {
    @Test("a path's parent is what Foundation says, and a one-character name has none (where Foundation traps)")
    func parentAgreesWithFoundation() {
        #expect(FilePaths.parent(of: "A") == "")
        #expect(FilePaths.parent(of: "/A") == "/")
        #expect(FilePaths.parent(of: "/") == "/")
        #expect(FilePaths.parent(of: "a/b/") == "a")
        #expect(FilePaths.parent(of: "a/") == "")
        var rng = SplitMix64(seed: 0x9A7)
        let parts = ["a", "bc", "kith-data", ".", "..", "", "log"]
        for _ in 0..<2_000 {
            var path = rng.chance(0.5) ? "/" : ""
            for i in 0..<Int.random(in: 1...4, using: &rng) {
                path += (i > 0 ? "/" : "") + parts[Int.random(in: 0..<parts.count, using: &rng)]
            }
            if rng.chance(0.2) { path += "/" }
            // Foundation is the oracle wherever it does not trap: it traps when what is left
            // without trailing slashes is one character ("a/"), and is odd on slashes alone.
            let trimmed = path.utf8.reversed().drop { $0 == UInt8(ascii: "/") }
            guard trimmed.count > 1 else { continue }
            #expect(FilePaths.parent(of: path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }
}
