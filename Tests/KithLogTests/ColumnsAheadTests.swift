import Foundation
import KithCore
import Testing

@testable import KithLog

/// Columns made on a second thread, one run ahead of their reader (`ColumnsAhead`).
struct ColumnsAheadTests {
    struct Broken: Error {}

    /// Marks what the maker did, across its thread.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var made = 0
        func add() { lock.withLock { made += 1 } }
        var count: Int { lock.withLock { made } }
    }

    static func run(_ i: Int) -> (ProjectionColumns, Range<UInt64>) {
        (ProjectionColumns(firstPosition: UInt64(i) * 10), UInt64(i) * 10..<UInt64(i) * 10 + 10)
    }

    @Test(
        "Every run reaches the reader, in order; a reader that stops stops the maker; the maker's error reaches the reader"
    )
    func handsOverInOrderAndStops() throws {
        var seen: [UInt64] = []
        try ColumnsAhead.run(make: { hand in
            for i in 0..<200 { guard try hand(Self.run(i).0, Self.run(i).1) else { return } }
        }) { columns, run in
            #expect(columns.firstPosition == run.lowerBound)
            seen.append(run.lowerBound)
            return true
        }
        #expect(seen == (0..<200).map { UInt64($0) * 10 })

        let tally = Tally()
        var read = 0
        try ColumnsAhead.run(make: { hand in
            for i in 0..<1_000 {
                tally.add()
                guard try hand(Self.run(i).0, Self.run(i).1) else { return }
            }
        }) { _, _ in
            read += 1
            return read < 5
        }
        #expect(read == 5)
        #expect(tally.count <= 7, "the maker stopped within a run or two of the reader (made \(tally.count))")

        var before = 0
        #expect(throws: Broken.self) {
            try ColumnsAhead.run(make: { hand in
                for i in 0..<3 { guard try hand(Self.run(i).0, Self.run(i).1) else { return } }
                throw Broken()
            }) { _, _ in
                before += 1
                return true
            }
        }
        #expect(before == 3, "the runs made before the error are read first")

        // The reader's own error ends the maker too, and the call waits for it.
        let stopped = Tally()
        #expect(throws: Broken.self) {
            try ColumnsAhead.run(make: { hand in
                for i in 0..<1_000 { guard try hand(Self.run(i).0, Self.run(i).1) else { break } }
                stopped.add()
            }) { _, _ in throw Broken() }
        }
        #expect(stopped.count == 1, "the maker had finished when the call returned")
    }
}
