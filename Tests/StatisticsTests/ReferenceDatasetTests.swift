import Statistics
import Testing

/// Every metric of docs/statistics.md against NumPy / SciPy / scikit-learn reference values.
@Suite("metrics against reference values")
struct ReferenceDatasetTests {
    @Test("fixtures hold at least 20 data sets")
    func enoughDatasets() {
        #expect(Fixtures.datasetNames.count >= 20)
    }

    @Test("derived scores (msp, margin, entropy)", arguments: Fixtures.datasetNames)
    func derivedScores(name: String) throws {
        let fixture = Fixtures.dataset(name)
        let inputs = DatasetInputs(fixture)
        let expected = try #require(fixture["expected"] as? [String: Any])
        let derived = inputs.derived()
        let sums = try #require(expected["sums"] as? [String: Double])
        expectClose(derived.reduce(0) { $0 + $1.msp }, sums["msp"], "\(name) Σ msp")
        expectClose(derived.reduce(0) { $0 + $1.margin }, sums["margin"], "\(name) Σ margin")
        expectClose(derived.reduce(0) { $0 + $1.entropy }, sums["entropy"], relative: 1e-9, absolute: 1e-9, "\(name) Σ entropy")
        if let rows = expected["derived"] as? [String: [Double]] {
            for (index, scores) in derived.enumerated() {
                expectClose(scores.msp, rows["msp"]![index], "\(name) msp[\(index)]")
                expectClose(scores.margin, rows["margin"]![index], absolute: 1e-12, "\(name) margin[\(index)]")
                expectClose(scores.entropy, rows["entropy"]![index], absolute: 1e-12, "\(name) entropy[\(index)]")
            }
        }
    }

    @Test("per-method metrics (raw, T = 1)", arguments: Fixtures.datasetNames)
    func methodMetrics(name: String) throws {
        let fixture = Fixtures.dataset(name)
        let inputs = DatasetInputs(fixture)
        let expected = try #require(fixture["expected"] as? [String: Any])
        let methods = try #require(expected["methods"] as? [String: [String: Any]])
        let derived = inputs.derived()
        var values: [String: (values: [Double], orientation: String)] = [
            "msp": (derived.map(\.msp), "confidence"),
            "margin": (derived.map(\.margin), "confidence"),
            "entropy": (derived.map(\.entropy), "uncertainty"),
        ]
        if let external = inputs.external { values["external"] = external }
        for (method, reference) in methods {
            let (raw, orientation) = try #require(values[method])
            checkMethod("\(name)/\(method)", raw: raw, orientation: orientation, correct: inputs.correct, reference: reference)
        }
        expectClose(
            Discrimination.aurcOracle(total: inputs.correct.count, correctCount: inputs.correct.filter { $0 }.count),
            expected["aurc_oracle"], "\(name) AURC-oracle")
    }

    @Test("temperature scaling, NLL and multiclass Brier", arguments: Fixtures.datasetNames)
    func temperature(name: String) throws {
        let fixture = Fixtures.dataset(name)
        let inputs = DatasetInputs(fixture)
        let expected = try #require(fixture["expected"] as? [String: Any])
        let fit = try #require(TemperatureScaling.fit(logits: inputs.logits, labels: inputs.labels))
        let referenceT = number(expected["temperature"])
        let referenceObjective = number(expected["objective_after"])
        expectClose(fit.nllBefore, expected["objective_before"], "\(name) objective at T=1")
        if fit.atBound {
            // SciPy's bounded Brent never evaluates exactly at a bound; it stops near it. The exact bound must be
            // the one SciPy approaches, and must be at least as good a minimiser.
            let bound = 1 / fit.temperature
            #expect(abs(1 / referenceT - bound) <= 1e-3 * bound, "\(name): SciPy's β \(1 / referenceT) is not near the bound \(bound)")
            #expect(fit.nllAfter <= referenceObjective * (1 + 1e-12) + 1e-15, "\(name): objective at the bound is worse than SciPy's")
        } else {
            expectClose(fit.temperature, referenceT, relative: 1e-6, absolute: 0, "\(name) T")
            expectClose(fit.nllAfter, referenceObjective, relative: 1e-9, absolute: 1e-12, "\(name) objective at T*")
        }
        expectClose(CalibrationMetrics.nll(logits: inputs.logits, labels: inputs.labels), expected["nll"], "\(name) NLL")
        expectClose(
            CalibrationMetrics.brierMulticlass(logits: inputs.logits, labels: inputs.labels),
            expected["brier_multiclass"], "\(name) multiclass Brier")
        // Metrics under the reference temperature (so that only the metric, not the fit, is compared).
        expectClose(
            CalibrationMetrics.nll(logits: inputs.logits, labels: inputs.labels, temperature: referenceT),
            expected["nll_calibrated"], "\(name) NLL at T*")
        let calibrated = inputs.derived(temperature: referenceT).map(\.msp)
        let reference = try #require(expected["calibrated_msp"] as? [String: Any])
        checkMethod("\(name)/msp@T*", raw: calibrated, orientation: "confidence", correct: inputs.correct, reference: reference)
    }

