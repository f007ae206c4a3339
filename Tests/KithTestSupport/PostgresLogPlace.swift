import Foundation
import KithCore
import KithPostgres
import Testing

/// A log in a schema of its own, dropped when the test is done.
public final class PostgresLogPlace: EventLogPlace {
    public let location: PostgresLocation

    public init() throws { location = try PostgresTestServer.freshLocation() }
    deinit { PostgresTestServer.drop(location) }

    public func open() throws -> any EventLog { try PostgresEventLog(location) }

    /// Writes the append's rows for real, then has the server end the connection before the
    /// commit, as when the process or its machine dies there: the server rolls it back.
    public func crashDuringAppend(of lines: EncodedLines) throws {
        let log = try PostgresEventLog(location)
        let killer = try PostgresSession(location)
        log.beforeCommit = { t in
            let pid = try t.backendProcessID()
            try killer.query("SELECT pg_terminate_backend(\(pid))", doing: "ending the append's connection")
        }
        #expect(throws: PostgresStoreError.self, "the append was acknowledged although its connection ended") {
            _ = try log.append(lines)
        }
        try killer.close()
    }
}
