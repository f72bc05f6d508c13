/// One point of a risk–coverage curve: the predictions with score ≥ `threshold` are accepted.
public struct RiskCoveragePoint: Sendable, Equatable, Codable {
    public let threshold: Double
    public let coverage: Double
    public let risk: Double
    public let accepted: Int
    public let errors: Int
}

/// Discrimination and selective-prediction metrics of a ranking score s (higher = more trust).
public enum Discrimination {
    /// AUROC: P(a random correct prediction scores higher than a random incorrect one), ties counting ½
    /// (= sklearn `roc_auc_score(c, s)`). nil when all rows are correct or all incorrect. O(N log N).
    public static func auroc(scores: [Double], positive: [Bool]) -> Double? {
        precondition(scores.count == positive.count, "scores and outcomes differ in length")
        let positives = positive.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = scores.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumOfPositives = 0.0
        var start = 0
        while start < order.count {
            var end = start
            var positivesInGroup = 0
            while end < order.count && scores[order[end]] == scores[order[start]] {
                if positive[order[end]] { positivesInGroup += 1 }
                end += 1
            }
            let averageRank = Double(start + 1 + end) / 2
            rankSumOfPositives += averageRank * Double(positivesInGroup)
            start = end
        }
        let p = Double(positives)
        return (rankSumOfPositives - p * (p + 1) / 2) / (p * Double(negatives))
    }

    /// Average precision of `scores` for detecting `positive` rows (= sklearn `average_precision_score`);
    /// nil when there are no positives.
    public static func averagePrecision(scores: [Double], positive: [Bool]) -> Double? {
        let totalPositives = positive.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard totalPositives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0
        var seen = 0
        var previousRecall = 0.0
        var precisionSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && scores[order[end]] == scores[order[start]] {
                if positive[order[end]] { truePositives += 1 }
                end += 1
            }
            seen = end
            let recall = Double(truePositives) / Double(totalPositives)
            precisionSum += (recall - previousRecall) * Double(truePositives) / Double(seen)
            previousRecall = recall
            start = end
        }
        return precisionSum
    }

    /// AUPRC-error: average precision of −s for detecting errors; nil when there are no errors.
    public static func auprcError(scores: [Double], correct: [Bool]) -> Double? {
        averagePrecision(scores: scores.map { -$0 }, positive: correct.map { !$0 })
    }

    /// The risk–coverage curve over the distinct scores in descending order; ties are never split.
    public static func riskCoverage(scores: [Double], correct: [Bool]) -> [RiskCoveragePoint] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let total = Double(scores.count)
        var curve: [RiskCoveragePoint] = []
        var accepted = 0
        var errors = 0
        var start = 0
        while start < order.count {
            let threshold = scores[order[start]]
            while accepted < order.count && scores[order[accepted]] == threshold {
                if !correct[order[accepted]] { errors += 1 }
                accepted += 1
            }
            curve.append(RiskCoveragePoint(
                threshold: threshold, coverage: Double(accepted) / total,
                risk: Double(errors) / Double(accepted), accepted: accepted, errors: errors))
            start = accepted
        }
        return curve
    }

    /// AURC = Σ_k r_k (cov_k − cov_{k−1}); nil when empty.
    public static func aurc(scores: [Double], correct: [Bool]) -> Double? {
        guard !scores.isEmpty else { return nil }
        return aurc(curve: riskCoverage(scores: scores, correct: correct))
    }

    /// AURC of an already computed curve.
    public static func aurc(curve: [RiskCoveragePoint]) -> Double {
        var area = 0.0
        var previousCoverage = 0.0
        for point in curve {
            area += point.risk * (point.coverage - previousCoverage)
            previousCoverage = point.coverage
        }
        return area
    }

    /// AURC of the ideal ordering: (1/N) Σ_{n=N_c+1}^{N} (n − N_c)/n.
    public static func aurcOracle(total: Int, correctCount: Int) -> Double {
        guard total > 0 else { return 0 }
        var sum = 0.0
        if correctCount < total {
            for n in (correctCount + 1)...total { sum += Double(n - correctCount) / Double(n) }
        }
        return sum / Double(total)
    }

    /// PRR = (AURC-random − AURC) / (AURC-random − AURC-oracle); nil without errors or without correct rows.
    public static func prr(scores: [Double], correct: [Bool]) -> Double? {
        let correctCount = correct.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard correctCount > 0, correctCount < correct.count, let aurc = aurc(scores: scores, correct: correct) else {
            return nil
        }
        let random = 1 - Double(correctCount) / Double(correct.count)
        let oracle = aurcOracle(total: correct.count, correctCount: correctCount)
        return (random - aurc) / (random - oracle)
    }
}
