#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An escalation rule: accept (do not escalate) a prediction when its score is ≥ `threshold`.
public struct EscalationRule: Sendable, Equatable, Codable {
    /// τ; nil means +∞: no threshold passed, escalate everything.
    public let threshold: Double?
    /// Share of calibration predictions accepted at τ (0 when τ = +∞).
    public let coverage: Double
    /// Error rate among accepted calibration predictions (nil when none is accepted).
    public let empiricalRisk: Double?
    /// Accepted predictions and errors among them.
    public let accepted: Int
    public let errors: Int
    /// The binomial p-value of the chosen candidate (LTT), or nil.
    public let pValue: Double?
    /// Clopper–Pearson upper bound of the accepted-set risk at level 1 − δ.
    public let riskUpperBound: Double?
    /// Whether the guarantee (risk ≤ α with probability ≥ 1 − δ) holds for this rule.
    public let guaranteeMet: Bool
    /// Number of candidates tested (LTT).
    public let candidatesTested: Int

    /// True when every prediction is escalated.
    public var escalatesEverything: Bool { threshold == nil }
}

/// Choosing τ on a calibration set (docs/statistics.md, "Escalation threshold").
public enum EscalationThreshold {
    /// Fixed-sequence Learn-then-Test: the smallest τ (largest coverage) such that every candidate from the most
    /// confident down to τ has binomial p-value ≤ δ for H0: risk > α.
    public static func learnThenTest(scores: [Double], correct: [Bool], alpha: Double, delta: Double) -> EscalationRule {
        let curve = Discrimination.riskCoverage(scores: scores, correct: correct)
        var chosen: RiskCoveragePoint?
        var chosenPValue: Double?
        var tested = 0
        let logOneMinusAlpha = log1p(-alpha)
        let logDelta = log(delta)
        for point in curve {
            // Fewer accepted rows can never pass: skip until (1 − α)^n ≤ δ.
            if Double(point.accepted) * logOneMinusAlpha > logDelta { continue }
            tested += 1
            let pValue = Distributions.binomialCDF(point.errors, trials: point.accepted, probability: alpha)
            if pValue > delta { break }
            chosen = point
            chosenPValue = pValue
        }
        guard let chosen else {
            return EscalationRule(
                threshold: nil, coverage: 0, empiricalRisk: nil, accepted: 0, errors: 0, pValue: nil,
                riskUpperBound: nil, guaranteeMet: false, candidatesTested: tested)
        }
        return EscalationRule(
            threshold: chosen.threshold, coverage: chosen.coverage, empiricalRisk: chosen.risk,
            accepted: chosen.accepted, errors: chosen.errors, pValue: chosenPValue,
            riskUpperBound: Distributions.clopperPearsonUpper(errors: chosen.errors, trials: chosen.accepted, confidence: 1 - delta),
            guaranteeMet: true, candidatesTested: tested)
    }

    /// Budget mode: the largest τ whose coverage ≥ 1 − budget (at most `budget` of predictions escalated),
    /// with its empirical risk and Clopper–Pearson upper bound at level 1 − δ. The guarantee is met when
    /// that bound is ≤ α.
    public static func budget(scores: [Double], correct: [Bool], escalationBudget: Double, alpha: Double, delta: Double) -> EscalationRule {
        let curve = Discrimination.riskCoverage(scores: scores, correct: correct)
        guard let point = curve.first(where: { $0.coverage >= 1 - escalationBudget }) else {
            return EscalationRule(
                threshold: nil, coverage: 0, empiricalRisk: nil, accepted: 0, errors: 0, pValue: nil,
                riskUpperBound: nil, guaranteeMet: false, candidatesTested: 0)
        }
        let upper = Distributions.clopperPearsonUpper(errors: point.errors, trials: point.accepted, confidence: 1 - delta)
        return EscalationRule(
            threshold: point.threshold, coverage: point.coverage, empiricalRisk: point.risk,
            accepted: point.accepted, errors: point.errors, pValue: nil, riskUpperBound: upper,
            guaranteeMet: upper <= alpha, candidatesTested: 1)
    }
}
