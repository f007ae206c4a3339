import Foundation
import Testing

@testable import KithCore

@Suite("Never-link patterns")
struct NeverLinkRuleTests {
    /// The standard rule that stops a value, or nil.
    func blocked(_ kind: IdentifierKind, _ raw: String) -> String? {
        let value = (try? IdentifierNormalizer.normalize(kind, raw).get()) ?? raw
        return Rules.standard.neverLinkRule(matching: Identifier(kind, value))?.name
    }

    @Test(
        "Each standard pattern stops the junk it names",
        arguments: [
            (IdentifierKind.email, "noreply@example.com", "reserved_domain"),
            (.email, "Someone@shop.example.co.uk", "reserved_domain"),
            (.email, "li@mail.test", "reserved_domain"),
            (.email, "x@host.localhost", "reserved_domain"),
            (.email, "user@foo.invalid", "reserved_domain"),
            (.email, "NoReply@163.com", "role_or_placeholder_address"),
            (.email, "no-reply.orders@jd.com", "role_or_placeholder_address"),
            (.email, "donotreply@qq.com", "role_or_placeholder_address"),
            (.email, "unknown@gmail.com", "role_or_placeholder_address"),
            (.email, "na@126.com", "role_or_placeholder_address"),
            (.email, "aaaa@163.com", "repeated_characters"),
            (.email, "000000@qq.com", "repeated_characters"),
            (.email, "123456@qq.com", "keyboard_run"),
            (.email, "987654321@qq.com", "keyboard_run"),
            (.email, "567890@163.com", "keyboard_run"),
            (.email, "abcdef@gmail.com", "keyboard_run"),
            (.email, "a@a.com", "single_character"),
            (.email, "Z@q.cn", "single_character"),
            (.phone, "139 0000 0000", "repeated_digits"),
            (.phone, "13711111111", "repeated_digits"),
            (.phone, "+86 138-1234-5678", "digit_run"),
            (.phone, "13987654321", "digit_run"),
            (.memberID, "undefined", "placeholder_text"),
            (.memberID, "NULL", "placeholder_text"),
            (.customerID, "[object Object]", "placeholder_text"),
            (.deviceID, "00000000-0000-0000-0000-000000000000", "placeholder_text"),
            (.memberID, "-1", "placeholder_text"),
            (.wechatOpenID, "0", "placeholder_text"),
        ])
    func patternsStopJunk(kind: IdentifierKind, raw: String, rule: String) {
        #expect(blocked(kind, raw) == rule, "\(kind.rawValue) \(raw)")
    }

    @Test(
        "Real-looking values pass every standard pattern",
        arguments: [
            (IdentifierKind.email, "li.wei@163.com"), (.email, "88123456@qq.com"), (.email, "12346@qq.com"),
            (.email, "abc1@gmail.com"), (.email, "a@163.com"), (.email, "ab@c.com"), (.email, "testa@163.com"),
            (.email, "noreplyx@163.com"), (.email, "info@examples.com"), (.email, "li@example-shop.cn"),
            (.email, "wang@testing.cn"), (.phone, "13800138000"), (.phone, "13912345068"), (.phone, "+44 20 7946 0958"),
            (.memberID, "M-0"), (.memberID, "10"), (.memberID, "nullable"), (.deviceID, "dev-1a-2b"),
        ])
    func realValuesPass(kind: IdentifierKind, raw: String) {
        #expect(blocked(kind, raw) == nil, "\(kind.rawValue) \(raw)")
    }

    @Test("All-digit QQ addresses: exactly the repeated and run numbers are blocked, at every length from 5 to 7")
    func qqFalsePositives() {
        // The oracle builds the blocked numbers by construction, not by testing digits.
        for length in 5...7 {
            var expected = Set<String>()
            for d in 1...9 {
                expected.insert(String(repeating: String(d), count: length))
                expected.insert(String((0..<length).map { Character(String((d + $0) % 10)) }))
                expected.insert(String((0..<length).map { Character(String((d - $0 + 100) % 10)) }))
            }
            var found = Set<String>()
            let lower = Int(pow(10.0, Double(length - 1)))
            let rule = Rules.standard.neverLink.first { $0.name == "keyboard_run" }
            let repeated = Rules.standard.neverLink.first { $0.name == "repeated_characters" }
            // Every number at length 5; a deterministic stride through longer ones plus the oracle's own.
            let step = length == 5 ? 1 : 997
            for n in Swift.stride(from: lower, to: lower * 10, by: step) {
                let id = Identifier(.email, "\(n)@qq.com")
                if rule?.matches(id) == true || repeated?.matches(id) == true { found.insert(String(n)) }
            }
            for number in expected {
                #expect(Rules.standard.neverLinkRule(matching: Identifier(.email, number + "@qq.com")) != nil)
            }
            #expect(found.isSubset(of: expected), "length \(length): \(found.subtracting(expected).sorted().prefix(5))")
            if length == 5 {
                #expect(found == expected)
                #expect(found.count == 27)  // 27 of 90,000 five-digit numbers: 0.03 %
            }
        }
    }

