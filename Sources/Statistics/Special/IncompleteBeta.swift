#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The regularised incomplete beta function I_x(a, b), its inverse, and the distributions built on it.
///
/// The continued fraction is evaluated with the modified Lentz method; the prefactor x^a y^b / B(a, b) uses
/// the large-parameter form of TOMS 708 (`brcomp`, with `rlog1` and the Stirling correction `bcorr`) so that
/// relative accuracy stays near 1e-13 for a, b up to 10^7, where ln B(a, b) alone would lose 8 digits.
public enum IncompleteBeta {
    /// I_x(a, b) for a, b > 0 and x in [0, 1].
    public static func regularized(a: Double, b: Double, x: Double) -> Double {
        regularized(a: a, b: b, x: x, y: 1 - x)
    }

    /// I_x(a, b) with y = 1 − x supplied exactly by the caller (avoids rounding in 1 − x).
    public static func regularized(a: Double, b: Double, x: Double, y: Double) -> Double {
        let (lower, upper) = both(a: a, b: b, x: x, y: y)
        return lower <= 0.5 ? lower : 1 - upper
    }

    /// 1 − I_x(a, b), accurate when it is small.
    public static func complement(a: Double, b: Double, x: Double, y: Double) -> Double {
        let (lower, upper) = both(a: a, b: b, x: x, y: y)
        return upper <= 0.5 ? upper : 1 - lower
    }

    /// ln ∫_x^1 u^(a−1) (1 − u)^(b−1) du = ln( B(a, b) · (1 − I_x(a, b)) ), with y = 1 − x supplied exactly.
    ///
    /// Accurate where 1 − I_x(a, b) underflows (x far above the mean with a + b up to 10^7): on that side B(a, b)
    /// cancels against the prefactor, and the result is a ln x + b ln y + ln(continued fraction) with no huge term
    /// subtracted from another.
    public static func logUpperIntegral(a: Double, b: Double, x: Double, y: Double) -> Double {
        if x <= 0 { return logBeta(a, b) }
        if y <= 0 { return -.infinity }
        let lnX = x <= 0.5 ? log(x) : log1p(-y)
        let lnY = y <= 0.5 ? log(y) : log1p(-x)
        if a > 1 && b > 1 {
            let lambda = a > b ? (a + b) * y - b : a - (a + b) * x
            if lambda >= 0 {
                // x at or below the mean: the lower tail is the smaller one, and 1 − it is at least about ½.
                return logBeta(a, b) + log1p(-powerTerms(a: a, b: b, x: x, y: y) * bfrac(a: a, b: b, x: x, y: y, lambda: lambda))
            }
            // 1 − I_x(a, b) = I_y(b, a) = (x^a y^b / B(a, b)) · bfrac(b, a, y, x, −λ).
            return a * lnX + b * lnY + log(bfrac(a: b, b: a, x: y, y: x, lambda: -lambda))
        }
        if x > (a + 1) / (a + b + 2) {
            // 1 − I_x(a, b) = I_y(b, a) = (x^a y^b / B(a, b)) · CF(b, a, y) / b.
            return a * lnX + b * lnY + log(continuedFraction(a: b, b: a, x: y)) - log(b)
        }
        return logBeta(a, b) + log1p(-lowerTail(a: a, b: b, x: x, y: y))
    }

    /// (I_x(a, b), 1 − I_x(a, b)), each computed directly on the side of the mean where it is the smaller tail.
    private static func both(a: Double, b: Double, x: Double, y: Double) -> (Double, Double) {
        if x <= 0 { return (0, 1) }
        if y <= 0 { return (1, 0) }
        if a > 1 && b > 1 {
            // TOMS 708: λ = (a + b) y − b ≥ 0 means x is at or below the mean; else use the symmetry.
            let lambda = a > b ? (a + b) * y - b : a - (a + b) * x
            if lambda >= 0 {
                let value = powerTerms(a: a, b: b, x: x, y: y) * bfrac(a: a, b: b, x: x, y: y, lambda: lambda)
                return (value, 1 - value)
            }
            let value = powerTerms(a: b, b: a, x: y, y: x) * bfrac(a: b, b: a, x: y, y: x, lambda: -lambda)
            return (1 - value, value)
        }
        if x > (a + 1) / (a + b + 2) {
            let value = lowerTail(a: b, b: a, x: y, y: x)
            return (1 - value, value)
        }
        let value = lowerTail(a: a, b: b, x: x, y: y)
        return (value, 1 - value)
    }

