/// The built-in shapes of `NeverLinkRule.Shape`, on a normalised value's bytes.
enum ValueShape {
    /// The shortest local part or number tail that counts as a run or a repetition: `abc@…`
    /// or `111@…` may be a person's, `aaaa@…` and `1234@…` are not.
    static let shortest = 4

    static func email(
        _ local: Substring.UTF8View, _ domain: Substring.UTF8View, has shape: NeverLinkRule.Shape
    ) -> Bool {
        switch shape {
        case .repeated, .run:
            return text(Array(local), has: shape)
        case .singleCharacter:
            guard local.count == 1, let dot = domain.firstIndex(of: UInt8(ascii: ".")) else { return false }
            return domain.distance(from: domain.startIndex, to: dot) == 1
        }
    }

    /// A phone's shape is read on its last eight digits (the subscriber number of a mainland
    /// mobile, after the `+86` and the carrier prefix): `+8613900000000` repeats, `+8613812345678`
    /// runs.
    static func phone(_ value: String.UTF8View, has shape: NeverLinkRule.Shape) -> Bool {
        let digits = value.filter { $0 >= 0x30 && $0 <= 0x39 }
        guard digits.count >= 8, shape != .singleCharacter else { return false }
        return text(Array(digits.suffix(8)), has: shape)
    }

    static func text(_ bytes: [UInt8], has shape: NeverLinkRule.Shape) -> Bool {
        guard bytes.count >= shortest else { return false }
        switch shape {
        case .repeated:
            return bytes.allSatisfy { $0 == bytes[0] }
        case .run:
            return isRun(bytes, step: 1) || isRun(bytes, step: -1)
        case .singleCharacter:
            return false
        }
    }

    /// Digits run on through 9 to 0 (`567890`), letters stop at the alphabet's ends.
    private static func isRun(_ bytes: [UInt8], step: Int) -> Bool {
        let digits = bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        let letters = bytes.allSatisfy { $0 >= 0x61 && $0 <= 0x7A }
        guard digits || letters else { return false }
        for i in 1..<bytes.count {
            var expected = Int(bytes[i - 1]) + step
            if digits { expected = 0x30 + (expected - 0x30 + 10) % 10 }
            if Int(bytes[i]) != expected { return false }
        }
        return true
    }
}
