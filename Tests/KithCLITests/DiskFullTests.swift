import Foundation
import KithGenerator
import KithTestSupport
import Testing

/// Ingest into a filesystem that fills up: a clear error, a consistent log, and ingest resumes
/// once space is back. Needs a tmpfs mount (CAP_SYS_ADMIN); where mounting is refused the test
/// records why and checks nothing else, and `FullDiskTests` (KithLogTests) reaches the same
/// writer code through the fault layer at every write of its plans.
@Suite("Disk full")
struct DiskFullTests {
    static func shell(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try? p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test("A full disk stops ingest with a clear error; the log stays whole; after space returns the rest lands")
    func ingestIntoFullDisk() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 2_000, seed: 31).write(to: exports)
        let files = generated.files.map { exports + "/" + $0 }
        let data = scratch.path + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        guard Self.shell("mount -t tmpfs -o size=256k tmpfs '\(data)'") == 0 else {
            Issue.record(
                Comment(
                    rawValue: "cannot mount a tmpfs here: this test needs CAP_SYS_ADMIN (root alone is not enough in a "
                        + "container); the disk-full path is untested on this machine"))
            return
        }
        defer { _ = Self.shell("umount '\(data)'") }

        let full = try kith(
            ["ingest", "--data", data, "--no-project"] + files, environment: ["KITH_SEGMENT_BYTES": "65536"])
        #expect(full.status != 0)
        #expect((full.stdout + full.stderr).contains("no space left"), "\(full.stdout)\(full.stderr)")
        let verify = try kith(["log", "verify", "--data", data])
        #expect(verify.status == 0, "the log is whole after the failure: \(verify.stdout)")
        let partial = try kith(["log", "read", "--data", data]).stdout.split(separator: "\n").count
        #expect(partial < generated.accepted)

        #expect(Self.shell("mount -o remount,size=64m '\(data)'") == 0)
        let resumed = try kith(["ingest", "--data", data, "--no-project"] + files)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try kith(["log", "verify", "--data", data]).status == 0)
        let lines = try kith(["log", "read", "--data", data]).stdout.split(separator: "\n")
        #expect(lines.count == generated.accepted, "every event lands exactly once")
        #expect(Set(lines).count == lines.count)
    }
}