    @Test("Globs agree with a slow recursive matcher on random patterns and texts (property)")
    func globOracle() {
        var rng = SplitMixForTests(seed: 0x61_0B)
        func reference(_ p: [Character], _ t: [Character]) -> Bool {
            guard let first = p.first else { return t.isEmpty }
            if first == "*" {
                return reference(Array(p.dropFirst()), t) || (!t.isEmpty && reference(p, Array(t.dropFirst())))
            }
            guard let c = t.first else { return false }
            let same = first == "?" || first.lowercased() == c.lowercased()
            return same && reference(Array(p.dropFirst()), Array(t.dropFirst()))
        }
        let alphabet: [Character] = ["a", "B", "b", "é", "李", ".", "@"]
        var matches = 0
        for _ in 0..<4_000 {
            let p = (0..<Int(rng.next() % 6)).map { _ in
                rng.next() % 4 == 0 ? "*" : rng.next() % 5 == 0 ? "?" : alphabet[Int(rng.next() % 7)]
            }
            let t = (0..<Int(rng.next() % 7)).map { _ in alphabet[Int(rng.next() % 7)] }
            let want = reference(p, t)
            if want { matches += 1 }
            #expect(Glob(String(p)).matches(String(t)) == want, "pattern \(String(p)) text \(String(t))")
        }
        #expect(matches > 300, "the property should see matches too (\(matches))")
    }

    @Test("A glob list bucketed by length answers as asking each glob in turn (property)")
    func globListsAgreeWithTheirGlobs() {
        var rng = SplitMixForTests(seed: 41)
        let alphabet: [Character] = ["a", "B", "b", "é", "李", ".", "@", "-"]
        func word(_ maximum: UInt64, wild: Bool) -> String {
            String(
                (0..<Int(rng.next() % maximum)).map { _ in
                    wild && rng.next() % 5 == 0 ? (rng.next() % 2 == 0 ? "*" : "?") : alphabet[Int(rng.next() % 8)]
                })
        }
        var matches = 0
        for _ in 0..<600 {
            let globs = (0..<Int(rng.next() % 12)).map { _ in Glob(word(6, wild: rng.next() % 3 == 0)) }
            let list = GlobList(globs)
            for _ in 0..<10 {
                let text = word(7, wild: false)
                let want = globs.contains { $0.matches(text) }
                if want { matches += 1 }
                #expect(list.matchesAny(text.utf8) == want, "globs \(globs) text \(text)")
            }
        }
        #expect(matches > 200, "the property should see matches too (\(matches))")
    }

    @Test("A rules file's never_link and evidence parse; absent they are the standard ones")
    func decoding() throws {
        let yaml =
            #"{"never_link": [{"name": "shop", "kinds": ["email"], "domain": ["*.myshop.cn"], "reason": "staff"}], "evidence": {"names": false}}"#
        let rules = try JSONDecoder().decode(Rules.self, from: Data(yaml.utf8))
        #expect(rules.neverLink.map(\.name) == ["shop"])
        #expect(rules.neverLinkRule(matching: Identifier(.email, "li@sh.myshop.cn"))?.name == "shop")
        #expect(rules.neverLinkRule(matching: Identifier(.email, "noreply@example.com")) == nil)
        #expect(rules.evidence == EvidenceRules(names: false, limits: true))
        let standard = try JSONDecoder().decode(Rules.self, from: Data("{}".utf8))
        #expect(standard.neverLink == NeverLinkRule.standard)
        #expect(standard.evidence == EvidenceRules())
    }
}
