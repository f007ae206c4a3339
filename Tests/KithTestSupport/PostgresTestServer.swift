import Foundation
import KithPostgres
import Testing

/// The PostgreSQL server the tests use: the one `tools/test.sh` starts on loopback
/// (`tools/postgres.sh`), named by `KITH_TEST_POSTGRES_URL`. Without it every test here fails
/// with a line saying how to get one: a PostgreSQL test is never skipped.
public enum PostgresTestServer {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "KITH_TEST_POSTGRES_URL is not set: run tools/test.sh (it starts PostgreSQL on loopback), or start one "
                + "with `tools/postgres.sh start DIR` and export the URL it prints"
        }
    }

    /// The server's URL as the test script gives it.
    public static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["KITH_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw Missing()
        }
        return url
    }

    /// A schema of its own for one test, so tests run side by side without meeting.
    public static func freshLocation() throws -> PostgresLocation {
        var location = try PostgresLocation(url: url())
        location.schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        return location
    }

    /// `location` as a URL with its password, for `--store` and `KITH_DATABASE_URL`.
    public static func url(for location: PostgresLocation) -> String {
        "postgres://\(location.user):\(location.password ?? "")@\(location.host):\(location.port)/\(location.database)"
            + "?schema=\(location.schema)"
    }

    /// Drops a test's schema and everything in it, its projection generations too.
    public static func drop(_ location: PostgresLocation) {
        guard let session = try? PostgresSession(location) else { return }
        let s = location.schema
        let generations =
            (try? session.query(
                .init(unsafeSQL: "SELECT nspname::text FROM pg_namespace WHERE nspname ~ '^\(s)_p[0-9]+$'"),
                doing: "cleaning up"
            ).map { try $0.decode(String.self) }) ?? []
        for schema in [s] + generations {
            _ = try? session.query(.init(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), doing: "cleaning up")
        }
        try? session.close()
    }
}
