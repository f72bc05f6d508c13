#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The regularised upper incomplete gamma function and the χ² tests built on it.
public enum IncompleteGamma {
    /// Q(a, x) = Γ(a, x) / Γ(a) for a > 0, x ≥ 0 (series for x < a + 1, continued fraction otherwise).
    public static func upperRegularized(a: Double, x: Double) -> Double {
        if x <= 0 { return 1 }
        let front = exp(-x + a * log(x) - lgamma(a))
        if x < a + 1 {
            var term = 1 / a
            var sum = term
            var denominator = a
            for _ in 0..<10_000 {
                denominator += 1
                term *= x / denominator
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return max(0, 1 - sum * front)
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for index in 1...10_000 {
            let an = -Double(index) * (Double(index) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return front * h
    }
}

extension ProportionTests {
    /// Pearson's χ² test that two samples of categories come from one distribution (a 2 × k contingency table,
    /// = `scipy.stats.chi2_contingency(table, correction=False).pvalue`); nil with fewer than two categories.
    public static func categoriesPValue(reference: [String], current: [String]) -> Double? {
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let categories = Set(reference).union(current).sorted()
        guard categories.count >= 2 else { return nil }
        var counts = [[Double]](repeating: [0, 0], count: categories.count)
        let index = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($0.element, $0.offset) })
        for value in reference { counts[index[value]!][0] += 1 }
        for value in current { counts[index[value]!][1] += 1 }
        let total = Double(reference.count + current.count)
        let columns = [Double(reference.count), Double(current.count)]
        var statistic = 0.0
        for row in counts {
            let rowTotal = row[0] + row[1]
            for column in 0..<2 {
                let expected = rowTotal * columns[column] / total
                statistic += (row[column] - expected) * (row[column] - expected) / expected
            }
        }
        return IncompleteGamma.upperRegularized(a: Double(categories.count - 1) / 2, x: statistic / 2)
    }
}
