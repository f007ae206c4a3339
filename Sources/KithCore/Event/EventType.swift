/// The four kinds of fact the event contract knows.
public enum EventType: String, Sendable, CaseIterable, Codable, Hashable {
    case transaction, behaviour, interaction, feedback
}

extension EventType {
    /// Reads the type from a string token without building a String.
    init?(token: JSONScanner.StringToken, in s: JSONScanner) {
        if token.hasEscapes {
            self.init(rawValue: s.string(token))
            return
        }
        switch token.range.count {
        case 8 where s.token(token, equals: "feedback"): self = .feedback
        case 9 where s.token(token, equals: "behaviour"): self = .behaviour
        case 11 where s.token(token, equals: "transaction"): self = .transaction
        case 11 where s.token(token, equals: "interaction"): self = .interaction
        default: return nil
        }
    }
}

extension EventType {
    /// The type's code where files and tables store it (timeline entries, projection columns):
    /// stable, so what is stored outlives any reordering of the cases; 0 is never a type.
    public var storedCode: UInt8 {
        switch self {
        case .transaction: 1
        case .behaviour: 2
        case .interaction: 3
        case .feedback: 4
        }
    }

    /// The type a stored code stands for; nil for a code no type has.
    public init?(storedCode: UInt8) {
        switch storedCode {
        case 1: self = .transaction
        case 2: self = .behaviour
        case 3: self = .interaction
        case 4: self = .feedback
        default: return nil
        }
    }
}
