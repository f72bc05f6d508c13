/// A small, portable pseudo-random generator: xoshiro256** seeded through SplitMix64.
///
/// Bit-for-bit the same on every platform, so seeded bootstrap intervals in reports are reproducible.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose four state words come from SplitMix64 started at `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    /// A uniform integer in 0..<bound by Lemire's multiply-and-reject method (unbiased, portable).
    public mutating func index(below bound: Int) -> Int {
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}

/// A percentile bootstrap interval.
public struct BootstrapInterval: Sendable, Equatable, Codable {
    public let estimate: Double
    public let lower: Double
    public let upper: Double

    public init(estimate: Double, lower: Double, upper: Double) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
    }
}

/// Seeded percentile bootstrap (docs/statistics.md): resample rows with replacement, recompute the statistic,
/// take the 2.5 % and 97.5 % quantiles (NumPy `linear`) of the resampled values that are defined.
public enum Bootstrap {
    /// The interval of `statistic` over `count` rows; `statistic` receives the resampled row indices.
    public static func interval(
        count: Int, resamples: Int = 1000, seed: UInt64, level: Double = 0.95,
        statistic: ([Int]) -> Double?
    ) -> BootstrapInterval? {
        guard count > 0, let estimate = statistic(Array(0..<count)) else { return nil }
        var generator = Xoshiro256StarStar(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var indices = [Int](repeating: 0, count: count)
        for _ in 0..<resamples {
            for position in 0..<count { indices[position] = generator.index(below: count) }
            if let value = statistic(indices) { values.append(value) }
        }
        guard !values.isEmpty else { return nil }
        return percentileInterval(estimate: estimate, resampled: values, level: level)
    }

    /// The central `level` interval of the resampled values (NumPy `linear` quantiles) around `estimate`.
    static func percentileInterval(estimate: Double, resampled values: [Double], level: Double) -> BootstrapInterval {
        let sorted = values.sorted()
        let tail = (1 - level) / 2
        return BootstrapInterval(
            estimate: estimate,
            lower: Descriptive.quantile(sorted: sorted, tail),
            upper: Descriptive.quantile(sorted: sorted, 1 - tail))
    }
}

extension Bootstrap {
    /// The interval of the share of true `outcomes` (an accuracy), without resampling rows: the number of successes
    /// among n rows drawn with replacement from n rows of which k succeed is Binomial(n, k/n), so each resample's
    /// share is drawn directly, by inverting that distribution at one uniform number of the seeded generator. The
    /// same percentile bootstrap as ``interval(count:resamples:seed:level:statistic:)`` with the mean as the
    /// statistic, in O(resamples · log n) instead of O(resamples · n).
    public static func proportionInterval(
        _ outcomes: [Bool], resamples: Int = 1000, seed: UInt64, level: Double = 0.95
    ) -> BootstrapInterval? {
        let count = outcomes.count
        guard count > 0 else { return nil }
        let share = Double(outcomes.filter { $0 }.count) / Double(count)
        let successes = BinomialInversion(trials: count, probability: share)
        var generator = Xoshiro256StarStar(seed: seed)
        let values = (0..<resamples).map { _ in Double(successes.quantile(generator.uniform())) / Double(count) }
        return percentileInterval(estimate: share, resampled: values, level: level)
    }
}

extension Xoshiro256StarStar {
    /// A uniform double in [0, 1): the top 53 bits of the next output times 2⁻⁵³.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}
