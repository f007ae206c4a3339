/// What went wrong in a use case, described without the command that would fix it: each
/// surface adds that (a CLI hint, an HTTP problem type).
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String {
            case unavailable, busy, badRules, rulesChanged, noRFMView, noProfile, noCurrentProfile, badArgument
            case quarantineFull
        }
        let value: Value
        /// A file or store could not be opened, read or written.
        public static let unavailable = Code(value: .unavailable)
        /// Another process holds the log's writer lock.
        public static let busy = Code(value: .busy)
        /// A rules file could not be read or is not valid.
        public static let badRules = Code(value: .badRules)
        /// The rules link identities differently from those the store was built with.
        public static let rulesChanged = Code(value: .rulesChanged)
        /// No RFM refresh has run on the store yet.
        public static let noRFMView = Code(value: .noRFMView)
        /// No profile id or identifier the store knows matches the reference.
        public static let noProfile = Code(value: .noProfile)
        /// The reference is known but leads to no profile now (a split, an unlinked value);
        /// the message says why.
        public static let noCurrentProfile = Code(value: .noCurrentProfile)
        /// A request's argument is not one the use case accepts; the message says what is.
        public static let badArgument = Code(value: .badArgument)
        /// The quarantine is at its bound, so bad lines could not be kept: nothing was ingested.
        public static let quarantineFull = Code(value: .quarantineFull)
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
