/// Prediction-powered inference for a mean (PPI++, Angelopoulos, Duchi & Zrnic 2023), as docs/statistics.md
/// ("Audit sampling") defines it: the labeled random sample corrects the predictions' bias, and the unlabeled rows'
/// predictions shrink the interval. Reference: `ppi_py.ppi_mean_pointestimate` and `ppi_py.ppi_mean_ci(alpha=0.05)`.
public struct PredictionPoweredMean: Sendable, Equatable {
    /// θ.
    public let estimate: Double
    /// The 95 % interval.
    public let low: Double
    public let high: Double
    /// λ ∈ [0, 1]: 0 ignores the predictions (the classical mean), 1 is plain PPI.
    public let lambda: Double
    /// Labeled rows.
    public let n: Int
    /// Unlabeled rows.
    public let unlabeledCount: Int

    /// z_{0.975} (`scipy.stats.norm.ppf(0.975)`).
    public static let z975 = 1.959963984540054

    /// The estimate from labeled outcomes `y` with their predictions `predicted`, and the predictions of the unlabeled
    /// rows. Nil without labeled rows.
    ///
    /// λ = clip(cov_n(Y, Ŷ) / ((1 + n/N) · var_1(Ŷ ∪ Ŷ_U)), 0, 1), θ = mean(λ Ŷ_U) + mean(Y − λ Ŷ), and the interval
    /// θ ± z · √(sd_0(λ Ŷ_U)² / N + sd_0(Y − λ Ŷ)² / n). Where the reference is undefined we choose: with no unlabeled
    /// row, or predictions without variance, λ = 0 (the classical mean and its normal interval).
    public init?(labeled y: [Double], predicted: [Double], unlabeled: [Double]) {
        precondition(y.count == predicted.count, "every labeled row needs its prediction")
        let n = y.count
        let bigN = unlabeled.count
        guard n > 0 else { return nil }
        let meanY = Self.mean(y)
        let meanYhat = Self.mean(predicted)
        var lambda = 0.0
        if bigN > 0 {
            var covariance = 0.0
            for index in 0..<n { covariance += (y[index] - meanY) * (predicted[index] - meanYhat) }
            covariance /= Double(n)
            let pooledMean = (meanYhat * Double(n) + Self.mean(unlabeled) * Double(bigN)) / Double(n + bigN)
            var squares = 0.0
            for value in predicted { squares += (value - pooledMean) * (value - pooledMean) }
            for value in unlabeled { squares += (value - pooledMean) * (value - pooledMean) }
            let variance = n + bigN > 1 ? squares / Double(n + bigN - 1) : 0
            if variance > 0 {
                lambda = min(1, max(0, covariance / ((1 + Double(n) / Double(bigN)) * variance)))
            }
        }
        let imputed = unlabeled.map { lambda * $0 }
        let rectifier = (0..<n).map { y[$0] - lambda * predicted[$0] }
        estimate = (bigN > 0 ? Self.mean(imputed) : 0) + Self.mean(rectifier)
        let imputedVariance = bigN > 0 ? Self.populationVariance(imputed) / Double(bigN) : 0
        let halfWidth = Self.z975 * (imputedVariance + Self.populationVariance(rectifier) / Double(n)).squareRoot()
        low = estimate - halfWidth
        high = estimate + halfWidth
        self.lambda = lambda
        self.n = n
        unlabeledCount = bigN
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// The ddof = 0 variance (NumPy's default `std(0)` squared).
    static func populationVariance(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let center = mean(values)
        var squares = 0.0
        for value in values { squares += (value - center) * (value - center) }
        return squares / Double(values.count)
    }
}
