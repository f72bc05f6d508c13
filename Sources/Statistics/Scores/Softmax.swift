#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numerically stable softmax and the scores derived from option probabilities.
public enum Softmax {
    /// softmax(z / T), computed by subtracting the maximum first, so any finite logits work.
    public static func probabilities<C: Collection>(_ logits: C, temperature: Double = 1) -> [Double] where C.Element == Double {
        let beta = 1 / temperature
        let maximum = logits.max() ?? 0
        var result = logits.map { exp(beta * ($0 - maximum)) }
        let total = result.reduce(0, +)
        for index in result.indices { result[index] /= total }
        return result
    }

    /// ln Σ exp(β z_k), stable for any finite logits.
    public static func logSumExp<C: Collection>(_ logits: C, beta: Double = 1) -> Double where C.Element == Double {
        let maximum = logits.max() ?? 0
        var total = 0.0
        for logit in logits { total += exp(beta * (logit - maximum)) }
        return beta * maximum + log(total)
    }
}

/// The three UE scores the product derives from option probabilities (docs/statistics.md).
public struct DerivedScores: Sendable, Equatable {
    /// p[ŷ], the probability of the predicted option (confidence).
    public let msp: Double
    /// p(1) − p(2), the two largest probabilities (confidence).
    public let margin: Double
    /// −Σ p ln p, natural log (uncertainty).
    public let entropy: Double

    /// Raw scores (T = 1) of one prediction from its logged probabilities, as docs/statistics.md defines them: the
    /// probabilities divided by their sum, with 0 · ln 0 = 0. No floor and no log/exp round trip, so exact zeros, exact
    /// ones and ties in the log stay what they are.
    public init<C: Collection>(probabilities p: C, predicted: Int) where C.Element == Double, C.Index == Int {
        let total = p.reduce(0, +)
        msp = p[p.startIndex + predicted] / total
        var first = -Double.infinity
        var second = -Double.infinity
        var entropy = 0.0
        for raw in p {
            let value = raw / total
            if value > first {
                second = first
                first = value
            } else if value > second {
                second = value
            }
            if value > 0 { entropy -= value * log(value) }
        }
        margin = p.count > 1 ? first - second : first
        self.entropy = entropy
    }

    /// The scores of one prediction from what it logged about its options (docs/statistics.md, "Methods the product
    /// derives itself"): logits at temperature T; probabilities as they are at T = 1 (``init(probabilities:predicted:)``),
    /// and through z = ln max(p, 1e-12) at any other T. Nil when neither was logged.
    public static func of(
        logits: ArraySlice<Double>?, probabilities: ArraySlice<Double>?, predicted: Int, temperature: Double = 1
    ) -> DerivedScores? {
        if let logits { return DerivedScores(logits: logits, temperature: temperature, predicted: predicted) }
        guard let probabilities else { return nil }
        if temperature == 1 { return DerivedScores(probabilities: probabilities, predicted: predicted) }
        return DerivedScores(
            logits: probabilities.map(LogitRows.logit(ofProbability:))[...], temperature: temperature,
            predicted: predicted)
    }

    /// Scores from logits at temperature T, without allocating: with c_k = (z_k − max z)/T and S = Σ exp(c_k),
    /// msp = exp(c_ŷ)/S, margin = (exp(c₍₁₎) − exp(c₍₂₎))/S and entropy = ln S − Σ exp(c_k) c_k / S.
    public init(logits: [Double], temperature: Double = 1, predicted: Int) {
        self.init(logits: logits[...], temperature: temperature, predicted: predicted)
    }

    /// Scores from one row of logits (a slice of ``LogitRows``), at temperature T.
    public init(logits: ArraySlice<Double>, temperature: Double = 1, predicted: Int) {
        self = logits.withUnsafeBufferPointer { Self(row: $0, beta: 1 / temperature, predicted: predicted) }
    }

    /// msp of every row of `logits` at temperature T (`predicted[i]` is row i's predicted index), computed on both
    /// cores for large sets.
    public static func msp(of logits: LogitRows, predicted: [Int], temperature: Double = 1) -> [Double] {
        precondition(predicted.count == logits.count, "logits and predictions differ in length")
        let rows = logits.count
        let beta = 1 / temperature
        return [Double](unsafeUninitializedCapacity: rows) { buffer, initialized in
            let output = UncheckedBuffer(buffer)
            Parallel.forEachPart(count: rows, parts: 2) { _, range in
                logits.values.withUnsafeBufferPointer { values in
                    logits.offsets.withUnsafeBufferPointer { offsets in
                        predicted.withUnsafeBufferPointer { predicted in
                            for row in range {
                                let logitsOfRow = UnsafeBufferPointer(rebasing: values[offsets[row]..<offsets[row + 1]])
                                output.buffer[row] = Self(row: logitsOfRow, beta: beta, predicted: predicted[row]).msp
                            }
                        }
                    }
                }
            }
            initialized = rows
        }
    }

    /// with c_k = β(z_k − max z) and S = Σ exp(c_k): msp = exp(c_ŷ)/S, margin = (exp(c₍₁₎) − exp(c₍₂₎))/S,
    /// entropy = ln S − Σ exp(c_k) c_k / S.
    @inline(__always)
    private init(row logits: UnsafeBufferPointer<Double>, beta: Double, predicted: Int) {
        var maximum = -Double.infinity
        for value in logits where value > maximum { maximum = value }
        var total = 0.0
        var weighted = 0.0
        var first = -Double.infinity
        var second = -Double.infinity
        var predictedWeight = 0.0
        for index in logits.indices {
            let centred = beta * (logits[index] - maximum)
            let weight = exp(centred)
            total += weight
            if weight > 0 { weighted += weight * centred }
            if index == predicted { predictedWeight = weight }
            if weight > first {
                second = first
                first = weight
            } else if weight > second {
                second = weight
            }
        }
        msp = predictedWeight / total
        margin = logits.count > 1 ? (first - second) / total : first / total
        entropy = log(total) - weighted / total
    }
}
