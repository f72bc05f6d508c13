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

    /// Scores of one prediction from its probabilities and predicted index.
    public init(probabilities p: [Double], predicted: Int) {
        msp = p[predicted]
        var first = -Double.infinity
        var second = -Double.infinity
        var entropy = 0.0
        for value in p {
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

    /// Scores from logits at temperature T.
    public init<C: Collection>(logits: C, temperature: Double = 1, predicted: Int) where C.Element == Double {
        self.init(probabilities: Softmax.probabilities(logits, temperature: temperature), predicted: predicted)
    }
}
