import Foundation
import KithCore
import KithEngine

/// The read side of a store that lives on a database server (PostgreSQL), for many requests at
/// once: a few read handles, each one connection, lent one request at a time.
///
/// A handle whose server went away is dropped, not lent again, and the next request opens a
/// new one; so after the server comes back the first request is answered, with no restart.
/// While it is away every read is a 503 problem naming why (`Engine.storeOutage`).
final class StoreReadPool: ProfileQueries, @unchecked Sendable {
    // @unchecked: `idle` and `open` are guarded by `condition`.
    private let make: @Sendable () throws -> any ProfileQueries
    private let size: Int
    private let condition = NSCondition()
    private var idle: [any ProfileQueries] = []
    /// Handles lent out or idle.
    private var open = 0

    init(size: Int, make: @escaping @Sendable () throws -> any ProfileQueries) {
        self.size = size
        self.make = make
    }

    func reading<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T {
        let handle = try borrow()
        do {
            let result = try handle.reading(body)
            giveBack(handle)
            return result
        } catch {
            if let outage = Engine.storeOutage(in: error) {
                discard()
                throw Self.problem(outage, error)
            }
            giveBack(handle)
            throw error
        }
    }

    /// Opens a handle now, so a server that cannot reach its store says so at once.
    func check() throws {
        giveBack(try borrow())
    }

    private func borrow() throws -> any ProfileQueries {
        condition.lock()
        while idle.isEmpty && open >= size { condition.wait() }
        if let handle = idle.popLast() {
            condition.unlock()
            return handle
        }
        open += 1
        condition.unlock()
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
        condition.signal()
        condition.unlock()
    }

    static func problem(_ outage: String, _ error: any Error) -> Problem {
        Problem(
            .serviceUnavailable, "store_unavailable", "The store cannot serve: \(outage). Retry later.",
            headers: [.retryAfter: "1"], operatorDetail: "\(error)")
    }
}
