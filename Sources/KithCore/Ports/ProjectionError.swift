/// What went wrong in a projection or its store, described without the command that mends it:
/// each surface maps the code to that (the CLI prints it, the server logs it for the operator).
/// It belongs to the store ports, so every adapter (SQLite, the in-memory reference, a database
/// server) says the same thing the same way.
public struct ProjectionError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String {
            case needsRebuild, needsMigration, logDamaged, noStore, noRFMView, unavailable, refused, overtaken
        }
        let value: Value
        /// The store cannot serve as it is (damaged, built under other rules, ahead of or apart
        /// from the log it follows, of a schema it cannot gain in place): a rebuild from the log
        /// mends it.
        public static let needsRebuild = Code(value: .needsRebuild)
        /// A read-only opening found a schema older than this version's: a writer migrates it.
        public static let needsMigration = Code(value: .needsMigration)
        /// The log holds something that is not a canonical event.
        public static let logDamaged = Code(value: .logDamaged)
        /// There is no store yet.
        public static let noStore = Code(value: .noStore)
        /// No RFM view: no refresh has run, or the stored one cannot be read.
        public static let noRFMView = Code(value: .noRFMView)
        /// The store could not be opened, read or written; the message says how.
        public static let unavailable = Code(value: .unavailable)
        /// A write the store refuses (a rebuild into a store that holds a projection).
        public static let refused = Code(value: .refused)
        /// Another process moved a shared store on since this one read it (projected further,
        /// or rebuilt it): nothing was written, and running again goes on from where it is now.
        public static let overtaken = Code(value: .overtaken)
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

extension ProjectionError {
    /// A log line the projection cannot read as an event.
    package static func notAnEvent(at position: UInt64) -> ProjectionError {
        ProjectionError(.logDamaged, "log position \(position) is not a canonical event; the log is damaged")
    }
}