    private func checkMethod(_ label: String, raw: [Double], orientation: String, correct: [Bool], reference: [String: Any]) {
        let s = orientation == "confidence" ? raw : raw.map { -$0 }
        expectClose(Discrimination.auroc(scores: s, positive: correct), reference["auroc"], "\(label) AUROC")
        expectClose(Discrimination.auprcError(scores: s, correct: correct), reference["auprc_error"], "\(label) AUPRC-error")
        expectClose(Discrimination.aurc(scores: s, correct: correct), reference["aurc"], "\(label) AURC")
        expectClose(Discrimination.prr(scores: s, correct: correct), reference["prr"], relative: 1e-9, absolute: 1e-11, "\(label) PRR")
        if let ece = reference["ece"] {
            let pair = CalibrationMetrics.ece(scores: raw, correct: correct)
            expectClose(pair?.ece, ece, "\(label) ECE")
            expectClose(pair?.mce, reference["mce"], "\(label) MCE")
            expectClose(CalibrationMetrics.ace(scores: raw, correct: correct), reference["ace"], "\(label) ACE")
            expectClose(CalibrationMetrics.brierTopLabel(scores: raw, correct: correct), reference["brier"], "\(label) Brier")
            let bins = CalibrationMetrics.reliability(scores: raw, correct: correct)
            let expectedBins = reference["reliability"] as? [[String: Any]] ?? []
            #expect(bins.map(\.bin) == expectedBins.map { $0["bin"] as! Int }, "\(label) reliability bins")
            #expect(bins.map(\.n) == expectedBins.map { $0["n"] as! Int }, "\(label) reliability counts")
            for (bin, expectedBin) in zip(bins, expectedBins) {
                expectClose(bin.conf, expectedBin["conf"], "\(label) bin \(bin.bin) conf")
                expectClose(bin.acc, expectedBin["acc"], "\(label) bin \(bin.bin) acc")
            }
        } else {
            #expect(orientation == "uncertainty" || raw.contains { $0 < 0 || $0 > 1 }, "\(label) should have calibration metrics")
        }
        let ltt = EscalationThreshold.learnThenTest(scores: s, correct: correct, alpha: 0.10, delta: 0.05)
        let expectedLTT = reference["ltt"] as! [String: Any]
        #expect(ltt.candidatesTested == expectedLTT["tested"] as! Int, "\(label) LTT candidates tested")
        if let threshold = expectedLTT["threshold"] as? Double {
            expectClose(ltt.threshold, threshold, "\(label) LTT τ")
            expectClose(ltt.coverage, expectedLTT["coverage"], "\(label) LTT coverage")
            expectClose(ltt.empiricalRisk, expectedLTT["empirical_risk"], "\(label) LTT risk")
            expectClose(ltt.pValue, expectedLTT["p_value"], relative: 0, absolute: 1e-10, "\(label) LTT p-value")
            expectClose(ltt.riskUpperBound, expectedLTT["risk_upper_bound"], relative: 1e-9, absolute: 1e-12, "\(label) LTT bound")
            #expect(ltt.guaranteeMet)
        } else {
            #expect(ltt.escalatesEverything, "\(label) LTT should escalate everything")
            #expect(!ltt.guaranteeMet)
        }
        if let expectedBudget = reference["budget"] as? [String: Any] {
            let rule = EscalationThreshold.budget(scores: s, correct: correct, escalationBudget: 0.2, alpha: 0.10, delta: 0.05)
            expectClose(rule.threshold, expectedBudget["threshold"], "\(label) budget τ")
            expectClose(rule.coverage, expectedBudget["coverage"], "\(label) budget coverage")
            expectClose(rule.riskUpperBound, expectedBudget["risk_upper_bound"], relative: 1e-9, absolute: 1e-12, "\(label) budget bound")
            #expect(rule.guaranteeMet == expectedBudget["guarantee_met"] as? Bool, "\(label) budget guarantee")
        }
    }
}
