/// Binomial(n, p) as a table of its cumulative distribution over the effective support, for drawing variates by
/// inversion: ``quantile(_:)`` of a uniform number in [0, 1) is a Binomial(n, p) draw.
///
/// The support is cut where the probability falls below 1e-20 of the mode's (every value left out together has
/// less probability than a 53-bit uniform number can resolve). The weights come from the ratio recurrence
/// P(k+1)/P(k) = (n−k)/(k+1) · p/(1−p) outward from the mode and are normalised by their sum, so no factorial is
/// ever formed; the table has about 19 standard deviations of entries. Upper-tail probabilities are summed from the
/// top, so quantiles near 1 keep full relative precision (1 − u is exact in binary floating point for u ≥ ½).
public struct BinomialInversion: Sendable {
    /// The smallest value in the table.
    public let lowest: Int
    /// lowerTail[i] = P(X ≤ lowest + i), summed from the bottom.
    private let lowerTail: [Double]
    /// upperTail[i] = P(X > lowest + i), summed from the top.
    private let upperTail: [Double]

    public init(trials: Int, probability: Double) {
        precondition(trials >= 0 && probability >= 0 && probability <= 1, "Binomial(\(trials), \(probability)) is not defined")
        guard trials > 0, probability > 0, probability < 1 else {
            lowest = probability >= 1 ? trials : 0
            lowerTail = [1]
            upperTail = [0]
            return
        }
        let n = Double(trials)
        let mode = min(trials, Int((n + 1) * probability))
        let odds = probability / (1 - probability)
        let cut = 1e-20
        var above: [Double] = []
        var weight = 1.0
        var k = mode
        while k < trials {
            weight *= (n - Double(k)) / Double(k + 1) * odds
            if weight < cut { break }
            above.append(weight)
            k += 1
        }
        var below: [Double] = []
        weight = 1
        k = mode
        while k > 0 {
            weight *= Double(k) / (n - Double(k) + 1) / odds
            if weight < cut { break }
            below.append(weight)
            k -= 1
        }
        let weights = below.reversed() + [1.0] + above
        let total = weights.reduce(0, +)
        var running = 0.0
        lowerTail = weights.map { weight in
            running += weight
            return running / total
        }
        running = 0
        var upperTail = [Double](repeating: 0, count: weights.count)
        for index in weights.indices.dropLast().reversed() {
            running += weights[index + 1]
            upperTail[index] = running / total
        }
        self.upperTail = upperTail
        lowest = mode - below.count
    }

    /// The smallest k with P(X ≤ k) ≥ u (SciPy's `binom.ppf(u, n, p)`), for u in [0, 1].
    public func quantile(_ u: Double) -> Int {
        // The first index where the predicate holds (it holds at the last index).
        func first(where holds: (Int) -> Bool) -> Int {
            var low = 0
            var high = lowerTail.count - 1
            while low < high {
                let middle = (low + high) / 2
                if holds(middle) { high = middle } else { low = middle + 1 }
            }
            return low
        }
        if u <= 0.5 { return lowest + first { lowerTail[$0] >= u } }
        let tail = 1 - u
        return lowest + first { upperTail[$0] <= tail }
    }
}
