import Statistics
import Testing

@Suite("drift, multiple testing, ranks, bootstrap and NOTA against reference values")
struct DriftAndDescriptiveTests {
    let fixture: [String: Any]

    init() throws {
        fixture = try Fixtures.load("drift_and_descriptive")
    }

    @Test("PSI edges and value, KS statistic and asymptotic p-value")
    func drift() throws {
        for case let row as [String: Any] in try #require(fixture["drift"] as? [Any]) {
            let name = row["name"] as! String
            let reference = row["reference"] as! [Double]
            let current = row["current"] as! [Double]
            let psi = try #require(DriftTests.psi(reference: reference, current: current))
            #expect(psi.edges == row["edges"] as! [Double], "\(name) PSI edges")
            expectClose(psi.psi, row["psi"], "\(name) PSI")
            let ks = try #require(DriftTests.kolmogorovSmirnov(reference: reference, current: current))
            #expect(ks.statistic == row["ks_statistic"] as! Double, "\(name) KS D")
            expectClose(ks.pValue, row["ks_pvalue_asymptotic"], relative: 1e-9, absolute: 1e-10, "\(name) KS p")
        }
    }

    @Test("Benjamini–Hochberg equals scipy false_discovery_control")
    func benjaminiHochberg() throws {
        let bh = try #require(fixture["bh"] as? [String: [Double]])
        let adjusted = MultipleTesting.benjaminiHochberg(bh["p"]!)
        for (value, expected) in zip(adjusted, bh["adjusted"]!) { expectClose(value, expected, "BH") }
    }

    @Test("Spearman's rho with ties equals scipy spearmanr")
    func spearman() throws {
        let row = try #require(fixture["spearman"] as? [String: Any])
        expectClose(Descriptive.spearman(row["x"] as! [Double], row["y"] as! [Double]), row["rho"], "Spearman")
    }

    @Test("quantiles equal np.quantile bit for bit")
    func quantiles() throws {
        let row = try #require(fixture["quantile"] as? [String: Any])
        let sample = (row["sample"] as! [Double]).sorted()
        for (q, expected) in row["values"] as! [String: Double] {
            #expect(Descriptive.quantile(sorted: sample, Double(q)!) == expected, "quantile \(q)")
        }
    }

    @Test("the portable generator matches the Python reference implementation")
    func generator() throws {
        let row = try #require(fixture["xoshiro"] as? [String: Any])
        var generator = Xoshiro256StarStar(seed: UInt64(row["seed"] as! Int))
        let first = (row["first"] as! [String]).map { UInt64($0)! }
        #expect((0..<first.count).map { _ in generator.next() } == first)
        var indexGenerator = Xoshiro256StarStar(seed: UInt64(row["index_seed"] as! Int))
        let indices = (row["bounds"] as! [Int]).map { indexGenerator.index(below: $0) }
        #expect(indices == row["indices"] as! [Int])
    }

    @Test("seeded percentile bootstrap reproduces the reference interval")
    func bootstrap() throws {
        let row = try #require(fixture["bootstrap"] as? [String: Any])
        let sample = row["sample"] as! [Double]
        let interval = try #require(
            Bootstrap.interval(
                count: sample.count, resamples: row["resamples"] as! Int,
                seed: UInt64(row["seed"] as! Int)
            ) { indices in
                indices.reduce(0) { $0 + sample[$1] } / Double(indices.count)
            })
        expectClose(interval.estimate, row["estimate"], "bootstrap estimate")
        expectClose(interval.lower, row["lower"], "bootstrap lower")
        expectClose(interval.upper, row["upper"], "bootstrap upper")
    }

    @Test("NOTA pair statistics and fragility AUROC")
    func nota() throws {
        let row = try #require(fixture["nota"] as? [String: Any])
        let cleanCorrect = (row["clean_correct"] as! [Int]).map { $0 == 1 }
        let probeCorrect = (row["probe_correct"] as! [Int]).map { $0 == 1 }
        let cleanConf = row["clean_conf"] as! [Double]
        let probeConf = row["probe_conf"] as! [Double]
        let cleanUncertainty = row["clean_uncertainty"] as! [Double]
        let statistics = NotaStatistics(
            cleanCorrect: cleanCorrect, probeCorrect: probeCorrect,
            methods: [
                "conf": PairedScores(
                    clean: cleanConf, probe: probeConf, cleanValues: cleanConf, probeValues: probeConf, isCalibrationScore: true),
                "unc": PairedScores(
                    clean: cleanUncertainty.map { -$0 }, probe: cleanUncertainty.map { -$0 },
                    cleanValues: cleanUncertainty, probeValues: cleanUncertainty, isCalibrationScore: false),
            ])
        let expected = row["expected"] as! [String: Any]
        expectClose(statistics.cleanAccuracy, expected["clean_accuracy"], "clean accuracy")
        expectClose(statistics.notaAccuracy, expected["nota_accuracy"], "NOTA accuracy")
        #expect(statistics.collapses == expected["collapses"] as! Int)
        let conf = try #require(statistics.methods["conf"])
        expectClose(conf.meanConfidenceClean, expected["mean_conf_clean"], "mean confidence clean")
        expectClose(conf.meanConfidenceNota, expected["mean_conf_nota"], "mean confidence NOTA")
        expectClose(conf.calibrationGapNota, expected["calibration_gap"], "calibration gap")
        expectClose(conf.eceNota, expected["ece_nota"], "ECE under NOTA")
        expectClose(conf.fragilityAUROC, expected["fragility_conf"], "fragility AUROC (confidence)")
        expectClose(statistics.methods["unc"]?.fragilityAUROC, expected["fragility_uncertainty"], "fragility AUROC (uncertainty)")
    }
}

