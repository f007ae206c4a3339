import KithCore
import KithDirectory
import KithProjections

/// What went wrong in a use case, described without the command that would fix it: each
/// surface adds that (a CLI hint, an HTTP problem type).
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String {
            case unavailable, busy, badRules, rulesChanged, noRFMView, noProfile, noCurrentProfile, badArgument
            case quarantineFull, needsRebuild, needsMigration, logDamaged, noStore, notAllowed
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
        /// The store cannot serve as it is; a rebuild from the log mends it.
        public static let needsRebuild = Code(value: .needsRebuild)
        /// The store's schema is older than this version's; a writer (a catch-up) migrates it.
        public static let needsMigration = Code(value: .needsMigration)
        /// The log holds something that is not a canonical event.
        public static let logDamaged = Code(value: .logDamaged)
        /// There is no store yet: nothing has been ingested or projected.
        public static let noStore = Code(value: .noStore)
        /// The caller's key does not allow what it asked for; the message says what it allows.
        public static let notAllowed = Code(value: .notAllowed)
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// The lower layer's error this one wraps, if any (a surface may tell a store that is
    /// down from one that is damaged).
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// An error from a lower layer, its kind kept where the surfaces act on it (a projection
    /// store that needs a rebuild, a damaged log); anything else is `unavailable`.
    public init(wrapping error: any Error) {
        if let error = error as? EngineError {
            self = error
            return
        }
        if let directory = error as? DirectoryError {
            self.init(directory.code == .badArgument ? .badArgument : .unavailable, "\(directory)")
            return
        }
        guard let projection = error as? ProjectionError else {
            self.init(.unavailable, "\(error)")
            cause = error
            return
        }
        let code: Code =
            switch projection.code {
            case .needsRebuild: .needsRebuild
            case .needsMigration: .needsMigration
            case .logDamaged: .logDamaged
            case .noStore: .noStore
            case .noRFMView: .noRFMView
            default: .unavailable
            }
        self.init(code, projection.message)
    }
}
