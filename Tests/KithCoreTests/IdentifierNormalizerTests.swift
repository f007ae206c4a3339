import Testing

@testable import KithCore
import KithGenerator

@Suite("Identifier normalisation")
struct IdentifierNormalizerTests {
    @Test(
        "Mainland mobile variants become one +86 value",
        arguments: [
            "13800138000", "138 0013 8000", "+86 138-0013-8000", "0086 13800138000", "86-13800138000",
            "(+86)138.0013.8000", " 13800138000 ", "１３８００１３８０００", "+8613800138000",
        ])
    func mainlandVariants(raw: String) {
        #expect(IdentifierNormalizer.normalize(.phone, raw) == .success("+8613800138000"))
    }

    @Test(
        "Other countries keep their +CC form",
        arguments: [
            ("+1 (415) 555-2671", "+14155552671"), ("0044 20 7946 0958", "+442079460958"),
            ("+852 9123 4567", "+85291234567"), ("010-6552 9988", "+861065529988"), ("021-5555 1234", "+862155551234"),
            ("0755-8888 6666", "+8675588886666"), ("+86 10 6552 9988", "+861065529988"),
        ])
    func international(raw: String, expected: String) {
        #expect(IdentifierNormalizer.normalize(.phone, raw) == .success(expected))
    }

    @Test(
        "Implausible phones are rejected with a reason, never guessed",
        arguments: [
            "12345", "1380013", "138001380001", "phone: 138", "+86 12345678901", "", "+0123456789", "++8613800138000",
            "01839386800", "+86 11 2345 6789", "010-123",
        ])
    func implausiblePhones(raw: String) throws {
        let result = IdentifierNormalizer.normalize(.phone, raw)
        guard case .failure(let reason) = result else {
            Issue.record("expected \(raw) to be rejected, got \(result)")
            return
        }
        #expect(reason.kind == .badIdentifier)
        #expect(reason.field == "identifiers.phone")
    }

    @Test("A rejected phone's reason does not reveal the full value")
    func reasonIsMasked() throws {
        guard case .failure(let reason) = IdentifierNormalizer.normalize(.phone, "1380013800") else {
            Issue.record("expected rejection")
            return
        }
        #expect(!reason.message.contains("1380013800"))
    }

    @Test("Emails are trimmed and lower-cased; malformed ones are rejected")
    func emails() {
        #expect(IdentifierNormalizer.normalize(.email, "  Li.Wei@Example.COM ") == .success("li.wei@example.com"))
        for bad in ["li.wei", "a@b", "a@@b.com", "@example.com", "li wei@example.com", "a@b..com", "a@.com"] {
            #expect(throws: QuarantineReason.self, "\(bad)") { try IdentifierNormalizer.normalize(.email, bad).get() }
        }
    }

    @Test("Opaque kinds are trimmed and compared exactly")
    func opaque() {
        #expect(IdentifierNormalizer.normalize(.memberID, " M-88812 ") == .success("M-88812"))
        #expect(IdentifierNormalizer.normalize(.memberID, "m-88812") == .success("m-88812"))
        #expect(throws: QuarantineReason.self) { try IdentifierNormalizer.normalize(.memberID, "   ").get() }
        #expect(throws: QuarantineReason.self) { try IdentifierNormalizer.normalize(.deviceID, "a\u{1}b").get() }
    }

    @Test("Normalisation is idempotent on random messy inputs (property)")
    func idempotent() {
        var rng = SplitMix64.forTest("IdentifierNormalizerTests.idempotent")
        let pieces = ["1", "3", "8", "0", " ", "-", "+", "86", "00", ".", "(", ")", "9", "5", "@", "a", "B", "x.com"]
        var accepted: [IdentifierKind: Int] = [:]
        // Messy text, and plausible values messed up: a phone with a prefix and separators, an
        // email with blanks and capitals, so that each kind accepts many inputs.
        func digits(_ n: Int) -> String { (0..<n).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined() }
        func noise() -> String { [" ", "-", "", "", "."][Int.random(in: 0..<5, using: &rng)] }
        for i in 0..<5_000 {
            let raw: String
            switch i % 3 {
            case 0:
                raw = (0..<Int.random(in: 1...16, using: &rng)).map { _ in
                    pieces[Int.random(in: 0..<pieces.count, using: &rng)]
                }
                .joined()
            case 1:
                let prefix = ["", "+86", "0086", "86 ", "+86 "][Int.random(in: 0..<5, using: &rng)]
                raw =
                    prefix + "1" + ["3", "5", "8"][Int.random(in: 0..<3, using: &rng)] + digits(1) + noise() + digits(4)
                    + noise() + digits(4)
            default:
                let local = ["Li.Wei", "zhang_san", " wang", "A1"][Int.random(in: 0..<4, using: &rng)] + digits(2)
                raw =
                    local + "@"
                    + ["163.com", "QQ.com ", "Example.CN", " mail.x.com"][Int.random(in: 0..<4, using: &rng)]
            }
            for kind in [IdentifierKind.phone, .email, .memberID] {
                if case .success(let once) = IdentifierNormalizer.normalize(kind, raw) {
                    accepted[kind, default: 0] += 1
                    #expect(IdentifierNormalizer.normalize(kind, once) == .success(once), "\(kind) \(raw)")
                }
            }
        }
        // The property is only checked on accepted values: make sure each kind had plenty.
        for kind in [IdentifierKind.phone, .email, .memberID] {
            #expect(
                accepted[kind, default: 0] >= 50, "\(kind): only \(accepted[kind, default: 0]) random inputs normalised"
            )
        }
    }

    @Test("Phone masking keeps only prefix and last four digits")
    func masking() {
        #expect(Masking.maskPhone("+8613800138000") == "+86 138****8000")
        #expect(Masking.maskEmail("li.wei@example.com") == "l***@example.com")
        #expect(Masking.maskName("李伟") == "李*")
    }
}
