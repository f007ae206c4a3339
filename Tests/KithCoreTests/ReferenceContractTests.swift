import Foundation
import KithGenerator
import Testing

@testable import KithCore

/// Timestamps, identifiers and money against `ReferenceContract`, which reads the contract with
/// Foundation and plain string code: on random valid and broken values, both accept the same
/// ones and give the same result.
@Suite struct ReferenceContractTests {
    static func pick<T>(_ options: [T], _ rng: inout SplitMix64) -> T {
        options[Int.random(in: 0..<options.count, using: &rng)]
    }

    static func randomTimestamp(_ rng: inout SplitMix64) -> String {
        func two(_ v: Int) -> String { String(format: "%02d", v) }
        let broken = Int.random(in: 0..<4, using: &rng) == 0
        // Century years and month ends half the time: that is where calendars go wrong.
        let year =
            Bool.random(using: &rng)
            ? pick([1600, 1700, 1800, 1900, 2000, 2023, 2024, 2100, 2400], &rng)
            : Int.random(in: 1600...2400, using: &rng)
        let month =
            broken
            ? Int.random(in: 0...13, using: &rng) : Bool.random(using: &rng) ? 2 : Int.random(in: 1...12, using: &rng)
        let day =
            Bool.random(using: &rng)
            ? Int.random(in: 28...31, using: &rng) : Int.random(in: broken ? 0...32 : 1...31, using: &rng)
        let hour = Int.random(in: broken ? 0...25 : 0...23, using: &rng)
        let minute = Int.random(in: broken ? 0...61 : 0...59, using: &rng)
        let second = Int.random(in: broken ? 0...61 : 0...59, using: &rng)
        var text =
            "\(year)-\(two(month))-\(two(day))\(pick(["T", "T", "t", " "], &rng))\(two(hour)):\(two(minute)):\(two(second))"
        if Bool.random(using: &rng) {
            text +=
                "."
                + (0..<Int.random(in: broken ? 0...11 : 1...9, using: &rng)).map { _ in
                    String(Int.random(in: 0...9, using: &rng))
                }.joined()
        }
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: text += pick(["Z", "z", ""], &rng)
        default:
            let h = Int.random(in: broken ? 0...25 : 0...14, using: &rng)
            let m = pick([0, 0, 30, 45, broken ? 61 : 15], &rng)
            text += "\(pick(["+", "-"], &rng))\(two(h)):\(two(m))"
        }
        if broken, Bool.random(using: &rng), !text.isEmpty {
            var chars = Array(text)
            chars[Int.random(in: 0..<chars.count, using: &rng)] = pick(["x", "-", ":", "9", "0", "."], &rng)
            text = String(chars)
        }
        return text
    }

    @Test("Timestamps agree with a Calendar and DateFormatter reference on random valid and broken texts (oracle)")
    func timestampsAgree() {
        var rng = SplitMix64.forTest("ReferenceContractTests.timestampsAgree")
        var valid = 0
        var invalid = 0
        for _ in 0..<20_000 {
            let text = Self.randomTimestamp(&rng)
            let ours = Timestamp.parse(text)
            switch (ReferenceContract.timestamp(text), ours) {
            case (.valid(let expected), .success(let t)):
                valid += 1
                let got = ReferenceContract.Instant(
                    epochSeconds: t.epochSeconds, nanoseconds: t.nanoseconds, offsetMinutes: Int(t.offsetMinutes),
                    canonical: t.description)
                #expect(got == expected, "\(text)")
            case (.invalid, .failure):
                invalid += 1
            case (.notJudged, _):
                break
            case (let reference, let ours):
                Issue.record("\(text): the reference says \(reference), the parser \(ours)")
            }
        }
        #expect(valid > 5_000 && invalid > 2_000, "\(valid) valid, \(invalid) invalid")
    }

    static func randomPhone(_ rng: inout SplitMix64) -> String {
        let prefix = pick(["", "", "", "+", "00", "0", "86", "+86", "0086", "86-", "+44 ", "+1 ", "+", "＋86 "], &rng)
        let body: String
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            body =
                "1" + String(Int.random(in: 0...9, using: &rng))
                + (0..<9).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
        case 1:
            body =
                pick(["10", "21", "755", "571", "20"], &rng)
                + (0..<Int.random(in: 6...9, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }
                .joined()
        default:
            body = (0..<Int.random(in: 1...18, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }
                .joined()
        }
        var out = prefix
        for (i, c) in body.enumerated() {
            if i > 0, Int.random(in: 0..<5, using: &rng) == 0 {
                out += pick([" ", "-", ".", "(", ")", "\u{3000}", "\u{A0}", "－"], &rng)
            }
            out +=
                Int.random(in: 0..<15, using: &rng) == 0
                ? String(Character(Unicode.Scalar(0xFF10 + UInt32(c.wholeNumberValue ?? 0)) ?? " ")) : String(c)
        }
        if Int.random(in: 0..<12, using: &rng) == 0 {
            out.insert(
                pick(["x", "+", "#", "一"], &rng),
                at: out.index(out.startIndex, offsetBy: Int.random(in: 0...out.count, using: &rng)))
        }
        return pick(["", " ", "\t"], &rng) + out + pick(["", " "], &rng)
    }

    static func randomEmail(_ rng: inout SplitMix64) -> String {
        let local = pick(["li.wei", "Li.Wei", "王", "a+b", "", "x_y", "UPPER"], &rng)
        let at = pick(["@", "@", "@", "@@", "", "＠"], &rng)
        let domain = pick(
            ["qq.com", "Example.CN", "mail.", ".com", "localhost", "a..b", "163.com", "例子.中国", "x.y.z"], &rng)
        let inner = Int.random(in: 0..<10, using: &rng) == 0 ? pick([" ", "\u{3000}", "\u{7F}", "\t"], &rng) : ""
        return pick(["", " ", "\u{3000}", "\n"], &rng) + local + inner + at + domain + pick(["", " ", "\u{A0}"], &rng)
    }

    static func randomText(_ rng: inout SplitMix64) -> String {
        let core = pick(
            ["M-88812", "o_abc", "设备1", "", "a\u{01}b", "x\u{7F}", String(repeating: "k", count: 257), "A B"], &rng)
        return pick(["", " ", "\u{3000}", "\t"], &rng) + core + pick(["", " ", "\u{2003}"], &rng)
    }

    @Test("Phones, emails and other identifiers agree with a string-code reference on random spellings (oracle)")
    func identifiersAgree() {
        var rng = SplitMix64.forTest("ReferenceContractTests.identifiersAgree")
        var accepted: [String: Int] = [:]
        var rejected: [String: Int] = [:]
        for i in 0..<30_000 {
            let (kind, raw, expected): (IdentifierKind, String, String?)
            switch i % 3 {
            case 0:
                let text = Self.randomPhone(&rng)
                (kind, raw, expected) = (.phone, text, ReferenceContract.phone(text))
            case 1:
                let text = Self.randomEmail(&rng)
                (kind, raw, expected) = (.email, text, ReferenceContract.email(text))
            default:
                let text = Self.randomText(&rng)
                (kind, raw, expected) = (.memberID, text, ReferenceContract.text(text))
            }
            let ours = try? IdentifierNormalizer.normalize(kind, raw).get()
            #expect(ours == expected, "\(kind.rawValue) \(raw.debugDescription)")
            if expected == nil {
                rejected[kind.rawValue, default: 0] += 1
            } else {
                accepted[kind.rawValue, default: 0] += 1
            }
        }
        for kind in ["phone", "email", "member_id"] {
            #expect(
                (accepted[kind] ?? 0) > 1_000 && (rejected[kind] ?? 0) > 500,
                "\(kind): \(accepted[kind] ?? 0) accepted, \(rejected[kind] ?? 0) rejected")
        }
    }

    static func randomAmount(_ rng: inout SplitMix64) -> String {
        var text = pick(["", "", "", "+", "-"], &rng)
        func digits(_ n: Int) -> String { (0..<n).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined() }
        text += digits(Int.random(in: 0...14, using: &rng))
        if Bool.random(using: &rng) { text += "." + digits(Int.random(in: 0...5, using: &rng)) }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            text += pick(["e", "E"], &rng) + pick(["", "+", "-"], &rng) + digits(Int.random(in: 0...2, using: &rng))
        }
        if Int.random(in: 0..<15, using: &rng) == 0 { text += pick(["x", ".", " ", ","], &rng) }
        return text
    }

    @Test("Amounts agree with a Decimal reference on random texts, exponents and currencies (oracle)")
    func amountsAgree() {
        var rng = SplitMix64.forTest("ReferenceContractTests.amountsAgree")
        var accepted = 0
        var rejected = 0
        for _ in 0..<30_000 {
            let text = Self.randomAmount(&rng)
            let currency = Self.pick(["CNY", "CNY", "JPY", "KWD"], &rng)
            let expected = ReferenceContract.minorUnits(text, currency: currency)
            let ours = try? Money.parse(text, currency: currency).get().minorUnits
            #expect(ours == expected, "\(text.debugDescription) \(currency)")
            if expected == nil { rejected += 1 } else { accepted += 1 }
        }
        #expect(accepted > 5_000 && rejected > 5_000, "\(accepted) accepted, \(rejected) rejected")
    }
}
