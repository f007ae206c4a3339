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
