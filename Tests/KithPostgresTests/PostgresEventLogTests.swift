import Foundation
import KithCore
import KithGenerator
import KithTestSupport
import Testing

@testable import KithPostgres

/// What the PostgreSQL log promises beyond the `EventLog` contract: many writers on one
/// server, errors that name the server and never the password, a check that finds damage, and
/// its DDL in step with `schemas/postgres/log.sql`.
@Suite struct PostgresEventLogTests {
    /// Several handles (as several `kith serve` processes would hold) append at once: the
    /// advisory lock takes them in turns, so each record lands once, at contiguous positions.
    @Test func severalWritersTakeTurns() throws {
        let place = try PostgresLogPlace()
        let logs = try (0..<4).map { _ in try place.open() }
        let outcomes = EventLogContract.Outcomes()
        DispatchQueue.concurrentPerform(iterations: logs.count) { writer in
            for round in 0..<12 {
                // Each append overlaps the next writer's: the same keys race.
                let base = writer * 50 + round * 10
                do { outcomes.add(try logs[writer].append(EventLogContract.lines(Array(base..<base + 60)))) } catch {
                    outcomes.fail(error)
                }
            }
        }
        #expect(outcomes.errors.isEmpty, "\(outcomes.errors)")
        let all = try EventLogContract.read(logs[0])
        #expect(all.map(\.0) == (0..<UInt64(all.count)).map { $0 })
        #expect(Set(all.map(\.1)).count == all.count, "a record landed twice")
        var sent = Set<Int>()
        for writer in 0..<4 {
            for round in 0..<12 { sent.formUnion((writer * 50 + round * 10)..<(writer * 50 + round * 10 + 60)) }
        }
        #expect(all.count == outcomes.appended && all.count == sent.count)
        #expect(logs.allSatisfy { $0.endPosition == UInt64(all.count) }, "a handle sees another end")
        #expect(try logs[1].verify().isEmpty)
        for log in logs { try log.close() }
    }

    /// A wrong password and a port nobody listens on each give one line that names the server
    /// and the cause, and never the password.
    @Test func failuresNameTheServerNotThePassword() throws {
        var wrong = try PostgresLocation(url: PostgresTestServer.url())
        wrong.password = "not-the-password-\(UUID().uuidString)"
        let refused = #expect(throws: PostgresStoreError.self) { try PostgresEventLog(wrong) }
        #expect(refused?.kind == .refusedLogin, "\(refused.map(\.message) ?? "")")
        #expect(refused?.message.contains("\(wrong.host):\(wrong.port)") == true)
        #expect(refused?.message.contains(wrong.password ?? "") == false, "the password is in the message")

        var closed = wrong
        closed.port = 1  // nothing listens on port 1 of loopback
        let unreachable = #expect(throws: PostgresStoreError.self) { try PostgresEventLog(closed) }
        #expect(unreachable?.kind == .unreachable, "\(unreachable.map(\.message) ?? "")")
        #expect(unreachable?.message.contains("\(closed.host):1") == true)
        #expect(unreachable?.message.contains(closed.password ?? "") == false, "the password is in the message")
    }

