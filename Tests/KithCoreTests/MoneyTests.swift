import Foundation
import Testing

@testable import KithCore
import KithGenerator

@Suite("Money")
struct MoneyTests {
    @Test(
        "Decimal texts parse exactly into minor units",
        arguments: [
            ("158.00", 15_800), ("158", 15_800), ("158.5", 15_850), ("0.01", 1), ("1.58e2", 15_800), ("-0", 0),
            ("0", 0), ("1999999.99", 199_999_999), ("1.500", 150), ("15800E-2", 15_800), ("0.1", 10),
        ] as [(String, Int64)])
    func exact(text: String, minor: Int64) {
        #expect(Money.parse(text).map(\.minorUnits) == .success(minor))
    }

    @Test(
        "Amounts that cannot be kept exactly are rejected as bad_amount",
        arguments: ["1.005", "12.3.4", "", "abc", "1e400", "-5.00", "99999999999999999999", "1,280.00", "1e", "."])
    func rejected(text: String) {
        guard case .failure(let reason) = Money.parse(text) else {
            Issue.record("expected \(text) to be rejected")
            return
        }
        #expect(reason.kind == .badAmount)
    }

    @Test("Currencies have their own minor digits")
    func currencies() {
        #expect(Money.parse("1500", currency: "JPY").map(\.minorUnits) == .success(1500))
        #expect(throws: QuarantineReason.self) { try Money.parse("15.5", currency: "JPY").get() }
        #expect(Money(minorUnits: 15_805, currency: "CNY").decimalString == "158.05")
    }

    @Test("Parsing agrees with Foundation's Decimal on random amounts (oracle)")
    func oracle() throws {
        var rng = SplitMix64.forTest("MoneyTests.oracle")
        for _ in 0..<2_000 {
            let units = Int64.random(in: 0..<10_000_000_000, using: &rng)
            let text = "\(units / 100).\(units % 100 < 10 ? "0" : "")\(units % 100)"
            // The oracle: Foundation's Decimal reads the text and scales it to minor units.
            let decimal = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
            var scaled = decimal * 100
            var rounded = Decimal()
            NSDecimalRound(&rounded, &scaled, 0, .plain)
            let expected = NSDecimalNumber(decimal: rounded).int64Value
            #expect(expected == units, "Decimal read \(text) as \(decimal)")
            #expect(Money.parse(text).map(\.minorUnits) == .success(expected))
            #expect(Money(minorUnits: expected, currency: "CNY").decimalString == text)
        }
    }
}
