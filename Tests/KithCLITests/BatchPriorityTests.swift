import Foundation
import KithTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Batch work yields the CPU to reads: `kith ingest` (like `project` and `replay`) lowers its
/// threads' priority unless told `--priority normal`.
@Suite("Batch priority")
struct BatchPriorityTests {
    /// The nice value of every thread of a process, from /proc.
    static func niceValues(of pid: Int32) -> [Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name start at field 3 (state); nice is field 19.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int(fields[16]) : nil
        }
    }

    @Test("kith ingest runs every thread at nice +10 by default (and keeps them there); --priority normal lowers none")
    func ingestYieldsToReads() throws {
        let scratch = Scratch()
        errno = 0
        let own = Int(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        for (arguments, expected) in [([String](), min(19, own + 10)), (["--priority", "normal"], own)] {
            let fifo = scratch.path + "/events-\(expected).ndjson"
            #expect(mkfifo(fifo, 0o600) == 0)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: kithBinary)
            process.arguments = ["ingest", "--data", scratch.path + "/data", "--no-project", fifo] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Opening the FIFO for writing waits until kith has opened it to read: it is running.
            let writer = open(fifo, O_WRONLY)
            #expect(writer >= 0)
            // libdispatch may start a worker at a nice value of its own; kith lowers it again
            // within a second.
            var nice = Self.niceValues(of: process.processIdentifier)
            for _ in 0..<30 where arguments.isEmpty && !nice.allSatisfy({ $0 == expected }) {
                usleep(100_000)
                nice = Self.niceValues(of: process.processIdentifier)
            }
            #expect(!nice.isEmpty)
            if arguments.isEmpty {
                #expect(nice.allSatisfy { $0 == expected }, "threads at \(nice), expected \(expected)")
            } else {
                #expect(!nice.contains(min(19, own + 10)), "threads at \(nice): --priority normal must not lower any")
                #expect(nice.contains(own), "threads at \(nice)")
            }
            let line =
                #"{"event_id":"n\#(expected)","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"M1"}}"#
                + "\n"
            _ = line.withCString { write(writer, $0, strlen($0)) }
            close(writer)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }
}
