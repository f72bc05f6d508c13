import AuditCore
import AuditStore
import Statistics

/// The metrics of one UE method over a set of labeled predictions (docs/statistics.md).
struct MethodMetrics {
    let orientation: Orientation
    let n: Int
    let auroc: Double?
    let auprcError: Double?
    let aurc: Double?
    let prr: Double?
    /// Present only for confidence methods whose values all lie in [0, 1].
    let calibration: (ece: Double, mce: Double, ace: Double, brier: Double, reliability: [ReliabilityBin])?
    let riskCoverage: [RiskCoveragePoint]

    /// Metrics of raw `values` against `correct`, from one sort of the scores.
    init(values: [Double], correct: [Bool], orientation: Orientation, bins: Int = 15) {
        self.orientation = orientation
        let isCalibrationScore = orientation == .confidence && values.allSatisfy { $0 >= 0 && $0 <= 1 }
        let set = MetricSet(
            scores: orientation == .confidence ? values : values.map { -$0 }, correct: correct,
            calibrationScores: isCalibrationScore ? values : nil, bins: bins)
        n = set.n
        auroc = set.auroc
        auprcError = set.auprcError
        aurc = set.aurc
        prr = set.prr
        riskCoverage = set.riskCoverage
        calibration = set.calibration
    }

    /// The `evaluate --json` entry of this method.
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("orientation", .string(orientation.rawValue)), ("n", .count(n)), ("auroc", .number(auroc)),
            ("auprc_error", .number(auprcError)), ("aurc", .number(aurc)), ("prr", .number(prr)),
        ]
        if let calibration {
            members += [
                ("ece", .number(calibration.ece)), ("mce", .number(calibration.mce)), ("ace", .number(calibration.ace)),
                ("brier", .number(calibration.brier)),
                (
                    "reliability",
                    .array(
                        calibration.reliability.map { bin in
                            .object([
                                ("bin", .count(bin.bin)), ("n", .count(bin.n)), ("conf", .number(bin.conf)), ("acc", .number(bin.acc)),
                            ])
                        })
                ),
            ]
        }
        return .object(members)
    }
}

/// The predictions of one model arranged as the statistics want them.
struct LabeledSet {
    let rows: [ScoredPrediction]
    let correct: [Bool]
    let labels: [Int]
    /// Each row's msp at T = 1 (nil without option scores), computed once for the per-slice statistics.
    let msp: [Double?]

    /// The labeled rows of `predictions` (clean or probes, as given).
    init(_ predictions: [ScoredPrediction]) {
        rows = predictions.filter { $0.label != nil }
        correct = rows.map { $0.isCorrect! }
        labels = rows.map { $0.label! }
        msp = rows.map { $0.calibratedMSP(temperature: 1) }
    }

    var count: Int { rows.count }

    var accuracy: Double? { correct.isEmpty ? nil : Double(correct.filter { $0 }.count) / Double(correct.count) }

    /// Rows that have option logits or probabilities, as logits (probabilities: ln max(p, 1e-12)).
    var withLogits: (logits: LogitRows, labels: [Int], predicted: [Int], correct: [Bool]) {
        var logits = LogitRows(reservingRows: rows.count)
        var labels: [Int] = []
        var predicted: [Int] = []
        var correct: [Bool] = []
        for (index, row) in rows.enumerated() {
            guard let rowLogits = row.statisticsLogits else { continue }
            logits.append(rowLogits)
            labels.append(self.labels[index])
            predicted.append(row.predicted)
            correct.append(self.correct[index])
        }
        return (logits, labels, predicted, correct)
    }

    /// The values of every method present on all of `rows` that carry it: derived msp/margin/entropy at
    /// `temperature` from the option scores, client methods as stored.
    func methodValues(
        temperature: Double = 1, orientations: [String: Orientation]
    ) -> [String: (values: [Double], correct: [Bool], orientation: Orientation)] {
        var result: [String: (values: [Double], correct: [Bool], orientation: Orientation)] = [:]
        for (index, row) in rows.enumerated() {
            if let derived = row.derivedScores(temperature: temperature) {
                for method in DerivedMethod.allCases {
                    result[method.rawValue, default: ([], [], method.orientation)].values.append(derived.value(of: method))
                    result[method.rawValue]!.correct.append(correct[index])
                }
            }
            for score in row.scores where score.value.isFinite {
                let orientation = orientations[score.method] ?? .confidence
                result[score.method, default: ([], [], orientation)].values.append(score.value)
                result[score.method]!.correct.append(correct[index])
            }
        }
        return result
    }
}

extension ScoredPrediction {
    /// True when the prediction logged option logits or probabilities.
    var hasOptionScores: Bool { optionLogits != nil || optionProbs != nil }

    /// The logits the temperature fit and the NLL use: logged logits, or ln max(p, 1e-12) of logged probabilities.
    var statisticsLogits: [Double]? {
        if let optionLogits { return optionLogits }
        return optionProbs?.map(LogitRows.logit(ofProbability:))
    }

    /// msp, margin and entropy at temperature T (nil without option scores): raw (T = 1) from the logged
    /// probabilities themselves, calibrated through the logits (``DerivedScores/of(logits:probabilities:predicted:temperature:)``).
    func derivedScores(temperature: Double = 1) -> DerivedScores? {
        DerivedScores.of(logits: optionLogits?[...], probabilities: optionProbs?[...], predicted: predicted, temperature: temperature)
    }

    /// The msp at temperature T (nil without option scores); T = 1 is the raw msp.
    func calibratedMSP(temperature: Double) -> Double? {
        derivedScores(temperature: temperature)?.msp
    }
}

extension DerivedScores {
    /// The score of one derived method.
    func value(of method: DerivedMethod) -> Double {
        method.value(in: (msp, margin, entropy))
    }
}
