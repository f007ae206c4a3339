/// The values at given ranks of an unsorted array, as sorting it would place them, without
/// sorting it: a three-way quickselect per rank, each narrowing the range the next one searches.
///
/// An RFM refresh needs five ranks of each dimension (four quintile edges and the median) over
/// every profile after every ingest; sorting three arrays of 800,000 values was an eighth of it.
/// Three-way partitions keep the many equal values of order counts and recency days cheap.
enum OrderStatistics {
    /// `values` sorted ascending would hold these at `ranks` (zero-based, each `< values.count`).
    /// The array is reordered.
    static func select(_ ranks: [Int], in values: inout [Int64]) -> [Int64] {
        precondition(ranks.allSatisfy { values.indices.contains($0) }, "a rank outside the values")
        let sortedRanks = ranks.sorted()
        var found: [Int64] = []
        var low = 0
        for rank in sortedRanks {
            // Everything before the last rank found is at most its value: search from it on.
            found.append(select(rank, in: &values, from: low))
            low = rank
        }
        return ranks.map { rank in
            var i = 0
            while sortedRanks[i] != rank { i += 1 }
            return found[i]
        }
    }

    /// The value at `rank` of `values[start...]` sorted, leaving that range partitioned around it.
    private static func select(_ rank: Int, in values: inout [Int64], from start: Int) -> Int64 {
        values.withUnsafeMutableBufferPointer { v in
            var low = start
            var high = v.count - 1
            while true {
                if low >= high { return v[rank] }
                let pivot = medianOfThree(v[low], v[low + (high - low) / 2], v[high])
                // v[low..<less] < pivot, v[less..<i] == pivot, v[greater+1...high] > pivot.
                var less = low
                var i = low
                var greater = high
                while i <= greater {
                    if v[i] < pivot {
                        v.swapAt(i, less)
                        less += 1
                        i += 1
                    } else if v[i] > pivot {
                        v.swapAt(i, greater)
                        greater -= 1
                    } else {
                        i += 1
                    }
                }
                if rank < less {
                    high = less - 1
                } else if rank > greater {
                    low = greater + 1
                } else {
                    return pivot
                }
            }
        }
    }

    private static func medianOfThree(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
        max(min(a, b), min(max(a, b), c))
    }
}
