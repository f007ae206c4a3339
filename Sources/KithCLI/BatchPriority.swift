import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `--priority low|normal` for the batch commands (ingest, project, replay). Low, the default,
/// gives the process's CPU time way to `kith serve` answering reads on the same machine: a
/// batch job finishes a little later, lookups keep their latency. On an idle machine it costs
/// nothing.
struct BatchPriority: ParsableArguments {
    enum Level: String, ExpressibleByArgument, CaseIterable {
        case low, normal
    }

    @Option(help: "CPU priority: low (nice 10, lets reads by kith serve go first) or normal.")
    var priority: Level = .low

    /// Lowers every thread of the process, now and once a second while it runs: on Linux a nice
    /// value is per thread, and libdispatch gives the worker threads it starts values of its own
    /// (-4 for some), so inheritance alone would not hold.
    func apply() {
        guard priority == .low else { return }
        Self.lowerEveryThread()
        let keeper = Thread {
            while true {
                Thread.sleep(forTimeInterval: 1)
                Self.lowerEveryThread()
            }
        }
        keeper.name = "kith-priority"
        keeper.start()
    }

    static let niceness: Int32 = 10

    private static func lowerEveryThread() {
        #if canImport(Glibc)
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            for thread in threads.compactMap({ id_t($0) }) {
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, niceness)
            }
        #endif
    }
}
