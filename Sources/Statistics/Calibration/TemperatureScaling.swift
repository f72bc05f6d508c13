#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fitted temperature of one model and what it did to the negative log-likelihood.
public struct TemperatureFit: Sendable, Equatable, Codable {
    /// T* = 1/β*.
    public let temperature: Double
    /// Mean NLL of the fit set at T = 1 (the objective, without the 1e-12 floor of the NLL metric).
    public let nllBefore: Double
    /// Mean NLL of the fit set at T*.
    public let nllAfter: Double
    /// Newton (or bisection) steps taken.
    public let iterations: Int
    /// True when β* sits on a bound of [0.05, 20].
    public let atBound: Bool
}

/// Temperature scaling: T* = argmin_T (1/N) Σ −ln softmax(z_i / T)[y_i], solved for β = 1/T on [0.05, 20]
/// by Newton's method inside a shrinking bracket (the objective is convex in β).
public enum TemperatureScaling {
    /// The bounds of β.
    public static let betaRange: ClosedRange<Double> = 0.05...20

    /// Fits T on `logits` and `labels`; nil when there are no rows.
    public static func fit(logits: LogitRows, labels: [Int], tolerance: Double = 1e-10) -> TemperatureFit? {
        precondition(logits.count == labels.count, "logits and labels differ in length")
        guard logits.count > 0 else { return nil }
        var low = betaRange.lowerBound
        var high = betaRange.upperBound
        let nllBefore = objective(logits: logits, labels: labels, beta: 1).value
        let atLow = objective(logits: logits, labels: labels, beta: low)
        if atLow.gradient >= 0 {
            return TemperatureFit(temperature: 1 / low, nllBefore: nllBefore, nllAfter: atLow.value, iterations: 0, atBound: true)
        }
        let atHigh = objective(logits: logits, labels: labels, beta: high)
        if atHigh.gradient <= 0 {
            return TemperatureFit(temperature: 1 / high, nllBefore: nllBefore, nllAfter: atHigh.value, iterations: 0, atBound: true)
        }
        var beta = 1.0
        var iterations = 0
        while iterations < 500 {
            iterations += 1
            let point = objective(logits: logits, labels: labels, beta: beta)
            if point.gradient == 0 { break }
            if point.gradient > 0 { high = beta } else { low = beta }
            var next = beta - point.gradient / point.curvature
            if !(point.curvature > 0) || !(next > low && next < high) {
                next = (low + high) / 2
            }
            let step = abs(next - beta)
            beta = next
            if step < tolerance || high - low < tolerance { break }
        }
        let nllAfter = objective(logits: logits, labels: labels, beta: beta).value
        return TemperatureFit(temperature: 1 / beta, nllBefore: nllBefore, nllAfter: nllAfter, iterations: iterations, atBound: false)
    }

    /// The objective f(β) = (1/N) Σ [LSE(β z_i) − β z_{i,y_i}] with its first and second derivatives.
    public static func objective(logits: LogitRows, labels: [Int], beta: Double) -> (value: Double, gradient: Double, curvature: Double) {
        var value = 0.0
        var gradient = 0.0
        var curvature = 0.0
        let values = logits.values
        let offsets = logits.offsets
        values.withUnsafeBufferPointer { z in
            for row in 0..<labels.count {
                let start = offsets[row]
                let end = offsets[row + 1]
                var maximum = -Double.infinity
                for index in start..<end where z[index] > maximum { maximum = z[index] }
                var total = 0.0
                var weighted = 0.0
                var weightedSquares = 0.0
                for index in start..<end {
                    let centred = z[index] - maximum
                    let weight = exp(beta * centred)
                    total += weight
                    weighted += weight * centred
                    weightedSquares += weight * centred * centred
                }
                let mean = weighted / total
                let trueLogit = z[start + labels[row]] - maximum
                value += log(total) - beta * trueLogit
                gradient += mean - trueLogit
                curvature += max(weightedSquares / total - mean * mean, 0)
            }
        }
        let n = Double(labels.count)
        return (value / n, gradient / n, curvature / n)
    }
}
