/// One point of a risk–coverage curve: the predictions with score ≥ `threshold` are accepted.
public struct RiskCoveragePoint: Sendable, Equatable, Codable {
    public let threshold: Double
    public let coverage: Double
    public let risk: Double
    public let accepted: Int
    public let errors: Int
}

/// Scores in ascending order with each row's outcome beside it: every ranking metric is one sequential walk over it.
struct RankedOutcomes {
    let scores: [Double]
    let outcomes: [Bool]
    let positives: Int

    init(ranking: ScoreRanking, outcomes: [Bool]) {
        precondition(ranking.ascending.count == outcomes.count, "scores and outcomes differ in length")
        scores = ranking.sortedScores
        self.outcomes = ranking.inOrder(outcomes)
        positives = outcomes.reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    var count: Int { scores.count }

    /// Calls `body(end, positivesInGroup)` for each group of equal scores, from the lowest; `end` is one past the group.
    @inline(__always)
    func forEachTieGroupAscending(_ body: (_ start: Int, _ end: Int, _ positivesInGroup: Int) -> Void) {
        scores.withUnsafeBufferPointer { scores in
            outcomes.withUnsafeBufferPointer { outcomes in
                var start = 0
                while start < scores.count {
                    var end = start
                    var positivesInGroup = 0
                    let score = scores[start]
                    while end < scores.count && scores[end] == score {
                        if outcomes[end] { positivesInGroup += 1 }
                        end += 1
                    }
                    body(start, end, positivesInGroup)
                    start = end
                }
            }
        }
    }
}

/// Discrimination and selective-prediction metrics of a ranking score s (higher = more trust).
public enum Discrimination {
    /// AUROC: P(a random correct prediction scores higher than a random incorrect one), ties counting ½
    /// (= sklearn `roc_auc_score(c, s)`). nil when all rows are correct or all incorrect. O(N log N).
    public static func auroc(scores: [Double], positive: [Bool]) -> Double? {
        auroc(scores: scores, positive: positive, ranking: ScoreRanking(scores))
    }

    /// AUROC with a precomputed ranking of `scores`.
    public static func auroc(scores: [Double], positive: [Bool], ranking: ScoreRanking) -> Double? {
        precondition(scores.count == positive.count, "scores and outcomes differ in length")
        return auroc(RankedOutcomes(ranking: ranking, outcomes: positive))
    }

    /// AUROC over ranked outcomes (positive = outcome true): the Mann–Whitney rank sum with average ranks for ties.
    static func auroc(_ ranked: RankedOutcomes) -> Double? {
        let positives = ranked.positives
        let negatives = ranked.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        var rankSumOfPositives = 0.0
        ranked.forEachTieGroupAscending { start, end, positivesInGroup in
            rankSumOfPositives += Double(start + 1 + end) / 2 * Double(positivesInGroup)
        }
        let p = Double(positives)
        return (rankSumOfPositives - p * (p + 1) / 2) / (p * Double(negatives))
    }

    /// AUPRC-error: average precision of −s for detecting errors; nil when there are no errors.
    public static func auprcError(scores: [Double], correct: [Bool]) -> Double? {
        auprcError(scores: scores, correct: correct, ranking: ScoreRanking(scores))
    }

    /// AUPRC-error with a precomputed ranking: descending −s is ascending s, ties grouped.
    public static func auprcError(scores: [Double], correct: [Bool], ranking: ScoreRanking) -> Double? {
        auprcError(RankedOutcomes(ranking: ranking, outcomes: correct))
    }

    /// AUPRC-error over ranked outcomes (outcome = correct).
    static func auprcError(_ ranked: RankedOutcomes) -> Double? {
        let totalErrors = ranked.count - ranked.positives
        guard totalErrors > 0 else { return nil }
        var errors = 0
        var previousRecall = 0.0
        var precisionSum = 0.0
        ranked.forEachTieGroupAscending { start, end, correctInGroup in
            errors += end - start - correctInGroup
            let recall = Double(errors) / Double(totalErrors)
            precisionSum += (recall - previousRecall) * Double(errors) / Double(end)
            previousRecall = recall
        }
        return precisionSum
    }

