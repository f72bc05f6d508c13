#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The anytime-valid test of the deployed threshold (docs/statistics.md, "Sequential monitoring"): H0 "the error rate
/// p of a 0/1 stream is at most α", tested by the mixture martingale with the uniform prior on [α, 1]:
///
///     M_t = [ ∫_α^1 x^S (1 − x)^(t−S) dx / (1 − α) ] / [ α^S (1 − α)^(t−S) ],   M_0 = 1.
///
/// M is a nonnegative supermartingale under H0, so P(sup_t M_t ≥ 1/δ) ≤ δ (Ville): it may be looked at after every
/// label. Everything is computed in logs; the integral is `IncompleteBeta.logUpperIntegral`.
public enum MixtureEProcess {
    /// ln M_t for `errors` (S) among `observations` (t) at level `alpha`; 0 for the empty stream.
    public static func logEValue(observations t: Int, errors s: Int, alpha: Double) -> Double {
        precondition(t >= 0 && s >= 0 && s <= t && alpha > 0 && alpha < 1, "need 0 ≤ S ≤ t and 0 < α < 1")
        if t == 0 { return 0 }
        let lnAlpha = log(alpha)
        let lnBeta = log1p(-alpha)
        let integral = IncompleteBeta.logUpperIntegral(a: Double(s + 1), b: Double(t - s + 1), x: alpha, y: 1 - alpha)
        return integral - lnBeta - Double(s) * lnAlpha - Double(t - s) * lnBeta
    }

    /// The anytime-valid lower confidence bound on p at level 1 − δ from one look: inf{a : M_t(a) < 1/δ}, where M_t(a)
    /// is the e-value at level a (bisection to 1e-9; M_t(a) falls as a rises towards S/t, where it is at most 1). The
    /// running maximum of these bounds over the looks is a lower bound valid at all times at once.
    public static func lowerBound(observations t: Int, errors s: Int, delta: Double) -> Double {
        guard s > 0 else { return 0 }
        let bound = -log(delta)
        var low = 0.0
        var high = min(Double(s) / Double(t), 1 - 1e-12)
        if logEValue(observations: t, errors: s, alpha: high) >= bound { return high }
        while high - low > 1e-9 {
            let middle = (low + high) / 2
            if middle <= 0 || logEValue(observations: t, errors: s, alpha: middle) >= bound { low = middle } else { high = middle }
        }
        return low
    }
}

/// One monitor's running state: t, S, the largest e-value so far and the first alarm. Updating costs O(1) per
/// label, whatever the stream's length: M falls on every correct label (each factor (1 − x)/(1 − α) ≤ 1 on [α, 1])
/// and rises only on errors, so its running maximum, and the first crossing of 1/δ, can only occur at an error.
public struct SequentialMonitor: Sendable, Equatable {
    /// α: the accepted-set error rate the threshold guarantees.
    public let alpha: Double
    /// The level of this monitor (δ, or δ / K for one of K slice monitors); the alarm bound is 1/δ.
    public let delta: Double
    /// t: labels in the stream so far.
    public private(set) var observations: Int
    /// S: errors among them.
    public private(set) var errors: Int
    /// ln max_{s ≤ t} M_s (0 for the empty stream: M_0 = 1).
    public private(set) var maxLogEValue: Double
    /// The stream position (1-based) of the first label with M ≥ 1/δ, if any.
    public private(set) var alarmAt: Int?

    /// A monitor resumed from its stored state (or a new one, with the defaults).
    public init(alpha: Double, delta: Double, observations: Int = 0, errors: Int = 0, maxLogEValue: Double = 0, alarmAt: Int? = nil) {
        precondition(alpha > 0 && alpha < 1 && delta > 0 && delta < 1, "need 0 < α < 1 and 0 < δ < 1")
        self.alpha = alpha
        self.delta = delta
        self.observations = observations
        self.errors = errors
        self.maxLogEValue = maxLogEValue
        self.alarmAt = alarmAt
    }

    /// ln M_t now.
    public var logEValue: Double { MixtureEProcess.logEValue(observations: observations, errors: errors, alpha: alpha) }

    /// ln(1/δ): the alarm bound in logs.
    public var logAlarmBound: Double { -log(delta) }

    /// True once M has reached 1/δ.
    public var isAlarmed: Bool { alarmAt != nil }

    /// The anytime-valid p-value min(1, 1 / max_{s ≤ t} M_s).
    public var pValue: Double { min(1, exp(-maxLogEValue)) }

    /// Adds one label (`error`: the accepted prediction was wrong); true when this label raises the alarm.
    @discardableResult
    public mutating func observe(error: Bool) -> Bool {
        observations += 1
        guard error else { return false }
        errors += 1
        let current = logEValue
        if current > maxLogEValue { maxLogEValue = current }
        if alarmAt == nil && current >= logAlarmBound {
            alarmAt = observations
            return true
        }
        return false
    }
}
