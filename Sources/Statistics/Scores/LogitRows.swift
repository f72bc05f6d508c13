#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-row option logits, stored flat so that a million rows make two arrays, not a million.
///
/// Rows may have different numbers of options (K_i varies).
public struct LogitRows: Sendable {
    /// All logits, row after row.
    public private(set) var values: [Double]
    /// `offsets[i]..<offsets[i + 1]` are row i's logits; `offsets.count == count + 1`.
    public private(set) var offsets: [Int]

    /// An empty set, reserving room for `rows` rows of about `options` options.
    public init(reservingRows rows: Int = 0, options: Int = 5) {
        values = []
        values.reserveCapacity(rows * options)
        offsets = [0]
        offsets.reserveCapacity(rows + 1)
    }

    /// Rows from nested arrays (convenient for tests and small sets).
    public init(_ rows: [[Double]]) {
        self.init(reservingRows: rows.count)
        for row in rows { append(row) }
    }

    /// Number of rows.
    public var count: Int { offsets.count - 1 }

    /// Appends one row of logits.
    public mutating func append<C: Collection>(_ logits: C) where C.Element == Double {
        values.append(contentsOf: logits)
        offsets.append(values.count)
    }

    /// Appends one row given as probabilities: logits = ln max(p, 1e-12) (see docs/statistics.md).
    public mutating func append(probabilities: [Double]) {
        for probability in probabilities { values.append(Self.logit(ofProbability: probability)) }
        offsets.append(values.count)
    }

    /// Row i's logits.
    public subscript(row: Int) -> ArraySlice<Double> {
        values[offsets[row]..<offsets[row + 1]]
    }

    /// The rows at `indices`, in that order.
    public func subset<S: Sequence>(_ indices: S) -> LogitRows where S.Element == Int {
        var result = LogitRows()
        for index in indices { result.append(self[index]) }
        return result
    }

    /// The logit used for a logged probability: ln max(p, 1e-12), so a zero probability stays finite.
    public static func logit(ofProbability probability: Double) -> Double {
        log(max(probability, probabilityFloor))
    }

    /// The floor applied to probabilities before taking logs (the same as the NLL floor).
    public static let probabilityFloor = 1e-12
}