    /// A server that ends the connection (restarted, or the network gone) makes the next
    /// append fail at once with a line that says so, never wait forever; the log opened again
    /// takes the same lines, with nothing lost and nothing twice.
    @Test func anEndedConnectionFailsAndTheLogResumes() throws {
        let place = try PostgresLogPlace()
        let log = try PostgresEventLog(place.location)
        _ = try log.append(EventLogContract.lines(Array(0..<20)))
        let pid = try #require(
            try log.session.query("SELECT pg_backend_pid()", doing: "test").first?.decode(Int32.self))
        let killer = try PostgresSession(place.location)
        try killer.query("SELECT pg_terminate_backend(\(pid))", doing: "test")
        try killer.close()
        let error = #expect(throws: PostgresStoreError.self) {
            _ = try log.append(EventLogContract.lines(Array(10..<40)))
        }
        #expect(error?.kind == .unreachable, "\(error.map(\.message) ?? "")")
        let reopened = try PostgresEventLog(place.location)
        let resent = try reopened.append(EventLogContract.lines(Array(10..<40)))
        #expect(resent == AppendOutcome(appended: 20, duplicates: 10, positions: 20..<40))
        #expect(try EventLogContract.read(reopened).count == 40 && reopened.verify().isEmpty)
        try reopened.close()
    }

    /// `verify` finds a record changed behind Kith's back, a key that does not belong to its
    /// record, and a missing record, each by position.
    @Test func verifyFindsDamage() throws {
        let place = try PostgresLogPlace()
        let log = try place.open()
        _ = try log.append(EventLogContract.lines(Array(0..<30)))
        #expect(try log.verify().isEmpty)
        let s = place.location.schema
        let tamper = try PostgresSession(place.location)
        try tamper.query(
            .init(unsafeSQL: "UPDATE \(s).event SET line = replace(line, '\"e7\"', '\"e70\"') WHERE position = 7"),
            doing: "test")
        try tamper.query(.init(unsafeSQL: "UPDATE \(s).event SET line = 'not json' WHERE position = 12"), doing: "test")
        var problems = try log.verify()
        #expect(problems.count == 2 && problems[0].contains("position 7") && problems[1].contains("position 12"))
        try tamper.query(.init(unsafeSQL: "DELETE FROM \(s).event WHERE position = 29"), doing: "test")
        problems = try log.verify()
        #expect(problems.contains { $0.contains("ends at 30") && $0.contains("29 records") })
        try tamper.close()
        try log.close()
    }

    /// A log whose head records another format is refused with what was found, not read.
    @Test func anotherFormatIsRefused() throws {
        let place = try PostgresLogPlace()
        try place.open().close()
        let session = try PostgresSession(place.location)
        try session.query(.init(unsafeSQL: "UPDATE \(place.location.schema).log_head SET format = 99"), doing: "test")
        try session.close()
        let error = #expect(throws: PostgresStoreError.self) { try place.open() }
        #expect(error?.kind == .wrongFormat && error?.message.contains("format 99") == true)
    }

    /// The DDL Kith runs is the DDL `schemas/postgres/log.sql` documents.
    @Test func schemaFileIsInStep() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/postgres/log.sql")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == PostgresLogSchema.script(schema: "kith"), "regenerate schemas/postgres/log.sql")
    }
}

/// Reading `postgres://` URLs, with no server: what each part becomes, and the password kept
/// out of every description and error.
@Suite struct PostgresLocationTests {
    @Test func partsAndDefaults() throws {
        let full = try PostgresLocation(url: "postgresql://ana:s3cr%40t@db.local:6543/crm?schema=shop_1")
        #expect(full.user == "ana" && full.password == "s3cr@t" && full.host == "db.local" && full.port == 6543)
        #expect(full.database == "crm" && full.schema == "shop_1")
        #expect(full.description == "postgres://ana@db.local:6543/crm?schema=shop_1")
        let bare = try PostgresLocation(url: "postgres://kith@127.0.0.1")
        #expect(bare.port == 5432 && bare.database == "kith" && bare.schema == "kith" && bare.password == nil)
    }

    @Test(arguments: [
        "http://a@b/c", "postgres://127.0.0.1:5432/kith", "postgres://a:pw@/x", "postgres://a@h/d?schema=Bad-Name",
        "postgres://a@h/d?sslmode=require",
    ])
    func badURLsAreRefusedWithoutThePassword(_ url: String) throws {
        let error = #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: url) }
        #expect(error?.kind == .badLocation)
        #expect(error?.message.contains(":pw@") == false)
    }

    /// Whatever the password, no description of the location holds it.
    @Test func thePasswordNeverShows() throws {
        var rng = SplitMix64.forTest("PostgresLocationTests.thePasswordNeverShows")
        for _ in 0..<200 {
            let password = String(
                (0..<Int.random(in: 6...30, using: &rng)).map { _ in
                    "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".randomElement(using: &rng)!
                })
            let location = try PostgresLocation(url: "postgres://kith:\(password)@127.0.0.1:5432/kith")
            #expect(location.password == password)
            #expect(!location.description.contains(password))
            #expect(!PostgresLocation.masked("postgres://kith:\(password)@h/x").contains(password))
        }
    }
}
