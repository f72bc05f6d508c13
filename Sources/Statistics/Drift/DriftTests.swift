#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The population stability index of one score between a reference and a current window.
public struct PSIResult: Sendable, Equatable, Codable {
    public let psi: Double
    /// The inner bin edges (reference deciles, duplicates removed).
    public let edges: [Double]
    public let referenceShares: [Double]
    public let currentShares: [Double]

    /// `stable` below 0.10, `warn` up to 0.25, `alert` above.
    public var band: DriftBand { DriftBand(psi: psi) }
}

/// The conventional PSI bands.
public enum DriftBand: String, Sendable, Codable, Comparable {
    case stable, warn, alert

    /// The band of a PSI value: < 0.10 stable, 0.10–0.25 warn, > 0.25 alert.
    public init(psi: Double) {
        self = psi < 0.10 ? .stable : (psi <= 0.25 ? .warn : .alert)
    }

    public static func < (lhs: DriftBand, rhs: DriftBand) -> Bool {
        let order: [DriftBand] = [.stable, .warn, .alert]
        return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
    }
}

/// The two-sample Kolmogorov–Smirnov statistic and its asymptotic p-value.
public struct KSResult: Sendable, Equatable, Codable {
    public let statistic: Double
    public let pValue: Double
}

/// Label-free drift statistics (docs/statistics.md, "Drift").
public enum DriftTests {
    /// PSI with reference-decile bins: edges = `np.quantile(R, j/10)`, j = 1…9, duplicates removed;
    /// bin(x) = number of edges ≤ x; shares floored at 1e-4; PSI = Σ (c − r) ln(c / r). nil when a window is empty.
    public static func psi(reference: [Double], current: [Double]) -> PSIResult? {
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let sortedReference = reference.sorted()
        var edges: [Double] = []
        for decile in 1...9 {
            let edge = Descriptive.quantile(sorted: sortedReference, Double(decile) / 10)
            if edges.last != edge { edges.append(edge) }
        }
        let referenceShares = shares(of: sortedReference, edges: edges)
        let currentShares = shares(of: current, edges: edges)
        var value = 0.0
        for index in referenceShares.indices {
            let r = referenceShares[index]
            let c = currentShares[index]
            value += (c - r) * log(c / r)
        }
        return PSIResult(psi: value, edges: edges, referenceShares: referenceShares, currentShares: currentShares)
    }

    /// PSI over categories (slice-attribute mix): one bin per category seen in either window.
    public static func categoricalPSI(reference: [String], current: [String]) -> Double? {
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let categories = Set(reference).union(current).sorted()
        func shares(_ values: [String]) -> [Double] {
            var counts: [String: Int] = [:]
            for value in values { counts[value, default: 0] += 1 }
            return categories.map { max(Double(counts[$0] ?? 0) / Double(values.count), 1e-4) }
        }
        let r = shares(reference)
        let c = shares(current)
        return zip(r, c).reduce(0) { $0 + ($1.1 - $1.0) * log($1.1 / $1.0) }
    }

    private static func shares(of values: [Double], edges: [Double]) -> [Double] {
        var counts = [Int](repeating: 0, count: edges.count + 1)
        for value in values {
            // searchsorted(edges, x, side="right"): the number of edges ≤ x.
            var low = 0
            var high = edges.count
            while low < high {
                let middle = (low + high) / 2
                if edges[middle] <= value { low = middle + 1 } else { high = middle }
            }
            counts[low] += 1
        }
        return counts.map { max(Double($0) / Double(values.count), 1e-4) }
    }

    /// D = sup |F_R − F_C| and p = Q(√(nm/(n+m)) D) with Q the Kolmogorov survival function; nil when a window
    /// is empty. D is computed in integers, |i·m − j·n| / (n·m), and rounded once, as SciPy's `ks_2samp` reports it
    /// (h / lcm(n, m)).
    public static func kolmogorovSmirnov(reference: [Double], current: [Double]) -> KSResult? {
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let r = reference.sorted()
        let c = current.sorted()
        let n = r.count
        let m = c.count
        var i = 0
        var j = 0
        var largest = 0
        while i < n || j < m {
            let value = Swift.min(i < n ? r[i] : .infinity, j < m ? c[j] : .infinity)
            while i < n && r[i] <= value { i += 1 }
            while j < m && c[j] <= value { j += 1 }
            largest = Swift.max(largest, abs(i * m - j * n))
        }
        let divisor = greatestCommonDivisor(n, m)
        let statistic = Double(largest / divisor) / Double((n / divisor) * m)
        let effective = Double(n) * Double(m) / Double(n + m)
        return KSResult(statistic: statistic, pValue: Distributions.kolmogorovSurvival(effective.squareRoot() * statistic))
    }

    private static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}

/// Multiple-testing control.
public enum MultipleTesting {
    /// Benjamini–Hochberg adjusted p-values (= `scipy.stats.false_discovery_control(p, method="bh")`),
    /// in the input order.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 1.0
        for rank in stride(from: m, through: 1, by: -1) {
            let index = order[rank - 1]
            running = Swift.min(running, pValues[index] * Double(m) / Double(rank))
            adjusted[index] = Swift.min(running, 1)
        }
        return adjusted
    }
}

/// Tests of a difference between two proportions.
public enum ProportionTests {
    /// Two-sided pooled z-test of p₁ = p₂ (= `2 * scipy.stats.norm.sf(|z|)` with z = (p₁ − p₂)/√(p(1−p)(1/n₁ + 1/n₂)));
    /// nil when a sample is empty or the pooled proportion is 0 or 1.
    public static func twoSidedPValue(successes1: Int, trials1: Int, successes2: Int, trials2: Int) -> Double? {
        guard trials1 > 0, trials2 > 0 else { return nil }
        let pooled = Double(successes1 + successes2) / Double(trials1 + trials2)
        guard pooled > 0, pooled < 1 else { return nil }
        let difference = Double(successes1) / Double(trials1) - Double(successes2) / Double(trials2)
        let standardError = (pooled * (1 - pooled) * (1 / Double(trials1) + 1 / Double(trials2))).squareRoot()
        return erfc(abs(difference / standardError) / 2.0.squareRoot())
    }
}
