import Foundation
import KithGenerator
import Testing

/// Issue 19: the README promises that one seed gives the same exports on every run.
struct GeneratorDeterminismTests {
    /// Every file under `root`, by relative path, with its bytes.
    static func files(under root: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory),
                !isDirectory.boolValue
            else { continue }
            out[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative))
        }
        return out
    }

    @Test("The same seed gives byte-identical exports and truth files; another seed does not")
    func sameSeedSameBytes() throws {
        let scratch = Scratch()
        _ = try Generator(persons: 300, seed: 77).write(to: scratch.path + "/a")
        _ = try Generator(persons: 300, seed: 77).write(to: scratch.path + "/b")
        _ = try Generator(persons: 300, seed: 78).write(to: scratch.path + "/c")
        let a = try Self.files(under: scratch.path + "/a")
        let b = try Self.files(under: scratch.path + "/b")
        let c = try Self.files(under: scratch.path + "/c")
        #expect(a.count >= 8, "exports and truth files: \(a.keys.sorted())")
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, bytes) in a { #expect(b[name] == bytes, "\(name) differs between two runs of one seed") }
        #expect(a.filter { $0.key.hasSuffix(".ndjson") } != c.filter { $0.key.hasSuffix(".ndjson") })
    }
}
