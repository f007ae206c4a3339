/// The built-in shapes of `NeverLinkRule.Shape`, on a normalised value's bytes (no copies: a
/// projection asks this of every value it reads).
enum ValueShape {
    /// The shortest local part or number tail that counts as a run or a repetition: `abc@…`
    /// or `111@…` may be a person's, `aaaa@…` and `1234@…` are not.
    static let shortest = 4

    static func email(_ local: Substring.UTF8View, _ domain: Substring.UTF8View, has shape: NeverLinkRule.Shape) -> Bool
    {
        switch shape {
        case .repeated, .run:
            return text(local, has: shape)
        case .singleCharacter:
            guard local.count == 1, let dot = domain.firstIndex(of: UInt8(ascii: ".")) else { return false }
            return domain.distance(from: domain.startIndex, to: dot) == 1
        }
    }

    /// A phone's shape is read on its last eight digits (the subscriber number of a mainland
    /// mobile, after the `+86` and the carrier prefix): `+8613900000000` repeats, `+8613812345678`
    /// runs. Normalised phones are `+` and digits.
    static func phone(_ value: String.UTF8View, has shape: NeverLinkRule.Shape) -> Bool {
        guard shape != .singleCharacter, value.count >= 9 else { return false }
        let tail = value.suffix(8)
        guard tail.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        return text(tail, has: shape)
    }

    static func text<C: Collection<UInt8>>(_ bytes: C, has shape: NeverLinkRule.Shape) -> Bool {
        guard bytes.count >= shortest, let first = bytes.first else { return false }
        switch shape {
        case .repeated:
            return bytes.allSatisfy { $0 == first }
        case .run:
            return isRun(bytes, step: 1) || isRun(bytes, step: -1)
        case .singleCharacter:
            return false
        }
    }

    /// Digits run on through 9 to 0 (`567890`), letters stop at the alphabet's ends.
    private static func isRun<C: Collection<UInt8>>(_ bytes: C, step: Int) -> Bool {
        guard let first = bytes.first else { return false }
        let digits = first >= 0x30 && first <= 0x39
        guard digits || (first >= 0x61 && first <= 0x7A) else { return false }
        var previous = Int(first)
        for b in bytes.dropFirst() {
            var expected = previous + step
            if digits { expected = 0x30 + (expected - 0x30 + 10) % 10 }
            guard Int(b) == expected else { return false }
            previous = expected
        }
        return true
    }
}
