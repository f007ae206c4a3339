import Foundation
import KithCore

#if canImport(Glibc)
    import Glibc
#endif

/// One run of a child `kith` command, timed from outside, with the peak memory the kernel
/// accounted to it (`wait4`'s rusage), which is what a user's machine has to provide.
struct ChildRun {
    var status: Int32
    var seconds: Double
    var peakRSSBytes: Int
    var stdout: Data

    /// The running executable, so the benchmark measures the same build that runs it.
    static let executable: String = {
        var buffer = [CChar](repeating: 0, count: 4_096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0
            ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }()

    /// Runs `kith ARGUMENTS`; stdout is collected through a file, stderr goes to /dev/null.
    static func kith(_ arguments: [String], scratch: String) throws -> ChildRun {
        let outPath = scratch + "/.child-stdout"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw BenchError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let elapsed = ContinuousClock.now - start
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ChildRun(
            status: exit, seconds: elapsed.inSeconds,
            peakRSSBytes: Int(usage.ru_maxrss) * 1_024,
            stdout: FileManager.default.contents(atPath: outPath) ?? Data())
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
