/// Masks personal data for surfaces that do not need it in full.
///
/// For example: `+8613800138000` → `+86 138****8000`, `li.wei@example.com` → `l***@example.com`.
public enum Masking {
    public static func mask(_ value: String, kind: IdentifierKind) -> String {
        switch kind {
        case .phone: return maskPhone(value)
        case .email: return maskEmail(value)
        default: return maskGeneric(value)
        }
    }

    public static func maskPhone(_ value: String) -> String {
        let chars = Array(value)
        if value.hasPrefix("+86"), chars.count == 14 {
            return "+86 " + String(chars[3..<6]) + "****" + String(chars[10...])
        }
        guard chars.count > 7 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(chars.count - 8)) + "****" + String(chars.suffix(4))
    }

    public static func maskEmail(_ value: String) -> String {
        guard let at = value.firstIndex(of: "@") else { return maskGeneric(value) }
        let local = value[..<at]
        return String(local.prefix(1)) + "***" + value[at...]
    }

    public static func maskGeneric(_ value: String) -> String {
        let chars = Array(value)
        if chars.count <= 4 { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(2)) + String(repeating: "*", count: min(chars.count - 4, 6))
            + String(chars.suffix(2))
    }

    /// A person's name: keep the first character (`李伟` → `李*`).
    public static func maskName(_ value: String) -> String {
        guard let first = value.first else { return value }
        return String(first) + String(repeating: "*", count: max(1, value.count - 1))
    }
}
