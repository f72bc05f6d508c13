#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

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
        let problem = CentredLogits(logits: logits, labels: labels)
        var low = betaRange.lowerBound
        var high = betaRange.upperBound
        let nllBefore = problem.evaluate(beta: 1).value
        var beta = 1.0
        var point = problem.evaluate(beta: beta)
        var iterations = 0
        while iterations < 500 {
            iterations += 1
            if point.gradient == 0 { break }
            if point.gradient > 0 { high = beta } else { low = beta }
            var next = beta - point.gradient / point.curvature
            if !(point.curvature > 0) || !(next > low && next < high) {
                next = (low + high) / 2
            }
            let step = abs(next - beta)
            beta = next
            point = problem.evaluate(beta: beta)
            if step < tolerance || high - low < tolerance { break }
        }
        // The minimum lies on a bound when the objective still falls towards it.
        for bound in [betaRange.lowerBound, betaRange.upperBound] where abs(beta - bound) < 1e-6 {
            let atBound = problem.evaluate(beta: bound)
            if (bound == betaRange.lowerBound && atBound.gradient >= 0) || (bound == betaRange.upperBound && atBound.gradient <= 0) {
                return TemperatureFit(
                    temperature: 1 / bound, nllBefore: nllBefore, nllAfter: atBound.value, iterations: iterations, atBound: true)
            }
        }
        return TemperatureFit(temperature: 1 / beta, nllBefore: nllBefore, nllAfter: point.value, iterations: iterations, atBound: false)
    }

    /// The objective f(β) = (1/N) Σ [LSE(β z_i) − β z_{i,y_i}] with its first and second derivatives.
    public static func objective(logits: LogitRows, labels: [Int], beta: Double) -> (value: Double, gradient: Double, curvature: Double) {
        CentredLogits(logits: logits, labels: labels).evaluate(beta: beta)
    }
}

/// Logits minus each row's maximum (max(βz) = β·max z for β > 0, so this is done once per fit), evaluated in a
/// fixed number of chunks in parallel; the fixed chunking keeps the summation order, and so the result, the same
/// on every machine.
struct CentredLogits: @unchecked Sendable {
    // @unchecked Sendable: every stored array is immutable after init and only read by the chunks.
    let centred: [Double]
    let offsets: [Int]
    let trueLogit: [Double]
    static let chunks = 8

    init(logits: LogitRows, labels: [Int]) {
        var centred = [Double](repeating: 0, count: logits.values.count)
        var trueLogit = [Double](repeating: 0, count: labels.count)
        logits.values.withUnsafeBufferPointer { z in
            for row in 0..<labels.count {
                let start = logits.offsets[row]
                let end = logits.offsets[row + 1]
                var maximum = -Double.infinity
                for index in start..<end where z[index] > maximum { maximum = z[index] }
                for index in start..<end { centred[index] = z[index] - maximum }
                trueLogit[row] = z[start + labels[row]] - maximum
            }
        }
        self.centred = centred
        self.offsets = logits.offsets
        self.trueLogit = trueLogit
    }

    func evaluate(beta: Double) -> (value: Double, gradient: Double, curvature: Double) {
        let rows = trueLogit.count
        let chunkSize = (rows + Self.chunks - 1) / Self.chunks
        var partials = [(Double, Double, Double)](repeating: (0, 0, 0), count: Self.chunks)
        partials.withUnsafeMutableBufferPointer { results in
            let output = UncheckedBuffer(results)
            DispatchQueue.concurrentPerform(iterations: Self.chunks) { chunk in
                let first = chunk * chunkSize
                let last = min(rows, first + chunkSize)
                var value = 0.0
                var gradient = 0.0
                var curvature = 0.0
                centred.withUnsafeBufferPointer { c in
                    offsets.withUnsafeBufferPointer { o in
                        trueLogit.withUnsafeBufferPointer { t in
                            guard first < last else { return }
                            for row in first..<last {
                                var total = 0.0
                                var weighted = 0.0
                                var weightedSquares = 0.0
                                for index in o[row]..<o[row + 1] {
                                    let x = c[index]
                                    let weight = exp(beta * x)
                                    total += weight
                                    weighted += weight * x
                                    weightedSquares += weight * x * x
                                }
                                let mean = weighted / total
                                value += log(total) - beta * t[row]
                                gradient += mean - t[row]
                                curvature += max(weightedSquares / total - mean * mean, 0)
                            }
                        }
                    }
                }
                output.buffer[chunk] = (value, gradient, curvature)
            }
        }
        let n = Double(rows)
        var sum = (0.0, 0.0, 0.0)
        for partial in partials {
            sum.0 += partial.0
            sum.1 += partial.1
            sum.2 += partial.2
        }
        return (sum.0 / n, sum.1 / n, sum.2 / n)
    }
}
