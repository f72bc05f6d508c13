/// Every metric of one UE method over labeled predictions, computed from one sort of the scores.
public struct MetricSet: Sendable {
    public let n: Int
    public let auroc: Double?
    public let auprcError: Double?
    public let aurc: Double?
    public let prr: Double?
    /// The risk–coverage curve thinned to at most 101 points (the full curve: ``Discrimination/riskCoverage(scores:correct:)``).
    public let riskCoverage: [RiskCoveragePoint]
    /// ECE, MCE, ACE, top-label Brier and the reliability bins, for confidence scores in [0, 1] only.
    public let calibration: (ece: Double, mce: Double, ace: Double, brier: Double, reliability: [ReliabilityBin])?

    /// The metrics of ranking scores `s` (higher = more trust); `calibrationScores` are the raw confidence values
    /// in [0, 1] when calibration metrics apply (for a confidence method they are `s` itself).
    public init(scores s: [Double], correct: [Bool], calibrationScores: [Double]?, bins: Int = 15) {
        precondition(s.count == correct.count, "scores and outcomes differ in length")
        n = s.count
        let ranked = RankedOutcomes(ranking: ScoreRanking(s), outcomes: correct)
        auroc = Discrimination.auroc(ranked)
        auprcError = Discrimination.auprcError(ranked)
        let selective = Discrimination.aurcAndCurve(ranked)
        riskCoverage = selective.curve
        aurc = selective.aurc
        let total = s.count
        prr = selective.aurc.flatMap { Discrimination.prr(correctCount: ranked.positives, total: total, aurc: $0) }
        if let values = calibrationScores, !values.isEmpty {
            precondition(values.count == n, "calibration scores and outcomes differ in length")
            let reliability = CalibrationMetrics.reliability(scores: values, correct: correct, bins: bins)
            let summary = CalibrationMetrics.summarize(reliability, total: n)
            let rankedValues = values == s ? ranked : RankedOutcomes(ranking: ScoreRanking(values), outcomes: correct)
            calibration = (
                summary.ece, summary.mce, CalibrationMetrics.ace(rankedValues, bins: bins)!,
                CalibrationMetrics.brierTopLabel(scores: values, correct: correct)!, reliability
            )
        } else {
            calibration = nil
        }
    }
}
