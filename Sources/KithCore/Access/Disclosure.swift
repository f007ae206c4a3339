/// What one reader may see of personal data, and how everything else is shown to them: the one
/// place that decides masking, so every route and format masks alike.
public struct Disclosure: Sendable {
    /// The most protected class shown in clear.
    public var clearUpTo: DataClass
    public var classes: Classification
    /// The key of the hashes that stand in for event ids.
    let eventIDKey: HMACKey

    public init(clearUpTo: DataClass, classes: Classification, eventIDKey: [UInt8]) {
        self.clearUpTo = clearUpTo
        self.classes = classes
        self.eventIDKey = HMACKey(eventIDKey)
    }

    public func shows(_ dataClass: DataClass) -> Bool { dataClass <= clearUpTo }

    /// Whether anything personal may appear in clear (and so the answer must be audited first).
    public var showsPersonalData: Bool { shows(.personal) }

    public func identifier(_ value: String, kind: IdentifierKind) -> String {
        let dataClass = classes.dataClass(of: kind)
        if shows(dataClass) { return value }
        return dataClass == .sensitive ? Disclosure.sensitivePlaceholder : Masking.mask(value, kind: kind)
    }

    /// `phone:+8613800138000` → `phone:+86 138****8000`; text without a kind is a profile id,
    /// which reveals nothing (it is a keyed hash).
    public func reference(_ reference: String) -> String {
        guard reference.utf8.contains(UInt8(ascii: ":")) else { return reference }
        guard let (kind, raw) = RequestDecoding.identifierReference(reference) else {
            return Masking.maskGeneric(reference)
        }
        return kind.rawValue + ":" + identifier(raw, kind: kind)
    }

    public func trait(_ key: String, _ value: String) -> String {
        let dataClass = classes.dataClass(ofTrait: key)
        if shows(dataClass) { return value }
        if dataClass == .sensitive { return Disclosure.sensitivePlaceholder }
        return Disclosure.nameKeys.contains(key.lowercased()) ? Masking.maskName(value) : Masking.maskGeneric(value)
    }

    /// Sources write phones and order numbers into event ids (`order-13912345678-0001`), so an
    /// id is personal: others see `e` and 16 hex digits of a keyed hash, the same for the same
    /// event (a client can still tell events apart and match them across pages).
    public func eventID(_ id: String, source: String?) -> String {
        if shows(.personal) { return id }
        let digest = eventIDKey.sha256(Array(((source ?? "") + "\u{1F}" + id).utf8))
        return "e" + Hex.string(digest.prefix(8))
    }

    /// How error messages and logs, which anyone may read, show a reference.
    public static func masked(_ reference: String) -> String {
        Disclosure(clearUpTo: .notPersonal, classes: .standard, eventIDKey: []).reference(reference)
    }

    /// Sensitive values give away nothing, not even their length.
    public static let sensitivePlaceholder = "[sensitive]"

    static let nameKeys: Set<String> = [
        "name", "full_name", "real_name", "nickname", "first_name", "last_name", "姓名", "名字", "昵称", "真实姓名",
    ]
}
