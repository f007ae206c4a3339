/// How much protection a value needs before a surface may show it, after PIPL: personal
/// information, and the sensitive kind of Art. 28 (national ids, bank cards, precise location,
/// health, minors' data), which needs a scope of its own.
public enum DataClass: String, Codable, Sendable, CaseIterable, Comparable {
    case notPersonal = "not_personal"
    case personal
    case sensitive

    var rank: Int {
        switch self {
        case .notPersonal: 0
        case .personal: 1
        case .sensitive: 2
        }
    }

    public static func < (a: DataClass, b: DataClass) -> Bool { a.rank < b.rank }
}
