import PostgresNIO

/// A PostgreSQL-backed store could not do what was asked: one line that names the server and
/// the cause, never the password, and never a query's values (they may hold personal data).
public struct PostgresStoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The URL does not say where a store is.
        case badLocation
        /// The server cannot be reached (refused, unknown host, timed out, gone mid-session).
        case unreachable
        /// The server refused the login (wrong password, unknown role or database).
        case refusedLogin
        /// The role may not do what the store needs (create its schema, write its tables).
        case missingPrivilege
        /// The store's tables are not what this version of Kith keeps.
        case wrongFormat
        /// A record the store cannot keep byte for byte (not UTF-8 text).
        case badRecord
        /// Any other error the server reported.
        case server
    }

    public let kind: Kind
    public let message: String
    /// The server's SQLSTATE, when the server reported the error.
    public private(set) var sqlState: String?

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Describes `error`, thrown while talking to the server at `location`.
    init(_ error: any Error, at location: PostgresLocation, doing what: String) {
        let place =
            "PostgreSQL at \(location.host):\(location.port) (database \(location.database), role \(location.user))"
        if let error = error as? PostgresStoreError {
            self = error
            return
        }
        if error is PostgresDecodingError {
            // A column of another type than Kith reads: not Kith's tables, or another version's.
            self.init(.wrongFormat, "\(place): \(what) failed: a column holds another type than this Kith reads")
            return
        }
        guard let psql = error as? PSQLError else {
            // The connection ended, or the channel failed under it.
            self.init(.unreachable, "\(place): \(what) failed: \(error)")
            return
        }
        let state = psql.serverInfo?[.sqlState] ?? ""
        let said = psql.serverInfo?[.message] ?? ""
        switch (psql.code, state) {
        case (.server, "28P01"), (.server, "28000"), (.server, "3D000"):
            self.init(.refusedLogin, "\(place) refused the login: \(said) (SQLSTATE \(state))")
        case (.server, let state) where state.hasPrefix("08") || state.hasPrefix("57P"):
            // Connection exceptions and the server shutting down or restarting.
            self.init(.unreachable, "\(place) ended the connection: \(said) (SQLSTATE \(state))")
        case (.server, "42501"):
            self.init(.missingPrivilege, "\(place): \(what) needs a privilege the role lacks: \(said)")
        case (.server, _):
            self.init(.server, "\(place): \(what) failed: \(said) (SQLSTATE \(state))")
        case (.connectionError, _), (.serverClosedConnection, _), (.clientClosedConnection, _), (.uncleanShutdown, _):
            let cause = psql.underlying.map { "\($0)" } ?? "\(psql.code)"
            self.init(.unreachable, "\(place) cannot be reached: \(cause)")
        case (.authMechanismRequiresPassword, _):
            self.init(.refusedLogin, "\(place) asks for a password and the URL gives none")
        default:
            self.init(.server, "\(place): \(what) failed: \(psql.code)")
        }
        if !state.isEmpty { sqlState = state }
    }

    public var description: String { message }
}
