/// Failures of the projection store and projector, with what to do about them.
public struct ProjectionError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ProjectionError {
    /// A log line the projection cannot read as an event.
    static func notAnEvent(at position: UInt64) -> ProjectionError {
        ProjectionError("log position \(position) is not a canonical event; the log is damaged (run kith log verify)")
    }
}
