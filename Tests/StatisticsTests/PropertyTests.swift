import Statistics
import Testing

/// Properties that must hold whatever the data.
@Suite("statistical properties")
struct PropertyTests {
    @Test("ECE of a perfectly calibrated large sample is small")
    func calibratedSampleHasSmallECE() throws {
        var random = Xoshiro256StarStar(seed: 1)
        let scores = (0..<200_000).map { _ in random.uniform() }
        let correct = scores.map { random.uniform() < $0 }
        let ece = try #require(CalibrationMetrics.ece(scores: scores, correct: correct)?.ece)
        #expect(ece < 0.01)
        // And a miscalibrated one is not: accuracy is the score squared.
        let overconfident = scores.map { random.uniform() < $0 * $0 }
        #expect(try #require(CalibrationMetrics.ece(scores: scores, correct: overconfident)?.ece) > 0.1)
    }

    @Test("AUROC(s) = 1 − AUROC(−s) without ties")
    func aurocAntisymmetry() throws {
        var random = Xoshiro256StarStar(seed: 2)
        let scores = (0..<5000).map { _ in random.uniform() }
        let correct = scores.map { random.uniform() < 0.3 + 0.4 * $0 }
        let forward = try #require(Discrimination.auroc(scores: scores, positive: correct))
        let backward = try #require(Discrimination.auroc(scores: scores.map { -$0 }, positive: correct))
        #expect(abs(forward + backward - 1) < 1e-12)
        #expect(forward > 0.55)
    }

    @Test("the ranking of a large set (radix sort on two cores) is the stable comparison sort", arguments: [16_384, 100_001])
    func largeRankingIsStableSort(count: Int) {
        var random = Xoshiro256StarStar(seed: 4)
        let specials: [Double] = [0, -0.0, 1, -1, 1e300, -1e300, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 0.8]
        let scores = (0..<count).map { _ -> Double in
            switch random.index(below: 4) {
            case 0: specials[random.index(below: specials.count)]
            case 1: Double(random.index(below: 11)) / 10  // discrete verbalized scores: many ties
            default: (random.uniform() - 0.5) * 1e4
            }
        }
        let ranking = ScoreRanking(scores)
        let expected = scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        #expect(ranking.ascending == expected)
        #expect(ranking.sortedScores == expected.map { scores[$0] })
        #expect(!ranking.sortedScores.contains { $0 == 0 && $0.sign == .minus })
    }

    @Test("msp of a whole set equals msp row by row")
    func batchMSPEqualsRowByRow() {
        var random = Xoshiro256StarStar(seed: 5)
        var logits = LogitRows()
        var predicted: [Int] = []
        for _ in 0..<70_001 {
            let row = (0..<(2 + random.index(below: 5))).map { _ in (random.uniform() - 0.5) * 20 }
            logits.append(row)
            predicted.append(random.index(below: row.count))
        }
        let batch = DerivedScores.msp(of: logits, predicted: predicted, temperature: 1.7)
        let single = (0..<logits.count).map { DerivedScores(logits: logits[$0], temperature: 1.7, predicted: predicted[$0]).msp }
        #expect(batch == single)
    }

