/// How far a catch-up has got. A one-pass rebuild reads the whole log first and then still has
/// most of its work ahead (values, identity, the store), so it names those stages rather than
/// sitting at 100%.
public struct ProjectionProgress: Sendable, Equatable {
    public enum Stage: String, Sendable {
        case writingValues = "writing identifier values and statistics"
        case resolvingIdentity = "resolving identity"
        case committing = "writing links and profiles, building indexes, committing"
    }

    /// Log positions projected (or, in a rebuild, read) so far, and the end of the log (of what
    /// the rebuild covers, while it reads the log again for more values' statistics).
    public var position: UInt64
    public var end: UInt64
    /// A rebuild's stage once the log has been read; nil while events are being read.
    public var stage: Stage?
}
