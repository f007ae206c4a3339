import Foundation

/// A thread of its own that runs async work the synchronous store code waits for (postgres-nio
/// has `COPY` only as an `async` call).
///
/// Why not Swift's cooperative threads: the synchronous caller blocks until the work is done,
/// and it may itself be on one of those threads (a test, a server request). With every
/// cooperative thread blocked that way, the work would never get a thread to resume on. The
/// work's jobs run here instead, whatever thread waits for them.
final class WaitingThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    /// The one such thread, started on first use; jobs from every session take turns on it.
    static let shared = WaitingThreadExecutor()

    private init() {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "kith-postgres-copy"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
