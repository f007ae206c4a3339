import Foundation
import KithCore
import KithDirectory
import KithFaults
import KithGenerator
import KithLog
import Testing

@testable import KithIngest

/// Power loss (`PowerLossDisk`) under the files the data directory keeps beside the log: the
/// installation secret, the audit log and its head, and the quarantine. What was acknowledged
/// before the power went survives, and each file opens afterwards without help, so a crash
/// never makes the server withhold personal data or an ingest lose a bad line it reported.
@Suite struct AccessFilesPowerLossTests {
    static let rounds = ProcessInfo.processInfo.environment["KITH_FAULTS"] == "heavy" ? 3_000 : 300

    static func record(_ i: Int, using rng: inout SplitMix64) -> AuditLog.Record {
        let route =
            "/v1/profiles/" + String(rng.next() % 1_000_000_007, radix: 36)
            + String(repeating: "x", count: Int.random(in: 0...900, using: &rng))
        return AuditLog.Record(
            at: "2026-11-26T10:00:\(String(format: "%02d", i % 60))Z", key: "analyst", keyID: "k\(i % 3)",
            route: route, profile: "p\(i)", status: 200)
    }

    /// Creates the secret, opens the audit log and appends `records` through `directory`'s
    /// disk; returns the secret and the records whose appends returned, up to the crash.
    static func audit(_ records: [AuditLog.Record], in directory: DataDirectory)
        -> (secret: InstallationSecret?, acknowledged: [AuditLog.Record])
    {
        var secret: InstallationSecret?
        var acknowledged: [AuditLog.Record] = []
        do {
            let made = try InstallationSecret.of(directory)
            secret = made
            let log = AuditLog(directory, secret: made)
            try log.prepare()
            for record in records {
                try log.append(record)
                acknowledged.append(record)
            }
        } catch {}
        return (secret, acknowledged)
    }

