/// Failures of the projection store and projector, with what to do about them.
public struct ProjectionError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
