/// Scores of one UE method on the clean prediction and on its NOTA probe, over the pairs that carry the method.
public struct PairedScores: Sendable {
    /// The indices (into the pair outcomes) of the pairs where both sides carry the method; nil means every pair.
    public let pairs: [Int]?
    /// The method's ranking score s (value for confidence methods, −value for uncertainty methods).
    public let clean: [Double]
    public let probe: [Double]
    /// Raw values, for mean confidence and ECE under NOTA (confidence methods in [0, 1] only).
    public let cleanValues: [Double]
    public let probeValues: [Double]
    public let isCalibrationScore: Bool

    public init(
        pairs: [Int]? = nil, clean: [Double], probe: [Double], cleanValues: [Double], probeValues: [Double],
        isCalibrationScore: Bool
    ) {
        precondition(pairs.map { $0.count == clean.count } ?? true, "one score per pair that carries the method")
        self.pairs = pairs
        self.clean = clean
        self.probe = probe
        self.cleanValues = cleanValues
        self.probeValues = probeValues
        self.isCalibrationScore = isCalibrationScore
    }
}

/// NOTA statistics of one method, over the pairs that carry it.
public struct NotaMethodStatistics: Sendable, Equatable, Codable {
    /// The pairs where both the clean prediction and the probe carry the method.
    public let n: Int
    public let meanConfidenceClean: Double?
    public let meanConfidenceNota: Double?
    public let calibrationGapNota: Double?
    public let eceNota: Double?
    public let fragilityAUROC: Double?
}

/// NOTA statistics over labeled (clean, probe) pairs (docs/statistics.md, "Perturbation probes").
public struct NotaStatistics: Sendable, Equatable, Codable {
    public let pairs: Int
    public let cleanAccuracy: Double?
    public let notaAccuracy: Double?
    public let accuracyDrop: Double?
    /// Pairs whose clean answer was right and probe answer wrong.
    public let collapses: Int
    public let methods: [String: NotaMethodStatistics]

    /// Computes every statistic from pair outcomes and per-method scores.
    public init(cleanCorrect: [Bool], probeCorrect: [Bool], methods: [String: PairedScores], bins: Int = 15) {
        precondition(cleanCorrect.count == probeCorrect.count, "pair outcomes differ in length")
        pairs = cleanCorrect.count
        func accuracy(_ outcomes: [Bool]) -> Double? {
            outcomes.isEmpty ? nil : Double(outcomes.filter { $0 }.count) / Double(outcomes.count)
        }
        let clean = accuracy(cleanCorrect)
        let nota = accuracy(probeCorrect)
        cleanAccuracy = clean
        notaAccuracy = nota
        if let clean, let nota { accuracyDrop = clean - nota } else { accuracyDrop = nil }
        let cleanRight = cleanCorrect.indices.filter { cleanCorrect[$0] }
        let collapse = cleanRight.map { !probeCorrect[$0] }
        collapses = collapse.filter { $0 }.count
        var perMethod: [String: NotaMethodStatistics] = [:]
        for (name, scores) in methods {
            // Every statistic of a method over its own pairs: client methods are often logged for some predictions only.
            let pairIndices = scores.pairs ?? Array(cleanCorrect.indices)
            let methodProbeCorrect = pairIndices.map { probeCorrect[$0] }
            let rightPositions = pairIndices.indices.filter { cleanCorrect[pairIndices[$0]] }
            let fragility = Discrimination.auroc(
                scores: rightPositions.map { -scores.clean[$0] },
                positive: rightPositions.map { !methodProbeCorrect[$0] })
            if scores.isCalibrationScore {
                let meanNota = Descriptive.mean(scores.probeValues)
                let methodNotaAccuracy = accuracy(methodProbeCorrect)
                perMethod[name] = NotaMethodStatistics(
                    n: pairIndices.count,
                    meanConfidenceClean: Descriptive.mean(scores.cleanValues),
                    meanConfidenceNota: meanNota,
                    calibrationGapNota: meanNota.flatMap { mean in methodNotaAccuracy.map { mean - $0 } },
                    eceNota: CalibrationMetrics.ece(scores: scores.probeValues, correct: methodProbeCorrect, bins: bins)?.ece,
                    fragilityAUROC: fragility)
            } else {
                perMethod[name] = NotaMethodStatistics(
                    n: pairIndices.count, meanConfidenceClean: nil, meanConfidenceNota: nil, calibrationGapNota: nil, eceNota: nil,
                    fragilityAUROC: fragility)
            }
        }
        self.methods = perMethod
    }
}
