/// Which values are personal data, and how a surface without `pii:read` shows them.
public enum PersonalData {
    /// Trait keys that hold personal data; other traits (city, gender, tier…) are shown as they are.
    public static let personalTraits: Set<String> = [
        "name", "full_name", "real_name", "nickname", "first_name", "last_name", "address", "street", "birthday",
        "birth_date", "id_number", "id_card", "passport",
    ]

    public static func isPersonalTrait(_ key: String) -> Bool { personalTraits.contains(key.lowercased()) }

    /// A trait's value as shown without `pii:read`.
    public static func maskTrait(_ key: String, _ value: String) -> String {
        guard isPersonalTrait(key) else { return value }
        switch key.lowercased() {
        case "name", "full_name", "real_name", "nickname", "first_name", "last_name": return Masking.maskName(value)
        default: return Masking.maskGeneric(value)
        }
    }

    /// `phone:+8613800138000` → `phone:+86 138****8000`; a string without a kind is masked whole.
    public static func maskReference(_ reference: String) -> String {
        guard let colon = reference.firstIndex(of: ":") else { return reference }
        let kind = IdentifierKind(rawValue: String(reference[..<colon]))
        return kind.rawValue + ":" + Masking.mask(String(reference[reference.index(after: colon)...]), kind: kind)
    }
}
