import Foundation
import KithTestSupport
import Testing

/// A projection into a store that does not exist yet is loaded in bulk beside it, without a
/// journal, and renamed into place whole (`SQLiteProjectionStore.init(bulkLoadingAt:)`).
@Suite("Bulk-loaded stores")
struct BulkLoadTests {
    /// Whether the SQLite file at `path` is in WAL mode: its header's read and write versions
    /// (bytes 18 and 19) are 2 (1 for a rollback journal).
    static func isWAL(_ path: String) throws -> Bool {
        let header = try #require(FileManager.default.contents(atPath: path)).prefix(20)
        return header.count == 20 && header[18] == 2 && header[19] == 2
    }

    static func leftovers(in data: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.contains(".loading") }
    }

    @Test(
        "A projection into no store is loaded beside it and renamed in whole: WAL, nothing left beside it, the same profiles as a one-pass rebuild into an empty store"
    )
    func aFirstProjectionIsLoadedInBulk() throws {
        let scratch = Scratch()
        let (data, accepted, _) = try ProjectionCrashTests.unprojectedLog(persons: 300, seed: 41, in: scratch)
        // The same log projected in one pass into an existing, empty store (opened, and so
        // made, by a read): the path every rebuild took before bulk loads.
        let inPlace = scratch.path + "/in-place"
        try FileManager.default.createDirectory(atPath: inPlace, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/log", toPath: inPlace + "/log")
        try shareInstallationSecret(from: data, to: inPlace)
        #expect(try ProjectionCrashTests.checkpoint(inPlace) == 0)
        #expect(FileManager.default.fileExists(atPath: inPlace + "/projections.sqlite"))

        #expect(try kith(["project", "--data", data]).status == 0)
        #expect(try Self.isWAL(data + "/projections.sqlite"))
        #expect(try Self.leftovers(in: data) == [])
        #expect(try ProjectionCrashTests.checkpoint(data) == accepted)
        #expect(try ProjectionCrashTests.finishedExport(data) == ProjectionCrashTests.finishedExport(inPlace))
        for command in [["rfm", "export"], ["identity", "stats", "--format", "json"]] {
            #expect(try kith(command + ["--data", data]).stdout == kith(command + ["--data", inPlace]).stdout)
        }
    }

    @Test("A catch-up into a store that exists writes it in place, and removes what a killed bulk load left")
    func anExistingStoreIsNeverReplaced() throws {
        let scratch = Scratch()
        let (data, accepted, reference) = try ProjectionCrashTests.unprojectedLog(persons: 200, seed: 42, in: scratch)
        // Project half the log in batches, so a store exists with work left for a catch-up.
        #expect(
            try kith(
                ["project", "--data", data, "--batch-size", "\(accepted / 2)"],
                environment: ["KITH_KILL_AT": "commit:1"]
            )
            .killed)
        let store = data + "/projections.sqlite"
        let inode = try #require(FileManager.default.attributesOfItem(atPath: store)[.systemFileNumber] as? UInt64)
        // What a bulk load killed before its rename leaves: personal data that is never in force.
        let leftover = store + ".loading"
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data(repeating: 7, count: 4096)))

        #expect(try ProjectionCrashTests.finishedExport(data) == reference)
        #expect(try FileManager.default.attributesOfItem(atPath: store)[.systemFileNumber] as? UInt64 == inode)
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    @Test("A bulk load that fails (a damaged segment) says where, exits 2 and leaves no file of personal data behind")
    func aFailedLoadLeavesNothing() throws {
        let scratch = Scratch()
        let (data, _, _) = try ProjectionCrashTests.unprojectedLog(persons: 200, seed: 43, in: scratch)
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: data + "/log").sorted().first { $0.hasSuffix(".seg") })
        var bytes = try #require(FileManager.default.contents(atPath: data + "/log/" + segment))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: data + "/log/" + segment))

        let run = try kith(["project", "--data", data])
        #expect(run.status == 2)
        #expect(run.stderr.contains(segment) && run.stderr.contains("CRC mismatch"), "\(run.stderr)")
        #expect(try Self.leftovers(in: data) == [])
        #expect(!FileManager.default.fileExists(atPath: data + "/projections.sqlite"))
    }
}