    @Test("the proportion bootstrap drawn from Binomial(n, k/n) agrees with resampling rows", arguments: [40, 400, 5_000])
    func proportionBootstrapMatchesRowResampling(count: Int) throws {
        var random = Xoshiro256StarStar(seed: 6)
        let outcomes = (0..<count).map { _ in random.uniform() < 0.7 }
        let rows = try #require(
            Bootstrap.interval(count: count, resamples: 4_000, seed: 42) { indices in
                Double(indices.filter { outcomes[$0] }.count) / Double(indices.count)
            })
        let drawn = try #require(Bootstrap.proportionInterval(outcomes, resamples: 4_000, seed: 43))
        #expect(drawn.estimate == rows.estimate)
        // Two Monte Carlo estimates of the same 2.5 % and 97.5 % quantiles: they differ by sampling error only, a
        // small fraction of the bootstrap standard error sqrt(p(1−p)/n) (1 / count is the grid of possible values).
        let standardError = (rows.estimate * (1 - rows.estimate) / Double(count)).squareRoot()
        #expect(abs(drawn.lower - rows.lower) <= 0.25 * standardError + 1 / Double(count), "\(drawn) vs \(rows)")
        #expect(abs(drawn.upper - rows.upper) <= 0.25 * standardError + 1 / Double(count), "\(drawn) vs \(rows)")
        #expect(Bootstrap.proportionInterval(outcomes, resamples: 4_000, seed: 43) == drawn, "seeded: reproducible")
    }

    @Test("binomial draws by inversion have the binomial mean and variance; degenerate shares give one value")
    func binomialDraws() throws {
        let table = BinomialInversion(trials: 50_000, probability: 0.69134)
        var random = Xoshiro256StarStar(seed: 9)
        let draws = (0..<40_000).map { _ in Double(table.quantile(random.uniform())) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count - 1)
        let expectedVariance = 50_000 * 0.69134 * (1 - 0.69134)
        #expect(abs(mean - 50_000 * 0.69134) < 4 * (expectedVariance / Double(draws.count)).squareRoot())
        #expect(abs(variance / expectedVariance - 1) < 0.03)
        #expect(Bootstrap.proportionInterval([true, true, true], seed: 1) == BootstrapInterval(estimate: 1, lower: 1, upper: 1))
        #expect(Bootstrap.proportionInterval([false, false], seed: 1) == BootstrapInterval(estimate: 0, lower: 0, upper: 0))
        #expect(Bootstrap.proportionInterval([], seed: 1) == nil)
    }

    @Test("AURC of the oracle ordering equals AURC-oracle")
    func oracleOrdering() throws {
        var random = Xoshiro256StarStar(seed: 3)
        let correct = (0..<3001).map { _ in random.uniform() < 0.62 }
        let oracleScores = correct.enumerated().map { Double($0.element ? 2 : 1) + Double($0.offset) * 1e-9 }
        let aurc = try #require(Discrimination.aurc(scores: oracleScores, correct: correct))
        let oracle = Discrimination.aurcOracle(total: correct.count, correctCount: correct.filter { $0 }.count)
        #expect(abs(aurc - oracle) < 1e-12)
    }

    @Test("undefined metrics are nil, never a made-up 0.5")
    func undefinedMetrics() {
        #expect(Discrimination.auroc(scores: [0.1, 0.9], positive: [true, true]) == nil)
        #expect(Discrimination.auprcError(scores: [0.1, 0.9], correct: [true, true]) == nil)
        #expect(Discrimination.prr(scores: [0.1, 0.9], correct: [false, false]) == nil)
        #expect(CalibrationMetrics.ece(scores: [], correct: []) == nil)
    }

    @Test("LTT: over 500 calibrate-then-deploy repetitions, accepted-set risk exceeds α in at most δ + 0.02")
    func learnThenTestGuarantee() {
        let alpha = 0.10
        let delta = 0.05
        var random = Xoshiro256StarStar(seed: 4)
        func sample(_ n: Int) -> (scores: [Double], correct: [Bool]) {
            // A model whose error probability falls with its score: P(error | s) = 0.45 (1 − s)².
            let scores = (0..<n).map { _ in random.uniform() }
            return (scores, scores.map { random.uniform() >= 0.45 * (1 - $0) * (1 - $0) })
        }
        var violations = 0
        var thresholds = 0
        for _ in 0..<500 {
            let calibration = sample(1000)
            let rule = EscalationThreshold.learnThenTest(
                scores: calibration.scores, correct: calibration.correct, alpha: alpha, delta: delta)
            guard let tau = rule.threshold else { continue }
            thresholds += 1
            // The true accepted-set risk at τ, by numerical integration of the error model.
            var errorMass = 0.0
            let steps = 20_000
            for step in 0..<steps {
                let s = tau + (1 - tau) * (Double(step) + 0.5) / Double(steps)
                errorMass += 0.45 * (1 - s) * (1 - s)
            }
            let trueRisk = errorMass / Double(steps)
            if trueRisk > alpha { violations += 1 }
        }
        #expect(thresholds > 450, "LTT should find a threshold in almost every repetition")
        #expect(Double(violations) / 500 <= delta + 0.02, "violations: \(violations) of 500")
    }
}