@Suite("proportion and category tests against SciPy")
struct ProportionTestsReference {
    @Test("two-proportion z-test and χ² homogeneity p-values")
    func pValues() throws {
        let fixture = try Fixtures.load("drift_and_descriptive")
        for case let row as [String: Any] in try #require(fixture["proportions"] as? [Any]) {
            let p = ProportionTests.twoSidedPValue(
                successes1: row["s1"] as! Int, trials1: row["n1"] as! Int,
                successes2: row["s2"] as! Int, trials2: row["n2"] as! Int)
            expectClose(p, row["p"], relative: 1e-9, absolute: 1e-14, "z-test \(row)")
        }
        for case let row as [String: Any] in try #require(fixture["categories"] as? [Any]) {
            let p = ProportionTests.categoriesPValue(reference: row["reference"] as! [String], current: row["current"] as! [String])
            expectClose(p, row["p"], relative: 1e-9, absolute: 1e-14, "χ² test")
        }
    }
}

/// A UE method logged on some NOTA pairs only is evaluated over those pairs, never dropped.
@Suite("NOTA statistics per method")
struct NotaPerMethodTests {
    @Test("a method carried by some pairs has every statistic of the NOTA set made of just those pairs")
    func methodOnSomePairs() throws {
        var random = Xoshiro256StarStar(seed: 31)
        let count = 400
        let cleanScore = (0..<count).map { _ in random.uniform() }
        let cleanCorrect = cleanScore.map { random.uniform() < 0.3 + 0.6 * $0 }
        let probeCorrect = cleanScore.map { random.uniform() < 0.1 + 0.5 * $0 }
        let probeScore = cleanScore.map { max(0, $0 - 0.03) }
        let carried = (0..<count).filter { _ in random.uniform() < 0.4 }
        let partial = PairedScores(
            pairs: carried, clean: carried.map { cleanScore[$0] }, probe: carried.map { probeScore[$0] },
            cleanValues: carried.map { cleanScore[$0] }, probeValues: carried.map { probeScore[$0] },
            isCalibrationScore: true)
        let all = PairedScores(
            clean: cleanScore, probe: probeScore, cleanValues: cleanScore, probeValues: probeScore, isCalibrationScore: true)
        let statistics = NotaStatistics(
            cleanCorrect: cleanCorrect, probeCorrect: probeCorrect, methods: ["msp": all, "verbalized": partial])
        let subset = NotaStatistics(
            cleanCorrect: carried.map { cleanCorrect[$0] }, probeCorrect: carried.map { probeCorrect[$0] },
            methods: [
                "verbalized": PairedScores(
                    clean: carried.map { cleanScore[$0] }, probe: carried.map { probeScore[$0] },
                    cleanValues: carried.map { cleanScore[$0] }, probeValues: carried.map { probeScore[$0] },
                    isCalibrationScore: true)
            ])
        let verbalized = try #require(statistics.methods["verbalized"])
        #expect(verbalized.n == carried.count && carried.count > 100 && carried.count < count)
        #expect(verbalized == subset.methods["verbalized"])
        #expect(verbalized.fragilityAUROC != nil)
        #expect(statistics.methods["msp"]?.n == count)
        #expect(statistics.pairs == count)
    }
}