    private static func lowerTail(a: Double, b: Double, x: Double, y: Double) -> Double {
        let front = powerTerms(a: a, b: b, x: x, y: y)
        if front == 0 { return 0 }
        return front * continuedFraction(a: a, b: b, x: x) / a
    }

    /// TOMS 708 `bfrac`: the continued fraction of I_x(a, b) / (x^a y^b / B(a, b)) for a, b > 1, written in
    /// λ = (a + b) y − b so that no term cancels when x is close to 1 and a is large.
    private static func bfrac(a: Double, b: Double, x: Double, y: Double, lambda: Double) -> Double {
        let c = lambda + 1
        let c0 = b / a
        let c1 = 1 / a + 1
        let yp1 = y + 1
        var n = 0.0
        var p = 1.0
        var s = a + 1
        var an = 0.0
        var bn = 1.0
        var anp1 = 1.0
        var bnp1 = c / c1
        var r = c1 / c
        let limit = 10_000 + 20 * max(a, b).squareRoot()
        while n < limit {
            n += 1
            var t = n / a
            let w = n * (b - n) * x
            var e = a / s
            let alpha = p * (p + c0) * e * e * (w * x)
            e = (t + 1) / (c1 + t + t)
            let beta = n + w / s + e * (c + n * yp1)
            p = t + 1
            s += 2
            t = alpha * an + beta * anp1
            an = anp1
            anp1 = t
            t = alpha * bn + beta * bnp1
            bn = bnp1
            bnp1 = t
            let previous = r
            r = anp1 / bnp1
            if abs(r - previous) <= 1e-15 * r { break }
            an /= bnp1
            bn /= bnp1
            anp1 = r
            bnp1 = 1
        }
        return r
    }

    /// The inverse: the x with I_x(a, b) = p (safeguarded Newton on a shrinking bracket).
    public static func inverse(a: Double, b: Double, p: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        var low = 0.0
        var high = 1.0
        var x = a / (a + b)
        for _ in 0..<300 {
            let value = regularized(a: a, b: b, x: x) - p
            if value == 0 { return x }
            if value < 0 { low = x } else { high = x }
            let density = powerTerms(a: a, b: b, x: x, y: 1 - x) / (x * (1 - x))
            var next = x - value / density
            if !(density > 0) || !next.isFinite || next <= low || next >= high {
                next = (low + high) / 2
            }
            if abs(next - x) <= 1e-16 * max(x, 1e-300) || high - low <= 1e-16 * max(x, 1e-300) {
                return next
            }
            x = next
        }
        return x
    }

    /// x^a y^b / B(a, b).
    static func powerTerms(a: Double, b: Double, x: Double, y: Double) -> Double {
        let lnX = x <= 0.5 ? log(x) : log1p(-y)
        let lnY = y <= 0.5 ? log(y) : log1p(-x)
        if a >= 8 && b >= 8 {
            let lambda = a > b ? (a + b) * y - b : a - (a + b) * x
            let (x0, y0): (Double, Double) = a > b ? (1 / (1 + b / a), (b / a) / (1 + b / a)) : ((a / b) / (1 + a / b), 1 / (1 + a / b))
            var e = -lambda / a
            let u = abs(e) > 0.6 ? e - (lnX - log(x0)) : rlog1(e)
            e = lambda / b
            let v = abs(e) > 0.6 ? e - (lnY - log(y0)) : rlog1(e)
            let z = exp(-(a * u + b * v))
            return (1 / (2 * Double.pi).squareRoot()) * (b * x0).squareRoot() * z * exp(-stirlingCorrectionOfBeta(a, b))
        }
        return exp(a * lnX + b * lnY - logBeta(a, b))
    }