    /// The risk–coverage curve over the distinct scores in descending order; ties are never split.
    public static func riskCoverage(scores: [Double], correct: [Bool]) -> [RiskCoveragePoint] {
        riskCoverage(scores: scores, correct: correct, ranking: ScoreRanking(scores))
    }

    /// The risk–coverage curve with a precomputed ranking (walked from the highest score down).
    public static func riskCoverage(scores: [Double], correct: [Bool], ranking: ScoreRanking) -> [RiskCoveragePoint] {
        var curve: [RiskCoveragePoint] = []
        walkDescending(RankedOutcomes(ranking: ranking, outcomes: correct)) { curve.append($0) }
        return curve
    }

    /// Calls `body` with the risk–coverage point of each distinct score, from the highest down.
    @inline(__always)
    static func walkDescending(_ ranked: RankedOutcomes, _ body: (RiskCoveragePoint) -> Void) {
        let total = Double(ranked.count)
        var accepted = 0
        var errors = 0
        ranked.scores.withUnsafeBufferPointer { scores in
            ranked.outcomes.withUnsafeBufferPointer { correct in
                var position = scores.count - 1
                while position >= 0 {
                    let threshold = scores[position]
                    while position >= 0 && scores[position] == threshold {
                        if !correct[position] { errors += 1 }
                        accepted += 1
                        position -= 1
                    }
                    body(
                        RiskCoveragePoint(
                            threshold: threshold, coverage: Double(accepted) / total,
                            risk: Double(errors) / Double(accepted), accepted: accepted, errors: errors))
                }
            }
        }
    }

    /// AURC = Σ_k r_k (cov_k − cov_{k−1}); nil when empty.
    public static func aurc(scores: [Double], correct: [Bool]) -> Double? {
        guard !scores.isEmpty else { return nil }
        return aurc(curve: riskCoverage(scores: scores, correct: correct))
    }

    /// AURC and a risk–coverage curve thinned to at most `maximumPoints` points (the last point always kept),
    /// in one pass over the ranking, without materialising a point per distinct score.
    public static func aurcAndCurve(
        scores: [Double], correct: [Bool], ranking: ScoreRanking, maximumPoints: Int = 101
    )
        -> (aurc: Double?, curve: [RiskCoveragePoint])
    {
        aurcAndCurve(RankedOutcomes(ranking: ranking, outcomes: correct), maximumPoints: maximumPoints)
    }

    /// AURC and the thinned curve over ranked outcomes (outcome = correct).
    static func aurcAndCurve(_ ranked: RankedOutcomes, maximumPoints: Int = 101) -> (aurc: Double?, curve: [RiskCoveragePoint]) {
        guard ranked.count > 0 else { return (nil, []) }
        var area = 0.0
        var previousCoverage = 0.0
        var curve: [RiskCoveragePoint] = []
        let spacing = max(1, ranked.count / max(maximumPoints - 1, 1))
        var nextKept = spacing
        walkDescending(ranked) { point in
            area += point.risk * (point.coverage - previousCoverage)
            previousCoverage = point.coverage
            if point.accepted >= nextKept || point.accepted == ranked.count {
                curve.append(point)
                while nextKept <= point.accepted { nextKept += spacing }
            }
        }
        return (area, curve)
    }

    /// PRR from AURC and the number of correct rows; nil without errors or correct rows.
    static func prr(correctCount: Int, total: Int, aurc: Double) -> Double? {
        guard correctCount > 0, correctCount < total else { return nil }
        let random = 1 - Double(correctCount) / Double(total)
        return (random - aurc) / (random - aurcOracle(total: total, correctCount: correctCount))
    }

    /// PRR from AURC: (AURC-random − AURC) / (AURC-random − AURC-oracle); nil without errors or correct rows.
    public static func prr(correct: [Bool], aurc: Double) -> Double? {
        prr(correctCount: correct.reduce(0) { $0 + ($1 ? 1 : 0) }, total: correct.count, aurc: aurc)
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
        prr(correct: correct, aurc: aurc(curve: riskCoverage(scores: scores, correct: correct)))
    }
}
