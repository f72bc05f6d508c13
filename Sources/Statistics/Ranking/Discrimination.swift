/// One point of a risk–coverage curve: the predictions with score ≥ `threshold` are accepted.
public struct RiskCoveragePoint: Sendable, Equatable, Codable {
    public let threshold: Double
    public let coverage: Double
    public let risk: Double
    public let accepted: Int
    public let errors: Int
}

/// The ascending order of a set of scores, ties kept in record order: computed once, shared by every ranking metric.
public struct ScoreRanking: Sendable {
    /// Row indices sorted by (score, index).
    public let ascending: [Int]

    /// Sorts `scores` by (score, index): a comparison sort for small inputs, and for large ones a stable
    /// least-significant-digit radix sort on order-preserving 64-bit keys (four 16-bit passes over contiguous
    /// (key, index) pairs), whose cost is linear but has a fixed 4 × 65 536-bucket overhead.
    public init(_ scores: [Double]) {
        let count = scores.count
        if count < 16_384 {
            ascending = scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            return
        }
        var items = [(key: UInt64, index: Int)](repeating: (0, 0), count: count)
        for index in 0..<count {
            let value = scores[index] == 0 ? 0 : scores[index]  // −0.0 and +0.0 are one score
            let bits = value.bitPattern
            items[index] = (bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63), index)
        }
        var scratch = items
        var counts = [Int](repeating: 0, count: 65_537)
        for pass in 0..<4 {
            let shift = UInt64(pass * 16)
            for bucket in counts.indices { counts[bucket] = 0 }
            for item in items { counts[Int((item.key >> shift) & 0xFFFF) + 1] += 1 }
            if counts[1...].contains(count) { continue }  // every key shares this digit: the pass changes nothing
            for bucket in 1..<counts.count { counts[bucket] += counts[bucket - 1] }
            for item in items {
                let bucket = Int((item.key >> shift) & 0xFFFF)
                scratch[counts[bucket]] = item
                counts[bucket] += 1
            }
            swap(&items, &scratch)
        }
        ascending = items.map(\.index)
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
        let positives = positive.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = scores.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = ranking.ascending
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

    /// AUPRC-error: average precision of −s for detecting errors; nil when there are no errors.
    public static func auprcError(scores: [Double], correct: [Bool]) -> Double? {
        auprcError(scores: scores, correct: correct, ranking: ScoreRanking(scores))
    }

    /// AUPRC-error with a precomputed ranking: descending −s is ascending s, ties grouped.
    public static func auprcError(scores: [Double], correct: [Bool], ranking: ScoreRanking) -> Double? {
        let totalErrors = correct.reduce(0) { $0 + ($1 ? 0 : 1) }
        guard totalErrors > 0 else { return nil }
        let order = ranking.ascending
        var errors = 0
        var previousRecall = 0.0
        var precisionSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end < order.count && scores[order[end]] == scores[order[start]] {
                if !correct[order[end]] { errors += 1 }
                end += 1
            }
            let recall = Double(errors) / Double(totalErrors)
            precisionSum += (recall - previousRecall) * Double(errors) / Double(end)
            previousRecall = recall
            start = end
        }
        return precisionSum
    }

    /// The risk–coverage curve over the distinct scores in descending order; ties are never split.
    public static func riskCoverage(scores: [Double], correct: [Bool]) -> [RiskCoveragePoint] {
        riskCoverage(scores: scores, correct: correct, ranking: ScoreRanking(scores))
    }

    /// The risk–coverage curve with a precomputed ranking (walked from the highest score down).
    public static func riskCoverage(scores: [Double], correct: [Bool], ranking: ScoreRanking) -> [RiskCoveragePoint] {
        let order = Array(ranking.ascending.reversed())
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

    /// AURC and a risk–coverage curve thinned to at most `maximumPoints` points (the last point always kept),
    /// in one pass over the ranking, without materialising a point per distinct score.
    public static func aurcAndCurve(scores: [Double], correct: [Bool], ranking: ScoreRanking, maximumPoints: Int = 101)
        -> (aurc: Double?, curve: [RiskCoveragePoint])
    {
        guard !scores.isEmpty else { return (nil, []) }
        let order = ranking.ascending
        let total = Double(scores.count)
        var area = 0.0
        var previousCoverage = 0.0
        var accepted = 0
        var errors = 0
        var position = order.count - 1
        var curve: [RiskCoveragePoint] = []
        let spacing = max(1, scores.count / max(maximumPoints - 1, 1))
        var nextKept = spacing
        while position >= 0 {
            let threshold = scores[order[position]]
            while position >= 0 && scores[order[position]] == threshold {
                if !correct[order[position]] { errors += 1 }
                accepted += 1
                position -= 1
            }
            let coverage = Double(accepted) / total
            let risk = Double(errors) / Double(accepted)
            area += risk * (coverage - previousCoverage)
            previousCoverage = coverage
            if accepted >= nextKept || position < 0 {
                curve.append(RiskCoveragePoint(threshold: threshold, coverage: coverage, risk: risk, accepted: accepted, errors: errors))
                while nextKept <= accepted { nextKept += spacing }
            }
        }
        return (area, curve)
    }

    /// PRR from AURC: (AURC-random − AURC) / (AURC-random − AURC-oracle); nil without errors or correct rows.
    public static func prr(correct: [Bool], aurc: Double) -> Double? {
        let correctCount = correct.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard correctCount > 0, correctCount < correct.count else { return nil }
        let random = 1 - Double(correctCount) / Double(correct.count)
        return (random - aurc) / (random - aurcOracle(total: correct.count, correctCount: correctCount))
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