    /// ln B(a, b), accurate when one argument is large and the other small.
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        let (small, large) = a < b ? (a, b) : (b, a)
        if large < 8 {
            return lgamma(a) + lgamma(b) - lgamma(a + b)
        }
        // ln Γ(large + small) − ln Γ(large), by Stirling, without cancelling two huge numbers.
        let ratio =
            small * log(large) + (large + small - 0.5) * log1p(small / large) - small
            + stirlingCorrection(large + small) - stirlingCorrection(large)
        return lgamma(small) - ratio
    }

    /// x − ln(1 + x), accurate for small x.
    static func rlog1(_ x: Double) -> Double {
        if abs(x) < 0.01 {
            var term = x * x
            var sum = 0.0
            var sign = 1.0
            for power in 2...14 {
                sum += sign * term / Double(power)
                term *= x
                sign = -sign
            }
            return sum
        }
        return x - log1p(x)
    }

    /// del(x) = ln Γ(x) − ((x − ½) ln x − x + ½ ln 2π), for x ≥ 8 (Stirling series).
    static func stirlingCorrection(_ x: Double) -> Double {
        let inverse = 1 / x
        let square = inverse * inverse
        let coefficients: [Double] = [
            1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360_360, 1.0 / 156, -3617.0 / 122_400,
        ]
        var sum = 0.0
        var power = inverse
        for coefficient in coefficients {
            sum += coefficient * power
            power *= square
        }
        return sum
    }

    /// del(a) + del(b) − del(a + b).
    static func stirlingCorrectionOfBeta(_ a: Double, _ b: Double) -> Double {
        stirlingCorrection(a) + stirlingCorrection(b) - stirlingCorrection(a + b)
    }

    private static func continuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b
        let qap = a + 1
        let qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        let limit = 10_000 + Int(20 * max(a, b).squareRoot())
        for m in 1...limit {
            let mm = Double(m)
            let m2 = 2 * mm
            var aa = mm * (b - mm) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + mm) * (qab + mm) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }
}

/// Distributions used by the threshold guarantee.
public enum Distributions {
    /// P(Bin(n, p) ≤ k) (= `scipy.stats.binom.cdf(k, n, p)`).
    public static func binomialCDF(_ k: Int, trials n: Int, probability p: Double) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        if p <= 0 { return 1 }
        if p >= 1 { return 0 }
        // P(X ≤ k) = I_{1−p}(n − k, k + 1)
        return IncompleteBeta.regularized(a: Double(n - k), b: Double(k + 1), x: 1 - p, y: p)
    }

    /// The Clopper–Pearson upper bound at level `confidence` for `errors` in `trials`
    /// (= `scipy.stats.beta.ppf(confidence, errors + 1, trials − errors)`); 1 when errors = trials.
    public static func clopperPearsonUpper(errors: Int, trials: Int, confidence: Double) -> Double {
        guard errors < trials else { return 1 }
        return IncompleteBeta.inverse(a: Double(errors + 1), b: Double(trials - errors), p: confidence)
    }

    /// The Kolmogorov survival function Q(x) = P(K > x) (= `scipy.stats.kstwobign.sf(x)`).
    public static func kolmogorovSurvival(_ x: Double) -> Double {
        if x <= 0 { return 1 }
        if x < 1 {
            // Q(x) = 1 − (√(2π)/x) Σ exp(−(2k−1)² π² / (8x²))
            let factor = -Double.pi * Double.pi / (8 * x * x)
            var sum = 0.0
            for k in 1...50 {
                let odd = Double(2 * k - 1)
                let term = exp(odd * odd * factor)
                sum += term
                if term < 1e-300 { break }
            }
            return 1 - (2 * Double.pi).squareRoot() / x * sum
        }
        var sum = 0.0
        var sign = 1.0
        for k in 1...100 {
            let kk = Double(k)
            let term = exp(-2 * kk * kk * x * x)
            sum += sign * term
            if term < 1e-300 { break }
            sign = -sign
        }
        return min(max(2 * sum, 0), 1)
    }
}
