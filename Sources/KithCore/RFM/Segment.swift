/// The eight classic RFM segments, each a high/low reading of recency, frequency and monetary.
public enum Segment: String, CaseIterable, Codable, Sendable, Comparable {
    case importantValue = "important_value"
    case importantDevelopment = "important_development"
    case importantRetention = "important_retention"
    case importantWinBack = "important_win_back"
    case generalValue = "general_value"
    case generalDevelopment = "general_development"
    case generalRetention = "general_retention"
    case generalWinBack = "general_win_back"

    public init(recentHigh r: Bool, frequencyHigh f: Bool, monetaryHigh m: Bool) {
        switch (r, f, m) {
        case (true, true, true): self = .importantValue
        case (true, false, true): self = .importantDevelopment
        case (false, true, true): self = .importantRetention
        case (false, false, true): self = .importantWinBack
        case (true, true, false): self = .generalValue
        case (true, false, false): self = .generalDevelopment
        case (false, true, false): self = .generalRetention
        case (false, false, false): self = .generalWinBack
        }
    }

    public var key: String { rawValue }

    /// The segment's place in `allCases`, without hashing its raw text (a refresh asks once per
    /// profile).
    var ordinal: Int {
        switch self {
        case .importantValue: 0
        case .importantDevelopment: 1
        case .importantRetention: 2
        case .importantWinBack: 3
        case .generalValue: 4
        case .generalDevelopment: 5
        case .generalRetention: 6
        case .generalWinBack: 7
        }
    }

    public func label(_ language: Language) -> String {
        switch (self, language) {
        case (.importantValue, .zh): "重要价值客户"
        case (.importantDevelopment, .zh): "重要发展客户"
        case (.importantRetention, .zh): "重要保持客户"
        case (.importantWinBack, .zh): "重要挽留客户"
        case (.generalValue, .zh): "一般价值客户"
        case (.generalDevelopment, .zh): "一般发展客户"
        case (.generalRetention, .zh): "一般保持客户"
        case (.generalWinBack, .zh): "一般挽留客户"
        case (.importantValue, .en): "important value"
        case (.importantDevelopment, .en): "important development"
        case (.importantRetention, .en): "important retention"
        case (.importantWinBack, .en): "important win-back"
        case (.generalValue, .en): "general value"
        case (.generalDevelopment, .en): "general development"
        case (.generalRetention, .en): "general retention"
        case (.generalWinBack, .en): "general win-back"
        }
    }

    public static func < (a: Segment, b: Segment) -> Bool {
        a.ordinal < b.ordinal
    }

    public enum Language: String, Sendable, CaseIterable { case zh, en }
}
