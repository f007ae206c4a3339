import Foundation

/// Work started on a thread of its own, its result waited for when needed: a rebuild resolves
/// identity (pure computation over the graph) while its writer thread puts the values' rows in
/// SQLite, which needs nothing the resolution makes. These machines give two busy threads more
/// than one core (see `ColumnsAhead`).
///
/// For example:
/// ```swift
/// let resolving = OnSecondThread { resolver.resolveAll(graph) }
/// try writeRows()
/// let resolution = resolving.value()
/// ```
final class OnSecondThread<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Value?

    /// Starts `work` at once, on a new thread.
    init(_ work: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            let value = work()
            condition.withLock {
                result = value
                condition.broadcast()
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The work's result, once it is done. Call it once: the result is handed over, not kept.
    func value() -> Value {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        guard let value = result else { preconditionFailure("the work's result was just seen") }
        result = nil
        return value
    }
}
