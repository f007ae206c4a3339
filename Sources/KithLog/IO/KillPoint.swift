import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Deterministic kills for crash tests: `KITH_KILL_AT=KIND:N` (`fsync:7`, `rename:1`, `commit:3`, `batch:2`, `append:1`) makes the process
/// SIGKILL itself just after the Nth point of that kind, so a test can walk every point of an
/// ingest or a swap instead of hoping a timer lands somewhere interesting. Unset
/// (always, outside tests), each point costs one comparison.
public enum KillPoint: String, Sendable {
    /// After an fdatasync/fsync returned: what was synced is durable, what follows is not.
    case fsync
    /// After the rename that publishes a store generation (`projections.current`).
    case rename
    /// After a projection batch (or a one-pass rebuild) committed to the store.
    case commit
    /// After a log batch was written, before it is synced (it sits in the page cache).
    case batch
    /// After an append became durable, before its caller hears so (durable, unacknowledged).
    case append

    private static let target: (kind: KillPoint, count: Int)? = {
        guard let text = ProcessInfo.processInfo.environment["KITH_KILL_AT"] else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let kind = KillPoint(rawValue: String(parts[0])), let n = Int(parts[1]), n > 0 else {
            return nil
        }
        return (kind, n)
    }()

    private static let counter = Counter()

    /// Counts one point of this kind; the Nth named by `KITH_KILL_AT` kills the process.
    public func reached() {
        guard let target = KillPoint.target, target.kind == self else { return }
        if KillPoint.counter.increment() == target.count { kill(getpid(), SIGKILL) }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int {
            lock.withLock {
                value += 1; return value
            }
        }
    }
}
