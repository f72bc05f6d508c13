/// The ascending order of a set of scores, ties kept in record order: computed once, shared by every ranking metric.
public struct ScoreRanking: Sendable {
    /// Row indices sorted by (score, index).
    public let ascending: [Int]
    /// The scores in that order: `sortedScores[i] == scores[ascending[i]]` (−0.0 reads as +0.0, the same score).
    public let sortedScores: [Double]

    /// Sorts `scores` by (score, index). Small inputs use a comparison sort. Large ones are split in two halves,
    /// each sorted on its own core by a stable least-significant-digit radix sort on order-preserving 64-bit keys
    /// (six 11-bit digits, all histograms from one read, digits every key shares skipped), then merged, the first
    /// half winning ties: linear work, no comparisons, memory of a few arrays of N.
    public init(_ scores: [Double]) {
        precondition(scores.count < Int(UInt32.max), "too many rows for one ranking")
        if scores.count < Self.radixThreshold {
            let order = scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            ascending = order
            sortedScores = order.map { scores[$0] == 0 ? 0 : scores[$0] }
            return
        }
        var halves = [SortedRun](repeating: SortedRun(keys: [], order: []), count: 2)
        halves.withUnsafeMutableBufferPointer { buffer in
            let output = UncheckedBuffer(buffer)
            Parallel.forEachPart(count: scores.count, parts: 2) { part, range in
                output.buffer[part] = scores.withUnsafeBufferPointer {
                    Self.radixSort(UnsafeBufferPointer(rebasing: $0[range]), firstIndex: range.lowerBound)
                }
            }
        }
        (ascending, sortedScores) = Self.merge(halves[0], halves[1])
    }

    /// `values` (one per row, in record order) rearranged into the ranking's ascending order.
    public func inOrder<Value>(_ values: [Value]) -> [Value] {
        precondition(values.count == ascending.count, "values and scores differ in length")
        return ascending.map { values[$0] }
    }

    static let radixThreshold = 16_384

    /// Keys in ascending order with the row index of each.
    struct SortedRun {
        var keys: [UInt64]
        var order: [UInt32]
    }

    private static let digitBits = 11
    private static let digitCount = 6  // 6 × 11 ≥ 64
    private static let buckets = 1 << digitBits

    /// The unsigned key whose order is the order of the doubles (−0.0 and +0.0 are one key).
    @inline(__always)
    static func key(_ score: Double) -> UInt64 {
        let bits = (score == 0 ? 0 : score).bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// The double a key was made from.
    @inline(__always)
    static func score(_ key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }

    private static func radixSort(_ scores: UnsafeBufferPointer<Double>, firstIndex: Int) -> SortedRun {
        let count = scores.count
        let mask = UInt64(buckets - 1)
        var keys = [UInt64](repeating: 0, count: count)
        var order = [UInt32](repeating: 0, count: count)
        var histograms = [Int](repeating: 0, count: digitCount * buckets)
        keys.withUnsafeMutableBufferPointer { keys in
            order.withUnsafeMutableBufferPointer { order in
                histograms.withUnsafeMutableBufferPointer { histograms in
                    for index in 0..<count {
                        let key = key(scores[index])
                        keys[index] = key
                        order[index] = UInt32(firstIndex + index)
                        for digit in 0..<digitCount {
                            histograms[digit * buckets + Int((key >> UInt64(digit * digitBits)) & mask)] += 1
                        }
                    }
                }
            }
        }
        var spareKeys = [UInt64](repeating: 0, count: count)
        var spareOrder = [UInt32](repeating: 0, count: count)
        var starts = [Int](repeating: 0, count: buckets)
        for digit in 0..<digitCount {
            let histogram = histograms[(digit * buckets)..<((digit + 1) * buckets)]
            if histogram.contains(count) { continue }  // every key has this digit: the pass would change nothing
            var running = 0
            for (bucket, size) in histogram.enumerated() {
                starts[bucket] = running
                running += size
            }
            let shift = UInt64(digit * digitBits)
            keys.withUnsafeBufferPointer { keys in
                order.withUnsafeBufferPointer { order in
                    spareKeys.withUnsafeMutableBufferPointer { spareKeys in
                        spareOrder.withUnsafeMutableBufferPointer { spareOrder in
                            starts.withUnsafeMutableBufferPointer { starts in
                                for index in 0..<count {
                                    let key = keys[index]
                                    let bucket = Int((key >> shift) & mask)
                                    let position = starts[bucket]
                                    starts[bucket] = position + 1
                                    spareKeys[position] = key
                                    spareOrder[position] = order[index]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &spareKeys)
            swap(&order, &spareOrder)
        }
        return SortedRun(keys: keys, order: order)
    }

    /// Merges two sorted runs; on equal keys the first run's rows (the lower indices) come first.
    private static func merge(_ first: SortedRun, _ second: SortedRun) -> (ascending: [Int], sortedScores: [Double]) {
        let count = first.keys.count + second.keys.count
        var ascending = [Int](repeating: 0, count: count)
        var sorted = [Double](repeating: 0, count: count)
        first.keys.withUnsafeBufferPointer { firstKeys in
            second.keys.withUnsafeBufferPointer { secondKeys in
                first.order.withUnsafeBufferPointer { firstOrder in
                    second.order.withUnsafeBufferPointer { secondOrder in
                        ascending.withUnsafeMutableBufferPointer { ascending in
                            sorted.withUnsafeMutableBufferPointer { sorted in
                                var i = 0
                                var j = 0
                                for position in 0..<count {
                                    if j == secondKeys.count || (i < firstKeys.count && firstKeys[i] <= secondKeys[j]) {
                                        ascending[position] = Int(firstOrder[i])
                                        sorted[position] = score(firstKeys[i])
                                        i += 1
                                    } else {
                                        ascending[position] = Int(secondOrder[j])
                                        sorted[position] = score(secondKeys[j])
                                        j += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (ascending, sorted)
    }
}