    @Test(
        "audit records acknowledged before a power loss survive it; the log reopens whole, a cut-short record set aside"
    )
    func auditSurvivesPowerLoss() throws {
        var rng = SplitMix64.forTest("AccessFilesPowerLossTests.auditSurvivesPowerLoss")
        var crashes = 0
        var setAside = 0
        var takenIntoHead = 0
        for round in 0..<Self.rounds {
            let records = (0..<Int.random(in: 1...6, using: &rng)).map { Self.record($0, using: &rng) }
            let counting = Scratch()
            try FileManager.default.createDirectory(atPath: counting.path + "/data", withIntermediateDirectories: true)
            let counter = try PowerLossDisk(root: counting.path + "/data")
            _ = Self.audit(records, in: DataDirectory(counting.path + "/data", disk: counter.disk))
            let crashAt = Int.random(in: 1...counter.operations + 1, using: &rng)

            let scratch = Scratch()
            let root = scratch.path + "/data"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let disk = try PowerLossDisk(root: root, crashAt: crashAt)
            let before = Self.audit(records, in: DataDirectory(root, disk: disk.disk))
            let story = try disk.losePower(using: &rng)
            if disk.crashed { crashes += 1 }
            let context = "round \(round), crash at operation \(crashAt) of \(counter.operations): \(story)"

            let data = DataDirectory(root)
            let secret = try InstallationSecret.of(data)
            if let acknowledged = before.secret {
                #expect(secret == acknowledged, "the installation secret changed (\(context))")
            }
            let log = AuditLog(data, secret: secret)
            // `kith audit verify`, before any server has touched the log.
            let checked = try log.verify()
            #expect(checked.isIntact, "audit verify after a power loss: \(checked.problems) (\(context))")
            if checked.notes.contains(where: { $0.contains("cut short") }) { setAside += 1 }
            if checked.notes.contains(where: { $0.contains("its head was not") }) { takenIntoHead += 1 }
            do { try log.prepare() } catch {
                Issue.record("the audit log did not reopen after a power loss (\(context)): \(error)")
                continue
            }
            let found = try log.verify()
            #expect(found.isIntact && found.notes.isEmpty, "\(found.problems) \(found.notes) (\(context))")
            let written = found.records.map { record -> AuditLog.Record in
                var plain = record
                plain.previous = ""
                return plain
            }
            #expect(
                written.count >= before.acknowledged.count && written.count <= before.acknowledged.count + 1
                    && Array(records.prefix(written.count)) == written,
                "the audit log holds \(written.count) records, \(before.acknowledged.count) acknowledged (\(context))")

            try log.append(Self.record(99, using: &rng))
            let after = try log.verify()
            #expect(after.isIntact, "after a new append: \(after.problems) (\(context))")
            #expect(after.records.count == written.count + 1)
        }
        print(
            "audit power loss: \(crashes) crashes, \(setAside) cut-short records set aside, \(takenIntoHead) taken into the head"
        )
        #expect(setAside > 0, "no power loss ever cut an audit record short")
        #expect(takenIntoHead > 0, "no power loss ever fell between a synced record and its head")
    }

    static func quarantined(_ id: Int) -> QuarantineRecord {
        QuarantineRecord(
            file: "orders.ndjson", line: id, format: .ndjson,
            reason: QuarantineReason(.schemaViolation, field: "occurred_at", "not a time"),
            raw: Array(#"{"event_id":"o\#(id)","note":"\#(String(repeating: "z", count: id % 700))"}"#.utf8),
            at: "2026-11-26T10:00:00Z")
    }

    /// Appends `batches` and then, when `replacing`, keeps only the odd records; returns the
    /// ids the store vouched for (appends and the replace that returned).
    static func quarantine(_ batches: [[QuarantineRecord]], replacing: Bool, at directory: String, disk: Disk)
        -> (acknowledged: Set<String>, replaced: Set<String>?, crashedReplacing: Bool)
    {
        var acknowledged = Set<String>()
        var replacingStarted = false
        do {
            let store = try QuarantineStore(directory: directory, disk: disk)
            for batch in batches {
                try store.append(batch)
                acknowledged.formUnion(batch.map(\.id))
            }
            guard replacing else { return (acknowledged, nil, false) }
            let kept = batches.joined().filter { $0.line % 2 == 1 }
            replacingStarted = true
            try store.replace(with: kept)
            return (acknowledged, Set(kept.map(\.id)), false)
        } catch {
            return (acknowledged, nil, replacingStarted)
        }
    }

    @Test("quarantined lines acknowledged before a power loss survive it, and the next append reads back whole")
    func quarantineSurvivesPowerLoss() throws {
        var rng = SplitMix64.forTest("AccessFilesPowerLossTests.quarantineSurvivesPowerLoss")
        var partLinesCut = 0
        for round in 0..<Self.rounds {
            var next = 0
            let batches = (0..<Int.random(in: 1...5, using: &rng)).map { _ in
                (0..<Int.random(in: 1...6, using: &rng)).map { _ in
                    next += 1
                    return Self.quarantined(next)
                }
            }
            let replacing = Bool.random(using: &rng)
            let counting = Scratch()
            let counter = try PowerLossDisk(root: counting.path)
            _ = Self.quarantine(batches, replacing: replacing, at: counting.path + "/quarantine", disk: counter.disk)
            let crashAt = Int.random(in: 1...counter.operations + 1, using: &rng)

            let scratch = Scratch()
            let folder = scratch.path + "/quarantine"
            let disk = try PowerLossDisk(root: scratch.path, crashAt: crashAt)
            let before = Self.quarantine(batches, replacing: replacing, at: folder, disk: disk.disk)
            let story = try disk.losePower(using: &rng)
            let context = "round \(round), crash at operation \(crashAt) of \(counter.operations): \(story)"

            let file = folder + "/quarantine.ndjson"
            if let bytes = FileManager.default.contents(atPath: file), let last = bytes.last, last != 0x0A {
                partLinesCut += 1
            }
            let store = try QuarantineStore(directory: folder)
            let survived = Set(try store.records().map(\.id))
            if let replaced = before.replaced {
                #expect(survived == replaced, "the replaced quarantine differs (\(context))")
            } else if before.crashedReplacing {
                let kept = Set(batches.joined().filter { $0.line % 2 == 1 }.map(\.id))
                #expect(survived == before.acknowledged || survived == kept, "a half-replaced quarantine (\(context))")
            } else {
                #expect(before.acknowledged.isSubset(of: survived), "acknowledged quarantined lines lost (\(context))")
            }
            let later = (1...3).map { Self.quarantined(10_000 + $0) }
            try store.append(later)
            let all = try store.records()
            #expect(
                Set(later.map(\.id)).isSubset(of: Set(all.map(\.id))) && survived.isSubset(of: Set(all.map(\.id))),
                "records appended after a power loss do not read back (\(context))")
        }
        print("quarantine power loss: \(partLinesCut) part-lines cut before the next append")
        #expect(partLinesCut > 0, "no power loss ever cut a quarantine line short")
    }

    @Test("a last line longer than one read-back chunk is judged whole or cut as a whole line")
    func longLastLineIsJudgedWhole() throws {
        let scratch = Scratch()
        let folder = scratch.path + "/quarantine"
        let file = folder + "/quarantine.ndjson"
        let long = QuarantineRecord(
            file: "orders.ndjson", line: 1, format: .ndjson,
            reason: QuarantineReason(.schemaViolation, field: "occurred_at", "not a time"),
            raw: Array(String(repeating: "z", count: 200_000).utf8), at: "2026-11-26T10:00:00Z")
        for torn in [false, true] {
            try? FileManager.default.removeItem(atPath: folder)
            try QuarantineStore(directory: folder).append([Self.quarantined(1), long])
            // The long record loses its line break, or half of itself, as a power loss may leave it.
            let bytes = try #require(FileManager.default.contents(atPath: file))
            let kept = torn ? bytes.count - 100_000 : bytes.count - 1
            try Data(bytes.prefix(kept)).write(to: URL(fileURLWithPath: file))
            let store = try QuarantineStore(directory: folder)
            try store.append([Self.quarantined(2)])
            let ids = Set(try store.records().map(\.id))
            let expected = Set(([Self.quarantined(1), Self.quarantined(2)] + (torn ? [] : [long])).map(\.id))
            #expect(ids == expected, torn ? "a torn long record was not cut whole" : "a whole long record was lost")
        }
    }
}
