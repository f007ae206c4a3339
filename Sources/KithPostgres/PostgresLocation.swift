import Foundation

/// Where a PostgreSQL-backed store lives: a `postgres://user[:password]@host[:port]/database`
/// URL, with `?schema=NAME` choosing the schema Kith's tables go in (`kith` by default), so
/// several stores can share a database.
///
/// Its description never holds the password: every message that names a store goes through it.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The schema that holds the store's tables; a plain lower-case SQL name.
    public var schema: String

    public init(
        host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
        schema: String = "kith"
    ) throws {
        guard Self.isPlainName(schema) else {
            throw PostgresStoreError(
                .badLocation,
                "a schema name is lower-case letters, digits and underscores, starting with a letter; found '\(schema)'"
            )
        }
        (self.host, self.port, self.user, self.password, self.database, self.schema) =
            (host, port, user, password, database, schema)
    }

    /// Parses a `postgres://` (or `postgresql://`) URL.
    public init(url text: String) throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresStoreError(
                .badLocation,
                "expected a URL like postgres://user@host:5432/database, found '\(Self.masked(text))'")
        }
        guard let host = url.host, !host.isEmpty else {
            throw PostgresStoreError(.badLocation, "the URL '\(Self.masked(text))' names no host")
        }
        guard let user = url.user, !user.isEmpty else {
            throw PostgresStoreError(
                .badLocation, "the URL '\(Self.masked(text))' names no user (postgres://USER@host/…)")
        }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        var schema = "kith"
        for item in url.queryItems ?? [] {
            guard item.name == "schema", let value = item.value else {
                throw PostgresStoreError(
                    .badLocation,
                    "the URL '\(Self.masked(text))' has an unknown option '\(item.name)' (only schema=NAME)"
                )
            }
            schema = value
        }
        try self.init(
            host: host, port: url.port ?? 5432, user: user, password: url.password,
            database: path.isEmpty ? user : path,
            schema: schema)
    }

    /// The URL without its password.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (schema == "kith" ? "" : "?schema=\(schema)")
    }

    /// Whether a URL names a PostgreSQL store (rather than a directory).
    public static func isURL(_ text: String) -> Bool {
        text.lowercased().hasPrefix("postgres://") || text.lowercased().hasPrefix("postgresql://")
    }

    /// `text` with anything between `://user:` and `@` replaced, for messages about a URL that
    /// did not parse.
    static func masked(_ text: String) -> String {
        guard let scheme = text.range(of: "://"),
            let at = text.range(of: "@", range: scheme.upperBound..<text.endIndex),
            let colon = text.range(of: ":", range: scheme.upperBound..<at.lowerBound)
        else { return text }
        return text.replacingCharacters(in: colon.upperBound..<at.lowerBound, with: "***")
    }

    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            name.utf8.count <= 48
        else { return false }
        return name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }
}
