import Foundation
import KithCore
import KithEngine

/// The read side of a store that lives on a database server (PostgreSQL), for many requests at
/// once: a few read handles, each one connection, lent one request at a time.
///
/// - **Two kinds of borrower.** Lookups by identifier (the hot path) await a handle and their
///   answer without holding a thread (`lookUpConcurrently`); other reads (profile ids,
///   timelines) run on the server's waiting threads and wait for a handle there. A handle given
///   back goes to a waiting lookup first.
/// - **Outages.** A handle whose server went away is dropped, not lent again, and the next
///   request opens a new one; so after the server comes back the first request is answered,
///   with no restart. While it is away every read is a 503 problem naming why
///   (`Engine.storeOutage`).
final class StoreReadPool: ProfileQueries, @unchecked Sendable {
    // @unchecked: `idle`, `open` and `waiting` are guarded by `condition`.
    private let make: @Sendable () throws -> any ProfileQueries
    private let size: Int
    private let condition = NSCondition()
    private var idle: [any ProfileQueries] = []
    /// Handles lent out or idle.
    private var open = 0
    /// Lookups waiting for a handle, first come first served.
    private var waiting: [CheckedContinuation<Lent, Never>] = []

    /// What a waiting lookup is handed: a handle, or room to open one.
    private enum Lent {
        case handle(any ProfileQueries)
        case room
    }

    init(size: Int, make: @escaping @Sendable () throws -> any ProfileQueries) {
        self.size = size
        self.make = make
    }

    func reading<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T {
        let handle = try borrow()
        return try returning(handle) { try handle.reading(body) }
    }

    func lookUp(_ identifier: Identifier) throws -> IdentifierLookup? {
        let handle = try borrow()
        return try returning(handle) { try handle.lookUp(identifier) }
    }

    func lookUpConcurrently(_ identifier: Identifier) async throws -> IdentifierLookup? {
        let handle: any ProfileQueries
        switch await lent() {
        case .handle(let idle): handle = idle
        case .room: handle = try opened()
        }
        do {
            let result = try await handle.lookUpConcurrently(identifier)
            giveBack(handle)
            return result
        } catch {
            throw failed(handle, error)
        }
    }

    /// Opens a handle now, so a server that cannot reach its store says so at once.
    func check() throws {
        giveBack(try borrow())
    }

    /// Runs `body`, then gives `handle` back (or drops it when its server went away).
    private func returning<T>(_ handle: any ProfileQueries, _ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            giveBack(handle)
            return result
        } catch {
            throw failed(handle, error)
        }
    }

    /// The error to answer `error` with; `handle` is given back, or dropped if its server went
    /// away.
    private func failed(_ handle: any ProfileQueries, _ error: any Error) -> any Error {
        guard let outage = Engine.storeOutage(in: error) else {
            giveBack(handle)
            return error
        }
        discard()
        return Self.problem(outage, error)
    }

    /// An idle handle or room to open one, waiting on this thread until there is either.
    private func borrow() throws -> any ProfileQueries {
        condition.lock()
        while idle.isEmpty && open >= size { condition.wait() }
        if let handle = idle.popLast() {
            condition.unlock()
            return handle
        }
        open += 1
        condition.unlock()
        return try opened()
    }

    /// An idle handle or room to open one, awaited in line.
    private func lent() async -> Lent {
        await withCheckedContinuation { (continuation: CheckedContinuation<Lent, Never>) in
            condition.lock()
            if let handle = idle.popLast() {
                condition.unlock()
                continuation.resume(returning: .handle(handle))
            } else if open < size {
                open += 1
                condition.unlock()
                continuation.resume(returning: .room)
            } else {
                waiting.append(continuation)
                condition.unlock()
            }
        }
    }

    /// A new handle, in the room the caller counted for it in `open`. (Opening connects, on the
    /// caller's thread: it happens once a handle, and again after an outage.)
    private func opened() throws -> any ProfileQueries {
        do {
            return try make()
        } catch {
            discard()
            if let outage = Engine.storeOutage(in: error) { throw Self.problem(outage, error) }
            throw error
        }
    }

    private func giveBack(_ handle: any ProfileQueries) {
        condition.lock()
        if !waiting.isEmpty {
            let next = waiting.removeFirst()
            condition.unlock()
            next.resume(returning: .handle(handle))
            return
        }
        idle.append(handle)
        condition.signal()
        condition.unlock()
    }

    /// Forgets a handle that is lent out (it failed, or could not be opened).
    private func discard() {
        condition.lock()
        open -= 1
        // Idle handles of a server that went away are as dead as this one.
        open -= idle.count
        idle.removeAll()
        // The room is a waiting lookup's first, then a waiting thread's.
        var rooms: [CheckedContinuation<Lent, Never>] = []
        while open < size, !waiting.isEmpty {
            open += 1
            rooms.append(waiting.removeFirst())
        }
        condition.signal()
        condition.unlock()
        for room in rooms { room.resume(returning: .room) }
    }

    static func problem(_ outage: String, _ error: any Error) -> Problem {
        Problem(
            .serviceUnavailable, "store_unavailable", "The store cannot serve: \(outage). Retry later.",
            headers: [.retryAfter: "1"], operatorDetail: "\(error)")
    }
}
