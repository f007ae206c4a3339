/// Which identifier kinds and trait keys hold personal or sensitive data. Masking and audit on
/// every surface follow it, so a trait nobody listed is never shown in clear by accident: an
/// unknown key counts as personal until the rules file classifies it.
///
/// A rules file's `classification` adds to (and overrides) the standard one:
/// ```yaml
/// classification:
///   traits: {loyalty_tier: not_personal, 护照号: sensitive}
///   identifiers: {store_card: personal}
/// ```
public struct Classification: Codable, Sendable, Equatable {
    /// By identifier kind; kinds not named are personal.
    public var identifiers: [String: DataClass]
    /// By trait key, compared case-insensitively; keys not named are personal.
    public var traits: [String: DataClass]

    public init(identifiers: [String: DataClass] = [:], traits: [String: DataClass] = [:]) {
        self.identifiers = identifiers
        self.traits = Self.lowercasedKeys(traits)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let own = Classification(
            identifiers: try c.decodeIfPresent([String: DataClass].self, forKey: .identifiers) ?? [:],
            traits: try c.decodeIfPresent([String: DataClass].self, forKey: .traits) ?? [:])
        self = Classification.standard.overridden(by: own)
    }

    /// The class of an identifier kind's values.
    public func dataClass(of kind: IdentifierKind) -> DataClass { identifiers[kind.rawValue] ?? .personal }

    /// The class of a trait's values.
    public func dataClass(ofTrait key: String) -> DataClass { traits[key.lowercased()] ?? .personal }

    /// This classification with `other`'s entries put over it.
    public func overridden(by other: Classification) -> Classification {
        Classification(
            identifiers: identifiers.merging(other.identifiers) { $1 }, traits: traits.merging(other.traits) { $1 })
    }

    static func lowercasedKeys(_ map: [String: DataClass]) -> [String: DataClass] {
        Dictionary(map.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { max($0, $1) })
    }

    /// Every identifier kind the contract knows is personal (a device id identifies a person as
    /// well as a phone does). Traits that describe a segment rather than a person are not.
    public static let standard = Classification(
        identifiers: [:],
        traits: Dictionary(
            uniqueKeysWithValues: notPersonalTraits.map { ($0, DataClass.notPersonal) }
                + sensitiveTraits.map { ($0, DataClass.sensitive) }))

    static let notPersonalTraits = [
        "city", "province", "country", "region", "gender", "tier", "member_tier", "member_level", "level", "language",
        "locale", "channel", "preferred_channel", "store", "preferred_store", "segment", "currency", "age_band",
        "城市", "省份", "国家", "性别", "会员等级", "等级", "语言", "渠道", "门店",
    ]

    /// PIPL Art. 28: identity documents, financial accounts, precise location, health, minors.
    static let sensitiveTraits = [
        "id_number", "id_card", "id_no", "national_id", "passport", "passport_number", "bank_card", "bank_account",
        "card_number", "credit_card", "location", "gps", "latitude", "longitude", "geo", "health", "medical",
        "diagnosis", "allergy", "pregnancy", "minor", "guardian", "religion", "biometric",
        "身份证", "身份证号", "身份证号码", "护照", "护照号", "银行卡", "银行卡号", "定位", "位置", "健康", "病历",
        "过敏", "未成年", "监护人", "宗教", "生物识别",
    ]
}
