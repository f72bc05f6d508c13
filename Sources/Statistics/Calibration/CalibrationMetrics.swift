/// One non-empty bin of a reliability diagram.
public struct ReliabilityBin: Sendable, Equatable, Codable {
    /// Bin index j: the bin holds scores in (j/B, (j+1)/B], bin 0 also holds 0.
    public let bin: Int
    /// Number of predictions in the bin.
    public let n: Int
    /// Mean score in the bin.
    public let conf: Double
    /// Accuracy in the bin.
    public let acc: Double
}

/// Calibration metrics of a confidence-oriented score with values in [0, 1] (docs/statistics.md).
public enum CalibrationMetrics {
    /// The bin edges e_j = j / B, correctly rounded (NumPy: `np.arange(B + 1) / B`).
    public static func edges(bins: Int) -> [Double] {
        (0...bins).map { Double($0) / Double(bins) }
    }

    /// bin(s) = the number of inner edges e_1…e_{B−1} strictly below s.
    @inline(__always)
    static func bin(of score: Double, edges: [Double], bins: Int) -> Int {
        var index = min(max(Int(score * Double(bins)), 0), bins - 1)
        while index > 0 && edges[index] >= score { index -= 1 }
        while index < bins - 1 && edges[index + 1] < score { index += 1 }
        return index
    }

    /// The reliability diagram: per non-empty bin (n, mean score, accuracy).
    public static func reliability(scores: [Double], correct: [Bool], bins: Int = 15) -> [ReliabilityBin] {
        precondition(scores.count == correct.count, "scores and outcomes differ in length")
        let edges = edges(bins: bins)
        var counts = [Int](repeating: 0, count: bins)
        var scoreSums = [Double](repeating: 0, count: bins)
        var correctCounts = [Int](repeating: 0, count: bins)
        scores.withUnsafeBufferPointer { scores in
            correct.withUnsafeBufferPointer { correct in
                for index in scores.indices {
                    let bin = bin(of: scores[index], edges: edges, bins: bins)
                    counts[bin] += 1
                    scoreSums[bin] += scores[index]
                    if correct[index] { correctCounts[bin] += 1 }
                }
            }
        }
        return (0..<bins).compactMap { bin in
            guard counts[bin] > 0 else { return nil }
            let n = Double(counts[bin])
            return ReliabilityBin(bin: bin, n: counts[bin], conf: scoreSums[bin] / n, acc: Double(correctCounts[bin]) / n)
        }
    }

    /// ECE = Σ (n_j/N)|acc_j − conf_j| and MCE = max_j |acc_j − conf_j| over non-empty bins; nil when N = 0.
    public static func ece(scores: [Double], correct: [Bool], bins: Int = 15) -> (ece: Double, mce: Double)? {
        guard !scores.isEmpty else { return nil }
        return summarize(reliability(scores: scores, correct: correct, bins: bins), total: scores.count)
    }

    /// ACE: equal-mass groups as `np.array_split` makes them after a stable ascending sort, then the ECE formula.
    public static func ace(scores: [Double], correct: [Bool], bins: Int = 15) -> Double? {
        ace(scores: scores, correct: correct, ranking: ScoreRanking(scores), bins: bins)
    }

    /// ACE with a precomputed ranking (its ascending order keeps ties in record order, as ACE requires).
    public static func ace(scores: [Double], correct: [Bool], ranking: ScoreRanking, bins: Int = 15) -> Double? {
        ace(RankedOutcomes(ranking: ranking, outcomes: correct), bins: bins)
    }

    /// ACE over ranked outcomes (outcome = correct): consecutive groups of ⌈N/B⌉ or ⌊N/B⌋ rows.
    static func ace(_ ranked: RankedOutcomes, bins: Int = 15) -> Double? {
        guard ranked.count > 0 else { return nil }
        let total = ranked.count
        let baseSize = total / bins
        let larger = total % bins
        var start = 0
        var groups: [ReliabilityBin] = []
        ranked.scores.withUnsafeBufferPointer { scores in
            ranked.outcomes.withUnsafeBufferPointer { correct in
                for group in 0..<bins {
                    let size = baseSize + (group < larger ? 1 : 0)
                    guard size > 0 else { continue }
                    var scoreSum = 0.0
                    var correctCount = 0
                    for position in start..<(start + size) {
                        scoreSum += scores[position]
                        if correct[position] { correctCount += 1 }
                    }
                    groups.append(
                        ReliabilityBin(bin: group, n: size, conf: scoreSum / Double(size), acc: Double(correctCount) / Double(size)))
                    start += size
                }
            }
        }
        return summarize(groups, total: total).ece
    }

    /// ECE and MCE of reliability bins that hold `total` rows in all.
    static func summarize(_ bins: [ReliabilityBin], total: Int) -> (ece: Double, mce: Double) {
        var ece = 0.0
        var mce = 0.0
        for bin in bins {
            let gap = abs(bin.acc - bin.conf)
            ece += Double(bin.n) / Double(total) * gap
            mce = max(mce, gap)
        }
        return (ece, mce)
    }

    /// Top-label Brier score: mean (s − c)² (sklearn `brier_score_loss(c, s)`); nil when empty.
    public static func brierTopLabel(scores: [Double], correct: [Bool]) -> Double? {
        guard !scores.isEmpty else { return nil }
        var total = 0.0
        for index in scores.indices {
            let difference = scores[index] - (correct[index] ? 1 : 0)
            total += difference * difference
        }
        return total / Double(scores.count)
    }

    /// Multiclass Brier: mean Σ_k (p_ik − 1[k = y_i])² at temperature T; nil when empty.
    public static func brierMulticlass(logits: LogitRows, labels: [Int], temperature: Double = 1) -> Double? {
        guard logits.count > 0 else { return nil }
        var total = 0.0
        for row in 0..<logits.count {
            let probabilities = Softmax.probabilities(logits[row], temperature: temperature)
            for (option, probability) in probabilities.enumerated() {
                let difference = probability - (option == labels[row] ? 1 : 0)
                total += difference * difference
            }
        }
        return total / Double(logits.count)
    }

    /// NLL = −mean ln max(p_{i,y_i}, 1e-12) at temperature T, no renormalisation; nil when empty.
    public static func nll(logits: LogitRows, labels: [Int], temperature: Double = 1) -> Double? {
        guard logits.count > 0 else { return nil }
        var total = 0.0
        for row in 0..<logits.count {
            let probabilities = Softmax.probabilities(logits[row], temperature: temperature)
            total -= max(probabilities[labels[row]], 1e-12).naturalLogarithm
        }
        return total / Double(logits.count)
    }
}
