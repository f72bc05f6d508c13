#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Quantiles and rank statistics with NumPy's and SciPy's exact conventions.
public enum Descriptive {
    /// The q-quantile of already sorted values, NumPy's default `linear` method, bit for bit:
    /// h = (n − 1) q, and the interpolation `_lerp` uses b − (b − a)(1 − t) when t ≥ ½.
    public static func quantile(sorted values: [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty, "quantile of an empty sample")
        let n = values.count
        let virtualIndex = Double(n - 1) * q
        if virtualIndex >= Double(n - 1) { return values[n - 1] }
        if virtualIndex < 0 { return values[0] }
        let previous = virtualIndex.rounded(.down)
        let gamma = virtualIndex - previous
        let a = values[Int(previous)]
        let b = values[Int(previous) + 1]
        let difference = b - a
        return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
    }

    /// Ranks 1…n with ties given their average rank (SciPy `rankdata`, method "average").
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + 1 + end) / 2
            for position in start..<end { ranks[order[position]] = rank }
            start = end
        }
        return ranks
    }

    /// Pearson's correlation; nil when either variable is constant or n < 2.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "samples differ in length")
        guard x.count >= 2 else { return nil }
        let n = Double(x.count)
        let meanX = x.reduce(0, +) / n
        let meanY = y.reduce(0, +) / n
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for index in x.indices {
            let dx = x[index] - meanX
            let dy = y[index] - meanY
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Spearman's ρ: Pearson's correlation of average ranks (= `scipy.stats.spearmanr(x, y).statistic`).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        pearson(averageRanks(x), averageRanks(y))
    }

    /// The fewest points the report computes a Spearman ρ over (with fewer, ρ = ±1 is too easily chance).
    public static let minimumSpearmanPoints = 5

    /// An approximate 95 % interval for Spearman's ρ over n points: Fisher's z with the Fieller–Hartley–Pearson standard
    /// error √(1.06 / (n − 3)), tanh(atanh ρ ± z₀.₉₇₅ · se); nil for n < 4. At ρ = ±1 it collapses onto ±1.
    public static func spearmanInterval(_ rho: Double, n: Int) -> (low: Double, high: Double)? {
        guard n >= 4, rho.isFinite, abs(rho) <= 1 else { return nil }
        let z = atanh(rho)
        let halfWidth = 1.959963984540054 * (1.06 / Double(n - 3)).squareRoot()
        return (tanh(z - halfWidth), tanh(z + halfWidth))
    }

    /// The mean, nil when empty.
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
