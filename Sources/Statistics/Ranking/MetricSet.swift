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
        n = s.count
        let ranking = ScoreRanking(s)
        auroc = Discrimination.auroc(scores: s, positive: correct, ranking: ranking)
        auprcError = Discrimination.auprcError(scores: s, correct: correct, ranking: ranking)
        let selective = Discrimination.aurcAndCurve(scores: s, correct: correct, ranking: ranking)
        riskCoverage = selective.curve
        aurc = selective.aurc
        prr = selective.aurc.flatMap { Discrimination.prr(correct: correct, aurc: $0) }
        if let values = calibrationScores, !values.isEmpty,
            let ece = CalibrationMetrics.ece(scores: values, correct: correct, bins: bins),
            let ace = CalibrationMetrics.ace(scores: values, correct: correct, ranking: values == s ? ranking : ScoreRanking(values), bins: bins),
            let brier = CalibrationMetrics.brierTopLabel(scores: values, correct: correct)
        {
            calibration = (ece.ece, ece.mce, ace, brier, CalibrationMetrics.reliability(scores: values, correct: correct, bins: bins))
        } else {
            calibration = nil
        }
    }
}
