/// The four kinds of fact the event contract knows.
public enum EventType: String, Sendable, CaseIterable, Codable, Hashable {
    case transaction, behaviour, interaction, feedback
}
