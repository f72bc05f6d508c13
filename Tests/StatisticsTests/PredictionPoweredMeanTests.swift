import Statistics
import Testing

/// PPI++ accuracy (docs/statistics.md, "Audit sampling") against ppi-python (scripts/fixtures/make_audit_fixtures.py).
@Suite("prediction-powered mean")
struct PredictionPoweredMeanTests {
    // nonisolated(unsafe): initialised once (Swift's lazy globals are thread-safe) and never mutated.
    nonisolated(unsafe) static let sets: [[String: Any]] = ((try? Fixtures.load("ppi"))?["sets"] as? [[String: Any]]) ?? []

    @Test("point estimate and 95 % interval equal ppi_py's to 1e-9", arguments: 0..<7)
    func matchesReference(index: Int) throws {
        try #require(Self.sets.count == 7, "the fixture holds seven sets")
        let set = Self.sets[index]
        let y = try #require(set["y"] as? [Double])
        let yhat = try #require(set["yhat"] as? [Double])
        let unlabeled = try #require(set["yhat_unlabeled"] as? [Double])
        let result = try #require(PredictionPoweredMean(labeled: y, predicted: yhat, unlabeled: unlabeled))
        for (name, value, reference) in [
            ("estimate", result.estimate, set["estimate"]), ("ci_low", result.low, set["ci_low"]),
            ("ci_high", result.high, set["ci_high"]),
        ] {
            let expected = try #require(reference as? Double)
            #expect(abs(value - expected) <= 1e-9 * max(1, abs(expected)), "set \(index) \(name): \(value) vs ppi_py \(expected)")
        }
        #expect(result.lambda >= 0 && result.lambda <= 1)
        #expect(result.n == y.count && result.unlabeledCount == unlabeled.count)
    }

    @Test("predictions that run against the outcomes get λ = 0: the classical mean and its interval")
    func anticorrelatedPredictionsAreIgnored() throws {
        let y: [Double] = [1, 1, 1, 0, 0, 0, 1, 0]
        let yhat: [Double] = [0.1, 0.2, 0.1, 0.9, 0.8, 0.9, 0.2, 0.7]
        let result = try #require(PredictionPoweredMean(labeled: y, predicted: yhat, unlabeled: [0.5, 0.6, 0.4]))
        #expect(result.lambda == 0)
        #expect(result.estimate == 0.5)
        let halfWidth = PredictionPoweredMean.z975 * (0.25 / 8.0).squareRoot()
        #expect(abs(result.high - 0.5 - halfWidth) < 1e-15)
    }

    @Test("no labeled row gives no estimate; no unlabeled row gives the classical mean")
    func edges() throws {
        #expect(PredictionPoweredMean(labeled: [], predicted: [], unlabeled: [0.3]) == nil)
        let classical = try #require(PredictionPoweredMean(labeled: [1, 0, 1, 1], predicted: [0.9, 0.2, 0.8, 0.7], unlabeled: []))
        #expect(classical.estimate == 0.75 && classical.lambda == 0)
    }
}

/// The report's fleet finding: Spearman's ρ with its approximate interval (scripts/fixtures/make_report_fixtures.py).
@Suite("Spearman interval")
struct SpearmanIntervalTests {
    @Test("ρ equals SciPy's spearmanr and its Fisher-z interval NumPy's, to 1e-9")
    func matchesReference() throws {
        let sets = try #require(try Fixtures.load("spearman_interval")["sets"] as? [[String: Any]])
        #expect(sets.count == 6)
        for set in sets {
            let x = try #require(set["x"] as? [Double])
            let y = try #require(set["y"] as? [Double])
            let rho = try #require(Descriptive.spearman(x, y))
            #expect(abs(rho - (set["rho"] as! Double)) < 1e-9)
            let interval = try #require(Descriptive.spearmanInterval(rho, n: x.count))
            #expect(
                abs(interval.low - (set["low"] as! Double)) < 1e-9 && abs(interval.high - (set["high"] as! Double)) < 1e-9,
                "n = \(x.count): \(interval) vs \(set["low"]!)–\(set["high"]!)")
            #expect(interval.low <= rho && rho <= interval.high)
        }
        #expect(Descriptive.spearmanInterval(0.5, n: 3) == nil)
    }
}
