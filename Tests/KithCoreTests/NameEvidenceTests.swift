import Testing

@testable import KithCore

@Suite("Name evidence")
struct NameEvidenceTests {
    @Test("Spellings of one name are one name; different names conflict")
    func spellings() {
        #expect(NameEvidence.hash(of: "李伟") == NameEvidence.hash(of: " 李 伟 "))
        #expect(NameEvidence.hash(of: "Li Wei") == NameEvidence.hash(of: "li.wei"))
        #expect(NameEvidence.hash(of: "Jean-Luc") == NameEvidence.hash(of: "jean luc"))
        #expect(NameEvidence.hash(of: "   ") == nil)
        var a = NameEvidence()
        a.add(name: "李伟")
        a.add(name: "李 伟")
        #expect(!a.isConflicted)
        var b = NameEvidence()
        b.add(name: "王芳")
        #expect(a.conflicts(with: b))
        b.add(name: "李伟")
        #expect(!a.conflicts(with: b))
        #expect(b.isConflicted)
    }

    @Test("The evidence is the same whatever order the names come in, and survives storage (property)")
    func orderIndependent() {
        var rng = SplitMixForTests(seed: 0x4E_41)
        let names = ["李伟", "王芳", "张敏", "Li Wei", "陈静", "刘洋"]
        var sawMore = false
        for _ in 0..<500 {
            let picked = (0..<Int(rng.next() % 6)).map { _ in names[Int(rng.next() % UInt64(names.count))] }
            var forward = NameEvidence()
            for n in picked { forward.add(name: n) }
            var backward = NameEvidence()
            for n in picked.shuffled(using: &rng) { backward.add(name: n) }
            #expect(forward == backward)
            #expect(NameEvidence(packed: forward.packed) == forward)
            let distinct = Set(picked.compactMap(NameEvidence.hash(of:))).count
            #expect(forward.isConflicted == (distinct >= 2))
            #expect(forward.more == (distinct > 2))
            if forward.more { sawMore = true }
            // Splitting the names in two and merging the halves gives the same evidence.
            var left = NameEvidence()
            var right = NameEvidence()
            for (i, n) in picked.enumerated() { if i % 2 == 0 { left.add(name: n) } else { right.add(name: n) } }
            left.formUnion(right)
            #expect(left == forward)
        }
        #expect(sawMore)
    }
}
