import Foundation
import KithCore

/// Runs of columns made on a second thread, one run ahead of the thread that reads them: while
/// a rebuild folds one segment's rows, the next segment's lines are decompressed, parsed and
/// made into columns (or its `.cols` file read and checked). The two halves cost about the same
/// (1.5 and 2 s at 200,000 people when no `.cols` exist), and ingest shows these machines give
/// more than one core to two busy threads.
///
/// The maker owns everything it reads (the log reader and its buffers); the reader gets finished
/// runs only. Whichever side stops first tells the other: an error or a reader that has had
/// enough ends the maker, and the maker's error reaches the reader.
final class ColumnsAhead: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: (columns: ProjectionColumns, run: Range<UInt64>)?
    private var finished = false
    private var stopped = false
    private var failure: (any Error)?

    /// Runs `make` on a new thread, handing each run it makes to `body` on this one, and returns
    /// once both are done. `make` calls its argument with each run, which returns false once
    /// `body` wants no more (`make` should stop then).
    static func run(
        make: @escaping @Sendable (_ hand: (ProjectionColumns, Range<UInt64>) throws -> Bool) throws -> Void,
        _ body: (ProjectionColumns, Range<UInt64>) throws -> Bool
    ) throws {
        let pipe = ColumnsAhead()
        let maker = Thread {
            do { try make { pipe.put($0, $1) } } catch { pipe.fail(error) }
            pipe.finish()
        }
        maker.stackSize = 8 << 20
        maker.start()
        defer { pipe.stopAndWait() }
        while let (columns, run) = try pipe.take() {
            guard try body(columns, run) else { return }
        }
    }

    /// Hands a run over and waits until the reader takes it, so the maker starts the next run
    /// only as the reader starts this one: one run read, one made, never a third held (a
    /// segment's columns are ~90 MB). False once the reader has stopped.
    private func put(_ columns: ProjectionColumns, _ run: Range<UInt64>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return false }
        ready = (columns, run)
        condition.broadcast()
        while ready != nil && !stopped { condition.wait() }
        return !stopped
    }

    /// The next run, or nil when the maker is done; the maker's error if it failed.
    private func take() throws -> (ProjectionColumns, Range<UInt64>)? {
        condition.lock()
        defer { condition.unlock() }
        while ready == nil && !finished { condition.wait() }
        if let next = ready {
            ready = nil
            condition.broadcast()
            return next
        }
        if let failure { throw failure }
        return nil
    }

    private func fail(_ error: any Error) {
        condition.withLock { failure = error }
    }

    private func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Tells the maker to stop, and waits until it has: nothing it reads may outlive the call.
    private func stopAndWait() {
        condition.lock()
        stopped = true
        ready = nil
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
