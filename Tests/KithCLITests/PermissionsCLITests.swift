import Foundation
import KithTestSupport
import Testing

@Suite("Personal data at rest is owner-only")
struct PermissionsCLITests {
    func mode(_ path: String) throws -> Int {
        try #require((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test(
        "kith creates its data directory 0700 and its files 0600; a loosened one is repaired on the next command, with a note"
    )
    func ownerOnly() throws {
        // Given an ingest into a new data directory
        let scratch = Scratch()
        let data = scratch.path + "/data"
        let file = scratch.path + "/e.ndjson"
        try
            #"{"event_id":"1","source":"pos","type":"behaviour","name":"store_visit","occurred_at":"2026-03-01T10:00:00Z","identifiers":{"phone":"13700000001"}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try kith(["ingest", "--data", data, file]).status == 0)
        // Then every folder is 0700 and every file 0600
        let walker = try #require(FileManager.default.enumerator(atPath: data))
        var seen = 0
        while let relative = walker.nextObject() as? String {
            var folder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: data + "/" + relative, isDirectory: &folder)
            #expect(try mode(data + "/" + relative) == (folder.boolValue ? 0o700 : 0o600), "\(relative)")
            seen += 1
        }
        #expect(seen >= 4)
        #expect(try mode(data) == 0o700)
        // When someone loosens them, the next command tightens them again and says so
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: data)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: data + "/projections.sqlite")
        let stats = try kith(["log", "stats", "--data", data])
        #expect(stats.status == 0)
        #expect(
            stats.stderr.contains("2 file(s) and folder(s) others could read are now owner-only"), "\(stats.stderr)")
        #expect(try mode(data) == 0o700)
        #expect(try mode(data + "/projections.sqlite") == 0o600)
        // And a tidy directory gets no note
        #expect(try !kith(["log", "stats", "--data", data]).stderr.contains("owner-only"))
    }
}
