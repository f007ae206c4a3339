/// A kind of identifier: the contract's well-known kinds plus any declared in rules.
public struct IdentifierKind: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let phone = IdentifierKind(rawValue: "phone")
    public static let email = IdentifierKind(rawValue: "email")
    public static let memberID = IdentifierKind(rawValue: "member_id")
    public static let wechatUnionID = IdentifierKind(rawValue: "wechat_unionid")
    public static let wechatOpenID = IdentifierKind(rawValue: "wechat_openid")
    public static let deviceID = IdentifierKind(rawValue: "device_id")
    public static let customerID = IdentifierKind(rawValue: "customer_id")

    public static let wellKnown: [IdentifierKind] = [
        .phone, .email, .memberID, .wechatUnionID, .wechatOpenID, .deviceID, .customerID,
    ]

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

extension IdentifierKind {
    /// The kind named by a string token: a well-known kind (matched on bytes) or a declared one.
    init?(token: JSONScanner.StringToken, in s: JSONScanner, declared: [String: IdentifierNormalizer.Method]) {
        if !token.hasEscapes {
            switch token.range.count {
            case 5 where s.token(token, equals: "phone"): self = .phone; return
            case 5 where s.token(token, equals: "email"): self = .email; return
            case 9 where s.token(token, equals: "member_id"): self = .memberID; return
            case 9 where s.token(token, equals: "device_id"): self = .deviceID; return
            case 11 where s.token(token, equals: "customer_id"): self = .customerID; return
            case 13 where s.token(token, equals: "wechat_openid"): self = .wechatOpenID; return
            case 14 where s.token(token, equals: "wechat_unionid"): self = .wechatUnionID; return
            default: break
            }
        }
        let name = s.string(token)
        let kind = IdentifierKind(rawValue: name)
        guard IdentifierKind.wellKnown.contains(kind) || declared[name] != nil else { return nil }
        self = kind
    }
}

/// One normalised identifier value of an event.
public struct Identifier: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: IdentifierKind
    public var value: String

    public init(_ kind: IdentifierKind, _ value: String) {
        self.kind = kind
        self.value = value
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.kind, lhs.value) < (rhs.kind, rhs.value)
    }

    /// `kind:masked-value`, safe to print outside the data directory.
    public var description: String { "\(kind.rawValue):\(Masking.mask(value, kind: kind))" }
}
